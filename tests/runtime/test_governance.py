"""Governance through real blocks: gmFLOCK votes, OpenZeppelin Governor's life cycle, atomic execution
with the governance origin, bounded parameters, and every bad input refused with its error and no change."""

import copy

import pytest
from eth_abi import decode as abi_decode
from hypothesis import given, settings
from hypothesis import strategies as st

from fl_module import alliance
from runtime.crypto import keccak256
from runtime.executive import block_env, call_readonly
from runtime.exceptions import DispatchError
from runtime.module import CallEnv, ParameterNotGovernable, ParameterOutOfBounds, UnknownParameter
from runtime.modules import balances, gmflock, governance, slashing, system, treasury
from runtime.transactions import decode_transaction

from .harness import ACCOUNTS, SPEC, MemoryChain, call_data, transfer

UNIT = 10**18
STATES = ["Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed"]
RECIPIENT = b"\x42" * 20


def spec_without_root(**governance_config) -> dict:
    """The dev chain's spec with no Root key: only governance is privileged, as on a network."""
    spec = copy.deepcopy(SPEC)
    del spec["genesis"]["runtime"]["system"]["root"]
    spec["genesis"]["runtime"]["governance"].update(governance_config)
    return spec


class Governed:
    """A dev chain without Root, driven by signed transactions in real blocks."""

    def __init__(self, **governance_config):
        self.chain = MemoryChain(spec_without_root(**governance_config))
        self.nonces = [0] * len(ACCOUNTS)

    def send(self, sender: int, module, name: str, *args, value: int = 0, timestamp: int | None = None):
        raw = transfer(sender, self.nonces[sender], module.address, value, gas=2_000_000,
                       data=call_data(module, name, *args))
        self.nonces[sender] += 1
        outcome, rejected = self.chain.author([decode_transaction(raw)], timestamp=timestamp)
        assert not rejected, rejected
        self.chain.check_invariants()
        return outcome.applied[0]

    def returned(self, applied, *types: str):
        assert applied.receipt.status == 1, applied.revert_data.hex()
        values = abi_decode(list(types), applied.return_data)
        return values[0] if len(values) == 1 else values

    def view(self, module, name: str, *args):
        declaration = next(v for v in module.views if v.name == name)
        ok, output = call_readonly(self.chain.runtime, self.chain.backend, block_env(self.chain.head),
                                   ACCOUNTS[0].address, module.address, 0, call_data(module, name, *args))
        assert ok, output.hex()
        values = abi_decode(list(declaration.returns), output)
        return values[0] if len(values) == 1 else values

    def mine(self, blocks: int = 1, seconds: int = 1) -> None:
        for _ in range(blocks):
            self.chain.author([], timestamp=self.chain.head.timestamp + seconds)

    def state(self, proposal_id: int) -> str:
        return STATES[self.view(governance.MODULE, "state", proposal_id)]

    def propose(self, sender: int, actions: list[tuple], description: str) -> tuple[int, tuple]:
        targets = [module.address for module, _, _ in actions]
        calldatas = [call_data(module, name, *args) for module, name, args in actions]
        values = [0] * len(actions)
        proposal_id = self.returned(self.send(sender, governance.MODULE, "propose", targets, values, calldatas,
                                              description), "uint256")
        return proposal_id, (targets, values, calldatas, keccak256(description.encode()))

    def pass_vote(self, proposal_id: int, votes: dict[int, int]) -> None:
        snapshot = self.view(governance.MODULE, "proposalSnapshot", proposal_id)
        self.mine(max(0, snapshot - self.chain.head.number + 1))
        for voter, support in votes.items():
            self.returned(self.send(voter, governance.MODULE, "castVote", proposal_id, support), "uint256")
        deadline = self.view(governance.MODULE, "proposalDeadline", proposal_id)
        self.mine(max(0, deadline - self.chain.head.number + 1))

    def enact(self, proposer: int, actions: list[tuple], description: str):
        """Propose, pass by the proposer's vote, queue and execute after the timelock: the execute receipt."""
        proposal_id, args = self.propose(proposer, actions, description)
        self.pass_vote(proposal_id, {proposer: governance.FOR})
        self.returned(self.send(proposer, governance.MODULE, "queue", *args), "uint256")
        return self.send(proposer, governance.MODULE, "execute", *args,
                         timestamp=self.view(governance.MODULE, "proposalEta", proposal_id))

    def governance_storage(self) -> dict:
        state = self.chain.state()
        return {item.name: dict(item.items(state)) for item in (governance.Proposal, governance.Tally,
                                                                governance.HasVoted)}


