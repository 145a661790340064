"""Governance as a user does it: web3.py with only the ABIs from flock_modules against a real dev node —
lock gmFLOCK (365 and 30 days), propose a parameter change, vote, mine past the deadline and the
timelock, execute, read the new value; a proposal nobody votes for ends Defeated."""

from web3 import Web3
from web3.logs import DISCARD

from runtime.modules.governance import GovernorTimelockNotReady

from .devchain import dev_account, module_contract, reverts_with, wait_receipt

UNIT = 10**18
STATES = ["Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed"]


def mine_to(chain, number: int) -> None:
    head = chain.w3.eth.block_number
    if number > head:
        chain.result("evm_mine", {"blocks": number - head})


def test_a_parameter_change_passes_by_gmflock_vote(chain):
    gov, gm = module_contract(chain, "governance"), module_contract(chain, "gmflock")
    long_term, short_term = dev_account(7).address, dev_account(8).address
    wait_receipt(chain, gm.functions.lock(365).transact({"from": long_term, "value": 1_000 * UNIT}))
    wait_receipt(chain, gm.functions.lock(30).transact({"from": short_term, "value": 1_000 * UNIT}))
    chain.result("evm_mine")
    votes_long, votes_short = gm.functions.getVotes(long_term).call(), gm.functions.getVotes(short_term).call()
    assert votes_long == 3_010 * UNIT and votes_short == 1_000 * UNIT
    assert gm.functions.CLOCK_MODE().call() == "mode=blocknumber&from=default"
    assert gm.functions.clock().call() == chain.w3.eth.block_number

    epsilon = gm.functions.getParameter("EpsilonPercent").call()
    calldata = gm.encode_abi("setParameter", ["EpsilonPercent", epsilon + 11])
    description = "raise epsilon"
    args = ([gm.address], [0], [calldata], Web3.keccak(text=description))
    receipt = wait_receipt(chain, gov.functions.propose(*args[:3], description).transact({"from": long_term}))
    (created,) = gov.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
    proposal_id = created.args.proposalId
    assert proposal_id == gov.functions.hashProposal(*args).call()
    assert STATES[gov.functions.state(proposal_id).call()] == "Pending"

    mine_to(chain, gov.functions.proposalSnapshot(proposal_id).call() + 1)
    assert STATES[gov.functions.state(proposal_id).call()] == "Active"
    wait_receipt(chain, gov.functions.castVote(proposal_id, 1).transact({"from": long_term}))
    receipt = wait_receipt(chain, gov.functions.castVoteWithReason(proposal_id, 0, "too fast").transact(
        {"from": short_term}))
    (cast,) = gov.events.VoteCast().process_receipt(receipt, errors=DISCARD)
    assert (cast.args.voter, cast.args.support, cast.args.weight, cast.args.reason) == \
        (short_term, 0, votes_short, "too fast")
    assert gov.functions.proposalVotes(proposal_id).call() == [votes_short, votes_long, 0]

    mine_to(chain, gov.functions.proposalDeadline(proposal_id).call() + 1)
    assert STATES[gov.functions.state(proposal_id).call()] == "Succeeded"
    wait_receipt(chain, gov.functions.queue(*args).transact({"from": short_term}))
    eta = gov.functions.proposalEta(proposal_id).call()
    reverts_with(lambda: gov.functions.execute(*args).call({"from": short_term}),
                 GovernorTimelockNotReady.encode(proposal_id, eta))
    chain.result("evm_increaseTime", 61)
    chain.result("evm_mine")
    receipt = wait_receipt(chain, gov.functions.execute(*args).transact({"from": short_term}))
    assert receipt.status == 1 and gov.events.ProposalExecuted().process_receipt(receipt, errors=DISCARD)
    assert STATES[gov.functions.state(proposal_id).call()] == "Executed"
    assert gm.functions.getParameter("EpsilonPercent").call() == epsilon + 11

    description = "nobody votes"
    receipt = wait_receipt(chain, gov.functions.propose(*args[:3], description).transact({"from": long_term}))
    (created,) = gov.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
    mine_to(chain, created.args.voteEnd + 1)
    assert STATES[gov.functions.state(created.args.proposalId).call()] == "Defeated"
