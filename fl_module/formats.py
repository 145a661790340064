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
ROUND_RUNNING, ROUND_COMPLETED, ROUND_NONE_ACCEPTED, ROUND_TIMED_OUT = 0, 1, 2, 3
REJECTED, ACCEPTED, POISONED = 0, 1, 2
"""An update's outcome: rejected, accepted, flagged harmful by a supermajority (its proposer slashed)."""
PROPOSER, VOTER = 0, 1
EVALUATION_SCALE = 10**9
"""A creator's reported loss is a fixed-point integer: mean loss × 10⁹, floored (arena's LOSS_SCALE)."""
NO_ACCURACY = 2**32 - 1
"""The reported accuracy (parts per million) of a model kind without one (regression)."""


def compute_update_commitment(update_hash: bytes, salt: bytes, proposer: bytes) -> bytes:
    """keccak256(updateHash ‖ salt ‖ proposer): the proposer's address binds it, so nobody can copy another's."""
    return keccak256(update_hash + salt + proposer)


def compute_vote_commitment(accepts: int, harmful: int, salt: bytes, voter: bytes) -> bytes:
    """keccak256(uint256 accepts ‖ uint256 harmful ‖ salt ‖ voter)."""
    return keccak256(accepts.to_bytes(32, "big") + harmful.to_bytes(32, "big") + salt + voter)
