"""gmflock: lock FLOCK for 1–365 days, get non-transferable gmFLOCK that weights governance.

Locking n FLOCK for t days mints m gmFLOCK, fixed at lock time (no decay), FLock's rule
with t0 = BonusFreeDays, t1 = MaxLockDays, ε = EpsilonPercent / 100:

    m = n                                              if t ≤ t0
    m = n + n · EpsilonPercent · (t − t0) // (100 · t1)  if t0 < t ≤ t1

Rounding: the bonus is floored (one integer division), so m never exceeds the exact
n·(1 + ε·(t − t0)/t1) and falls short of it by less than 1 wei. With the defaults
(30, 365, 219): m = n + n·219·(t − 30) // 36500, ≈ 3.01·n at 365 days.

The locked FLOCK stays the owner's, as a balances hold (reason "gmflock"): reserved, not
spendable, released by `unlock` once the block timestamp reaches the lock's `unlockAt`,
which burns the lock's gmFLOCK. Days are `SecondsPerDay` seconds of block time, so a
dev chain may shorten them.

gmFLOCK cannot be transferred: the module has no transfer call, and a balance moves only
by locking and unlocking. Each balance and the total supply keep checkpoints — (block
number, value) at the end of every block that changed them, ascending, at most one per
block (Compound's and OpenZeppelin's ERC20Votes) — so a governance snapshot at a past
block is one binary search (`balanceOfAt`, `totalSupplyAt`) from the head's state.

Votes (ERC-5805, ERC-6372, as OpenZeppelin's `Votes`): an account's gmFLOCK counts as votes
for its delegate, checkpointed the same way (`getVotes`, `getPastVotes`, `getPastTotalSupply`;
the clock is the block number). One difference from OpenZeppelin: an account that never
called `delegate` is its own delegate, so a lock votes from the block it is made in without a
second transaction. `delegate(address(0))` makes an account's gmFLOCK count for nobody.
"""

from dataclasses import dataclass, replace

from ..module import CallDecl, CallEnv, ErrorDecl, EventDecl, Module, Parameter, ViewDecl, fail, module_address
from ..records import Bool, RecordCodec, Uint64, Uint256
from ..state import State
from ..storage import U64, RawBytes, StorageMap, StorageValue
from . import balances, system

NAME = "gmflock"
ADDRESS_ = module_address(4)
REASON = b"gmflock"
"""The balances hold reason under which locked FLOCK sits."""
DECIMALS = 18
UINT64_MAX = 2**64 - 1
MIN_LOCK_DAYS = 1

# Parameters
SecondsPerDay = StorageValue(NAME, "SecondsPerDay", U64, 86_400)
BonusFreeDays = StorageValue(NAME, "BonusFreeDays", U64, 30)
"""t0: locks of at most this many days mint gmFLOCK one for one."""
MaxLockDays = StorageValue(NAME, "MaxLockDays", U64, 365)
"""t1: the longest lock, and the denominator of the bonus."""
EpsilonPercent = StorageValue(NAME, "EpsilonPercent", U64, 219)
"""ε in hundredths (2.19)."""



@dataclass(frozen=True)
class LockInfo:
    amount: Uint256
    gm_amount: Uint256
    unlock_at: Uint64
    unlocked: Bool


@dataclass(frozen=True)
class CheckpointRecord:
    block_number: Uint64
    value: Uint256
    """The series' value at the end of that block."""


# Storage
LockCount = StorageMap(NAME, "LockCount", RawBytes(), U64, 0)
"""owner → number of locks it ever made; its lock ids are 0 … LockCount − 1."""
Lock = StorageMap(NAME, "Lock", RawBytes(), RecordCodec(LockInfo), None)
"""owner ‖ uint64(lockId) → its lock; kept after unlock, with `unlocked` set."""
CheckpointCount = StorageMap(NAME, "CheckpointCount", RawBytes(), U64, 0)
"""series → number of checkpoints; a series is an owner's address, or b"" for the total supply."""
Checkpoint = StorageMap(NAME, "Checkpoint", RawBytes(), RecordCodec(CheckpointRecord), None)
"""series ‖ uint64(index) → its checkpoint."""
SUPPLY = b""
"""The series of the total supply."""
VOTES = b"v"
"""VOTES ‖ address is the series of that delegate's votes."""
Delegate = StorageMap(NAME, "Delegate", RawBytes(), RawBytes(), None)
"""account → the delegate its gmFLOCK votes for, once it chose one (absent: itself)."""
NOBODY = b"\x00" * 20
CLOCK_MODE = "mode=blocknumber&from=default"

