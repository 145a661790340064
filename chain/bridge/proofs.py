"""Build what `bridge.proveDeposit` / `confirmRelease` take from a Base node's JSON-RPC answers.

A relayer reads a block (`eth_getBlockByHash`) and all its receipts (`eth_getBlockReceipts`),
re-encodes them as consensus bytes, checks they hash to what the block claims (so a lying RPC
is caught here, before a transaction is paid for), and proves one receipt in the receipts trie.
Works with any Ethereum-style node, Base included: header fields are encoded up to the last one
the block carries, and 0x7E deposit receipts keep their `depositNonce`/`depositReceiptVersion`.
"""

from dataclasses import dataclass

import rlp

from runtime.base_chain import DEPOSIT_RECEIPT_TYPE, encode_receipt_key
from runtime.crypto import keccak256
from runtime.trie import Trie

HEADER_FIELDS = (
    ("parentHash", "bytes"), ("sha3Uncles", "bytes"), ("miner", "bytes"), ("stateRoot", "bytes"),
    ("transactionsRoot", "bytes"), ("receiptsRoot", "bytes"), ("logsBloom", "bytes"), ("difficulty", "int"),
    ("number", "int"), ("gasLimit", "int"), ("gasUsed", "int"), ("timestamp", "int"), ("extraData", "bytes"),
    ("mixHash", "bytes"), ("nonce", "bytes"), ("baseFeePerGas", "int"), ("withdrawalsRoot", "bytes"),
    ("blobGasUsed", "int"), ("excessBlobGas", "int"), ("parentBeaconBlockRoot", "bytes"), ("requestsHash", "bytes"),
)
"""The header's RLP fields in order; the first 15 are always present, the rest appeared fork by fork."""


class ProofError(ValueError):
    """The Base node's answers do not hash to what its own block claims."""


@dataclass(frozen=True)
class ReceiptProof:
    block_hash: bytes
    block_number: int
    header: bytes
    receipt_index: int
    proof: tuple[bytes, ...]

    @property
    def size(self) -> int:
        """Bytes of header and proof nodes: what the proof adds to a transaction."""
        return len(self.header) + sum(len(node) for node in self.proof)


def _bytes(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def _quantity(value) -> int:
    return value if isinstance(value, int) else int(value, 16)


def encode_header(block: dict) -> bytes:
    """The RLP header of a JSON block; fields after the 15th stop at the first one the block lacks."""
    fields = []
    for index, (name, kind) in enumerate(HEADER_FIELDS):
        value = block.get(name)
        if value is None:
            if index < 15:
                raise ProofError(f"block lacks header field {name}")
            break
        fields.append(_quantity(value) if kind == "int" else _bytes(value))
    return rlp.encode(fields)


def encode_log(log: dict) -> list:
    return [_bytes(log["address"]), [_bytes(topic) for topic in log["topics"]], _bytes(log["data"])]


def encode_receipt(receipt: dict) -> bytes:
    """A receipt's bytes in the receipts trie (EIP-2718: type ‖ rlp(payload) for typed receipts)."""
    receipt_type = _quantity(receipt.get("type", 0))
    payload = [_quantity(receipt["status"]), _quantity(receipt["cumulativeGasUsed"]), _bytes(receipt["logsBloom"]),
               [encode_log(log) for log in receipt["logs"]]]
    if receipt_type == DEPOSIT_RECEIPT_TYPE:
        for name in ("depositNonce", "depositReceiptVersion"):
            if receipt.get(name) is None:
                break
            payload.append(_quantity(receipt[name]))
    encoded = rlp.encode(payload)
    return encoded if receipt_type == 0 else bytes((receipt_type,)) + encoded


def build_receipt_proof(block: dict, receipts: list[dict], index: int) -> ReceiptProof:
    """Header bytes and the proof of receipt `index`, checked against the block's hash and receiptsRoot."""
    header = encode_header(block)
    block_hash = _bytes(block["hash"])
    if keccak256(header) != block_hash:
        raise ProofError(f"block {block['hash']} does not hash to its header fields")
    ordered = sorted(receipts, key=lambda r: _quantity(r["transactionIndex"]))
    if [_quantity(r["transactionIndex"]) for r in ordered] != list(range(len(ordered))):
        raise ProofError("receipts are not the block's transactions 0 … n − 1")
    trie = Trie({})
    trie.update({encode_receipt_key(i): encode_receipt(r) for i, r in enumerate(ordered)})
    root, nodes = trie.commit()
    if root != _bytes(block["receiptsRoot"]):
        raise ProofError(f"receipts of block {block['hash']} do not hash to its receiptsRoot")
    proof = Trie(nodes, root).prove(encode_receipt_key(index))
    return ReceiptProof(block_hash, _quantity(block["number"]), header, index, tuple(proof))
