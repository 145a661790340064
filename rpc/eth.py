"""The eth_, net_ and web3_ methods wallets and scripts use."""

from runtime.blocks import Block, Header
from runtime.exceptions import InvalidTransaction
from runtime.transactions import DYNAMIC_FEE, LEGACY, AccessListEntry, Transaction, decode_transaction, sign_transaction

from .errors import (EXECUTION_REVERTED, LIMIT_EXCEEDED, METHOD_NOT_FOUND, RESOURCE_NOT_FOUND, TRANSACTION_REJECTED,
                     RpcError, invalid_params)
from .logs import LOG_FILTER, LogFilter, parse_log_filter, query_logs
from .params import (ADDRESS, BLOCK, BOOL, DATA, HASH, QUANTITY, ParamType, parse_address, parse_data, parse_hash,
                     parse_quantity, to_checksum, to_data, to_hex)
from .registry import Param, Registry
from .subscriptions import EventHub
from .views import block_json, receipt_json, resolve_header, transaction_json

CLIENT_VERSION = "flockchain/0.1.0/python"
SUGGESTED_TIP = 10**9
"""eth_maxPriorityFeePerGas: a fixed 1 gwei tip suggestion, as anvil and geth's dev mode give."""

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
    return to_hex(ctx.node.api.account_balance(ctx.node.state_at(resolve_header(ctx.node, block)), address))


@registry.method("eth_getTransactionCount", (Param("address", ADDRESS), Param("block", BLOCK, "latest")), "quantity")
def eth_get_transaction_count(ctx, address, block):
    """The account nonce; with "pending", counting the sender's ready pool transactions."""
    if block == "pending":
        return to_hex(ctx.node.get_pending_nonce(address))
    return to_hex(ctx.node.api.account_nonce(ctx.node.state_at(resolve_header(ctx.node, block)), address))


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
    state = ctx.node.state_at(resolve_header(ctx.node, block))
    return "0xfe" if ctx.node.api.is_module_address(state, address) else "0x"


def _simulate(ctx, call: dict, block) -> tuple[bool, bytes, Header]:
    if call["to"] is None:
        raise RpcError(TRANSACTION_REJECTED, "ContractCreationNotSupported: contract creation is not supported: "
                       "this chain runs no EVM bytecode")
    header = resolve_header(ctx.node, block)
    success, output = ctx.node.api.call(ctx.node.state_at(header).backend, ctx.node.api.call_env(header),
                                        call["from"], call["to"], call["value"], call["data"])
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
    return to_hex(estimate_gas(ctx, call))


def estimate_gas(ctx, call: dict) -> int:
    return ctx.node.api.estimate_gas(ctx.node.state(), call["to"], call["data"], call["access_list"])


@registry.method("eth_sendRawTransaction", (Param("transaction", DATA),), "hash")
def eth_send_raw_transaction(ctx, raw):
    """Admit a signed transaction to the pool; refusals name the reason (code -32003)."""
    return to_data(submit(ctx, raw).hash)


def submit(ctx, raw: bytes) -> Transaction:
    """Admit to the pool and tell the author and subscribers; refusals become -32003 naming the reason."""
    try:
        tx = ctx.node.submit_transaction(raw)
    except InvalidTransaction as error:
        raise RpcError(TRANSACTION_REJECTED, f"{error.reason}: {error.message}", {"reason": error.reason}) from None
    ctx.on_transaction(tx)
    if ctx.hub is not None:
        ctx.hub.publish_pending(tx)
    return tx


@registry.method("eth_getTransactionReceipt", (Param("hash", HASH),), "receipt or null")
def eth_get_transaction_receipt(ctx, tx_hash):
    """The receipt of an included transaction, or null."""
    stored = ctx.node.db.get_transaction(tx_hash)
    if stored is None:
        return None
    header = ctx.node.db.get_header(stored.block_hash)
    return receipt_json(header, ctx.node.db.get_receipt(stored.block_hash, stored.index), stored.raw)


@registry.method("eth_getTransactionByHash", (Param("hash", HASH),), "transaction or null")
def eth_get_transaction_by_hash(ctx, tx_hash):
    """An included or pending transaction, or null."""
    stored = ctx.node.db.get_transaction(tx_hash)
    if stored is not None:
        header = ctx.node.db.get_header(stored.block_hash)
        return transaction_json(decode_transaction(stored.raw), header, stored.index)
    pending = ctx.node.pool.by_hash.get(tx_hash)
    return transaction_json(pending) if pending else None