# Events
Locked = EventDecl("Locked(address indexed owner,uint256 indexed lockId,uint256 amount,uint256 gmAmount,"
                   "uint64 unlockAt)")
Unlocked = EventDecl("Unlocked(address indexed owner,uint256 indexed lockId,uint256 amount,uint256 gmAmount)")
DelegateChanged = EventDecl("DelegateChanged(address indexed delegator,address indexed fromDelegate,"
                            "address indexed toDelegate)")
DelegateVotesChanged = EventDecl("DelegateVotesChanged(address indexed delegate,uint256 previousVotes,"
                                 "uint256 newVotes)")

# Errors
ZeroAmount = ErrorDecl("ZeroAmount()")
InvalidDuration = ErrorDecl("InvalidDuration(uint256 durationDays)")
UnknownLock = ErrorDecl("UnknownLock(uint256 lockId)")
LockNotExpired = ErrorDecl("LockNotExpired(uint64 unlockAt)")
AlreadyUnlocked = ErrorDecl("AlreadyUnlocked(uint256 lockId)")
FutureLookup = ErrorDecl("ERC5805FutureLookup(uint256 timepoint,uint48 clock)")


def u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def compute_gm_amount(state: State, amount: int, duration_days: int) -> int:
    """gmFLOCK for locking `amount` for `duration_days` (the module docstring's formula, bonus floored)."""
    max_days, free_days = MaxLockDays.get(state), BonusFreeDays.get(state)
    if not MIN_LOCK_DAYS <= duration_days <= max_days:
        fail(InvalidDuration, duration_days)
    if duration_days <= free_days:
        return amount
    return amount + amount * EpsilonPercent.get(state) * (duration_days - free_days) // (100 * max_days)


# Checkpoints: a series' history, ascending in block number, one entry per block at most.

def record_checkpoint(state: State, series: bytes, block_number: int, value: int) -> None:
    """The series is `value` from the end of `block_number` on; a second change in a block overwrites."""
    count = CheckpointCount.get(state, series)
    if count and Checkpoint.get(state, series + u64(count - 1)).block_number == block_number:
        Checkpoint.set(state, series + u64(count - 1), CheckpointRecord(block_number, value))
        return
    Checkpoint.set(state, series + u64(count), CheckpointRecord(block_number, value))
    CheckpointCount.set(state, series, count + 1)


def get_latest(state: State, series: bytes) -> int:
    count = CheckpointCount.get(state, series)
    return Checkpoint.get(state, series + u64(count - 1)).value if count else 0


def get_value_at(state: State, series: bytes, block_number: int) -> int:
    """The value at the end of `block_number`: the last checkpoint at or before it (0 before the first).

    Final only for blocks before the current one; for the current or a later block it is the
    value so far.
    """
    low, high = 0, CheckpointCount.get(state, series)
    while low < high:
        middle = (low + high) // 2
        if Checkpoint.get(state, series + u64(middle)).block_number <= block_number:
            low = middle + 1
        else:
            high = middle
    return Checkpoint.get(state, series + u64(low - 1)).value if low else 0


# The API other modules (governance, rewards) read.

def balance_of(state: State, who: bytes) -> int:
    return get_latest(state, who)


def total_supply(state: State) -> int:
    return get_latest(state, SUPPLY)


def balance_of_at(state: State, who: bytes, block_number: int) -> int:
    return get_value_at(state, who, block_number)


def total_supply_at(state: State, block_number: int) -> int:
    return get_value_at(state, SUPPLY, block_number)


