"""Conformance cases for governance (spec/modules/governance.md) and gmFLOCK votes (spec/modules/gmflock.md)."""

import copy
from dataclasses import dataclass

from runtime.crypto import keccak256
from runtime.modules import balances, gmflock, governance
from tests.runtime.harness import SPEC, call_data, module_call

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


GOVERNANCE_CASES = [case_governance_parameter_change_by_vote]
