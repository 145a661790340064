"""Conformance vectors for linkable ring signatures (spec/ring_signatures.md): valid signatures from
deterministic randomness, and the same signatures broken one way each. tests/runtime/ring_reference.py,
an independent affine-coordinates implementation, agrees with every vector (tests/runtime/test_ring.py)."""

from dataclasses import dataclass

from runtime.crypto import keccak256
from runtime.crypto.points import N, multiply_generator
from runtime.crypto.ring import compute_key_image, prove_image, sign, verify, verify_image


@dataclass(frozen=True)
class RingVector:
    name: str
    description: str
    tag: bytes
    message: bytes
    ring: tuple[bytes, ...]
    key_image: bytes
    signature: bytes
    valid: bool
    secret: int | None = None
    folder = "ring_signatures"

    def to_json(self) -> dict:
        hexed = lambda b: "0x" + b.hex()
        return {"kind": "ring_signature", "name": self.name, "description": self.description, "tag": hexed(self.tag),
                "message": hexed(self.message), "ring": [hexed(p) for p in self.ring],
                "keyImage": hexed(self.key_image), "signature": hexed(self.signature), "valid": self.valid,
                "secret": None if self.secret is None else hexed(self.secret.to_bytes(32, "big"))}


def secret_of(label: str, index: int) -> int:
    return int.from_bytes(keccak256(f"ring vector key {label} {index}".encode()), "big") % (N - 1) + 1


def deterministic_scalars(label: str):
    counter = iter(range(10**6))
    return lambda: int.from_bytes(keccak256(f"ring vector nonce {label} {next(counter)}".encode()), "big") % (N - 1) + 1


def arena_tag(task: int) -> bytes:
    return b"arena" + task.to_bytes(8, "big")


def signed(label: str, size: int, signer: int, task: int = 7) -> RingVector:
    secrets = [secret_of(label, i) for i in range(size)]
    ring = tuple(multiply_generator(s).format(compressed=True) for s in secrets)
    message = keccak256(f"submission {label}".encode())
    image, signature = sign(secrets[signer], ring, arena_tag(task), message, deterministic_scalars(label))
    assert image == compute_key_image(secrets[signer], arena_tag(task))
    return RingVector(f"ring_{label}", f"a ring of {size}, member {signer} signs", arena_tag(task), message, ring,
                      image, signature, True, secrets[signer])


def broken(base: RingVector, name: str, description: str, **changes) -> RingVector:
    vector = RingVector(**{**vars(base), "name": f"ring_{name}", "description": description, "valid": False,
                           "secret": None, **changes})
    assert not verify(list(vector.ring), vector.tag, vector.message, vector.key_image, vector.signature)
    return vector


def case_ring_of_one() -> RingVector:
    return signed("one", 1, 0)


def case_ring_of_three() -> RingVector:
    return signed("three", 3, 1)


def case_ring_of_sixteen() -> RingVector:
    return signed("sixteen", 16, 11)


def case_ring_flipped_bit() -> RingVector:
    base = signed("three", 3, 1)
    signature = bytearray(base.signature)
    signature[40] ^= 0x01
    return broken(base, "flipped_bit", "one bit of r_0 flipped", signature=bytes(signature))


def case_ring_other_message() -> RingVector:
    base = signed("three", 3, 1)
    return broken(base, "other_message", "a valid signature over another message", message=keccak256(b"other"))


def case_ring_reordered() -> RingVector:
    base = signed("three", 3, 1)
    return broken(base, "reordered", "the same members in another order", ring=base.ring[1:] + base.ring[:1])


def case_ring_other_tag() -> RingVector:
    base = signed("three", 3, 1)
    return broken(base, "other_tag", "the signature checked under another task's tag", tag=arena_tag(8))


def case_ring_image_of_another_key() -> RingVector:
    base = signed("three", 3, 1)
    return broken(base, "image_of_another_key", "the key image of another ring member",
                  key_image=compute_key_image(secret_of("three", 2), base.tag))


@dataclass(frozen=True)
class ImageProofVector:
    name: str
    description: str
    public_key: bytes
    tag: bytes
    key_image: bytes
    message: bytes
    proof: bytes
    valid: bool
    folder = "ring_signatures"

    def to_json(self) -> dict:
        hexed = lambda b: "0x" + b.hex()
        return {"kind": "image_proof", "name": self.name, "description": self.description,
                "publicKey": hexed(self.public_key), "tag": hexed(self.tag), "keyImage": hexed(self.key_image),
                "message": hexed(self.message), "proof": hexed(self.proof), "valid": self.valid}


def image_proof(label: str) -> ImageProofVector:
    secret = secret_of(label, 0)
    message = b"pay to " + bytes(20)
    proof = prove_image(secret, arena_tag(7), message, deterministic_scalars(label))
    return ImageProofVector(f"image_proof_{label}", "the owner of a key image proves it, naming a payout",
                            multiply_generator(secret).format(compressed=True), arena_tag(7),
                            compute_key_image(secret, arena_tag(7)), message, proof, True)


def case_image_proof_valid() -> ImageProofVector:
    return image_proof("claim")


def case_image_proof_other_claim() -> ImageProofVector:
    base = image_proof("claim")
    vector = ImageProofVector(**{**vars(base), "name": "image_proof_other_claim", "valid": False,
                                 "description": "the proof replayed for another payout", "message": b"pay to x"})
    assert not verify_image(vector.public_key, vector.tag, vector.key_image, vector.message, vector.proof)
    return vector


def case_image_proof_other_key() -> ImageProofVector:
    base = image_proof("claim")
    other = multiply_generator(secret_of("claim", 1)).format(compressed=True)
    vector = ImageProofVector(**{**vars(base), "name": "image_proof_other_key", "valid": False,
                                 "description": "the proof presented for another public key", "public_key": other})
    assert not verify_image(vector.public_key, vector.tag, vector.key_image, vector.message, vector.proof)
    return vector


RING_CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]
