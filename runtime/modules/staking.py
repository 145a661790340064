"""staking: bonded FLOCK in the roles that keep FL honest, delegation to training nodes, commission.

Roles: a training node (proposer, `role 0`) or a validator (voter, `role 1`) bonds its own
stake; anyone delegates FLOCK to a training node and shares its rewards, less the node's
commission. All staked FLOCK — own, delegated, unbonding — is held under the balances
hold `staking`, so it stays in its owner's account (and total issuance) but cannot move.

Time is counted in epochs (randomness.EpochIndex). Unbonding and undelegating put funds in
unlocking chunks that become withdrawable `UnbondingPeriod` epochs later. A commission
change takes effect from the next epoch — never the epoch being paid out — and a node may
change it at most once per `CommissionCooldown` epochs.

Commission is in parts per million (Substrate's Permill): 1,000,000 = 100%.

`slash` is the API the slashing module applies offences through: it takes a fraction of an
account's own stake (active, then unlocking) and of the delegations to it, and pays it out.

Weight (what the FL role draw, its tally and payouts, and the epoch reward split weigh): a
staker's exposure plus the gmFLOCK bonus of its own locks, counted on at most as much FLOCK
as it has bonded, so weight never outgrows slashable stake by more than the lock bonus rate:

    weight(a) = own + delegated + ⌊(gm(a) − locked(a)) · min(own, locked(a)) / locked(a)⌋

with gm(a) its gmFLOCK balance and locked(a) the FLOCK its locks hold (bonus 0 without locks).
Eligibility (minimum stakes) and the authority election stay on exposure alone.
"""

from dataclasses import dataclass, replace

from ..exceptions import DispatchError
from ..module import CallDecl, CallEnv, ErrorDecl, EventDecl, Module, Parameter, ViewDecl, module_address
from ..records import OptionalUint64, RecordCodec, RecordList, Uint32, Uint64, Uint256
from ..state import State
from ..storage import ADDRESS, U64, U256, FixedUint, RawBytes, StorageMap, StorageValue, Uint
from . import balances, gmflock, randomness, system

NAME = "staking"
ADDRESS_ = module_address(3)
HOLD = b"staking"
UNIT = balances.UNIT
TRAINING_NODE, VALIDATOR = 0, 1
NO_ROLE = 255
ROLES = (TRAINING_NODE, VALIDATOR)
PER_MILLION = 1_000_000
MAX_STAKE_PARAMETER = 1_000_000 * UNIT
"""The most governance may set a minimum stake to (a thousandth of the supply cap)."""

# Parameters
MinNodeStake = StorageValue(NAME, "MinNodeStake", U256, 3_000 * UNIT)
MinValidatorStake = StorageValue(NAME, "MinValidatorStake", U256, 3_000 * UNIT)
MinDelegation = StorageValue(NAME, "MinDelegation", U256, UNIT)
UnbondingPeriod = StorageValue(NAME, "UnbondingPeriod", U64, 7)
MaxUnlockingChunks = StorageValue(NAME, "MaxUnlockingChunks", U64, 32)
CommissionCooldown = StorageValue(NAME, "CommissionCooldown", U64, 1)
DefaultCommission = StorageValue(NAME, "DefaultCommission", Uint(32), 180_000)
"""18%, Bittensor's default delegate take (REFERENCE.md), until a node sets its own."""



@dataclass(frozen=True)
class UnlockChunk:
    amount: Uint256
    unlock_epoch: Uint256
    """The epoch it becomes withdrawable (an epoch plus the governed unbonding period: no narrower)."""


@dataclass(frozen=True)
class CommissionRecord:
    """A training node's commission, per million, and the change it scheduled last."""

    current: Uint32 = 0
    pending: Uint32 = 0
    effective_epoch: Uint64 = 0
    """The epoch from which `pending` is in force."""
    changed_in: OptionalUint64 = None
    """The epoch of the last change; None before the first."""

    def in_force(self, epoch: int) -> int:
        """The commission in force at `epoch`."""
        return self.pending if self.changed_in is not None and epoch >= self.effective_epoch else self.current


