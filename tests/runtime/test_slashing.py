"""slashing: random sequences of staking, offences, cancellations and epochs; and its rules one by one."""

import copy

from eth_abi import decode as abi_decode
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.composition import RUNTIME
from runtime.executive import Runtime
from runtime.module import CallEnv
from runtime.modules import balances, randomness, slashing, staking, system, treasury
from runtime.state import MemoryBackend, State
from runtime.transactions import decode_transaction

from .harness import ACCOUNTS, AUTHORITY, SPEC, MemoryChain, module_call, root_call

UNIT = balances.UNIT
NODE, VALIDATOR = staking.TRAINING_NODE, staking.VALIDATOR
EPOCH = 100
ROOT = "root"
REPORTERS = (7, 8)
"""Reporters never send transactions here, so their balance changes are slash shares only."""
WITHOUT_EMISSION = Runtime(tuple(m for m in RUNTIME.modules if m.name != "rewards"), RUNTIME.spec_name,
                           RUNTIME.spec_version)
"""The composed runtime less the emission, which mints at epoch boundaries and pays the treasury a fee:
slashing's own accounting (issuance, the reporter's and the treasury's shares) is checked without it,
and every invariant of the whole runtime under the same random sequences (the last test of the section)."""


def new_chain(runtime=WITHOUT_EMISSION) -> MemoryChain:
    return MemoryChain(runtime=runtime)


def address(i) -> bytes:
    return AUTHORITY.address if i == ROOT else ACCOUNTS[i].address


class Caller:
    """Sends calls to staking or slashing from dev accounts or the root, one block per batch."""

    def __init__(self, chain: MemoryChain):
        self.chain = chain

    def block(self, *calls, slot=None, allow_unaffordable=False):
        """calls: (sender, module, name, args, value). Applies them in one block, checks every invariant."""
        raws, pending = [], {}
        for sender, module, name, args, value in calls:
            who = address(sender)
            nonce = system.get_nonce(self.chain.state(), who) + pending.get(who, 0)
            pending[who] = pending.get(who, 0) + 1
            if sender == ROOT:
                raws.append(root_call(nonce, module, name, *args, value=value))
            else:
                raws.append(module_call(sender, nonce, module, name, *args, value=value))
        outcome, rejected = self.chain.author([decode_transaction(r) for r in raws], slot=slot)
        assert all(allow_unaffordable and error.reason in ("InsufficientFunds", "NonceTooHigh")
                   for _, error in rejected), rejected
        self.chain.check_invariants()
        return outcome.applied

    def call(self, sender, module, name, *args, value=0, slot=None):
        (applied,) = self.block((sender, module, name, args, value), slot=slot)
        return applied

    def stake(self, sender, name, *args, value=0, slot=None):
        return self.call(sender, staking.MODULE, name, *args, value=value, slot=slot)

    def root(self, name, *args, slot=None):
        return self.call(ROOT, slashing.MODULE, name, *args, slot=slot)

    def epoch(self, epoch: int):
        """Author an empty block in the first slot of `epoch`."""
        self.chain.author([], slot=epoch * EPOCH)
        self.chain.check_invariants()


def reported_id(applied) -> int:
    assert applied.receipt.status == 1, applied.revert_data
    return abi_decode(["uint256"], applied.return_data)[0]


def error_of(applied) -> bytes:
    return applied.revert_data[:4]


def record(chain, slash_id) -> slashing.SlashRecord:
    return slashing.get_slash(chain.state(), slash_id)


# Random sequences through real blocks

