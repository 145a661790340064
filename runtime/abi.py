"""Solidity ABI encoding: eth-abi, with a fast path for all-static arguments.

Events and returns on the hot path (a Transfer log per transfer) carry only static types,
whose encoding is each value as one 32-byte word. Anything else goes to eth-abi; tests
check the fast path against it.
"""

from eth_abi import encode as _eth_abi_encode


def _uint_bits(abi_type: str) -> int | None:
    """The width of a `uintN` (or `uint`); None for any other type, arrays of uints included."""
    suffix = abi_type[4:]
    if abi_type.startswith("uint") and (suffix == "" or suffix.isdigit()):
        return int(suffix or 256)
    return None


def encode_word(abi_type: str, value) -> bytes | None:
    """One static value as a 32-byte word, or None when the type needs eth-abi."""
    bits = _uint_bits(abi_type)
    if bits is not None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < (1 << bits):
            return None
        return value.to_bytes(32, "big")
    if abi_type == "address" and isinstance(value, bytes) and len(value) == 20:
        return b"\x00" * 12 + value
    if abi_type == "bool" and isinstance(value, bool):
        return (b"\x00" * 31) + (b"\x01" if value else b"\x00")
    if abi_type == "bytes32" and isinstance(value, bytes) and len(value) == 32:
        return value
    return None


def abi_encode(types: list[str], values: list) -> bytes:
    words = []
    for abi_type, value in zip(types, values, strict=True):
        word = encode_word(abi_type, value)
        if word is None:
            return _eth_abi_encode(types, values)
        words.append(word)
    return b"".join(words)
