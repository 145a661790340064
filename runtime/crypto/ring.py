"""Linkable ring signatures on secp256k1 with a tagged key image (spec/ring_signatures.md).

bLSAG (Back's LSAG, as CryptoNote and Monero use it) with one change: the key image is
`I = x·H_p(tag)` for a tag the application names (the Arena: "arena" ‖ u64 task), not `x·H_p(P)`.
One key therefore has one image per tag — a second signature under the same tag is recognisable
as the same signer's — while images under different tags cannot be linked without x (DDH), and
the signature says only "some member of this ring" (Liu–Wei–Wong's LSAG with event tags).

    H          = hash_to_point(tag)
    D          = keccak256(P_0 ‖ … ‖ P_{n−1})                            (the ring, compressed points)
    challenge  = int(keccak256("flockchain/ring/c" ‖ D ‖ H ‖ I ‖ keccak256(m) ‖ L ‖ R)) mod n
    sign       α random; L_π = α·G, R_π = α·H; c_{π+1} = challenge(L_π, R_π);
               for i = π+1 … π−1 (mod n): r_i random; L_i = r_i·G + c_i·P_i; R_i = r_i·H + c_i·I;
               c_{i+1} = challenge(L_i, R_i); r_π = α − c_π·x mod n
    signature  c_0 ‖ r_0 ‖ … ‖ r_{n−1}                                  (32-byte scalars)
    verify     recompute c_1 … c_n from c_0 and the r_i; valid iff c_n = c_0

An image proof (Chaum–Pedersen DLEQ) lets the owner of an image show it later — to claim a blind
submission's reward, or for a validator to publish its own image so the trainer ring refuses it — and
binds a message (what the owner claims; the Arena binds the chain and task) into the proof.

Every point operation is libsecp256k1's (points.py). Verification is pure and deterministic;
signing takes its random scalars from a caller-supplied source, so nothing here reads an RNG.
"""

from collections.abc import Callable, Sequence

from coincurve import PublicKey

from runtime.crypto import keccak256
from runtime.crypto.points import N, add, combine_generator, multiply, multiply_generator, parse_point

MAX_RING = 256
SCALAR = 32
POINT = 33
HASH_TO_POINT_TAG = b"flockchain/ring/hp"
CHALLENGE_TAG = b"flockchain/ring/c"
IMAGE_PROOF_TAG = b"flockchain/ring/dleq"
IMAGE_PROOF = 2 * SCALAR


class RingError(ValueError):
    """A signing request that cannot be met (bad key, signer not in the ring, malformed ring)."""


def hash_to_point(tag: bytes) -> PublicKey:
    """Try-and-increment: the first x = keccak256("flockchain/ring/hp" ‖ tag ‖ byte(k)), k = 0, 1, …, that is
    the x-coordinate of a curve point, with even y (SEC1 prefix 0x02)."""
    for counter in range(256):
        point = parse_point(b"\x02" + keccak256(HASH_TO_POINT_TAG + tag + bytes((counter,))))
        if point is not None:
            return point
    raise ValueError("hash_to_point found no point")  # probability about 2^-256


def compute_key_image(secret: int, tag: bytes) -> bytes:
    """I = x·H_p(tag), compressed."""
    return multiply(hash_to_point(tag), secret).format(compressed=True)


def compute_ring_digest(ring: Sequence[bytes]) -> bytes:
    return keccak256(b"".join(ring))


def _challenge(prefix: bytes, left: PublicKey | None, right: PublicKey | None) -> int | None:
    """None when a commitment is the point at infinity: such a signature is not valid."""
    if left is None or right is None:
        return None
    return int.from_bytes(keccak256(prefix + left.format(compressed=True) + right.format(compressed=True)), "big") % N


def _parse_ring(ring: Sequence[bytes]) -> list[PublicKey] | None:
    """The ring's points, or None: 1 … MAX_RING distinct compressed points."""
    if not 1 <= len(ring) <= MAX_RING or len(set(ring)) != len(ring):
        return None
    points = []
    for encoded in ring:
        if not isinstance(encoded, bytes) or len(encoded) != POINT:
            return None
        point = parse_point(encoded)
        if point is None:
            return None
        points.append(point)
    return points


def verify(ring: Sequence[bytes], tag: bytes, message: bytes, key_image: bytes, signature: bytes) -> bool:
    """Whether `signature` by some member of `ring` signs `message` under `tag` with `key_image`; never raises."""
    points = _parse_ring(ring) if isinstance(ring, (list, tuple)) else None
    if points is None or not isinstance(signature, bytes) or len(signature) != SCALAR * (len(points) + 1):
        return False
    if not isinstance(key_image, bytes) or len(key_image) != POINT or not isinstance(message, bytes):
        return False
    image = parse_point(key_image)
    if image is None:
        return False
    scalars = [int.from_bytes(signature[i:i + SCALAR], "big") for i in range(0, len(signature), SCALAR)]
    if not all(0 < scalar < N for scalar in scalars):
        return False
    base = hash_to_point(tag)
    prefix = CHALLENGE_TAG + compute_ring_digest(ring) + base.format(compressed=True) + key_image + keccak256(message)
    c = scalars[0]
    for member, r in zip(points, scalars[1:]):
        c = _challenge(prefix, combine_generator(r, member, c), add(multiply(base, r), multiply(image, c)))
        if c is None:
            return False
    return c == scalars[0]


