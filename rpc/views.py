"""How chain objects look in JSON-RPC: the shapes Ethereum clients expect."""

from chain.db import StoredReceipt
from runtime.blocks import Block, Header
from runtime.crypto import keccak256
from runtime.module import Log
from runtime.transactions import DYNAMIC_FEE, LEGACY, Transaction, decode_transaction

from .errors import RESOURCE_NOT_FOUND, RpcError
from .params import to_data, to_hex

EMPTY_UNCLES_HASH = keccak256(b"\xc0")


def resolve_header(node, tag) -> Header:
    if isinstance(tag, bytes):
        header = node.db.get_header(tag)
    elif isinstance(tag, int):
        header = node.tree.get_header_by_number(tag)
    elif tag == "earliest":
        header = node.tree.get_header_by_number(0)
    elif tag in ("safe", "finalized"):
        header = node.finalized
    else:
        header = node.head
    if header is None:
        shown = to_hex(tag) if isinstance(tag, int) else tag if isinstance(tag, str) else to_data(tag)
        raise RpcError(RESOURCE_NOT_FOUND, f"block {shown} not found")
    return header


def header_json(header: Header, size: int) -> dict:
    return {
        "number": to_hex(header.number), "hash": to_data(header.hash), "parentHash": to_data(header.parent_hash),
        "nonce": "0x0000000000000000", "sha3Uncles": to_data(EMPTY_UNCLES_HASH), "logsBloom": to_data(header.logs_bloom),
        "transactionsRoot": to_data(header.transactions_root), "stateRoot": to_data(header.state_root),
        "receiptsRoot": to_data(header.receipts_root), "miner": to_data(header.author), "difficulty": "0x0",
        "totalDifficulty": "0x0", "extraData": to_data(header.extra_data), "size": to_hex(size),
        "gasLimit": to_hex(header.gas_limit), "gasUsed": to_hex(header.gas_used),
        "timestamp": to_hex(header.timestamp), "baseFeePerGas": to_hex(header.base_fee_per_gas),
        "mixHash": to_data(header.vrf_output.rjust(32, b"\x00")[:32]), "uncles": [],
    }


def transaction_json(tx: Transaction, header: Header | None = None, index: int | None = None) -> dict:
    result = {
        "hash": to_data(tx.hash), "type": to_hex(tx.tx_type), "chainId": to_hex(tx.chain_id), "nonce": to_hex(tx.nonce),
        "from": to_data(tx.sender), "to": to_data(tx.to) if tx.to else None, "value": to_hex(tx.value),
        "gas": to_hex(tx.gas_limit), "input": to_data(tx.data), "r": to_hex(tx.r), "s": to_hex(tx.s),
        "v": to_hex(35 + 2 * tx.chain_id + tx.y_parity if tx.tx_type == LEGACY else tx.y_parity),
        "blockHash": None, "blockNumber": None, "transactionIndex": None, "gasPrice": to_hex(tx.max_fee_per_gas),
    }
    if tx.tx_type != LEGACY:
        result["yParity"] = to_hex(tx.y_parity)
        result["accessList"] = [{"address": to_data(e.address), "storageKeys": [to_data(k) for k in e.storage_keys]}
                                for e in tx.access_list]
    if tx.tx_type == DYNAMIC_FEE:
        result["maxFeePerGas"] = to_hex(tx.max_fee_per_gas)
        result["maxPriorityFeePerGas"] = to_hex(tx.max_priority_fee_per_gas)
    if header is not None:
        result.update(blockHash=to_data(header.hash), blockNumber=to_hex(header.number),
                      transactionIndex=to_hex(index),
                      gasPrice=to_hex(tx.effective_gas_price(header.base_fee_per_gas)))
    return result


def block_json(block: Block, full: bool) -> dict:
    result = header_json(block.header, len(block.encode()))
    txs = [decode_transaction(raw) for raw in block.transactions] if full else None
    result["transactions"] = ([transaction_json(tx, block.header, i) for i, tx in enumerate(txs)] if full
                              else [to_data(keccak256(raw)) for raw in block.transactions])
    return result


def log_json(header: Header, tx_hash: bytes, tx_index: int, log_index: int, log: Log, removed: bool = False) -> dict:
    return {"address": to_data(log.address), "topics": [to_data(t) for t in log.topics], "data": to_data(log.data),
            "blockHash": to_data(header.hash), "blockNumber": to_hex(header.number),
            "transactionHash": to_data(tx_hash), "transactionIndex": to_hex(tx_index), "logIndex": to_hex(log_index),
            "removed": removed}


def receipt_logs(header: Header, tx_hash: bytes, stored: StoredReceipt) -> list[dict]:
    return [log_json(header, tx_hash, stored.index, stored.first_log_index + i, log)
            for i, log in enumerate(stored.receipt.logs)]


def receipt_json(header: Header, stored: StoredReceipt, raw_transaction: bytes) -> dict:
    tx = decode_transaction(raw_transaction)
    common = {"blockHash": to_data(header.hash), "blockNumber": to_hex(header.number),
              "transactionHash": to_data(tx.hash), "transactionIndex": to_hex(stored.index)}
    return dict(common, **{
        "from": to_data(tx.sender), "to": to_data(tx.to) if tx.to else None, "contractAddress": None,
        "cumulativeGasUsed": to_hex(stored.receipt.cumulative_gas_used), "gasUsed": to_hex(stored.gas_used),
        "effectiveGasPrice": to_hex(stored.effective_gas_price), "logs": receipt_logs(header, tx.hash, stored),
        "logsBloom": to_data(stored.receipt.logs_bloom), "type": to_hex(tx.tx_type),
        "status": to_hex(stored.receipt.status),
    })


def substrate_header_json(header: Header) -> dict:
    """A header in Substrate's JSON shape (extrinsicsRoot = transactionsRoot), the consensus digest spelled out."""
    return {
        "parentHash": to_data(header.parent_hash), "number": to_hex(header.number),
        "stateRoot": to_data(header.state_root), "extrinsicsRoot": to_data(header.transactions_root),
        "digest": {"author": to_data(header.author), "slot": to_hex(header.slot), "vrfOutput": to_data(header.vrf_output),
                   "vrfProof": to_data(header.vrf_proof), "seal": to_data(header.seal)},
        "hash": to_data(header.hash),
    }
