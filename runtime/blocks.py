"""Headers, blocks and receipts, RLP-encoded with the Ethereum fields clients read.

Block hash = keccak256(rlp(header)). The consensus digest (slot, VRF output and proof)
sits in the header; the seal is the author's signature over the header without the seal.
Receipts and their root are Ethereum's, so a receipt proof here means what it means there.
"""

from dataclasses import dataclass, replace

import rlp
from coincurve import PublicKey

from .crypto import (RlpShapeError, check_rlp_depth, keccak256, public_key_to_address, recover_public_key,
                     rlp_encode)
from .exceptions import InvalidBlock
from .module import Log

ZERO_HASH = b"\x00" * 32
ZERO_ADDRESS = b"\x00" * 20
BLOOM_BYTES = 256
MAX_EXTRA_DATA = 32
SEAL_DOMAIN = b"flockchain/seal/v1"


def encode_uint(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def decode_uint(field, name: str, limit_bits: int = 256) -> int:
    if not isinstance(field, bytes) or field[:1] == b"\x00" or len(field) * 8 > limit_bits:
        raise InvalidBlock(f"{name} is not a canonical uint{limit_bits}")
    return int.from_bytes(field, "big")


def decode_fixed(field, name: str, size: int) -> bytes:
    if not isinstance(field, bytes) or len(field) != size:
        raise InvalidBlock(f"{name} must be {size} bytes")
    return field


@dataclass(frozen=True)
class Header:
    parent_hash: bytes
    number: int
    timestamp: int
    author: bytes
    state_root: bytes
    transactions_root: bytes
    receipts_root: bytes
    logs_bloom: bytes
    gas_limit: int
    gas_used: int
    base_fee_per_gas: int
    extra_data: bytes = b""
    slot: int = 0
    vrf_output: bytes = b""
    vrf_proof: bytes = b""
    seal: bytes = b""

    def fields(self, with_seal: bool = True) -> list:
        u = encode_uint
        items = [self.parent_hash, u(self.number), u(self.timestamp), self.author, self.state_root,
                 self.transactions_root, self.receipts_root, self.logs_bloom, u(self.gas_limit), u(self.gas_used),
                 u(self.base_fee_per_gas), self.extra_data, u(self.slot), self.vrf_output, self.vrf_proof]
        return items + [self.seal] if with_seal else items

    def encode(self) -> bytes:
        return rlp_encode(self.fields())

    @property
    def hash(self) -> bytes:
        return keccak256(self.encode())

    @property
    def pre_seal_hash(self) -> bytes:
        """The header with the seal left out (what the seal hash binds to a chain)."""
        return keccak256(rlp_encode(self.fields(with_seal=False)))

    def seal_hash(self, chain_id: int) -> bytes:
        """What the author signs: the pre-seal hash bound to the chain, so that a key authoring on two
        chains cannot have one chain's headers used as equivocation evidence on the other."""
        return keccak256(SEAL_DOMAIN + chain_id.to_bytes(8, "big") + self.pre_seal_hash)

    def with_seal(self, seal: bytes) -> "Header":
        return replace(self, seal=seal)

    @classmethod
    def from_fields(cls, fields) -> "Header":
        if not isinstance(fields, list) or len(fields) != 16:
            raise InvalidBlock("header must be an RLP list of 16 fields")
        if any(not isinstance(f, bytes) for f in fields):
            raise InvalidBlock("header fields must be byte strings")
        if len(fields[11]) > MAX_EXTRA_DATA:
            raise InvalidBlock(f"extraData longer than {MAX_EXTRA_DATA} bytes")
        return cls(
            parent_hash=decode_fixed(fields[0], "parentHash", 32), number=decode_uint(fields[1], "number", 64),
            timestamp=decode_uint(fields[2], "timestamp", 64), author=decode_fixed(fields[3], "author", 20),
            state_root=decode_fixed(fields[4], "stateRoot", 32),
            transactions_root=decode_fixed(fields[5], "transactionsRoot", 32),
            receipts_root=decode_fixed(fields[6], "receiptsRoot", 32),
            logs_bloom=decode_fixed(fields[7], "logsBloom", BLOOM_BYTES),
            gas_limit=decode_uint(fields[8], "gasLimit", 64), gas_used=decode_uint(fields[9], "gasUsed", 64),
            base_fee_per_gas=decode_uint(fields[10], "baseFeePerGas"), extra_data=fields[11],
            slot=decode_uint(fields[12], "slot", 64), vrf_output=fields[13], vrf_proof=fields[14], seal=fields[15])

    @classmethod
    def decode(cls, data: bytes) -> "Header":
        try:
            check_rlp_depth(data, 1)
            return cls.from_fields(rlp.decode(data, strict=True))
        except (rlp.exceptions.DecodingError, RlpShapeError) as error:
            raise InvalidBlock(f"header is not valid RLP ({error})") from None


def recover_seal_key(header: Header, chain_id: int) -> bytes | None:
    """The compressed public key that signed the header's seal hash, or None for a malformed seal.

    Here rather than in the executive so that modules (consensus's equivocation proofs) check
    seals with the same rule as header validity.
    """
    seal = header.seal
    if len(seal) != 65:
        return None
    return recover_public_key(header.seal_hash(chain_id), seal[64], int.from_bytes(seal[:32], "big"),
                              int.from_bytes(seal[32:64], "big"))


def is_sealed_by_author(header: Header, chain_id: int) -> bool:
    """The header's seal is a valid signature by the address in its `author` field, for this chain."""
    public_key = recover_seal_key(header, chain_id)
    return public_key is not None and public_key_to_address(PublicKey(public_key)) == header.author


@dataclass(frozen=True)
class Block:
    header: Header
    transactions: tuple[bytes, ...]
    """Raw EIP-2718 transaction bytes, exactly as signed."""

    @property
    def hash(self) -> bytes:
        return self.header.hash

    def encode(self) -> bytes:
        return rlp_encode([self.header.fields(), list(self.transactions)])

    @classmethod
    def decode(cls, data: bytes) -> "Block":
        try:
            check_rlp_depth(data, 2)
            fields = rlp.decode(data, strict=True)
        except (rlp.exceptions.DecodingError, RlpShapeError) as error:
            raise InvalidBlock(f"block is not valid RLP ({error})") from None
        if not isinstance(fields, list) or len(fields) != 2 or not isinstance(fields[1], list):
            raise InvalidBlock("block must be [header, [transactions]]")
        if any(not isinstance(tx, bytes) for tx in fields[1]):
            raise InvalidBlock("transactions must be byte strings")
        return cls(Header.from_fields(fields[0]), tuple(fields[1]))


@dataclass(frozen=True)
class Receipt:
    tx_type: int
    status: int
    cumulative_gas_used: int
    logs: tuple[Log, ...]
    logs_bloom: bytes

    def encode(self) -> bytes:
        """Ethereum's consensus encoding (EIP-2718: typed receipts carry the type byte)."""
        logs = [[log.address, list(log.topics), log.data] for log in self.logs]
        body = rlp_encode([encode_uint(self.status), encode_uint(self.cumulative_gas_used), self.logs_bloom, logs])
        return body if self.tx_type == 0 else bytes((self.tx_type,)) + body

    @classmethod
    def decode(cls, data: bytes) -> "Receipt":
        tx_type = 0 if data[0] >= 0xC0 else data[0]
        status, gas, bloom, logs = rlp.decode(data if tx_type == 0 else data[1:])
        return cls(tx_type, int.from_bytes(status, "big"), int.from_bytes(gas, "big"),
                   tuple(Log(a, tuple(t), d) for a, t, d in logs), bloom)


def compute_logs_bloom(logs) -> bytes:
    """Ethereum's 2048-bit bloom: three bits per address and topic, from keccak256."""
    bits = 0
    for log in logs:
        for item in (log.address, *log.topics):
            digest = keccak256(item)
            for i in (0, 2, 4):
                bits |= 1 << ((int.from_bytes(digest[i:i + 2], "big") & 2047))
    return bits.to_bytes(BLOOM_BYTES, "big")


def merge_blooms(blooms) -> bytes:
    bits = 0
    for bloom in blooms:
        bits |= int.from_bytes(bloom, "big")
    return bits.to_bytes(BLOOM_BYTES, "big")
