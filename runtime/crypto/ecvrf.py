"""ECVRF-SECP256K1-SHA256-TAI: RFC 9381's ECVRF over secp256k1 (spec/vrf.md).

RFC 9381 §5 with the TAI parameters of its P-256 suite (§5.5) moved to secp256k1:
suite byte 0xFE, SHA-256, try-and-increment encode_to_curve salted with the compressed
public key, RFC 6979 nonces (HMAC-SHA256), cLen = 16, SEC1 compressed points, cofactor 1.
A proof is Gamma (33) ‖ c (16) ‖ s (32) = 81 bytes; the output beta is 32 bytes.

Every point operation is libsecp256k1's, through coincurve (points.py: parsing, which checks
the curve equation and x, y < p; multiplication; addition; None for the point at infinity)
and `PublicKey.from_valid_secret` (k·B, ecmult_gen). No curve arithmetic is done in Python; only scalars mod n are: s = (k + c·x) mod n in `prove`
(coincurve's secret-key tweaks would cost two PrivateKey constructions, ~100 µs, for
the same result) and the negation n − c in `verify`.
"""

import hashlib
import hmac

from coincurve import PublicKey

from runtime.crypto import SECP256K1_N
from runtime.crypto.points import add, multiply, parse_point

SUITE = b"\xfe"
PROOF_LENGTH = 81  # Gamma (33) ‖ c (16) ‖ s (32)
OUTPUT_LENGTH = 32
C_LENGTH = 16
_N = SECP256K1_N


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _encode_to_curve(salt: bytes, alpha: bytes) -> PublicKey:
    """ECVRF_encode_to_curve_try_and_increment (RFC 9381 §5.4.1.1), salt = PK_string."""
    prefix = SUITE + b"\x01" + salt + alpha
    for ctr in range(256):
        candidate = _sha256(prefix + bytes((ctr, 0)))
        try:
            return PublicKey(b"\x02" + candidate)
        except ValueError:  # x ≥ p or x³ + 7 not a square
            continue
    raise ValueError("encode_to_curve found no point")  # probability about 2^-256


def _nonce(secret: bytes, h_string: bytes) -> bytes:
    """ECVRF_nonce_generation_RFC6979 (RFC 9381 §5.4.2.1): RFC 6979 §3.2, HMAC-SHA256.

    m = h_string, so h1 = SHA-256(point_to_string(H)); qlen = hlen = 256 bits, so one
    HMAC block is one candidate and bits2int needs no shift.
    """
    h1 = int.from_bytes(_sha256(h_string), "big")
    if h1 >= _N:
        h1 -= _N
    seed = secret + h1.to_bytes(32, "big")
    v = b"\x01" * 32
    k = hmac.digest(b"\x00" * 32, v + b"\x00" + seed, "sha256")
    v = hmac.digest(k, v, "sha256")
    k = hmac.digest(k, v + b"\x01" + seed, "sha256")
    v = hmac.digest(k, v, "sha256")
    while True:
        v = hmac.digest(k, v, "sha256")
        if 0 < int.from_bytes(v, "big") < _N:
            return v
        k = hmac.digest(k, v + b"\x00", "sha256")
        v = hmac.digest(k, v, "sha256")


def _challenge(*points: bytes) -> bytes:
    """ECVRF_challenge_generation (RFC 9381 §5.4.3): first cLen bytes of the hash."""
    return _sha256(SUITE + b"\x02" + b"".join(points) + b"\x00")[:C_LENGTH]


def _gamma_to_hash(gamma: PublicKey) -> bytes:
    """ECVRF_proof_to_hash steps 4–6 (RFC 9381 §5.2), cofactor 1."""
    return _sha256(SUITE + b"\x03" + gamma.format(compressed=True) + b"\x00")


def _decode_proof(proof: bytes) -> tuple[PublicKey, int, int] | None:
    """ECVRF_decode_proof (RFC 9381 §5.4.4): (Gamma, c, s) or None."""
    if not isinstance(proof, bytes) or len(proof) != PROOF_LENGTH or proof[0] not in (2, 3):
        return None
    gamma = parse_point(proof[:33])
    s = int.from_bytes(proof[49:], "big")
    if gamma is None or s >= _N:
        return None
    return gamma, int.from_bytes(proof[33:49], "big"), s


def prove(secret_key: bytes, alpha: bytes) -> bytes:
    """The 81-byte proof pi for `alpha` under a 32-byte secret key 0 < x < n.

    Deterministic (RFC 6979). Raises ValueError for an invalid secret key. Its running
    time depends on alpha (try-and-increment), so alpha is treated as public.
    """
    if not isinstance(alpha, bytes):
        raise TypeError("alpha must be bytes")
    if not isinstance(secret_key, bytes) or len(secret_key) != 32 or not 0 < int.from_bytes(secret_key, "big") < _N:
        raise ValueError("secret key must be 32 bytes encoding 0 < x < n")
    y_string = PublicKey.from_valid_secret(secret_key).format(compressed=True)
    h = _encode_to_curve(y_string, alpha)
    h_string = h.format(compressed=True)
    gamma_string = h.multiply(secret_key).format(compressed=True)
    k_bytes = _nonce(secret_key, h_string)
    u_string = PublicKey.from_valid_secret(k_bytes).format(compressed=True)
    v_string = h.multiply(k_bytes).format(compressed=True)
    c = _challenge(y_string, h_string, gamma_string, u_string, v_string)
    s = (int.from_bytes(k_bytes, "big") + int.from_bytes(c, "big") * int.from_bytes(secret_key, "big")) % _N
    return gamma_string + c + s.to_bytes(32, "big")


def proof_to_hash(proof: bytes) -> bytes:
    """The 32-byte VRF output beta of a proof, WITHOUT verifying it (RFC 9381 §5.2).

    Raises ValueError when the proof does not decode (length, Gamma, s ≥ n). Only call
    it on a proof `verify` accepted, or use `verify`'s return value directly.
    """
    decoded = _decode_proof(proof)
    if decoded is None:
        raise ValueError("malformed ECVRF proof")
    return _gamma_to_hash(decoded[0])


def verify(public_key: bytes, proof: bytes, alpha: bytes) -> bytes | None:
    """beta when `proof` is valid for (`public_key`, `alpha`), else None; never raises.

    `public_key` is SEC1, 33-byte compressed or 65-byte uncompressed.
    """
    try:
        if not isinstance(public_key, bytes) or not isinstance(alpha, bytes):
            return None
        y = parse_point(public_key)  # ECVRF_validate_key: cofactor 1, so any point but infinity
        decoded = _decode_proof(proof)
        if y is None or decoded is None:
            return None
        gamma, c, s = decoded
        y_string = y.format(compressed=True)
        h = _encode_to_curve(y_string, alpha)
        # U = s·B − c·Y, V = s·H − c·Gamma
        u = add(PublicKey.from_valid_secret(s.to_bytes(32, "big")) if s else None, multiply(y, _N - c))
        v = add(multiply(h, s), multiply(gamma, _N - c))
        if u is None or v is None:  # an honest proof has U = k·B, V = k·H with 0 < k < n
            return None
        c_prime = _challenge(y_string, h.format(compressed=True), proof[:33], u.format(compressed=True), v.format(compressed=True))
        if not hmac.compare_digest(c_prime, proof[33:49]):
            return None
        return _gamma_to_hash(gamma)
    except Exception:  # a guard: no input may make verification raise
        return None