# Storage
Role = StorageMap(NAME, "Role", ADDRESS, FixedUint(1), NO_ROLE)
Bonded = StorageMap(NAME, "Bonded", ADDRESS, U256, 0)
"""Own active stake of a training node or validator."""
Unlocking = StorageMap(NAME, "Unlocking", ADDRESS, RecordList(UnlockChunk), ())
"""One chunk per unlock epoch, oldest first."""
Delegation = StorageMap(NAME, "Delegation", RawBytes(), U256, 0)
"""delegator ‖ node → amount delegated."""
DelegatedTo = StorageMap(NAME, "DelegatedTo", ADDRESS, U256, 0)
Commission = StorageMap(NAME, "Commission", ADDRESS, RecordCodec(CommissionRecord), CommissionRecord())
TotalBonded = StorageMap(NAME, "TotalBonded", FixedUint(1), U256, 0)
"""role → Σ own stake in that role (what rewards are split by)."""
TotalDelegated = StorageValue(NAME, "TotalDelegated", U256, 0)

# Events
Bonded_ = EventDecl("Bonded(address indexed who,uint8 role,uint256 amount)")
Unbonded = EventDecl("Unbonded(address indexed who,uint256 amount,uint64 unlockEpoch)")
Withdrawn = EventDecl("Withdrawn(address indexed who,uint256 amount)")
Delegated = EventDecl("Delegated(address indexed delegator,address indexed node,uint256 amount)")
Undelegated = EventDecl("Undelegated(address indexed delegator,address indexed node,uint256 amount,uint64 unlockEpoch)")
CommissionSet = EventDecl("CommissionSet(address indexed node,uint32 perMillion,uint64 effectiveEpoch)")

# Errors
InvalidRole = ErrorDecl("InvalidRole(uint8 role)")
AlreadyBonded = ErrorDecl("AlreadyBonded(uint8 role)")
NotBonded = ErrorDecl("NotBonded()")
ZeroAmount = ErrorDecl("ZeroAmount()")
BelowMinimumStake = ErrorDecl("BelowMinimumStake(uint256 stake,uint256 minimum)")
InsufficientStake = ErrorDecl("InsufficientStake(uint256 stake,uint256 requested)")
NotATrainingNode = ErrorDecl("NotATrainingNode(address account)")
CommissionTooHigh = ErrorDecl("CommissionTooHigh(uint32 perMillion)")
CommissionCooldownActive = ErrorDecl("CommissionCooldownActive(uint64 nextChangeEpoch)")
NothingToWithdraw = ErrorDecl("NothingToWithdraw()")
TooManyUnlockingChunks = ErrorDecl("TooManyUnlockingChunks(uint64 maximum)")


def current_epoch(state: State) -> int:
    return randomness.EpochIndex.get(state)


def minimum_stake(state: State, role: int) -> int:
    return MinNodeStake.get(state) if role == TRAINING_NODE else MinValidatorStake.get(state)


def get_commission(state: State, node: bytes) -> int:
    """The commission in force this epoch."""
    return Commission.get(state, node).in_force(current_epoch(state))


def get_exposure(state: State, who: bytes) -> tuple[int, int]:
    """(own stake, stake delegated to it)."""
    return Bonded.get(state, who), DelegatedTo.get(state, who)


def compute_lock_bonus(own: int, locked: int, gm_amount: int) -> int:
    """The module docstring's bonus: the locks' gmFLOCK above their FLOCK, pro rata to the bonded part, floored."""
    if locked == 0:
        return 0
    return (gm_amount - locked) * min(own, locked) // locked


def get_lock_bonus(state: State, who: bytes) -> int:
    return compute_lock_bonus(Bonded.get(state, who), balances.get_held(state, who, gmflock.REASON),
                              gmflock.balance_of(state, who))


def get_weight(state: State, who: bytes) -> int:
    """own + delegated + the gmFLOCK lock bonus: what selection and rewards weigh."""
    own, delegated = get_exposure(state, who)
    return own + delegated + get_lock_bonus(state, who)


def _take_value(state: State, env: CallEnv) -> int:
    """The call's `value` sits in this module's account (the executive sent it there); hold it on the sender."""
    if env.value == 0:
        raise DispatchError(ZeroAmount)
    balances.transfer(state, ADDRESS_, env.sender, env.value)
    balances.hold(state, env.sender, HOLD, env.value)
    return env.value


