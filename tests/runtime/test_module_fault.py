"""A module bug costs one failed call (ModuleFault), never the chain: blocks keep being built and imported."""

from dataclasses import replace

import pytest

from chain.composition import RUNTIME
from runtime.executive import ModuleFault
from runtime.module import CallDecl, Module, ViewDecl, module_address
from runtime.modules import balances
from runtime.transactions import decode_transaction

from .harness import MemoryChain, module_call


def call_fault(state, env, value: int) -> tuple:
    balances.mint(state, env.sender, 1)
    return (value.to_bytes(8, "big"),)


def call_emit_out_of_range(state, env) -> tuple:
    """An event argument its ABI type cannot hold: encoding fails inside the handler."""
    env.emit(balances.Transfer.to_log(balances.ADDRESS_, env.sender, env.sender, -1))
    return (b"\x00" * 8,)


def call_lose_disk(state, env) -> tuple:
    raise OSError("the disk went away")


FAULTY = Module(name="faulty", address=module_address(99),
                calls=(CallDecl("fault(uint256 value)", call_fault, weight=1_000, returns=("bytes8",)),
                       CallDecl("emitOutOfRange()", call_emit_out_of_range, weight=1_000, returns=("bytes8",)),
                       CallDecl("loseDisk()", call_lose_disk, weight=1_000)),
                views=(ViewDecl("peek(uint256 value)", lambda state, value: (value.to_bytes(8, "big"),), ("bytes8",)),))


def test_a_raising_call_or_view_fails_with_module_fault_and_the_chain_goes_on():
    runtime = replace(RUNTIME, modules=RUNTIME.modules + (FAULTY,))
    chain = MemoryChain(runtime=runtime)
    supply = balances.TotalIssuance.get(chain.state())
    raws = [module_call(0, 0, FAULTY, "fault", 2**64), module_call(0, 1, FAULTY, "peek", 2**70),
            module_call(0, 2, FAULTY, "emitOutOfRange"), module_call(0, 3, FAULTY, "fault", 5)]
    outcome, rejected = chain.author([decode_transaction(raw) for raw in raws])
    assert not rejected
    statuses = [(a.receipt.status, a.revert_data) for a in outcome.applied]
    assert statuses == [(0, ModuleFault.selector)] * 3 + [(1, b"")]
    chain.check_invariants()
    minted = balances.TotalIssuance.get(chain.state()) - supply + sum(a.gas_used * outcome.block.header.base_fee_per_gas
                                                                      for a in outcome.applied)
    assert minted == 1, "only the successful call's mint stays; the failed ones were rolled back"
    follower = MemoryChain(runtime=runtime)
    assert follower.import_block(outcome.block).block.header.state_root == outcome.block.header.state_root


def test_an_error_of_the_machine_is_not_a_call_result_but_stops_the_block():
    """A storage or memory error says nothing about the block: it must not become a failed call that a healthy
    node would disagree with."""
    runtime = replace(RUNTIME, modules=RUNTIME.modules + (FAULTY,))
    chain = MemoryChain(runtime=runtime)
    head = chain.head
    with pytest.raises(OSError, match="the disk went away"):
        chain.author([decode_transaction(module_call(0, 0, FAULTY, "loseDisk"))])
    assert chain.head == head
