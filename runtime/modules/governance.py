"""governance: gmFLOCK holders propose, vote on and execute calls, with OpenZeppelin Governor's ABI
(GovernorCountingSimple, GovernorVotesQuorumFraction, a timelock in seconds) — spec/modules/governance.md.

A proposal is a list of calls (targets, values, calldatas) and a description; its id is
uint256(keccak256(abi.encode(targets, values, calldatas, keccak256(description)))), as OZ's
`hashProposal`. Its snapshot is `VotingDelay` blocks after the proposing block and its
deadline `VotingPeriod` blocks after that; votes weigh the voter's gmFLOCK votes at the
snapshot (gmflock.getPastVotes), so a lock made later counts nothing. It succeeds when
for > against and for + abstain ≥ quorum, where

    quorum(snapshot) = gmFLOCK supply at the snapshot · QuorumPerMillion // 1_000_000   (floored)

A succeeded proposal is queued (eta = now + TimelockDelay seconds) and may be executed from its
eta until eta + GracePeriod (then it is Expired). Execution runs its calls in order with the
governance origin (system.GOVERNANCE_ORIGIN, which `system.ensure_root` accepts in place of Root),
atomically: if one fails, every call's writes are undone, `ProposalExecutionFailed` names the
failing call and its revert data, and the proposal stays Queued to be executed again or expire.
"""

from dataclasses import dataclass, replace

from ..abi import abi_encode
from ..crypto import keccak256
from ..module import CallDecl, CallEnv, ErrorDecl, EventDecl, Module, Parameter, ViewDecl, fail
from ..records import Address, Bool, RecordCodec, Uint64, Uint256
from ..state import State
from ..storage import U64, U256, RawBytes, StorageMap, StorageValue
from . import gmflock, system

NAME = "governance"
ADDRESS_ = system.GOVERNANCE_ORIGIN
PER_MILLION = 1_000_000
DAY = 86_400
PENDING, ACTIVE, CANCELED, DEFEATED, SUCCEEDED, QUEUED, EXPIRED, EXECUTED = range(8)
"""OpenZeppelin's ProposalState, in its order."""
AGAINST, FOR, ABSTAIN = 0, 1, 2

# Parameters
VotingDelay = StorageValue(NAME, "VotingDelay", U64, 7_200)
"""Blocks from proposing to the snapshot."""
VotingPeriod = StorageValue(NAME, "VotingPeriod", U64, 50_400)
"""Blocks from the snapshot to the deadline (votes are taken in snapshot + 1 … deadline)."""
ProposalThreshold = StorageValue(NAME, "ProposalThreshold", U256, 0)
"""gmFLOCK votes a proposer needs at the block before proposing."""
QuorumPerMillion = StorageValue(NAME, "QuorumPerMillion", U64, 40_000)
"""Quorum as a fraction of the gmFLOCK supply at the snapshot (4%, OZ's example)."""
TimelockDelay = StorageValue(NAME, "TimelockDelay", U64, 2 * DAY)
"""Seconds from queueing to the earliest execution."""
GracePeriod = StorageValue(NAME, "GracePeriod", U64, 14 * DAY)
"""Seconds a queued proposal stays executable (Compound's GRACE_PERIOD)."""
MAX_ACTIONS = 16


@dataclass(frozen=True)
class ProposalRecord:
    proposer: Address
    snapshot: Uint64
    deadline: Uint64
    eta: Uint64
    """When it may be executed (seconds); 0 until queued."""
    executed: Bool
    canceled: Bool


@dataclass(frozen=True)
class ProposalTally:
    against: Uint256
    for_: Uint256
    abstain: Uint256


# Storage
Proposal = StorageMap(NAME, "Proposal", RawBytes(), RecordCodec(ProposalRecord), None)
"""uint256(proposalId) → the proposal."""
Tally = StorageMap(NAME, "Tally", RawBytes(), RecordCodec(ProposalTally), ProposalTally(0, 0, 0))
"""uint256(proposalId) → its votes."""
HasVoted = StorageMap(NAME, "HasVoted", RawBytes(), RecordCodec(ProposalTally), None)
"""uint256(proposalId) ‖ voter → the weight it cast, by support."""