def locked(days_by_account: dict[int, int], amount: int = 1_000 * UNIT, **governance_config) -> Governed:
    gov = Governed(**governance_config)
    for account, days in days_by_account.items():
        gov.returned(gov.send(account, gmflock.MODULE, "lock", days, value=amount))
    gov.mine()
    return gov


def failed_with(applied, error, *args) -> None:
    assert applied.receipt.status == 0 and applied.revert_data == error.encode(*args), applied.revert_data.hex()


def test_a_parameter_changes_by_vote_and_not_otherwise():
    gov = locked({1: 365, 2: 30})
    votes_1, votes_2 = (gov.view(gmflock.MODULE, "getVotes", ACCOUNTS[i].address) for i in (1, 2))
    assert votes_1 == 3_010 * UNIT and votes_2 == 1_000 * UNIT, "votes without a delegate call; 365 days ≈ 3.01×"
    failed_with(gov.send(3, gmflock.MODULE, "setParameter", "EpsilonPercent", 230), system.NotRoot,
                ACCOUNTS[3].address)

    proposal_id, args = gov.propose(1, [(gmflock.MODULE, "setParameter", ("EpsilonPercent", 230))], "raise ε")
    assert proposal_id == gov.view(governance.MODULE, "hashProposal", *args)
    assert gov.state(proposal_id) == "Pending"
    gov.pass_vote(proposal_id, {1: governance.FOR, 2: governance.AGAINST})
    assert gov.view(governance.MODULE, "proposalVotes", proposal_id) == (votes_2, votes_1, 0)
    assert gov.state(proposal_id) == "Succeeded"
    gov.returned(gov.send(3, governance.MODULE, "queue", *args), "uint256")
    assert gov.state(proposal_id) == "Queued"
    eta = gov.view(governance.MODULE, "proposalEta", proposal_id)
    failed_with(gov.send(3, governance.MODULE, "execute", *args), governance.GovernorTimelockNotReady, proposal_id,
                eta)
    applied = gov.send(3, governance.MODULE, "execute", *args, timestamp=eta)
    gov.returned(applied, "uint256")
    changed = [log for log in applied.receipt.logs if log.topics[0] == ParameterChangedTopic]
    assert [log.address for log in changed] == [gmflock.ADDRESS_]
    assert gov.state(proposal_id) == "Executed"
    assert gov.view(gmflock.MODULE, "getParameter", "EpsilonPercent") == 230
    failed_with(gov.send(3, governance.MODULE, "execute", *args), governance.GovernorUnexpectedProposalState,
                proposal_id, governance.EXECUTED, governance.states_bitmap(governance.QUEUED))


ParameterChangedTopic = next(e for e in gmflock.MODULE.events if e.name == "ParameterChanged").topic


def test_below_quorum_is_defeated_and_a_lock_after_the_snapshot_counts_nothing():
    gov = locked({1: 30})
    proposal_id, _ = gov.propose(1, [(gmflock.MODULE, "setParameter", ("EpsilonPercent", 1))], "nobody votes")
    gov.pass_vote(proposal_id, {})
    assert gov.state(proposal_id) == "Defeated"

    proposal_id, _ = gov.propose(1, [(gmflock.MODULE, "setParameter", ("EpsilonPercent", 2))], "late lock")
    snapshot = gov.view(governance.MODULE, "proposalSnapshot", proposal_id)
    gov.mine(snapshot - gov.chain.head.number + 1)
    gov.returned(gov.send(2, gmflock.MODULE, "lock", 365, value=5_000 * UNIT))
    weight = gov.returned(gov.send(2, governance.MODULE, "castVote", proposal_id, governance.FOR), "uint256")
    assert weight == 0 and gov.view(governance.MODULE, "hasVoted", proposal_id, ACCOUNTS[2].address)
    assert gov.view(governance.MODULE, "quorum", snapshot) == 1_000 * UNIT * 40_000 // 1_000_000


