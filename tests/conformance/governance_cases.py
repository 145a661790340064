"""Conformance cases for governance (spec/modules/governance.md) and gmFLOCK votes (spec/modules/gmflock.md)."""

import copy
from dataclasses import dataclass

from chain.composition import RUNTIME
from runtime.blocks import Block
from runtime.crypto import keccak256
from runtime.executive import build_block
from runtime.modules import balances, gmflock, governance, system, utility
from tests.runtime.harness import SPEC, call_data, module_call, root_call, seal

from .cases import CaseBuilder, Vector
from .staking_cases import expect

UNIT = balances.UNIT


@dataclass(frozen=True)
class GovernanceVector(Vector):
    folder = "governance"


def quick_spec() -> dict:
    """Votes open the block after a proposal and last two blocks; no timelock: a short vector."""
    spec = copy.deepcopy(SPEC)
    spec["genesis"]["runtime"]["governance"] = {"votingDelay": 1, "votingPeriod": 2, "timelockDelay": 0}
    return spec


def gov_call(sender: int, nonce: int, name: str, *args) -> bytes:
    return module_call(sender, nonce, governance.MODULE, name, *args, gas=1_000_000)


def case_governance_parameter_change_by_vote() -> GovernanceVector:
    b = CaseBuilder(quick_spec())
    expect(b.author(module_call(1, 0, gmflock.MODULE, "lock", 365, value=100 * UNIT),
                    module_call(2, 0, gmflock.MODULE, "lock", 30, value=100 * UNIT),
                    module_call(3, 0, gmflock.MODULE, "delegate", bytes(20))),
           None, None, None)
    targets, values = [gmflock.ADDRESS_], [0]
    calldatas = [call_data(gmflock.MODULE, "setParameter", "EpsilonPercent", 300)]
    description_hash = keccak256(b"raise epsilon")
    proposal = (targets, values, calldatas, description_hash)
    proposal_id = governance.compute_proposal_id(*proposal)
    expect(b.author(gov_call(1, 1, "propose", targets, values, calldatas, "raise epsilon"),
                    gov_call(2, 1, "propose", targets, values, calldatas, "raise epsilon"),
                    gov_call(2, 2, "propose", targets, [0, 0], calldatas, "bad lengths")),
           None, governance.GovernorUnexpectedProposalState, governance.GovernorInvalidProposalLength)
    b.author()
    expect(b.author(gov_call(1, 2, "castVote", proposal_id, 1), gov_call(2, 3, "castVote", proposal_id, 0),
                    gov_call(2, 4, "castVote", proposal_id, 1)),
           None, None, governance.GovernorAlreadyCastVote)
    b.author()
    b.author()
    expect(b.author(gov_call(2, 5, "execute", *proposal), gov_call(2, 6, "queue", *proposal),
                    gov_call(2, 7, "execute", *proposal)),
           governance.GovernorUnexpectedProposalState, None, None)
    assert gmflock.EpsilonPercent.get(b.chain.state()) == 300
    return GovernanceVector(**vars(b.valid(
        "governance_parameter_change_by_vote",
        "gmFLOCK locks vote without delegating; a duplicate and a malformed proposal fail; a double vote fails; "
        "execute before queue fails; queue then execute sets gmflock's EpsilonPercent as the governance origin")))


RECIPIENT = b"\x42" * 20


def upgrade_scheduled() -> tuple[CaseBuilder, int]:
    """A dev chain whose Root scheduled version 2 two blocks ahead; the next block still runs version 1,
    where a batchAll to the utility address is a plain transfer (its data ignored)."""
    b = CaseBuilder()
    at = b.chain.head.number + 3
    expect(b.author(root_call(0, system.MODULE, "scheduleUpgrade", 2, at),
                    root_call(1, system.MODULE, "scheduleUpgrade", 1, at)),
           None, system.UpgradeNotNewer)
    expect(b.author(module_call(1, 0, utility.MODULE, "batchAll", [RECIPIENT], [5], [b""], value=2)), None)
    assert balances.free_balance(b.chain.state(), utility.ADDRESS_) == 2
    return b, at


def case_runtime_upgrade_switches_at_its_block() -> GovernanceVector:
    b, at = upgrade_scheduled()
    expect(b.author(module_call(1, 1, utility.MODULE, "batchAll", [RECIPIENT, RECIPIENT], [5, 6], [b"", b""]),
                    module_call(2, 0, utility.MODULE, "batchAll", [RECIPIENT], [1, 2], [b""])),
           None, utility.BatchLengthMismatch)
    state = b.chain.state()
    assert b.chain.head.number == at and system.SpecVersion.get(state) == 2
    assert utility.MaxCalls.get(state) == utility.DEFAULT_MAX_CALLS and balances.free_balance(state, RECIPIENT) == 11
    return GovernanceVector(**vars(b.valid(
        "runtime_upgrade_switches_at_its_block",
        "Root schedules version 2 (scheduling version 1 fails UpgradeNotNewer); before the block a batchAll is "
        "a plain transfer to 0x…080c; at it the migration sets utility.MaxCalls = 16, SpecVersion = 2, and "
        "batchAll runs its calls (a length mismatch fails)")))


def case_runtime_upgrade_block_without_the_migration() -> GovernanceVector:
    b, at = upgrade_scheduled()
    header = b.chain.template()
    assert header.number == at
    outcome, _ = build_block(RUNTIME, b.chain.backend, b.chain.trie(), b.chain.head, header, [])
    return GovernanceVector(**vars(b.invalid(
        "runtime_upgrade_block_without_the_migration",
        "the scheduled block executed by version 1 (no migration, SpecVersion unchanged): its state root is "
        "not version 2's, so the block is invalid",
        Block(seal(outcome.block.header), outcome.block.transactions))))


GOVERNANCE_CASES = [case_governance_parameter_change_by_vote, case_runtime_upgrade_switches_at_its_block,
                    case_runtime_upgrade_block_without_the_migration]
