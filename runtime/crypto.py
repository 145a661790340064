"""Hashing and secp256k1 signatures used by consensus rules.

keccak256 and ECDSA public-key recovery are deterministic computations; coincurve wraps
libsecp256k1, the same library Ethereum clients use.
"""

from Crypto.Hash import keccak as _keccak
from coincurve import PrivateKey, PublicKey

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SECP256K1_HALF_N = SECP256K1_N // 2


def keccak256(data: bytes) -> bytes:
    return _keccak.new(data=data, digest_bits=256).digest()


def public_key_to_address(public_key: PublicKey) -> bytes:
    return keccak256(public_key.format(compressed=False)[1:])[12:]


def private_key_to_address(secret: bytes) -> bytes:
    return public_key_to_address(PrivateKey(secret).public_key)


def recover_address(message_hash: bytes, y_parity: int, r: int, s: int) -> bytes | None:
    """Signer of a 32-byte hash, or None when (y, r, s) is not a valid low-s signature.

    High-s signatures are rejected (EIP-2) so a signature has exactly one encoding.
    """
    if y_parity not in (0, 1) or not (0 < r < SECP256K1_N) or not (0 < s <= SECP256K1_HALF_N):
        return None
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((y_parity,))
    try:
        public_key = PublicKey.from_signature_and_message(signature, message_hash, hasher=None)
    except Exception:
        return None
    return public_key_to_address(public_key)


def sign_hash(secret: bytes, message_hash: bytes) -> tuple[int, int, int]:
    """(y_parity, r, s) with low s; libsecp256k1 always produces low-s signatures."""
    signature = PrivateKey(secret).sign_recoverable(message_hash, hasher=None)
    return signature[64], int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
