"""A participant's side of a blind Arena task (spec/modules/arena.md, "Blind tasks"): a trainer's key image
and ring-signed commit and reveal arguments, a validator's image proof at join, a trainer's claim proof.
Random scalars come from the operating system; nothing here touches a node."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from coincurve import PrivateKey

from runtime.crypto import ring
from runtime.crypto.points import N

from .formats import compute_blind_message, compute_image_message, compute_ring_tag


def random_scalar() -> int:
    return secrets.randbelow(N - 1) + 1


@dataclass(frozen=True)
class BlindIdentity:
    """One account's key in one blind task on one chain."""

    secret: bytes
    chain_id: int
    task: int
    draw: Callable[[], int] = field(default=random_scalar, compare=False, repr=False)
    """Uniform scalars in [1, n): the OS's by default; a seeded source only for reproducible vectors."""

    @property
    def scalar(self) -> int:
        return int.from_bytes(self.secret, "big")

    @property
    def public_key(self) -> bytes:
        return PrivateKey(self.secret).public_key.format(compressed=True)

    @property
    def key_image(self) -> bytes:
        return ring.compute_key_image(self.scalar, compute_ring_tag(self.task))

    def sign(self, members: list[bytes], action: bytes, fields: bytes, sequence: int) -> bytes:
        message = compute_blind_message(self.chain_id, action, self.task, fields, sequence)
        image, signature = ring.sign(self.scalar, members, compute_ring_tag(self.task), message, self.draw)
        assert image == self.key_image
        return signature

    def commit_args(self, members: list[bytes], commitment: bytes, sequence: int) -> list:
        """commitBlind's arguments."""
        return [self.task, commitment, self.key_image, sequence, self.sign(members, b"commit", commitment, sequence)]

    def reveal_args(self, members: list[bytes], model_hash: bytes, salt: bytes, sequence: int) -> list:
        """revealBlind's arguments."""
        signature = self.sign(members, b"reveal", model_hash + salt, sequence)
        return [self.task, model_hash, salt, self.key_image, sequence, signature]

    def prove(self, action: bytes) -> bytes:
        """An image proof for `action` (b"validator" at a validator's join, b"claim" at a trainer's claim)."""
        message = compute_image_message(self.chain_id, action, self.task)
        return ring.prove_image(self.scalar, compute_ring_tag(self.task), message, self.draw)

    def validator_join_args(self) -> list:
        """joinBlind's arguments for a validator: its key, its image for the task and the proof."""
        return [self.task, self.public_key, self.key_image, self.prove(b"validator")]

    def trainer_join_args(self) -> list:
        return [self.task, self.public_key, b"", b""]

    def claim_args(self, submission: int) -> list:
        return [self.task, submission, self.public_key, self.prove(b"claim")]
