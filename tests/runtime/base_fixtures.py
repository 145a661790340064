"""Synthetic but exact Base blocks for bridge tests: JSON blocks and receipts as a Base node serves them,
encoded by chain.bridge.proofs (typed and 0x7E receipts included), and EIP-712 withdrawal signatures."""

import rlp
from eth_account import Account
from eth_account.messages import encode_typed_data

from chain.bridge.proofs import build_receipt_proof, encode_header, encode_receipt
from chain.bridge.relayer import rotation_typed_data, withdrawal_typed_data
from runtime.crypto import keccak256
from runtime.modules import bridge
from runtime.trie import compute_ordered_trie_root

from .harness import CHAIN_ID

BRIDGE = bytes.fromhex("10Aeafac83d48E2f9ac4bAAf94311c45fACe1404")
TOKEN = bytes.fromhex("fbfbfDdd6e35dA57b7B0F9a2C10E34Be70B3A4E9")


def deposit_log(nonce: int, recipient: bytes, amount: int, sender: bytes = b"\x11" * 20,
                address: bytes = BRIDGE) -> dict:
    return {"address": "0x" + address.hex(),
            "topics": ["0x" + t.hex() for t in (bridge.DEPOSIT_TOPIC, nonce.to_bytes(32, "big"),
                                                 bytes(12) + sender)],
            "data": "0x" + (bytes(12) + recipient + amount.to_bytes(32, "big")).hex()}


def release_log(nonce: int, recipient: bytes, amount: int, set_id: int = 0) -> dict:
    return {"address": "0x" + BRIDGE.hex(),
            "topics": ["0x" + t.hex() for t in (bridge.RELEASE_TOPIC, nonce.to_bytes(32, "big"), bytes(12) + recipient)],
            "data": "0x" + (amount.to_bytes(32, "big") + set_id.to_bytes(32, "big")).hex()}


def receipt(logs: list[dict], receipt_type: int = 2, status: int = 1, **extra) -> dict:
    return {"type": hex(receipt_type), "status": hex(status), "cumulativeGasUsed": hex(50_000),
            "logsBloom": "0x" + "00" * 256, "logs": logs, **extra}


def base_block(receipts: list[dict], number: int = 100) -> tuple[dict, list[dict]]:
    """A Prague-shaped JSON block whose receiptsRoot commits to `receipts`."""
    receipts = [dict(r, transactionIndex=hex(i)) for i, r in enumerate(receipts)]
    root = compute_ordered_trie_root([encode_receipt(r) for r in receipts])
    block = {"parentHash": "0x" + "ab" * 32, "sha3Uncles": "0x" + keccak256(rlp.encode([])).hex(),
             "miner": "0x" + "00" * 20, "stateRoot": "0x" + "cd" * 32, "transactionsRoot": "0x" + "ef" * 32,
             "receiptsRoot": "0x" + root.hex(), "logsBloom": "0x" + "00" * 256, "difficulty": "0x0",
             "number": hex(number), "gasLimit": hex(30_000_000), "gasUsed": hex(50_000),
             "timestamp": hex(1_700_000_000 + number), "extraData": "0x", "mixHash": "0x" + "00" * 32,
             "nonce": "0x" + "00" * 8, "baseFeePerGas": hex(10**9), "withdrawalsRoot": "0x" + "56" * 32,
             "blobGasUsed": "0x0", "excessBlobGas": "0x0", "parentBeaconBlockRoot": "0x" + "00" * 32,
             "requestsHash": "0x" + "78" * 32}
    block["hash"] = "0x" + keccak256(encode_header(block)).hex()
    return block, receipts


def prove(block, receipts, index):
    proof = build_receipt_proof(block, receipts, index)
    return proof.block_hash, proof.header, index, list(proof.proof)


def typed_withdrawal(nonce, recipient, amount, set_id=0, home_chain_id=CHAIN_ID, base_chain_id=8453,
                     bridge_address=BRIDGE) -> dict:
    """The relayer's EIP-712 message (chain.bridge.relayer), whose digests the module and the contract must agree with."""
    return withdrawal_typed_data(base_chain_id, "0x" + bridge_address.hex(), home_chain_id, set_id, nonce,
                                 "0x" + recipient.hex(), amount)


def sign_withdrawal(key: bytes, **fields) -> bytes:
    return Account.sign_message(encode_typed_data(full_message=typed_withdrawal(**fields)), key).signature


def sign_rotation(key: bytes, set_id: int, incoming: tuple, home_chain_id: int = CHAIN_ID, base_chain_id=8453,
                  bridge_address=BRIDGE) -> bytes:
    """An outgoing validator's EIP-712 ValidatorSetRotation signature to the set `incoming` ((address, weight), …)."""
    typed = rotation_typed_data(base_chain_id, "0x" + bridge_address.hex(), home_chain_id, set_id,
                                ["0x" + a.hex() for a, _ in incoming], [w for _, w in incoming])
    return Account.sign_message(encode_typed_data(full_message=typed), key).signature