def _add_unlocking(state: State, who: bytes, amount: int) -> int:
    unlock_epoch = current_epoch(state) + UnbondingPeriod.get(state)
    chunks = list(Unlocking.get(state, who))
    if chunks and chunks[-1].unlock_epoch == unlock_epoch:
        chunks[-1] = UnlockChunk(chunks[-1].amount + amount, unlock_epoch)
    else:
        if len(chunks) >= MaxUnlockingChunks.get(state):
            raise DispatchError(TooManyUnlockingChunks, MaxUnlockingChunks.get(state))
        chunks.append(UnlockChunk(amount, unlock_epoch))
    Unlocking.set(state, who, tuple(chunks))
    return unlock_epoch


def _set_bonded(state: State, who: bytes, role: int, amount: int) -> None:
    previous = Bonded.get(state, who)
    Bonded.set(state, who, amount)
    TotalBonded.set(state, role, TotalBonded.get(state, role) - previous + amount)
    Role.set(state, who, role if amount else NO_ROLE)


def call_bond(state: State, env: CallEnv, role: int) -> tuple:
    if role not in ROLES:
        raise DispatchError(InvalidRole, role)
    current = Role.get(state, env.sender)
    if current != NO_ROLE:
        raise DispatchError(AlreadyBonded, current)
    amount = env.value
    if amount < minimum_stake(state, role):
        raise DispatchError(BelowMinimumStake, amount, minimum_stake(state, role))
    _take_value(state, env)
    _set_bonded(state, env.sender, role, amount)
    if role == TRAINING_NODE and Commission.get(state, env.sender) == Commission.default:
        Commission.set(state, env.sender, CommissionRecord(DefaultCommission.get(state)))
    env.emit(Bonded_.to_log(ADDRESS_, env.sender, role, amount))
    return ()


def call_bond_extra(state: State, env: CallEnv) -> tuple:
    role = Role.get(state, env.sender)
    if role == NO_ROLE:
        raise DispatchError(NotBonded)
    amount = _take_value(state, env)
    _set_bonded(state, env.sender, role, Bonded.get(state, env.sender) + amount)
    env.emit(Bonded_.to_log(ADDRESS_, env.sender, role, amount))
    return ()


def call_unbond(state: State, env: CallEnv, amount: int) -> tuple:
    role = Role.get(state, env.sender)
    if role == NO_ROLE:
        raise DispatchError(NotBonded)
    if amount == 0:
        raise DispatchError(ZeroAmount)
    active = Bonded.get(state, env.sender)
    if amount > active:
        raise DispatchError(InsufficientStake, active, amount)
    remaining = active - amount
    if 0 < remaining < minimum_stake(state, role):
        raise DispatchError(BelowMinimumStake, remaining, minimum_stake(state, role))
    unlock_epoch = _add_unlocking(state, env.sender, amount)
    _set_bonded(state, env.sender, role, remaining)
    env.emit(Unbonded.to_log(ADDRESS_, env.sender, amount, unlock_epoch))
    return ()


def call_withdraw_unbonded(state: State, env: CallEnv) -> tuple:
    epoch = current_epoch(state)
    chunks = Unlocking.get(state, env.sender)
    ready = sum(chunk.amount for chunk in chunks if chunk.unlock_epoch <= epoch)
    if ready == 0:
        raise DispatchError(NothingToWithdraw)
    Unlocking.set(state, env.sender, tuple(chunk for chunk in chunks if chunk.unlock_epoch > epoch))
    balances.release(state, env.sender, HOLD, ready)
    env.emit(Withdrawn.to_log(ADDRESS_, env.sender, ready))
    return ()


def call_delegate(state: State, env: CallEnv, node: bytes) -> tuple:
    if Role.get(state, node) != TRAINING_NODE:
        raise DispatchError(NotATrainingNode, node)
    key = env.sender + node
    total = Delegation.get(state, key) + env.value
    if total < MinDelegation.get(state):
        raise DispatchError(BelowMinimumStake, total, MinDelegation.get(state))
    amount = _take_value(state, env)
    Delegation.set(state, key, total)
    DelegatedTo.set(state, node, DelegatedTo.get(state, node) + amount)
    TotalDelegated.set(state, TotalDelegated.get(state) + amount)
    env.emit(Delegated.to_log(ADDRESS_, env.sender, node, amount))
    return ()


