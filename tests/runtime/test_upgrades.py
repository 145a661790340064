"""Runtime upgrades through real blocks (spec/upgrades.md): a scheduled version takes over at its
block and runs its migrations there; a node without it stops with UnknownRuntimeVersion instead of
forking; version 2's utility.batchAll is all or none and pays for the calls it makes."""

import copy

import pytest
from eth_abi import decode as abi_decode
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.composition import RUNTIME, RUNTIME_V2, RUNTIME_VERSIONS
from runtime.api import RuntimeApi
from runtime.blocks import Block
from runtime.exceptions import DispatchError
from runtime.executive import compute_call_gas, upgrade_state
from runtime.modules import balances, system, utility
from runtime.state import MemoryBackend, State
from runtime.transactions import decode_transaction
from runtime.versions import RuntimeVersions, UnknownRuntimeVersion

from .harness import ACCOUNTS, AUTHORITY, SPEC, MemoryChain, call_data, root_call, seal, transfer

RECIPIENT, OTHER = b"\x42" * 20, b"\x43" * 20


class Chain:
    """A dev chain (its authority is Root) running every shipped version, driven by real blocks."""

    def __init__(self, spec=SPEC, versions=RUNTIME_VERSIONS):
        self.chain = MemoryChain(spec, versions)
        self.root_nonce = 0
        self.nonces = [0] * len(ACCOUNTS)

    def root(self, module, name: str, *args):
        raw = root_call(self.root_nonce, module, name, *args)
        self.root_nonce += 1
        return self.include(raw)

    def send(self, sender: int, to: bytes, data: bytes, value: int = 0, gas: int = 1_000_000):
        raw = transfer(sender, self.nonces[sender], to, value, gas=gas, data=data)
        self.nonces[sender] += 1
        return self.include(raw)

    def include(self, raw: bytes):
        outcome, rejected = self.chain.author([decode_transaction(raw)])
        assert not rejected, rejected
        self.chain.check_invariants()
        return outcome.applied[0]

    def mine(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            self.chain.author([])

    @property
    def version(self) -> int:
        return system.SpecVersion.get(self.chain.state())


def batch(targets, values, calldatas) -> bytes:
    return call_data(utility.MODULE, "batchAll", targets, values, calldatas)


def error_of(applied):
    assert applied.receipt.status == 0
    return applied.revert_data[:4]


def test_the_scheduled_version_takes_over_at_its_block_and_migrates_there():
    c = Chain()
    assert c.version == 1 and c.chain.runtime is RUNTIME
    at = c.chain.head.number + 4
    applied = c.root(system.MODULE, "scheduleUpgrade", 2, at)
    assert applied.receipt.status == 1
    assert applied.receipt.logs[0].data == system.UpgradeScheduled.to_log(system.ADDRESS_, 2, at).data
    while c.chain.head.number < at - 1:
        c.mine()
        assert c.version == 1 and utility.MaxCalls.get(c.chain.state()) == 0
        assert c.chain.runtime is (RUNTIME_V2 if c.chain.head.number == at - 1 else RUNTIME)
    c.mine()
    state = c.chain.state()
    assert c.chain.head.number == at and c.version == 2
    assert utility.MaxCalls.get(state) == utility.DEFAULT_MAX_CALLS, "the migration ran in the switch block"
    assert system.ScheduledUpgrade.get(state) is None
    applied = c.send(1, utility.ADDRESS_, batch([RECIPIENT, OTHER], [3, 4], [b"", b""]))
    assert applied.receipt.status == 1
    assert [balances.free_balance(c.chain.state(), a) for a in (RECIPIENT, OTHER)] == [3, 4]


def test_before_the_upgrade_the_utility_address_is_only_an_account():
    c = Chain()
    applied = c.send(1, utility.ADDRESS_, batch([RECIPIENT], [5], [b""]), value=7)
    state = c.chain.state()
    assert applied.receipt.status == 1 and [log.address for log in applied.receipt.logs] == [balances.ADDRESS_]
    assert balances.free_balance(state, RECIPIENT) == 0 and balances.free_balance(state, utility.ADDRESS_) == 7


def test_schedule_and_cancel_refuse_what_is_wrong():
    c = Chain()
    number = c.chain.head.number
    not_root = c.send(1, system.ADDRESS_, call_data(system.MODULE, "scheduleUpgrade", 2, number + 5))
    assert error_of(not_root) == system.NotRoot.selector
    assert error_of(c.root(system.MODULE, "scheduleUpgrade", 1, number + 5)) == system.UpgradeNotNewer.selector
    past = c.root(system.MODULE, "scheduleUpgrade", 2, c.chain.head.number + 1)
    assert error_of(past) == system.UpgradeNotInFuture.selector
    assert error_of(c.root(system.MODULE, "cancelUpgrade")) == system.NoUpgradeScheduled.selector
    assert system.ScheduledUpgrade.get(c.chain.state()) is None
    at = c.chain.head.number + 3
    assert c.root(system.MODULE, "scheduleUpgrade", 2, at).receipt.status == 1
    canceled = c.root(system.MODULE, "cancelUpgrade")
    assert canceled.receipt.logs[0].data == system.UpgradeCanceled.to_log(system.ADDRESS_, 2, at).data
    c.mine(4)
    assert c.version == 1 and utility.MaxCalls.get(c.chain.state()) == 0


def test_a_node_without_the_version_stops_at_its_block_instead_of_forking():
    upgraded, held = Chain(), Chain(versions=RuntimeVersions((RUNTIME,)))
    at = upgraded.chain.head.number + 3
    upgraded.root(system.MODULE, "scheduleUpgrade", 2, at)
    for outcome in upgraded.chain.outcomes:
        held.chain.import_block(outcome.block)
    while upgraded.chain.head.number < at:
        upgraded.mine()
        block = upgraded.chain.outcomes[-1].block
        if block.header.number < at:
            held.chain.import_block(block)
    assert held.chain.head.number == at - 1
    with pytest.raises(UnknownRuntimeVersion) as stopped:
        held.chain.import_block(upgraded.chain.outcomes[-1].block)
    assert str(stopped.value) == (f"block {at} needs runtime spec_version 2; this node knows up to 1: "
                                  f"upgrade the node")
    with pytest.raises(UnknownRuntimeVersion):
        held.chain.author([])
    api = RuntimeApi(RuntimeVersions((RUNTIME,)))
    with pytest.raises(UnknownRuntimeVersion):
        api.version(upgraded.chain.state())


def test_a_block_of_the_new_version_is_the_same_on_every_upgraded_node():
    first, second = Chain(), Chain()
    at = first.chain.head.number + 2
    first.root(system.MODULE, "scheduleUpgrade", 2, at)
    first.mine(2)
    for outcome in first.chain.outcomes:
        second.chain.import_block(outcome.block)
    assert second.chain.head.hash == first.chain.head.hash and second.version == 2


def test_a_state_is_never_run_by_an_older_version():
    state = State(MemoryBackend())
    system.SpecVersion.set(state, 2)
    with pytest.raises(ValueError, match="cannot run a state of version 2"):
        upgrade_state(RUNTIME, state)


def test_a_chain_may_start_at_version_2():
    spec = copy.deepcopy(SPEC)
    spec["genesis"]["runtime"]["system"]["specVersion"] = 2
    spec["genesis"]["runtime"]["utility"] = {"maxCalls": 4}
    c = Chain(spec)
    assert c.version == 2 and utility.MaxCalls.get(c.chain.state()) == 4
    too_long = c.send(1, utility.ADDRESS_, batch([RECIPIENT] * 5, [1] * 5, [b""] * 5))
    assert error_of(too_long) == utility.BatchTooLong.selector


def upgraded_chain() -> Chain:
    c = Chain()
    c.root(system.MODULE, "scheduleUpgrade", 2, c.chain.head.number + 2)
    c.mine()
    assert c.version == 2
    return c


def test_a_batch_is_all_or_none_and_names_the_failing_call():
    c = upgraded_chain()
    rich = balances.free_balance(c.chain.state(), ACCOUNTS[1].address)
    calls = [RECIPIENT, OTHER], [5, rich * 2], [b"", b""]
    applied = c.send(1, utility.ADDRESS_, batch(*calls))
    assert error_of(applied) == utility.BatchInterrupted.selector
    index, inner = abi_decode(["uint256", "bytes"], applied.revert_data[4:])
    assert index == 1 and inner[:4] == balances.InsufficientBalance.selector
    assert balances.free_balance(c.chain.state(), RECIPIENT) == 0, "the first transfer was rolled back"


def test_a_batch_runs_module_calls_as_its_sender():
    c = upgraded_chain()
    not_root = c.send(1, utility.ADDRESS_, batch([system.ADDRESS_], [0],
                                                 [call_data(system.MODULE, "cancelUpgrade")]))
    _, inner = abi_decode(["uint256", "bytes"], not_root.revert_data[4:])
    assert inner == system.NotRoot.encode(ACCOUNTS[1].address), "the sender's origin, never the utility's"
    transfer_call = call_data(balances.MODULE, "transfer", RECIPIENT, 9)
    applied = c.send(1, utility.ADDRESS_, batch([balances.ADDRESS_], [0], [transfer_call]))
    assert applied.receipt.status == 1
    assert balances.free_balance(c.chain.state(), RECIPIENT) == 9
    assert applied.receipt.logs[-1].data == utility.BatchCompleted.to_log(utility.ADDRESS_, ACCOUNTS[1].address,
                                                                          1).data


@pytest.mark.parametrize("calls, error", [
    (([RECIPIENT], [1, 2], [b""]), utility.BatchLengthMismatch),
    (([], [], []), utility.BatchEmpty),
    (([RECIPIENT] * 17, [1] * 17, [b""] * 17), utility.BatchTooLong),
    (([RECIPIENT, utility.ADDRESS_], [1, 0], [b"", b""]), utility.NestedBatch),
])
def test_a_malformed_batch_is_refused_with_its_error(calls, error):
    c = upgraded_chain()
    applied = c.send(1, utility.ADDRESS_, batch(*calls))
    assert error_of(applied) == error.selector
    assert balances.free_balance(c.chain.state(), RECIPIENT) == 0


def test_a_batch_pays_the_declared_gas_of_its_calls():
    transfer_call = call_data(balances.MODULE, "transfer", RECIPIENT, 9)
    alone = compute_call_gas(RUNTIME_V2, balances.ADDRESS_, transfer_call)
    data = batch([balances.ADDRESS_] * 3, [0] * 3, [transfer_call] * 3)
    declaration = utility.MODULE.find_call(data[:4])
    own = declaration.weight + declaration.weight_per_byte * len(data)
    assert compute_call_gas(RUNTIME_V2, utility.ADDRESS_, data) == own + 3 * alone
    undecodable = data[:4] + b"\x01" * 40
    assert compute_call_gas(RUNTIME_V2, utility.ADDRESS_, undecodable) == declaration.weight + 16 * 44


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["schedule", "cancel", "mine"]), st.integers(0, 4)), max_size=8))
def test_the_version_only_moves_forward_and_switches_exactly_at_its_block(actions):
    c = Chain()
    expected_switch = None
    for action, offset in actions:
        if c.version == 2:
            break
        if action == "schedule":
            at = c.chain.head.number + 2 + offset
            if c.root(system.MODULE, "scheduleUpgrade", 2, at).receipt.status:
                expected_switch = at
        elif action == "cancel":
            if c.root(system.MODULE, "cancelUpgrade").receipt.status:
                expected_switch = None
        else:
            c.mine()
        switched = expected_switch is not None and c.chain.head.number >= expected_switch
        assert c.version == (2 if switched else 1)
    if c.version == 1 and expected_switch is not None:
        c.mine(expected_switch - c.chain.head.number)
        assert c.version == 2
