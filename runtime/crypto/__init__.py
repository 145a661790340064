"""Hashing, RLP and secp256k1 signatures used by consensus rules.

keccak256 (safe-pysha3, a C extension) and ECDSA public-key recovery (coincurve, wrapping
libsecp256k1 as Ethereum clients do) are deterministic computations. RLP encoding of
bytes and nested lists goes to rusty-rlp, the Rust backend pyrlp itself uses, because
pyrlp's sedes inference costs several microseconds per call on the hot path; tests check
both agree.
"""

import sha3
from coincurve import PrivateKey, PublicKey
from rusty_rlp import encode_raw as rlp_encode  # noqa: F401  (bytes and nested lists of bytes only)

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SECP256K1_HALF_N = SECP256K1_N // 2


def keccak256(data: bytes) -> bytes:
    return sha3.keccak_256(data).digest()


def public_key_to_address(public_key: PublicKey) -> bytes:
    return keccak256(public_key.format(compressed=False)[1:])[12:]


def private_key_to_address(secret: bytes) -> bytes:
    return public_key_to_address(PrivateKey(secret).public_key)


def _recover(message_hash: bytes, y_parity: int, r: int, s: int) -> PublicKey | None:
    if y_parity not in (0, 1) or not (0 < r < SECP256K1_N) or not (0 < s <= SECP256K1_HALF_N):
        return None
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((y_parity,))
    try:
        return PublicKey.from_signature_and_message(signature, message_hash, hasher=None)
    except Exception:
        return None


def recover_address(message_hash: bytes, y_parity: int, r: int, s: int) -> bytes | None:
    """Signer of a 32-byte hash, or None when (y, r, s) is not a valid low-s signature.

    High-s signatures are rejected (EIP-2) so a signature has exactly one encoding.
    """
    public_key = _recover(message_hash, y_parity, r, s)
    return None if public_key is None else public_key_to_address(public_key)


def recover_public_key(message_hash: bytes, y_parity: int, r: int, s: int) -> bytes | None:
    """The signer's compressed (33-byte) public key, under the same rules as recover_address."""
    public_key = _recover(message_hash, y_parity, r, s)
    return None if public_key is None else public_key.format(compressed=True)


def sign_hash(secret: bytes, message_hash: bytes) -> tuple[int, int, int]:
    """(y_parity, r, s) with low s; libsecp256k1 always produces low-s signatures."""
    signature = PrivateKey(secret).sign_recoverable(message_hash, hasher=None)
    return signature[64], int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")


class RlpShapeError(ValueError):
    """RLP whose structure is refused before decoding (nested too deep, or truncated)."""


def _long_length(data: bytes, pos: int, size: int) -> int:
    """A long-form length: canonical only without leading zeros and when the short form cannot hold it."""
    length_bytes = data[pos + 1:pos + 1 + size]
    length = int.from_bytes(length_bytes, "big")
    if length_bytes[:1] == b"\x00" or length < 56:
        raise RlpShapeError(f"RLP length at byte {pos} is not in its canonical form")
    return length


def check_rlp_depth(data: bytes, max_depth: int) -> None:
    """Refuse lists nested deeper than `max_depth`, items that run past the end of their list, and
    non-canonical headers (a long-form length for a short item, a length with leading zeros, a
    single byte below 0x80 written as a string), iteratively and in linear time.

    Recursive decoders (pyrlp, rusty-rlp) overflow the stack on hostile nesting, and rusty-rlp
    silently drops a list's last item when it overruns the list (`c3 01 c2 01` decodes to `[01]`)
    or uses a long form for a short item (`c4 00 b8 01 05` decodes to `[00]`), which would give one
    signed transaction several encodings and hashes; every untrusted payload passes this scan
    first. It reads only item headers.
    """
    ends: list[int] = []
    pos, end = 0, len(data)
    while pos < end:
        while ends and pos >= ends[-1]:
            ends.pop()
        prefix = data[pos]
        if prefix < 0xC0:
            if prefix < 0x80:
                item_end = pos + 1
            elif prefix < 0xB8:
                if prefix == 0x81 and pos + 1 < end and data[pos + 1] < 0x80:
                    raise RlpShapeError(f"RLP byte at {pos} is not in its canonical single-byte form")
                item_end = pos + 1 + prefix - 0x80
            else:
                size = prefix - 0xB7
                item_end = pos + 1 + size + _long_length(data, pos, size)
            header = item_end - pos
        elif prefix < 0xF8:
            header = 1
            item_end = pos + 1 + prefix - 0xC0
        else:
            size = prefix - 0xF7
            header = 1 + size
            item_end = pos + header + _long_length(data, pos, size)
        if ends and item_end > ends[-1]:
            raise RlpShapeError(f"RLP item at byte {pos} runs past the end of its list")
        if prefix >= 0xC0:
            ends.append(item_end)
            if len(ends) > max_depth:
                raise RlpShapeError(f"RLP lists nested deeper than {max_depth}")
        pos += header
