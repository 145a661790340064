"""Parsers for JSON-RPC parameter types: each rejects malformed input with a precise message."""

import re
from dataclasses import dataclass

from runtime.crypto import keccak256

from .errors import invalid_params

_QUANTITY = re.compile(r"^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$")
_DATA = re.compile(r"^0x([0-9a-fA-F]{2})*$")
_STORAGE_KEY = re.compile(r"^0x[0-9a-fA-F]{1,64}$")
BLOCK_TAGS = ("latest", "pending", "earliest", "safe", "finalized")


def to_hex(value: int) -> str:
    return hex(value)


def to_data(value: bytes) -> str:
    return "0x" + value.hex()


def to_checksum(address: bytes) -> str:
    """EIP-55 mixed-case address, as wallets display it."""
    hex_address = address.hex()
    digest = keccak256(hex_address.encode()).hex()
    return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c for c, d in zip(hex_address, digest))


@dataclass(frozen=True)
class ParamType:
    """A named JSON-RPC parameter type with its parser and JSON schema (both appear in OpenRPC)."""

    name: str
    parse: callable
    schema: dict | None = None

    def json_schema(self) -> dict:
        return dict(self.schema or {}, title=self.name)


def parse_quantity(value, what: str = "quantity") -> int:
    if not isinstance(value, str) or not _QUANTITY.match(value):
        raise invalid_params(f"{what} must be a 0x-prefixed hex number without leading zeros, got {value!r}")
    number = int(value, 16)
    if number >= 2**256:
        raise invalid_params(f"{what} exceeds 256 bits")
    return number


def parse_data(value, what: str = "data", size: int | None = None) -> bytes:
    if not isinstance(value, str) or not _DATA.match(value):
        raise invalid_params(f"{what} must be 0x-prefixed hex bytes, got {_short(value)}")
    data = bytes.fromhex(value[2:])
    if size is not None and len(data) != size:
        raise invalid_params(f"{what} must be {size} bytes, got {len(data)}")
    return data


def parse_address(value, what: str = "address") -> bytes:
    return parse_data(value, what, 20)


def parse_hash(value, what: str = "hash") -> bytes:
    return parse_data(value, what, 32)


def parse_block_tag(value) -> str | int:
    if isinstance(value, str) and value in BLOCK_TAGS:
        return value
    if isinstance(value, dict):
        if "blockNumber" in value:
            return parse_quantity(value["blockNumber"], "blockNumber")
        if "blockHash" in value:
            return parse_hash(value["blockHash"], "blockHash")
        raise invalid_params("block object must have blockNumber or blockHash")
    if isinstance(value, str) and value.startswith("0x"):
        return parse_quantity(value, "block number")
    raise invalid_params(f"block must be a number or one of {', '.join(BLOCK_TAGS)}, got {_short(value)}")


def parse_block_or_hash(value) -> str | int | bytes:
    """A block as geth's BlockNumberOrHash reads it: 32 bytes of hex name a block by its hash."""
    if isinstance(value, str) and len(value) == 66:
        return parse_hash(value, "block hash")
    return parse_block_tag(value)


def parse_storage_key(value) -> int:
    """A storage slot as geth reads one: at most 32 bytes of hex, leading zeros allowed (slots are often
    keccak words, written out in full)."""
    if not isinstance(value, str) or not _STORAGE_KEY.match(value):
        raise invalid_params(f"storage slot must be 0x-prefixed hex of at most 32 bytes, got {_short(value)}")
    return int(value, 16)


def parse_bool(value) -> bool:
    if not isinstance(value, bool):
        raise invalid_params(f"expected a boolean, got {_short(value)}")
    return value


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


QUANTITY = ParamType("quantity", parse_quantity, {"type": "string", "pattern": _QUANTITY.pattern})
DATA = ParamType("data", parse_data, {"type": "string", "pattern": _DATA.pattern})
ADDRESS = ParamType("address", parse_address, {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"})
HASH = ParamType("hash", parse_hash, {"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$"})
BLOCK = ParamType("blockNumberOrTag", parse_block_tag, {"oneOf": [
    {"type": "string", "pattern": _QUANTITY.pattern}, {"type": "string", "enum": list(BLOCK_TAGS)}, {"type": "object"}]})
BLOCK_OR_HASH = ParamType("blockNumberOrTagOrHash", parse_block_or_hash, {"oneOf": [
    *BLOCK.schema["oneOf"], HASH.schema]})
STORAGE_KEY = ParamType("storageKey", parse_storage_key, {"type": "string", "pattern": _STORAGE_KEY.pattern})
BOOL = ParamType("boolean", parse_bool, {"type": "boolean"})