def call_undelegate(state: State, env: CallEnv, node: bytes, amount: int) -> tuple:
    if amount == 0:
        raise DispatchError(ZeroAmount)
    key = env.sender + node
    delegated = Delegation.get(state, key)
    if amount > delegated:
        raise DispatchError(InsufficientStake, delegated, amount)
    remaining = delegated - amount
    if 0 < remaining < MinDelegation.get(state):
        raise DispatchError(BelowMinimumStake, remaining, MinDelegation.get(state))
    unlock_epoch = _add_unlocking(state, env.sender, amount)
    Delegation.set(state, key, remaining)
    DelegatedTo.set(state, node, DelegatedTo.get(state, node) - amount)
    TotalDelegated.set(state, TotalDelegated.get(state) - amount)
    env.emit(Undelegated.to_log(ADDRESS_, env.sender, node, amount, unlock_epoch))
    return ()


def call_set_commission(state: State, env: CallEnv, per_million: int) -> tuple:
    if Role.get(state, env.sender) != TRAINING_NODE:
        raise DispatchError(NotATrainingNode, env.sender)
    if per_million > PER_MILLION:
        raise DispatchError(CommissionTooHigh, per_million)
    epoch = current_epoch(state)
    changed_in = Commission.get(state, env.sender).changed_in
    if changed_in is not None and epoch < changed_in + CommissionCooldown.get(state):
        raise DispatchError(CommissionCooldownActive, changed_in + CommissionCooldown.get(state))
    Commission.set(state, env.sender, CommissionRecord(get_commission(state, env.sender), per_million, epoch + 1,
                                                       changed_in=epoch))
    env.emit(CommissionSet.to_log(ADDRESS_, env.sender, per_million, epoch + 1))
    return ()


# The slash API (for the slashing module): take a fraction of everything at stake with an offender.

@dataclass(frozen=True)
class SlashOutcome:
    """What `slash` took, and from whom: `pieces` are (owner, amount), the offender's own piece first,
    then its delegators in Delegation storage order; each piece left its owner's staking hold."""

    own_at_stake: int
    delegated_at_stake: int
    own: int
    delegated: int
    pieces: tuple[tuple[bytes, int], ...]
    unbonded: int
    """Own stake left below the role's minimum, moved to unlocking (the role is lost)."""

    @property
    def at_stake(self) -> int:
        return self.own_at_stake + self.delegated_at_stake

    @property
    def total(self) -> int:
        return self.own + self.delegated


def get_slashable(state: State, who: bytes) -> tuple[int, int]:
    """(own at stake, delegated at stake): Bonded + Σ its unlocking chunks, and Σ delegations to it."""
    return Bonded.get(state, who) + sum(c.amount for c in Unlocking.get(state, who)), DelegatedTo.get(state, who)


def _force_unlocking(state: State, who: bytes, amount: int) -> None:
    """`_add_unlocking` that cannot fail (it runs in a block hook): with no room for a new chunk, or a
    last chunk already unlocking later, the amount joins the last chunk, which unlocks at the later
    of the two epochs — never sooner than the unbonding period."""
    unlock_epoch = current_epoch(state) + UnbondingPeriod.get(state)
    chunks = list(Unlocking.get(state, who))
    if chunks and (chunks[-1].unlock_epoch >= unlock_epoch or len(chunks) >= MaxUnlockingChunks.get(state)):
        chunks[-1] = UnlockChunk(chunks[-1].amount + amount, max(chunks[-1].unlock_epoch, unlock_epoch))
    else:
        chunks.append(UnlockChunk(amount, unlock_epoch))
    Unlocking.set(state, who, tuple(chunks))


def _slash_own(state: State, who: bytes, amount: int) -> int:
    """Take `amount` (≤ own at stake) from Bonded, then from unlocking chunks, latest unlock first.
    Returns what a remainder below the role's minimum moved to unlocking."""
    bonded = Bonded.get(state, who)
    from_bonded = min(bonded, amount)
    rest = amount - from_bonded
    chunks = list(Unlocking.get(state, who))
    for index in reversed(range(len(chunks))):
        taken = min(rest, chunks[index].amount)
        chunks[index] = replace(chunks[index], amount=chunks[index].amount - taken)
        rest -= taken
    assert rest == 0, "a slash takes no more than the own stake"
    Unlocking.set(state, who, tuple(c for c in chunks if c.amount))
    if not from_bonded:
        return 0
    role, remaining = Role.get(state, who), bonded - from_bonded
    unbonded = remaining if 0 < remaining < minimum_stake(state, role) else 0
    if unbonded:
        _force_unlocking(state, who, unbonded)
    _set_bonded(state, who, role, remaining - unbonded)
    return unbonded


