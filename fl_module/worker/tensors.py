"""Canonical model bytes: one model, exactly one byte string, so a hash names exactly one model.

The format is safetensors (readable by `safetensors.torch.load`) with every choice fixed:

    u64 little-endian  N, the header length, a multiple of 8
    N bytes            JSON, no whitespace, no "__metadata__", tensors in ascending name order:
                       {"<name>":{"dtype":"F32","shape":[d0,...],"data_offsets":[begin,end]},...}
                       then padded with spaces (0x20) to a multiple of 8
    data               each tensor's float32 little-endian values, row-major, in name order,
                       back to back from offset 0 to the end of the buffer

Names are ASCII letters, digits, '.', '_' and '-'; values must be finite with |v| <= 2**64,
so a sum of up to 2**24 models (aggregate.fedavg) can never overflow; a zero is always +0.0
(encode turns -0.0 into +0.0), as the two compare equal. `decode_model`
accepts only bytes that `encode_model` would write for the model they decode to: any
other input, however it was made, raises ModelFormatError (and nothing else).
"""

import json
import math
import re
import struct

import numpy as np
import torch
from eth_hash.auto import keccak

from .models import model_spec

MAX_MODEL_BYTES = 64 * 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_TENSORS = 256
MAX_DIMS = 8
MAX_ABS_VALUE = 2.0 ** 64
NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,128}")
HEADER_KEYS = ("dtype", "shape", "data_offsets")


class ModelFormatError(ValueError):
    """Bytes (or a params dict) that are not a canonical model, or not one of the expected kind."""


def _check_name(name) -> None:
    if name == "__metadata__":
        raise ModelFormatError("canonical model bytes carry no __metadata__")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ModelFormatError(f"tensor name {name!r} is not 1-128 characters of [A-Za-z0-9._-]")


def canonical_tensor(tensor: torch.Tensor) -> torch.Tensor:
    """The float32, contiguous, CPU, detached copy of a floating-point tensor that gets encoded."""
    if not isinstance(tensor, torch.Tensor) or not tensor.is_floating_point():
        raise ModelFormatError(f"model tensors must be floating-point torch tensors, got {getattr(tensor, 'dtype', type(tensor))}")
    return tensor.detach().to(device="cpu", dtype=torch.float32).contiguous()


def encode_model(params: dict[str, torch.Tensor]) -> bytes:
    """The canonical bytes of a model (see the module docstring); raises on NaN/inf, |v| > 2**64 or bad names."""
    if not params or len(params) > MAX_TENSORS:
        raise ModelFormatError(f"a model has 1 to {MAX_TENSORS} tensors, got {len(params)}")
    header, chunks, offset = {}, [], 0
    for name in sorted(params):
        _check_name(name)
        tensor = canonical_tensor(params[name])
        if tensor.dim() > MAX_DIMS:
            raise ModelFormatError(f"tensor {name} has {tensor.dim()} dimensions (at most {MAX_DIMS})")
        if not bool((tensor.abs() <= MAX_ABS_VALUE).all()):  # False for NaN too
            raise ModelFormatError(f"tensor {name} holds NaN, infinity or a value beyond 2**64")
        chunk = (tensor + 0.0).numpy().astype("<f4", copy=False).tobytes()  # -0.0 + 0.0 = +0.0
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    text = json.dumps(header, separators=(",", ":")).encode("ascii")
    text += b" " * (-len(text) % 8)
    data = struct.pack("<Q", len(text)) + text + b"".join(chunks)
    if len(data) > MAX_MODEL_BYTES:
        raise ModelFormatError(f"model is {len(data):,} bytes (at most {MAX_MODEL_BYTES:,})")
    return data


def _reject_constant(literal: str):
    raise ModelFormatError(f"header holds the non-JSON number {literal}")


