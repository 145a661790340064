"""The peer-to-peer wire format (spec/network.md): every frame is `rlp([type, payload...])`.

Decoding is strict and total: bytes are either exactly one canonical message (so
`encode_message(decode_message(data)) == data`) or raise MessageDecodeError, never anything else,
because every frame comes from a stranger.
"""

from dataclasses import dataclass, fields
from enum import IntEnum
from typing import ClassVar

import rlp

from runtime.blocks import encode_uint
from runtime.crypto import RlpShapeError, check_rlp_depth, keccak256, rlp_encode

from .errors import MessageDecodeError

PROTOCOL_VERSION = 1
MAX_RLP_DEPTH = 3
"""BLOCKS is the deepest message: [type, request_id, [[block, justification], ...]]."""
MAX_TRANSACTIONS_PER_MESSAGE = 256
MAX_BLOCKS_PER_MESSAGE = 128
MAX_URL_BYTES = 256
HASH_BYTES = 32
NODE_ID_BYTES = 33
NONCE_BYTES = 32
SIGNATURE_BYTES = 65


class MessageType(IntEnum):
    HELLO = 1
    AUTH = 2
    STATUS = 3
    PING = 4
    PONG = 5
    TRANSACTIONS = 6
    BLOCK = 7
    VOTE = 8
    COMMIT = 9
    BLOB = 10
    GET_BLOCKS = 11
    BLOCKS = 12


@dataclass(frozen=True)
class Uint:
    bits: int = 64

    def encode(self, value: int, name: str) -> bytes:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**self.bits:
            raise ValueError(f"{name} must be a uint{self.bits}, got {value!r:.80}")
        return encode_uint(value)

    def decode(self, item, name: str) -> int:
        if not isinstance(item, bytes) or item[:1] == b"\x00" or len(item) * 8 > self.bits:
            raise MessageDecodeError(f"{name} is not a canonical uint{self.bits}")
        return int.from_bytes(item, "big")


@dataclass(frozen=True)
class Fixed:
    size: int

    def encode(self, value: bytes, name: str) -> bytes:
        if not isinstance(value, bytes) or len(value) != self.size:
            raise ValueError(f"{name} must be {self.size} bytes, got {value!r:.80}")
        return value

    def decode(self, item, name: str) -> bytes:
        if not isinstance(item, bytes) or len(item) != self.size:
            raise MessageDecodeError(f"{name} must be {self.size} bytes")
        return item


@dataclass(frozen=True)
class NodeId(Fixed):
    """A compressed secp256k1 public key; whether it is on the curve is settled by the handshake signature."""

    size: int = NODE_ID_BYTES

    def decode(self, item, name: str) -> bytes:
        item = super().decode(item, name)
        if item[0] not in (2, 3):
            raise MessageDecodeError(f"{name} is not a compressed public key")
        return item


@dataclass(frozen=True)
class Opaque:
    """Bytes another layer interprets (a block, a vote); never empty, bounded only by the frame size."""

    def encode(self, value: bytes, name: str) -> bytes:
        if not isinstance(value, bytes) or not value:
            raise ValueError(f"{name} must be non-empty bytes, got {value!r:.80}")
        return value

    def decode(self, item, name: str) -> bytes:
        if not isinstance(item, bytes) or not item:
            raise MessageDecodeError(f"{name} must be non-empty bytes")
        return item


@dataclass(frozen=True)
class Text:
    max_bytes: int = MAX_URL_BYTES

    def encode(self, value: str, name: str) -> bytes:
        if not isinstance(value, str):
            raise ValueError(f"{name} must be text, got {value!r:.80}")
        data = value.encode()
        if len(data) > self.max_bytes:
            raise ValueError(f"{name} is longer than {self.max_bytes} bytes")
        return data

    def decode(self, item, name: str) -> str:
        if not isinstance(item, bytes) or len(item) > self.max_bytes:
            raise MessageDecodeError(f"{name} must be at most {self.max_bytes} bytes of text")
        try:
            return item.decode()
        except UnicodeDecodeError:
            raise MessageDecodeError(f"{name} is not UTF-8") from None


@dataclass(frozen=True)
class BlockEntries:
    """[[block_rlp, justification_or_empty], ...]; an empty justification is None."""

    max_count: int = MAX_BLOCKS_PER_MESSAGE

    def encode(self, value: tuple, name: str) -> list:
        if len(value) > self.max_count:
            raise ValueError(f"{name} holds more than {self.max_count} blocks")
        return [[OPAQUE.encode(block, name), b"" if justification is None else OPAQUE.encode(justification, name)]
                for block, justification in value]

    def decode(self, item, name: str) -> tuple[tuple[bytes, bytes | None], ...]:
        if not isinstance(item, list) or len(item) > self.max_count:
            raise MessageDecodeError(f"{name} must be a list of at most {self.max_count} blocks")
        entries = []
        for entry in item:
            if not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[1], bytes):
                raise MessageDecodeError(f"each of {name} must be [block, justification]")
            entries.append((OPAQUE.decode(entry[0], name), entry[1] or None))
        return tuple(entries)


UINT64 = Uint(64)
UINT256 = Uint(256)
HASH = Fixed(HASH_BYTES)
OPAQUE = Opaque()
URL = Text()


class Message:
    """Fields in dataclass order, each encoded by the codec at the same position in FIELDS."""

    TYPE: ClassVar[MessageType]
    FIELDS: ClassVar[tuple] = ()

    def payload(self) -> list:
        return [codec.encode(getattr(self, field.name), field.name) for field, codec in zip(fields(self), self.FIELDS)]

    @classmethod
    def from_payload(cls, items: list) -> "Message":
        if len(items) != len(cls.FIELDS):
            raise MessageDecodeError(f"{cls.TYPE.name} has {len(cls.FIELDS)} fields, got {len(items)}")
        return cls(*(codec.decode(item, field.name) for item, field, codec in zip(items, fields(cls), cls.FIELDS)))


