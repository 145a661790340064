"""Canonical model bytes: one model, one byte string; anything else is a ModelFormatError."""

import json
import random
import struct

import numpy as np
import pytest
import safetensors.torch
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from fl_module.worker.models import MODEL_SPECS, init_model
from fl_module.worker.tensors import ModelFormatError, decode_model, encode_model, model_hash

torch.set_num_threads(1)  # two xdist workers share two cores

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=12).filter(
    lambda name: name != "__metadata__")  # safetensors' reserved key, refused by encode (tested below)
finite32 = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, width=32)


@st.composite
def models(draw):
    """A dict of 1-4 float32 tensors of small random shapes and values."""
    chosen = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    result = {}
    for name in chosen:
        shape = draw(st.lists(st.integers(0, 4), min_size=0, max_size=3))
        count = int(np.prod(shape)) if shape else 1
        values = draw(st.lists(finite32, min_size=count, max_size=count))
        result[name] = torch.tensor(values, dtype=torch.float32).reshape(shape)
    return result


def header_of(data: bytes) -> dict:
    (length,) = struct.unpack_from("<Q", data)
    return json.loads(data[8:8 + length])


def with_header(header_text: bytes, body: bytes) -> bytes:
    return struct.pack("<Q", len(header_text)) + header_text + body


def canonical_header(header: dict) -> bytes:
    text = json.dumps(header, separators=(",", ":")).encode()
    return text + b" " * (-len(text) % 8)


@settings(max_examples=50)
@given(models())
def test_round_trip_is_the_identity_on_canonical_bytes(model):
    data = encode_model(model)
    decoded = decode_model(data)
    assert sorted(decoded) == sorted(model)
    assert all(torch.equal(decoded[name], model[name]) for name in model)
    assert encode_model(decoded) == data


@settings(max_examples=50)
@given(models(), st.randoms(use_true_random=False))
def test_insertion_order_does_not_change_the_bytes(model, rng):
    items = list(model.items())
    rng.shuffle(items)
    assert encode_model(dict(items)) == encode_model(model)


@settings(max_examples=50)
@given(models())
def test_bytes_are_what_the_safetensors_library_writes_and_reads(model):
    data = encode_model(model)
    assert data == safetensors.torch.save({name: tensor + 0.0 for name, tensor in model.items()})  # +0.0, never -0.0
    loaded = safetensors.torch.load(data)
    assert all(torch.equal(loaded[name], model[name]) for name in model)


def test_layout_names_sorted_f32_no_metadata_padded_to_8():
    data = encode_model({"b": torch.ones(3, dtype=torch.float64), "a": torch.zeros(2, 2)})
    (length,) = struct.unpack_from("<Q", data)
    assert length % 8 == 0
    text = (b'{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},'
            b'"b":{"dtype":"F32","shape":[3],"data_offsets":[16,28]}}')
    assert data[8:8 + length] == text + b" " * (-len(text) % 8)
    assert data[8 + length:] == bytes(16) + np.ones(3, dtype="<f4").tobytes()
    single = encode_model({"ab": torch.zeros(1)})  # 55 bytes of JSON, one space of padding
    assert single[8:] == b'{"ab":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} ' + bytes(4)


def test_negative_zero_is_spelled_as_positive_zero():
    assert encode_model({"w": torch.tensor([-0.0, 1.0])}) == encode_model({"w": torch.tensor([0.0, 1.0])})
    spelled_negative = GOOD[:len(GOOD) - len(GOOD_BODY)] + b"\x00\x00\x00\x80" + GOOD_BODY[4:]
    assert GOOD_BODY[:4] == bytes(4)
    with pytest.raises(ModelFormatError, match="canonical"):
        decode_model(spelled_negative)


