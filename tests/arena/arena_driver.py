"""Drives the arena module through signed transactions on an in-memory chain (tests and conformance cases)."""

from arena import formats
from arena import module as arena
from runtime.crypto import keccak256
from runtime.modules import staking
from tests.fl.alliance_driver import STAKE, UNIT, AllianceDriver, address

CREATOR = 0
TRAINERS = (1, 2, 3)
VALIDATORS = (4, 5, 6, 7)
WINDOWS = (4, 4, 4, 4)
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

    def until(self, block_number: int):
        """Empty blocks until the next block is `block_number`."""
        while self.chain.head.number + 1 < block_number:
            self.block()

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
        self.to_deadline(task, formats.REVEAL)
        self.act(CREATOR, "advance", task)
        trainers = [s.trainer for s in arena.Submissions.get(self.state(), task)]
        losses = {v: [loss_of(v, trainers[i]) for i in self.assignment(task, v)] for v in validators
                  if self.assignment(task, v)}
        self.commit_scores(task, losses)
        self.to_deadline(task, formats.SCORE_COMMIT)
        self.reveal_scores(task, losses)
        self.to_deadline(task, formats.SCORE_REVEAL)
        self.finished = self.act(CREATOR, "advance", task)
        return losses