@dataclass(frozen=True)
class Hello(Message):
    """The first message each side sends: who it is, which chain it follows, and a nonce to sign."""

    version: int
    chain_id: int
    genesis_hash: bytes
    best_number: int
    best_hash: bytes
    finalized_number: int
    finalized_hash: bytes
    node_id: bytes
    nonce: bytes
    listen_url: str
    rpc_url: str

    TYPE = MessageType.HELLO
    FIELDS = (UINT64, UINT256, HASH, UINT64, HASH, UINT64, HASH, NodeId(), Fixed(NONCE_BYTES), URL, URL)


@dataclass(frozen=True)
class Auth(Message):
    """r ‖ s ‖ y-parity over the other side's nonce: proves the sender holds its node id's key."""

    signature: bytes

    TYPE = MessageType.AUTH
    FIELDS = (Fixed(SIGNATURE_BYTES),)


@dataclass(frozen=True)
class Status(Message):
    best_number: int
    best_hash: bytes
    finalized_number: int
    finalized_hash: bytes

    TYPE = MessageType.STATUS
    FIELDS = (UINT64, HASH, UINT64, HASH)


@dataclass(frozen=True)
class Ping(Message):
    TYPE = MessageType.PING


@dataclass(frozen=True)
class Pong(Message):
    TYPE = MessageType.PONG


@dataclass(frozen=True)
class Transactions(Message):
    """Raw signed transactions; the payload is the transactions themselves, one to the limit."""

    raws: tuple[bytes, ...]

    TYPE = MessageType.TRANSACTIONS

    def payload(self) -> list:
        if not 1 <= len(self.raws) <= MAX_TRANSACTIONS_PER_MESSAGE:
            raise ValueError(f"TRANSACTIONS carries 1 to {MAX_TRANSACTIONS_PER_MESSAGE} transactions")
        return [OPAQUE.encode(raw, "transaction") for raw in self.raws]

    @classmethod
    def from_payload(cls, items: list) -> "Transactions":
        if not 1 <= len(items) <= MAX_TRANSACTIONS_PER_MESSAGE:
            raise MessageDecodeError(f"TRANSACTIONS carries 1 to {MAX_TRANSACTIONS_PER_MESSAGE} transactions")
        return cls(tuple(OPAQUE.decode(item, "transaction") for item in items))


@dataclass(frozen=True)
class NewBlock(Message):
    block_rlp: bytes

    TYPE = MessageType.BLOCK
    FIELDS = (OPAQUE,)


@dataclass(frozen=True)
class Vote(Message):
    vote: bytes

    TYPE = MessageType.VOTE
    FIELDS = (OPAQUE,)


@dataclass(frozen=True)
class Commit(Message):
    justification: bytes

    TYPE = MessageType.COMMIT
    FIELDS = (OPAQUE,)


@dataclass(frozen=True)
class BlobAnnouncement(Message):
    """The sender holds this blob (fetched from its rpc_url over HTTP, spec/blobs.md)."""

    blob_hash: bytes
    size: int

    TYPE = MessageType.BLOB
    FIELDS = (HASH, UINT64)


@dataclass(frozen=True)
class GetBlocks(Message):
    request_id: int
    start: int
    count: int

    TYPE = MessageType.GET_BLOCKS
    FIELDS = (UINT64, UINT64, UINT64)


@dataclass(frozen=True)
class Blocks(Message):
    request_id: int
    blocks: tuple[tuple[bytes, bytes | None], ...]

    TYPE = MessageType.BLOCKS
    FIELDS = (UINT64, BlockEntries())


MESSAGE_CLASSES: dict[int, type[Message]] = {cls.TYPE: cls for cls in (
    Hello, Auth, Status, Ping, Pong, Transactions, NewBlock, Vote, Commit, BlobAnnouncement, GetBlocks, Blocks)}
MESSAGE_TYPE = Uint(8)


def encode_message(message: Message) -> bytes:
    """Raises ValueError for a message no peer would accept (a field out of range)."""
    return rlp_encode([encode_uint(message.TYPE), *message.payload()])


def decode_message(data: bytes) -> Message:
    """The re-encoding check is not redundant: rusty-rlp (pyrlp's backend here) accepts a list whose last
    item overruns it and drops that item, even with strict=True (c3 01 c2 01 decodes to [01])."""
    try:
        check_rlp_depth(data, MAX_RLP_DEPTH)
        items = rlp.decode(data, strict=True)
    except (rlp.exceptions.DecodingError, RlpShapeError) as error:
        raise MessageDecodeError(f"not a valid RLP message ({error})") from None
    if rlp_encode(items) != data:
        raise MessageDecodeError("not canonical RLP (an item overruns its list)")
    if not isinstance(items, list) or not items:
        raise MessageDecodeError("a message is a non-empty RLP list")
    code = MESSAGE_TYPE.decode(items[0], "message type")
    cls = MESSAGE_CLASSES.get(code)
    if cls is None:
        raise MessageDecodeError(f"unknown message type {code}")
    return cls.from_payload(items[1:])


def gossip_id(message_type: MessageType, payload: bytes) -> bytes:
    """What de-duplication remembers: keccak256 of the type and the payload (for transactions, of each one)."""
    return keccak256(bytes((message_type,)) + payload)
