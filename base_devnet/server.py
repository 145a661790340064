"""eth_ JSON-RPC for the Base devnet, shaped like geth's so a relayer written against it works
unchanged against real Base.

The methods are declared in a registry and served by rpc/'s one dispatcher (rpc/dispatch.py), as
the node's are: the same parameter types, limits, errors, web policy and `rpc.discover`. Errors
beyond the standard ones are geth's: -32000 for a header the devnet does not have or a transaction
its pool refuses, 3 for a reverted call with the revert bytes as `data`. Every py-evm call goes
through the devnet's worker thread (those methods are async); sealed blocks, receipts and logs are
served from the event loop.
"""

from __future__ import annotations

from aiohttp import web
from eth_hash.auto import keccak

from rpc.dispatch import Dispatcher, RpcLimits
from rpc.errors import EXECUTION_REVERTED, LIMIT_EXCEEDED, SERVER_ERROR, RpcError, invalid_params
from rpc.eth import PERCENTILES, parse_call
from rpc.logs import LOG_FILTER, MAX_BLOCK_RANGE, MAX_LOGS, LogFilter
from rpc.openrpc import OpenRpcInfo
from rpc.params import (ADDRESS, BLOCK, BLOCK_OR_HASH, BOOL, DATA, HASH, QUANTITY, STORAGE_KEY, ParamType,
                        parse_quantity)
from rpc.registry import Param, Registry
from rpc.web_policy import WebPolicy

from .chain import (
    SUGGESTED_TIP,
    BaseDevnet,
    BlockRecord,
    CallRequest,
    ExecutionFailed,
    ExecutionReverted,
    HeaderNotFound,
    TxPoolError,
    data_hex,
    qty,
    word_hex,
)

CLIENT_VERSION = "flockchain-base-devnet/v0.1.0/py-evm"
INFO = OpenRpcInfo("flockchain Base devnet JSON-RPC", CLIENT_VERSION,
                   "Base's eth_ methods on a py-evm devnet, shaped like geth's, for the FLOCK bridge and its relayer.")
LIMITS = RpcLimits(max_request_bytes=1024 * 1024, max_batch_length=100)
"""Tighter than the node's: the devnet's clients (a relayer, tests) send small requests and batches."""
MAX_FEE_HISTORY_BLOCKS = 1024

registry = Registry()


def parse_call_request(value) -> CallRequest:
    """The node's call object (rpc/eth.py), with the gas price a call is charged at (gasPrice, else maxFeePerGas)."""
    call = parse_call(value)
    price = value.get("gasPrice", value.get("maxFeePerGas"))
    return CallRequest(sender=call["from"], to=call["to"], data=call["data"], value=call["value"], gas=call["gas"],
                       gas_price=0 if price is None else parse_quantity(price, "gasPrice"))


CALL_REQUEST = ParamType("callObject", parse_call_request)


def block_number_of(devnet: BaseDevnet, block: str | int | bytes) -> int:
    """A parsed block (tag, number, or hash from an EIP-1898 object) as a number, possibly beyond the head."""
    if isinstance(block, bytes):
        record = devnet.block_by_hash(block)
        if record is None:
            raise RpcError(SERVER_ERROR, "header for hash not found")
        return record.number
    return devnet.resolve_tag(block) if isinstance(block, str) else block


def state_block(devnet: BaseDevnet, block: str | int | bytes) -> int:
    """The number of a block whose state a query reads: one the devnet has."""
    number = block_number_of(devnet, block)
    if devnet.block_by_number(number) is None:
        raise RpcError(SERVER_ERROR, "header not found")
    return number


def block_record(devnet: BaseDevnet, block: str | int | bytes) -> BlockRecord | None:
    if isinstance(block, bytes):
        return devnet.block_by_hash(block)
    return devnet.block_by_number(block_number_of(devnet, block))


async def read_state(devnet: BaseDevnet, fn, *args):
    """`fn` on the worker thread, with a block pruned or unknown there answered as geth answers it."""
    try:
        return await devnet.run(fn, *args)
    except HeaderNotFound as error:
        raise RpcError(SERVER_ERROR, str(error)) from None


async def execute(devnet: BaseDevnet, fn, request: CallRequest, block) -> bytes | int:
    """eth_call and eth_estimateGas: `fn` against a block's state, a revert answered with its bytes."""
    number = state_block(devnet, block)
    try:
        return await devnet.run(fn, request, number)
    except ExecutionReverted as error:
        raise RpcError(EXECUTION_REVERTED, str(error), data_hex(error.data)) from None
    except (ExecutionFailed, HeaderNotFound) as error:
        raise RpcError(SERVER_ERROR, str(error)) from None


