"""Drives the arena module through signed transactions on an in-memory chain (tests and conformance cases)."""

from arena import formats
from arena import module as arena
from arena.blind import BlindIdentity
from runtime.crypto import keccak256
from runtime.modules import staking, system
from runtime.transactions import encode_unsigned_call
from tests.fl.alliance_driver import STAKE, UNIT, AllianceDriver, address
from tests.runtime.harness import ACCOUNTS, call_data

CREATOR = 0
TRAINERS = (1, 2, 3)
VALIDATORS = (4, 5, 6, 7)
WINDOWS = (4, 4, 4, 4)
BLIND_WINDOWS = (4, 4, 4, 4, 4, 4)
EVALUATION = keccak256(b"evaluation set")
EVALUATION_SALT = keccak256(b"evaluation salt")
DEPOSIT = 100 * UNIT


def model_hash(trainer: int, label: str = "model") -> bytes:
    return keccak256(f"{label} {trainer}".encode())


def salt(index: int) -> bytes:
    return keccak256(f"arena salt {index}".encode())


class ArenaDriver(AllianceDriver):
    """AllianceDriver's blocks and staking, with calls to the arena module."""

    MODULE = arena.MODULE
    draw = None
    """Where blind identities take their random scalars (None: the OS; a seeded source for vectors)."""

    def act(self, sender, name, *args, value=0):
        """One call in its own block; returns its applied transaction."""
        (applied,) = self.block(self.call(sender, name, *args, value=value))
        return applied

    def stake_all(self, trainers=TRAINERS, validators=VALIDATORS, amount=STAKE):
        self.bond(trainers, staking.TRAINING_NODE, amount)
        self.bond(validators, staking.VALIDATOR, amount)

    def create(self, windows=WINDOWS, k=3, min_stake=STAKE, bounty=900 * UNIT, creator=CREATOR,
               evaluation=EVALUATION):
        commitment = formats.compute_evaluation_commitment(evaluation, EVALUATION_SALT, address(creator))
        return self.act(creator, "createTask", "mlp:digits", keccak256(b"public data"), commitment, list(windows), k,
                        min_stake, value=DEPOSIT + bounty)

    def phase(self, task=0) -> int:
        return arena.Phase.get(self.state(), task)

    def to_deadline(self, task, phase):
        self.until(arena.get_spec(self.state(), task).deadlines[phase])

    def commit_models(self, task, models: dict[int, bytes]):
        return self.block(*(self.call(i, "commitSubmission", task,
                                      formats.compute_submission_commitment(m, salt(i), address(i)))
                            for i, m in models.items()))

    def reveal_models(self, task, models: dict[int, bytes]):
        return self.block(*(self.call(i, "revealSubmission", task, m, salt(i)) for i, m in models.items()))

    def reveal_evaluation(self, task, creator=CREATOR, evaluation=EVALUATION):
        return self.act(creator, "revealEvaluationSet", task, evaluation, EVALUATION_SALT)

    def assignment(self, task, validator) -> list[int]:
        return arena.get_assignment(self.state(), task, address(validator))

    def commit_scores(self, task, losses: dict[int, list[int]]):
        return self.block(*(self.call(v, "commitScores", task,
                                      formats.compute_scores_commitment(l, salt(100 + v), address(v)))
                            for v, l in losses.items()))

    def reveal_scores(self, task, losses: dict[int, list[int]]):
        return self.block(*(self.call(v, "revealScores", task, l, salt(100 + v)) for v, l in losses.items()))

    def run_task(self, task, models: dict[int, bytes], loss_of, validators=VALIDATORS, reveal_models=None):
        """Join, commit, reveal, score with `loss_of(validator, trainer) -> int`, finish. Returns the losses
        revealed; `finished` holds the finishing transaction."""
        self.block(*(self.call(i, "join", task) for i in tuple(models) + tuple(validators)))
        self.commit_models(task, models)
        self.to_deadline(task, formats.SUBMIT)
        self.reveal_models(task, models if reveal_models is None else reveal_models)
        self.reveal_evaluation(task)
        self.finished, losses = self.score_all(task, loss_of, validators, lambda submission: submission.trainer)
        return losses

    # Blind tasks

    def create_blind(self, windows=BLIND_WINDOWS, k=3, min_stake=STAKE, bounty=900 * UNIT, creator=CREATOR):
        commitment = formats.compute_evaluation_commitment(EVALUATION, EVALUATION_SALT, address(creator))
        return self.act(creator, "createBlindTask", "mlp:digits", keccak256(b"public data"), commitment,
                        list(windows), k, min_stake, value=DEPOSIT + bounty)

    def identity(self, index: int, task=0) -> BlindIdentity:
        extra = {} if self.draw is None else {"draw": self.draw}
        return BlindIdentity(ACCOUNTS[index].private_key, system.ChainId.get(self.state()), task, **extra)

    def join_blind(self, task, trainers=TRAINERS, validators=VALIDATORS):
        return self.block(*(self.call(i, "joinBlind", *self.identity(i, task).trainer_join_args()) for i in trainers),
                          *(self.call(v, "joinBlind", *self.identity(v, task).validator_join_args())
                            for v in validators))

    def ring(self, task=0) -> list[bytes]:
        return list(arena.Ring.get(self.state(), task))

    def unsigned(self, name: str, *args) -> bytes:
        """The raw unsigned transaction of a blind call."""
        return self.unsigned_raw(call_data(arena.MODULE, name, *args))

    def unsigned_raw(self, data: bytes) -> bytes:
        return encode_unsigned_call(system.ChainId.get(self.state()), arena.ADDRESS_, data)

    def sequence(self, index: int, task=0) -> int:
        return arena.ImageSequence.get(self.state(), arena.participant_key(task, self.identity(index, task).key_image))

    def blind_commit(self, index: int, model: bytes, task=0, sequence=None, members=None) -> bytes:
        me = self.identity(index, task)
        commitment = formats.compute_submission_commitment(model, salt(index), me.key_image)
        sequence = self.sequence(index, task) if sequence is None else sequence
        return self.unsigned("commitBlind", *me.commit_args(members or self.ring(task), commitment, sequence))

    def blind_reveal(self, index: int, model: bytes, task=0) -> bytes:
        me = self.identity(index, task)
        return self.unsigned("revealBlind", *me.reveal_args(self.ring(task), model, salt(index),
                                                            self.sequence(index, task)))

    def until_blind(self, task, which: str):
        """Empty blocks until the next block is the blind window end `which` (register_end or claim_end)."""
        self.until(getattr(arena.Blind.get(self.state(), task), which))

    def score_all(self, task, loss_of, validators=VALIDATORS, scored=lambda submission: submission.model_hash):
        """From REVEAL's end to SCORE_REVEAL's end: assign, commit and reveal `loss_of(validator,
        scored(submission))`. Returns (the closing transaction, the losses revealed)."""
        self.to_deadline(task, formats.REVEAL)
        self.act(CREATOR, "advance", task)
        submissions = [scored(s) for s in arena.Submissions.get(self.state(), task)]
        losses = {v: [loss_of(v, submissions[i]) for i in self.assignment(task, v)] for v in validators
                  if self.assignment(task, v)}
        self.commit_scores(task, losses)
        self.to_deadline(task, formats.SCORE_COMMIT)
        self.reveal_scores(task, losses)
        self.to_deadline(task, formats.SCORE_REVEAL)
        return self.act(CREATOR, "advance", task), losses

    def run_blind_task(self, task, models: dict[int, bytes], loss_of, validators=VALIDATORS):
        """Join blind, commit and reveal unsigned, score; stops at CLAIM."""
        self.join_blind(task, tuple(models), validators)
        self.until_blind(task, "register_end")
        self.raw_block(*(self.blind_commit(i, m, task) for i, m in models.items()))
        self.to_deadline(task, formats.SUBMIT)
        self.raw_block(*(self.blind_reveal(i, m, task) for i, m in models.items()))
        self.reveal_evaluation(task)
        return self.score_all(task, loss_of, validators)[0]