def get_delegate(state: State, who: bytes) -> bytes:
    return Delegate.get(state, who) or who


def get_votes(state: State, who: bytes) -> int:
    return get_latest(state, VOTES + who)


def get_past_votes(state: State, who: bytes, block_number: int) -> int:
    """`who`'s votes at the end of `block_number`: what a proposal snapshotted there counts."""
    return get_value_at(state, VOTES + who, block_number)


def check_past(block_number: int, current: int) -> None:
    """ERC-5805: a past lookup must be of a block before the current one (its value is final)."""
    if block_number >= current:
        fail(FutureLookup, block_number, current)


def move_votes(state: State, env: CallEnv, source: bytes, destination: bytes, amount: int) -> None:
    """Move `amount` votes from one delegate to another (NOBODY: from or to no one's votes)."""
    if source == destination or amount == 0:
        return
    for delegate, delta in ((source, -amount), (destination, amount)):
        if delegate != NOBODY:
            previous = get_votes(state, delegate)
            record_checkpoint(state, VOTES + delegate, env.block_number, previous + delta)
            env.emit(DelegateVotesChanged.to_log(ADDRESS_, delegate, previous, previous + delta))


def get_lock(state: State, owner: bytes, lock_id: int) -> LockInfo:
    """The lock, or the call fails with UnknownLock."""
    if lock_id >= LockCount.get(state, owner):
        fail(UnknownLock, lock_id)
    return Lock.get(state, owner + u64(lock_id))


def change_balance(state: State, env: CallEnv, who: bytes, delta: int) -> None:
    """Mint (delta > 0) or burn gmFLOCK, checkpointing the balance, the supply and the delegate's votes."""
    record_checkpoint(state, who, env.block_number, balance_of(state, who) + delta)
    record_checkpoint(state, SUPPLY, env.block_number, total_supply(state) + delta)
    if delta > 0:
        move_votes(state, env, NOBODY, get_delegate(state, who), delta)
    else:
        move_votes(state, env, get_delegate(state, who), NOBODY, -delta)


# Calls

def call_lock(state: State, env: CallEnv, duration_days: int) -> tuple:
    """Lock the attached value. The executive has already moved it to this module's account;
    it goes back to the sender and into a hold, so it stays theirs (reserved) while locked."""
    gm_amount = compute_gm_amount(state, env.value, duration_days)
    if env.value == 0:
        fail(ZeroAmount)
    unlock_at = env.timestamp + duration_days * SecondsPerDay.get(state)
    if unlock_at > UINT64_MAX:
        fail(InvalidDuration, duration_days)
    owner, amount = env.sender, env.value
    balances.transfer(state, ADDRESS_, owner, amount)
    balances.hold(state, owner, REASON, amount)
    lock_id = LockCount.get(state, owner)
    LockCount.set(state, owner, lock_id + 1)
    Lock.set(state, owner + u64(lock_id), LockInfo(amount, gm_amount, unlock_at, unlocked=False))
    change_balance(state, env, owner, gm_amount)
    env.emit(Locked.to_log(ADDRESS_, owner, lock_id, amount, gm_amount, unlock_at))
    return ()


def call_unlock(state: State, env: CallEnv, lock_id: int) -> tuple:
    """Release an expired lock's FLOCK and burn its gmFLOCK. The balances `Transfer` from this
    module to the owner mirrors the one the lock's value emitted, so logs track free balances."""
    owner = env.sender
    lock = get_lock(state, owner, lock_id)
    if lock.unlocked:
        fail(AlreadyUnlocked, lock_id)
    if env.timestamp < lock.unlock_at:
        fail(LockNotExpired, lock.unlock_at)
    Lock.set(state, owner + u64(lock_id), replace(lock, unlocked=True))
    balances.release(state, owner, REASON, lock.amount)
    change_balance(state, env, owner, -lock.gm_amount)
    env.emit(balances.Transfer.to_log(balances.ADDRESS_, ADDRESS_, owner, lock.amount))
    env.emit(Unlocked.to_log(ADDRESS_, owner, lock_id, lock.amount, lock.gm_amount))
    return ()


