"""The eth_, net_ and web3_ methods wallets and scripts use."""

from dataclasses import replace

from runtime.blocks import Block, Header
from runtime.crypto import keccak256
from runtime.exceptions import InvalidTransaction
from runtime.executive import block_env, call_readonly, compute_call_gas
from runtime.fees import compute_intrinsic_gas
from runtime.modules import balances, system
from runtime.transactions import DYNAMIC_FEE, LEGACY, AccessListEntry, Transaction, decode_transaction

from .errors import EXECUTION_REVERTED, RESOURCE_NOT_FOUND, TRANSACTION_REJECTED, RpcError, invalid_params
from .params import (ADDRESS, BLOCK, BOOL, DATA, HASH, ParamType, parse_address, parse_data, parse_hash, parse_quantity,
                     to_data, to_hex)
from .registry import Param, Registry

CLIENT_VERSION = "flockchain/0.1.0/python"
SUGGESTED_TIP = 10**9
"""eth_maxPriorityFeePerGas: a fixed 1 gwei tip suggestion, as anvil and geth's dev mode give."""
EMPTY_UNCLES_HASH = keccak256(b"\xc0")

registry = Registry()


def parse_access_list(value) -> tuple[AccessListEntry, ...]:
    if not isinstance(value, list):
        raise invalid_params("accessList must be an array")
    entries = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"address", "storageKeys"} \
                or not isinstance(entry["storageKeys"], list):
            raise invalid_params("accessList entries must be {address, storageKeys: [...]}")
        entries.append(AccessListEntry(parse_address(entry["address"], "accessList address"),
                                       tuple(parse_hash(k, "accessList storage key") for k in entry["storageKeys"])))
    return tuple(entries)


def parse_call(value) -> dict:
    """A call object (eth_call, eth_estimateGas): from, to, gas, fee fields, value, data or input, accessList.

    Fee fields, nonce, type and chainId do not change what a call does here, but are still
    checked, so a client's malformed object is refused rather than silently half-read.
    """
    if not isinstance(value, dict):
        raise invalid_params("call object must be a JSON object")
    known = {"from", "to", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "value", "data", "input",
             "nonce", "type", "chainId", "accessList"}
    unknown = set(value) - known
    if unknown:
        raise invalid_params(f"unknown call object fields {sorted(unknown)}")
    for name in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "nonce", "type", "chainId"):
        if value.get(name) is not None:
            parse_quantity(value[name], name)
    data, input_ = value.get("data"), value.get("input")
    if data is not None and input_ is not None and data != input_:
        raise invalid_params("call object has both data and input, and they differ")
    return {
        "from": parse_address(value["from"], "from") if value.get("from") else b"\x00" * 20,
        "to": parse_address(value["to"], "to") if value.get("to") else None,
        "gas": parse_quantity(value["gas"], "gas") if value.get("gas") else None,
        "value": parse_quantity(value["value"], "value") if value.get("value") else 0,
        "data": parse_data(input_ if input_ is not None else data or "0x", "input"),
        "access_list": parse_access_list(value["accessList"]) if value.get("accessList") is not None else (),
    }


CALL = ParamType("callObject", parse_call)


def resolve_header(node, tag) -> Header:
    if isinstance(tag, bytes):
        header = node.db.get_header(tag)
    elif isinstance(tag, int):
        header = node.get_header_by_number(tag)
    elif tag == "earliest":
        header = node.get_header_by_number(0)
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


def transaction_json(tx: Transaction, block: Block | None = None, index: int | None = None) -> dict:
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
    if block is not None:
        result.update(blockHash=to_data(block.hash), blockNumber=to_hex(block.header.number),
                      transactionIndex=to_hex(index),
                      gasPrice=to_hex(tx.effective_gas_price(block.header.base_fee_per_gas)))
    return result


def block_json(block: Block, full: bool) -> dict:
    result = header_json(block.header, len(block.encode()))
    txs = [decode_transaction(raw) for raw in block.transactions] if full else None
    result["transactions"] = ([transaction_json(tx, block, i) for i, tx in enumerate(txs)] if full
                              else [to_data(keccak256(raw)) for raw in block.transactions])
    return result


def receipt_json(node, tx_hash: bytes) -> dict | None:
    found = node.get_receipt(tx_hash)
    if found is None:
        return None
    block, stored = found
    tx = decode_transaction(block.transactions[stored.index])
    receipts = node.db.get_receipts(block.hash)
    first_log_index = sum(len(r.receipt.logs) for r in receipts[:stored.index])
    common = {"blockHash": to_data(block.hash), "blockNumber": to_hex(block.header.number),
              "transactionHash": to_data(tx_hash), "transactionIndex": to_hex(stored.index)}
    logs = [dict(common, address=to_data(log.address), topics=[to_data(t) for t in log.topics], data=to_data(log.data),
                 logIndex=to_hex(first_log_index + i), removed=False)
            for i, log in enumerate(stored.receipt.logs)]
    return dict(common, **{
        "from": to_data(tx.sender), "to": to_data(tx.to) if tx.to else None, "contractAddress": None,
        "cumulativeGasUsed": to_hex(stored.receipt.cumulative_gas_used), "gasUsed": to_hex(stored.gas_used),
        "effectiveGasPrice": to_hex(stored.effective_gas_price), "logs": logs,
        "logsBloom": to_data(stored.receipt.logs_bloom), "type": to_hex(tx.tx_type),
        "status": to_hex(stored.receipt.status),
    })


@registry.method("web3_clientVersion", result="string")
def web3_client_version(ctx):
    """The node software's name and version."""
    return CLIENT_VERSION


@registry.method("net_version", result="string")
def net_version(ctx):
    """The chain id in decimal (as geth's net_version)."""
    return str(ctx.node.chain_id)


