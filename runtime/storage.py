"""FRAME-style storage items over the flat state.

A key is `module prefix ++ item prefix ++ encoded map key`. Prefixes are the first 16
bytes of keccak256 of the module and item names (FRAME uses twox128; keccak keeps us to
one hash function). Map keys are stored as `keccak256(key)[:16] ++ key` (FRAME's
`Blake2_128Concat` shape), so keys spread evenly yet stay readable from the raw key.

Values are stored with a codec (a value of several fields is a named record: runtime/records.py);
a value equal to the item's default is not stored at all (FRAME's `ValueQuery`), so state
holds no zero balances and roots do not depend on whether a key was ever touched.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import rlp

from .crypto import keccak256, rlp_encode
from .exceptions import StorageOverflow
from .state import State


def compute_prefix(name: str) -> bytes:
    return keccak256(name.encode())[:16]


@lru_cache(maxsize=1 << 16)
def hashed_key(key: bytes) -> bytes:
    """Memoised: a pure function of its argument, asked for the same accounts many times per block."""
    return keccak256(key)[:16] + key


class Codec:
    """Encodes one kind of value to bytes and back; `encode(default)` is never called."""

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError


def encode_rlp_uint(value: int, bits: int = 256) -> bytes:
    """An integer inside an RLP structure: minimal big-endian, zero is the empty string (RLP's rule)."""
    if not (0 <= value < (1 << bits)):
        raise StorageOverflow(f"{value} does not fit uint{bits}")
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


@dataclass(frozen=True)
class Uint(Codec):
    """Unsigned integer below 2**bits, minimal big-endian."""

    bits: int = 256

    def encode(self, value: int) -> bytes:
        """Minimal big-endian; zero is one 0x00 byte, stored only where the item's default is not zero."""
        if not (0 <= value < (1 << self.bits)):
            raise StorageOverflow(f"{value} does not fit uint{self.bits}")
        return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")

    def decode(self, data: bytes) -> int:
        return int.from_bytes(data, "big")


@dataclass(frozen=True)
class FixedUint(Codec):
    """Unsigned integer in exactly `size` big-endian bytes, so zero is stored (as a role or index may be)."""

    size: int

    def encode(self, value: int) -> bytes:
        if not (0 <= value < (1 << (8 * self.size))):
            raise StorageOverflow(f"{value} does not fit {self.size} bytes")
        return value.to_bytes(self.size, "big")

    def decode(self, data: bytes) -> int:
        return int.from_bytes(data, "big")


@dataclass(frozen=True)
class FixedBytes(Codec):
    size: int

    def encode(self, value: bytes) -> bytes:
        if len(value) != self.size:
            raise StorageOverflow(f"expected {self.size} bytes, got {len(value)}")
        return value

    def decode(self, data: bytes) -> bytes:
        return data


@dataclass(frozen=True)
class RawBytes(Codec):
    def encode(self, value: bytes) -> bytes:
        return bytes(value)

    def decode(self, data: bytes) -> bytes:
        return data


@dataclass(frozen=True)
class UintTupleList(Codec):
    """A list of fixed-length unsigned-integer tuples, RLP-encoded: a list of ids as 1-tuples.
    Entries of several fields are records (runtime/records.py), never tuples."""

    length: int

    def encode(self, value: tuple[tuple[int, ...], ...]) -> bytes:
        if any(len(entry) != self.length for entry in value):
            raise StorageOverflow(f"every entry must hold {self.length} integers")
        return rlp_encode([[encode_rlp_uint(v) for v in entry] for entry in value])

    def decode(self, data: bytes) -> tuple[tuple[int, ...], ...]:
        return tuple(tuple(int.from_bytes(v, "big") for v in entry) for entry in rlp.decode(data))


@dataclass(frozen=True)
class BytesList(Codec):
    """A list of byte strings, RLP-encoded."""

    def encode(self, value: tuple[bytes, ...]) -> bytes:
        return rlp_encode(list(value))

    def decode(self, data: bytes) -> tuple[bytes, ...]:
        return tuple(rlp.decode(data))


U32, U64, U256 = Uint(32), Uint(64), Uint(256)
ADDRESS, HASH32 = FixedBytes(20), FixedBytes(32)


@dataclass(frozen=True)
class StorageValue:
    """A single value of a module."""

    module: str
    name: str
    codec: Codec
    default: Any = None

    @cached_property
    def key(self) -> bytes:
        return compute_prefix(self.module) + compute_prefix(self.name)

    def get(self, state: State) -> Any:
        data = state.get(self.key)
        return self.default if data is None else self.codec.decode(data)

    def set(self, state: State, value: Any) -> None:
        state.set(self.key, None if value == self.default else self.codec.encode(value))


@dataclass(frozen=True)
class StorageMap:
    """A map from encoded keys to values of a module; absent keys read as the default."""

    module: str
    name: str
    key_codec: Codec
    codec: Codec
    default: Any = None

    @cached_property
    def prefix(self) -> bytes:
        return compute_prefix(self.module) + compute_prefix(self.name)

    def key(self, key: Any) -> bytes:
        return self.prefix + hashed_key(self.key_codec.encode(key))

    def get(self, state: State, key: Any) -> Any:
        data = state.get(self.key(key))
        return self.default if data is None else self.codec.decode(data)

    def set(self, state: State, key: Any, value: Any) -> None:
        state.set(self.key(key), None if value == self.default else self.codec.encode(value))

    def remove(self, state: State, key: Any) -> None:
        state.delete(self.key(key))

    def items(self, state: State) -> Iterator[tuple[Any, Any]]:
        """Every stored (key, value), in storage-key order."""
        skip = len(self.prefix) + 16
        for raw_key, data in state.iter_prefix(self.prefix):
            yield self.key_codec.decode(raw_key[skip:]), self.codec.decode(data)