def test_every_kind_round_trips_with_its_kind_and_hash_is_keccak256():
    for kind in MODEL_SPECS:
        data = encode_model(init_model(kind, 3))
        assert encode_model(decode_model(data, kind)) == data
        assert len(model_hash(data)) == 32
    assert model_hash(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert model_hash(encode_model(init_model("mlp", 1))) != model_hash(encode_model(init_model("mlp", 2)))


def test_decode_checks_the_kind():
    data = encode_model(init_model("mlp", 0))
    with pytest.raises(ModelFormatError, match="not a 'linear' model"):
        decode_model(data, "linear")
    wrong_shape = init_model("linear", 0) | {"weight": torch.zeros(1, 11)}
    with pytest.raises(ModelFormatError):
        decode_model(encode_model(wrong_shape), "linear")
    extra = init_model("linear", 0) | {"extra": torch.zeros(1)}
    with pytest.raises(ModelFormatError):
        decode_model(encode_model(extra), "linear")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 2.0 ** 65])
def test_encode_and_decode_refuse_non_finite_and_huge_values(value):
    model = {"w": torch.tensor([1.0, value])}
    with pytest.raises(ModelFormatError):
        encode_model(model)
    good = encode_model({"w": torch.tensor([1.0, 2.0])})
    bad = good[:-4] + np.array([value], dtype="<f4").tobytes()
    with pytest.raises(ModelFormatError, match="NaN, infinity"):
        decode_model(bad)


def test_encode_refuses_integer_tensors_bad_names_and_empty_models():
    with pytest.raises(ModelFormatError):
        encode_model({"w": torch.tensor([1, 2])})
    for name in ["", "a b", "é", "__metadata__", "x" * 129]:
        with pytest.raises(ModelFormatError):
            encode_model({name: torch.zeros(1)})
    with pytest.raises(ModelFormatError):
        encode_model({})


GOOD = encode_model({"a": torch.arange(4, dtype=torch.float32).reshape(2, 2), "b": torch.ones(3)})
GOOD_HEADER = header_of(GOOD)
GOOD_BODY = GOOD[8 + struct.unpack_from("<Q", GOOD)[0]:]


def edited(**changes) -> dict:
    header = json.loads(json.dumps(GOOD_HEADER))
    for name, entry in changes.items():
        header[name] = entry
    return header


