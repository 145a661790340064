"""What the arena module and the Arena's off-chain workers must agree on byte for byte: phases, the
loss scale, the three commitments, and the messages a blind task's ring signatures and image
proofs sign (spec/modules/arena.md)."""

from runtime.crypto import keccak256

SUBMIT, REVEAL, SCORE_COMMIT, SCORE_REVEAL, FINISHED, CANCELLED, CLAIM = range(7)
PHASES = (SUBMIT, REVEAL, SCORE_COMMIT, SCORE_REVEAL, FINISHED, CANCELLED, CLAIM)
PHASE_NAMES = ("submit", "reveal", "scoreCommit", "scoreReveal", "finished", "cancelled", "claim")
"""CLAIM, only in blind tasks, comes between SCORE_REVEAL and FINISHED: the scores are final, trainers prove
which submission was theirs. It is numbered last so that the stored phases of open tasks keep their meaning."""
OVER = (FINISHED, CANCELLED)
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



# Blind tasks (spec/modules/arena.md, "Blind tasks"; spec/ring_signatures.md)

def compute_ring_tag(task: int) -> bytes:
    """The key-image tag of a task: "arena" ‖ u64 task, so one key has one image per task."""
    return b"arena" + task.to_bytes(8, "big")


def compute_blind_message(chain_id: int, action: bytes, task: int, fields: bytes, sequence: int) -> bytes:
    """What a blind call's ring signature signs: u64 chainId ‖ action ‖ u64 task ‖ fields ‖ u32 sequence,
    action b"commit" (fields: the commitment) or b"reveal" (fields: modelHash ‖ salt)."""
    return chain_id.to_bytes(8, "big") + action + task.to_bytes(8, "big") + fields + sequence.to_bytes(4, "big")


def compute_image_message(chain_id: int, action: bytes, task: int) -> bytes:
    """What an image proof binds: u64 chainId ‖ action ‖ u64 task, action b"validator" (a validator's own
    image, published at join) or b"claim" (a trainer claiming its submission)."""
    return chain_id.to_bytes(8, "big") + action + task.to_bytes(8, "big")