# Events (OpenZeppelin's, plus ProposalExecutionFailed)
ProposalCreated = EventDecl("ProposalCreated(uint256 proposalId,address proposer,address[] targets,uint256[] values,"
                            "string[] signatures,bytes[] calldatas,uint256 voteStart,uint256 voteEnd,"
                            "string description)")
VoteCast = EventDecl("VoteCast(address indexed voter,uint256 proposalId,uint8 support,uint256 weight,string reason)")
ProposalQueued = EventDecl("ProposalQueued(uint256 proposalId,uint256 etaSeconds)")
ProposalExecuted = EventDecl("ProposalExecuted(uint256 proposalId)")
ProposalCanceled = EventDecl("ProposalCanceled(uint256 proposalId)")
ProposalExecutionFailed = EventDecl("ProposalExecutionFailed(uint256 proposalId,uint256 index,bytes reason)")

# Errors (OpenZeppelin's names where it has one)
GovernorInvalidProposalLength = ErrorDecl("GovernorInvalidProposalLength(uint256 targets,uint256 calldatas,"
                                          "uint256 values)")
GovernorTooManyActions = ErrorDecl("GovernorTooManyActions(uint256 actions,uint256 limit)")
GovernorInvalidAction = ErrorDecl("GovernorInvalidAction(uint256 index,string reason)")
GovernorNonexistentProposal = ErrorDecl("GovernorNonexistentProposal(uint256 proposalId)")
GovernorUnexpectedProposalState = ErrorDecl("GovernorUnexpectedProposalState(uint256 proposalId,uint8 current,"
                                            "bytes32 expectedStates)")
GovernorInsufficientProposerVotes = ErrorDecl("GovernorInsufficientProposerVotes(address proposer,uint256 votes,"
                                              "uint256 threshold)")
GovernorAlreadyCastVote = ErrorDecl("GovernorAlreadyCastVote(address voter)")
GovernorInvalidVoteType = ErrorDecl("GovernorInvalidVoteType()")
GovernorOnlyProposer = ErrorDecl("GovernorOnlyProposer(address account)")
GovernorTimelockNotReady = ErrorDecl("GovernorTimelockNotReady(uint256 proposalId,uint64 eta)")


def key(proposal_id: int) -> bytes:
    return proposal_id.to_bytes(32, "big")


def compute_proposal_id(targets: list[bytes], values: list[int], calldatas: list[bytes],
                        description_hash: bytes) -> int:
    """OpenZeppelin's hashProposal."""
    encoded = abi_encode(["address[]", "uint256[]", "bytes[]", "bytes32"],
                         [list(targets), list(values), list(calldatas), description_hash])
    return int.from_bytes(keccak256(encoded), "big")


def states_bitmap(*states: int) -> bytes:
    """OZ's `expectedStates`: bit s set for each state s that would have been accepted."""
    return sum(1 << s for s in states).to_bytes(32, "big")


def get_proposal(state: State, proposal_id: int) -> ProposalRecord:
    proposal = Proposal.get(state, key(proposal_id))
    if proposal is None:
        fail(GovernorNonexistentProposal, proposal_id)
    return proposal


def compute_quorum(state: State, snapshot: int) -> int:
    return gmflock.total_supply_at(state, snapshot) * QuorumPerMillion.get(state) // PER_MILLION


def get_state(state: State, proposal_id: int) -> int:
    """OZ's state machine, read at the current block and time (system.BlockNumber, system.Timestamp)."""
    proposal = get_proposal(state, proposal_id)
    if proposal.executed:
        return EXECUTED
    if proposal.canceled:
        return CANCELED
    clock = system.current_block(state)
    if proposal.snapshot >= clock:
        return PENDING
    if proposal.deadline >= clock:
        return ACTIVE
    tally = Tally.get(state, key(proposal_id))
    if tally.for_ <= tally.against or tally.for_ + tally.abstain < compute_quorum(state, proposal.snapshot):
        return DEFEATED
    if proposal.eta == 0:
        return SUCCEEDED
    if system.current_time(state) >= proposal.eta + GracePeriod.get(state):
        return EXPIRED
    return QUEUED


