"""Base (an OP-stack Ethereum L2) block headers, receipts and receipt proofs, as the bridge reads them.

Pure decoding of untrusted bytes: every malformed input raises BaseDataError with the reason;
nothing here trusts a length, a type byte or a nesting depth it has not checked.

- A header is the RLP list of an Ethereum header; its hash is keccak256 of those bytes, so a
  header whose hash was attested is the attested header. Only `receiptsRoot` (item 5) and
  `number` (item 8) are read; later forks only append fields, so any list of ≥ 15 items is read.
- A receipt is the value stored at key rlp(transactionIndex) in the receipts trie:
  legacy `rlp([status, cumulativeGasUsed, logsBloom, logs])`, or typed
  `type ‖ rlp([...])` for types 0x01–0x04 (EIP-2718) and 0x7E, Base's deposit transactions,
  whose list may append `depositNonce` and `depositReceiptVersion` (OP Canyon/Regolith).
- A log is `[address, [topic, …], data]`.
"""

from dataclasses import dataclass

import rlp

from .crypto import RlpShapeError, check_rlp_depth, keccak256
from .trie import InvalidProof, verify_proof

TYPED_RECEIPT_TYPES = frozenset({0x01, 0x02, 0x03, 0x04})
DEPOSIT_RECEIPT_TYPE = 0x7E
HEADER_MIN_FIELDS = 15
MAX_HEADER_BYTES = 2_048
MAX_PROOF_NODES = 64
MAX_PROOF_NODE_BYTES = 1 << 20
RECEIPT_DEPTH = 4
"""receipt list → logs → log → topics."""


class BaseDataError(ValueError):
    """Bytes that are not what a Base header, receipt or proof must be."""


@dataclass(frozen=True)
class BaseHeader:
    hash: bytes
    number: int
    receipts_root: bytes


@dataclass(frozen=True)
class BaseLog:
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class BaseReceipt:
    type: int
    succeeded: bool
    logs: tuple[BaseLog, ...]


def _decode_rlp(data: bytes, depth: int, what: str):
    try:
        check_rlp_depth(data, depth)
        return rlp.decode(data, strict=True)
    except (rlp.exceptions.DecodingError, RlpShapeError) as error:
        raise BaseDataError(f"{what} is not valid RLP ({error})") from None


def _uint(field, what: str, bits: int = 64) -> int:
    if not isinstance(field, bytes) or len(field) * 8 > bits or field[:1] == b"\x00":
        raise BaseDataError(f"{what} is not a canonical {bits}-bit integer")
    return int.from_bytes(field, "big")


def decode_header(data: bytes) -> BaseHeader:
    if len(data) > MAX_HEADER_BYTES:
        raise BaseDataError(f"header of {len(data)} bytes exceeds {MAX_HEADER_BYTES}")
    fields = _decode_rlp(data, 1, "header")
    if not isinstance(fields, list) or len(fields) < HEADER_MIN_FIELDS:
        raise BaseDataError(f"header must be a list of at least {HEADER_MIN_FIELDS} items")
    if any(not isinstance(field, bytes) for field in fields):
        raise BaseDataError("header fields must be byte strings")
    receipts_root = fields[5]
    if len(receipts_root) != 32:
        raise BaseDataError("receiptsRoot must be 32 bytes")
    return BaseHeader(keccak256(data), _uint(fields[8], "number"), receipts_root)


def _decode_log(item, index: int) -> BaseLog:
    if not isinstance(item, list) or len(item) != 3:
        raise BaseDataError(f"log {index} must be [address, topics, data]")
    address, topics, data = item
    if not isinstance(address, bytes) or len(address) != 20:
        raise BaseDataError(f"log {index}: address must be 20 bytes")
    if not isinstance(topics, list) or len(topics) > 4:
        raise BaseDataError(f"log {index}: topics must be a list of at most 4")
    if any(not isinstance(topic, bytes) or len(topic) != 32 for topic in topics):
        raise BaseDataError(f"log {index}: every topic must be 32 bytes")
    if not isinstance(data, bytes):
        raise BaseDataError(f"log {index}: data must be a byte string")
    return BaseLog(address, tuple(topics), data)


def decode_receipt(data: bytes) -> BaseReceipt:
    """A receipts-trie value (see the module docstring). Pre-Byzantium receipts (a 32-byte state
    root instead of a status) are refused: a deposit's success cannot be read from them."""
    if not data:
        raise BaseDataError("empty receipt")
    receipt_type, payload = 0, data
    if data[0] < 0x80:
        receipt_type, payload = data[0], data[1:]
        if receipt_type not in TYPED_RECEIPT_TYPES and receipt_type != DEPOSIT_RECEIPT_TYPE:
            raise BaseDataError(f"unsupported receipt type 0x{receipt_type:02x}")
    fields = _decode_rlp(payload, RECEIPT_DEPTH, "receipt")
    allowed = (4, 5, 6) if receipt_type == DEPOSIT_RECEIPT_TYPE else (4,)
    if not isinstance(fields, list) or len(fields) not in allowed:
        raise BaseDataError(f"a type 0x{receipt_type:02x} receipt must have {' or '.join(map(str, allowed))} items")
    status, cumulative_gas, bloom, logs, *deposit_fields = fields
    if status not in (b"", b"\x01"):
        raise BaseDataError("status must be 0 or 1 (pre-Byzantium receipts are not accepted)")
    _uint(cumulative_gas, "cumulativeGasUsed")
    if not isinstance(bloom, bytes) or len(bloom) != 256:
        raise BaseDataError("logsBloom must be 256 bytes")
    for index, field in enumerate(deposit_fields):
        _uint(field, ("depositNonce", "depositReceiptVersion")[index])
    if not isinstance(logs, list):
        raise BaseDataError("logs must be a list")
    return BaseReceipt(receipt_type, status == b"\x01", tuple(_decode_log(item, i) for i, item in enumerate(logs)))


def encode_receipt_key(index: int) -> bytes:
    """The receipts trie's key for a transaction index: rlp(index)."""
    return rlp.encode(index)


def verify_receipt(receipts_root: bytes, index: int, proof: list[bytes]) -> BaseReceipt:
    """The receipt at `index` under `receipts_root`, proven by `proof` (the trie nodes from the root)."""
    if len(proof) > MAX_PROOF_NODES:
        raise BaseDataError(f"proof of {len(proof)} nodes exceeds {MAX_PROOF_NODES}")
    if any(len(node) > MAX_PROOF_NODE_BYTES for node in proof):
        raise BaseDataError("a proof node is too large")
    try:
        value = verify_proof(receipts_root, encode_receipt_key(index), list(proof))
    except InvalidProof as error:
        raise BaseDataError(f"invalid receipt proof: {error}") from None
    if value is None:
        raise BaseDataError(f"the proof shows no receipt at index {index}")
    return decode_receipt(value)
