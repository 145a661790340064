"""staking under random call sequences across epochs, and its rules one by one."""

from fractions import Fraction

from eth_abi import decode as abi_decode
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.modules import balances, gmflock, rewards, staking, system
from runtime.transactions import decode_transaction

from .harness import ACCOUNTS, MemoryChain, call_data, module_call, transfer

UNIT = balances.UNIT
STAKING = staking.ADDRESS_
MODULE = staking.MODULE
NODE, VALIDATOR = staking.TRAINING_NODE, staking.VALIDATOR


class Caller:
    """Sends module calls from dev accounts, one block per batch, tracking nonces."""

    def __init__(self, chain: MemoryChain):
        self.chain = chain

    def calls(self, *calls, slot=None, allow_unaffordable=False):
        """Apply the calls in one block; only an unaffordable call (random amounts) may be refused."""
        raws = []
        pending: dict[int, int] = {}
        for sender, name, args, value in calls:
            nonce = system.get_nonce(self.chain.state(), ACCOUNTS[sender].address) + pending.get(sender, 0)
            pending[sender] = pending.get(sender, 0) + 1
            raws.append(transfer(sender, nonce, STAKING, value, gas=200_000, data=call_data(MODULE, name, *args)))
        outcome, rejected = self.chain.author([decode_transaction(r) for r in raws], slot=slot)
        assert all(allow_unaffordable and error.reason in ("InsufficientFunds", "NonceTooHigh")
                   for _, error in rejected), rejected
        self.chain.check_invariants()
        return outcome.applied

    def call(self, sender, name, *args, value=0, slot=None):
        (applied,) = self.calls((sender, name, args, value), slot=slot)
        return applied


def error_of(applied) -> bytes:
    return applied.revert_data[:4]


def address(i: int) -> bytes:
    return ACCOUNTS[i].address