def transaction_at(record: BlockRecord | None, index: int) -> dict | None:
    if record is None or index >= len(record.transactions):
        return None
    return record.transactions[index]


def rewards(record: BlockRecord, percentiles: tuple[float, ...]) -> list[int]:
    """Priority fees at gas-weighted percentiles of a block's transactions, as geth computes them."""
    if not record.tip_rewards:
        return [0] * len(percentiles)
    ordered = sorted(record.tip_rewards)
    total = sum(gas for _tip, gas in ordered)
    out, i, cumulative = [], 0, ordered[0][1]
    for p in percentiles:
        threshold = total * p / 100
        while cumulative < threshold and i < len(ordered) - 1:
            i += 1
            cumulative += ordered[i][1]
        out.append(ordered[i][0])
    return out


def blocks_to_search(devnet: BaseDevnet, log_filter: LogFilter) -> list[BlockRecord]:
    """The sealed blocks a log filter names: one by hash, or a range within the node's limit (rpc/logs.py)."""
    if log_filter.block_hash is not None:
        record = devnet.block_by_hash(log_filter.block_hash)
        if record is None:
            raise RpcError(SERVER_ERROR, "unknown block")
        return [record]
    first = block_number_of(devnet, log_filter.from_block)
    last = block_number_of(devnet, log_filter.to_block)
    if first > last:
        raise invalid_params(f"fromBlock {first} is after toBlock {last}")
    if last - first + 1 > MAX_BLOCK_RANGE:
        raise RpcError(LIMIT_EXCEEDED, f"block range of {last - first + 1} exceeds the limit of {MAX_BLOCK_RANGE}")
    return [devnet.block_by_number(n) for n in range(first, min(last, devnet.latest.number) + 1)]


# ---------------------------------------------------------------- web3_, net_ and chain facts


@registry.method("web3_clientVersion", result="string")
def web3_client_version(devnet: BaseDevnet) -> str:
    """The devnet's name and version."""
    return CLIENT_VERSION


@registry.method("web3_sha3", (Param("data", DATA),), "hash")
def web3_sha3(devnet: BaseDevnet, data: bytes) -> str:
    """Keccak-256 of the data."""
    return data_hex(keccak(data))


@registry.method("net_version", result="string")
def net_version(devnet: BaseDevnet) -> str:
    """The chain id in decimal."""
    return str(devnet.chain_id)


@registry.method("net_listening", result="boolean")
def net_listening(devnet: BaseDevnet) -> bool:
    """Always true."""
    return True


@registry.method("eth_chainId", result="quantity")
def eth_chain_id(devnet: BaseDevnet) -> str:
    """The chain id (Base's 8453 unless --chain-id)."""
    return qty(devnet.chain_id)


@registry.method("eth_syncing", result="false")
def eth_syncing(devnet: BaseDevnet) -> bool:
    """Always false: the devnet is the only copy of its chain."""
    return False


@registry.method("eth_accounts", result="addresses")
def eth_accounts(devnet: BaseDevnet) -> list:
    """None: the devnet holds no keys; sign locally, as against Base."""
    return []


@registry.method("eth_mining", result="boolean")
def eth_mining(devnet: BaseDevnet) -> bool:
    """Always false: blocks are sealed on a timer, not mined."""
    return False


@registry.method("eth_blockNumber", result="quantity")
def eth_block_number(devnet: BaseDevnet) -> str:
    """The latest sealed block's number."""
    return qty(devnet.latest.number)


@registry.method("eth_gasPrice", result="quantity")
def eth_gas_price(devnet: BaseDevnet) -> str:
    """The next block's base fee plus the suggested tip."""
    return qty(devnet.next_base_fee + SUGGESTED_TIP)


@registry.method("eth_maxPriorityFeePerGas", result="quantity")
def eth_max_priority_fee_per_gas(devnet: BaseDevnet) -> str:
    """The tip Base's sequencer is typically paid."""
    return qty(SUGGESTED_TIP)


@registry.method("eth_feeHistory", (Param("blockCount", QUANTITY), Param("newestBlock", BLOCK),
                                    Param("rewardPercentiles", PERCENTILES, ())), "feeHistory")