def _unique_pairs(pairs: list) -> dict:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ModelFormatError("header repeats a key")
    return dict(pairs)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_header(raw: bytes) -> dict:
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_pairs, parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ModelFormatError(f"header is not JSON: {error}") from None
    if not isinstance(header, dict) or not header:
        raise ModelFormatError("header is not a non-empty JSON object")
    if len(header) > MAX_TENSORS:
        raise ModelFormatError(f"header lists {len(header)} tensors (at most {MAX_TENSORS})")
    return header


def decode_model(data: bytes, kind: str | None = None) -> dict[str, torch.Tensor]:
    """The model the canonical bytes `data` encode; with `kind`, it must have that kind's names and shapes.

    Raises ModelFormatError for anything else: not safetensors, another dtype, metadata,
    non-canonical layout or padding, NaN/inf or |v| > 2**64, over the size limits, or the
    wrong kind.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ModelFormatError(f"model bytes must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > MAX_MODEL_BYTES:
        raise ModelFormatError(f"model is {len(data):,} bytes (at most {MAX_MODEL_BYTES:,})")
    if len(data) < 8:
        raise ModelFormatError("model bytes are shorter than the 8-byte header length")
    (header_length,) = struct.unpack_from("<Q", data)
    if header_length > MAX_HEADER_BYTES or 8 + header_length > len(data):
        raise ModelFormatError(f"header length {header_length:,} does not fit (at most {MAX_HEADER_BYTES:,})")
    header = _parse_header(data[8:8 + header_length])
    body = data[8 + header_length:]

    params, expected_offset = {}, 0
    for name in sorted(header):
        _check_name(name)
        entry = header[name]
        if not isinstance(entry, dict) or tuple(entry) != HEADER_KEYS:
            raise ModelFormatError(f"tensor {name}: entry must be exactly {{dtype, shape, data_offsets}} in that order")
        if entry["dtype"] != "F32":
            raise ModelFormatError(f"tensor {name}: dtype {entry['dtype']!r}, only F32 is allowed")
        shape, offsets = entry["shape"], entry["data_offsets"]
        if (not isinstance(shape, list) or len(shape) > MAX_DIMS
                or not all(_is_int(d) and 0 <= d <= MAX_MODEL_BYTES for d in shape)):
            raise ModelFormatError(f"tensor {name}: shape {shape!r} is not a list of at most {MAX_DIMS} sizes")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_int(o) for o in offsets):
            raise ModelFormatError(f"tensor {name}: data_offsets {offsets!r} is not [begin, end]")
        size = 4 * math.prod(shape)
        if offsets != [expected_offset, expected_offset + size] or offsets[1] > len(body):
            raise ModelFormatError(f"tensor {name}: data_offsets {offsets} are not the next {size} bytes")
        values = np.frombuffer(body, dtype="<f4", count=size // 4, offset=expected_offset)
        if not (np.abs(values) <= MAX_ABS_VALUE).all():  # False for NaN too
            raise ModelFormatError(f"tensor {name} holds NaN, infinity or a value beyond 2**64")
        params[name] = torch.from_numpy(values.astype(np.float32)).reshape(shape)
        expected_offset += size
    if expected_offset != len(body):
        raise ModelFormatError(f"{len(body) - expected_offset} bytes follow the last tensor")
    if kind is not None:
        check_kind(params, kind)
    if encode_model(params) != data:
        raise ModelFormatError("model bytes are not in canonical form (key order, spacing or padding)")
    return params


def check_kind(params: dict[str, torch.Tensor], kind: str) -> None:
    """Raise ModelFormatError unless params has exactly the names and shapes of `kind`."""
    expected = dict(model_spec(kind).shapes)
    actual = {name: tuple(tensor.shape) for name, tensor in params.items()}
    if actual != expected:
        raise ModelFormatError(f"not a {kind!r} model: tensors {actual} instead of {expected}")


def model_hash(data: bytes) -> bytes:
    """keccak256 of the canonical bytes: the 32-byte name of a model on chain and in the blob store."""
    return keccak(bytes(data))