def require_state(state: State, proposal_id: int, *allowed: int) -> int:
    current = get_state(state, proposal_id)
    if current not in allowed:
        fail(GovernorUnexpectedProposalState, proposal_id, current, states_bitmap(*allowed))
    return current


def cast_vote(state: State, env: CallEnv, proposal_id: int, support: int, reason: str) -> tuple:
    require_state(state, proposal_id, ACTIVE)
    if support > ABSTAIN:
        fail(GovernorInvalidVoteType)
    ballot_key = key(proposal_id) + env.sender
    if HasVoted.get(state, ballot_key) is not None:
        fail(GovernorAlreadyCastVote, env.sender)
    weight = gmflock.get_past_votes(state, env.sender, get_proposal(state, proposal_id).snapshot)
    cast = (weight if support == AGAINST else 0, weight if support == FOR else 0, weight if support == ABSTAIN else 0)
    HasVoted.set(state, ballot_key, ProposalTally(*cast))
    tally = Tally.get(state, key(proposal_id))
    Tally.set(state, key(proposal_id), ProposalTally(tally.against + cast[0], tally.for_ + cast[1],
                                                     tally.abstain + cast[2]))
    env.emit(VoteCast.to_log(ADDRESS_, env.sender, proposal_id, support, weight, reason))
    return (weight,)


# Calls

def call_propose(state: State, env: CallEnv, targets: list, values: list, calldatas: list, description: str) -> tuple:
    if not targets or not len(targets) == len(values) == len(calldatas):
        fail(GovernorInvalidProposalLength, len(targets), len(calldatas), len(values))
    if len(targets) > MAX_ACTIONS:
        fail(GovernorTooManyActions, len(targets), MAX_ACTIONS)
    for index, (target, data) in enumerate(zip(targets, calldatas)):
        reason = env.check_call(target, data)
        if reason is not None:
            fail(GovernorInvalidAction, index, reason)
    clock = system.current_block(state)
    votes = gmflock.get_past_votes(state, env.sender, clock - 1) if clock else 0
    if votes < ProposalThreshold.get(state):
        fail(GovernorInsufficientProposerVotes, env.sender, votes, ProposalThreshold.get(state))
    proposal_id = compute_proposal_id(targets, values, calldatas, keccak256(description.encode()))
    if Proposal.get(state, key(proposal_id)) is not None:
        fail(GovernorUnexpectedProposalState, proposal_id, get_state(state, proposal_id), states_bitmap())
    snapshot = clock + VotingDelay.get(state)
    deadline = snapshot + VotingPeriod.get(state)
    Proposal.set(state, key(proposal_id), ProposalRecord(env.sender, snapshot, deadline, 0, False, False))
    env.emit(ProposalCreated.to_log(ADDRESS_, proposal_id, env.sender, list(targets), list(values),
                                    [""] * len(targets), list(calldatas), snapshot, deadline, description))
    return (proposal_id,)


def call_cast_vote(state: State, env: CallEnv, proposal_id: int, support: int) -> tuple:
    return cast_vote(state, env, proposal_id, support, "")


def call_cast_vote_with_reason(state: State, env: CallEnv, proposal_id: int, support: int, reason: str) -> tuple:
    return cast_vote(state, env, proposal_id, support, reason)


def call_queue(state: State, env: CallEnv, targets: list, values: list, calldatas: list,
               description_hash: bytes) -> tuple:
    proposal_id = compute_proposal_id(targets, values, calldatas, description_hash)
    require_state(state, proposal_id, SUCCEEDED)
    eta = env.timestamp + TimelockDelay.get(state)
    Proposal.set(state, key(proposal_id), replace(get_proposal(state, proposal_id), eta=eta))
    env.emit(ProposalQueued.to_log(ADDRESS_, proposal_id, eta))
    return (proposal_id,)


