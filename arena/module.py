"""arena: AI Arena tasks — staked trainers and validators, committed models, a hidden evaluation set,
commit-reveal losses, stake-weighted median consensus, rank rewards and vesting (spec/modules/arena.md).

A task runs through four windows fixed at creation, in blocks:

    SUBMIT        trainers and validators join (staking role 0 or 1, exposure ≥ the task's minimum; the
                  weight — staking's, gmFLOCK bonus included — is fixed at join); a trainer commits
                  keccak256(modelHash ‖ salt ‖ trainer), replacing an earlier commitment
    REVEAL        trainers reveal (modelHash, salt); the creator reveals the evaluation set's blob hash
                  against keccak256(evaluationHash ‖ salt ‖ creator), committed at creation
    SCORE_COMMIT  at its start: duplicates dropped (a model hash counts for its earliest commitment),
                  each submission assigned k validators by stake (runtime/sampling.py, VRF randomness);
                  each assigned validator commits keccak256(u64 losses ‖ salt ‖ validator)
    SCORE_REVEAL  … and reveals its losses, one per assigned submission, in assignment order
    then          consensus (stake-weighted median, again without the validators far from it on most
                  reports), agreement, ranks, payouts, vesting

Transitions happen in calls: any call on a task first runs the transitions whose deadlines have passed
(`catch_up`), and `advance(task)` does only that, so every step is an event in some receipt.

The pot is the task's account: bounty (+ `fund`), and, while governance holds the task verified, its
share of AI Arena emissions (by task stake, at each epoch boundary). At the end, with T and S the
trainers' and validators' total weight, R the pot less the creator's deposit:

    trainers    N = R · (γ + (10^6 − 2γ) · T / (T + S)) // 10^6        (γ per million; N = 0 without ranks)
    validators  V = R − N
    trainer of rank r (1 = lowest consensus loss):  w = weight · g_r,  g_1 = 10^18,  g_(r+1) = g_r · q // 10^6
    validator:  w = weight · agreement (per million)
    each part:  part · w // Σw, floored, paid through rewards.pay_from (delegators share by σ);
                VestingPerMillion of each trainer's part vests linearly over VestingSeconds from the end

What is not paid out (deposit, rounding, a pot nobody earned) goes back to the creator.

A blind task (`createBlindTask`) hides who submitted what until the scores are final: trainers register
their public keys until the ring freezes, then commit and reveal through unsigned calls authorised by a
linkable ring signature over the ring (runtime/crypto/ring.py) with a key image per task; the scores are
final at CLAIM, when each trainer proves its image (a DLEQ proof) and is paid at CLAIM's end.
"""

from dataclasses import dataclass, replace

from fl_module import alliance
from runtime.crypto import keccak256, public_key_to_address, ring
from runtime.crypto.points import parse_point
from runtime.medians import compute_agreement, compute_weighted_median, is_far_on_most
from runtime.exceptions import DispatchError
from runtime.module import (BlockEnv, CallDecl, CallEnv, ErrorDecl, EventDecl, Module, Parameter, Unsigned, ViewDecl,
                            module_address)
from runtime.modules import balances, randomness, rewards, slashing, staking, system, treasury
from runtime.records import Address, Hash32, RecordCodec, RecordList, Uint16, Uint32, Uint64, Uint256
from runtime.sampling import sample
from runtime.state import State
from runtime.storage import HASH32, U64, U256, BytesList, FixedUint, RawBytes, StorageMap, StorageValue, UintTupleList

from .formats import (CANCELLED, CLAIM, FINISHED, OVER, REVEAL, SCORE_COMMIT, SCORE_REVEAL, SUBMIT, TRAINER, VALIDATOR,
                      WORST_LOSS, compute_blind_message, compute_evaluation_commitment, compute_image_message,
                      compute_ring_tag, compute_scores_commitment, compute_submission_commitment)

NAME = "arena"
ADDRESS_ = module_address(13)
PER_MILLION = 1_000_000
UNIT = balances.UNIT
ZERO_HASH = b"\x00" * 32
NO_TRAINER = b"\x00" * 20
"""A blind submission's trainer until it is claimed."""
RANK_BASE = 10**18
MIN_VALIDATORS_PER_SUBMISSION = 3
"""So that no one or two reports decide a consensus alone (with two equal weights the lower wins)."""
MAX_FUNDERS = 64
RING_WEIGHT_PER_BYTE = 250
"""Gas per call-data byte of a blind call: its ring signature's verification grows with the ring (32 bytes
and two point multiplications per member; ~7 ms for 64 members), so the ring's size is paid for in gas."""
AGREEMENT_FLOOR = 10**6
"""The smallest consensus loss agreement is measured against (0.001 at LOSS_SCALE), so a near-zero
consensus does not turn every rounding difference into total disagreement."""

# Parameters
MaxActiveTasks = StorageValue(NAME, "MaxActiveTasks", U64, 16)
MaxTrainers = StorageValue(NAME, "MaxTrainers", U64, 64)
MaxValidators = StorageValue(NAME, "MaxValidators", U64, 64)
MaxWindowBlocks = StorageValue(NAME, "MaxWindowBlocks", U64, 100_000)
MaxDescriptorLength = StorageValue(NAME, "MaxDescriptorLength", U64, 128)
CreatorDeposit = StorageValue(NAME, "CreatorDeposit", FixedUint(32), 100 * UNIT)
GammaPerMillion = StorageValue(NAME, "GammaPerMillion", FixedUint(4), 100_000)
RankRatioPerMillion = StorageValue(NAME, "RankRatioPerMillion", FixedUint(4), 700_000)
AgreementTolerancePerMillion = StorageValue(NAME, "AgreementTolerancePerMillion", FixedUint(4), 50_000)
"""Relative distance from the consensus at which a validator's agreement on a submission reaches 0."""
VestingPerMillion = StorageValue(NAME, "VestingPerMillion", FixedUint(4), 900_000)
VestingSeconds = StorageValue(NAME, "VestingSeconds", FixedUint(8), 30 * 86_400)
MaxBlindCalls = StorageValue(NAME, "MaxBlindCalls", U64, 8)
"""Unsigned calls (commits and reveals) one key image may make in one task: the ring's rate limit."""


@dataclass(frozen=True)
class ArenaTaskSpec:
    creator: Address
    training_data: Hash32
    evaluation_commitment: Hash32
    submit_end: Uint64
    reveal_end: Uint64
    score_commit_end: Uint64
    score_reveal_end: Uint64
    validators_per_submission: Uint16
    min_stake: Uint256
    deposit: Uint256
    created_at: Uint64

    @property
    def deadlines(self) -> tuple[int, int, int, int]:
        """The block at which each of SUBMIT, REVEAL, SCORE_COMMIT, SCORE_REVEAL closes."""
        return self.submit_end, self.reveal_end, self.score_commit_end, self.score_reveal_end


@dataclass(frozen=True)
class BlindWindows:
    """A blind task's two extra window ends, in blocks."""
    register_end: Uint64
    """Trainers and validators join before it; the ring is frozen from it on, and submissions open."""
    claim_end: Uint64
    """CLAIM closes: claimed submissions are paid, unclaimed ones earn nothing."""


@dataclass(frozen=True)
class PendingPayout:
    """A blind task between its scores and its claims."""
    trainer_pot: Uint256
    paid: Uint256
    """What the validators were paid at scoring."""


@dataclass(frozen=True)
class Participant:
    who: Address
    weight: Uint256
    """staking.get_weight at join: what assignment, consensus and payouts weigh."""


@dataclass(frozen=True)
class SubmissionCommitment:
    commitment: Hash32
    sequence: Uint32
    """Order of commitment within the task (a later commitment replaces an earlier one and gets a new number)."""


@dataclass(frozen=True)
class Submission:
    trainer: Address
    model_hash: Hash32
    sequence: Uint32


@dataclass(frozen=True)
class SubmissionResult:
    consensus_loss: Uint64
    """The stake-weighted median of the revealed losses; WORST_LOSS when none was revealed."""
    rank: Uint32
    """1 = best; 0 = unranked (no loss revealed)."""
    reward: Uint256


@dataclass(frozen=True)
class ValidatorResult:
    agreement: Uint32
    """Per million: the mean agreement over its assignments (0 when far on most, or never revealed)."""
    far: Uint32
    """Assignments with zero agreement."""
    reward: Uint256


@dataclass(frozen=True)
class VestingRecord:
    total: Uint256
    released: Uint256
    start: Uint64
    """Block timestamp of the task's end."""
    period: Uint64
    """VestingSeconds when the task ended: a later change of the parameter does not move it."""


@dataclass(frozen=True)
class Funding:
    who: Address
    amount: Uint256