operations = st.tuples(
    st.integers(0, 3),
    st.sampled_from(["bond", "bondExtra", "unbond", "withdrawUnbonded", "delegate", "undelegate", "report", "report",
                     "report", "cancel"]),
    st.integers(0, 3),
    st.sampled_from([0, UNIT // 2, 2 * UNIT, 300 * UNIT, 1_000 * UNIT, 3_000 * UNIT, 3_100 * UNIT]),
    st.integers(0, 5),
)


PRELUDE = ((0, staking.MODULE, "bond", (NODE,), 4_000 * UNIT), (1, staking.MODULE, "bond", (VALIDATOR,), 3_500 * UNIT),
           (2, staking.MODULE, "delegate", (ACCOUNTS[0].address,), 1_000 * UNIT),
           (3, staking.MODULE, "delegate", (ACCOUNTS[0].address,), 500 * UNIT))
"""Every sequence starts with a node, a validator and two delegators, so reports find stake."""


def to_call(sender, name, target, amount, pick, slash_count):
    if name == "report":
        return ROOT, slashing.MODULE, "reportOffence", (pick % 5, address(target), address(REPORTERS[pick % 2])), 0
    if name == "cancel":
        return ROOT, slashing.MODULE, "cancelSlash", (max(slash_count - 1 - pick, 0),), 0
    args, value = {"bond": ((target % 2,), amount), "bondExtra": ((), amount), "unbond": ((amount,), 0),
                   "withdrawUnbonded": ((), 0), "delegate": ((address(target),), amount),
                   "undelegate": ((address(target), amount), 0)}[name]
    return sender, staking.MODULE, name, args, value


@settings(max_examples=60)
@given(st.lists(st.tuples(st.lists(operations, max_size=5), st.integers(1, 250)), min_size=1, max_size=10))
def test_random_sequences_keep_every_invariant_and_conserve_issuance(blocks):
    chain = new_chain()
    caller = Caller(chain)
    caller.block(*PRELUDE)
    errors = {e.selector for m in (staking.MODULE, slashing.MODULE) for e in m.errors}
    for block_ops, slot_gap in blocks:
        before = chain.state()
        count = slashing.SlashCount.get(before)
        statuses = {i: record(chain, i).status for i in range(count)}
        issuance = balances.TotalIssuance.get(before)
        shares = {r: balances.free_balance(before, address(r)) for r in REPORTERS}
        pot = treasury.get_balance(before)
        calls = [to_call(s, n, t, a, p, count) for s, n, t, a, p in block_ops]
        applied = caller.block(*calls, slot=chain.head.slot + slot_gap, allow_unaffordable=True)
        state = chain.state()
        burned = sum(a.gas_used * chain.head.base_fee_per_gas for a in applied)
        assert balances.TotalIssuance.get(state) == issuance - burned, "slashes move funds, never mint or burn"
        assert all(a.receipt.status == 1 or a.revert_data[:4] in errors for a in applied)
        # Slashes applied in this block's hook: their shares reached the reporters and the treasury.
        newly = [record(chain, i) for i, status in statuses.items()
                 if status == slashing.PENDING and record(chain, i).status == slashing.APPLIED]
        for r in newly:
            assert r.apply_epoch <= randomness.EpochIndex.get(state)
            assert r.amount <= r.at_stake * r.applied_fraction // slashing.PER_MILLION
        for reporter in REPORTERS:
            cut = sum(r.amount // 10 for r in newly if r.reporter == address(reporter))
            assert balances.free_balance(state, address(reporter)) == shares[reporter] + cut
        assert treasury.get_balance(state) == pot + sum(r.amount - r.amount // 10 for r in newly)
        assert not any(r.apply_epoch <= randomness.EpochIndex.get(state) and r.report_epoch < r.apply_epoch
                       for r in dict(slashing.Slash.items(state)).values()
                       if r.status == slashing.PENDING), "a slash due by this epoch has been applied"


@settings(max_examples=25)
@given(st.lists(st.tuples(st.lists(operations, max_size=5), st.integers(1, 250)), min_size=1, max_size=10))
def test_random_sequences_keep_the_whole_runtimes_invariants(blocks):
    """The same sequences on the composed runtime (emissions included): every module's invariants hold."""
    chain = new_chain(RUNTIME)
    caller = Caller(chain)
    caller.block(*PRELUDE)
    for block_ops, slot_gap in blocks:
        count = slashing.SlashCount.get(chain.state())
        calls = [to_call(s, n, t, a, p, count) for s, n, t, a, p in block_ops]
        caller.block(*calls, slot=chain.head.slot + slot_gap, allow_unaffordable=True)


# staking.slash itself, on random stakes

def direct_state() -> State:
    return State(MemoryBackend(dict(new_chain().backend.items)))


def env(sender: bytes, value: int = 0) -> CallEnv:
    return CallEnv(sender, value, 1, 1, b"\x00" * 20, lambda log: None)


def payable(state, sender, handler, *args, value):
    """As the executive does: the value first reaches staking's account, then the handler runs."""
    balances.transfer(state, sender, staking.ADDRESS_, value)
    handler(state, env(sender, value), *args)


@settings(max_examples=200)
@given(own=st.integers(3_000 * UNIT, 6_000 * UNIT), unbond=st.integers(0, 3_000 * UNIT),
       delegations=st.lists(st.integers(UNIT, 2_000 * UNIT), max_size=4), per_million=st.integers(0, 1_000_000))
def test_slash_takes_own_stake_first_and_delegations_pro_rata(own, unbond, delegations, per_million):
    state = direct_state()
    node, sink = ACCOUNTS[0].address, slashing.ADDRESS_
    payable(state, node, staking.call_bond, NODE, value=own)
    if unbond and own - unbond >= 3_000 * UNIT:
        staking.call_unbond(state, env(node), unbond)
    else:
        unbond = 0
    for i, amount in enumerate(delegations, start=1):
        payable(state, ACCOUNTS[i].address, staking.call_delegate, node, value=amount)
    issuance = balances.TotalIssuance.get(state)

    outcome = staking.slash(state, node, per_million, sink)

    assert (outcome.own_at_stake, outcome.delegated_at_stake) == (own, sum(delegations))
    assert outcome.own == own * per_million // 1_000_000
    for i, amount in enumerate(delegations, start=1):
        taken = amount * per_million // 1_000_000
        assert staking.Delegation.get(state, ACCOUNTS[i].address + node) == amount - taken, "pro rata, floored"
    assert outcome.total <= outcome.at_stake * per_million // 1_000_000, "never more than at stake"
    assert balances.free_balance(state, sink) == outcome.total
    assert balances.TotalIssuance.get(state) == issuance
    active = own - unbond
    from_bonded = min(active, outcome.own)
    remaining = active - from_bonded
    if remaining >= 3_000 * UNIT:
        assert staking.Bonded.get(state, node) == remaining and staking.Role.get(state, node) == NODE
    else:
        assert staking.Bonded.get(state, node) == 0 and staking.Role.get(state, node) == staking.NO_ROLE
        assert outcome.unbonded == remaining
    assert sum(c.amount for c in staking.Unlocking.get(state, node)) == unbond - (outcome.own - from_bonded) + \
        outcome.unbonded
    staking.check_invariants(state)
    balances.check_invariants(state)


def test_a_slash_left_below_the_minimum_unbonds_even_with_every_chunk_in_use():
    state = direct_state()
    node = ACCOUNTS[0].address
    payable(state, node, staking.call_bond, VALIDATOR, value=3_000 * UNIT + 31 * UNIT)
    staking.MaxUnlockingChunks.set(state, 2)
    staking.call_unbond(state, env(node), UNIT)
    randomness.EpochIndex.set(state, 1)
    randomness.RandomnessOf.set(state, 1, randomness.Randomness.get(state))
    staking.call_unbond(state, env(node), UNIT)
    outcome = staking.slash(state, node, 10_000, slashing.ADDRESS_)
    assert outcome.own == (3_031 * UNIT) // 100 and outcome.unbonded == 3_029 * UNIT - outcome.own
    assert staking.Unlocking.get(state, node) == (staking.UnlockChunk(UNIT, 7), staking.UnlockChunk(UNIT + outcome.unbonded, 8)), \
        "no room for a chunk: the remainder joins the last one, never unlocking sooner"
    staking.check_invariants(state)


# The rules, through blocks

def setup_node(caller, node=0, own=4_000 * UNIT, delegators=((1, 1_000 * UNIT), (2, 500 * UNIT))):
    assert caller.stake(node, "bond", NODE, value=own).receipt.status == 1
    for delegator, amount in delegators:
        assert caller.stake(delegator, "delegate", address(node), value=amount).receipt.status == 1


def test_worked_example_exact_numbers():
    """Node 4,000 FLOCK own, delegators 1,000 and 500; poisoned update (10%) reported in epoch 0."""
    chain = new_chain()
    caller = Caller(chain)
    setup_node(caller)
    reporter_before = balances.free_balance(chain.state(), address(7))
    applied = caller.root("reportOffence", slashing.POISONED_UPDATE, address(0), address(7))
    slash_id = reported_id(applied)
    (log,) = applied.receipt.logs
    assert log.topics[0] == slashing.OffenceReported.topic and log.topics[1] == slash_id.to_bytes(32, "big")
    assert abi_decode(["uint8", "address", "uint64"], log.data)[::2] == (0, 2)
    assert slashing.PendingCount.get(chain.state(), address(0)) == 1

    caller.epoch(1)
    assert record(chain, slash_id).status == slashing.PENDING, "deferred for two epochs"
    caller.epoch(2)
    state = chain.state()
    r = record(chain, slash_id)
    assert (r.status, r.applied_fraction, r.amount, r.at_stake) == (slashing.APPLIED, 100_000, 550 * UNIT,
                                                                   5_500 * UNIT)
    assert staking.get_exposure(state, address(0)) == (3_600 * UNIT, 1_350 * UNIT)
    assert staking.Delegation.get(state, address(1) + address(0)) == 900 * UNIT
    assert staking.Delegation.get(state, address(2) + address(0)) == 450 * UNIT
    assert balances.free_balance(state, address(7)) == reporter_before + 55 * UNIT, "10% to the reporter"
    assert treasury.get_balance(state) == 495 * UNIT, "90% to the beneficiary (the treasury)"
    assert slashing.PendingCount.get(state, address(0)) == 0
    assert staking.Role.get(state, address(0)) == NODE
    assert slashing.Span.get(state, address(0)) == slashing.SlashSpan(2, 100_000)


def test_dust_stays_with_the_stakers_and_goes_to_the_beneficiary():
    chain = new_chain()
    caller = Caller(chain)
    setup_node(caller, own=3_000 * UNIT + 7, delegators=((1, UNIT + 9),))
    slash_id = reported_id(caller.root("reportOffence", slashing.UNAVAILABILITY, address(0), address(7)))
    caller.epoch(2)
    own_cut = (3_000 * UNIT + 7) // 100
    delegated_cut = (UNIT + 9) // 100
    r = record(chain, slash_id)
    assert r.amount == own_cut + delegated_cut and r.amount < (3_001 * UNIT + 16) // 100 + 1
    assert balances.free_balance(chain.state(), address(7)) - 10_000 * UNIT == r.amount // 10
    assert treasury.get_balance(chain.state()) == r.amount - r.amount // 10


def test_two_offences_in_one_span_pay_the_larger_not_the_sum():
    chain = new_chain()
    caller = Caller(chain)
    setup_node(caller, own=5_000 * UNIT, delegators=((1, 1_000 * UNIT),))
    small = reported_id(caller.root("reportOffence", slashing.UNAVAILABILITY, address(0), address(7)))
    caller.epoch(2)
    assert record(chain, small).amount == 60 * UNIT  # 1% of 6,000
    large = reported_id(caller.root("reportOffence", slashing.POISONED_UPDATE, address(0), address(8)))
    again = reported_id(caller.root("reportOffence", slashing.FALSE_VALIDATION, address(0), address(8)))
    caller.epoch(4)
    r, r2 = record(chain, large), record(chain, again)
    assert r.applied_fraction == 90_000 and r.amount == 5_940 * UNIT * 9 // 100, "only 10% − 1% more"
    assert (r2.status, r2.applied_fraction, r2.amount) == (slashing.APPLIED, 0, 0), "5% < 10% already paid"
    assert slashing.Span.get(chain.state(), address(0)) == slashing.SlashSpan(2, 100_000)
    # After the span (28 epochs from its start) a new slash counts in full again.
    late = reported_id(caller.root("reportOffence", slashing.UNAVAILABILITY, address(0), address(7), slot=28 * EPOCH))
    caller.epoch(32)
    assert record(chain, late).applied_fraction == 10_000
    assert slashing.Span.get(chain.state(), address(0)) == slashing.SlashSpan(32, 10_000)


def test_cancellation_within_the_deferral_and_root_only_calls():
    chain = new_chain()
    caller = Caller(chain)
    setup_node(caller)
    outsider = caller.call(3, slashing.MODULE, "reportOffence", 0, address(0), address(3))
    assert error_of(outsider) == system.NotRoot.selector
    slash_id = reported_id(caller.root("reportOffence", slashing.EQUIVOCATION, address(0), address(7)))
    assert error_of(caller.call(3, slashing.MODULE, "cancelSlash", slash_id)) == system.NotRoot.selector
    caller.epoch(1)
    cancelled = caller.root("cancelSlash", slash_id)
    assert cancelled.receipt.status == 1
    assert cancelled.receipt.logs[0].topics == (slashing.SlashCancelled.topic, slash_id.to_bytes(32, "big"))
    assert error_of(caller.root("cancelSlash", slash_id)) == slashing.UnknownSlash.selector
    assert error_of(caller.root("cancelSlash", 99)) == slashing.UnknownSlash.selector
    held = balances.Account.get(chain.state(), address(0))
    caller.epoch(3)
    assert record(chain, slash_id).status == slashing.CANCELLED
    assert balances.Account.get(chain.state(), address(0)) == held, "a cancelled slash takes nothing"
    assert slashing.Span.get(chain.state(), address(0)) is None
    # Applied slashes can no longer be cancelled.
    applied_id = reported_id(caller.root("reportOffence", slashing.EQUIVOCATION, address(0), address(7)))
    caller.epoch(5)
    assert error_of(caller.root("cancelSlash", applied_id)) == slashing.UnknownSlash.selector


def test_report_errors_and_views():
    chain = new_chain()
    caller = Caller(chain)
    assert error_of(caller.root("reportOffence", 4, address(0), address(7))) == slashing.InvalidOffence.selector
    nothing = caller.root("reportOffence", 0, address(0), address(7))
    assert nothing.revert_data == slashing.NothingAtStake.encode(address(0))
    setup_node(caller, delegators=())
    slash_id = reported_id(caller.root("reportOffence", slashing.FALSE_VALIDATION, address(0), address(7)))
    view = caller.call(5, slashing.MODULE, "slashOf", slash_id)
    assert abi_decode(["uint8", "address", "address", "address", "uint32", "uint64", "uint8", "uint32", "uint256",
                       "uint256"], view.return_data)[4:] == (50_000, 2, 0, 0, 0, 0)
    assert abi_decode(["uint256"], caller.call(5, slashing.MODULE, "pendingSlashesOf", address(0)).return_data) == (1,)
    assert abi_decode(["uint32"], caller.call(5, slashing.MODULE, "slashFraction", 3).return_data) == (10_000,)
    assert error_of(caller.call(5, slashing.MODULE, "slashFraction", 9)) == slashing.InvalidOffence.selector
    assert error_of(caller.call(5, slashing.MODULE, "slashOf", 5)) == slashing.UnknownSlash.selector


def test_a_node_slashed_below_the_minimum_loses_its_role_and_unbonds_the_rest():
    chain = new_chain()
    caller = Caller(chain)
    setup_node(caller, own=3_200 * UNIT, delegators=((1, 100 * UNIT),))
    assert caller.stake(0, "unbond", 200 * UNIT).receipt.status == 1
    slash_id = reported_id(caller.root("reportOffence", slashing.POISONED_UPDATE, address(0), address(7)))
    caller.epoch(2)
    state = chain.state()
    r = record(chain, slash_id)
    assert r.amount == 320 * UNIT + 10 * UNIT and r.at_stake == 3_300 * UNIT
    assert staking.Role.get(state, address(0)) == staking.NO_ROLE and staking.Bonded.get(state, address(0)) == 0
    assert staking.Unlocking.get(state, address(0)) == (staking.UnlockChunk(200 * UNIT, 7), staking.UnlockChunk(2_680 * UNIT, 9))
    assert staking.get_exposure(state, address(0)) == (0, 90 * UNIT), "delegations stay, as after a full unbond"


def test_a_beneficiary_pool_and_a_self_report():
    state = direct_state()
    node, pool = ACCOUNTS[0].address, b"\x99" * 20
    payable(state, node, staking.call_bond, NODE, value=3_000 * UNIT)
    first = slashing.report_offence(state, slashing.UNAVAILABILITY, node, ACCOUNTS[5].address, pool)
    second = slashing.report_offence(state, slashing.POISONED_UPDATE, node, node)
    randomness.EpochIndex.set(state, 2)
    randomness.RandomnessOf.set(state, 2, randomness.Randomness.get(state))
    slashing.on_initialize(state, None)
    assert balances.free_balance(state, pool) == 30 * UNIT - 3 * UNIT
    assert balances.free_balance(state, ACCOUNTS[5].address) == 10_000 * UNIT + 3 * UNIT
    own_second = 2_970 * UNIT * 9 // 100
    assert slashing.get_slash(state, second).amount == own_second
    assert treasury.get_balance(state) == own_second, "an offender reporting itself earns nothing"
    assert slashing.get_slash(state, first).status == slashing.APPLIED
    for module in (balances, staking, slashing):
        module.check_invariants(state)


def test_genesis_overrides_including_zeros():
    spec = copy.deepcopy(SPEC)
    spec["genesis"]["runtime"]["slashing"] = {"slashFractions": [0, 200_000, 100_000, 10_000], "deferralEpochs": 0,
                                              "slashSpanEpochs": 1, "reporterShare": 0}
    chain = MemoryChain(spec=spec, runtime=WITHOUT_EMISSION)
    caller = Caller(chain)
    setup_node(caller, delegators=())
    assert abi_decode(["uint32"], caller.call(5, slashing.MODULE, "slashFraction", 0).return_data) == (0,)
    free = reported_id(caller.root("reportOffence", slashing.POISONED_UPDATE, address(0), address(7)))
    false_validation = reported_id(caller.root("reportOffence", slashing.FALSE_VALIDATION, address(0), address(7)))
    chain.author([])
    state = chain.state()
    assert record(chain, free).status == slashing.APPLIED and record(chain, free).amount == 0
    r = record(chain, false_validation)
    assert (r.apply_epoch, r.status, r.amount) == (0, slashing.APPLIED, 800 * UNIT), "no deferral: the next block"
    assert balances.free_balance(state, address(7)) == 10_000 * UNIT, "no reporter share"
    assert treasury.get_balance(state) == 800 * UNIT
    chain.check_invariants()