def call_execute(state: State, env: CallEnv, targets: list, values: list, calldatas: list,
                 description_hash: bytes) -> tuple:
    """Every call or none: a failing call undoes the ones before it and leaves the proposal Queued."""
    proposal_id = compute_proposal_id(targets, values, calldatas, description_hash)
    require_state(state, proposal_id, QUEUED)
    proposal = get_proposal(state, proposal_id)
    if env.timestamp < proposal.eta:
        fail(GovernorTimelockNotReady, proposal_id, proposal.eta)
    state.checkpoint()
    logs = []
    for index, (target, value, data) in enumerate(zip(targets, values, calldatas)):
        result = env.dispatch(ADDRESS_, target, value, data)
        if not result.success:
            state.rollback()
            env.emit(ProposalExecutionFailed.to_log(ADDRESS_, proposal_id, index, result.revert_data))
            return (proposal_id,)
        logs += result.logs
    state.commit()
    Proposal.set(state, key(proposal_id), replace(proposal, executed=True))
    for log in logs:
        env.emit(log)
    env.emit(ProposalExecuted.to_log(ADDRESS_, proposal_id))
    return (proposal_id,)


def call_cancel(state: State, env: CallEnv, targets: list, values: list, calldatas: list,
                description_hash: bytes) -> tuple:
    """The proposer withdraws a proposal while it is Pending (OZ's rule)."""
    proposal_id = compute_proposal_id(targets, values, calldatas, description_hash)
    require_state(state, proposal_id, PENDING)
    proposal = get_proposal(state, proposal_id)
    if env.sender != proposal.proposer:
        fail(GovernorOnlyProposer, env.sender)
    Proposal.set(state, key(proposal_id), replace(proposal, canceled=True))
    env.emit(ProposalCanceled.to_log(ADDRESS_, proposal_id))
    return (proposal_id,)


# Views

def view_has_voted(state: State, proposal_id: int, who: bytes) -> tuple:
    return (HasVoted.get(state, key(proposal_id) + who) is not None,)


def view_quorum(state: State, timepoint: int) -> tuple:
    gmflock.check_past(timepoint, system.current_block(state))
    return (compute_quorum(state, timepoint),)


def view_votes(state: State, proposal_id: int) -> tuple:
    get_proposal(state, proposal_id)
    tally = Tally.get(state, key(proposal_id))
    return tally.against, tally.for_, tally.abstain


def view_get_votes(state: State, who: bytes, timepoint: int) -> tuple:
    gmflock.check_past(timepoint, system.current_block(state))
    return (gmflock.get_past_votes(state, who, timepoint),)


# Genesis and invariants

GENESIS_PARAMETERS = (("votingDelay", VotingDelay), ("votingPeriod", VotingPeriod),
                      ("proposalThreshold", ProposalThreshold), ("quorumPerMillion", QuorumPerMillion),
                      ("timelockDelay", TimelockDelay), ("gracePeriod", GracePeriod))


def genesis(state: State, config: dict) -> None:
    """config (all optional): the parameters of GENESIS_PARAMETERS by their camelCase names, within bounds."""
    for name, item in GENESIS_PARAMETERS:
        if name in config:
            value = int(config[name])
            parameter = MODULE.parameters[item.name]
            if not parameter.minimum <= value <= parameter.maximum:
                raise ValueError(f"governance: {name} must lie in [{parameter.minimum}, {parameter.maximum}]")
            item.set(state, value)