def call_delegate(state: State, env: CallEnv, delegatee: bytes) -> tuple:
    """Let `delegatee` vote with the sender's gmFLOCK from this block on (address(0): nobody)."""
    previous = get_delegate(state, env.sender)
    Delegate.set(state, env.sender, None if delegatee == env.sender else delegatee)
    env.emit(DelegateChanged.to_log(ADDRESS_, env.sender, previous, delegatee))
    move_votes(state, env, previous, delegatee, balance_of(state, env.sender))
    return ()


# Views

def view_lock_of(state: State, owner: bytes, lock_id: int) -> tuple:
    lock = get_lock(state, owner, lock_id)
    return lock.amount, lock.gm_amount, lock.unlock_at, lock.unlocked


def view_past_votes(state: State, who: bytes, timepoint: int) -> tuple:
    check_past(timepoint, system.current_block(state))
    return (get_past_votes(state, who, timepoint),)


def view_past_total_supply(state: State, timepoint: int) -> tuple:
    check_past(timepoint, system.current_block(state))
    return (total_supply_at(state, timepoint),)


def view_gm_amount_for(state: State, amount: int, duration_days: int) -> tuple:
    return (compute_gm_amount(state, amount, duration_days),)


# Genesis and invariants

def genesis(state: State, config: dict) -> None:
    """config (all optional): secondsPerDay, bonusFreeDays, maxLockDays, epsilonPercent."""
    seconds = int(config.get("secondsPerDay", SecondsPerDay.default))
    free_days = int(config.get("bonusFreeDays", BonusFreeDays.default))
    max_days = int(config.get("maxLockDays", MaxLockDays.default))
    epsilon = int(config.get("epsilonPercent", EpsilonPercent.default))
    if seconds < 1 or max_days < MIN_LOCK_DAYS or not 0 <= free_days <= max_days or epsilon < 0:
        raise ValueError("gmflock: need secondsPerDay ≥ 1, maxLockDays ≥ 1, 0 ≤ bonusFreeDays ≤ maxLockDays, "
                         "epsilonPercent ≥ 0")
    SecondsPerDay.set(state, seconds)
    BonusFreeDays.set(state, free_days)
    MaxLockDays.set(state, max_days)
    EpsilonPercent.set(state, epsilon)


