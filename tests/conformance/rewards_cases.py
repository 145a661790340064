"""Conformance cases for the rewards module (spec/modules/rewards.md): the schedule at its boundaries,
the supply cap, the payout to stakers and delegators, `claim` and each error."""

from dataclasses import dataclass

from runtime.modules import balances, gmflock, rewards, staking, treasury
from runtime.transactions import decode_transaction
from tests.runtime.harness import ACCOUNTS, module_call
from tests.runtime.test_rewards import after_market

from .cases import CaseBuilder, Vector, signed_by_root

UNIT = balances.UNIT
DAY = 86_400
D0 = 1_074 * UNIT
T0 = 1_000
EPOCH = 100


@dataclass(frozen=True)
class RewardsVector(Vector):
    folder = "rewards"


def call(module, sender: int, nonce: int, name: str, *args, value: int = 0) -> bytes:
    return module_call(sender, nonce, module.MODULE, name, *args, value=value)


def author_at(b: CaseBuilder, slot: int, timestamp: int, *raws: bytes):
    """CaseBuilder.author at a chosen slot and block timestamp (emission is block time)."""
    outcome, rejected = b.chain.author([decode_transaction(raw) for raw in raws], slot=slot, timestamp=timestamp)
    assert not rejected, rejected
    b.blocks.append(outcome.block.encode())
    b.receipts.append(tuple(a.receipt.encode() for a in outcome.applied))
    return outcome


def expect(outcome, *errors_or_none):
    got = [(a.receipt.status, a.revert_data) for a in outcome.applied]
    want = [(1, b"") if e is None else (0, e) for e in errors_or_none]
    assert got == want, (got, want)


def finish(builder: CaseBuilder, name: str, description: str) -> RewardsVector:
    return RewardsVector(**vars(builder.valid(name, description)))