operations = st.tuples(
    st.integers(0, 3),
    st.sampled_from(["bond", "bondExtra", "unbond", "withdrawUnbonded", "delegate", "undelegate", "setCommission"]),
    st.integers(0, 3),
    st.sampled_from([0, UNIT // 2, 2 * UNIT, 1_000 * UNIT, 3_000 * UNIT, 4_000 * UNIT]),
    st.sampled_from([0, 1, 150_000, 1_000_000, 1_000_001]),
)


def arguments(name, target, amount, per_million):
    return {"bond": ((target % 2,), amount), "bondExtra": ((), amount), "unbond": ((amount,), 0),
            "withdrawUnbonded": ((), 0), "delegate": ((address(target),), amount),
            "undelegate": ((address(target), amount), 0), "setCommission": ((per_million,), 0)}[name]


@settings(max_examples=40)
@given(st.lists(st.tuples(st.lists(operations, max_size=5), st.integers(1, 400)), min_size=1, max_size=6))
def test_random_staking_keeps_every_invariant(blocks):
    chain = MemoryChain()
    caller = Caller(chain)
    for block_ops, slot_gap in blocks:
        calls = [(sender, name, *arguments(name, target, amount, pm)) for sender, name, target, amount, pm in block_ops]
        issuance = balances.TotalIssuance.get(chain.state()) - rewards.TotalEmitted.get(chain.state())
        applied = caller.calls(*calls, slot=chain.head.slot + slot_gap, allow_unaffordable=True)
        burned = sum(a.gas_used * chain.head.base_fee_per_gas for a in applied)
        assert balances.TotalIssuance.get(chain.state()) - rewards.TotalEmitted.get(chain.state()) == \
            issuance - burned, "staking never mints or burns (only the emission schedule mints)"
        for a in applied:
            assert a.receipt.status == 1 or a.revert_data[:4] in {e.selector for e in MODULE.errors}


def test_bond_unbond_and_withdraw_after_the_unbonding_period():
    chain = MemoryChain()
    caller = Caller(chain)
    free_before = balances.free_balance(chain.state(), address(0))
    assert caller.call(0, "bond", NODE, value=3_500 * UNIT).receipt.status == 1
    state = chain.state()
    assert staking.get_exposure(state, address(0)) == (3_500 * UNIT, 0)
    assert balances.get_held(state, address(0), staking.HOLD) == 3_500 * UNIT
    assert error_of(caller.call(0, "unbond", 1_000 * UNIT)) == staking.BelowMinimumStake.selector
    unbond = caller.call(0, "unbond", 500 * UNIT)
    assert unbond.receipt.status == 1
    period = staking.UnbondingPeriod.get(chain.state())
    assert error_of(caller.call(0, "withdrawUnbonded")) == staking.NothingToWithdraw.selector
    epoch_length = 100
    caller.call(1, "withdrawUnbonded", slot=(period - 1) * epoch_length + 50)
    assert error_of(caller.call(0, "withdrawUnbonded")) == staking.NothingToWithdraw.selector
    done = caller.call(0, "withdrawUnbonded", slot=period * epoch_length)
    assert done.receipt.status == 1
    state = chain.state()
    assert balances.get_held(state, address(0), staking.HOLD) == 3_000 * UNIT
    fees = sum(a.gas_used * a.effective_gas_price for a in chain_applied(chain))
    assert balances.free_balance(state, address(0)) == free_before - 3_000 * UNIT - fees


def chain_applied(chain: MemoryChain):
    """Every transaction applied so far (from receipts kept by the test chain)."""
    return [a for outcome in chain.outcomes for a in outcome.applied if a.transaction.sender == address(0)]


def test_delegation_and_commission_rules():
    chain = MemoryChain()
    caller = Caller(chain)
    caller.call(0, "bond", NODE, value=3_000 * UNIT)
    caller.call(1, "bond", VALIDATOR, value=3_000 * UNIT)
    assert error_of(caller.call(2, "delegate", address(1), value=10 * UNIT)) == staking.NotATrainingNode.selector
    assert caller.call(2, "delegate", address(0), value=10 * UNIT).receipt.status == 1
    assert staking.get_exposure(chain.state(), address(0)) == (3_000 * UNIT, 10 * UNIT)
    assert error_of(caller.call(2, "undelegate", address(0), 9_500_000_000_000_000_000)) == \
        staking.BelowMinimumStake.selector
    assert caller.call(2, "undelegate", address(0), 10 * UNIT).receipt.status == 1
    assert staking.get_exposure(chain.state(), address(0)) == (3_000 * UNIT, 0)

    assert staking.get_commission(chain.state(), address(0)) == 180_000
    assert error_of(caller.call(0, "setCommission", 1_000_001)) == staking.CommissionTooHigh.selector
    assert caller.call(0, "setCommission", 50_000).receipt.status == 1
    assert staking.get_commission(chain.state(), address(0)) == 180_000, "a change waits for the next epoch"
    assert error_of(caller.call(0, "setCommission", 60_000)) == staking.CommissionCooldownActive.selector
    caller.call(3, "withdrawUnbonded", slot=100)
    assert staking.get_commission(chain.state(), address(0)) == 50_000
    assert caller.call(0, "setCommission", 60_000).receipt.status == 1
    assert error_of(caller.call(1, "setCommission", 1)) == staking.NotATrainingNode.selector


def test_views_answer_through_the_abi():
    chain = MemoryChain()
    caller = Caller(chain)
    caller.call(0, "bond", VALIDATOR, value=3_200 * UNIT)
    view = caller.call(1, "exposureOf", address(0))
    assert abi_decode(["uint256", "uint256"], view.return_data) == (3_200 * UNIT, 0)
    role = caller.call(1, "roleOf", address(0))
    assert abi_decode(["uint8"], role.return_data) == (VALIDATOR,)
    none = caller.call(1, "roleOf", address(3))
    assert abi_decode(["uint8"], none.return_data) == (staking.NO_ROLE,)


# Weight: exposure plus the gmFLOCK lock bonus (spec/modules/staking.md, Weight)

@given(st.integers(0, 10**30), st.integers(0, 10**30), st.integers(0, 10**3))
def test_lock_bonus_is_the_floored_pro_rata_bonus_never_above_the_bonded_part(own, locked, bonus_percent):
    gm = locked + locked * bonus_percent // 100
    bonus = staking.compute_lock_bonus(own, locked, gm)
    if locked == 0:
        assert bonus == 0
        return
    exact = Fraction((gm - locked) * min(own, locked), locked)
    assert exact - 1 < bonus <= exact, "floored once"
    assert bonus <= gm - locked and bonus * locked <= (gm - locked) * own, "no bonus beyond the bonded FLOCK"
    assert staking.compute_lock_bonus(own + 1, locked, gm) >= bonus, "more bond never lowers it"


def block_at(chain: MemoryChain, timestamp: int, *calls):
    """(sender, module, name, args, value) calls in one block at `timestamp`; each must succeed."""
    raws, pending = [], {}
    for sender, module, name, args, value in calls:
        nonce = system.get_nonce(chain.state(), address(sender)) + pending.get(sender, 0)
        pending[sender] = pending.get(sender, 0) + 1
        raws.append(module_call(sender, nonce, module.MODULE, name, *args, value=value))
    outcome, rejected = chain.author([decode_transaction(r) for r in raws], timestamp=timestamp)
    assert not rejected and all(a.receipt.status == 1 for a in outcome.applied), rejected
    chain.check_invariants()
    return outcome.applied


def test_weight_adds_the_lock_bonus_of_bonded_flock_until_the_lock_is_released():
    chain = MemoryChain()
    t = chain.head.timestamp + 1
    block_at(chain, t, (0, gmflock, "lock", (365,), 3_000 * UNIT), (1, staking, "bond", (VALIDATOR,), 3_000 * UNIT),
             (1, gmflock, "lock", (365,), 1_000 * UNIT), (2, staking, "bond", (NODE,), 3_000 * UNIT),
             (2, gmflock, "lock", (30,), 3_000 * UNIT), (3, staking, "bond", (NODE,), 3_000 * UNIT),
             (4, staking, "delegate", (address(3),), 500 * UNIT), (3, gmflock, "lock", (365,), 3_000 * UNIT))
    state = chain.state()
    weights = [staking.get_weight(state, address(i)) for i in range(4)]
    assert weights == [0, 3_000 * UNIT + 2_010 * UNIT, 3_000 * UNIT, 9_030 * UNIT + 500 * UNIT], \
        "no bond: no weight; a lock smaller than the bond: its whole bonus; 30 days: none; delegations: no bonus"
    view = block_at(chain, t + 1, (5, staking, "weightOf", (address(3),), 0))[0]
    assert abi_decode(["uint256", "uint256"], view.return_data) == (9_530 * UNIT, 6_030 * UNIT)
    block_at(chain, t + 365 * 86_400, (3, gmflock, "unlock", (0,), 0))
    assert staking.get_weight(chain.state(), address(3)) == 3_500 * UNIT, "the bonus goes with the lock"
