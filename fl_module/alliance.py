"""fl_alliance: FL Alliance tasks and their rounds — roles, committed updates, votes, tally, payouts.

A task trains one model among institutions that keep their data. Each round:

    draw       proposers, then voters, by stake-weighted sampling from VRF randomness
    COMMIT     each proposer commits keccak256(updateHash ‖ salt ‖ proposer)
    REVEAL     … and reveals (updateHash, salt); the update's bytes are a blob any node serves
    VOTE_COMMIT  each voter scores every revealed update on its own held-out data — the update's loss ÷ the
               global model's, × 10⁶ (formats.SCORE_SCALE) — and commits keccak256(u32 scores ‖ salt ‖ voter)
    VOTE_REVEAL  … and reveals (scores, salt)
    tally      a two-pass stake-weighted median score per update; payouts and offences (below)
    AGGREGATE  (only if an update was accepted) round members submit the hash of FedAvg of the
               accepted updates with their score of it against the global model; when all have (or at
               the deadline) the hash with the most stake becomes the new global model if more than half
               of the stake that submitted it scored it below 1 (the aggregate check). Why wait for all:
               ending at the first majority would let the fastest — colluders who compute nothing —
               hold the check

A phase ends early when everyone who can act in it has acted (the last action moves the round
on, in the same call), and otherwise at its deadline, when anyone calls `advance(task)`.
Transitions happen in calls, not block hooks, so every step is an event in a receipt.

The rules of the tally (all stakes are staking weights — own + delegated + gmFLOCK lock bonus — fixed at the draw):

    reports(u)     = the scores of update u revealed by every voting member but its proposer
    m(u), m⁺(u)    = stake-weighted lower and upper medians of reports(u)             (runtime/medians.py)
    outlier        = a member whose scores are far from the medians on more than half of the updates it scored;
                     far: max(s', m') ≥ F · min(s', m'), F = FarFactor (3), where m' is the score nearest s
                     in [m, m⁺], and s', m' are s, m' raised to at least 0.1 · 10⁶ — unless s and m are
                     both at or above the round's acceptance bound (both reject: never far)
    c(u), c⁺(u)    = the lower and upper medians again without the outliers (the first pass's where only
                     outliers scored)
    M              = the lower median of c⁺ over the round's updates that have reports (each counts once)
    accepted(u)    ⇔ c⁺(u) < AcceptBelow (1.3 · 10⁶): more than half of the stake found it less than 30% worse
                     than the global model on its own data; under peer review also when c⁺(u) <
                     min(PoisonAt, ⌊min(M, AcceptBelow) · AcceptWithin / 10⁶⌋): less than 20% worse than the
                     round's median update (at most 1.56 · 10⁶); the aggregate check then decides
    poisoned(u)    ⇔ c(u) ≥ min(2³²−1, ⌊PoisonAt · bound / AcceptBelow⌋), bound the round's acceptance bound:
                     more than half found it at least three times as bad (3 · 10⁶) — times as much as the round's
                     bound widened acceptance (at most 1.2 under peer review: 3.6 · 10⁶)
    proposer of a poisoned update          → offence 0 (poisoned update)
    member far from [c, c⁺] on most of its scores → offence 1 (false validation)
    committed but did not reveal           → offence 3 (unavailability)

Why scores and a median, not accept bits and a majority (measured in fl_module/worker/baselines.py and
spec/modules/fl_alliance.md): colluders holding less than half of an update's voting stake cannot move its
median, whatever they report; and a colluder — scoring its accomplices 0 and honest work as unusable — is far
from the honest medians on most updates, so it drops out of the second pass, earns nothing and is reported.
With bits, a colluder rejecting honest work agreed with every honest rejection of a non-IID update.

Peer review (a task with 0 voters): the proposers are the voting members, each scoring the others' updates,
so no draw can hand a round's votes to the colluders.

Why the aggregate check: on non-IID data an honest update alone rarely lowers the loss on most members' data
late in training, while the average of several does (FLock votes on the aggregate too). Accepting updates
within 30% and adopting their FedAvg only when the median member finds it strictly better reached FedAvg's
accuracy without an attack, where accepting only strict individual improvements stopped 1.4 points below it
(fl_module/worker/baselines.py; spec/modules/fl_alliance.md).

Round reward R = ⌊pool / roundsLeft⌋ (FLock: pool / rounds left), paid when the tally runs:
⌊R · ProposerSharePerMillion / 10⁶⌋ to accepted proposers by stake, the rest to the voters who
revealed and are not outliers, weighted stake × (updates on which the voter's score is not far from c). Payment goes
through rewards.pay_from (delegators share, claim()). The pool is the task's own account
(`compute_task_account`): the creator's bounty, `fund()`, slashes of the task's offenders and its
share of FL Alliance emissions (moved in at each epoch boundary, by task stake). What a finished
task leaves is swept to the treasury.

Randomness: the draw seeds are randomness.compute_role_seed(Randomness of the current epoch,
task, round, b"proposer" | b"voter"). Known limit: when a round starts at a deadline, whoever calls
`advance` chooses the block, and so, near an epoch boundary, which epoch's randomness is used.
"""

from dataclasses import dataclass, replace

from runtime.crypto import keccak256
from runtime.exceptions import DispatchError
from runtime.medians import compute_upper_weighted_median, compute_weighted_median
from runtime.module import BlockEnv, CallDecl, CallEnv, ErrorDecl, EventDecl, Module, Parameter, ViewDecl, module_address
from runtime.modules import balances, randomness, rewards, slashing, staking, system, treasury
from runtime.sampling import sample
from runtime.records import Address, Hash32, RecordCodec, RecordList, Uint8, Uint16, Uint32, Uint64, Uint256
from runtime.state import State
from runtime.storage import HASH32, U64, BytesList, FixedUint, RawBytes, StorageMap, StorageValue, UintTupleList

from .formats import (ACCEPTED, AGGREGATE, COMMIT, FINISHED, NO_ACCURACY, PHASES, POISONED, PROPOSER,  # noqa: F401
                      REJECTED, REVEAL, ROUND_AGGREGATE_REJECTED, ROUND_COMPLETED, ROUND_NONE_ACCEPTED, ROUND_RUNNING,
                      ROUND_TIMED_OUT,
                      RUNNING, SCORE_SCALE, SCORE_UNUSABLE, VOTE_COMMIT, VOTE_REVEAL, VOTER, WAITING, ZERO_HASH,
                      compute_score_commitment, compute_update_commitment)

NAME = "fl_alliance"
ADDRESS_ = module_address(8)
PER_MILLION = 1_000_000
PEER_REVIEW_MIN_PROPOSERS = 3
"""Under peer review (0 voters) each update is scored by the other proposers: at least two of them."""
AGREEMENT_FLOOR = SCORE_SCALE // 10
"""Scores below 0.1 (an update that nearly zeroes the loss, or a lazy voter's 0) count as 0.1 when compared."""