def check_invariants(state: State) -> None:
    for proposal_key, proposal in Proposal.items(state):
        assert proposal.snapshot <= proposal.deadline
        assert not (proposal.executed and proposal.canceled)
        assert not proposal.executed or proposal.eta > 0, "only a queued proposal executes"
        tally = Tally.get(state, proposal_key)
        supply = gmflock.total_supply_at(state, proposal.snapshot)
        assert tally.against + tally.for_ + tally.abstain <= supply, "votes never exceed the supply at the snapshot"
    for ballot_key, cast in HasVoted.items(state):
        assert Proposal.get(state, ballot_key[:32]) is not None and len(ballot_key) == 52
        assert [cast.against, cast.for_, cast.abstain].count(0) >= 2, "one side per ballot"


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    calls=(
        CallDecl("propose(address[] targets,uint256[] values,bytes[] calldatas,string description)", call_propose,
                 weight=50_000, returns=("uint256",), weight_per_byte=16),
        CallDecl("castVote(uint256 proposalId,uint8 support)", call_cast_vote, weight=30_000, returns=("uint256",)),
        CallDecl("castVoteWithReason(uint256 proposalId,uint8 support,string reason)", call_cast_vote_with_reason,
                 weight=30_000, returns=("uint256",), weight_per_byte=16),
        CallDecl("queue(address[] targets,uint256[] values,bytes[] calldatas,bytes32 descriptionHash)", call_queue,
                 weight=30_000, returns=("uint256",), weight_per_byte=16),
        CallDecl("execute(address[] targets,uint256[] values,bytes[] calldatas,bytes32 descriptionHash)",
                 call_execute, weight=100_000, payable=True, returns=("uint256",), weight_per_byte=16),
        CallDecl("cancel(address[] targets,uint256[] values,bytes[] calldatas,bytes32 descriptionHash)", call_cancel,
                 weight=30_000, returns=("uint256",), weight_per_byte=16),
    ),
    views=(
        ViewDecl("name()", lambda state: ("flockchain governance",), ("string",)),
        ViewDecl("version()", lambda state: ("1",), ("string",)),
        ViewDecl("COUNTING_MODE()", lambda state: ("support=bravo&quorum=for,abstain",), ("string",)),
        ViewDecl("clock()", lambda state: (system.current_block(state),), ("uint48",)),
        ViewDecl("CLOCK_MODE()", lambda state: (gmflock.CLOCK_MODE,), ("string",)),
        ViewDecl("hashProposal(address[] targets,uint256[] values,bytes[] calldatas,bytes32 descriptionHash)",
                 lambda state, *args: (compute_proposal_id(*args),), ("uint256",)),
        ViewDecl("state(uint256 proposalId)", lambda state, pid: (get_state(state, pid),), ("uint8",)),
        ViewDecl("proposalSnapshot(uint256 proposalId)",
                 lambda state, pid: (get_proposal(state, pid).snapshot,), ("uint256",)),
        ViewDecl("proposalDeadline(uint256 proposalId)",
                 lambda state, pid: (get_proposal(state, pid).deadline,), ("uint256",)),
        ViewDecl("proposalProposer(uint256 proposalId)",
                 lambda state, pid: (get_proposal(state, pid).proposer,), ("address",)),
        ViewDecl("proposalEta(uint256 proposalId)", lambda state, pid: (get_proposal(state, pid).eta,), ("uint256",)),
        ViewDecl("proposalVotes(uint256 proposalId)", view_votes, ("uint256", "uint256", "uint256")),
        ViewDecl("hasVoted(uint256 proposalId,address account)", view_has_voted, ("bool",)),
        ViewDecl("quorum(uint256 timepoint)", view_quorum, ("uint256",)),
        ViewDecl("getVotes(address account,uint256 timepoint)", view_get_votes, ("uint256",)),
        ViewDecl("votingDelay()", lambda state: (VotingDelay.get(state),), ("uint256",)),
        ViewDecl("votingPeriod()", lambda state: (VotingPeriod.get(state),), ("uint256",)),
        ViewDecl("proposalThreshold()", lambda state: (ProposalThreshold.get(state),), ("uint256",)),
    ),
    parameters={"VotingDelay": Parameter(VotingDelay, 0, 1_000_000), "VotingPeriod": Parameter(VotingPeriod, 1, 1_000_000),
                "ProposalThreshold": Parameter(ProposalThreshold, 0, 10**9 * 10**18),
                "QuorumPerMillion": Parameter(QuorumPerMillion, 1, PER_MILLION),
                "TimelockDelay": Parameter(TimelockDelay, 0, 30 * DAY),
                "GracePeriod": Parameter(GracePeriod, DAY, 90 * DAY)},
    authorize=system.ensure_root,
    raises=(system.NotRoot,),
    genesis=genesis,
    check_invariants=check_invariants,
)