def test_execution_is_atomic_and_a_failed_proposal_stays_queued_until_it_expires():
    gov = locked({1: 365})
    gov.returned(gov.send(4, treasury.MODULE, "donate", value=10 * UNIT))
    spend = (treasury.MODULE, "spend", (RECIPIENT, 5 * UNIT))
    impossible = (treasury.MODULE, "spend", (RECIPIENT, 10**30))
    proposal_id, args = gov.propose(1, [spend, impossible], "spend twice, the second too much")
    gov.pass_vote(proposal_id, {1: governance.FOR})
    gov.returned(gov.send(1, governance.MODULE, "queue", *args), "uint256")
    eta = gov.view(governance.MODULE, "proposalEta", proposal_id)
    applied = gov.send(1, governance.MODULE, "execute", *args, timestamp=eta)
    assert applied.receipt.status == 1
    (failure,) = [log for log in applied.receipt.logs if log.topics[0] == governance.ProposalExecutionFailed.topic]
    pid, index, reason = abi_decode(["uint256", "uint256", "bytes"], failure.data)
    assert (pid, index) == (proposal_id, 1) and reason[:4] == balances.InsufficientBalance.selector
    assert balances.free_balance(gov.chain.state(), RECIPIENT) == 0, "the first spend was rolled back"
    assert gov.state(proposal_id) == "Queued"
    gov.mine(seconds=14 * 86_400)
    assert gov.state(proposal_id) == "Expired"


def test_governance_spends_the_treasury_and_cancels_a_slash():
    gov = locked({1: 365})
    gov.returned(gov.send(4, treasury.MODULE, "donate", value=10 * UNIT))
    gov.returned(gov.enact(1, [(treasury.MODULE, "spend", (RECIPIENT, 3 * UNIT))], "grant"), "uint256")
    assert balances.free_balance(gov.chain.state(), RECIPIENT) == 3 * UNIT

    applied = gov.enact(1, [(slashing.MODULE, "cancelSlash", (0,))], "cancel slash 0")
    (failure,) = [log for log in applied.receipt.logs if log.topics[0] == governance.ProposalExecutionFailed.topic]
    reason = abi_decode(["uint256", "uint256", "bytes"], failure.data)[2]
    assert reason == slashing.UnknownSlash.encode(0), "the governance origin got past NotRoot to the slash check"


def test_governance_verifies_and_unverifies_an_fl_task():
    gov = locked({1: 365})
    gov.returned(gov.send(0, alliance.MODULE, "createTask", "linear", "sklearn:diabetes", keccak256(b"initial"), 2, 2,
                          3, [4] * 5, 0, value=10 * UNIT), "uint256")
    failed_with(gov.send(1, alliance.MODULE, "verifyTask", 0), system.NotRoot, ACCOUNTS[1].address)
    assert gov.view(alliance.MODULE, "isVerified", 0) is False
    applied = gov.enact(1, [(alliance.MODULE, "verifyTask", (0,))], "verify task 0")
    gov.returned(applied, "uint256")
    assert [log.address for log in applied.receipt.logs if log.topics[0] == alliance.TaskVerified.topic] == \
        [alliance.ADDRESS_]
    assert gov.view(alliance.MODULE, "isVerified", 0) is True
    gov.returned(gov.enact(1, [(alliance.MODULE, "unverifyTask", (0,))], "unverify task 0"), "uint256")
    assert gov.view(alliance.MODULE, "isVerified", 0) is False


def test_bad_proposals_and_votes_are_refused_with_their_error_and_change_nothing():
    gov = locked({1: 365, 2: 30}, votingDelay=6)
    good = call_data(gmflock.MODULE, "setParameter", "EpsilonPercent", 230)
    module = governance.MODULE
    cases = [
        (("propose", [gmflock.ADDRESS_], [0, 0], [good], "x"), governance.GovernorInvalidProposalLength, (1, 1, 2)),
        (("propose", [], [], [], "x"), governance.GovernorInvalidProposalLength, (0, 0, 0)),
        (("propose", [RECIPIENT], [0], [good], "x"), governance.GovernorInvalidAction,
         (0, f"no module at 0x{RECIPIENT.hex()}")),
        (("propose", [gmflock.ADDRESS_], [0], [b"\x01\x02\x03\x04"], "x"), governance.GovernorInvalidAction,
         (0, "module gmflock has no call with selector 0x01020304")),
        (("propose", [gmflock.ADDRESS_], [0], [good[:6]], "x"), governance.GovernorInvalidAction,
         (0, "the arguments of gmflock.setParameter do not decode")),
        (("propose", [gmflock.ADDRESS_] * 17, [0] * 17, [good] * 17, "x"), governance.GovernorTooManyActions, (17, 16)),
    ]
    for (name, *args), error, expected in cases:
        before = gov.governance_storage()
        failed_with(gov.send(1, module, name, *args), error, *expected)
        assert gov.governance_storage() == before

    proposal_id, call = gov.propose(1, [(gmflock.MODULE, "setParameter", ("EpsilonPercent", 230))], "once")
    before = gov.governance_storage()
    failed_with(gov.send(2, module, "propose", *call[:3], "once"), governance.GovernorUnexpectedProposalState,
                proposal_id, governance.PENDING, bytes(32))
    failed_with(gov.send(2, module, "castVote", proposal_id, 1), governance.GovernorUnexpectedProposalState,
                proposal_id, governance.PENDING, governance.states_bitmap(governance.ACTIVE))
    failed_with(gov.send(2, module, "cancel", *call), governance.GovernorOnlyProposer, ACCOUNTS[2].address)
    failed_with(gov.send(2, module, "castVote", 12345, 1), governance.GovernorNonexistentProposal, 12345)
    assert gov.governance_storage() == before
    gov.mine(gov.view(governance.MODULE, "proposalSnapshot", proposal_id) - gov.chain.head.number + 1)
    assert gov.state(proposal_id) == "Active"
    failed_with(gov.send(1, module, "cancel", *call), governance.GovernorUnexpectedProposalState, proposal_id,
                governance.ACTIVE, governance.states_bitmap(governance.PENDING))
    failed_with(gov.send(1, module, "castVote", proposal_id, 3), governance.GovernorInvalidVoteType)
    gov.returned(gov.send(1, module, "castVote", proposal_id, 1), "uint256")
    failed_with(gov.send(1, module, "castVote", proposal_id, 0), governance.GovernorAlreadyCastVote,
                ACCOUNTS[1].address)
    failed_with(gov.send(1, module, "queue", *call), governance.GovernorUnexpectedProposalState, proposal_id,
                governance.ACTIVE, governance.states_bitmap(governance.SUCCEEDED))