def eth_fee_history(devnet: BaseDevnet, block_count: int, newest, percentiles: tuple[float, ...]) -> dict:
    """Base fees (one more than blocks: the next block's), gas used ratios and tip percentiles, as geth gives them."""
    if block_count < 1:
        return {"oldestBlock": "0x0", "baseFeePerGas": [], "gasUsedRatio": [], "baseFeePerBlobGas": [],
                "blobGasUsedRatio": []}
    last = block_number_of(devnet, newest)
    latest = devnet.latest.number
    if last > latest:
        raise invalid_params(f"request beyond head block: requested {last}, head {latest}")
    first = max(0, last - min(block_count, MAX_FEE_HISTORY_BLOCKS) + 1)
    records = [devnet.block_by_number(n) for n in range(first, last + 1)]
    following = devnet.block_by_number(last + 1)
    next_fee = following.base_fee if following is not None else devnet.next_base_fee
    history = {
        "oldestBlock": qty(first),
        "baseFeePerGas": [qty(r.base_fee) for r in records] + [qty(next_fee)],
        "gasUsedRatio": [r.gas_used / r.gas_limit for r in records],
        "baseFeePerBlobGas": ["0x1"] * (len(records) + 1),
        "blobGasUsedRatio": [0.0] * len(records),
    }
    if percentiles:
        history["reward"] = [[qty(v) for v in rewards(r, percentiles)] for r in records]
    return history


# ---------------------------------------------------------------- state


@registry.method("eth_getBalance", (Param("address", ADDRESS), Param("block", BLOCK, "latest")), "quantity")
async def eth_get_balance(devnet: BaseDevnet, address: bytes, block) -> str:
    """An account's ETH in wei at a block."""
    return qty(await read_state(devnet, devnet.get_balance, address, state_block(devnet, block)))


@registry.method("eth_getTransactionCount", (Param("address", ADDRESS), Param("block", BLOCK, "latest")), "quantity")
async def eth_get_transaction_count(devnet: BaseDevnet, address: bytes, block) -> str:
    """The account nonce; with "pending", counting the sender's pooled transactions."""
    number = state_block(devnet, block)
    return qty(await read_state(devnet, devnet.get_nonce, address, number, block == "pending"))


@registry.method("eth_getCode", (Param("address", ADDRESS), Param("block", BLOCK, "latest")), "data")
async def eth_get_code(devnet: BaseDevnet, address: bytes, block) -> str:
    """A contract's runtime bytecode at a block."""
    return data_hex(await read_state(devnet, devnet.get_code, address, state_block(devnet, block)))


@registry.method("eth_getStorageAt", (Param("address", ADDRESS), Param("slot", STORAGE_KEY),
                                      Param("block", BLOCK, "latest")), "data")
async def eth_get_storage_at(devnet: BaseDevnet, address: bytes, slot: int, block) -> str:
    """A contract's storage word at a slot and block."""
    return word_hex(await read_state(devnet, devnet.get_storage_at, address, slot, state_block(devnet, block)))


# ---------------------------------------------------------------- blocks and transactions


@registry.method("eth_getBlockByNumber", (Param("block", BLOCK), Param("fullTransactions", BOOL)), "block or null")
def eth_get_block_by_number(devnet: BaseDevnet, block, full: bool) -> dict | None:
    """A sealed block, with transaction hashes or whole transactions."""
    record = block_record(devnet, block)
    return None if record is None else record.json(full)


@registry.method("eth_getBlockByHash", (Param("blockHash", HASH), Param("fullTransactions", BOOL)), "block or null")
def eth_get_block_by_hash(devnet: BaseDevnet, block_hash: bytes, full: bool) -> dict | None:
    """A sealed block, with transaction hashes or whole transactions."""
    record = devnet.block_by_hash(block_hash)
    return None if record is None else record.json(full)


@registry.method("eth_getBlockTransactionCountByNumber", (Param("block", BLOCK),), "quantity or null")
def eth_get_block_transaction_count_by_number(devnet: BaseDevnet, block) -> str | None:
    """How many transactions a block holds."""
    record = block_record(devnet, block)
    return None if record is None else qty(len(record.transactions))


@registry.method("eth_getBlockTransactionCountByHash", (Param("blockHash", HASH),), "quantity or null")
def eth_get_block_transaction_count_by_hash(devnet: BaseDevnet, block_hash: bytes) -> str | None:
    """How many transactions a block holds."""
    record = devnet.block_by_hash(block_hash)
    return None if record is None else qty(len(record.transactions))