def sign(secret: int, ring: Sequence[bytes], tag: bytes, message: bytes,
         random_scalar: Callable[[], int]) -> tuple[bytes, bytes]:
    """(key image, signature) by the member whose public key is secret·G. `random_scalar()` returns
    uniform integers in [1, n) (e.g. from os.urandom); a draw that would yield an invalid signature
    (a zero scalar, a commitment at infinity) is simply redrawn."""
    if not 0 < secret < N:
        raise RingError("the secret key must be 0 < x < n")
    points = _parse_ring(ring)
    if points is None:
        raise RingError(f"a ring is 1 to {MAX_RING} distinct compressed secp256k1 points")
    own = multiply_generator(secret).format(compressed=True)
    if own not in ring:
        raise RingError("the signer's public key is not in the ring")
    signer, size = list(ring).index(own), len(ring)
    base = hash_to_point(tag)
    image = multiply(base, secret)
    key_image = image.format(compressed=True)
    prefix = CHALLENGE_TAG + compute_ring_digest(ring) + base.format(compressed=True) + key_image + keccak256(message)
    while True:
        alpha = random_scalar()
        responses = [0] * size
        challenges = [0] * size
        c = _challenge(prefix, multiply_generator(alpha), multiply(base, alpha))
        for step in range(1, size):
            i = (signer + step) % size
            if c is None or c == 0:
                break
            challenges[i] = c
            responses[i] = random_scalar()
            c = _challenge(prefix, add(multiply_generator(responses[i]), multiply(points[i], c)),
                           add(multiply(base, responses[i]), multiply(image, c)))
        else:
            if c is not None and c != 0:
                challenges[signer] = c
                responses[signer] = (alpha - c * secret) % N
                if responses[signer] != 0:
                    scalars = [challenges[0]] + responses
                    return key_image, b"".join(s.to_bytes(SCALAR, "big") for s in scalars)


# Image proofs: the owner of a key image shows it, naming what it claims (Chaum–Pedersen DLEQ).

def _image_challenge(public: bytes, base: PublicKey, key_image: bytes, message: bytes, a: PublicKey | None,
                     b: PublicKey | None) -> int | None:
    if a is None or b is None:
        return None
    data = (IMAGE_PROOF_TAG + public + base.format(compressed=True) + key_image + keccak256(message)
            + a.format(compressed=True) + b.format(compressed=True))
    return int.from_bytes(keccak256(data), "big") % N


def prove_image(secret: int, tag: bytes, message: bytes, random_scalar: Callable[[], int]) -> bytes:
    """c ‖ s proving that one x makes both x·G and the key image x·H_p(tag), bound to `message` (what the
    owner claims, e.g. the address to pay): k random, c = challenge(k·G, k·H), s = k − c·x mod n."""
    if not 0 < secret < N:
        raise RingError("the secret key must be 0 < x < n")
    base = hash_to_point(tag)
    public = multiply_generator(secret).format(compressed=True)
    key_image = multiply(base, secret).format(compressed=True)
    while True:
        k = random_scalar()
        c = _image_challenge(public, base, key_image, message, multiply_generator(k), multiply(base, k))
        if c:
            s = (k - c * secret) % N
            if s:
                return c.to_bytes(SCALAR, "big") + s.to_bytes(SCALAR, "big")


def verify_image(public_key: bytes, tag: bytes, key_image: bytes, message: bytes, proof: bytes) -> bool:
    """Whether `proof` shows that the owner of `public_key` made `key_image` under `tag`, for `message`;
    never raises."""
    if not all(isinstance(v, bytes) for v in (public_key, tag, key_image, message, proof)):
        return False
    if len(public_key) != POINT or len(key_image) != POINT or len(proof) != IMAGE_PROOF:
        return False
    point, image = parse_point(public_key), parse_point(key_image)
    c, s = int.from_bytes(proof[:SCALAR], "big"), int.from_bytes(proof[SCALAR:], "big")
    if point is None or image is None or not (0 < c < N and 0 < s < N):
        return False
    base = hash_to_point(tag)
    return c == _image_challenge(public_key, base, key_image, message, add(multiply_generator(s), multiply(point, c)),
                                 add(multiply(base, s), multiply(image, c)))