def test_parameters_are_bounded_named_and_some_fixed():
    gov = Governed()
    state = gov.chain.state()
    setter = next(c for c in gmflock.MODULE.calls if c.name == "setParameter").handler
    env = CallEnv(system.GOVERNANCE_ORIGIN, 0, 1, 1, bytes(20), lambda log: None)
    for name, value, error, args in [("NoSuchThing", 1, UnknownParameter, ("NoSuchThing",)),
                                     ("EpsilonPercent", 1_001, ParameterOutOfBounds, ("EpsilonPercent", 1_001, 0, 1_000)),
                                     ("MaxLockDays", 364, ParameterOutOfBounds, ("MaxLockDays", 364, 365, 1_460))]:
        with pytest.raises(DispatchError) as raised:
            setter(state, env, name, value)
        assert raised.value.revert_data == error.encode(*args)
    chain_id_setter = next(c for c in system.MODULE.calls if c.name == "setParameter").handler
    with pytest.raises(DispatchError) as raised:
        chain_id_setter(state, env, "ChainId", 5)
    assert raised.value.revert_data == ParameterNotGovernable.encode("ChainId")
    assert gov.view(system.MODULE, "getParameter", "ChainId") == 31337


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.sampled_from([1, 30, 200, 365]), st.integers(1, 50)),
                min_size=1, max_size=4),
       st.lists(st.tuples(st.integers(1, 4), st.integers(0, 2)), max_size=6),
       st.lists(st.integers(1, 3), min_size=6, max_size=6))
def test_votes_never_exceed_the_snapshot_supply_and_states_only_move_forward(locks, votes, gaps):
    gov = Governed()
    for account, days, amount in locks:
        gov.send(account, gmflock.MODULE, "lock", days, value=amount * UNIT)
    gov.mine()
    proposal_id, args = gov.propose(1, [(gmflock.MODULE, "setParameter", ("EpsilonPercent", 7))], "p")
    order = {"Pending": 0, "Active": 1, "Defeated": 2, "Succeeded": 2, "Queued": 3, "Expired": 4, "Executed": 4}
    seen = [gov.state(proposal_id)]
    for (voter, support), gap in zip(votes, gaps):
        gov.mine(gap)
        gov.send(voter, governance.MODULE, "castVote", proposal_id, support)
        seen.append(gov.state(proposal_id))
    gov.mine(25)
    seen.append(gov.state(proposal_id))
    if seen[-1] == "Succeeded":
        gov.send(1, governance.MODULE, "queue", *args)
        gov.send(1, governance.MODULE, "execute", *args, timestamp=gov.chain.head.timestamp + 61)
        seen.append(gov.state(proposal_id))
        assert seen[-1] == "Executed"
    assert [order[s] for s in seen] == sorted(order[s] for s in seen), seen
    snapshot = gov.view(governance.MODULE, "proposalSnapshot", proposal_id)
    assert sum(gov.view(governance.MODULE, "proposalVotes", proposal_id)) <= \
        gov.view(gmflock.MODULE, "getPastTotalSupply", snapshot)