def _block_at(ctx, tag) -> Block | None:
    try:
        return ctx.node.db.get_block(resolve_header(ctx.node, tag).hash)
    except RpcError:
        return None


@registry.method("eth_getBlockByNumber", (Param("block", BLOCK), Param("full", BOOL, False)), "block or null")
def eth_get_block_by_number(ctx, block, full):
    """A block by number or tag; `full` gives transaction objects instead of hashes."""
    found = _block_at(ctx, block)
    return block_json(found, full) if found else None


@registry.method("eth_getBlockByHash", (Param("hash", HASH), Param("full", BOOL, False)), "block or null")
def eth_get_block_by_hash(ctx, block_hash, full):
    """A block by hash, or null."""
    block = ctx.node.db.get_block(block_hash)
    return block_json(block, full) if block else None


@registry.method("eth_getBlockTransactionCountByNumber", (Param("block", BLOCK),), "quantity or null")
def eth_get_block_transaction_count_by_number(ctx, block):
    """How many transactions a block holds."""
    found = _block_at(ctx, block)
    return to_hex(len(found.transactions)) if found else None


@registry.method("eth_getBlockTransactionCountByHash", (Param("hash", HASH),), "quantity or null")
def eth_get_block_transaction_count_by_hash(ctx, block_hash):
    """How many transactions a block holds."""
    found = ctx.node.db.get_block(block_hash)
    return to_hex(len(found.transactions)) if found else None


def _transaction_at(block: Block | None, index: int):
    if block is None or index >= len(block.transactions):
        return None
    return transaction_json(decode_transaction(block.transactions[index]), block.header, index)


@registry.method("eth_getTransactionByBlockNumberAndIndex", (Param("block", BLOCK), Param("index", QUANTITY)),
                 "transaction or null")
def eth_get_transaction_by_block_number_and_index(ctx, block, index):
    """The transaction at a position in a block, or null."""
    return _transaction_at(_block_at(ctx, block), index)


@registry.method("eth_getTransactionByBlockHashAndIndex", (Param("hash", HASH), Param("index", QUANTITY)),
                 "transaction or null")
def eth_get_transaction_by_block_hash_and_index(ctx, block_hash, index):
    """The transaction at a position in a block, or null."""
    return _transaction_at(ctx.node.db.get_block(block_hash), index)


@registry.method("eth_getBlockReceipts", (Param("block", BLOCK),), "receipts or null")
def eth_get_block_receipts(ctx, block):
    """Every receipt of a block, in order."""
    found = _block_at(ctx, block)
    if found is None:
        return None
    receipts = ctx.node.db.get_receipts(found.hash)
    return [receipt_json(found.header, stored, raw) for stored, raw in zip(receipts, found.transactions)]


@registry.method("eth_getStorageAt", (Param("address", ADDRESS), Param("slot", QUANTITY), Param("block", BLOCK, "latest")),
                 "data")
def eth_get_storage_at(ctx, address, slot, block):
    """Always the zero word: modules keep their state in module storage (see state_getStorage), not EVM slots."""
    resolve_header(ctx.node, block)
    return "0x" + "00" * 32


FEE_HISTORY_MAX_BLOCKS = 1024


def parse_percentiles(value) -> tuple[float, ...]:
    if not isinstance(value, list) or len(value) > 100:
        raise invalid_params("rewardPercentiles must be an array of at most 100 numbers")
    if any(isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 100 for p in value):
        raise invalid_params("rewardPercentiles must be numbers from 0 to 100")
    if list(value) != sorted(value):
        raise invalid_params("rewardPercentiles must be in ascending order")
    return tuple(value)


PERCENTILES = ParamType("rewardPercentiles", parse_percentiles)


def _rewards(block: Block, receipts, percentiles) -> list[str]:
    """Tips paid at each gas-weighted percentile of the block's transactions (geth's method)."""
    base = block.header.base_fee_per_gas
    tips = sorted((decode_transaction(raw).effective_gas_price(base) - base, stored.gas_used)
                  for raw, stored in zip(block.transactions, receipts))
    if not tips:
        return ["0x0"] * len(percentiles)
    total, result = sum(gas for _, gas in tips), []
    for percentile in percentiles:
        threshold, cumulative = total * percentile / 100, 0
        for tip, gas in tips:
            cumulative += gas
            if cumulative >= threshold:
                break
        result.append(to_hex(tip))
    return result


