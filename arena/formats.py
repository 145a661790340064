"""What the arena module and the Arena's off-chain workers must agree on byte for byte: phases, the
loss scale, and the three commitments (spec/modules/arena.md)."""

from runtime.crypto import keccak256

SUBMIT, REVEAL, SCORE_COMMIT, SCORE_REVEAL, FINISHED, CANCELLED = range(6)
PHASES = (SUBMIT, REVEAL, SCORE_COMMIT, SCORE_REVEAL, FINISHED, CANCELLED)
PHASE_NAMES = ("submit", "reveal", "scoreCommit", "scoreReveal", "finished", "cancelled")
TRAINER, VALIDATOR = 0, 1

LOSS_SCALE = 10**9
"""A loss is reported as round(loss · 10^9), an unsigned 64-bit integer: 1.0 is 1,000,000,000."""
WORST_LOSS = 2**64 - 1
"""The loss of a model that cannot be scored (not a model, wrong architecture, NaN or infinite output)."""


def compute_submission_commitment(model_hash: bytes, salt: bytes, trainer: bytes) -> bytes:
    return keccak256(model_hash + salt + trainer)


def compute_evaluation_commitment(evaluation_hash: bytes, salt: bytes, creator: bytes) -> bytes:
    return keccak256(evaluation_hash + salt + creator)


def compute_scores_commitment(losses: list[int], salt: bytes, validator: bytes) -> bytes:
    """keccak256(u64(loss_0) ‖ … ‖ u64(loss_n−1) ‖ salt ‖ validator), losses in assignment order."""
    return keccak256(b"".join(loss.to_bytes(8, "big") for loss in losses) + salt + validator)