HOSTILE = {
    "not bytes": "a string",
    "too short": b"\x00" * 5,
    "header length beyond the data": struct.pack("<Q", 10**6) + b"{}",
    "huge header length": struct.pack("<Q", 2**63) + GOOD[8:],
    "header not JSON": with_header(b"{not json}      ", GOOD_BODY),
    "header not UTF-8": with_header(b"\xff" * 8, GOOD_BODY),
    "header a list": with_header(canonical_header([1]), GOOD_BODY),  # type: ignore[arg-type]
    "empty header": with_header(canonical_header({}), b""),
    "F64 dtype": with_header(canonical_header(edited(b={"dtype": "F64", "shape": [3], "data_offsets": [16, 28]})),
                             GOOD_BODY),
    "F16 dtype": with_header(canonical_header(edited(b={"dtype": "F16", "shape": [3], "data_offsets": [16, 28]})),
                             GOOD_BODY),
    "metadata": with_header(canonical_header({"__metadata__": {"k": "v"}, **GOOD_HEADER}), GOOD_BODY),
    "offsets overlap": with_header(canonical_header(edited(b={"dtype": "F32", "shape": [3], "data_offsets": [12, 24]})),
                                   GOOD_BODY),
    "offsets beyond the body": with_header(
        canonical_header(edited(b={"dtype": "F32", "shape": [30], "data_offsets": [16, 136]})), GOOD_BODY),
    "shape disagrees with offsets": with_header(
        canonical_header(edited(b={"dtype": "F32", "shape": [2], "data_offsets": [16, 28]})), GOOD_BODY),
    "negative dimension": with_header(
        canonical_header(edited(b={"dtype": "F32", "shape": [-3], "data_offsets": [16, 28]})), GOOD_BODY),
    "boolean dimension": with_header(
        canonical_header(edited(b={"dtype": "F32", "shape": [True], "data_offsets": [16, 20]})), GOOD_BODY),
    "extra entry key": with_header(
        canonical_header(edited(b={"dtype": "F32", "shape": [3], "data_offsets": [16, 28], "x": 1})), GOOD_BODY),
    "entry keys reordered": with_header(
        canonical_header(edited(b={"shape": [3], "dtype": "F32", "data_offsets": [16, 28]})), GOOD_BODY),
    "trailing bytes": GOOD + b"\x00" * 4,
    "missing bytes": GOOD[:-4],
    "spaces inside the header": with_header(
        (json.dumps(GOOD_HEADER, separators=(", ", ": ")).encode() + b" " * 8)[
            :-(len(json.dumps(GOOD_HEADER, separators=(", ", ": "))) % 8) or None], GOOD_BODY),
    "padding not spaces": GOOD[:8 + struct.unpack_from("<Q", GOOD)[0] - 1] + b"\x00" + GOOD_BODY,
    "unsorted names": with_header(
        (lambda t: t + b" " * (-len(t) % 8))(
            b'{"b":' + json.dumps(GOOD_HEADER["b"], separators=(",", ":")).encode()
            + b',"a":' + json.dumps(GOOD_HEADER["a"], separators=(",", ":")).encode() + b"}"), GOOD_BODY),
    "duplicate names": with_header(
        (lambda t: t + b" " * (-len(t) % 8))(
            b'{"a":' + json.dumps(GOOD_HEADER["a"], separators=(",", ":")).encode()
            + b',"a":' + json.dumps(GOOD_HEADER["a"], separators=(",", ":")).encode()
            + b',"b":' + json.dumps(GOOD_HEADER["b"], separators=(",", ":")).encode() + b"}"), GOOD_BODY),
    "NaN literal in header": with_header(b'{"a":NaN}       ', b""),
    "deeply nested header": with_header(b"[" * 100_000 + b"]" * 100_000, b""),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_decode_rejects_hostile_bytes_with_a_model_format_error(case):
    with pytest.raises(ModelFormatError):
        decode_model(HOSTILE[case])


def test_the_hostile_cases_differ_from_the_canonical_bytes_only_where_intended():
    # the non-canonical spellings still parse as JSON: decode rejects them as non-canonical
    assert json.loads(HOSTILE["spaces inside the header"][8:8 + struct.unpack_from("<Q", HOSTILE[
        "spaces inside the header"])[0]]) == GOOD_HEADER
    assert decode_model(GOOD)["b"].tolist() == [1.0, 1.0, 1.0]


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_model_format_error(data):
    try:
        decode_model(data)
    except ModelFormatError:
        pass


@settings(max_examples=300)
@given(st.integers(0, len(GOOD) - 1), st.integers(1, 255))
def test_any_one_byte_change_is_rejected_or_names_another_model(position, flip):
    """A changed byte string is refused, or it is the canonical encoding of a different model
    (a renamed tensor, another value): never a second spelling of the same model."""
    data = bytearray(GOOD)
    data[position] ^= flip
    try:
        model = decode_model(bytes(data))
    except ModelFormatError:
        return
    assert encode_model(model) == bytes(data)
    original = decode_model(GOOD)
    assert sorted(model) != sorted(original) or any(not torch.equal(model[n], original[n]) for n in model)


def test_random_headers_with_random_fields_raise_only_model_format_error():
    rng = random.Random(7)
    values = [0, 1, -1, 2**70, 1.5, "F32", "F64", None, True, [], [1, 2], [0, 4], {"a": 1}, "x"]
    for _ in range(500):
        entry = {key: rng.choice(values) for key in rng.sample(["dtype", "shape", "data_offsets", "x"], rng.randint(0, 4))}
        data = with_header(canonical_header({"a": entry}), bytes(rng.randrange(0, 40)))
        with pytest.raises(ModelFormatError):
            decode_model(data)
