"""The record codec: round trips, refused values, and the same bytes as the integer tuples it replaced."""

from dataclasses import dataclass, fields

import pytest
import rlp
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.composition import RUNTIME_VERSIONS
from runtime.crypto import rlp_encode
from runtime.exceptions import StorageOverflow
from runtime.records import (Address, Bool, Bytes, BoolField, BytesField, FixedBytesField, Hash32, OptionalUint64,
                             OptionalUintField, RecordCodec, RecordList, Uint8, Uint64, Uint256, UintField,
                             record_fields)
from runtime.storage import UintTupleList, encode_rlp_uint

MODULES = tuple({m.name: m for r in RUNTIME_VERSIONS.runtimes for m in r.modules}.values())
"""Every module any shipped runtime version has."""


def legacy_uint_tuple(values: tuple[int, ...]) -> bytes:
    """The codec records replaced (storage.UintTuple, uint256 fields): rlp of minimal big-endian integers."""
    return rlp_encode([encode_rlp_uint(v) for v in values])


def as_uints(record) -> tuple[int | bytes, ...]:
    """A record as the modules wrote it before: addresses and hashes as integers, bools as 0/1, an optional
    n as n + 1 (0: none); bytes stay bytes."""
    values = []
    for name, kind in record_fields(type(record)):
        value = getattr(record, name)
        if isinstance(kind, FixedBytesField):
            value = int.from_bytes(value, "big")
        elif isinstance(kind, OptionalUintField):
            value = 0 if value is None else value + 1
        values.append(value if isinstance(kind, BytesField) else int(value))
    return tuple(values)


def strategy_for(kind) -> st.SearchStrategy:
    if isinstance(kind, UintField):
        return st.one_of(st.integers(0, 3), st.integers(0, (1 << kind.bits) - 1), st.just((1 << kind.bits) - 1))
    if isinstance(kind, FixedBytesField):
        return st.one_of(st.binary(min_size=kind.size, max_size=kind.size), st.just(bytes(kind.size)),
                         st.binary(min_size=1, max_size=kind.size).map(lambda b: b.rjust(kind.size, b"\x00")))
    if isinstance(kind, BoolField):
        return st.booleans()
    if isinstance(kind, OptionalUintField):
        return st.none() | st.integers(0, (1 << kind.bits) - 1)
    assert isinstance(kind, BytesField)
    return st.binary(max_size=40)


def records_of(record: type) -> st.SearchStrategy:
    return st.builds(record, *(strategy_for(kind) for _, kind in record_fields(record)))


def stored_records() -> list[tuple[str, type, bool]]:
    """(item, record, is a list) of every storage item of the runtime whose value is a record."""
    found = []
    for module in MODULES:
        for item in module.storage:
            if isinstance(item.codec, (RecordCodec, RecordList)):
                found.append((f"{module.name}.{item.name}", item.codec.record, isinstance(item.codec, RecordList)))
    return found


STORED = stored_records()


def test_every_multi_field_value_of_the_runtime_is_a_record():
    names = {name for name, _, _ in STORED}
    assert {"balances.Account", "gmflock.Lock", "gmflock.Checkpoint", "staking.Commission", "staking.Unlocking",
            "slashing.Slash", "slashing.Queue", "slashing.Span", "bridge.BaseBlock", "bridge.LatestBaseBlock",
            "bridge.Deposit", "bridge.Withdrawal", "rewards.EmissionOf", "fl_alliance.TaskConfig",
            "fl_alliance.TaskState", "fl_alliance.Proposers", "fl_alliance.Voters", "fl_alliance.RevealedUpdates",
            "fl_alliance.Tally", "fl_alliance.RoundOutcome"} <= names


@pytest.mark.parametrize("name,record,is_list", STORED, ids=[name for name, _, _ in STORED])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_stored_record_round_trips_to_the_bytes_of_its_old_tuple(name, record, is_list, data):
    if is_list:
        value = tuple(data.draw(st.lists(records_of(record), max_size=4)))
        codec = RecordList(record)
        legacy = UintTupleList(len(fields(record))).encode(tuple(as_uints(r) for r in value))
    else:
        value = data.draw(records_of(record))
        codec = RecordCodec(record)
        legacy = legacy_uint_tuple(as_uints(value))
    encoded = codec.encode(value)
    assert encoded == legacy, f"{name}: the record's bytes are its old tuple's"
    assert codec.decode(encoded) == value


