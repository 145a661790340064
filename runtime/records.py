"""Named records: storage values with several fields, encoded in field order.

A record is a frozen dataclass whose every field is annotated with how it is stored —
`Address`, `Hash32`, `Uint64`, `Bool`, … — and `RecordCodec(Record)` stores one as the RLP
list of its fields, in declaration order (`RecordList(Record)`: a list of them). Each field is
one RLP string:

    Uint<n>        minimal big-endian, zero the empty string; refused at or above 2**n
    Address        20 bytes, Hash32: 32 bytes, stored as the integer of their bytes
                   (their leading zero bytes dropped), as they always were on this chain
    Bool           True is 0x01, False the empty string (the integers 1 and 0)
    OptionalUint64 None is stored as 0 and n as n + 1, so "never" needs no second field
    Bytes          the bytes themselves

so a record's encoding is exactly that of the integer tuple it replaced (rlp of its fields
as uint256s), and state roots do not change.
"""

from dataclasses import dataclass, fields, is_dataclass
from functools import cache
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import rlp

from .crypto import rlp_encode
from .exceptions import StorageOverflow
from .storage import Codec


class FieldType:
    """How one field is stored: as one RLP string."""

    name: str

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError


def _minimal(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


@dataclass(frozen=True)
class UintField(FieldType):
    bits: int

    @property
    def name(self) -> str:
        return f"uint{self.bits}"

    def encode(self, value: int) -> bytes:
        if not isinstance(value, int) or not 0 <= value < 1 << self.bits:
            raise StorageOverflow(f"{value!r} does not fit {self.name}")
        return _minimal(value)

    def decode(self, data: bytes) -> int:
        value = int.from_bytes(data, "big")
        if value >> self.bits:
            raise StorageOverflow(f"0x{data.hex()} does not fit {self.name}")
        return value


@dataclass(frozen=True)
class FixedBytesField(FieldType):
    """Bytes of one length, stored as the integer they spell (the tuples' layout)."""

    size: int
    name: str

    def encode(self, value: bytes) -> bytes:
        if not isinstance(value, bytes) or len(value) != self.size:
            raise StorageOverflow(f"{value!r} is not an {self.name} ({self.size} bytes)")
        return value.lstrip(b"\x00")

    def decode(self, data: bytes) -> bytes:
        if len(data) > self.size:
            raise StorageOverflow(f"0x{data.hex()} is longer than an {self.name}")
        return data.rjust(self.size, b"\x00")


@dataclass(frozen=True)
class BoolField(FieldType):
    name: str = "bool"

    def encode(self, value: bool) -> bytes:
        if value not in (True, False):
            raise StorageOverflow(f"{value!r} is not a bool")
        return b"\x01" if value else b""

    def decode(self, data: bytes) -> bool:
        if data not in (b"", b"\x01"):
            raise StorageOverflow(f"0x{data.hex()} is not a bool")
        return data == b"\x01"


@dataclass(frozen=True)
class OptionalUintField(FieldType):
    """None, or a uint<bits> stored one higher: 0 stands for None."""

    bits: int

    @property
    def name(self) -> str:
        return f"optional uint{self.bits}"

    def encode(self, value: int | None) -> bytes:
        if value is None:
            return b""
        if not isinstance(value, int) or not 0 <= value < 1 << self.bits:
            raise StorageOverflow(f"{value!r} does not fit {self.name}")
        return _minimal(value + 1)

    def decode(self, data: bytes) -> int | None:
        stored = int.from_bytes(data, "big")
        if stored > 1 << self.bits:
            raise StorageOverflow(f"0x{data.hex()} does not fit {self.name}")
        return stored - 1 if stored else None


@dataclass(frozen=True)
class BytesField(FieldType):
    name: str = "bytes"

    def encode(self, value: bytes) -> bytes:
        if not isinstance(value, bytes):
            raise StorageOverflow(f"{value!r} is not bytes")
        return value

    def decode(self, data: bytes) -> bytes:
        return data


Uint8 = Annotated[int, UintField(8)]
Uint16 = Annotated[int, UintField(16)]
Uint32 = Annotated[int, UintField(32)]
Uint64 = Annotated[int, UintField(64)]
Uint256 = Annotated[int, UintField(256)]
Address = Annotated[bytes, FixedBytesField(20, "address")]
Hash32 = Annotated[bytes, FixedBytesField(32, "hash32")]
Bool = Annotated[bool, BoolField()]
OptionalUint64 = Annotated[int | None, OptionalUintField(64)]
Bytes = Annotated[bytes, BytesField()]


@cache
def record_fields(record: type) -> tuple[tuple[str, FieldType], ...]:
    """(name, type) of each field of a record, in declaration order; a field without a type is refused."""
    if not is_dataclass(record) or not record.__dataclass_params__.frozen:
        raise TypeError(f"{record.__name__} is not a frozen dataclass")
    hints = get_type_hints(record, include_extras=True)
    declared = []
    for field in fields(record):
        hint = hints[field.name]
        kinds = [m for m in get_args(hint)[1:] if isinstance(m, FieldType)] if get_origin(hint) is Annotated else []
        if len(kinds) != 1:
            raise TypeError(f"{record.__name__}.{field.name} has no storage type (Address, Uint64, …)")
        declared.append((field.name, kinds[0]))
    return tuple(declared)


def encode_fields(record: type, value: Any) -> list[bytes]:
    if type(value) is not record:
        raise StorageOverflow(f"expected a {record.__name__}, got {value!r}")
    encoded = []
    for name, kind in record_fields(record):
        try:
            encoded.append(kind.encode(getattr(value, name)))
        except StorageOverflow as error:
            raise StorageOverflow(f"{record.__name__}.{name}: {error}") from None
    return encoded


def decode_fields(record: type, items: Any) -> Any:
    declared = record_fields(record)
    if not isinstance(items, list) or len(items) != len(declared) or not all(isinstance(i, bytes) for i in items):
        raise StorageOverflow(f"not a {record.__name__}: expected {len(declared)} fields")
    values = []
    for (name, kind), item in zip(declared, items):
        try:
            values.append(kind.decode(item))
        except StorageOverflow as error:
            raise StorageOverflow(f"{record.__name__}.{name}: {error}") from None
    return record(*values)


@dataclass(frozen=True)
class RecordCodec(Codec):
    """One record as `rlp([field, …])`."""

    record: type

    def __post_init__(self):
        record_fields(self.record)

    def encode(self, value: Any) -> bytes:
        return rlp_encode(encode_fields(self.record, value))

    def decode(self, data: bytes) -> Any:
        return decode_fields(self.record, rlp.decode(data))


@dataclass(frozen=True)
class RecordList(Codec):
    """A tuple of records as `rlp([[field, …], …])`."""

    record: type

    def __post_init__(self):
        record_fields(self.record)

    def encode(self, value: tuple) -> bytes:
        return rlp_encode([encode_fields(self.record, entry) for entry in value])

    def decode(self, data: bytes) -> tuple:
        items = rlp.decode(data)
        if not isinstance(items, list):
            raise StorageOverflow(f"not a list of {self.record.__name__}")
        return tuple(decode_fields(self.record, entry) for entry in items)
