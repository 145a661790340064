"""What the FL Alliance module and its workers agree on, declared once: task statuses, phases,
outcomes, roles and the commitments' preimages (spec/modules/fl_alliance.md).

The module (fl_module/alliance.py) checks reveals with these functions and the workers
(fl_module/worker/) commit with the same ones; a worker imports this file, never the node.
"""

from runtime.crypto import keccak256
from runtime.modules.staking import NO_ROLE  # noqa: F401  (staking's roleOf of an account that bonded nothing)

ZERO_HASH = b"\x00" * 32

WAITING, RUNNING, FINISHED = 0, 1, 2
"""Task status: waiting for enough participants to draw a round, running, finished."""
COMMIT, REVEAL, VOTE_COMMIT, VOTE_REVEAL, AGGREGATE = 0, 1, 2, 3, 4
PHASES = (COMMIT, REVEAL, VOTE_COMMIT, VOTE_REVEAL, AGGREGATE)
ROUND_RUNNING, ROUND_COMPLETED, ROUND_NONE_ACCEPTED, ROUND_TIMED_OUT, ROUND_AGGREGATE_REJECTED = 0, 1, 2, 3, 4
"""A round's status: running, completed (a new global model), no update accepted, timed out, or the
members' aggregate of the accepted updates did not improve on the global model (it is kept)."""
REJECTED, ACCEPTED, POISONED = 0, 1, 2
"""An update's outcome: rejected, accepted, or poisoned (its consensus score reached the poison level; its
proposer is slashed)."""
PROPOSER, VOTER = 0, 1
SCORE_SCALE = 10**6
"""A voter's score of an update: the update's loss ÷ the global model's loss on the voter's held-out data,
× 10⁶, floored (below 10⁶: the update improves on the global model)."""
SCORE_UNUSABLE = 2**32 - 1
"""The score of an update a voter cannot use (missing, not a model of the task's kind, NaN): the worst."""
EVALUATION_SCALE = 10**9
"""A creator's reported loss is a fixed-point integer: mean loss × 10⁹, floored (arena's LOSS_SCALE)."""
NO_ACCURACY = 2**32 - 1
"""The reported accuracy (parts per million) of a model kind without one (regression)."""


def compute_update_commitment(update_hash: bytes, salt: bytes, proposer: bytes) -> bytes:
    """keccak256(updateHash ‖ salt ‖ proposer): the proposer's address binds it, so nobody can copy another's."""
    return keccak256(update_hash + salt + proposer)


def compute_score_commitment(scores: list[int], salt: bytes, voter: bytes) -> bytes:
    """keccak256(u32 score₀ ‖ … ‖ u32 scoreₙ₋₁ ‖ salt ‖ voter): one big-endian uint32 per revealed update."""
    return keccak256(b"".join(score.to_bytes(4, "big") for score in scores) + salt + voter)