@registry.method("eth_feeHistory", (Param("blockCount", QUANTITY), Param("newestBlock", BLOCK),
                                    Param("rewardPercentiles", PERCENTILES, ())), "feeHistory")
def eth_fee_history(ctx, block_count, newest, percentiles):
    """Base fees (one more than blocks: the next block's), gas used ratios and tip percentiles."""
    if block_count < 1:
        raise invalid_params("blockCount must be at least 1")
    block_count = min(block_count, FEE_HISTORY_MAX_BLOCKS)
    last = resolve_header(ctx.node, newest).number
    first = max(0, last - block_count + 1)
    base_fees, ratios, rewards = [], [], []
    for number in range(first, last + 1):
        block = ctx.node.db.get_block(ctx.node.db.get_canonical_hash(number))
        header = block.header
        base_fees.append(to_hex(header.base_fee_per_gas))
        ratios.append(header.gas_used / header.gas_limit if header.gas_limit else 0.0)
        if percentiles:
            rewards.append(_rewards(block, ctx.node.db.get_receipts(block.hash), percentiles))
    base_fees.append(to_hex(ctx.node.api.next_base_fee(block.header)))
    result = {"oldestBlock": to_hex(first), "baseFeePerGas": base_fees, "gasUsedRatio": ratios}
    if percentiles:
        result["reward"] = rewards
    return result


@registry.method("eth_syncing", result="false or progress")
def eth_syncing(ctx):
    """False when at the head (a dev node always is); else {startingBlock, currentBlock, highestBlock}."""
    progress = None if ctx.network is None else ctx.network.sync_progress()
    if progress is None:
        return False
    return {key: to_hex(value) for key, value in progress.items()}


@registry.method("eth_accounts", result="addresses")
def eth_accounts(ctx):
    """The dev accounts the node signs for (dev chains only); an empty list elsewhere."""
    return [to_checksum(address) for address in ctx.dev_keys] if ctx.dev else []


@registry.method("net_listening", result="boolean")
def net_listening(ctx):
    """True: the node is serving."""
    return True


@registry.method("net_peerCount", result="quantity")
def net_peer_count(ctx):
    """Connected peers (a dev node has none)."""
    return to_hex(0 if ctx.network is None else len(ctx.network.peers_json()))


@registry.method("eth_getLogs", (Param("filter", LOG_FILTER),), "logs")
def eth_get_logs(ctx, log_filter):
    """Logs matching address and topics in a block range (at most 10,000 blocks) or one block by hash."""
    return query_logs(ctx.node, log_filter)


def _hub(ctx) -> EventHub:
    if ctx.hub is None:
        raise RpcError(METHOD_NOT_FOUND, "this node serves no filters or subscriptions")
    return ctx.hub


def _install(ctx, kind: str, log_filter=None) -> str:
    try:
        return _hub(ctx).new_filter(kind, log_filter)
    except OverflowError as error:
        raise RpcError(LIMIT_EXCEEDED, str(error)) from None


@registry.method("eth_newFilter", (Param("filter", LOG_FILTER),), "filter id")
def eth_new_filter(ctx, log_filter):
    """Install a log filter; poll it with eth_getFilterChanges (removed after 5 minutes unpolled)."""
    return _install(ctx, "logs", log_filter)


@registry.method("eth_newBlockFilter", result="filter id")
def eth_new_block_filter(ctx):
    """Install a filter collecting new block hashes."""
    return _install(ctx, "blocks")


@registry.method("eth_newPendingTransactionFilter", result="filter id")
def eth_new_pending_transaction_filter(ctx):
    """Install a filter collecting hashes of transactions entering the pool."""
    return _install(ctx, "pending")


FILTER_ID = ParamType("filterId", lambda value: parse_data(value, "filter id", 16))


@registry.method("eth_getFilterChanges", (Param("id", FILTER_ID),), "logs or hashes")
def eth_get_filter_changes(ctx, filter_id):
    """What the filter collected since it was last polled."""
    changes = _hub(ctx).take_changes(to_data(filter_id))
    if changes is None:
        raise RpcError(RESOURCE_NOT_FOUND, "filter not found")
    return changes


@registry.method("eth_getFilterLogs", (Param("id", FILTER_ID),), "logs")
def eth_get_filter_logs(ctx, filter_id):
    """Every log a log filter matches, from its whole range."""
    installed = _hub(ctx).get_filter(to_data(filter_id))
    if installed is None or installed.kind != "logs":
        raise RpcError(RESOURCE_NOT_FOUND, "log filter not found")
    return query_logs(ctx.node, installed.log_filter)


