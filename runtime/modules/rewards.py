"""rewards: the FLOCK emission schedule, its split between FL Alliance, AI Arena and the Marketplace,
payouts, claims.

Emission (FLock's published schedule; every number a governable parameter). The clock starts
at the first block the module sees (`ClockStart`, its timestamp): time `t` below is seconds
of block time since then, a day is `SecondsPerDay` seconds and a period `DecayPeriodDays`
days (`L = DecayPeriodDays · SecondsPerDay` seconds). The daily budget of period k is

    D_0 = DailyEmission,    D_k = D_(k−1) · DecayPerMillion // 1,000,000      (floored each period)

and the emission for an interval [a, b) is the sum over its pieces, split at period
boundaries, of `D_k · seconds_in_piece // SecondsPerDay` (one floor per piece; a whole
period is exactly `D_k · DecayPeriodDays`, so only the partial pieces at either end round).
Splitting more finely can only round down more, so the total emitted never exceeds
`schedule(t) = emission of [0, t)`; it falls short by less than 2 wei per emission.

At the first block of each new epoch (randomness.EpochIndex changed since `LastEpoch`), the
emission for [LastEmissionTime, now) is minted to this module's account — at most what the
supply cap leaves (`SupplyCap − TotalIssuance`); what the cap refuses is not minted later.
Of it, `ProtocolFeePerMillion` (floored) goes to the treasury; of the rest (`net`),
`MarketplacePerMillion` (floored) goes to the Marketplace pool, which only the marketplace module
pays out (to model versions by their usage, spec/modules/marketplace.md), and what remains is split
between the task pools by stake (REFERENCE: FL's share = daily × FL stake / (Arena stake + FL stake)):

    market = net · MarketplacePerMillion // 10^6;   rest = net − market
    fl = rest · stake(FL) // (stake(FL) + stake(Arena));   arena = rest − fl
    (both stakes 0: all of the rest to FL Alliance)

A pool's stake is what the task modules report through `set_pool_stake`; until one does,
FL Alliance's stake is staking's TotalBonded of both roles + TotalDelegated, Arena's 0.
A pool whose stake nobody has set is paid out at the epoch boundary to every bonded staker
(training nodes and validators) by staking's weight (own + delegated + lock bonus), as `distribute` does; a
pool a task module has taken over accumulates until that module calls `distribute`.

Distribution by weight, then node → delegators (REFERENCE's delegation formula, σ the
node's commission per million in force in the epoch being paid out):

    r_i = pool · w_i // Σw                         (the remainder stays in the pool)
    delegator j of node i:  r_i · (10^6 − σ) · d_j // (10^6 · (t_n + t_d))
    node i keeps r_i − Σ_j delegator shares        (own share + commission + rounding dust)

with t_n the node's own weight (its bonded stake plus its gmFLOCK lock bonus, staking's weight
without the delegations: the bonus is the node's alone) and t_d = Σ d_j its delegated stake. Shares accrue in
`PendingRewards` and are paid by `claim()` from this module's account, whose free balance is
Σ PendingRewards + Σ PoolBalance (plus whatever someone sent to this address with a plain
transfer: no pool's, it stays there).

Events: a block hook has no receipt (executive.md: a receipt's logs are a dispatch's), so an
epoch's emission and its default distribution leave no log; their outcome is kept in state
(`EmissionOf[epoch]`, `PendingRewards`). `Emitted` is declared for the day the executive
gives hooks events and is not in the ABI yet; `Rewarded` is emitted (one per recipient per
distribution) when a call passes its `emit` to `distribute`, and `Claimed` by `claim()`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..module import BlockEnv, CallDecl, CallEnv, ErrorDecl, EventDecl, Log, Module, Parameter, ViewDecl, fail, module_address
from ..records import RecordCodec, Uint256
from ..state import State
from ..storage import ADDRESS, U64, U256, FixedUint, StorageMap, StorageValue
from . import balances, randomness, staking, system, treasury

NAME = "rewards"
ADDRESS_ = module_address(5)
UNIT = balances.UNIT
PER_MILLION = 1_000_000
FL_ALLIANCE, AI_ARENA, MARKETPLACE = 0, 1, 2
POOLS = (FL_ALLIANCE, AI_ARENA)
"""The task pools, split by stake and paid by default when no task module manages them."""
ALL_POOLS = POOLS + (MARKETPLACE,)

# Parameters (fixed-width codecs where 0 is a meaningful value: a Uint stores 0 as nothing, i.e. the default)
DailyEmission = StorageValue(NAME, "DailyEmission", FixedUint(32), 1_074 * UNIT)
"""D_0: FLOCK (in wei) emitted per day in the first period."""
DecayPerMillion = StorageValue(NAME, "DecayPerMillion", FixedUint(4), 900_000)
"""The daily budget is multiplied by this / 10^6 at every period boundary (×0.9)."""
DecayPeriodDays = StorageValue(NAME, "DecayPeriodDays", U64, 30)
SecondsPerDay = StorageValue(NAME, "SecondsPerDay", U64, 86_400)
ProtocolFeePerMillion = StorageValue(NAME, "ProtocolFeePerMillion", FixedUint(4), 50_000)
"""Share of each emission paid to the treasury (5%: this chain's default; FLock publishes none)."""
MarketplacePerMillion = StorageValue(NAME, "MarketplacePerMillion", FixedUint(4), 100_000)
"""Share of each emission (after the fee) for the Marketplace pool: FLock's "emissions only to models with
real usage" (10%: this chain's default; FLock publishes none)."""



@dataclass(frozen=True)
class Emission:
    """What an epoch's first block minted: what `Emitted` would say."""

    amount: Uint256
    protocol_fee: Uint256


# Storage
ClockStart = StorageValue(NAME, "ClockStart", FixedUint(8), None)
"""Timestamp of the first block this module saw: t = 0 of the schedule. None before it."""
LastEmissionTime = StorageValue(NAME, "LastEmissionTime", U64, 0)
"""Timestamp up to which emission has been minted (ClockStart at first)."""
LastEpoch = StorageValue(NAME, "LastEpoch", U64, 0)
"""The epoch of the last block processed; at a new epoch's first block, the epoch being paid out."""
TotalEmitted = StorageValue(NAME, "TotalEmitted", U256, 0)
"""Σ FLOCK minted by the schedule (protocol fees included)."""
EmissionOf = StorageMap(NAME, "EmissionOf", U64, RecordCodec(Emission), None)
PoolBalance = StorageMap(NAME, "PoolBalance", FixedUint(1), U256, 0)
"""pool → FLOCK in this module's account, not yet distributed."""
PoolStake = StorageMap(NAME, "PoolStake", FixedUint(1), FixedUint(32), None)
"""pool → stake figure set by its task module; None (unset): the default of `get_pool_stake`."""
PendingRewards = StorageMap(NAME, "PendingRewards", ADDRESS, U256, 0)
TotalPoolInflow = StorageValue(NAME, "TotalPoolInflow", U256, 0)
"""Σ ever credited to the pools (emission less fees, and `credit_pool`)."""
TotalDistributed = StorageValue(NAME, "TotalDistributed", U256, 0)
"""Σ ever paid out of the pools into PendingRewards."""
TotalClaimed = StorageValue(NAME, "TotalClaimed", U256, 0)
TotalPoolWithdrawn = StorageValue(NAME, "TotalPoolWithdrawn", U256, 0)
"""Σ moved out of managed pools to task modules' accounts (`withdraw_pool`)."""

# Events
Emitted = EventDecl("Emitted(uint64 indexed epoch,uint256 amount,uint256 protocolFee)", in_abi=False)
"""Not emitted yet: emission happens in a block hook, which has no receipt (module docstring)."""
Rewarded = EventDecl("Rewarded(address indexed who,uint256 amount)")
Claimed = EventDecl("Claimed(address indexed who,uint256 amount)")

# Errors
NothingToClaim = ErrorDecl("NothingToClaim()")
UnknownPool = ErrorDecl("UnknownPool(uint8 pool)")

Emit = Callable[[Log], None]


def _discard(log: Log) -> None:
    """Where a hook's events go while hooks have no receipt."""
    return None


# The schedule

def compute_daily(state: State, period: int) -> int:
    """D_period: DailyEmission decayed `period` times, floored at each step (stops once constant)."""
    daily, decay = DailyEmission.get(state), DecayPerMillion.get(state)
    for _ in range(period):
        if daily == 0 or decay == PER_MILLION:
            break
        daily = daily * decay // PER_MILLION
    return daily


def compute_emission(state: State, start: int, end: int) -> int:
    """Emission for the seconds [start, end) of the schedule: Σ over pieces split at period
    boundaries of D_k · seconds // SecondsPerDay. Runs once per period crossed while D_k > 0
    (whole periods of a constant budget, DecayPerMillion = 10^6, in one step)."""
    seconds_per_day, decay = SecondsPerDay.get(state), DecayPerMillion.get(state)
    length = DecayPeriodDays.get(state) * seconds_per_day
    period = start // length
    daily = compute_daily(state, period)
    total, t = 0, start
    while t < end and daily > 0:
        boundary = (period + 1) * length
        if end <= boundary:
            return total + daily * (end - t) // seconds_per_day
        total += daily * (boundary - t) // seconds_per_day
        t, period = boundary, period + 1
        if decay == PER_MILLION:
            whole = (end - t) // length
            total += whole * daily * DecayPeriodDays.get(state)
            t, period = t + whole * length, period + whole
        else:
            daily = daily * decay // PER_MILLION
    return total


def compute_schedule(state: State, elapsed: int) -> int:
    """The schedule's total for the first `elapsed` seconds: what TotalEmitted may never exceed."""
    return compute_emission(state, 0, elapsed)


def get_daily_now(state: State) -> int:
    """The daily budget of the period holding the last emission time (DailyEmission before the clock starts)."""
    start = ClockStart.get(state)
    if start is None:
        return DailyEmission.get(state)
    length = DecayPeriodDays.get(state) * SecondsPerDay.get(state)
    return compute_daily(state, (LastEmissionTime.get(state) - start) // length)


# Pools

def check_pool(pool: int) -> None:
    if pool not in ALL_POOLS:
        fail(UnknownPool, pool)


def get_pool_stake(state: State, pool: int) -> int:
    """The stake a pool's emission share is weighed by: its task module's figure once set; until then
    FL Alliance's is every bonded stake (both roles) plus every delegation, and Arena's is 0."""
    check_pool(pool)
    stake = PoolStake.get(state, pool)
    if stake is not None:
        return stake
    if pool == FL_ALLIANCE:
        return sum(staking.TotalBonded.get(state, role) for role in staking.ROLES) + staking.TotalDelegated.get(state)
    return 0


def set_pool_stake(state: State, pool: int, amount: int) -> None:
    """For task modules: the pool's stake from now on (and the pool is theirs to `distribute`)."""
    check_pool(pool)
    PoolStake.set(state, pool, amount)


def is_pool_managed(state: State, pool: int) -> bool:
    """A task module has set the pool's stake: it pays the pool out itself, the epoch boundary does not."""
    return PoolStake.get(state, pool) is not None


def credit_pool(state: State, pool: int, amount: int) -> None:
    """Add FLOCK already moved into this module's account to a pool (e.g. a slash paid to
    `ADDRESS_` by balances.transfer_held)."""
    check_pool(pool)
    PoolBalance.set(state, pool, PoolBalance.get(state, pool) + amount)
    TotalPoolInflow.set(state, TotalPoolInflow.get(state) + amount)


def fund_pool(state: State, source: bytes, pool: int, amount: int) -> None:
    """Move `amount` of `source`'s usable balance into a pool."""
    check_pool(pool)
    balances.transfer(state, source, ADDRESS_, amount)
    credit_pool(state, pool, amount)


def compute_pool_split(net: int, fl_stake: int, arena_stake: int) -> tuple[int, int]:
    """(FL Alliance, AI Arena) shares of `net`: FL's floored, Arena gets the rest; all to FL if no stake."""
    total = fl_stake + arena_stake
    fl = net if total == 0 else net * fl_stake // total
    return fl, net - fl


# Node → delegators

def commission_in_force(state: State, node: bytes, epoch: int) -> int:
    """The node's commission (per million) in force at `epoch`: staking.get_commission's rule at any epoch."""
    return staking.Commission.get(state, node).in_force(epoch)


def compute_delegation_split(reward: int, own: int, delegations: list[tuple[bytes, int]],
                             commission: int) -> tuple[int, list[tuple[bytes, int]]]:
    """(what the node keeps, [(delegator, share)]): each delegator r·(10^6 − σ)·d // (10^6·(t_n + t_d)),
    floored; the node keeps the rest (own share, commission on the delegated part, rounding dust)."""
    delegated = sum(amount for _, amount in delegations)
    if delegated == 0:
        return reward, []
    denominator = PER_MILLION * (own + delegated)
    shares = [(who, reward * (PER_MILLION - commission) * amount // denominator) for who, amount in delegations]
    return reward - sum(share for _, share in shares), shares


def get_delegations_by_node(state: State) -> dict[bytes, list[tuple[bytes, int]]]:
    """node → [(delegator, amount)], delegators in ascending address order."""
    by_node: dict[bytes, list[tuple[bytes, int]]] = {}
    for key, amount in staking.Delegation.items(state):
        by_node.setdefault(key[20:], []).append((key[:20], amount))
    return {node: sorted(entries) for node, entries in by_node.items()}


# Distribution

def get_default_recipients(state: State) -> list[tuple[bytes, int]]:
    """Every bonded training node and validator, weighted by staking.get_weight (exposure plus its lock bonus)."""
    return [(who, staking.get_weight(state, who)) for who, _ in staking.Bonded.items(state)]


def _credit(state: State, amount: int, recipients: list[tuple[bytes, int]], epoch: int, emit: Emit) -> int:
    """Credit `amount` by weight into PendingRewards (the split of the module docstring); returns
    the amount credited, Σ of floors (≤ amount)."""
    if any(weight < 0 for _, weight in recipients):
        raise ValueError("weights are non-negative")
    total_weight = sum(weight for _, weight in recipients)
    if amount == 0 or total_weight == 0:
        return 0
    delegations = get_delegations_by_node(state)
    credits: dict[bytes, int] = {}
    paid = 0
    for who, weight in recipients:
        reward = amount * weight // total_weight
        if reward == 0:
            continue
        paid += reward
        own_weight = staking.Bonded.get(state, who) + staking.get_lock_bonus(state, who)
        kept, shares = compute_delegation_split(reward, own_weight, delegations.get(who, []),
                                                commission_in_force(state, who, epoch))
        for account, share in [(who, kept), *shares]:
            credits[account] = credits.get(account, 0) + share
    for account in sorted(credits):
        if credits[account]:
            PendingRewards.set(state, account, PendingRewards.get(state, account) + credits[account])
            emit(Rewarded.to_log(ADDRESS_, account, credits[account]))
    TotalDistributed.set(state, TotalDistributed.get(state) + paid)
    return paid


def distribute(state: State, pool: int, recipients: Iterable[tuple[bytes, int]], emit: Emit = _discard,
               commission_epoch: int | None = None) -> int:
    """For task modules: pay the pool's balance out by weight, each recipient's part split with its
    delegators; returns the amount paid (the rounding remainder stays in the pool).

    σ is the commission in force at `commission_epoch` (default: the current epoch). One `Rewarded`
    per account credited, in ascending address order, to `emit` (a call's `env.emit`)."""
    check_pool(pool)
    epoch = randomness.EpochIndex.get(state) if commission_epoch is None else commission_epoch
    paid = _credit(state, PoolBalance.get(state, pool), list(recipients), epoch, emit)
    PoolBalance.set(state, pool, PoolBalance.get(state, pool) - paid)
    return paid


def pay_from(state: State, source: bytes, amount: int, recipients: Iterable[tuple[bytes, int]],
             emit: Emit = _discard) -> int:
    """For task modules that keep their own reward accounts: pay up to `amount` of `source`'s usable
    balance by weight, exactly as `distribute` pays a pool (it passes through no pool: inflow and
    distribution both grow by the amount paid). Returns the amount paid; the floors stay with `source`."""
    paid = _credit(state, amount, list(recipients), randomness.EpochIndex.get(state), emit)
    if paid:
        balances.transfer(state, source, ADDRESS_, paid)
        TotalPoolInflow.set(state, TotalPoolInflow.get(state) + paid)
    return paid


def withdraw_pool(state: State, pool: int, amount: int, dest: bytes) -> None:
    """For a task module that manages a pool: move `amount` of it to `dest` (e.g. a task's reward
    account, which pays it out later with `pay_from`)."""
    check_pool(pool)
    balance = PoolBalance.get(state, pool)
    assert 0 <= amount <= balance, "a pool pays out no more than it holds"
    PoolBalance.set(state, pool, balance - amount)
    TotalPoolWithdrawn.set(state, TotalPoolWithdrawn.get(state) + amount)
    balances.transfer(state, ADDRESS_, dest, amount)


def set_task_stakes(state: State, pool: int, stakes: list[int]) -> None:
    """For task modules: the pool follows the stake of their earning tasks; with none, it is released."""
    if stakes:
        set_pool_stake(state, pool, sum(stakes))
    else:
        release_pool(state, pool)


def share_pool(state: State, pool: int, accounts: list[tuple[bytes, int]]) -> None:
    """For task modules: the pool's balance to each task account by its stake, floored; the remainder stays."""
    total = sum(stake for _, stake in accounts)
    available = PoolBalance.get(state, pool)
    for account, stake in accounts:
        share = available * stake // total if total else 0
        if share:
            withdraw_pool(state, pool, share, account)


def release_pool(state: State, pool: int) -> None:
    """A task module gives the pool back: its stake is the default again and the epoch boundary pays it."""
    check_pool(pool)
    PoolStake.remove(state, pool)


# The epoch boundary

def process_epoch(state: State, env: BlockEnv, epoch: int, emit: Emit = _discard) -> None:
    """Mint the emission since the last one (within the cap), pay the fee, fill the pools, and pay out
    the pools no task module has taken over. σ is the one in force in the epoch being paid out."""
    paid_epoch, start = LastEpoch.get(state), ClockStart.get(state)
    scheduled = compute_emission(state, LastEmissionTime.get(state) - start, env.timestamp - start)
    room = max(balances.SupplyCap.get(state) - balances.TotalIssuance.get(state), 0)
    minted = min(scheduled, room)
    fee = minted * ProtocolFeePerMillion.get(state) // PER_MILLION
    if minted:
        balances.mint(state, ADDRESS_, minted)
    if fee:
        treasury.deposit_from(state, ADDRESS_, fee)
    market = (minted - fee) * MarketplacePerMillion.get(state) // PER_MILLION
    shares = compute_pool_split(minted - fee - market, get_pool_stake(state, FL_ALLIANCE),
                                get_pool_stake(state, AI_ARENA))
    for pool, share in zip(ALL_POOLS, shares + (market,)):
        if share:
            credit_pool(state, pool, share)
    TotalEmitted.set(state, TotalEmitted.get(state) + minted)
    LastEmissionTime.set(state, env.timestamp)
    EmissionOf.set(state, epoch, Emission(minted, fee))
    emit(Emitted.to_log(ADDRESS_, epoch, minted, fee))
    for pool in POOLS:
        if PoolBalance.get(state, pool) and not is_pool_managed(state, pool):
            distribute(state, pool, get_default_recipients(state), emit, commission_epoch=paid_epoch)
    LastEpoch.set(state, epoch)


def on_initialize(state: State, env: BlockEnv) -> None:
    """Runs after randomness's hook, so EpochIndex is already this block's epoch."""
    epoch = randomness.EpochIndex.get(state)
    if ClockStart.get(state) is None:
        ClockStart.set(state, env.timestamp)
        LastEmissionTime.set(state, env.timestamp)
        LastEpoch.set(state, epoch)
    elif epoch != LastEpoch.get(state):
        process_epoch(state, env, epoch)


# Calls and views

def call_claim(state: State, env: CallEnv) -> tuple:
    """Pay the sender's pending rewards. The balances `Transfer` from this module keeps ERC-20
    indexers' view of free balances right, as gmflock's unlock does."""
    amount = PendingRewards.get(state, env.sender)
    if amount == 0:
        fail(NothingToClaim)
    PendingRewards.set(state, env.sender, 0)
    TotalClaimed.set(state, TotalClaimed.get(state) + amount)
    balances.transfer(state, ADDRESS_, env.sender, amount)
    env.emit(balances.Transfer.to_log(balances.ADDRESS_, ADDRESS_, env.sender, amount))
    env.emit(Claimed.to_log(ADDRESS_, env.sender, amount))
    return ()


def view_pool_balance(state: State, pool: int) -> tuple:
    check_pool(pool)
    return (PoolBalance.get(state, pool),)


def view_emission_of(state: State, epoch: int) -> tuple:
    emission = EmissionOf.get(state, epoch) or Emission(0, 0)
    return emission.amount, emission.protocol_fee


# Genesis and invariants

GENESIS_PARAMETERS = (("dailyEmission", DailyEmission), ("decayPerMillion", DecayPerMillion),
                      ("decayPeriodDays", DecayPeriodDays), ("secondsPerDay", SecondsPerDay),
                      ("protocolFeePerMillion", ProtocolFeePerMillion))


def check_parameters(state: State) -> None:
    assert SecondsPerDay.get(state) >= 1 and DecayPeriodDays.get(state) >= 1, "days and periods are not empty"
    assert DecayPerMillion.get(state) <= PER_MILLION and ProtocolFeePerMillion.get(state) <= PER_MILLION
    assert MarketplacePerMillion.get(state) <= PER_MILLION


def genesis(state: State, config: dict) -> None:
    """config (all optional): dailyEmission (wei), decayPerMillion (≤ 10^6), decayPeriodDays (≥ 1),
    secondsPerDay (≥ 1; a dev chain may shorten days), protocolFeePerMillion (≤ 10^6)."""
    values = {key: int(config.get(key, item.default)) for key, item in GENESIS_PARAMETERS}
    if (values["secondsPerDay"] < 1 or values["decayPeriodDays"] < 1 or values["dailyEmission"] < 0
            or not 0 <= values["decayPerMillion"] <= PER_MILLION
            or not 0 <= values["protocolFeePerMillion"] <= PER_MILLION):
        raise ValueError("rewards: need secondsPerDay ≥ 1, decayPeriodDays ≥ 1, dailyEmission ≥ 0, "
                         "0 ≤ decayPerMillion ≤ 1,000,000, 0 ≤ protocolFeePerMillion ≤ 1,000,000")
    for key, item in GENESIS_PARAMETERS:
        item.set(state, values[key])


def check_invariants(state: State) -> None:
    check_parameters(state)
    pools = dict(PoolBalance.items(state))
    assert set(pools) <= set(ALL_POOLS) and set(dict(PoolStake.items(state))) <= set(POOLS), "only the three pools"
    pending = sum(amount for _, amount in PendingRewards.items(state))
    account = balances.get_account(state, ADDRESS_)
    assert account.reserved == 0 and account.free >= pending + sum(pools.values()), \
        "this module's balance covers Σ pending + Σ pools (equal unless someone sent FLOCK here)"
    assert TotalDistributed.get(state) == pending + TotalClaimed.get(state), \
        "every share credited (delegators' and nodes' alike) adds up to what left the pools"
    assert TotalPoolInflow.get(state) == sum(pools.values()) + TotalDistributed.get(state) + \
        TotalPoolWithdrawn.get(state), "what entered the pools is in them, was distributed or withdrawn"
    emissions = [emission for _, emission in EmissionOf.items(state)]
    assert sum(e.amount for e in emissions) == TotalEmitted.get(state)
    assert all(e.protocol_fee <= e.amount for e in emissions)
    assert TotalPoolInflow.get(state) >= sum(e.amount - e.protocol_fee for e in emissions), \
        "emission less fees is pooled"
    start = ClockStart.get(state)
    if start is None:
        assert TotalEmitted.get(state) == 0 and not emissions, "nothing is emitted before the clock starts"
        return
    assert LastEmissionTime.get(state) >= start
    assert LastEpoch.get(state) == randomness.EpochIndex.get(state), "every epoch with a block is processed"
    assert TotalEmitted.get(state) <= compute_schedule(state, LastEmissionTime.get(state) - start), \
        "emission never exceeds the schedule for the elapsed time"
    assert TotalEmitted.get(state) <= balances.SupplyCap.get(state), "nor the supply cap"


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    calls=(CallDecl("claim()", call_claim, weight=20_000),),
    views=(
        ViewDecl("pendingRewards(address account)", lambda state, who: (PendingRewards.get(state, who),),
                 ("uint256",)),
        ViewDecl("emissionRate()", lambda state: (get_daily_now(state),), ("uint256",)),
        ViewDecl("poolBalance(uint8 pool)", view_pool_balance, ("uint256",)),
        ViewDecl("poolStake(uint8 pool)", lambda state, pool: (get_pool_stake(state, pool),), ("uint256",)),
        ViewDecl("totalEmitted()", lambda state: (TotalEmitted.get(state),), ("uint256",)),
        ViewDecl("emissionOf(uint64 epoch)", view_emission_of, ("uint256", "uint256")),
        ViewDecl("clockStart()", lambda state: (ClockStart.get(state) or 0,), ("uint64",)),
        ViewDecl("lastEmissionTime()", lambda state: (LastEmissionTime.get(state),), ("uint64",)),
    ),
    parameters={"DailyEmission": Parameter(DailyEmission), "DecayPerMillion": Parameter(DecayPerMillion),
                "DecayPeriodDays": Parameter(DecayPeriodDays), "SecondsPerDay": Parameter(SecondsPerDay),
                "ProtocolFeePerMillion": Parameter(ProtocolFeePerMillion, 0, PER_MILLION),
                "MarketplacePerMillion": Parameter(MarketplacePerMillion, 0, PER_MILLION)},
    authorize=system.ensure_root,
    raises=(system.NotRoot,),
    on_initialize=on_initialize,
    genesis=genesis,
    check_invariants=check_invariants,
)