def slash(state: State, who: bytes, per_million: int, dest: bytes) -> SlashOutcome:
    """Take `per_million` of everything at stake with `who` and pay it to `dest`'s free balance.

    Own part: ⌊own × per_million / 10⁶⌋ of Bonded + Σ Unlocking, from Bonded first, then the chunks
    unlocking latest. Delegated part: ⌊d × per_million / 10⁶⌋ of each delegation d to `who` (and only
    those). Floors leave the dust with the stakers. Own stake left active but below the role's minimum
    moves to unlocking and the role is cleared (delegations to `who` stay, as after a full unbond).
    Never fails: it runs in a block hook.
    """
    assert 0 <= per_million <= PER_MILLION
    own_at_stake, delegated_at_stake = get_slashable(state, who)
    own = own_at_stake * per_million // PER_MILLION
    unbonded = _slash_own(state, who, own) if own else 0
    pieces = [(who, own)] if own else []
    # No node → delegators index exists: scan every delegation (slashes are rare).
    for key, amount in list(Delegation.items(state)):
        taken = amount * per_million // PER_MILLION
        if key[20:] != who or not taken:
            continue
        Delegation.set(state, key, amount - taken)
        pieces.append((key[:20], taken))
    delegated = sum(a for _, a in pieces[1 if own else 0:])
    if delegated:
        DelegatedTo.set(state, who, DelegatedTo.get(state, who) - delegated)
        TotalDelegated.set(state, TotalDelegated.get(state) - delegated)
    for owner, amount in pieces:
        balances.transfer_held(state, owner, HOLD, dest, amount)
    return SlashOutcome(own_at_stake, delegated_at_stake, own, delegated, tuple(pieces), unbonded)


def view_unlocking(state: State, who: bytes) -> tuple:
    chunks = Unlocking.get(state, who)
    epoch = current_epoch(state)
    return sum(c.amount for c in chunks), sum(c.amount for c in chunks if c.unlock_epoch <= epoch)


def view_commission(state: State, node: bytes) -> tuple:
    commission = Commission.get(state, node)
    pending = commission.pending if commission.changed_in is not None else get_commission(state, node)
    return get_commission(state, node), pending, commission.effective_epoch


def genesis(state: State, config: dict) -> None:
    """Optional parameter overrides (in wei or epochs), e.g. smaller minimums on a dev chain; then
    `bonds`: [{"who": address, "role": 0|1, "amount": wei}], held on the genesis balance as `bond`
    holds (balances' genesis runs first), so a testnet's validators are bonded from block 0."""
    for key, item in (("minNodeStake", MinNodeStake), ("minValidatorStake", MinValidatorStake),
                      ("minDelegation", MinDelegation), ("unbondingPeriod", UnbondingPeriod),
                      ("commissionCooldown", CommissionCooldown), ("defaultCommission", DefaultCommission)):
        if key in config:
            item.set(state, int(config[key]))
    for entry in config.get("bonds", ()):
        who = bytes.fromhex(entry["who"].removeprefix("0x"))
        role, amount = int(entry["role"]), int(entry["amount"])
        if len(who) != 20 or role not in ROLES or Role.get(state, who) != NO_ROLE:
            raise ValueError(f"staking: bond of {entry['who']}: needs an address, role 0 or 1, one bond per account")
        if amount < minimum_stake(state, role):
            raise ValueError(f"staking: bond of {entry['who']}: {amount} is below the role's minimum")
        if balances.get_account(state, who).usable < amount:
            raise ValueError(f"staking: bond of {entry['who']}: the genesis balance cannot hold {amount}")
        balances.hold(state, who, HOLD, amount)
        _set_bonded(state, who, role, amount)
        if role == TRAINING_NODE and Commission.get(state, who) == Commission.default:
            Commission.set(state, who, CommissionRecord(DefaultCommission.get(state)))