@dataclass(frozen=True)
class Sample:
    small: Uint8
    wide: Uint256
    who: Address
    model: Hash32
    flag: Bool
    since: OptionalUint64
    blob: Bytes
    block: Uint64 = 0


SAMPLE = RecordCodec(Sample)


@settings(max_examples=200, deadline=None)
@given(records_of(Sample))
def test_every_field_type_round_trips(sample):
    assert SAMPLE.decode(SAMPLE.encode(sample)) == sample
    expected = [v if isinstance(v, bytes) else encode_rlp_uint(v) for v in as_uints(sample)]
    assert SAMPLE.encode(sample) == rlp_encode(expected)


def valid_sample(**changes) -> Sample:
    values = dict(small=1, wide=2, who=b"\x01" * 20, model=b"\x02" * 32, flag=True, since=None, blob=b"x", block=3)
    return Sample(**{**values, **changes})


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([("small", 8), ("wide", 256), ("block", 64)]), st.integers(0, 2**300))
def test_an_integer_above_its_field_is_refused_with_the_field_named(field, excess):
    name, bits = field
    with pytest.raises(StorageOverflow, match=rf"Sample\.{name}: .* does not fit uint{bits}"):
        SAMPLE.encode(valid_sample(**{name: (1 << bits) + excess}))
    with pytest.raises(StorageOverflow, match=rf"Sample\.{name}: "):
        SAMPLE.encode(valid_sample(**{name: -1 - excess}))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=40).filter(lambda b: len(b) != 20))
def test_an_address_of_another_length_is_refused(value):
    with pytest.raises(StorageOverflow, match=r"Sample\.who: .* is not an address \(20 bytes\)"):
        SAMPLE.encode(valid_sample(who=value))


@pytest.mark.parametrize("changes,message", [
    ({"model": b"\x01" * 31}, r"Sample\.model: .* is not an hash32"),
    ({"flag": 2}, r"Sample\.flag: 2 is not a bool"),
    ({"since": 2**64}, r"Sample\.since: .* does not fit optional uint64"),
    ({"blob": "text"}, r"Sample\.blob: .* is not bytes"),
    ({"small": "1"}, r"Sample\.small: '1' does not fit uint8"),
])
def test_a_value_of_the_wrong_kind_is_refused(changes, message):
    with pytest.raises(StorageOverflow, match=message):
        SAMPLE.encode(valid_sample(**changes))


def test_another_record_or_a_tuple_is_refused():
    with pytest.raises(StorageOverflow, match="expected a Sample"):
        SAMPLE.encode(tuple(vars(valid_sample()).values()))


def test_decoding_refuses_a_wrong_shape_or_an_out_of_range_field():
    good = rlp.decode(SAMPLE.encode(valid_sample()))
    with pytest.raises(StorageOverflow, match="expected 8 fields"):
        SAMPLE.decode(rlp_encode(good[:-1]))
    with pytest.raises(StorageOverflow, match=r"Sample\.small: 0x0100 does not fit uint8"):
        SAMPLE.decode(rlp_encode([b"\x01\x00"] + good[1:]))
    with pytest.raises(StorageOverflow, match=r"Sample\.flag: 0x02 is not a bool"):
        SAMPLE.decode(rlp_encode(good[:4] + [b"\x02"] + good[5:]))


def test_an_optional_is_stored_one_higher():
    assert rlp.decode(SAMPLE.encode(valid_sample(since=None)))[5] == b""
    assert rlp.decode(SAMPLE.encode(valid_sample(since=0)))[5] == b"\x01"
    assert SAMPLE.decode(SAMPLE.encode(valid_sample(since=0))).since == 0


def test_a_field_without_a_storage_type_or_a_mutable_record_is_refused():
    @dataclass(frozen=True)
    class Untyped:
        amount: int

    @dataclass
    class Mutable:
        amount: Uint256

    with pytest.raises(TypeError, match=r"Untyped\.amount has no storage type"):
        RecordCodec(Untyped)
    with pytest.raises(TypeError, match="Mutable is not a frozen dataclass"):
        RecordList(Mutable)