@registry.method("eth_getTransactionByHash", (Param("transactionHash", HASH),), "transaction or null")
async def eth_get_transaction_by_hash(devnet: BaseDevnet, tx_hash: bytes) -> dict | None:
    """A sealed or pooled transaction."""
    sealed = devnet.sealed_transaction(tx_hash)
    return sealed if sealed is not None else await devnet.run(devnet.transaction_by_hash, tx_hash)


@registry.method("eth_getTransactionByBlockNumberAndIndex", (Param("block", BLOCK), Param("index", QUANTITY)),
                 "transaction or null")
def eth_get_transaction_by_block_number_and_index(devnet: BaseDevnet, block, index: int) -> dict | None:
    """The transaction at a position in a block."""
    return transaction_at(block_record(devnet, block), index)


@registry.method("eth_getTransactionByBlockHashAndIndex", (Param("blockHash", HASH), Param("index", QUANTITY)),
                 "transaction or null")
def eth_get_transaction_by_block_hash_and_index(devnet: BaseDevnet, block_hash: bytes, index: int) -> dict | None:
    """The transaction at a position in a block."""
    return transaction_at(devnet.block_by_hash(block_hash), index)


@registry.method("eth_getTransactionReceipt", (Param("transactionHash", HASH),), "receipt or null")
def eth_get_transaction_receipt(devnet: BaseDevnet, tx_hash: bytes) -> dict | None:
    """A sealed transaction's receipt."""
    return devnet.receipt_by_hash(tx_hash)


@registry.method("eth_getBlockReceipts", (Param("block", BLOCK_OR_HASH),), "receipts or null")
def eth_get_block_receipts(devnet: BaseDevnet, block) -> list | None:
    """Every receipt of a block, in order (what a relayer rebuilds the receipts root from)."""
    record = block_record(devnet, block)
    return None if record is None else list(record.receipts)


@registry.method("eth_getLogs", (Param("filter", LOG_FILTER),), "logs")
def eth_get_logs(devnet: BaseDevnet, log_filter: LogFilter) -> list[dict]:
    """Matching logs of sealed blocks, oldest first, within the node's limits (rpc/logs.py)."""
    found = []
    for record in blocks_to_search(devnet, log_filter):
        found.extend(entry.json for entry in record.logs if log_filter.matches(entry))
        if len(found) > MAX_LOGS:
            raise RpcError(LIMIT_EXCEEDED, f"query returns more than {MAX_LOGS} logs; narrow the block range")
    return found


# ---------------------------------------------------------------- transactions, calls and sealing


@registry.method("eth_sendRawTransaction", (Param("transaction", DATA),), "hash")
async def eth_send_raw_transaction(devnet: BaseDevnet, raw: bytes) -> str:
    """Pool a signed transaction (legacy, EIP-2930 or EIP-1559) for the next block."""
    try:
        return data_hex(await devnet.run(devnet.submit_raw_transaction, raw))
    except TxPoolError as error:
        raise RpcError(SERVER_ERROR, str(error)) from None


@registry.method("eth_call", (Param("transaction", CALL_REQUEST), Param("block", BLOCK, "latest")), "data")
async def eth_call(devnet: BaseDevnet, request: CallRequest, block) -> str:
    """Run a call against a block's state without sealing it; a revert is error 3 with its bytes."""
    return data_hex(await execute(devnet, devnet.call, request, block))


@registry.method("eth_estimateGas", (Param("transaction", CALL_REQUEST), Param("block", BLOCK, "latest")), "quantity")
async def eth_estimate_gas(devnet: BaseDevnet, request: CallRequest, block) -> str:
    """The least gas limit at which the call succeeds, as geth searches for it."""
    return qty(await execute(devnet, devnet.estimate_gas, request, block))


@registry.method("evm_mine", result="quantity", dev_only=True)
async def evm_mine(devnet: BaseDevnet) -> str:
    """Seal a block now, with whatever the pool holds (never from a browser page: rpc/web_policy.py)."""
    await devnet.seal()
    return "0x0"


def make_app(devnet: BaseDevnet, limits: RpcLimits = LIMITS, policy: WebPolicy = WebPolicy()) -> web.Application:
    """The aiohttp application serving the devnet's JSON-RPC on POST /, behind the project's web policy."""
    dispatcher = Dispatcher((registry,), INFO, dev=True, limits=limits, policy=policy)
    return dispatcher.application(lambda origin: devnet)


__all__ = ["CLIENT_VERSION", "INFO", "LIMITS", "make_app", "registry"]