# Storage (task keys: u64 task; participant keys: u64 task ‖ address)
TaskCount = StorageValue(NAME, "TaskCount", U64, 0)
TaskConfig = StorageMap(NAME, "TaskConfig", FixedUint(8), RecordCodec(ArenaTaskSpec), None)
TaskModelKind = StorageMap(NAME, "TaskModelKind", FixedUint(8), RawBytes(), b"")
Phase = StorageMap(NAME, "Phase", FixedUint(8), FixedUint(1), SUBMIT)
ActiveTasks = StorageValue(NAME, "ActiveTasks", UintTupleList(1), ())
Bounty = StorageMap(NAME, "Bounty", FixedUint(8), U256, 0)
"""task → the creator's bounty: what a cancelled task returns to the creator."""
Funders = StorageMap(NAME, "Funders", FixedUint(8), RecordList(Funding), ())
"""task → what each other account added with `fund`: what a cancelled task returns to it."""
Trainers = StorageMap(NAME, "Trainers", FixedUint(8), RecordList(Participant), ())
Validators = StorageMap(NAME, "Validators", FixedUint(8), RecordList(Participant), ())
Commitment = StorageMap(NAME, "Commitment", RawBytes(), RecordCodec(SubmissionCommitment), None)
CommitmentCount = StorageMap(NAME, "CommitmentCount", FixedUint(8), U64, 0)
RevealedModel = StorageMap(NAME, "RevealedModel", RawBytes(), HASH32, None)
EvaluationSet = StorageMap(NAME, "EvaluationSet", FixedUint(8), HASH32, None)
Submissions = StorageMap(NAME, "Submissions", FixedUint(8), RecordList(Submission), ())
"""task → the scored submissions (revealed, first of their model hash), in commitment order."""
Assigned = StorageMap(NAME, "Assigned", RawBytes(), BytesList(), ())
"""u64 task ‖ u32 submission index → its validators, in draw order."""
Assignment = StorageMap(NAME, "Assignment", RawBytes(), UintTupleList(1), ())
"""participant key → the submission indices a validator scores, ascending: its losses' order."""
ScoresCommitment = StorageMap(NAME, "ScoresCommitment", RawBytes(), HASH32, None)
Scores = StorageMap(NAME, "Scores", RawBytes(), UintTupleList(1), None)
"""participant key → the validator's revealed losses, in its assignment order."""
Results = StorageMap(NAME, "Results", FixedUint(8), RecordList(SubmissionResult), ())
ValidatorOutcome = StorageMap(NAME, "ValidatorOutcome", RawBytes(), RecordCodec(ValidatorResult), None)
Vesting = StorageMap(NAME, "Vesting", RawBytes(), RecordCodec(VestingRecord), None)
Verified = StorageMap(NAME, "Verified", FixedUint(8), U64, 0)
"""task → 1 while governance holds it verified: only verified tasks earn emissions (a bounty pays either way)."""
LastEpoch = StorageValue(NAME, "LastEpoch", U64, 0)
SeededAlliance = StorageMap(NAME, "SeededAlliance", FixedUint(8), FixedUint(8), None)
"""FL Alliance task → the Arena task whose winner is its initial model."""
Blind = StorageMap(NAME, "Blind", FixedUint(8), RecordCodec(BlindWindows), None)
Ring = StorageMap(NAME, "Ring", FixedUint(8), BytesList(), ())
"""blind task → its trainers' compressed public keys, in join order: the ring every submission signs over."""
ValidatorImages = StorageMap(NAME, "ValidatorImages", FixedUint(8), BytesList(), ())
"""blind task → its validators' own key images, proven at join: a submission with one is refused."""
BlindAuthors = StorageMap(NAME, "BlindAuthors", FixedUint(8), BytesList(), ())
"""blind task → the key images that committed, in order of first commitment (at most one per ring member)."""
ImageSequence = StorageMap(NAME, "ImageSequence", RawBytes(), U64, 0)
"""u64 task ‖ key image → the unsigned calls it made: the next one's sequence."""
SubmissionImage = StorageMap(NAME, "SubmissionImage", RawBytes(), RawBytes(), b"")
"""u64 task ‖ u32 submission → the key image of a blind submission."""
Pending = StorageMap(NAME, "Pending", FixedUint(8), RecordCodec(PendingPayout), None)

# Events
TaskCreated = EventDecl("TaskCreated(uint256 indexed task,address indexed creator,address pot,uint256 bounty,"
                        "uint256 deposit)")
TaskFunded = EventDecl("TaskFunded(uint256 indexed task,address indexed from,uint256 amount)")
Joined = EventDecl("Joined(uint256 indexed task,address indexed who,uint8 role,uint256 weight)")
SubmissionCommitted = EventDecl("SubmissionCommitted(uint256 indexed task,address indexed trainer,uint32 sequence)")
SubmissionRevealed = EventDecl("SubmissionRevealed(uint256 indexed task,address indexed trainer,bytes32 modelHash)")
EvaluationSetRevealed = EventDecl("EvaluationSetRevealed(uint256 indexed task,bytes32 evaluationHash)")
PhaseChanged = EventDecl("PhaseChanged(uint256 indexed task,uint8 phase)")
SubmissionDropped = EventDecl("SubmissionDropped(uint256 indexed task,address indexed trainer,bytes32 modelHash,"
                              "uint8 reason)")
ValidatorsAssigned = EventDecl("ValidatorsAssigned(uint256 indexed task,uint32 indexed submission,"
                               "address indexed trainer,address[] validators)")
ScoresCommitted = EventDecl("ScoresCommitted(uint256 indexed task,address indexed validator)")
ScoresRevealed = EventDecl("ScoresRevealed(uint256 indexed task,address indexed validator,uint64[] losses)")
SubmissionScored = EventDecl("SubmissionScored(uint256 indexed task,uint32 indexed submission,"
                             "address indexed trainer,uint64 consensusLoss,uint32 rank,uint256 reward)")
ValidatorScored = EventDecl("ValidatorScored(uint256 indexed task,address indexed validator,uint32 agreement,"
                            "uint32 far,uint256 reward)")
Penalized = EventDecl("Penalized(uint256 indexed task,address indexed offender,uint8 kind,uint256 slashId)")
TaskFinished = EventDecl("TaskFinished(uint256 indexed task,bytes32 winner,uint256 paid,uint256 vesting,"
                         "uint256 refunded)")
TaskCancelled = EventDecl("TaskCancelled(uint256 indexed task,uint256 refunded,uint256 deposit,uint256 toTreasury)")
VestingReleased = EventDecl("VestingReleased(uint256 indexed task,address indexed trainer,uint256 amount)")
AllianceSeeded = EventDecl("AllianceSeeded(uint256 indexed task,uint256 indexed allianceTask,bytes32 model)")
TaskVerified = EventDecl("TaskVerified(uint256 indexed task)")
TaskUnverified = EventDecl("TaskUnverified(uint256 indexed task)")
BlindTaskCreated = EventDecl("BlindTaskCreated(uint256 indexed task,uint64 registerEnd,uint64 claimEnd)")
RingMemberAdded = EventDecl("RingMemberAdded(uint256 indexed task,address indexed trainer,bytes publicKey)")
ValidatorImagePublished = EventDecl("ValidatorImagePublished(uint256 indexed task,address indexed validator,"
                                    "bytes keyImage)")
BlindSubmissionCommitted = EventDecl("BlindSubmissionCommitted(uint256 indexed task,bytes keyImage,uint32 sequence)")
BlindSubmissionRevealed = EventDecl("BlindSubmissionRevealed(uint256 indexed task,bytes keyImage,bytes32 modelHash)")
BlindSubmissionDropped = EventDecl("BlindSubmissionDropped(uint256 indexed task,bytes keyImage,bytes32 modelHash,"
                                   "uint8 reason)")
SubmissionClaimed = EventDecl("SubmissionClaimed(uint256 indexed task,uint32 indexed submission,"
                              "address indexed trainer,bytes keyImage)")
SubmissionRewarded = EventDecl("SubmissionRewarded(uint256 indexed task,uint32 indexed submission,"
                               "address indexed trainer,uint256 reward)")

DUPLICATE, NOT_REVEALED = 0, 1
"""SubmissionDropped reasons."""