def case_rewards_first_epoch_emission() -> RewardsVector:
    b = CaseBuilder()
    author_at(b, 1, T0)
    state = b.chain.state()
    assert rewards.ClockStart.get(state) == T0 and rewards.TotalEmitted.get(state) == 0
    fund = treasury.get_balance(state)
    author_at(b, EPOCH, T0 + DAY)
    state = b.chain.state()
    assert rewards.EmissionOf.get(state, 1) == rewards.Emission(D0, D0 // 20)
    assert treasury.get_balance(state) == fund + D0 // 20
    assert rewards.PoolBalance.get(state, rewards.FL_ALLIANCE) == after_market(D0 - D0 // 20), \
        "no stakers: the pool keeps it (less the Marketplace share)"
    author_at(b, 2 * EPOCH, T0 + DAY + 1)
    assert rewards.EmissionOf.get(b.chain.state(), 2) == rewards.Emission(D0 // DAY, D0 // DAY // 20)
    return finish(b, "rewards_first_epoch_emission",
                  "the first block starts the clock; a day later 1,074 FLOCK are minted, 5% to the treasury; "
                  "one second later 1,074 FLOCK // 86,400")


def case_rewards_period_boundaries() -> RewardsVector:
    b = CaseBuilder()
    author_at(b, 1, T0)
    author_at(b, EPOCH, T0 + 29 * DAY + DAY // 2)
    author_at(b, 2 * EPOCH, T0 + 30 * DAY + DAY // 2)
    author_at(b, 3 * EPOCH, T0 + 60 * DAY + 3_600)
    state = b.chain.state()
    d1, d2 = D0 * 9 // 10, D0 * 81 // 100
    assert rewards.EmissionOf.get(state, 2).amount == (D0 + d1) // 2, "half a day at D0, half at D1"
    assert rewards.TotalEmitted.get(state) == 30 * D0 + 30 * d1 + d2 * 3_600 // DAY
    return finish(b, "rewards_period_boundaries", "emission across the day-30 and day-60 decay boundaries")


def case_rewards_stop_at_the_supply_cap() -> RewardsVector:
    b = CaseBuilder()
    state = b.chain.state()
    cap, issuance = balances.SupplyCap.get(state), balances.TotalIssuance.get(state)
    recipient = b"\x42" * 20
    outcome = author_at(b, 1, T0, signed_by_root(0, recipient, cap - issuance - 100 * UNIT))
    expect(outcome, None)
    room = cap - balances.TotalIssuance.get(b.chain.state())
    author_at(b, EPOCH, T0 + DAY)
    state = b.chain.state()
    assert rewards.EmissionOf.get(state, 1) == rewards.Emission(room, room // 20) and balances.TotalIssuance.get(state) == cap
    author_at(b, 2 * EPOCH, T0 + 2 * DAY)
    assert rewards.EmissionOf.get(b.chain.state(), 2) == rewards.Emission(0, 0)
    return finish(b, "rewards_stop_at_the_supply_cap", "emission mints only what SupplyCap leaves, then nothing")


def case_rewards_payout_and_claim() -> RewardsVector:
    b = CaseBuilder()
    node, validator = ACCOUNTS[0].address, ACCOUNTS[1].address
    expect(author_at(b, 1, T0, call(staking, 0, 0, "bond", 0, value=3_000 * UNIT),
                     call(staking, 1, 0, "bond", 1, value=5_000 * UNIT),
                     call(staking, 2, 0, "delegate", node, value=1_000 * UNIT),
                     call(staking, 3, 0, "delegate", node, value=500 * UNIT),
                     call(staking, 0, 1, "setCommission", 1_000_000),
                     call(rewards, 2, 1, "claim")),
           None, None, None, None, None, rewards.NothingToClaim.encode())
    author_at(b, EPOCH, T0 + DAY)
    state = b.chain.state()
    net = after_market(D0 - D0 // 20)
    node_reward = net * 4_500 // 9_500
    shares = [node_reward * 820_000 * d // (1_000_000 * 4_500) for d in (1_000, 500)]
    assert rewards.PendingRewards.get(state, validator) == net * 5_000 // 9_500
    assert [rewards.PendingRewards.get(state, ACCOUNTS[i].address) for i in (2, 3)] == shares, "at σ = 18%"
    assert rewards.PendingRewards.get(state, node) == node_reward - sum(shares)
    owed = rewards.PendingRewards.get(state, ACCOUNTS[2].address)
    outcome = author_at(b, EPOCH + 1, T0 + DAY + 1, call(rewards, 2, 2, "claim"),
                        call(rewards, 2, 3, "claim"), call(rewards, 4, 0, "poolBalance", 3))
    expect(outcome, None, rewards.NothingToClaim.encode(), rewards.UnknownPool.encode(3))
    assert outcome.applied[0].receipt.logs[-1] == rewards.Claimed.to_log(rewards.ADDRESS_, ACCOUNTS[2].address, owed)
    author_at(b, 2 * EPOCH, T0 + 2 * DAY)
    assert rewards.PendingRewards.get(b.chain.state(), ACCOUNTS[3].address) == shares[1], "epoch 1 is paid at σ = 100%"
    return finish(b, "rewards_payout_and_claim",
                  "stakers paid by exposure, delegators by the commission of the epoch paid out; claim and its errors")


def case_rewards_weigh_gmflock_locks() -> RewardsVector:
    b = CaseBuilder()
    node, validator, capped = (ACCOUNTS[i].address for i in (0, 1, 3))
    expect(author_at(b, 1, T0, call(staking, 0, 0, "bond", 0, value=3_000 * UNIT),
                     call(gmflock, 0, 1, "lock", 365, value=3_000 * UNIT),
                     call(staking, 1, 0, "bond", 1, value=3_000 * UNIT),
                     call(gmflock, 1, 1, "lock", 30, value=3_000 * UNIT),
                     call(staking, 3, 0, "bond", 1, value=3_000 * UNIT),
                     call(gmflock, 3, 1, "lock", 365, value=6_000 * UNIT),
                     call(staking, 2, 0, "delegate", node, value=1_000 * UNIT)),
           *[None] * 7)
    state = b.chain.state()
    bonus = 6_030 * UNIT
    assert [staking.get_weight(state, who) for who in (node, validator, capped)] == \
        [3_000 * UNIT + bonus + 1_000 * UNIT, 3_000 * UNIT, 3_000 * UNIT + bonus], \
        "365 days: 3.01×; 30 days: no bonus; a 6,000 FLOCK lock beside a 3,000 bond: the bonus of 3,000"
    author_at(b, EPOCH, T0 + DAY)
    state = b.chain.state()
    net, total = after_market(D0 - D0 // 20), 22_060
    node_reward = net * 10_030 // total
    share = node_reward * 820_000 * 1_000 // (1_000_000 * 10_030)
    assert rewards.PendingRewards.get(state, ACCOUNTS[2].address) == share, "the delegator's part excludes the bonus"
    assert rewards.PendingRewards.get(state, node) == node_reward - share
    assert rewards.PendingRewards.get(state, validator) == net * 3_000 // total
    assert rewards.PendingRewards.get(state, capped) == net * 9_030 // total
    return finish(b, "rewards_weigh_gmflock_locks",
                  "the epoch split weighs bonded stake plus the gmFLOCK lock bonus (capped at the bonded FLOCK); "
                  "delegators share the node's reward by delegated / (own weight + delegated)")


REWARDS_CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]