# Parameters
MaxActiveTasks = StorageValue(NAME, "MaxActiveTasks", U64, 16)
MaxParticipants = StorageValue(NAME, "MaxParticipants", U64, 64)
MaxRoleSize = StorageValue(NAME, "MaxRoleSize", U64, 32)
"""Most proposers (≤ 256) or voters a round may draw."""
MaxRounds = StorageValue(NAME, "MaxRounds", U64, 10_000)
MaxPhaseBlocks = StorageValue(NAME, "MaxPhaseBlocks", U64, 100_000)
MaxDescriptorLength = StorageValue(NAME, "MaxDescriptorLength", U64, 128)
AcceptBelowPerMillion = StorageValue(NAME, "AcceptBelowPerMillion", FixedUint(4), 13 * SCORE_SCALE // 10)
"""An update is accepted (into the aggregate) when more than half of the stake scores it below this. Measured
with the aggregate check (baselines, digits, 10 participants, 12 rounds, peer review, seeds 0–2; accuracy without
an attack / under 4 colluding label-flippers, malicious updates accepted of 144): 1.0: .936 / .873, 0;
1.2: .943 / .906, 4; 1.3: .949 / .887, 13; 1.5: .952 / .894, 27 (FedAvg without an attack: .950). Again with the
false-validator exclusion (`python -m fl_module.worker.baselines --collude --accept-below N`, seeds 0–4, 4 of 10
colluding; it matches the chain's soak within 0.3 points at 1.3), 1.3 → 1.5: noise, scaled and the hostile blobs
.903 → .912, label-flip .896 → .913, free-rider .867 → .891, sign-flip .903 → .901, no attack .949 → .948; but
diabetes with 3 of 8 colluding sign-flippers .537 → .554 MSE, 6.8% above its no-attack run (1.3: 2.5%), so 1.3;
AcceptWithinPerMillion widens it relative to the round instead."""
AcceptWithinPerMillion = StorageValue(NAME, "AcceptWithinPerMillion", FixedUint(4), 12 * SCORE_SCALE // 10)
"""Under peer review, an update is also accepted when its upper consensus is below this factor (1.2) times the
round's median upper consensus, that median taken at most AcceptBelow (so never above 1.2 × 1.3 = 1.56; 0 or
anything up to 10⁶: off). Why: late in training an honest update on unusual data is scored 1.3–2 by most peers,
as are many of the round's updates, and rejecting it left the model a point below Multi-Krum, which averages all
honest updates. Why only under peer review: there the round's proposers are its voters, so attackers who make
the median of its updates are also half of its voting members (by count; stakes differ); a classic round draws
proposers apart from voters, and its proposers can be mostly attackers, whose updates then make the median
(classic draw, 4 of 10 colluding sign-flippers, seeds 0–9: .870 → .842 with the rule). Why the cap: the bound
stays below 1.56 whatever the round's updates score. Measured (`python -m fl_module.worker.baselines --collude
[--accept-within 0]`, peer review, digits, 10 participants, 12 rounds, 4 colluding, seeds 0–9; diabetes 8,
10 rounds, 3 colluding sign-flippers, seeds 0–4, MSE above the no-attack run) 0 → 1.2: sign-flip .919 → .924
(Multi-Krum .928), label-flip .914 → .923, no attack .946 either way (FedAvg .948), alie .945 and free-rider
.890 either way, diabetes 2.5% → 4.0%; 1.3: sign-flip .926, label-flip .924, diabetes 5.7%; uncapped 1.2 (seeds
0–4): within .002 of capped, uncapped 1.3: diabetes 5.7%."""
PoisonAtPerMillion = StorageValue(NAME, "PoisonAtPerMillion", FixedUint(4), 3 * SCORE_SCALE)
"""… and poisoned (its proposer slashed) when its consensus score is at least this, in a round whose bound is
AcceptBelow; a round whose bound is wider raises it by the same factor (`compute_poison_line`). Measured
(baselines, digits, 10 participants, 12 rounds, 4 colluding, seeds 0–2): honest updates of a participant with
unusual data reach a consensus of 2.2 late in training: 2·10⁶ slashed 6 honest proposals in 24 runs, 3·10⁶ none
in the 12 runs of the scenarios where that happened and two more; attacks early in training, from a random
model, score 1.1–2.5 and are rejected, not slashed. Raising it with the bound (chain-free, seeds 0–19, 4 of 10
colluding; tallies slashed of malicious tallies): a fixed 3·10⁶ slashed an honest participant in seed 5 under
sign-flip and under noise (3.02 and 3.24 against a bound of 1.56), the raised line none (the nearest honest
score 10% below it); sign-flip 460 → 400 of 960 slashed, label-flip 398 → 328, diabetes (3 of 8 sign-flippers)
172 → 166 of 600, noise 960 of 960 either way, scaled (seeds 10–19) 479 of 480 either way."""
FarFactorPerMillion = StorageValue(NAME, "FarFactorPerMillion", FixedUint(4), 3 * SCORE_SCALE)
"""A score is far from the consensus when one is at least this factor (3) times the other. Why a factor, not a
difference: on non-IID data honest voters' ratios for one update spread over 0.25–3.5 (measured, digits, α 0.5),
multiplicatively; a colluder's 0 or unusable is far beyond any such spread."""
QuorumPerMillion = StorageValue(NAME, "QuorumPerMillion", FixedUint(4), 500_000)
"""A tally needs the voters who revealed to hold more than this share of the drawn voters' stake."""
ProposerSharePerMillion = StorageValue(NAME, "ProposerSharePerMillion", FixedUint(4), 500_000)



@dataclass(frozen=True)
class TaskSpec:
    creator: Address
    initial_model: Hash32
    rounds: Uint32
    proposers: Uint16
    voters: Uint16
    commit_blocks: Uint32
    reveal_blocks: Uint32
    vote_commit_blocks: Uint32
    vote_reveal_blocks: Uint32
    aggregate_blocks: Uint32
    min_stake: Uint256
    created_at: Uint64

    @property
    def phase_blocks(self) -> tuple[int, int, int, int, int]:
        """Each phase's length in blocks, indexed by phase."""
        return (self.commit_blocks, self.reveal_blocks, self.vote_commit_blocks, self.vote_reveal_blocks,
                self.aggregate_blocks)


@dataclass(frozen=True)
class TaskProgress:
    status: Uint8
    round: Uint32
    phase: Uint8
    phase_end: Uint64
    models_accepted: Uint32
    """Rounds that ended with a new global model."""

    def replace(self, **changes) -> "TaskProgress":
        return replace(self, **changes)


@dataclass(frozen=True)
class DrawnMember:
    who: Address
    stake: Uint256
    """Its stake at the draw: what the tally and payouts weigh."""


@dataclass(frozen=True)
class RevealedUpdate:
    proposer: Address
    update_hash: Hash32


@dataclass(frozen=True)
class UpdateTally:
    low_score: Uint32
    """c(u), the lower median; SCORE_UNUSABLE when nobody but its proposer scored it."""
    high_score: Uint32
    """c⁺(u), the upper median (the same unless exactly half of the stake lies on each side)."""
    voting_stake: Uint256
    """Stake of the reports c(u) is the median of."""
    outcome: Uint8


@dataclass(frozen=True)
class Evaluation:
    """The task creator's measurement of a round's global model on data it holds back (Flower's server-side
    evaluation). The chain records it and checks only who sent it: anyone with the same data can recompute it
    from the public model blob."""

    loss: Uint64
    """Mean loss × EVALUATION_SCALE (10⁹), floored."""
    accuracy: Uint32
    """Parts per million, or NO_ACCURACY for a model kind without one (regression)."""
    reported_at: Uint64


@dataclass(frozen=True)
class AggregateVote:
    """A member's submission in AGGREGATE: the FedAvg it computed and its score of it against the global model
    (loss ratio × 10⁶ on its own data, as a voter scores an update)."""

    model: Hash32
    score: Uint32


@dataclass(frozen=True)
class RoundResult:
    status: Uint8
    global_model: Hash32
    """The global model after the round (zero while it runs)."""
    reward: Uint256
    ended_at: Uint64
    """The block it ended in (0 while it runs)."""


# Storage (task keys: u64 task; round keys: u64 task ‖ u32 round; member keys: round key ‖ address)
TaskCount = StorageValue(NAME, "TaskCount", U64, 0)
TaskConfig = StorageMap(NAME, "TaskConfig", FixedUint(8), RecordCodec(TaskSpec), None)
TaskModelKind = StorageMap(NAME, "TaskModelKind", FixedUint(8), RawBytes(), b"")
TaskDataset = StorageMap(NAME, "TaskDataset", FixedUint(8), RawBytes(), b"")
TaskState = StorageMap(NAME, "TaskState", FixedUint(8), RecordCodec(TaskProgress), None)
GlobalModel = StorageMap(NAME, "GlobalModel", FixedUint(8), HASH32, None)
Participants = StorageMap(NAME, "Participants", FixedUint(8), BytesList(), ())
"""task → addresses in the order they joined."""
ActiveTasks = StorageValue(NAME, "ActiveTasks", UintTupleList(1), ())
"""Ids of tasks not finished, ascending."""
Proposers = StorageMap(NAME, "Proposers", RawBytes(), RecordList(DrawnMember), ())
"""round key → its proposers in draw order."""
Voters = StorageMap(NAME, "Voters", RawBytes(), RecordList(DrawnMember), ())
UpdateCommitment = StorageMap(NAME, "UpdateCommitment", RawBytes(), HASH32, None)
UpdateHash = StorageMap(NAME, "UpdateHash", RawBytes(), HASH32, None)
"""member key → the update a proposer revealed."""
RevealedUpdates = StorageMap(NAME, "RevealedUpdates", RawBytes(), RecordList(RevealedUpdate), ())
"""round key → the revealed updates in draw order: what score i names."""
ScoreCommitment = StorageMap(NAME, "ScoreCommitment", RawBytes(), HASH32, None)
Scores = StorageMap(NAME, "Scores", RawBytes(), RawBytes(), None)
"""member key → the scores a voter revealed, u32 big-endian each, concatenated."""
Tally = StorageMap(NAME, "Tally", RawBytes(), RecordList(UpdateTally), ())
"""round key → the tally of each revealed update, in their order."""
AggregateChoice = StorageMap(NAME, "AggregateChoice", RawBytes(), RecordCodec(AggregateVote), None)
"""member key → the aggregate the member submitted and its score of it."""
RoundOutcome = StorageMap(NAME, "RoundOutcome", RawBytes(), RecordCodec(RoundResult), None)
Evaluations = StorageMap(NAME, "Evaluations", RawBytes(), RecordCodec(Evaluation), None)
"""round key → the creator's evaluation of the round's global model, once."""
LastEpoch = StorageValue(NAME, "LastEpoch", U64, 0)
Verified = StorageMap(NAME, "Verified", FixedUint(8), U64, 0)
"""task → 1 while governance holds it verified: only verified tasks earn emissions (a bounty pays
either way). Anyone may create a task and stake on it; without this, staking on one's own empty
task would farm emissions."""

# Events
TaskCreated = EventDecl("TaskCreated(uint256 indexed task,address indexed creator,address pool,uint256 bounty)")
TaskFunded = EventDecl("TaskFunded(uint256 indexed task,address indexed from,uint256 amount)")
Joined = EventDecl("Joined(uint256 indexed task,address indexed who,uint256 stake)")
Left = EventDecl("Left(uint256 indexed task,address indexed who)")
RoundStarted = EventDecl("RoundStarted(uint256 indexed task,uint32 indexed round,address[] proposers,"
                         "address[] voters,uint64 phaseEnd)")
PhaseChanged = EventDecl("PhaseChanged(uint256 indexed task,uint32 indexed round,uint8 phase,uint64 phaseEnd)")
UpdateCommitted = EventDecl("UpdateCommitted(uint256 indexed task,uint32 indexed round,address indexed proposer)")
UpdateRevealed = EventDecl("UpdateRevealed(uint256 indexed task,uint32 indexed round,address indexed proposer,"
                           "bytes32 updateHash)")
ScoresCommitted = EventDecl("ScoresCommitted(uint256 indexed task,uint32 indexed round,address indexed voter)")
ScoresRevealed = EventDecl("ScoresRevealed(uint256 indexed task,uint32 indexed round,address indexed voter,"
                           "uint32[] scores)")
UpdateTallied = EventDecl("UpdateTallied(uint256 indexed task,uint32 indexed round,address indexed proposer,"
                          "bytes32 updateHash,uint8 outcome,uint32 lowScore,uint32 highScore,uint256 votingStake)")
Penalized = EventDecl("Penalized(uint256 indexed task,uint32 indexed round,address indexed offender,uint8 kind,"
                      "uint256 slashId)")
AggregateSubmitted = EventDecl("AggregateSubmitted(uint256 indexed task,uint32 indexed round,address indexed who,"
                               "bytes32 modelHash,uint32 score)")
RoundCompleted = EventDecl("RoundCompleted(uint256 indexed task,uint32 indexed round,uint8 status,"
                           "bytes32 globalModel,uint256 reward)")
EvaluationReported = EventDecl("EvaluationReported(uint256 indexed task,uint32 indexed round,uint64 loss,"
                                "uint32 accuracy)")
TaskFinished = EventDecl("TaskFinished(uint256 indexed task,bytes32 globalModel,uint256 swept)")
TaskVerified = EventDecl("TaskVerified(uint256 indexed task)")
TaskUnverified = EventDecl("TaskUnverified(uint256 indexed task)")

# Errors
UnknownTask = ErrorDecl("UnknownTask(uint256 task)")
InvalidTaskConfig = ErrorDecl("InvalidTaskConfig(string reason)")
TooManyActiveTasks = ErrorDecl("TooManyActiveTasks(uint64 maximum)")
TaskNotActive = ErrorDecl("TaskNotActive(uint256 task,uint8 status)")
TaskNotFinished = ErrorDecl("TaskNotFinished(uint256 task)")
AlreadyJoined = ErrorDecl("AlreadyJoined(uint256 task)")
NotParticipant = ErrorDecl("NotParticipant(uint256 task)")
TooManyParticipants = ErrorDecl("TooManyParticipants(uint64 maximum)")
NotEnoughStake = ErrorDecl("NotEnoughStake(uint256 stake,uint256 minimum)")
WrongPhase = ErrorDecl("WrongPhase(uint8 phase,uint8 required)")
PhaseClosed = ErrorDecl("PhaseClosed(uint64 phaseEnd)")
NotInRole = ErrorDecl("NotInRole(address account,uint8 role)")
AlreadyCommitted = ErrorDecl("AlreadyCommitted()")
NotCommitted = ErrorDecl("NotCommitted()")
AlreadyRevealed = ErrorDecl("AlreadyRevealed()")
CommitmentMismatch = ErrorDecl("CommitmentMismatch(bytes32 committed,bytes32 computed)")
InvalidScores = ErrorDecl("InvalidScores(uint256 count,uint256 updates)")
AlreadySubmitted = ErrorDecl("AlreadySubmitted()")
NotRoundMember = ErrorDecl("NotRoundMember(address account)")
NothingToAdvance = ErrorDecl("NothingToAdvance(uint64 phaseEnd)")
ZeroAmount = ErrorDecl("ZeroAmount()")
NotTaskCreator = ErrorDecl("NotTaskCreator(address creator)")
RoundNotEnded = ErrorDecl("RoundNotEnded(uint32 round)")
InvalidAccuracy = ErrorDecl("InvalidAccuracy(uint32 accuracy)")
AlreadyReported = ErrorDecl("AlreadyReported(uint32 round)")
TaskAlreadyVerified = ErrorDecl("TaskAlreadyVerified(uint256 task)")
TaskNotVerified = ErrorDecl("TaskNotVerified(uint256 task)")


# Keys and accounts

def round_key(task: int, round_: int) -> bytes:
    return task.to_bytes(8, "big") + round_.to_bytes(4, "big")


def member_key(task: int, round_: int, who: bytes) -> bytes:
    return round_key(task, round_) + who


def compute_task_account(task: int) -> bytes:
    """The task's reward pool: an account no key controls, keccak256(module address ‖ u64 task)[12:]."""
    return keccak256(ADDRESS_ + task.to_bytes(8, "big"))[12:]


# Reading a task

def get_spec(state: State, task: int) -> TaskSpec:
    spec = TaskConfig.get(state, task)
    if spec is None:
        raise DispatchError(UnknownTask, task)
    return spec


def get_progress(state: State, task: int) -> TaskProgress:
    progress = TaskState.get(state, task)
    if progress is None:
        raise DispatchError(UnknownTask, task)
    return progress


def set_progress(state: State, task: int, progress: TaskProgress) -> None:
    TaskState.set(state, task, progress)


def get_stake(state: State, who: bytes, minimum: int) -> int:
    """A participant's weight in draws, tallies and payouts: staking.get_weight (exposure plus its gmFLOCK
    lock bonus), or 0 while its exposure (own + delegated) is below the task's minimum."""
    return staking.get_weight(state, who) if sum(staking.get_exposure(state, who)) >= minimum else 0


def get_members(state: State, task: int, round_: int) -> tuple[list[tuple[bytes, int]], list[tuple[bytes, int]]]:
    """(proposers, voters) of a round as (address, stake at the draw), in draw order."""
    key = round_key(task, round_)
    return ([(m.who, m.stake) for m in Proposers.get(state, key)], [(m.who, m.stake) for m in Voters.get(state, key)])


def select_voting(spec: TaskSpec, proposers: list, voters: list) -> list[tuple[bytes, int]]:
    """Who votes in a round: its voters, or under peer review (a task with 0 voters) its proposers, each on
    the others' updates."""
    return voters if spec.voters else proposers


def get_voting_members(state: State, task: int, round_: int) -> list[tuple[bytes, int]]:
    return select_voting(get_spec(state, task), *get_members(state, task, round_))


def get_task_stake(state: State, task: int) -> int:
    minimum = get_spec(state, task).min_stake
    return sum(get_stake(state, who, minimum) for who in Participants.get(state, task))


def get_earning_tasks(state: State) -> list[int]:
    """The active tasks that earn emissions: those governance verified."""
    return [task for (task,) in ActiveTasks.get(state) if Verified.get(state, task)]


def update_pool_stake(state: State) -> None:
    """FL Alliance's emission share follows the stake of the earning tasks; with none, rewards pays stakers."""
    stakes = [get_task_stake(state, task) for task in get_earning_tasks(state)]
    rewards.set_task_stakes(state, rewards.FL_ALLIANCE, stakes)


# The round state machine

def start_round(state: State, env, task: int, round_: int) -> None:
    """Draw the round's roles, or wait for participants when too few hold enough stake."""
    spec = get_spec(state, task)
    candidates = [(who, get_stake(state, who, spec.min_stake)) for who in Participants.get(state, task)]
    if sum(1 for _, stake in candidates if stake) < spec.proposers + spec.voters:
        set_progress(state, task, TaskProgress(WAITING, round_, COMMIT, 0, get_progress(state, task).models_accepted))
        return
    seed_source = randomness.Randomness.get(state)
    proposers = sample(randomness.compute_role_seed(seed_source, task, round_, b"proposer"), candidates,
                       spec.proposers)
    rest = [(who, stake) for who, stake in candidates if who not in proposers]
    voters = sample(randomness.compute_role_seed(seed_source, task, round_, b"voter"), rest, spec.voters)
    stakes = dict(candidates)
    key = round_key(task, round_)
    Proposers.set(state, key, tuple(DrawnMember(who, stakes[who]) for who in proposers))
    Voters.set(state, key, tuple(DrawnMember(who, stakes[who]) for who in voters))
    phase_end = env.block_number + spec.phase_blocks[COMMIT]
    set_progress(state, task, TaskProgress(RUNNING, round_, COMMIT, phase_end,
                                           get_progress(state, task).models_accepted))
    env.emit(RoundStarted.to_log(ADDRESS_, task, round_, proposers, voters, phase_end))


def enter_phase(state: State, env, task: int, phase: int) -> None:
    progress = get_progress(state, task)
    phase_end = env.block_number + get_spec(state, task).phase_blocks[phase]
    set_progress(state, task, progress.replace(phase=phase, phase_end=phase_end))
    env.emit(PhaseChanged.to_log(ADDRESS_, task, progress.round, phase, phase_end))


def end_round(state: State, env, task: int, status: int, reward: int = 0) -> None:
    """Record the outcome, then draw the next round or finish the task."""
    progress = get_progress(state, task)
    model = GlobalModel.get(state, task)
    RoundOutcome.set(state, round_key(task, progress.round), RoundResult(status, model, reward, env.block_number))
    env.emit(RoundCompleted.to_log(ADDRESS_, task, progress.round, status, model, reward))
    accepted = progress.models_accepted + (status == ROUND_COMPLETED)
    set_progress(state, task, progress.replace(models_accepted=accepted))
    if progress.round + 1 >= get_spec(state, task).rounds:
        finish_task(state, env, task)
    else:
        start_round(state, env, task, progress.round + 1)


def finish_task(state: State, env, task: int) -> None:
    progress = get_progress(state, task)
    set_progress(state, task, progress.replace(status=FINISHED, phase_end=0))
    ActiveTasks.set(state, tuple(entry for entry in ActiveTasks.get(state) if entry[0] != task))
    swept = sweep(state, task)
    update_pool_stake(state)
    env.emit(TaskFinished.to_log(ADDRESS_, task, GlobalModel.get(state, task), swept))


def sweep(state: State, task: int) -> int:
    account = compute_task_account(task)
    amount = balances.free_balance(state, account)
    if amount:
        treasury.deposit_from(state, account, amount)
    return amount


def report(state: State, env, task: int, round_: int, kind: int, offender: bytes) -> None:
    """An offence found by the tally or a deadline, paid back to the task's pool; nothing at stake, no report."""
    if sum(staking.get_slashable(state, offender)) == 0:
        return
    account = compute_task_account(task)
    slash_id = slashing.report_offence(state, kind, offender, account, account, env.emit)
    env.emit(Penalized.to_log(ADDRESS_, task, round_, offender, kind, slash_id))


def is_phase_complete(state: State, task: int, progress: TaskProgress) -> bool:
    """Everyone who can still act in the phase has acted."""
    proposers, voters = get_members(state, task, progress.round)
    key = lambda who: member_key(task, progress.round, who)
    if progress.phase == COMMIT:
        return all(UpdateCommitment.get(state, key(who)) for who, _ in proposers)
    if progress.phase == REVEAL:
        return all(UpdateHash.get(state, key(who)) or not UpdateCommitment.get(state, key(who))
                   for who, _ in proposers)
    if progress.phase == VOTE_COMMIT:
        return all(ScoreCommitment.get(state, key(who))
                   for who, _ in select_voting(get_spec(state, task), proposers, voters))
    if progress.phase == VOTE_REVEAL:
        return all(Scores.get(state, key(who)) is not None or not ScoreCommitment.get(state, key(who))
                   for who, _ in select_voting(get_spec(state, task), proposers, voters))
    return all(AggregateChoice.get(state, key(who)) is not None for who, _ in proposers + voters)


def end_phase(state: State, env, task: int) -> None:
    """Close the current phase (its deadline passed, or everyone acted) and move the round on."""
    progress = get_progress(state, task)
    round_ = progress.round
    proposers, voters = get_members(state, task, round_)
    key = lambda who: member_key(task, round_, who)
    if progress.phase == COMMIT:
        if any(UpdateCommitment.get(state, key(who)) for who, _ in proposers):
            return enter_phase(state, env, task, REVEAL)
        return end_round(state, env, task, ROUND_TIMED_OUT)
    if progress.phase == REVEAL:
        revealed = []
        for who, _ in proposers:
            update = UpdateHash.get(state, key(who))
            if update is not None:
                revealed.append(RevealedUpdate(who, update))
            elif UpdateCommitment.get(state, key(who)):
                report(state, env, task, round_, slashing.UNAVAILABILITY, who)
        RevealedUpdates.set(state, round_key(task, round_), tuple(revealed))
        if revealed:
            return enter_phase(state, env, task, VOTE_COMMIT)
        return end_round(state, env, task, ROUND_TIMED_OUT)
    if progress.phase == VOTE_COMMIT:
        if any(ScoreCommitment.get(state, key(who))
               for who, _ in select_voting(get_spec(state, task), proposers, voters)):
            return enter_phase(state, env, task, VOTE_REVEAL)
        return end_round(state, env, task, ROUND_TIMED_OUT)
    if progress.phase == VOTE_REVEAL:
        return process_tally(state, env, task)
    paid = RoundOutcome.get(state, round_key(task, round_)).reward
    winner = get_aggregate_winner(state, task, round_)
    if winner is None:
        return end_round(state, env, task, ROUND_TIMED_OUT, paid)
    if not is_aggregate_better(state, task, round_, winner):
        return end_round(state, env, task, ROUND_AGGREGATE_REJECTED, paid)
    GlobalModel.set(state, task, winner)
    return end_round(state, env, task, ROUND_COMPLETED, paid)


Card = tuple[bytes, int, tuple[int, ...]]
"""A voting member's revealed scores: (address, stake at the draw, one score per revealed update)."""


def get_scores(state: State, key: bytes) -> tuple[int, ...] | None:
    packed = Scores.get(state, key)
    return None if packed is None else tuple(int.from_bytes(packed[i:i + 4], "big") for i in range(0, len(packed), 4))


def compute_medians(updates: tuple[RevealedUpdate, ...], cards: list[Card]) -> list[tuple[int, int, int] | None]:
    """Per update, (lower median, upper median, stake) of the scores of every card but its proposer's; None
    where there is none."""
    medians = []
    for index, update in enumerate(updates):
        reports = [(scores[index], stake, who) for who, stake, scores in cards if who != update.proposer]
        medians.append((compute_weighted_median(reports), compute_upper_weighted_median(reports),
                        sum(stake for _, stake, _ in reports)) if reports else None)
    return medians


def is_far(score: int, low: int, high: int, factor: int, bound: int) -> bool:
    """Measured to the nearest point between the lower and upper median (with half of the stake on each side,
    both halves agree), each side at least AGREEMENT_FLOOR: max ≥ factor/10⁶ × min. A score and a lower median
    both at or above the round's acceptance bound agree (both reject) and are never far: honest scores of one
    bad update spread widely (1.97–13.4 for one noise update, diabetes), and the spread made an honest voter an
    outlier."""
    if min(score, low) >= bound:
        return False
    a = max(score, AGREEMENT_FLOOR)
    b = max(min(max(score, low), high), AGREEMENT_FLOOR)
    return max(a, b) * PER_MILLION >= factor * min(a, b)


def compute_far(card: Card, updates: tuple[RevealedUpdate, ...], medians: list[tuple[int, ...] | None],
                factor: int, bound: int) -> list[bool]:
    """Whether a member's score is far from the medians (lower, upper, …) of each update it scored (not its own)."""
    who, _, scores = card
    return [is_far(scores[index], median[0], median[1], factor, bound)
            for index, (update, median) in enumerate(zip(updates, medians))
            if update.proposer != who and median is not None]


def is_outlier(far: list[bool]) -> bool:
    return 2 * sum(far) > len(far)


def compute_poison_line(accept_bound: int, accept_below: int, poison_at: int) -> int:
    """min(2³²−1, ⌊PoisonAt · bound / AcceptBelow⌋): PoisonAt in a round whose bound is AcceptBelow (every classic
    round), raised by the factor the round's scores widened acceptance. Why: an honest participant whose updates
    are rejected round after round sees the global model drift from its data, and its scores climb in the late
    rounds, where everyone's do (digits, 4 of 10 colluding sign-flippers, seed 5, peer review: 3.02 in round 11,
    where the bound was 1.56), so a fixed line slashed it. At most 2³²−1 so an update nobody can use is
    always poisoned."""
    return min(SCORE_UNUSABLE, poison_at * accept_bound // accept_below)


def compute_outcome(lower: int, upper: int, accept_bound: int, poison_line: int) -> int:
    if upper < accept_bound:
        return ACCEPTED
    return POISONED if lower >= poison_line else REJECTED


def compute_round_median(uppers: list[int]) -> int:
    """M: the lower median (the ⌈k/2⌉-th smallest) of the round's k upper consensus scores, each update once."""
    return sorted(uppers)[(len(uppers) - 1) // 2]


def compute_accept_bound(uppers: list[int], accept_below: int, accept_within: int, poison_at: int) -> int:
    """min(PoisonAt, max(AcceptBelow, ⌊min(M, AcceptBelow) · AcceptWithin / 10⁶⌋)), M the round's median
    (compute_round_median); AcceptBelow when no update has reports. Taking M at most AcceptBelow keeps the bound at
    most AcceptWithin × AcceptBelow whatever the round's updates score."""
    if not uppers:
        return accept_below
    middle = min(compute_round_median(uppers), accept_below)
    return min(poison_at, max(accept_below, middle * accept_within // PER_MILLION))


def compute_tally(updates: tuple[RevealedUpdate, ...], cards: list[Card], accept_below: int, accept_within: int,
                  poison_at: int, factor: int) -> list[UpdateTally]:
    """The two passes, then each update's outcome against the round's bound (module docstring)."""
    compute_bound = lambda medians: compute_accept_bound([median[1] for median in medians if median is not None],
                                                         accept_below, accept_within, poison_at)
    first = compute_medians(updates, cards)
    outliers = [card for card in cards if is_outlier(compute_far(card, updates, first, factor, compute_bound(first)))]
    second = compute_medians(updates, [card for card in cards if card not in outliers])
    medians = [final or early for early, final in zip(first, second)]
    bound = compute_bound(medians)
    poison_line = compute_poison_line(bound, accept_below, poison_at)
    return [UpdateTally(SCORE_UNUSABLE, SCORE_UNUSABLE, 0, REJECTED) if median is None else
            UpdateTally(*median, compute_outcome(median[0], median[1], bound, poison_line)) for median in medians]


def compute_voter_weights(updates: tuple[RevealedUpdate, ...], cards: list[Card], tally: list[UpdateTally],
                          factor: int, bound: int) -> list[tuple[bytes, int | None]]:
    """Per card, against the final consensus and the round's acceptance bound: None for a member far from it on
    most of the updates it scored (false validation), else its reward weight, stake × the updates where its
    score is not far."""
    final = [(entry.low_score, entry.high_score) if entry.voting_stake else None for entry in tally]
    weights = []
    for card in cards:
        far = compute_far(card, updates, final, factor, bound)
        weights.append((card[0], None if is_outlier(far) else card[1] * far.count(False)))
    return weights


def get_accept_within(state: State, task: int) -> int:
    """AcceptWithin under peer review, 0 (off) in a classic task."""
    return 0 if get_spec(state, task).voters else AcceptWithinPerMillion.get(state)


def compute_tally_bound(tally: list[UpdateTally], accept_below: int, accept_within: int, poison_at: int) -> int:
    """The bound a tally was decided against, from its upper consensus scores (the updates with reports)."""
    return compute_accept_bound([entry.high_score for entry in tally if entry.voting_stake], accept_below,
                                accept_within, poison_at)


def get_accept_bound(state: State, task: int, tally: list[UpdateTally]) -> int:
    return compute_tally_bound(tally, AcceptBelowPerMillion.get(state), get_accept_within(state, task),
                               PoisonAtPerMillion.get(state))


def process_tally(state: State, env, task: int) -> None:
    progress = get_progress(state, task)
    round_ = progress.round
    key = lambda who: member_key(task, round_, who)
    voters = get_voting_members(state, task, round_)
    updates = RevealedUpdates.get(state, round_key(task, round_))
    cards = []
    for who, stake in voters:
        scores = get_scores(state, key(who))
        if scores is not None:
            cards.append((who, stake, scores))
        elif ScoreCommitment.get(state, key(who)):
            report(state, env, task, round_, slashing.UNAVAILABILITY, who)
    drawn_stake = sum(stake for _, stake in voters)
    revealed_stake = sum(stake for _, stake, _ in cards)
    if revealed_stake * PER_MILLION <= QuorumPerMillion.get(state) * drawn_stake:
        return end_round(state, env, task, ROUND_TIMED_OUT)
    factor = FarFactorPerMillion.get(state)
    tally = compute_tally(updates, cards, AcceptBelowPerMillion.get(state), get_accept_within(state, task),
                          PoisonAtPerMillion.get(state), factor)
    for update, entry in zip(updates, tally):
        env.emit(UpdateTallied.to_log(ADDRESS_, task, round_, update.proposer, update.update_hash, entry.outcome,
                                      entry.low_score, entry.high_score, entry.voting_stake))
        if entry.outcome == POISONED:
            report(state, env, task, round_, slashing.POISONED_UPDATE, update.proposer)
    Tally.set(state, round_key(task, round_), tuple(tally))
    agreeing = []
    for who, weight in compute_voter_weights(updates, cards, tally, factor, get_accept_bound(state, task, tally)):
        if weight is None:
            report(state, env, task, round_, slashing.FALSE_VALIDATION, who)
        else:
            agreeing.append((who, weight))
    outcomes = [entry.outcome for entry in tally]
    reward = pay_round(state, env, task, round_, outcomes, agreeing)
    if ACCEPTED not in outcomes:
        return end_round(state, env, task, ROUND_NONE_ACCEPTED, reward)
    RoundOutcome.set(state, round_key(task, round_), RoundResult(ROUND_RUNNING, ZERO_HASH, reward, 0))
    enter_phase(state, env, task, AGGREGATE)


def pay_round(state: State, env, task: int, round_: int, outcomes: list[int], voter_weights: list[tuple[bytes, int]]
              ) -> int:
    """R = ⌊pool / roundsLeft⌋: the proposers' share to accepted proposers by stake, the rest to the voters by
    `voter_weights` (stake × scores near the consensus). Returns what was paid."""
    account = compute_task_account(task)
    rounds_left = get_spec(state, task).rounds - round_
    reward = balances.free_balance(state, account) // rounds_left
    proposer_part = reward * ProposerSharePerMillion.get(state) // PER_MILLION
    proposers, _ = get_members(state, task, round_)
    stakes = dict(proposers)
    updates = RevealedUpdates.get(state, round_key(task, round_))
    accepted = [(u.proposer, stakes[u.proposer]) for u, outcome in zip(updates, outcomes) if outcome == ACCEPTED]
    paid = rewards.pay_from(state, account, proposer_part, accepted, env.emit)
    paid += rewards.pay_from(state, account, reward - proposer_part, sorted(voter_weights), env.emit)
    return paid


def get_final_model(state: State, task: int) -> tuple[bytes, bytes, str] | None:
    """(creator, final global model, model kind) of a finished task that accepted at least one model; else None."""
    if TaskConfig.get(state, task) is None:
        return None
    progress = get_progress(state, task)
    if progress.status != FINISHED or progress.models_accepted == 0:
        return None
    return get_spec(state, task).creator, GlobalModel.get(state, task), TaskModelKind.get(state, task).decode()


def get_final_evaluation(state: State, task: int) -> Evaluation | None:
    """The creator's evaluation of a task's final global model: the one reported for the newest round that
    ended with that model (rounds that accepted nothing keep it), or None when none of them was evaluated."""
    final = GlobalModel.get(state, task)
    for round_ in reversed(range(get_progress(state, task).round + 1)):
        result = RoundOutcome.get(state, round_key(task, round_))
        if result is None:
            continue
        if result.global_model != final:
            return None
        evaluation = Evaluations.get(state, round_key(task, round_))
        if evaluation is not None:
            return evaluation
    return None


def get_accepted_updates(state: State, task: int) -> list[tuple[bytes, int]]:
    """Each proposer with the number of its updates that went into a global model (accepted in a round that
    completed), in order of first acceptance: a finished model's creators, as the marketplace pays them."""
    counts: dict[bytes, int] = {}
    for round_ in range(get_progress(state, task).round + 1):
        key = round_key(task, round_)
        outcome = RoundOutcome.get(state, key)
        if outcome is None or outcome.status != ROUND_COMPLETED:
            continue
        for update, entry in zip(RevealedUpdates.get(state, key), Tally.get(state, key)):
            if entry.outcome == ACCEPTED:
                counts[update.proposer] = counts.get(update.proposer, 0) + 1
    return list(counts.items())


def get_false_validators(state: State, task: int, round_: int) -> set[bytes]:
    """The voting members the round's tally reported for false validation (recomputed from the stored scores and
    tally, the same rule)."""
    key = round_key(task, round_)
    cards = [(who, stake, scores) for who, stake in get_voting_members(state, task, round_)
             if (scores := get_scores(state, member_key(task, round_, who))) is not None]
    tally = list(Tally.get(state, key))
    weights = compute_voter_weights(RevealedUpdates.get(state, key), cards, tally, FarFactorPerMillion.get(state),
                                    get_accept_bound(state, task, tally))
    return {who for who, weight in weights if weight is None}


def is_aggregate_better(state: State, task: int, round_: int, model: bytes) -> bool:
    """The aggregate check: the upper stake-weighted median of the scores the members who submitted `model` gave
    it is below 10⁶ (more than half of their stake found it strictly better than the global model). Members the
    tally reported for false validation do not count: otherwise colluders scoring every honest aggregate
    unusable need only a few honest dissents on non-IID data to keep the model from moving (measured: diabetes,
    3 colluders of 8, every round after the first rejected)."""
    proposers, voters = get_members(state, task, round_)
    distrusted = get_false_validators(state, task, round_)
    reports = []
    for who, stake in proposers + voters:
        vote = AggregateChoice.get(state, member_key(task, round_, who))
        if vote is not None and vote.model == model and who not in distrusted:
            reports.append((vote.score, stake, who))
    return bool(reports) and is_better_for_most(reports)


def is_better_for_most(reports: list[tuple[int, int, bytes]]) -> bool:
    """(score, stake, member) of one model: more than half of the stake scored it below 10⁶ (its upper weighted
    median is)."""
    return compute_upper_weighted_median(reports) < SCORE_SCALE


def get_aggregate_winner(state: State, task: int, round_: int) -> bytes | None:
    """The model hash submitted with the most stake, the lowest hash among equals."""
    proposers, voters = get_members(state, task, round_)
    members = proposers + voters
    totals: dict[bytes, int] = {}
    for who, stake in members:
        vote = AggregateChoice.get(state, member_key(task, round_, who))
        if vote is not None:
            totals[vote.model] = totals.get(vote.model, 0) + stake
    if not totals:
        return None
    return min(totals, key=lambda model: (-totals[model], model))


def advance_if_complete(state: State, env, task: int) -> None:
    progress = get_progress(state, task)
    while progress.status == RUNNING and is_phase_complete(state, task, progress):
        end_phase(state, env, task)
        next_progress = get_progress(state, task)
        if next_progress.round != progress.round:
            return
        progress = next_progress


# Calls

def require_phase(state: State, env: CallEnv, task: int, phase: int) -> TaskProgress:
    progress = get_progress(state, task)
    if progress.status != RUNNING:
        raise DispatchError(TaskNotActive, task, progress.status)
    if progress.phase != phase:
        raise DispatchError(WrongPhase, progress.phase, phase)
    if env.block_number >= progress.phase_end:
        raise DispatchError(PhaseClosed, progress.phase_end)
    return progress


def require_member(state: State, task: int, round_: int, who: bytes, role: int) -> None:
    proposers, voters = get_members(state, task, round_)
    members = proposers if role == PROPOSER else select_voting(get_spec(state, task), proposers, voters)
    if who not in {member for member, _ in members}:
        raise DispatchError(NotInRole, who, role)


def call_create_task(state: State, env: CallEnv, model: str, dataset: str, initial_model: bytes, rounds: int,
                     proposers: int, voters: int, phase_blocks: tuple, min_stake: int) -> tuple:
    """The call's value is the bounty: it moves from this module's address into the task's pool."""
    limit = MaxDescriptorLength.get(state)
    reasons = [
        (not model or len(model.encode()) > limit, "model kind is empty or too long"),
        (not dataset or len(dataset.encode()) > limit, "dataset descriptor is empty or too long"),
        (initial_model == ZERO_HASH, "initial model hash is zero"),
        (not 1 <= rounds <= MaxRounds.get(state), "rounds out of range"),
        (not 1 <= proposers <= min(MaxRoleSize.get(state), 256), "proposers per round out of range"),
        (not 0 <= voters <= MaxRoleSize.get(state), "voters per round out of range"),
        (voters == 0 and proposers < PEER_REVIEW_MIN_PROPOSERS,
         f"peer review (0 voters) needs at least {PEER_REVIEW_MIN_PROPOSERS} proposers"),
        (proposers + voters > MaxParticipants.get(state), "proposers + voters exceed the participant limit"),
        (not all(1 <= blocks <= MaxPhaseBlocks.get(state) for blocks in phase_blocks), "phase length out of range"),
    ]
    for broken, reason in reasons:
        if broken:
            raise DispatchError(InvalidTaskConfig, reason)
    active = ActiveTasks.get(state)
    if len(active) >= MaxActiveTasks.get(state):
        raise DispatchError(TooManyActiveTasks, MaxActiveTasks.get(state))
    task = TaskCount.get(state)
    TaskCount.set(state, task + 1)
    spec = TaskSpec(env.sender, initial_model, rounds, proposers, voters, *phase_blocks, min_stake, env.block_number)
    TaskConfig.set(state, task, spec)
    TaskModelKind.set(state, task, model.encode())
    TaskDataset.set(state, task, dataset.encode())
    TaskState.set(state, task, TaskProgress(WAITING, 0, COMMIT, 0, 0))
    GlobalModel.set(state, task, initial_model)
    ActiveTasks.set(state, active + ((task,),))
    account = compute_task_account(task)
    if env.value:
        balances.transfer(state, ADDRESS_, account, env.value)
    update_pool_stake(state)
    env.emit(TaskCreated.to_log(ADDRESS_, task, env.sender, account, env.value))
    return (task,)


def call_verify_task(state: State, env: CallEnv, task: int) -> tuple:
    """Privileged (a passed proposal; Root on a dev chain): the task earns emissions while active."""
    system.ensure_root(state, env.sender)
    get_progress(state, task)
    if Verified.get(state, task):
        raise DispatchError(TaskAlreadyVerified, task)
    Verified.set(state, task, 1)
    update_pool_stake(state)
    env.emit(TaskVerified.to_log(ADDRESS_, task))
    return ()


def call_unverify_task(state: State, env: CallEnv, task: int) -> tuple:
    system.ensure_root(state, env.sender)
    get_progress(state, task)
    if not Verified.get(state, task):
        raise DispatchError(TaskNotVerified, task)
    Verified.set(state, task, 0)
    update_pool_stake(state)
    env.emit(TaskUnverified.to_log(ADDRESS_, task))
    return ()


def call_fund(state: State, env: CallEnv, task: int) -> tuple:
    progress = get_progress(state, task)
    if progress.status == FINISHED:
        raise DispatchError(TaskNotActive, task, progress.status)
    if env.value == 0:
        raise DispatchError(ZeroAmount)
    balances.transfer(state, ADDRESS_, compute_task_account(task), env.value)
    env.emit(TaskFunded.to_log(ADDRESS_, task, env.sender, env.value))
    return ()


def call_join(state: State, env: CallEnv, task: int) -> tuple:
    """Join with the stake bonded in staking (either role): it is what the draw and the tally weigh."""
    progress = get_progress(state, task)
    if progress.status == FINISHED:
        raise DispatchError(TaskNotActive, task, progress.status)
    participants = Participants.get(state, task)
    if env.sender in participants:
        raise DispatchError(AlreadyJoined, task)
    if len(participants) >= MaxParticipants.get(state):
        raise DispatchError(TooManyParticipants, MaxParticipants.get(state))
    minimum = get_spec(state, task).min_stake
    exposure = sum(staking.get_exposure(state, env.sender))
    if exposure == 0 or exposure < minimum:
        raise DispatchError(NotEnoughStake, exposure, minimum)
    Participants.set(state, task, participants + (env.sender,))
    update_pool_stake(state)
    env.emit(Joined.to_log(ADDRESS_, task, env.sender, get_stake(state, env.sender, minimum)))
    if progress.status == WAITING:
        start_round(state, env, task, progress.round)
    return ()


def call_leave(state: State, env: CallEnv, task: int) -> tuple:
    """Leave from the next draw on; a role already drawn this round is still the account's to fill."""
    participants = Participants.get(state, task)
    get_progress(state, task)
    if env.sender not in participants:
        raise DispatchError(NotParticipant, task)
    Participants.set(state, task, tuple(who for who in participants if who != env.sender))
    update_pool_stake(state)
    env.emit(Left.to_log(ADDRESS_, task, env.sender))
    return ()


def record_commitment(state: State, env: CallEnv, task: int, phase: int, role: int, commitments: StorageMap,
                      committed: EventDecl, commitment: bytes) -> None:
    """A proposer's or voter's commitment, once per round, in its phase."""
    progress = require_phase(state, env, task, phase)
    require_member(state, task, progress.round, env.sender, role)
    key = member_key(task, progress.round, env.sender)
    if commitments.get(state, key) is not None:
        raise DispatchError(AlreadyCommitted)
    commitments.set(state, key, commitment)
    env.emit(committed.to_log(ADDRESS_, task, progress.round, env.sender))
    advance_if_complete(state, env, task)


def open_commitment(state: State, env: CallEnv, task: int, phase: int, commitments: StorageMap,
                    revealed: StorageMap) -> tuple[TaskProgress, bytes, bytes]:
    """(progress, member key, the commitment) of a reveal that may go ahead: in its phase, committed,
    not yet revealed."""
    progress = require_phase(state, env, task, phase)
    key = member_key(task, progress.round, env.sender)
    committed = commitments.get(state, key)
    if committed is None:
        raise DispatchError(NotCommitted)
    if revealed.get(state, key) is not None:
        raise DispatchError(AlreadyRevealed)
    return progress, key, committed


def check_opening(committed: bytes, computed: bytes) -> None:
    if computed != committed:
        raise DispatchError(CommitmentMismatch, committed, computed)


def call_commit_update(state: State, env: CallEnv, task: int, commitment: bytes) -> tuple:
    record_commitment(state, env, task, COMMIT, PROPOSER, UpdateCommitment, UpdateCommitted, commitment)
    return ()


def call_reveal_update(state: State, env: CallEnv, task: int, update_hash: bytes, salt: bytes) -> tuple:
    progress, key, committed = open_commitment(state, env, task, REVEAL, UpdateCommitment, UpdateHash)
    check_opening(committed, compute_update_commitment(update_hash, salt, env.sender))
    UpdateHash.set(state, key, update_hash)
    env.emit(UpdateRevealed.to_log(ADDRESS_, task, progress.round, env.sender, update_hash))
    advance_if_complete(state, env, task)
    return ()


def call_commit_scores(state: State, env: CallEnv, task: int, commitment: bytes) -> tuple:
    record_commitment(state, env, task, VOTE_COMMIT, VOTER, ScoreCommitment, ScoresCommitted, commitment)
    return ()


def call_reveal_scores(state: State, env: CallEnv, task: int, scores: list[int], salt: bytes) -> tuple:
    """One score per revealed update, in their order (a member's score of its own update counts for nothing)."""
    progress, key, committed = open_commitment(state, env, task, VOTE_REVEAL, ScoreCommitment, Scores)
    updates = len(RevealedUpdates.get(state, round_key(task, progress.round)))
    if len(scores) != updates:
        raise DispatchError(InvalidScores, len(scores), updates)
    check_opening(committed, compute_score_commitment(scores, salt, env.sender))
    Scores.set(state, key, b"".join(score.to_bytes(4, "big") for score in scores))
    env.emit(ScoresRevealed.to_log(ADDRESS_, task, progress.round, env.sender, list(scores)))
    advance_if_complete(state, env, task)
    return ()


def call_submit_aggregate(state: State, env: CallEnv, task: int, model_hash: bytes, score: int) -> tuple:
    progress = require_phase(state, env, task, AGGREGATE)
    proposers, voters = get_members(state, task, progress.round)
    if env.sender not in dict(proposers + voters):
        raise DispatchError(NotRoundMember, env.sender)
    key = member_key(task, progress.round, env.sender)
    if AggregateChoice.get(state, key) is not None:
        raise DispatchError(AlreadySubmitted)
    AggregateChoice.set(state, key, AggregateVote(model_hash, score))
    env.emit(AggregateSubmitted.to_log(ADDRESS_, task, progress.round, env.sender, model_hash, score))
    advance_if_complete(state, env, task)
    return ()


def call_report_evaluation(state: State, env: CallEnv, task: int, round_: int, loss: int, accuracy: int) -> tuple:
    """The creator publishes its measurement of an ended round's global model, once per round."""
    spec = get_spec(state, task)
    if env.sender != spec.creator:
        raise DispatchError(NotTaskCreator, spec.creator)
    key = round_key(task, round_)
    result = RoundOutcome.get(state, key)
    if result is None or result.status == ROUND_RUNNING:
        raise DispatchError(RoundNotEnded, round_)
    if accuracy > PER_MILLION and accuracy != NO_ACCURACY:
        raise DispatchError(InvalidAccuracy, accuracy)
    if Evaluations.get(state, key) is not None:
        raise DispatchError(AlreadyReported, round_)
    Evaluations.set(state, key, Evaluation(loss, accuracy, env.block_number))
    env.emit(EvaluationReported.to_log(ADDRESS_, task, round_, loss, accuracy))
    return ()


def call_advance(state: State, env: CallEnv, task: int) -> tuple:
    """Anyone: close a phase whose deadline has passed, or draw a waiting task's round."""
    progress = get_progress(state, task)
    if progress.status == WAITING:
        start_round(state, env, task, progress.round)
        if get_progress(state, task).status == WAITING:
            raise DispatchError(NothingToAdvance, 0)
        return ()
    if progress.status != RUNNING or env.block_number < progress.phase_end:
        raise DispatchError(NothingToAdvance, progress.phase_end)
    end_phase(state, env, task)
    advance_if_complete(state, env, task)
    return ()


def call_sweep(state: State, env: CallEnv, task: int) -> tuple:
    """Anyone: what reaches a finished task's pool later (deferred slashes) goes to the treasury."""
    progress = get_progress(state, task)
    if progress.status != FINISHED:
        raise DispatchError(TaskNotFinished, task)
    if sweep(state, task) == 0:
        raise DispatchError(ZeroAmount)
    return ()


# The epoch boundary: emissions into the tasks' pools

def on_initialize(state: State, env: BlockEnv) -> None:
    """At an epoch's first block (after rewards filled the pools), FL Alliance's pool goes to the
    active tasks' pools by task stake, floored; the remainder waits for the next epoch."""
    epoch = randomness.EpochIndex.get(state)
    if epoch == LastEpoch.get(state):
        return
    LastEpoch.set(state, epoch)
    if not rewards.is_pool_managed(state, rewards.FL_ALLIANCE):
        return
    accounts = [(compute_task_account(task), get_task_stake(state, task)) for task in get_earning_tasks(state)]
    rewards.share_pool(state, rewards.FL_ALLIANCE, accounts)
    update_pool_stake(state)


# Views

def view_task(state: State, task: int) -> tuple:
    spec = get_spec(state, task)
    return (spec.creator, TaskModelKind.get(state, task).decode(), TaskDataset.get(state, task).decode(),
            spec.initial_model, spec.rounds, spec.proposers, spec.voters, list(spec.phase_blocks), spec.min_stake,
            compute_task_account(task))


def view_task_status(state: State, task: int) -> tuple:
    progress = get_progress(state, task)
    return (progress.status, progress.round, progress.phase, progress.phase_end, GlobalModel.get(state, task),
            balances.free_balance(state, compute_task_account(task)), progress.models_accepted)


def view_roles(state: State, task: int, round_: int) -> tuple:
    proposers, voters = get_members(state, task, round_)
    return ([who for who, _ in proposers], [stake for _, stake in proposers], [who for who, _ in voters],
            [stake for _, stake in voters])


def view_round_updates(state: State, task: int, round_: int) -> tuple:
    updates = RevealedUpdates.get(state, round_key(task, round_))
    return [u.proposer for u in updates], [u.update_hash for u in updates]


def view_member(state: State, task: int, round_: int, who: bytes) -> tuple:
    key = member_key(task, round_, who)
    scores = get_scores(state, key)
    vote = AggregateChoice.get(state, key) or AggregateVote(ZERO_HASH, 0)
    return (UpdateCommitment.get(state, key) or ZERO_HASH, UpdateHash.get(state, key) or ZERO_HASH,
            ScoreCommitment.get(state, key) or ZERO_HASH, scores is not None, list(scores or ()), vote.model,
            vote.score)


def view_round_result(state: State, task: int, round_: int) -> tuple:
    get_progress(state, task)
    result = RoundOutcome.get(state, round_key(task, round_)) or RoundResult(ROUND_RUNNING, ZERO_HASH, 0, 0)
    tally = Tally.get(state, round_key(task, round_))
    return (result.status, result.global_model, result.reward, result.ended_at, [t.outcome for t in tally],
            [t.low_score for t in tally], [t.high_score for t in tally], [t.voting_stake for t in tally])


def view_evaluation(state: State, task: int, round_: int) -> tuple:
    get_progress(state, task)
    evaluation = Evaluations.get(state, round_key(task, round_))
    return (False, 0, 0, 0) if evaluation is None else \
        (True, evaluation.loss, evaluation.accuracy, evaluation.reported_at)


# Genesis and invariants

GENESIS_PARAMETERS = (("maxActiveTasks", MaxActiveTasks), ("maxParticipants", MaxParticipants),
                      ("maxRoleSize", MaxRoleSize), ("acceptBelowPerMillion", AcceptBelowPerMillion),
                      ("acceptWithinPerMillion", AcceptWithinPerMillion), ("poisonAtPerMillion", PoisonAtPerMillion),
                      ("farFactorPerMillion", FarFactorPerMillion), ("quorumPerMillion", QuorumPerMillion),
                      ("proposerSharePerMillion", ProposerSharePerMillion))


def check_parameters(state: State) -> None:
    assert 0 < AcceptBelowPerMillion.get(state) <= PoisonAtPerMillion.get(state) <= SCORE_UNUSABLE, \
        "0 < acceptBelow ≤ poisonAt ≤ 2³²−1"
    assert AcceptWithinPerMillion.get(state) <= 2 * PER_MILLION, "acceptWithin ≤ 2·10⁶"
    assert FarFactorPerMillion.get(state) > PER_MILLION
    assert QuorumPerMillion.get(state) < PER_MILLION and ProposerSharePerMillion.get(state) <= PER_MILLION
    assert 1 <= MaxRoleSize.get(state) <= 256


def genesis(state: State, config: dict) -> None:
    """config (all optional): the parameters of GENESIS_PARAMETERS by their camelCase names."""
    for key, item in GENESIS_PARAMETERS:
        if key in config:
            item.set(state, int(config[key]))
    try:
        check_parameters(state)
    except AssertionError as error:
        raise ValueError(f"fl_alliance: {error}") from None


def check_invariants(state: State) -> None:
    check_parameters(state)
    count = TaskCount.get(state)
    assert {task for task, _ in TaskConfig.items(state)} == set(range(count)), "task ids are 0 … TaskCount − 1"
    active = [task for (task,) in ActiveTasks.get(state)]
    assert active == sorted(set(active)) and len(active) <= MaxActiveTasks.get(state)
    assert all(task < count and flag == 1 for task, flag in Verified.items(state)), "verified: 1, of a task"
    for task in range(count):
        spec, progress = get_spec(state, task), get_progress(state, task)
        assert (progress.status != FINISHED) == (task in active), "the active list is the unfinished tasks"
        assert progress.round < spec.rounds and progress.phase in PHASES
        assert progress.models_accepted <= progress.round + (progress.status == FINISHED)
        participants = Participants.get(state, task)
        assert len(set(participants)) == len(participants) <= MaxParticipants.get(state)
        proposers, voters = get_members(state, task, progress.round)
        if progress.status == RUNNING:
            assert len(proposers) == spec.proposers and len(voters) == spec.voters
            assert not {who for who, _ in proposers} & {who for who, _ in voters}, "one role per round"
        for who, _ in proposers:
            key = member_key(task, progress.round, who)
            assert UpdateHash.get(state, key) is None or UpdateCommitment.get(state, key) is not None
        for who, _ in voters:
            key = member_key(task, progress.round, who)
            assert Scores.get(state, key) is None or ScoreCommitment.get(state, key) is not None


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    calls=(
        CallDecl("createTask(string model,string dataset,bytes32 initialModel,uint32 rounds,uint16 proposersPerRound,"
                 "uint16 votersPerRound,uint32[5] phaseBlocks,uint256 minStake)", call_create_task, weight=120_000,
                 payable=True, returns=("uint256",)),
        CallDecl("fund(uint256 task)", call_fund, weight=20_000, payable=True),
        CallDecl("verifyTask(uint256 task)", call_verify_task, weight=50_000),
        CallDecl("unverifyTask(uint256 task)", call_unverify_task, weight=50_000),
        CallDecl("join(uint256 task)", call_join, weight=150_000),
        CallDecl("leave(uint256 task)", call_leave, weight=60_000),
        CallDecl("commitUpdate(uint256 task,bytes32 commitment)", call_commit_update, weight=200_000),
        CallDecl("revealUpdate(uint256 task,bytes32 updateHash,bytes32 salt)", call_reveal_update, weight=250_000),
        CallDecl("commitScores(uint256 task,bytes32 commitment)", call_commit_scores, weight=200_000),
        CallDecl("revealScores(uint256 task,uint32[] scores,bytes32 salt)", call_reveal_scores,
                 weight=600_000),
        CallDecl("submitAggregate(uint256 task,bytes32 modelHash,uint32 score)", call_submit_aggregate, weight=400_000),
        CallDecl("reportEvaluation(uint256 task,uint32 round,uint64 loss,uint32 accuracy)", call_report_evaluation,
                 weight=40_000),
        CallDecl("advance(uint256 task)", call_advance, weight=600_000),
        CallDecl("sweep(uint256 task)", call_sweep, weight=20_000),
    ),
    views=(
        ViewDecl("taskCount()", lambda state: (TaskCount.get(state),), ("uint256",)),
        ViewDecl("activeTasks()", lambda state: ([task for (task,) in ActiveTasks.get(state)],), ("uint256[]",)),
        ViewDecl("taskOf(uint256 task)", view_task,
                 ("address", "string", "string", "bytes32", "uint32", "uint16", "uint16", "uint32[5]", "uint256",
                  "address")),
        ViewDecl("taskStatus(uint256 task)", view_task_status,
                 ("uint8", "uint32", "uint8", "uint64", "bytes32", "uint256", "uint32")),
        ViewDecl("participantsOf(uint256 task)", lambda state, task: (list(Participants.get(state, task)),),
                 ("address[]",)),
        ViewDecl("rolesOf(uint256 task,uint32 round)", view_roles, ("address[]", "uint256[]", "address[]", "uint256[]")),
        ViewDecl("roundUpdates(uint256 task,uint32 round)", view_round_updates, ("address[]", "bytes32[]")),
        ViewDecl("memberOf(uint256 task,uint32 round,address who)", view_member,
                 ("bytes32", "bytes32", "bytes32", "bool", "uint32[]", "bytes32", "uint32")),
        ViewDecl("roundResult(uint256 task,uint32 round)", view_round_result,
                 ("uint8", "bytes32", "uint256", "uint64", "uint8[]", "uint32[]", "uint32[]", "uint256[]")),
        ViewDecl("evaluationOf(uint256 task,uint32 round)", view_evaluation, ("bool", "uint64", "uint32", "uint64")),
        ViewDecl("taskAccount(uint256 task)", lambda state, task: (compute_task_account(task),), ("address",)),
        ViewDecl("isVerified(uint256 task)", lambda state, task: (bool(Verified.get(state, task)),), ("bool",)),
    ),
    queries={"spec": get_spec, "progress": get_progress},
    parameters={"MaxActiveTasks": Parameter(MaxActiveTasks), "MaxParticipants": Parameter(MaxParticipants),
                "MaxRoleSize": Parameter(MaxRoleSize), "MaxRounds": Parameter(MaxRounds, 1, 100_000),
                "MaxPhaseBlocks": Parameter(MaxPhaseBlocks, 1, 1_000_000),
                "MaxDescriptorLength": Parameter(MaxDescriptorLength, 16, 1_024),
                "AcceptBelowPerMillion": Parameter(AcceptBelowPerMillion, SCORE_SCALE // 2, 3 * SCORE_SCALE // 2),
                "AcceptWithinPerMillion": Parameter(AcceptWithinPerMillion, 0, 2 * PER_MILLION),
                "PoisonAtPerMillion": Parameter(PoisonAtPerMillion, 3 * SCORE_SCALE // 2, SCORE_UNUSABLE),
                "FarFactorPerMillion": Parameter(FarFactorPerMillion, 3 * PER_MILLION // 2, 1_000 * PER_MILLION),
                "QuorumPerMillion": Parameter(QuorumPerMillion, 0, PER_MILLION - 1),
                "ProposerSharePerMillion": Parameter(ProposerSharePerMillion, 0, PER_MILLION)},
    authorize=system.ensure_root,
    raises=(system.NotRoot,),
    on_initialize=on_initialize,
    genesis=genesis,
    check_invariants=check_invariants,
)