# Errors
UnknownTask = ErrorDecl("UnknownTask(uint256 task)")
InvalidTaskConfig = ErrorDecl("InvalidTaskConfig(string reason)")
TooManyActiveTasks = ErrorDecl("TooManyActiveTasks(uint64 maximum)")
DepositRequired = ErrorDecl("DepositRequired(uint256 value,uint256 deposit)")
TaskNotActive = ErrorDecl("TaskNotActive(uint256 task,uint8 phase)")
WrongPhase = ErrorDecl("WrongPhase(uint8 phase,uint8 required)")
AlreadyJoined = ErrorDecl("AlreadyJoined(uint256 task,uint8 role)")
NoStakingRole = ErrorDecl("NoStakingRole(address account)")
NotEnoughStake = ErrorDecl("NotEnoughStake(uint256 stake,uint256 minimum)")
TooManyParticipants = ErrorDecl("TooManyParticipants(uint8 role,uint64 maximum)")
NotInRole = ErrorDecl("NotInRole(address account,uint8 role)")
NotCreator = ErrorDecl("NotCreator(address creator)")
NotCommitted = ErrorDecl("NotCommitted()")
AlreadyCommitted = ErrorDecl("AlreadyCommitted()")
AlreadyRevealed = ErrorDecl("AlreadyRevealed()")
CommitmentMismatch = ErrorDecl("CommitmentMismatch(bytes32 committed,bytes32 computed)")
NotAssigned = ErrorDecl("NotAssigned(address validator)")
WrongScoreCount = ErrorDecl("WrongScoreCount(uint256 given,uint256 assigned)")
NothingToAdvance = ErrorDecl("NothingToAdvance(uint64 nextDeadline)")
NothingToRelease = ErrorDecl("NothingToRelease()")
ZeroAmount = ErrorDecl("ZeroAmount()")
NoWinner = ErrorDecl("NoWinner(uint256 task)")
CreatorCannotJoin = ErrorDecl("CreatorCannotJoin(address creator)")
TooManyFunders = ErrorDecl("TooManyFunders(uint256 maximum)")
TaskAlreadyVerified = ErrorDecl("TaskAlreadyVerified(uint256 task)")
TaskNotVerified = ErrorDecl("TaskNotVerified(uint256 task)")
NotBlindTask = ErrorDecl("NotBlindTask(uint256 task)")
BlindTaskNeedsKey = ErrorDecl("BlindTaskNeedsKey(uint256 task)")
RegistrationClosed = ErrorDecl("RegistrationClosed(uint64 registerEnd)")
RingNotFrozen = ErrorDecl("RingNotFrozen(uint64 registerEnd)")
KeyNotSender = ErrorDecl("KeyNotSender(address keyAddress,address sender)")
NoImageForTrainers = ErrorDecl("NoImageForTrainers()")
InvalidImageProof = ErrorDecl("InvalidImageProof()")
ValidatorImage = ErrorDecl("ValidatorImage()")
WrongSequence = ErrorDecl("WrongSequence(uint64 given,uint64 expected)")
TooManyBlindCalls = ErrorDecl("TooManyBlindCalls(uint64 maximum)")
InvalidRingSignature = ErrorDecl("InvalidRingSignature(uint256 ringSize)")
UnknownSubmission = ErrorDecl("UnknownSubmission(uint32 submission)")
AlreadyClaimed = ErrorDecl("AlreadyClaimed(address trainer)")
NotInRing = ErrorDecl("NotInRing()")
BLIND_PROOF_ERRORS = (InvalidRingSignature,)
"""A blind call refused for these carries a false proof whatever the state: a peer that relays one is banned."""
BLIND_UNSIGNED = Unsigned(lambda task, *fields: (participant_key(task, fields[-3]), fields[-2]),
                          lambda state, key: ImageSequence.get(state, key), BLIND_PROOF_ERRORS)
"""commitBlind and revealBlind both end (keyImage, sequence, signature): a pool holds one per task and image (the
image's participant key), and the chain expects ImageSequence next."""


# Keys and accounts

def participant_key(task: int, who: bytes) -> bytes:
    return task.to_bytes(8, "big") + who


def submission_key(task: int, index: int) -> bytes:
    return task.to_bytes(8, "big") + index.to_bytes(4, "big")


def compute_task_account(task: int) -> bytes:
    """The task's pot: keccak256(module address ‖ u64 task)[12:], an account no key controls."""
    return keccak256(ADDRESS_ + task.to_bytes(8, "big"))[12:]


def get_spec(state: State, task: int) -> ArenaTaskSpec:
    if not 0 <= task < 2**64:
        raise DispatchError(UnknownTask, task)
    spec = TaskConfig.get(state, task)
    if spec is None:
        raise DispatchError(UnknownTask, task)
    return spec


def get_role(state: State, task: int, who: bytes) -> int | None:
    for role, members in ((TRAINER, Trainers), (VALIDATOR, Validators)):
        if any(member.who == who for member in members.get(state, task)):
            return role
    return None


def get_task_stake(state: State, task: int) -> int:
    return sum(m.weight for m in Trainers.get(state, task) + Validators.get(state, task))


# The rules, as pure functions

def compute_trainer_pot(pot: int, trainer_weight: int, validator_weight: int, gamma: int) -> int:
    """N = pot · (γ + (10^6 − 2γ) · T / (T + S)) // 10^6, one floor: pot·(γ·(T+S) + (10^6−2γ)·T) // (10^6·(T+S))."""
    total = trainer_weight + validator_weight
    if total == 0:
        return 0
    return pot * (gamma * total + (PER_MILLION - 2 * gamma) * trainer_weight) // (PER_MILLION * total)