def check_invariants(state: State) -> None:
    owed: dict[bytes, int] = {}
    for who, amount in Bonded.items(state):
        role = Role.get(state, who)
        assert role in ROLES and amount >= minimum_stake(state, role), "a bonded account has a role and the minimum"
        owed[who] = owed.get(who, 0) + amount
    for who, role in Role.items(state):
        assert Bonded.get(state, who) > 0, "a role implies a stake"
    for who, chunks in Unlocking.items(state):
        assert 0 < len(chunks) <= MaxUnlockingChunks.get(state) and all(c.amount > 0 for c in chunks)
        epochs = [c.unlock_epoch for c in chunks]
        assert epochs == sorted(set(epochs)), "one chunk per epoch, oldest first"
        owed[who] = owed.get(who, 0) + sum(c.amount for c in chunks)
    to_node: dict[bytes, int] = {}
    for key, amount in Delegation.items(state):
        delegator, node = key[:20], key[20:]
        owed[delegator] = owed.get(delegator, 0) + amount
        to_node[node] = to_node.get(node, 0) + amount
    assert dict(DelegatedTo.items(state)) == to_node, "a node's delegated total is the sum of its delegations"
    assert TotalDelegated.get(state) == sum(to_node.values())
    for role in ROLES:
        assert TotalBonded.get(state, role) == sum(a for w, a in Bonded.items(state) if Role.get(state, w) == role)
    held = {key[:20]: amount for key, amount in balances.Hold.items(state) if key[20:] == HOLD}
    assert held == owed, "the staking hold of each account is its own, unlocking and delegated stake"
    for node, commission in Commission.items(state):
        assert commission.current <= PER_MILLION and commission.pending <= PER_MILLION


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    raises=(balances.InsufficientBalance, system.NotRoot),
    calls=(
        CallDecl("bond(uint8 role)", call_bond, weight=30_000, payable=True),
        CallDecl("bondExtra()", call_bond_extra, weight=25_000, payable=True),
        CallDecl("unbond(uint256 amount)", call_unbond, weight=30_000),
        CallDecl("withdrawUnbonded()", call_withdraw_unbonded, weight=25_000),
        CallDecl("delegate(address node)", call_delegate, weight=30_000, payable=True),
        CallDecl("undelegate(address node,uint256 amount)", call_undelegate, weight=30_000),
        CallDecl("setCommission(uint32 perMillion)", call_set_commission, weight=15_000),
    ),
    views=(
        ViewDecl("stakeOf(address account)", lambda state, who: (Bonded.get(state, who),), ("uint256",)),
        ViewDecl("roleOf(address account)", lambda state, who: (Role.get(state, who),), ("uint8",)),
        ViewDecl("exposureOf(address account)", lambda state, who: get_exposure(state, who), ("uint256", "uint256")),
        ViewDecl("weightOf(address account)", lambda state, who: (get_weight(state, who), get_lock_bonus(state, who)),
                 ("uint256", "uint256")),
        ViewDecl("delegationOf(address delegator,address node)",
                 lambda state, delegator, node: (Delegation.get(state, delegator + node),), ("uint256",)),
        ViewDecl("unlockingOf(address account)", view_unlocking, ("uint256", "uint256")),
        ViewDecl("commissionOf(address node)", view_commission, ("uint32", "uint32", "uint64")),
        ViewDecl("totalBonded(uint8 role)", lambda state, role: (TotalBonded.get(state, role),), ("uint256",)),
        ViewDecl("totalDelegated()", lambda state: (TotalDelegated.get(state),), ("uint256",)),
    ),
    parameters={"MinNodeStake": Parameter(MinNodeStake, 0, MAX_STAKE_PARAMETER),
                "MinValidatorStake": Parameter(MinValidatorStake, 0, MAX_STAKE_PARAMETER),
                "MinDelegation": Parameter(MinDelegation, 1, MAX_STAKE_PARAMETER),
                "UnbondingPeriod": Parameter(UnbondingPeriod, 1, 365),
                "MaxUnlockingChunks": Parameter(MaxUnlockingChunks, 32, 1_024),
                "CommissionCooldown": Parameter(CommissionCooldown, 0, 365),
                "DefaultCommission": Parameter(DefaultCommission, 0, PER_MILLION)},
    authorize=system.ensure_root,
    genesis=genesis,
    check_invariants=check_invariants,
)