@registry.method("eth_uninstallFilter", (Param("id", FILTER_ID),), "boolean")
def eth_uninstall_filter(ctx, filter_id):
    """Remove a filter; false when it did not exist."""
    return _hub(ctx).uninstall(to_data(filter_id))


def parse_subscription_kind(value) -> str:
    if value not in ("newHeads", "logs", "newPendingTransactions"):
        raise invalid_params(f"unknown subscription {value!r}: newHeads, logs or newPendingTransactions")
    return value


SUBSCRIPTION_KIND = ParamType("subscriptionName", parse_subscription_kind)


def subscribe(ctx, kind: str, log_filter=None, method: str = "eth_subscription") -> str:
    if ctx.connection is None:
        raise RpcError(METHOD_NOT_FOUND, "subscriptions need a WebSocket connection")
    try:
        return _hub(ctx).subscribe(ctx.connection, kind, log_filter, method)
    except OverflowError as error:
        raise RpcError(LIMIT_EXCEEDED, str(error)) from None


def parse_subscription_options(value):
    """A log filter (for logs) or geth's fullTransactions flag (for newPendingTransactions)."""
    if isinstance(value, bool):
        return value
    return parse_log_filter(value)


SUBSCRIPTION_OPTIONS = ParamType("subscriptionOptions", parse_subscription_options)


@registry.method("eth_subscribe", (Param("kind", SUBSCRIPTION_KIND), Param("options", SUBSCRIPTION_OPTIONS, None)),
                 "subscription id")
def eth_subscribe(ctx, kind, options):
    """Push newHeads, logs (with an optional filter) or newPendingTransactions (hashes) over this WebSocket."""
    if kind == "logs":
        if isinstance(options, bool):
            raise invalid_params("logs subscriptions take a filter object")
        return subscribe(ctx, kind, options or LogFilter())
    if kind == "newHeads" and options is not None:
        raise invalid_params("newHeads takes no options")
    return subscribe(ctx, kind)


SUBSCRIPTION_ID = ParamType("subscriptionId", lambda value: to_data(parse_data(value, "subscription id", 16)))


@registry.method("eth_unsubscribe", (Param("id", SUBSCRIPTION_ID),), "boolean")
def eth_unsubscribe(ctx, subscription_id):
    """Stop a subscription of this connection; false when it did not exist."""
    if ctx.connection is None:
        return False
    return _hub(ctx).unsubscribe(ctx.connection, subscription_id)


def parse_transaction_request(value) -> dict:
    """eth_sendTransaction's object: a call object plus from (required), gas, fees and nonce."""
    call = parse_call(value)
    if not value.get("from"):
        raise invalid_params("from is required")
    call.update({name: parse_quantity(value[name], name) if value.get(name) is not None else None
                 for name in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "nonce", "type")})
    return call


TRANSACTION_REQUEST = ParamType("transactionRequest", parse_transaction_request)


@registry.method("eth_sendTransaction", (Param("transaction", TRANSACTION_REQUEST),), "hash", dev_only=True)
def eth_send_transaction(ctx, request):
    """Sign with a dev account's key and submit (dev chains only); fields left out are filled as a wallet would."""
    key = ctx.dev_keys.get(request["from"])
    if key is None:
        raise RpcError(TRANSACTION_REJECTED, f"UnknownAccount: {to_checksum(request['from'])} is not a dev account")
    if request["to"] is None:
        raise RpcError(TRANSACTION_REJECTED, "ContractCreationNotSupported: contract creation is not supported: "
                       "this chain runs no EVM bytecode")
    legacy = request["gasPrice"] is not None or request["type"] == LEGACY
    tip = request["maxPriorityFeePerGas"] if request["maxPriorityFeePerGas"] is not None else SUGGESTED_TIP
    fee = request["gasPrice"] or request["maxFeePerGas"] or 2 * ctx.node.next_base_fee() + tip
    raw = sign_transaction(
        key, LEGACY if legacy else DYNAMIC_FEE, chain_id=ctx.node.chain_id,
        nonce=request["nonce"] if request["nonce"] is not None else ctx.node.get_pending_nonce(request["from"]),
        gas_limit=request["gas"] or estimate_gas(ctx, request), to=request["to"], value=request["value"],
        data=request["data"], max_fee_per_gas=fee, max_priority_fee_per_gas=min(tip, fee),
        access_list=request["access_list"])
    return to_data(submit(ctx, raw).hash)