def check_invariants(state: State) -> None:
    assert SecondsPerDay.get(state) >= 1 and MaxLockDays.get(state) >= MIN_LOCK_DAYS
    assert BonusFreeDays.get(state) <= MaxLockDays.get(state)
    live_gm: dict[bytes, int] = {}
    live_amount: dict[bytes, int] = {}
    ids: dict[bytes, set[int]] = {}
    for key, lock in Lock.items(state):
        owner, lock_id = key[:20], int.from_bytes(key[20:], "big")
        assert len(key) == 28 and lock.amount > 0 and lock.gm_amount >= lock.amount
        ids.setdefault(owner, set()).add(lock_id)
        if not lock.unlocked:
            live_gm[owner] = live_gm.get(owner, 0) + lock.gm_amount
            live_amount[owner] = live_amount.get(owner, 0) + lock.amount
    counts = dict(LockCount.items(state))
    assert {owner: set(range(count)) for owner, count in counts.items()} == ids, "lock ids are 0 … LockCount − 1"

    entries: dict[bytes, list[tuple[int, int, int]]] = {}
    for key, checkpoint in Checkpoint.items(state):
        entries.setdefault(key[:-8], []).append((int.from_bytes(key[-8:], "big"), checkpoint.block_number,
                                                 checkpoint.value))
    series_counts = dict(CheckpointCount.items(state))
    assert set(series_counts) == set(entries), "every series has a count and checkpoints"
    for series, listed in entries.items():
        assert len(series) in (0, 20) or (len(series) == 21 and series[:1] == VOTES)
        listed.sort()
        assert [index for index, _, _ in listed] == list(range(series_counts[series]))
        blocks = [block_number for _, block_number, _ in listed]
        assert all(a < b for a, b in zip(blocks, blocks[1:])), "checkpoints ascend, one per block"

    owners = {series for series in series_counts if len(series) == 20}
    assert set(live_gm) <= owners
    for owner in owners:
        assert balance_of(state, owner) == live_gm.get(owner, 0), "a balance is its live locks' gmFLOCK"
    assert total_supply(state) == sum(live_gm.values()), "supply = Σ live locks' gmFLOCK = Σ balances"

    votes: dict[bytes, int] = {}
    for owner in owners:
        delegate = get_delegate(state, owner)
        if delegate != NOBODY:
            votes[delegate] = votes.get(delegate, 0) + balance_of(state, owner)
    delegates = {series[1:] for series in series_counts if len(series) == 21}
    assert all(get_votes(state, d) == votes.get(d, 0) for d in delegates | set(votes)), \
        "a delegate's votes are the gmFLOCK of the accounts delegating to it"
    assert sum(votes.values()) <= total_supply(state), "votes never exceed the supply"

    held = {key[:20]: amount for key, amount in balances.Hold.items(state) if key[20:] == REASON}
    assert held == live_amount, "each owner's gmflock hold is its live locks' FLOCK"


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    calls=(
        CallDecl("lock(uint256 durationDays)", call_lock, weight=20_000, payable=True),
        CallDecl("unlock(uint256 lockId)", call_unlock, weight=15_000),
        CallDecl("delegate(address delegatee)", call_delegate, weight=15_000),
    ),
    views=(
        ViewDecl("name()", lambda state: ("gmFLOCK",), ("string",)),
        ViewDecl("symbol()", lambda state: ("gmFLOCK",), ("string",)),
        ViewDecl("decimals()", lambda state: (DECIMALS,), ("uint8",)),
        ViewDecl("balanceOf(address account)", lambda state, who: (balance_of(state, who),), ("uint256",)),
        ViewDecl("totalSupply()", lambda state: (total_supply(state),), ("uint256",)),
        ViewDecl("balanceOfAt(address account,uint256 blockNumber)",
                 lambda state, who, number: (balance_of_at(state, who, number),), ("uint256",)),
        ViewDecl("totalSupplyAt(uint256 blockNumber)", lambda state, number: (total_supply_at(state, number),),
                 ("uint256",)),
        ViewDecl("lockOf(address owner,uint256 lockId)", view_lock_of, ("uint256", "uint256", "uint64", "bool")),
        ViewDecl("lockCount(address owner)", lambda state, who: (LockCount.get(state, who),), ("uint256",)),
        ViewDecl("gmAmountFor(uint256 amount,uint256 durationDays)", view_gm_amount_for, ("uint256",)),
        ViewDecl("clock()", lambda state: (system.current_block(state),), ("uint48",)),
        ViewDecl("CLOCK_MODE()", lambda state: (CLOCK_MODE,), ("string",)),
        ViewDecl("delegates(address account)", lambda state, who: (get_delegate(state, who),), ("address",)),
        ViewDecl("getVotes(address account)", lambda state, who: (get_votes(state, who),), ("uint256",)),
        ViewDecl("getPastVotes(address account,uint256 timepoint)", view_past_votes, ("uint256",)),
        ViewDecl("getPastTotalSupply(uint256 timepoint)", view_past_total_supply, ("uint256",)),
        ViewDecl("secondsPerDay()", lambda state: (SecondsPerDay.get(state),), ("uint64",)),
    ),
    parameters={"SecondsPerDay": Parameter(SecondsPerDay, 1, 86_400), "BonusFreeDays": Parameter(BonusFreeDays, 0, 365),
                "MaxLockDays": Parameter(MaxLockDays, 365, 1_460), "EpsilonPercent": Parameter(EpsilonPercent, 0, 1_000)},
    authorize=system.ensure_root,
    raises=(system.NotRoot,),
    genesis=genesis,
    check_invariants=check_invariants,
)
