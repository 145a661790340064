"""rewards: exact emission at the schedule's boundaries, the cap, pools, node → delegator splits,
claims, and random sequences of staking calls, claims, epochs and time jumps with every invariant."""

import copy
from fractions import Fraction

from eth_abi import decode as abi_decode
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.module import BlockEnv, Log
from runtime.modules import balances, gmflock, randomness, rewards, staking, system, treasury
from runtime.state import MemoryBackend, State
from runtime.transactions import decode_transaction

from .harness import ACCOUNTS, SPEC, MemoryChain, call_data, transfer

UNIT = balances.UNIT
DAY = 86_400
D0 = 1_074 * UNIT
EPOCH = 100
NODE, VALIDATOR = staking.TRAINING_NODE, staking.VALIDATOR
T0 = 1_000


def after_market(net: int) -> int:
    """What the task pools share of an emission's `net` once the Marketplace pool has its share (floored)."""
    return net - net * rewards.MarketplacePerMillion.default // 1_000_000


def address(i: int) -> bytes:
    return ACCOUNTS[i].address


class Caller:
    """Sends module calls from dev accounts, one block per batch, and checks every module's invariants."""

    def __init__(self, chain: MemoryChain):
        self.chain = chain

    def block(self, *calls, slot=None, timestamp=None, allow_unaffordable=False):
        raws, pending = [], {}
        for sender, module, name, args, value in calls:
            nonce = system.get_nonce(self.chain.state(), address(sender)) + pending.get(sender, 0)
            pending[sender] = pending.get(sender, 0) + 1
            raws.append(transfer(sender, nonce, module.ADDRESS_, value, gas=200_000,
                                 data=call_data(module.MODULE, name, *args)))
        outcome, rejected = self.chain.author([decode_transaction(r) for r in raws], slot=slot, timestamp=timestamp)
        assert all(allow_unaffordable and error.reason in ("InsufficientFunds", "NonceTooHigh")
                   for _, error in rejected), rejected
        self.chain.check_invariants()
        return outcome.applied

    def call(self, sender, module, name, *args, value=0, slot=None, timestamp=None):
        (applied,) = self.block((sender, module, name, args, value), slot=slot, timestamp=timestamp)
        return applied

    def next_epoch(self, seconds: int, *calls):
        """A block at the first slot of the next epoch, `seconds` after the head."""
        return self.next_epoch_at(self.chain.head.timestamp + seconds, *calls)

    def next_epoch_at(self, timestamp: int, *calls):
        """A block at the first slot of the next epoch, at `timestamp`."""
        slot = (self.chain.head.slot // EPOCH + 1) * EPOCH
        return self.block(*calls, slot=slot, timestamp=timestamp)


def started_chain(spec=SPEC) -> tuple[MemoryChain, Caller]:
    """A chain whose first block (slot 1, timestamp T0) has started the emission clock."""
    chain = MemoryChain(spec)
    caller = Caller(chain)
    caller.block(slot=1, timestamp=T0)
    return chain, caller


def spec_with(**runtime_overrides) -> dict:
    spec = copy.deepcopy(SPEC)
    for module, config in runtime_overrides.items():
        spec["genesis"]["runtime"].setdefault(module, {}).update(config)
    return spec


def emitted(chain) -> int:
    return rewards.TotalEmitted.get(chain.state())


def pending(chain, i) -> int:
    return rewards.PendingRewards.get(chain.state(), address(i))


# The schedule

def test_first_block_starts_the_clock_and_mints_nothing():
    chain = MemoryChain()
    assert rewards.ClockStart.get(chain.state()) is None
    issuance = balances.TotalIssuance.get(chain.state())
    Caller(chain).block(slot=150, timestamp=T0)
    state = chain.state()
    assert rewards.ClockStart.get(state) == T0 and rewards.LastEmissionTime.get(state) == T0
    assert rewards.LastEpoch.get(state) == 1 and rewards.TotalEmitted.get(state) == 0
    assert balances.TotalIssuance.get(state) == issuance


def test_first_epoch_emits_one_day_exactly_with_the_fee_to_the_treasury():
    chain, caller = started_chain()
    issuance, fund = balances.TotalIssuance.get(chain.state()), treasury.get_balance(chain.state())
    caller.block(slot=99, timestamp=T0 + DAY)
    assert emitted(chain) == 0, "no emission inside an epoch"
    caller.next_epoch(0)
    state = chain.state()
    fee = D0 * 50_000 // 1_000_000
    assert rewards.TotalEmitted.get(state) == D0 and rewards.EmissionOf.get(state, 1) == rewards.Emission(D0, fee)
    assert fee == 537 * UNIT // 10
    assert balances.TotalIssuance.get(state) == issuance + D0
    assert treasury.get_balance(state) == fund + fee
    assert rewards.PoolBalance.get(state, rewards.MARKETPLACE) == (D0 - fee) // 10, "10% to the Marketplace"
    assert rewards.PoolBalance.get(state, rewards.FL_ALLIANCE) == after_market(D0 - fee), "no stakers: the pool keeps it"
    assert balances.free_balance(state, rewards.ADDRESS_) == D0 - fee
    caller.next_epoch(1)
    assert emitted(chain) == D0 + D0 // DAY, "one second: 1,074 FLOCK // 86,400, floored"
    assert D0 // DAY == 12_430_555_555_555_555


def test_period_boundaries_at_day_30_and_60_split_the_emission():
    chain, caller = started_chain()
    d1, d2 = D0 * 9 // 10, D0 * 81 // 100
    assert (d1, d2) == (966_600_000_000_000_000_000, 869_940_000_000_000_000_000)
    caller.next_epoch_at(T0 + 29 * DAY + DAY // 2)
    assert emitted(chain) == D0 * 59 // 2
    view = caller.call(0, rewards, "emissionRate")
    assert abi_decode(["uint256"], view.return_data) == (D0,)
    caller.next_epoch_at(T0 + 30 * DAY + DAY // 2)
    assert emitted(chain) == D0 * 59 // 2 + (D0 + d1) // 2, "half a day at D0, half at D1"
    view = caller.call(0, rewards, "emissionRate")
    assert abi_decode(["uint256"], view.return_data) == (d1,)
    caller.next_epoch_at(T0 + 60 * DAY + 3_600)
    total = D0 * 30 + d1 * 30 + d2 * 3_600 // DAY
    assert emitted(chain) == total
    assert rewards.compute_schedule(chain.state(), 60 * DAY + 3_600) == total
    assert rewards.get_daily_now(chain.state()) == d2


def test_a_jump_over_several_periods_integrates_each_period():
    chain, caller = started_chain()
    caller.next_epoch(100 * DAY + 7)
    daily = [D0 * 9**k // 10**k for k in range(4)]
    expected = sum(d * 30 for d in daily[:3]) + daily[3] * (10 * DAY + 7) // DAY
    assert emitted(chain) == expected == rewards.compute_schedule(chain.state(), 100 * DAY + 7)


def test_schedule_rounding_is_below_one_wei_per_piece():
    state = MemoryChain().state()
    for start, end in [(0, 1), (17, 30 * DAY + 13), (29 * DAY, 95 * DAY + 1), (5, 400 * DAY)]:
        exact = Fraction(0)
        pieces = 0
        t = start
        while t < end:
            k = t // (30 * DAY)
            piece_end = min(end, (k + 1) * 30 * DAY)
            exact += Fraction(D0 * 9**k, 10**k) * (piece_end - t) / DAY
            pieces += 1
            t = piece_end
        got = rewards.compute_emission(state, start, end)
        assert exact - pieces < got <= exact


def test_emission_stops_exactly_at_the_supply_cap():
    genesis_issuance = MemoryChain().state()
    issuance = balances.TotalIssuance.get(genesis_issuance)
    chain, caller = started_chain(spec_with(balances={"supplyCap": str(issuance + 100 * UNIT)}))
    caller.next_epoch(DAY)
    state = chain.state()
    assert rewards.EmissionOf.get(state, 1) == rewards.Emission(100 * UNIT, 5 * UNIT), "mints only what the cap leaves"
    assert balances.TotalIssuance.get(state) == balances.SupplyCap.get(state)
    caller.next_epoch(DAY)
    assert rewards.EmissionOf.get(chain.state(), 2) == rewards.Emission(0, 0) and emitted(chain) == 100 * UNIT
    burned = caller.call(0, balances, "transfer", address(1), 1).gas_used * chain.head.base_fee_per_gas
    caller.next_epoch(DAY)
    assert rewards.EmissionOf.get(chain.state(), 3).amount == burned, "burned fees make room again, no more"
    assert balances.TotalIssuance.get(chain.state()) == balances.SupplyCap.get(chain.state())


def test_genesis_overrides_shorten_days_and_change_the_schedule():
    spec = spec_with(rewards={"secondsPerDay": 10, "decayPeriodDays": 2, "dailyEmission": str(1_000 * UNIT),
                              "decayPerMillion": 500_000, "protocolFeePerMillion": 0})
    chain, caller = started_chain(spec)
    caller.next_epoch(25)
    assert emitted(chain) == 1_000 * UNIT * 2 + 500 * UNIT // 2, "two days at 1,000 then half a day at 500"
    assert rewards.EmissionOf.get(chain.state(), 1).protocol_fee == 0
    for bad in ({"secondsPerDay": 0}, {"decayPerMillion": 1_000_001}, {"protocolFeePerMillion": 2_000_000},
                {"decayPeriodDays": 0}):
        try:
            MemoryChain(spec_with(rewards=bad))
        except ValueError:
            continue
        raise AssertionError(f"genesis accepted {bad}")


def test_no_decay_integrates_whole_periods_in_one_step():
    chain, caller = started_chain(spec_with(rewards={"decayPerMillion": 1_000_000, "secondsPerDay": 1,
                                                     "dailyEmission": 1_000}))
    caller.next_epoch(2**40 + 3)
    assert emitted(chain) == 1_000 * (2**40 + 3)


def test_a_decayed_out_schedule_emits_nothing_more():
    chain, caller = started_chain(spec_with(rewards={"secondsPerDay": 1, "decayPeriodDays": 1}))
    caller.next_epoch(2**62)
    total = emitted(chain)
    daily = [D0]
    while daily[-1]:
        daily.append(daily[-1] * 9 // 10)
    assert len(daily) < 500 and total == sum(daily) == rewards.compute_schedule(chain.state(), 10**6)
    caller.next_epoch(10**6)
    assert emitted(chain) == total


# Pools and payouts

def split_for(reward, own, delegations, sigma):
    kept, shares = rewards.compute_delegation_split(reward, own, delegations, sigma)
    assert kept + sum(s for _, s in shares) == reward, "delegators' shares and the node's part add up"
    delegated = sum(d for _, d in delegations)
    for (_, share), (_, d) in zip(shares, delegations):
        exact = Fraction(reward * (1_000_000 - sigma) * d, 1_000_000 * (own + delegated))
        assert exact - 1 < share <= exact
    return kept, shares


def test_delegation_split_follows_the_reference_formula():
    r = 10**21 + 7
    kept, shares = split_for(r, 3_000 * UNIT, [(b"a" * 20, 1_000 * UNIT), (b"b" * 20, 500 * UNIT)], 180_000)
    assert [s for _, s in shares] == [r * 820_000 * d // (1_000_000 * 4_500) for d in (1_000, 500)]
    assert split_for(r, 3_000 * UNIT, [], 180_000) == (r, [])
    kept, shares = split_for(r, 0, [(b"a" * 20, UNIT)], 0)
    assert kept == 0 and shares == [(b"a" * 20, r)], "no own stake, no commission: all to the delegator"
    assert split_for(r, UNIT, [(b"a" * 20, UNIT)], 1_000_000)[0] == r, "100% commission keeps it all"


def test_epoch_payout_to_stakers_by_exposure_and_to_delegators_by_commission():
    chain, caller = started_chain()
    caller.block((0, staking, "bond", (NODE,), 3_000 * UNIT), (1, staking, "bond", (VALIDATOR,), 5_000 * UNIT),
                 (2, staking, "delegate", (address(0),), 1_000 * UNIT),
                 (3, staking, "delegate", (address(0),), 500 * UNIT))
    caller.next_epoch_at(T0 + DAY)
    net = after_market(D0 - D0 // 20)
    node_reward, validator_reward = net * 4_500 // 9_500, net * 5_000 // 9_500
    kept, shares = split_for(node_reward, 3_000 * UNIT, sorted([(address(2), 1_000 * UNIT), (address(3), 500 * UNIT)]),
                             180_000)
    assert pending(chain, 1) == validator_reward
    assert pending(chain, 0) == kept
    assert {address(2): pending(chain, 2), address(3): pending(chain, 3)} == dict(shares)
    assert rewards.PoolBalance.get(chain.state(), 0) == net - node_reward - validator_reward < 2


def test_the_commission_of_the_epoch_paid_out_applies_not_a_change_made_in_it():
    chain, caller = started_chain()
    caller.block((0, staking, "bond", (NODE,), 3_000 * UNIT), (2, staking, "delegate", (address(0),), 3_000 * UNIT))
    caller.call(0, staking, "setCommission", 1_000_000)
    caller.next_epoch_at(T0 + DAY)
    assert staking.get_commission(chain.state(), address(0)) == 1_000_000
    net = after_market(D0 - D0 // 20)
    assert pending(chain, 2) == net * 820_000 * 3_000 // (1_000_000 * 6_000), "epoch 0 was paid at 18%"
    before = pending(chain, 2)
    caller.next_epoch(DAY)
    assert pending(chain, 2) == before, "epoch 1 is paid at the 100% in force during it"


def test_claim_pays_pending_rewards_with_events():
    chain, caller = started_chain()
    caller.block((1, staking, "bond", (VALIDATOR,), 3_000 * UNIT))
    nothing = caller.call(1, rewards, "claim")
    assert nothing.receipt.status == 0 and nothing.revert_data == rewards.NothingToClaim.encode()
    caller.next_epoch_at(T0 + DAY)
    owed = pending(chain, 1)
    assert owed == after_market(D0 - D0 // 20)
    view = caller.call(2, rewards, "pendingRewards", address(1))
    assert abi_decode(["uint256"], view.return_data) == (owed,)
    free = balances.free_balance(chain.state(), address(1))
    claim = caller.call(1, rewards, "claim")
    assert claim.receipt.status == 1
    fee = claim.gas_used * claim.effective_gas_price
    assert balances.free_balance(chain.state(), address(1)) == free + owed - fee
    assert pending(chain, 1) == 0 and rewards.TotalClaimed.get(chain.state()) == owed
    transfer_log, claimed_log = claim.receipt.logs
    assert transfer_log == balances.Transfer.to_log(balances.ADDRESS_, rewards.ADDRESS_, address(1), owed)
    assert claimed_log == rewards.Claimed.to_log(rewards.ADDRESS_, address(1), owed)
    assert caller.call(1, rewards, "claim").revert_data == rewards.NothingToClaim.encode()


def test_views_answer_through_the_abi():
    chain, caller = started_chain()
    caller.next_epoch(DAY)
    decode = lambda applied, types: abi_decode(types, applied.return_data)  # noqa: E731
    assert decode(caller.call(0, rewards, "totalEmitted"), ["uint256"]) == (D0,)
    assert decode(caller.call(0, rewards, "emissionOf", 1), ["uint256", "uint256"]) == (D0, D0 // 20)
    assert decode(caller.call(0, rewards, "emissionOf", 7), ["uint256", "uint256"]) == (0, 0)
    assert decode(caller.call(0, rewards, "poolBalance", 0), ["uint256"]) == (after_market(D0 - D0 // 20),)
    assert decode(caller.call(0, rewards, "poolBalance", 2), ["uint256"]) == ((D0 - D0 // 20) // 10,)
    assert decode(caller.call(0, rewards, "poolStake", 1), ["uint256"]) == (0,)
    assert decode(caller.call(0, rewards, "clockStart"), ["uint64"]) == (T0,)
    unknown = caller.call(0, rewards, "poolBalance", 3)
    assert unknown.receipt.status == 0 and unknown.revert_data == rewards.UnknownPool.encode(3)


def test_pool_stakes_set_by_task_modules_split_the_emission_and_distribute_pays_by_results():
    chain, caller = started_chain()
    caller.block((0, staking, "bond", (NODE,), 3_000 * UNIT), (1, staking, "bond", (VALIDATOR,), 3_000 * UNIT),
                 (2, staking, "delegate", (address(0),), 2_000 * UNIT))
    state = chain.state()
    assert rewards.get_pool_stake(state, 0) == 8_000 * UNIT, "default: both roles' bonds + delegations"
    # Task modules take over both pools (as the FL Alliance and AI Arena modules will), then
    # the next epoch's first block runs: driven here on a state overlay, as the executive would.
    state = State(chain.backend)
    rewards.set_pool_stake(state, rewards.FL_ALLIANCE, 3 * UNIT)
    rewards.set_pool_stake(state, rewards.AI_ARENA, UNIT)
    randomness.EpochIndex.set(state, 1)
    rewards.on_initialize(state, BlockEnv(chain.head.number + 1, T0 + DAY, address(9), b"\0" * 32,
                                          0, 0, slot=EPOCH))
    net = after_market(D0 - D0 // 20)
    fl, arena = net * 3 // 4, net - net * 3 // 4
    assert (rewards.PoolBalance.get(state, 0), rewards.PoolBalance.get(state, 1)) == (fl, arena)
    assert pending(chain, 0) == 0, "a managed pool waits for its module"
    logs: list[Log] = []
    paid = rewards.distribute(state, rewards.FL_ALLIANCE, [(address(0), 2), (address(1), 1), (address(0), 1)],
                              logs.append)
    node = fl * 2 // 4 + fl // 4
    assert paid == node + fl // 4
    kept, shares = split_for(fl * 2 // 4, 3_000 * UNIT, [(address(2), 2_000 * UNIT)], 180_000)
    kept2, shares2 = split_for(fl // 4, 3_000 * UNIT, [(address(2), 2_000 * UNIT)], 180_000)
    credits = {address(0): kept + kept2, address(1): fl // 4, address(2): shares[0][1] + shares2[0][1]}
    assert logs == [rewards.Rewarded.to_log(rewards.ADDRESS_, who, credits[who]) for who in sorted(credits)], \
        "one Rewarded per account, in address order"
    assert {who: rewards.PendingRewards.get(state, who) for who in credits} == credits
    assert rewards.PoolBalance.get(state, 0) == fl - paid
    assert rewards.distribute(state, rewards.AI_ARENA, []) == 0
    for module in (balances.MODULE, staking.MODULE, rewards.MODULE):
        module.check_invariants(state)


def test_commission_in_force_agrees_with_staking():
    chain, caller = started_chain()
    caller.call(0, staking, "bond", NODE, value=3_000 * UNIT)
    for per_million in (5, 77_000):
        caller.call(0, staking, "setCommission", per_million)
        for _ in range(2):
            state = chain.state()
            epoch = randomness.EpochIndex.get(state)
            assert rewards.commission_in_force(state, address(0), epoch) == staking.get_commission(state, address(0))
            caller.next_epoch(1)


# Random sequences

operations = st.tuples(
    st.integers(0, 4),
    st.sampled_from(["bond", "bondExtra", "unbond", "withdrawUnbonded", "delegate", "undelegate", "setCommission",
                     "claim", "claim", "lock"]),
    st.integers(0, 4),
    st.sampled_from([0, 2 * UNIT, 500 * UNIT, 3_000 * UNIT, 4_000 * UNIT]),
    st.sampled_from([0, 150_000, 1_000_000]),
)


def arguments(name, target, amount, per_million):
    if name == "claim":
        return rewards, (), 0
    if name == "lock":
        return gmflock, (1 + per_million % 365,), amount
    return staking, *{"bond": ((target % 2,), amount), "bondExtra": ((), amount), "unbond": ((amount,), 0),
                      "withdrawUnbonded": ((), 0), "delegate": ((address(target),), amount),
                      "undelegate": ((address(target), amount), 0), "setCommission": ((per_million,), 0)}[name]


def lock_bonus(state: State, who: bytes, own: int) -> int:
    """staking.md's bonus, recomputed from the account's live gmFLOCK lock records."""
    live = [gmflock.Lock.get(state, who + gmflock.u64(i)) for i in range(gmflock.LockCount.get(state, who))]
    live = [lock for lock in live if not lock.unlocked]
    locked, gm = sum(lock.amount for lock in live), sum(lock.gm_amount for lock in live)
    return (gm - locked) * min(own, locked) // locked if locked else 0


def stakers_and_delegations(state: State) -> tuple[list, dict]:
    """From the parent's state: [(staker, own weight, delegated)] — own weight = bonded + lock bonus — and
    node → [(delegator, amount)]."""
    stakers = [(who, own + lock_bonus(state, who, own), staking.DelegatedTo.get(state, who))
               for who, own in staking.Bonded.items(state)]
    delegations: dict[bytes, list] = {}
    for key, amount in staking.Delegation.items(state):
        delegations.setdefault(key[20:], []).append((key[:20], amount))
    return stakers, delegations


def exact_emission(start: int, end: int) -> Fraction:
    exact, t = Fraction(0), start
    while t < end:
        k = t // (30 * DAY)
        piece_end = min(end, (k + 1) * 30 * DAY)
        exact += Fraction(D0 * 9**k, 10**k) * (piece_end - t) / DAY
        t = piece_end
    return exact


@settings(max_examples=40)
@given(st.lists(st.tuples(st.lists(operations, max_size=5), st.integers(1, 250),
                          st.sampled_from([0, 1, 3_600, DAY, 29 * DAY, 31 * DAY])), min_size=1, max_size=7))
def test_random_staking_claims_and_epochs_keep_every_invariant(blocks):
    chain, caller = started_chain()
    caller.block((0, staking, "bond", (NODE,), 3_000 * UNIT), (1, staking, "bond", (VALIDATOR,), 3_000 * UNIT),
                 (4, staking, "bond", (NODE,), 4_000 * UNIT), (2, staking, "delegate", (address(0),), 500 * UNIT),
                 (3, staking, "delegate", (address(4),), 1_000 * UNIT),
                 (2, staking, "delegate", (address(4),), 2 * UNIT))
    for block_ops, slot_gap, seconds in blocks:
        parent = State(MemoryBackend(dict(chain.backend.items)))  # a copy: the chain's backend moves on
        crosses = (chain.head.slot + slot_gap) // EPOCH > randomness.EpochIndex.get(parent)
        issuance, total, last = (balances.TotalIssuance.get(parent), rewards.TotalEmitted.get(parent),
                                 rewards.LastEmissionTime.get(parent))
        pool, paid_epoch = rewards.PoolBalance.get(parent, 0), rewards.LastEpoch.get(parent)
        stakers, delegations = stakers_and_delegations(parent)
        pending_before = {who: amount for who, amount in rewards.PendingRewards.items(parent)}
        calls = []
        for sender, name, target, amount, per_million in block_ops:
            module, args, value = arguments(name, target, amount, per_million)
            calls.append((sender, module, name, args, value))
        applied = caller.block(*calls, slot=chain.head.slot + slot_gap, timestamp=chain.head.timestamp + seconds,
                               allow_unaffordable=True)
        state = chain.state()
        for a in applied:
            module = chain.runtime.by_address[a.transaction.to]
            assert a.receipt.status == 1 or a.revert_data[:4] in {e.selector for e in module.errors}

        minted = rewards.TotalEmitted.get(state) - total
        burned = sum(a.gas_used * chain.head.base_fee_per_gas for a in applied)
        assert balances.TotalIssuance.get(state) == issuance + minted - burned, "only the schedule mints"
        start = rewards.ClockStart.get(state)
        assert rewards.TotalEmitted.get(state) <= exact_emission(0, rewards.LastEmissionTime.get(state) - start)
        assert balances.free_balance(state, rewards.ADDRESS_) == \
            sum(a for _, a in rewards.PendingRewards.items(state)) + rewards.PoolBalance.get(state, 0) + \
            rewards.PoolBalance.get(state, 1) + rewards.PoolBalance.get(state, 2), \
                "nobody sent FLOCK here: the account is exactly pools + pending"
        if not crosses:
            assert minted == 0
            continue
        window = exact_emission(last - start, chain.head.timestamp - start)
        assert window - 2 < minted <= window, "the schedule for the elapsed time, within rounding"
        fee = minted * 50_000 // 1_000_000
        distributed = pool + after_market(minted - fee)
        weight = sum(own + delegated for _, own, delegated in stakers)
        credits: dict[bytes, int] = {}
        for who, own, delegated in stakers:
            reward = distributed * (own + delegated) // weight
            sigma = rewards.commission_in_force(parent, who, paid_epoch)
            kept, shares = split_for(reward, own, sorted(delegations.get(who, [])), sigma)
            for account, amount in [(who, kept), *shares]:
                credits[account] = credits.get(account, 0) + amount
        claimed = {a.transaction.sender: int.from_bytes(a.receipt.logs[-1].data, "big") for a in applied
                   if a.transaction.to == rewards.ADDRESS_ and a.receipt.status == 1}
        for who in set(credits) | set(claimed) | set(pending_before):
            got = rewards.PendingRewards.get(state, who) + claimed.get(who, 0) - pending_before.get(who, 0)
            assert got == credits.get(who, 0), "each account is credited its exact share"
        assert 0 <= rewards.PoolBalance.get(state, 0) < max(len(stakers), 1) or not stakers