def compute_rank_factors(count: int, ratio: int) -> list[int]:
    """g_1 = 10^18, g_(r+1) = g_r · q // 10^6 (floored each step)."""
    factors = [RANK_BASE]
    while len(factors) < count:
        factors.append(factors[-1] * ratio // PER_MILLION)
    return factors[:count]


def compute_shares(amount: int, weights: list[int]) -> list[int]:
    total = sum(weights)
    return [amount * weight // total if total else 0 for weight in weights]


# Transitions

def set_phase(state: State, env, task: int, phase: int) -> None:
    Phase.set(state, task, phase)
    env.emit(PhaseChanged.to_log(ADDRESS_, task, phase))


def get_deadline(spec: ArenaTaskSpec, blind: BlindWindows | None, phase: int) -> int | None:
    """The block at which `phase` closes (None once the task is over)."""
    if phase <= SCORE_REVEAL:
        return spec.deadlines[phase]
    return blind.claim_end if phase == CLAIM else None


def catch_up(state: State, env, task: int, heavy: bool = False) -> int:
    """Run the transitions whose deadlines have passed, in order; returns the phase now. The three that
    do real work (closing REVEAL: duplicates and assignment; closing SCORE_REVEAL: the scores; closing
    CLAIM: the trainers' pay) run only with `heavy` — in `advance`, whose gas pays for them — so no cheap
    call can trigger them."""
    spec, blind = get_spec(state, task), Blind.get(state, task)
    while True:
        phase = Phase.get(state, task)
        deadline = get_deadline(spec, blind, phase)
        if deadline is None or env.block_number < deadline:
            return phase
        if phase in (REVEAL, SCORE_REVEAL, CLAIM) and not heavy:
            return phase
        if phase == SUBMIT:
            set_phase(state, env, task, REVEAL)
        elif phase == REVEAL:
            close_reveal(state, env, task)
        elif phase == SCORE_COMMIT:
            set_phase(state, env, task, SCORE_REVEAL)
        elif phase == SCORE_REVEAL:
            close_scoring(state, env, task)
        else:
            close_claims(state, env, task)


def report(state: State, env, task: int, kind: int, offender: bytes) -> None:
    """An offence the task found, slashed to the treasury (deferred, cancellable); nothing at stake, no report."""
    if sum(staking.get_slashable(state, offender)) == 0:
        return
    slash_id = slashing.report_offence(state, kind, offender, treasury.ADDRESS_, None, env.emit)
    env.emit(Penalized.to_log(ADDRESS_, task, offender, kind, slash_id))


def is_blind(state: State, task: int) -> bool:
    return Blind.get(state, task) is not None


def get_authors(state: State, task: int) -> list[bytes]:
    """Who may have committed: the trainers' addresses, or in a blind task the key images that did."""
    if is_blind(state, task):
        return list(BlindAuthors.get(state, task))
    return [trainer.who for trainer in Trainers.get(state, task)]


def drop(state: State, env, task: int, blind: bool, author: bytes, model_hash: bytes, reason: int) -> None:
    """A commitment that will not be scored; an open task's trainer who never revealed is reported (a blind
    one cannot be: nobody knows whose image it is, and its rate limit is what bounds it)."""
    if blind:
        env.emit(BlindSubmissionDropped.to_log(ADDRESS_, task, author, model_hash, reason))
        return
    env.emit(SubmissionDropped.to_log(ADDRESS_, task, author, model_hash, reason))
    if reason == NOT_REVEALED:
        report(state, env, task, slashing.UNAVAILABILITY, author)


def close_reveal(state: State, env, task: int) -> None:
    """Cancel without an evaluation set; else keep the first reveal of each model hash and assign validators."""
    if EvaluationSet.get(state, task) is None:
        return cancel_task(state, env, task)
    committed = []
    blind = is_blind(state, task)
    for author in get_authors(state, task):
        record = Commitment.get(state, participant_key(task, author))
        if record is None:
            continue
        model = RevealedModel.get(state, participant_key(task, author))
        if model is None:
            drop(state, env, task, blind, author, ZERO_HASH, NOT_REVEALED)
        else:
            committed.append((Submission(NO_TRAINER if blind else author, model, record.sequence), author))
    submissions, seen = [], set()
    for submission, author in sorted(committed, key=lambda entry: entry[0].sequence):
        if submission.model_hash in seen:
            drop(state, env, task, blind, author, submission.model_hash, DUPLICATE)
            continue
        seen.add(submission.model_hash)
        if blind:
            SubmissionImage.set(state, submission_key(task, len(submissions)), author)
        submissions.append(submission)
    Submissions.set(state, task, tuple(submissions))
    assign_validators(state, env, task, submissions)
    set_phase(state, env, task, SCORE_COMMIT)


def assign_validators(state: State, env, task: int, submissions: list[Submission]) -> None:
    """Submission i gets k validators: sample(keccak256(randomness ‖ u64 task ‖ u32 i ‖ "arena"), validators, k)."""
    validators = [(m.who, m.weight) for m in Validators.get(state, task)]
    k = get_spec(state, task).validators_per_submission
    seed_source = randomness.Randomness.get(state)
    by_validator: dict[bytes, list[int]] = {}
    for index, submission in enumerate(submissions):
        seed = keccak256(seed_source + task.to_bytes(8, "big") + index.to_bytes(4, "big") + b"arena")
        chosen = sample(seed, validators, k)
        Assigned.set(state, submission_key(task, index), tuple(chosen))
        for who in chosen:
            by_validator.setdefault(who, []).append(index)
        env.emit(ValidatorsAssigned.to_log(ADDRESS_, task, index, submission.trainer, chosen))
    for who, indices in sorted(by_validator.items()):
        Assignment.set(state, participant_key(task, who), tuple((i,) for i in indices))


def get_assignment(state: State, task: int, who: bytes) -> list[int]:
    return [i for (i,) in Assignment.get(state, participant_key(task, who))]


def cancel_task(state: State, env, task: int) -> None:
    """The creator never revealed the evaluation set: each funder gets its funds back and the creator its
    bounty; the deposit is shared equally by the trainers who revealed (their work was wasted) — in a blind
    task, where nobody knows who revealed, by every ring member —, its remainder and any emission go to the
    treasury."""
    spec, account = get_spec(state, task), compute_task_account(task)
    refunds = [(spec.creator, Bounty.get(state, task))] + [(f.who, f.amount) for f in Funders.get(state, task)]
    for who, amount in refunds:
        balances.transfer(state, account, who, amount)
    if is_blind(state, task):
        revealed = [t.who for t in Trainers.get(state, task)]
    else:
        revealed = [t.who for t in Trainers.get(state, task) if RevealedModel.get(state, participant_key(task, t.who))]
    for who in revealed:
        balances.transfer(state, account, who, spec.deposit // len(revealed))
    slashed = balances.free_balance(state, account)
    if slashed:
        treasury.deposit_from(state, account, slashed)
    deactivate(state, task)
    set_phase(state, env, task, CANCELLED)
    env.emit(TaskCancelled.to_log(ADDRESS_, task, sum(amount for _, amount in refunds), spec.deposit, slashed))


def deactivate(state: State, task: int) -> None:
    ActiveTasks.set(state, tuple(entry for entry in ActiveTasks.get(state) if entry[0] != task))
    update_pool_stake(state)


def compute_medians(state: State, task: int, count: int, revealed: dict[bytes, dict[int, int]]) -> list[int | None]:
    """Each submission's weighted median over the reports in `revealed` (None where there is none)."""
    weights = {m.who: m.weight for m in Validators.get(state, task)}
    medians = []
    for index in range(count):
        reports = [(revealed[who][index], weights[who], who) for who in Assigned.get(state, submission_key(task, index))
                   if who in revealed]
        medians.append(compute_weighted_median(reports) if reports else None)
    return medians


def compute_agreements(losses: dict[int, int], indices: list[int], consensus: list[int | None],
                       tolerance: int) -> list[int]:
    """A validator's agreement with the consensus on each submission of `indices`; 0 where it reported none."""
    return [compute_agreement(losses[i], consensus[i], tolerance, AGREEMENT_FLOOR) if i in losses else 0
            for i in indices]


def compute_consensus(state: State, task: int, count: int, revealed: dict[bytes, dict[int, int]]) -> list[int | None]:
    """Two passes: the medians of every report; then, without the validators far from those on most of their
    reports, the medians again (a submission only outliers scored keeps its first median)."""
    first = compute_medians(state, task, count, revealed)
    tolerance = AgreementTolerancePerMillion.get(state)
    trusted = {who: losses for who, losses in revealed.items()
               if not is_far_on_most(compute_agreements(losses, list(losses), first, tolerance))}
    second = compute_medians(state, task, count, trusted)
    return [b if b is not None else a for a, b in zip(first, second)]


def close_scoring(state: State, env, task: int) -> None:
    """Consensus and ranks; in an open task every payout and the end, in a blind one the validators' pay
    and CLAIM (the trainers' part waits for the claims)."""
    spec, account = get_spec(state, task), compute_task_account(task)
    submissions = list(Submissions.get(state, task))
    revealed: dict[bytes, dict[int, int]] = {}
    for validator in Validators.get(state, task):
        key = participant_key(task, validator.who)
        losses = Scores.get(state, key)
        if losses is not None:
            revealed[validator.who] = dict(zip(get_assignment(state, task, validator.who), (l for (l,) in losses)))
        elif ScoresCommitment.get(state, key) is not None or Assignment.get(state, key):
            report(state, env, task, slashing.UNAVAILABILITY, validator.who)
    medians = compute_consensus(state, task, len(submissions), revealed)
    consensus = [WORST_LOSS if median is None else median for median in medians]
    scored = [i for i, median in enumerate(medians) if median is not None and median != WORST_LOSS]
    ranking = sorted(scored, key=lambda i: (consensus[i], submissions[i].sequence))
    ranks = {index: position + 1 for position, index in enumerate(ranking)}
    Results.set(state, task, tuple(SubmissionResult(consensus[i], ranks.get(i, 0), 0) for i in range(len(submissions))))

    pot = max(balances.free_balance(state, account) - spec.deposit, 0)
    trainer_weight = sum(m.weight for m in Trainers.get(state, task))
    validator_weight = sum(m.weight for m in Validators.get(state, task))
    trainer_pot = compute_trainer_pot(pot, trainer_weight, validator_weight, GammaPerMillion.get(state)) \
        if ranking else 0
    if is_blind(state, task):
        for index, submission in enumerate(submissions):
            env.emit(SubmissionScored.to_log(ADDRESS_, task, index, NO_TRAINER, consensus[index],
                                             ranks.get(index, 0), 0))
        paid = pay_validators(state, env, task, pot - trainer_pot, consensus, revealed)
        Pending.set(state, task, PendingPayout(trainer_pot, paid))
        set_phase(state, env, task, CLAIM)
        update_pool_stake(state)
        return
    paid, vesting_total = pay_trainers(state, env, task, trainer_pot)
    paid += pay_validators(state, env, task, pot - trainer_pot, consensus, revealed)
    end_task(state, env, task, paid, vesting_total)


def close_claims(state: State, env, task: int) -> None:
    pending = Pending.get(state, task)
    Pending.remove(state, task)
    paid, vesting_total = pay_trainers(state, env, task, pending.trainer_pot)
    end_task(state, env, task, pending.paid + paid, vesting_total)


def pay_trainers(state: State, env, task: int, trainer_pot: int) -> tuple[int, int]:
    """The trainers' pot to the ranked submissions whose trainer is known (all of an open task's; a blind
    task's claimed ones), by weight × rank factor; VestingPerMillion of each part vests. Returns (paid,
    vesting)."""
    submissions, results = Submissions.get(state, task), list(Results.get(state, task))
    blind = is_blind(state, task)
    ranked = sorted((i for i, r in enumerate(results) if r.rank), key=lambda i: results[i].rank)
    paying = [i for i in ranked if submissions[i].trainer != NO_TRAINER]
    weights = {m.who: m.weight for m in Trainers.get(state, task)}
    factors = compute_rank_factors(len(ranked), RankRatioPerMillion.get(state))
    parts = dict(zip(paying, compute_shares(trainer_pot, [weights[submissions[i].trainer] * factors[results[i].rank - 1]
                                                          for i in paying])))
    account = compute_task_account(task)
    paid = vesting_total = 0
    for index, submission in enumerate(submissions):
        part = parts.get(index, 0)
        vested = part * VestingPerMillion.get(state) // PER_MILLION
        if part - vested:
            paid += rewards.pay_from(state, account, part - vested, [(submission.trainer, 1)], env.emit)
        if vested:
            Vesting.set(state, participant_key(task, submission.trainer),
                        VestingRecord(vested, 0, env.timestamp, VestingSeconds.get(state)))
            vesting_total += vested
        results[index] = replace(results[index], reward=part)
        result = results[index]
        event = (SubmissionRewarded.to_log(ADDRESS_, task, index, submission.trainer, part) if blind else
                 SubmissionScored.to_log(ADDRESS_, task, index, submission.trainer, result.consensus_loss,
                                         result.rank, part))
        env.emit(event)
    Results.set(state, task, tuple(results))
    return paid, vesting_total


def end_task(state: State, env, task: int, paid: int, vesting_total: int) -> None:
    """What is left beyond the vesting goes back to the creator; the task is over."""
    spec, account = get_spec(state, task), compute_task_account(task)
    refund = balances.free_balance(state, account) - vesting_total
    if refund:
        balances.transfer(state, account, spec.creator, refund)
    deactivate(state, task)
    set_phase(state, env, task, FINISHED)
    winner = get_winner(state, task) or ZERO_HASH
    env.emit(TaskFinished.to_log(ADDRESS_, task, winner, paid, vesting_total, refund))


def pay_validators(state: State, env, task: int, amount: int, consensus: list[int],
                   revealed: dict[bytes, dict[int, int]]) -> int:
    """Agreement per validator, false validation reported when it is zero on most assignments; the
    validators' pot by weight × agreement. Returns what was paid."""
    tolerance = AgreementTolerancePerMillion.get(state)
    outcomes = []
    for validator in Validators.get(state, task):
        losses = revealed.get(validator.who, {})
        assigned = get_assignment(state, task, validator.who)
        if not assigned:
            continue
        agreements = compute_agreements(losses, assigned, consensus, tolerance)
        far_on_most = is_far_on_most(agreements)
        if losses and far_on_most:
            report(state, env, task, slashing.FALSE_VALIDATION, validator.who)
        outcomes.append((validator, 0 if far_on_most else sum(agreements) // len(agreements), agreements.count(0)))
    shares = compute_shares(amount, [v.weight * agreement for v, agreement, _ in outcomes])
    account = compute_task_account(task)
    paid = 0
    for (validator, agreement, far), share in zip(outcomes, shares):
        if share:
            paid += rewards.pay_from(state, account, share, [(validator.who, 1)], env.emit)
        ValidatorOutcome.set(state, participant_key(task, validator.who), ValidatorResult(agreement, far, share))
        env.emit(ValidatorScored.to_log(ADDRESS_, task, validator.who, agreement, far, share))
    return paid


# Calls

def require_phase(state: State, env: CallEnv, task: int, required: int) -> None:
    phase = catch_up(state, env, task)
    if phase != required:
        raise DispatchError(WrongPhase, phase, required)


def call_create_task(state: State, env: CallEnv, model: str, training_data: bytes, evaluation_commitment: bytes,
                     windows: list[int], validators_per_submission: int, min_stake: int) -> tuple:
    """The value is the creator's deposit (CreatorDeposit, returned at the end unless the evaluation set is
    never revealed) plus the bounty."""
    task, _ = create_task(state, env, model, training_data, evaluation_commitment, windows,
                          validators_per_submission, min_stake)
    return (task,)


def call_create_blind_task(state: State, env: CallEnv, model: str, training_data: bytes,
                           evaluation_commitment: bytes, windows: list[int], validators_per_submission: int,
                           min_stake: int) -> tuple:
    """As createTask, with a registration window before the submit window and a claim window after the
    scores: windows are [register, submit, reveal, scoreCommit, scoreReveal, claim]."""
    task, ends = create_task(state, env, model, training_data, evaluation_commitment, windows,
                             validators_per_submission, min_stake)
    Blind.set(state, task, BlindWindows(ends[0], ends[-1]))
    env.emit(BlindTaskCreated.to_log(ADDRESS_, task, ends[0], ends[-1]))
    return (task,)


def create_task(state: State, env: CallEnv, model: str, training_data: bytes, evaluation_commitment: bytes,
                windows: list[int], validators_per_submission: int, min_stake: int) -> tuple[int, list[int]]:
    """A new task with its window ends (four of them, or six for a blind task: SUBMIT … SCORE_REVEAL end at
    the middle four); returns (task, ends)."""
    limit = MaxDescriptorLength.get(state)
    reasons = [
        (not model or len(model.encode()) > limit, "model kind is empty or too long"),
        (training_data == ZERO_HASH, "training data hash is zero"),
        (evaluation_commitment == ZERO_HASH, "evaluation commitment is zero"),
        (not all(1 <= blocks <= MaxWindowBlocks.get(state) for blocks in windows), "window length out of range"),
        (not MIN_VALIDATORS_PER_SUBMISSION <= validators_per_submission <= MaxValidators.get(state),
         "validators per submission out of range"),
    ]
    for broken, reason in reasons:
        if broken:
            raise DispatchError(InvalidTaskConfig, reason)
    deposit = CreatorDeposit.get(state)
    if env.value < deposit:
        raise DispatchError(DepositRequired, env.value, deposit)
    active = ActiveTasks.get(state)
    if len(active) >= MaxActiveTasks.get(state):
        raise DispatchError(TooManyActiveTasks, MaxActiveTasks.get(state))
    task = TaskCount.get(state)
    TaskCount.set(state, task + 1)
    ends, end = [], env.block_number
    for blocks in windows:
        end += blocks
        ends.append(end)
    deadlines = ends if len(ends) == 4 else ends[1:5]
    TaskConfig.set(state, task, ArenaTaskSpec(env.sender, training_data, evaluation_commitment, *deadlines,
                                              validators_per_submission, min_stake, deposit, env.block_number))
    TaskModelKind.set(state, task, model.encode())
    Bounty.set(state, task, env.value - deposit)
    ActiveTasks.set(state, active + ((task,),))
    account = compute_task_account(task)
    balances.transfer(state, ADDRESS_, account, env.value)
    env.emit(TaskCreated.to_log(ADDRESS_, task, env.sender, account, env.value - deposit, deposit))
    return task, ends


def call_fund(state: State, env: CallEnv, task: int) -> tuple:
    """Add to the pot while the task is open; a cancelled task returns it to the funder."""
    phase = catch_up(state, env, task)
    if phase in OVER or phase == CLAIM:
        raise DispatchError(TaskNotActive, task, phase)
    if env.value == 0:
        raise DispatchError(ZeroAmount)
    funders = list(Funders.get(state, task))
    known = next((i for i, f in enumerate(funders) if f.who == env.sender), None)
    if known is None:
        if len(funders) >= MAX_FUNDERS:
            raise DispatchError(TooManyFunders, MAX_FUNDERS)
        funders.append(Funding(env.sender, env.value))
    else:
        funders[known] = Funding(env.sender, funders[known].amount + env.value)
    Funders.set(state, task, tuple(funders))
    balances.transfer(state, ADDRESS_, compute_task_account(task), env.value)
    env.emit(TaskFunded.to_log(ADDRESS_, task, env.sender, env.value))
    return ()


def call_join(state: State, env: CallEnv, task: int) -> tuple:
    """Join in the account's staking role (training node → trainer, validator → validator), once per task."""
    require_phase(state, env, task, SUBMIT)
    if is_blind(state, task):
        raise DispatchError(BlindTaskNeedsKey, task)
    add_participant(state, env, task, get_joining_role(state, env, task))
    return ()


def call_join_blind(state: State, env: CallEnv, task: int, public_key: bytes, key_image: bytes,
                    image_proof: bytes) -> tuple:
    """Join a blind task before its ring freezes, naming the sender's public key. A trainer's key joins the
    ring (an image would tie its submissions to it, so it gives none); a validator publishes its own key
    image for the task with a proof, so that no submission can carry it."""
    require_phase(state, env, task, SUBMIT)
    blind = Blind.get(state, task)
    if blind is None:
        raise DispatchError(NotBlindTask, task)
    if env.block_number >= blind.register_end:
        raise DispatchError(RegistrationClosed, blind.register_end)
    point = parse_point(public_key) if len(public_key) == ring.POINT else None
    key_address = public_key_to_address(point) if point is not None else NO_TRAINER
    if key_address != env.sender:
        raise DispatchError(KeyNotSender, key_address, env.sender)
    role = get_joining_role(state, env, task)
    if role == TRAINER:
        if key_image or image_proof:
            raise DispatchError(NoImageForTrainers)
        Ring.set(state, task, Ring.get(state, task) + (public_key,))
        env.emit(RingMemberAdded.to_log(ADDRESS_, task, env.sender, public_key))
    else:
        message = compute_image_message(system.ChainId.get(state), b"validator", task)
        if not ring.verify_image(public_key, compute_ring_tag(task), key_image, message, image_proof):
            raise DispatchError(InvalidImageProof)
        ValidatorImages.set(state, task, ValidatorImages.get(state, task) + (key_image,))
        env.emit(ValidatorImagePublished.to_log(ADDRESS_, task, env.sender, key_image))
    add_participant(state, env, task, role)
    return ()


def get_joining_role(state: State, env: CallEnv, task: int) -> int:
    """The task role the sender would join in, or the reason it may not."""
    if env.sender == get_spec(state, task).creator:
        raise DispatchError(CreatorCannotJoin, env.sender)
    role = get_role(state, task, env.sender)
    if role is not None:
        raise DispatchError(AlreadyJoined, task, role)
    staking_role = staking.Role.get(state, env.sender)
    if staking_role not in (staking.TRAINING_NODE, staking.VALIDATOR):
        raise DispatchError(NoStakingRole, env.sender)
    exposure, minimum = sum(staking.get_exposure(state, env.sender)), get_spec(state, task).min_stake
    if exposure < minimum:
        raise DispatchError(NotEnoughStake, exposure, minimum)
    return TRAINER if staking_role == staking.TRAINING_NODE else VALIDATOR


def add_participant(state: State, env: CallEnv, task: int, role: int) -> None:
    members, limit = (Trainers, MaxTrainers) if role == TRAINER else (Validators, MaxValidators)
    if len(members.get(state, task)) >= limit.get(state):
        raise DispatchError(TooManyParticipants, role, limit.get(state))
    weight = staking.get_weight(state, env.sender)
    members.set(state, task, members.get(state, task) + (Participant(env.sender, weight),))
    update_pool_stake(state)
    env.emit(Joined.to_log(ADDRESS_, task, env.sender, role, weight))


def require_role(state: State, task: int, who: bytes, role: int) -> None:
    if get_role(state, task, who) != role:
        raise DispatchError(NotInRole, who, role)


def check_opening(committed: bytes, computed: bytes) -> None:
    if computed != committed:
        raise DispatchError(CommitmentMismatch, committed, computed)


def call_commit_submission(state: State, env: CallEnv, task: int, commitment: bytes) -> tuple:
    """A trainer's one live submission: a new commitment replaces the last and takes a new place in line."""
    require_phase(state, env, task, SUBMIT)
    if is_blind(state, task):
        raise DispatchError(BlindTaskNeedsKey, task)
    require_role(state, task, env.sender, TRAINER)
    record_commitment(state, task, env.sender, commitment)
    env.emit(SubmissionCommitted.to_log(ADDRESS_, task, env.sender, CommitmentCount.get(state, task) - 1))
    return ()


def record_commitment(state: State, task: int, author: bytes, commitment: bytes) -> None:
    sequence = CommitmentCount.get(state, task)
    CommitmentCount.set(state, task, sequence + 1)
    Commitment.set(state, participant_key(task, author), SubmissionCommitment(commitment, sequence))


def check_reveal(state: State, task: int, author: bytes, model_hash: bytes, salt: bytes) -> None:
    key = participant_key(task, author)
    record = Commitment.get(state, key)
    if record is None:
        raise DispatchError(NotCommitted)
    if RevealedModel.get(state, key) is not None:
        raise DispatchError(AlreadyRevealed)
    check_opening(record.commitment, compute_submission_commitment(model_hash, salt, author))


def call_reveal_submission(state: State, env: CallEnv, task: int, model_hash: bytes, salt: bytes) -> tuple:
    require_phase(state, env, task, REVEAL)
    check_reveal(state, task, env.sender, model_hash, salt)
    RevealedModel.set(state, participant_key(task, env.sender), model_hash)
    env.emit(SubmissionRevealed.to_log(ADDRESS_, task, env.sender, model_hash))
    return ()


def authorise_blind_call(state: State, task: int, key_image: bytes, action: bytes, fields: bytes, sequence: int,
                         signature: bytes) -> None:
    """A blind call's authority: the image is no validator's, its sequence is the next and within the rate
    limit, and — checked last, the one costly step — the ring signature by some ring member over the call."""
    if key_image in ValidatorImages.get(state, task):
        raise DispatchError(ValidatorImage)
    key = participant_key(task, key_image)
    expected = ImageSequence.get(state, key)
    if sequence != expected:
        raise DispatchError(WrongSequence, sequence, expected)
    if sequence >= MaxBlindCalls.get(state):
        raise DispatchError(TooManyBlindCalls, MaxBlindCalls.get(state))
    members = Ring.get(state, task)
    message = compute_blind_message(system.ChainId.get(state), action, task, fields, sequence)
    if not ring.verify(list(members), compute_ring_tag(task), message, key_image, signature):
        raise DispatchError(InvalidRingSignature, len(members))
    ImageSequence.set(state, key, sequence + 1)


def require_blind_phase(state: State, env: CallEnv, task: int, required: int) -> None:
    require_phase(state, env, task, required)
    blind = Blind.get(state, task)
    if blind is None:
        raise DispatchError(NotBlindTask, task)
    if env.block_number < blind.register_end:
        raise DispatchError(RingNotFrozen, blind.register_end)


def call_commit_blind(state: State, env: CallEnv, task: int, commitment: bytes, key_image: bytes, sequence: int,
                      signature: bytes) -> tuple:
    """A blind task's submission, from no account: commitment = keccak256(modelHash ‖ salt ‖ keyImage); a
    later one with the same image replaces it, as a trainer's own does in an open task."""
    require_blind_phase(state, env, task, SUBMIT)
    authorise_blind_call(state, task, key_image, b"commit", commitment, sequence, signature)
    if Commitment.get(state, participant_key(task, key_image)) is None:
        BlindAuthors.set(state, task, BlindAuthors.get(state, task) + (key_image,))
    record_commitment(state, task, key_image, commitment)
    env.emit(BlindSubmissionCommitted.to_log(ADDRESS_, task, key_image, CommitmentCount.get(state, task) - 1))
    return ()


def call_reveal_blind(state: State, env: CallEnv, task: int, model_hash: bytes, salt: bytes, key_image: bytes,
                      sequence: int, signature: bytes) -> tuple:
    require_blind_phase(state, env, task, REVEAL)
    check_reveal(state, task, key_image, model_hash, salt)
    authorise_blind_call(state, task, key_image, b"reveal", model_hash + salt, sequence, signature)
    RevealedModel.set(state, participant_key(task, key_image), model_hash)
    env.emit(BlindSubmissionRevealed.to_log(ADDRESS_, task, key_image, model_hash))
    return ()


def call_claim(state: State, env: CallEnv, task: int, submission: int, public_key: bytes, proof: bytes) -> tuple:
    """Anyone may send it: the proof shows that the ring member `public_key` made the submission's key image,
    and its reward goes to that member (whose delegators share it by σ, as in an open task)."""
    require_phase(state, env, task, CLAIM)
    submissions = list(Submissions.get(state, task))
    if submission >= len(submissions):
        raise DispatchError(UnknownSubmission, submission)
    if submissions[submission].trainer != NO_TRAINER:
        raise DispatchError(AlreadyClaimed, submissions[submission].trainer)
    if public_key not in Ring.get(state, task):
        raise DispatchError(NotInRing)
    key_image = SubmissionImage.get(state, submission_key(task, submission))
    message = compute_image_message(system.ChainId.get(state), b"claim", task)
    if not ring.verify_image(public_key, compute_ring_tag(task), key_image, message, proof):
        raise DispatchError(InvalidImageProof)
    trainer = public_key_to_address(parse_point(public_key))
    submissions[submission] = replace(submissions[submission], trainer=trainer)
    Submissions.set(state, task, tuple(submissions))
    env.emit(SubmissionClaimed.to_log(ADDRESS_, task, submission, trainer, key_image))
    return ()


def call_reveal_evaluation_set(state: State, env: CallEnv, task: int, evaluation_hash: bytes, salt: bytes) -> tuple:
    require_phase(state, env, task, REVEAL)
    spec = get_spec(state, task)
    if env.sender != spec.creator:
        raise DispatchError(NotCreator, spec.creator)
    if EvaluationSet.get(state, task) is not None:
        raise DispatchError(AlreadyRevealed)
    check_opening(spec.evaluation_commitment, compute_evaluation_commitment(evaluation_hash, salt, env.sender))
    EvaluationSet.set(state, task, evaluation_hash)
    env.emit(EvaluationSetRevealed.to_log(ADDRESS_, task, evaluation_hash))
    return ()


def call_commit_scores(state: State, env: CallEnv, task: int, commitment: bytes) -> tuple:
    require_phase(state, env, task, SCORE_COMMIT)
    if not get_assignment(state, task, env.sender):
        raise DispatchError(NotAssigned, env.sender)
    key = participant_key(task, env.sender)
    if ScoresCommitment.get(state, key) is not None:
        raise DispatchError(AlreadyCommitted)
    ScoresCommitment.set(state, key, commitment)
    env.emit(ScoresCommitted.to_log(ADDRESS_, task, env.sender))
    return ()


def call_reveal_scores(state: State, env: CallEnv, task: int, losses: list[int], salt: bytes) -> tuple:
    require_phase(state, env, task, SCORE_REVEAL)
    key = participant_key(task, env.sender)
    committed = ScoresCommitment.get(state, key)
    if committed is None:
        raise DispatchError(NotCommitted)
    if Scores.get(state, key) is not None:
        raise DispatchError(AlreadyRevealed)
    assigned = get_assignment(state, task, env.sender)
    if len(losses) != len(assigned):
        raise DispatchError(WrongScoreCount, len(losses), len(assigned))
    check_opening(committed, compute_scores_commitment(losses, salt, env.sender))
    Scores.set(state, key, tuple((loss,) for loss in losses))
    env.emit(ScoresRevealed.to_log(ADDRESS_, task, env.sender, losses))
    return ()


def call_advance(state: State, env: CallEnv, task: int) -> tuple:
    """Anyone: run the transitions whose deadlines have passed."""
    spec = get_spec(state, task)
    before = Phase.get(state, task)
    phase = catch_up(state, env, task, heavy=True)
    if phase == before:
        raise DispatchError(NothingToAdvance, get_deadline(spec, Blind.get(state, task), phase) or 0)
    return ()


def call_release_vested(state: State, env: CallEnv, task: int) -> tuple:
    """A trainer's vested reward so far: total · min(elapsed, VestingSeconds) // VestingSeconds − released."""
    key = participant_key(task, env.sender)
    record = Vesting.get(state, key)
    releasable = 0 if record is None else compute_releasable(record, env.timestamp)
    if releasable == 0:
        raise DispatchError(NothingToRelease)
    Vesting.set(state, key, replace(record, released=record.released + releasable))
    rewards.pay_from(state, compute_task_account(task), releasable, [(env.sender, 1)], env.emit)
    env.emit(VestingReleased.to_log(ADDRESS_, task, env.sender, releasable))
    return ()


def compute_releasable(record: VestingRecord, now: int) -> int:
    """total · min(elapsed, period) // period − released, never below 0."""
    elapsed = min(max(now - record.start, 0), record.period)
    return max(record.total * elapsed // record.period - record.released, 0)


def get_winner(state: State, task: int) -> bytes | None:
    """The model hash ranked first by a finished task, if any."""
    get_spec(state, task)
    if Phase.get(state, task) != FINISHED:
        return None
    ranked = [s.model_hash for s, r in zip(Submissions.get(state, task), Results.get(state, task)) if r.rank == 1]
    return ranked[0] if ranked else None


def get_model_kind(state: State, task: int) -> str:
    return TaskModelKind.get(state, task).decode()


def get_ranked_submission(state: State, task: int, index: int) -> tuple[Submission, SubmissionResult] | None:
    """Submission `index` of a finished task with its result, when it was ranked (else None)."""
    if TaskConfig.get(state, task) is None or Phase.get(state, task) != FINISHED:
        return None
    submissions, results = Submissions.get(state, task), Results.get(state, task)
    if index >= min(len(submissions), len(results)) or results[index].rank == 0:
        return None
    return submissions[index], results[index]


def call_create_alliance_task(state: State, env: CallEnv, task: int, dataset: str, rounds: int, proposers: int,
                              voters: int, phase_blocks: tuple, min_stake: int) -> tuple:
    """An FL Alliance task that starts from this finished task's winning model, of its model kind: trained
    on public data here, refined on private data there. The value is the Alliance bounty; the rest is
    fl_alliance.createTask's, with its checks and events, the caller as creator."""
    get_spec(state, task)
    winner = get_winner(state, task)
    if winner is None:
        raise DispatchError(NoWinner, task)
    if env.value:
        balances.transfer(state, ADDRESS_, alliance.ADDRESS_, env.value)
    (alliance_task,) = alliance.call_create_task(state, env, get_model_kind(state, task), dataset, winner,
                                                 rounds, proposers, voters, phase_blocks, min_stake)
    SeededAlliance.set(state, alliance_task, task)
    env.emit(AllianceSeeded.to_log(ADDRESS_, task, alliance_task, winner))
    return (alliance_task,)


def call_verify_task(state: State, env: CallEnv, task: int) -> tuple:
    """Privileged (a passed proposal; Root on a dev chain): the task earns emissions while active."""
    system.ensure_root(state, env.sender)
    get_spec(state, task)
    if Verified.get(state, task):
        raise DispatchError(TaskAlreadyVerified, task)
    Verified.set(state, task, 1)
    update_pool_stake(state)
    env.emit(TaskVerified.to_log(ADDRESS_, task))
    return ()


def call_unverify_task(state: State, env: CallEnv, task: int) -> tuple:
    system.ensure_root(state, env.sender)
    get_spec(state, task)
    if not Verified.get(state, task):
        raise DispatchError(TaskNotVerified, task)
    Verified.set(state, task, 0)
    update_pool_stake(state)
    env.emit(TaskUnverified.to_log(ADDRESS_, task))
    return ()


# Emissions

def get_earning_tasks(state: State) -> list[int]:
    """Verified active tasks, bar those in CLAIM: their pots are fixed, what arrives then would only go back
    to the creator."""
    return [task for (task,) in ActiveTasks.get(state) if Verified.get(state, task) and Phase.get(state, task) != CLAIM]


def update_pool_stake(state: State) -> None:
    """AI Arena's emission share follows the stake of the earning tasks; with none, the pool is released."""
    stakes = [get_task_stake(state, task) for task in get_earning_tasks(state)]
    rewards.set_task_stakes(state, rewards.AI_ARENA, stakes)


def on_initialize(state: State, env: BlockEnv) -> None:
    """At an epoch's first block, AI Arena's pool goes to the earning tasks' pots by task stake, floored."""
    epoch = randomness.EpochIndex.get(state)
    if epoch == LastEpoch.get(state):
        return
    LastEpoch.set(state, epoch)
    if not rewards.is_pool_managed(state, rewards.AI_ARENA):
        return
    accounts = [(compute_task_account(task), get_task_stake(state, task)) for task in get_earning_tasks(state)]
    rewards.share_pool(state, rewards.AI_ARENA, accounts)


# Views

def view_task(state: State, task: int) -> tuple:
    spec = get_spec(state, task)
    return (spec.creator, get_model_kind(state, task), spec.training_data, spec.evaluation_commitment,
            list(spec.deadlines), spec.validators_per_submission, spec.min_stake, spec.deposit,
            compute_task_account(task))


def view_status(state: State, task: int) -> tuple:
    get_spec(state, task)
    bounty = Bounty.get(state, task) + sum(f.amount for f in Funders.get(state, task))
    return (Phase.get(state, task), bounty, balances.free_balance(state, compute_task_account(task)),
            EvaluationSet.get(state, task) or ZERO_HASH, bool(Verified.get(state, task)))


def view_participants(state: State, task: int) -> tuple:
    get_spec(state, task)
    trainers, validators = Trainers.get(state, task), Validators.get(state, task)
    return ([m.who for m in trainers], [m.weight for m in trainers], [m.who for m in validators],
            [m.weight for m in validators])


def view_submissions(state: State, task: int) -> tuple:
    get_spec(state, task)
    submissions, results = Submissions.get(state, task), Results.get(state, task)
    missing = SubmissionResult(0, 0, 0)
    padded = list(results) + [missing] * (len(submissions) - len(results))
    return ([s.trainer for s in submissions], [s.model_hash for s in submissions],
            [r.consensus_loss for r in padded], [r.rank for r in padded], [r.reward for r in padded])


def view_validator(state: State, task: int, who: bytes) -> tuple:
    get_spec(state, task)
    key = participant_key(task, who)
    scores = Scores.get(state, key)
    outcome = ValidatorOutcome.get(state, key) or ValidatorResult(0, 0, 0)
    return (get_assignment(state, task, who), ScoresCommitment.get(state, key) or ZERO_HASH,
            [loss for (loss,) in scores or ()], outcome.agreement, outcome.far, outcome.reward)


def view_vesting(state: State, task: int, who: bytes) -> tuple:
    record = Vesting.get(state, participant_key(task, who))
    if record is None:
        return (0, 0, 0)
    return (record.total, record.released, compute_releasable(record, system.Timestamp.get(state)))


def view_blind(state: State, task: int) -> tuple:
    get_spec(state, task)
    blind = Blind.get(state, task)
    if blind is None:
        return (False, 0, 0, [], [])
    return (True, blind.register_end, blind.claim_end, list(Ring.get(state, task)),
            list(ValidatorImages.get(state, task)))


def view_submission_images(state: State, task: int) -> tuple:
    get_spec(state, task)
    return ([SubmissionImage.get(state, submission_key(task, i)) for i in range(len(Submissions.get(state, task)))],)


def view_alliance_seed(state: State, alliance_task: int) -> tuple:
    arena_task = SeededAlliance.get(state, alliance_task)
    return (arena_task is not None, arena_task or 0)


# Genesis and invariants

GENESIS_PARAMETERS = (("maxActiveTasks", MaxActiveTasks), ("creatorDeposit", CreatorDeposit),
                      ("gammaPerMillion", GammaPerMillion), ("rankRatioPerMillion", RankRatioPerMillion),
                      ("agreementTolerancePerMillion", AgreementTolerancePerMillion),
                      ("vestingPerMillion", VestingPerMillion), ("vestingSeconds", VestingSeconds),
                      ("maxBlindCalls", MaxBlindCalls))


def check_parameters(state: State) -> None:
    assert 2 * GammaPerMillion.get(state) <= PER_MILLION, "γ is at most one half"
    assert 0 < RankRatioPerMillion.get(state) <= PER_MILLION and 0 < AgreementTolerancePerMillion.get(state)
    assert VestingPerMillion.get(state) <= PER_MILLION and VestingSeconds.get(state) > 0


def genesis(state: State, config: dict) -> None:
    """config (all optional): the parameters of GENESIS_PARAMETERS by their camelCase names."""
    for key, item in GENESIS_PARAMETERS:
        if key in config:
            item.set(state, int(config[key]))
    try:
        check_parameters(state)
    except AssertionError as error:
        raise ValueError(f"arena: {error}") from None


def check_invariants(state: State) -> None:
    check_parameters(state)
    count = TaskCount.get(state)
    assert {task for task, _ in TaskConfig.items(state)} == set(range(count)), "task ids are 0 … TaskCount − 1"
    active = [task for (task,) in ActiveTasks.get(state)]
    assert active == sorted(set(active)) and len(active) <= MaxActiveTasks.get(state)
    for task in range(count):
        phase = Phase.get(state, task)
        assert (phase not in OVER) == (task in active), "the active list is the unfinished tasks"
        trainers = {m.who for m in Trainers.get(state, task)}
        validators = {m.who for m in Validators.get(state, task)}
        assert not trainers & validators, "one role per address per task"
        submissions = Submissions.get(state, task)
        assert len({s.model_hash for s in submissions}) == len(submissions), "one submission per model hash"
        results = Results.get(state, task)
        assert not results or len(results) == len(submissions)
        drawn = {(i, who) for i in range(len(submissions)) for who in Assigned.get(state, submission_key(task, i))}
        assert drawn == {(i, who) for who in validators for i in get_assignment(state, task, who)}, \
            "each submission's validators and each validator's assignment say the same"
        ranks = sorted(r.rank for r in results if r.rank)
        assert ranks == list(range(1, len(ranks) + 1)), "ranks are 1 … n"
        if is_blind(state, task):
            members = Ring.get(state, task)
            assert [public_key_to_address(parse_point(key)) for key in members] == \
                [m.who for m in Trainers.get(state, task)], "the ring is the trainers' keys, in join order"
            assert not set(ValidatorImages.get(state, task)) & set(BlindAuthors.get(state, task)), \
                "no validator's image committed"
            claimed = [s.trainer for s in submissions if s.trainer != NO_TRAINER]
            assert len(set(claimed)) == len(claimed) and set(claimed) <= trainers, "one claim per ring member"
        outstanding = sum(record.total - record.released for key, record in Vesting.items(state)
                          if key[:8] == task.to_bytes(8, "big"))
        if phase == FINISHED:
            assert balances.free_balance(state, compute_task_account(task)) >= outstanding, "vesting is funded"


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    calls=(
        CallDecl("createTask(string model,bytes32 trainingData,bytes32 evaluationCommitment,uint32[4] windowBlocks,"
                 "uint16 validatorsPerSubmission,uint256 minStake)", call_create_task, weight=120_000, payable=True,
                 returns=("uint256",)),
        CallDecl("createBlindTask(string model,bytes32 trainingData,bytes32 evaluationCommitment,"
                 "uint32[6] windowBlocks,uint16 validatorsPerSubmission,uint256 minStake)", call_create_blind_task,
                 weight=130_000, payable=True, returns=("uint256",)),
        CallDecl("fund(uint256 task)", call_fund, weight=30_000, payable=True),
        CallDecl("join(uint256 task)", call_join, weight=150_000),
        CallDecl("joinBlind(uint256 task,bytes publicKey,bytes keyImage,bytes imageProof)", call_join_blind,
                 weight=250_000),
        CallDecl("commitBlind(uint256 task,bytes32 commitment,bytes keyImage,uint32 sequence,bytes signature)",
                 call_commit_blind, weight=200_000, weight_per_byte=RING_WEIGHT_PER_BYTE,
                 unsigned=BLIND_UNSIGNED),
        CallDecl("revealBlind(uint256 task,bytes32 modelHash,bytes32 salt,bytes keyImage,uint32 sequence,"
                 "bytes signature)", call_reveal_blind, weight=200_000, weight_per_byte=RING_WEIGHT_PER_BYTE,
                 unsigned=BLIND_UNSIGNED),
        CallDecl("claim(uint256 task,uint32 submission,bytes publicKey,bytes proof)", call_claim, weight=150_000),
        CallDecl("commitSubmission(uint256 task,bytes32 commitment)", call_commit_submission, weight=100_000),
        CallDecl("revealSubmission(uint256 task,bytes32 modelHash,bytes32 salt)", call_reveal_submission,
                 weight=100_000),
        CallDecl("revealEvaluationSet(uint256 task,bytes32 evaluationHash,bytes32 salt)", call_reveal_evaluation_set,
                 weight=60_000),
        CallDecl("commitScores(uint256 task,bytes32 commitment)", call_commit_scores, weight=150_000),
        CallDecl("revealScores(uint256 task,uint64[] losses,bytes32 salt)", call_reveal_scores, weight=300_000),
        CallDecl("advance(uint256 task)", call_advance, weight=2_000_000),
        CallDecl("releaseVested(uint256 task)", call_release_vested, weight=60_000),
        CallDecl("createAllianceTask(uint256 task,string dataset,uint32 rounds,uint16 proposersPerRound,"
                 "uint16 votersPerRound,uint32[5] phaseBlocks,uint256 minStake)", call_create_alliance_task,
                 weight=200_000, payable=True, returns=("uint256",)),
        CallDecl("verifyTask(uint256 task)", call_verify_task, weight=50_000),
        CallDecl("unverifyTask(uint256 task)", call_unverify_task, weight=50_000),
    ),
    views=(
        ViewDecl("taskCount()", lambda state: (TaskCount.get(state),), ("uint256",)),
        ViewDecl("activeTasks()", lambda state: ([task for (task,) in ActiveTasks.get(state)],), ("uint256[]",)),
        ViewDecl("taskOf(uint256 task)", view_task,
                 ("address", "string", "bytes32", "bytes32", "uint64[4]", "uint16", "uint256", "uint256", "address")),
        ViewDecl("taskStatus(uint256 task)", view_status, ("uint8", "uint256", "uint256", "bytes32", "bool")),
        ViewDecl("participantsOf(uint256 task)", view_participants,
                 ("address[]", "uint256[]", "address[]", "uint256[]")),
        ViewDecl("submissionsOf(uint256 task)", view_submissions,
                 ("address[]", "bytes32[]", "uint64[]", "uint32[]", "uint256[]")),
        ViewDecl("validatorOf(uint256 task,address validator)", view_validator,
                 ("uint32[]", "bytes32", "uint64[]", "uint32", "uint32", "uint256")),
        ViewDecl("vestingOf(uint256 task,address trainer)", view_vesting, ("uint256", "uint256", "uint256")),
        ViewDecl("isVerified(uint256 task)", lambda state, task: (bool(Verified.get(state, task)),), ("bool",)),
        ViewDecl("winnerOf(uint256 task)", lambda state, task: (get_winner(state, task) or ZERO_HASH,), ("bytes32",)),
        ViewDecl("allianceSeedOf(uint256 allianceTask)", view_alliance_seed, ("bool", "uint256")),
        ViewDecl("blindOf(uint256 task)", view_blind, ("bool", "uint64", "uint64", "bytes[]", "bytes[]")),
        ViewDecl("submissionImagesOf(uint256 task)", view_submission_images, ("bytes[]",)),
        ViewDecl("imageSequenceOf(uint256 task,bytes keyImage)",
                 lambda state, task, key_image: (ImageSequence.get(state, participant_key(task, key_image)),),
                 ("uint64",)),
    ),
    queries={"spec": get_spec},
    parameters={"MaxActiveTasks": Parameter(MaxActiveTasks), "MaxTrainers": Parameter(MaxTrainers, 1, 256),
                "MaxValidators": Parameter(MaxValidators, 1, 256),
                "MaxWindowBlocks": Parameter(MaxWindowBlocks, 1, 1_000_000),
                "MaxDescriptorLength": Parameter(MaxDescriptorLength, 16, 1_024),
                "CreatorDeposit": Parameter(CreatorDeposit, 0, 1_000_000 * UNIT),
                "GammaPerMillion": Parameter(GammaPerMillion, 0, PER_MILLION // 2),
                "RankRatioPerMillion": Parameter(RankRatioPerMillion, 1, PER_MILLION),
                "AgreementTolerancePerMillion": Parameter(AgreementTolerancePerMillion, 1, PER_MILLION),
                "VestingPerMillion": Parameter(VestingPerMillion, 0, PER_MILLION),
                "VestingSeconds": Parameter(VestingSeconds, 1, 4 * 365 * 86_400),
                "MaxBlindCalls": Parameter(MaxBlindCalls, 2, 64)},
    authorize=system.ensure_root,
    raises=(system.NotRoot,),
    on_initialize=on_initialize,
    genesis=genesis,
    check_invariants=check_invariants,
)