@registry.method("eth_chainId", result="quantity")
def eth_chain_id(ctx):
    """The EIP-155 chain id that transactions must sign over."""
    return to_hex(ctx.node.chain_id)


@registry.method("eth_blockNumber", result="quantity")
def eth_block_number(ctx):
    """The number of the head block."""
    return to_hex(ctx.node.head.number)


@registry.method("eth_getBalance", (Param("address", ADDRESS), Param("block", BLOCK, "latest")), "quantity")
def eth_get_balance(ctx, address, block):
    """Free FLOCK balance in wei (18 decimals) at a block."""
    return to_hex(balances.free_balance(ctx.node.state_at(resolve_header(ctx.node, block)), address))


@registry.method("eth_getTransactionCount", (Param("address", ADDRESS), Param("block", BLOCK, "latest")), "quantity")
def eth_get_transaction_count(ctx, address, block):
    """The account nonce; with "pending", counting the sender's ready pool transactions."""
    if block == "pending":
        return to_hex(ctx.node.get_pending_nonce(address))
    return to_hex(system.get_nonce(ctx.node.state_at(resolve_header(ctx.node, block)), address))


@registry.method("eth_gasPrice", result="quantity")
def eth_gas_price(ctx):
    """Next block's base fee plus the suggested tip."""
    return to_hex(ctx.node.next_base_fee() + SUGGESTED_TIP)


@registry.method("eth_maxPriorityFeePerGas", result="quantity")
def eth_max_priority_fee_per_gas(ctx):
    """The suggested EIP-1559 tip."""
    return to_hex(SUGGESTED_TIP)


@registry.method("eth_getCode", (Param("address", ADDRESS), Param("block", BLOCK, "latest")), "data")
def eth_get_code(ctx, address, block):
    """Module addresses answer with a one-byte marker so tools treat them as contracts; accounts have none."""
    return "0xfe" if address in ctx.node.runtime.by_address else "0x"


def _simulate(ctx, call: dict, block) -> tuple[bool, bytes, Header]:
    if call["to"] is None:
        raise RpcError(TRANSACTION_REJECTED, "ContractCreationNotSupported: contract creation is not supported: "
                       "this chain runs no EVM bytecode")
    header = resolve_header(ctx.node, block)
    env = replace(block_env(header), number=header.number + 1)
    success, output = call_readonly(ctx.node.runtime, ctx.node.state_at(header).backend, env, call["from"], call["to"],
                                    call["value"], call["data"])
    return success, output, header


def _reverted(output: bytes) -> RpcError:
    return RpcError(EXECUTION_REVERTED, "execution reverted", to_data(output))


@registry.method("eth_call", (Param("call", CALL), Param("block", BLOCK, "latest")), "data")
def eth_call(ctx, call, block):
    """Run a module call or view without a transaction; failures return code 3 with the revert data."""
    success, output, _ = _simulate(ctx, call, block)
    if not success:
        raise _reverted(output)
    return to_data(output)


@registry.method("eth_estimateGas", (Param("call", CALL), Param("block", BLOCK, "latest")), "quantity")
def eth_estimate_gas(ctx, call, block):
    """Intrinsic gas (calldata and access list) plus the call's declared weight: exact, as gas is not metered."""
    success, output, _ = _simulate(ctx, call, block)
    if not success:
        raise _reverted(output)
    probe = Transaction(DYNAMIC_FEE, 0, 0, 0, 0, 0, call["to"], call["value"], call["data"], call["access_list"],
                        0, 0, 0, b"", b"", b"")
    return to_hex(compute_intrinsic_gas(probe) + compute_call_gas(ctx.node.runtime, call["to"], call["data"]))


@registry.method("eth_sendRawTransaction", (Param("transaction", DATA),), "hash")
def eth_send_raw_transaction(ctx, raw):
    """Admit a signed transaction to the pool; refusals name the reason (code -32003)."""
    try:
        tx = ctx.node.submit_transaction(raw)
    except InvalidTransaction as error:
        raise RpcError(TRANSACTION_REJECTED, f"{error.reason}: {error.message}", {"reason": error.reason}) from None
    ctx.on_transaction(tx)
    return to_data(tx.hash)


@registry.method("eth_getTransactionReceipt", (Param("hash", HASH),), "receipt or null")
def eth_get_transaction_receipt(ctx, tx_hash):
    """The receipt of an included transaction, or null."""
    return receipt_json(ctx.node, tx_hash)


@registry.method("eth_getTransactionByHash", (Param("hash", HASH),), "transaction or null")
def eth_get_transaction_by_hash(ctx, tx_hash):
    """An included or pending transaction, or null."""
    location = ctx.node.db.get_transaction_location(tx_hash)
    if location is not None:
        block = ctx.node.db.get_block(location[0])
        return transaction_json(decode_transaction(block.transactions[location[1]]), block, location[1])
    pending = ctx.node.pool.by_hash.get(tx_hash)
    return transaction_json(pending) if pending else None


@registry.method("eth_getBlockByNumber", (Param("block", BLOCK), Param("full", BOOL, False)), "block or null")
def eth_get_block_by_number(ctx, block, full):
    """A block by number or tag; `full` gives transaction objects instead of hashes."""
    try:
        header = resolve_header(ctx.node, block)
    except RpcError:
        return None
    return block_json(ctx.node.db.get_block(header.hash), full)


@registry.method("eth_getBlockByHash", (Param("hash", HASH), Param("full", BOOL, False)), "block or null")
def eth_get_block_by_hash(ctx, block_hash, full):
    """A block by hash, or null."""
    block = ctx.node.db.get_block(block_hash)
    return block_json(block, full) if block else None
