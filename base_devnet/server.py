"""eth_ JSON-RPC 2.0 over HTTP for the Base devnet, shaped like geth's so a relayer written against
it works unchanged against real Base.

Quantities are hex without leading zeros, data is 0x-prefixed hex; errors use the standard codes
(-32700 parse, -32600 invalid request, -32601 unknown method, -32602 invalid params, -32000 server,
3 execution reverted with the revert bytes as `data`). Every py-evm call goes through the devnet's
worker thread; sealed blocks, receipts and logs are served from the event loop.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from aiohttp import web

from rpc.errors import (EXECUTION_REVERTED as REVERTED, INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST,
                        LIMIT_EXCEEDED, METHOD_NOT_FOUND, PARSE_ERROR, RpcError)
from rpc.web_policy import JSON_TYPES, WebPolicy, refuse_content_type

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

log = logging.getLogger("flockchain.base_rpc")

CLIENT_VERSION = "flockchain-base-devnet/v0.1.0/py-evm"
SERVER_ERROR = -32000
BLOCK_TAGS = ("latest", "earliest", "pending", "safe", "finalized")
MAX_FEE_HISTORY_BLOCKS = 1024
MAX_REWARD_PERCENTILES = 100


@dataclass(frozen=True)
class RpcLimits:
    max_request_bytes: int = 1024 * 1024
    max_batch: int = 100
    max_log_block_range: int = 10_000
    max_log_results: int = 10_000


def invalid(message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, message)


# ---------------------------------------------------------------- parameter parsing

_HEX = re.compile(r"0x[0-9a-fA-F]*\Z")


def parse_quantity(value, what: str, max_bits: int = 256) -> int:
    """A hex quantity as geth reads one: a string, 0x prefix, no leading zeros."""
    if not isinstance(value, str):
        raise invalid(f"invalid argument {what}: expected a hex quantity string, got {json.dumps(value)}")
    if not _HEX.match(value) or value == "0x":
        raise invalid(f"invalid argument {what}: {value!r} is not a hex quantity (0x-prefixed hex digits)")
    if len(value) > 3 and value[2] == "0":
        raise invalid(f"invalid argument {what}: hex number with leading zero digits")
    n = int(value, 16)
    if n.bit_length() > max_bits:
        raise invalid(f"invalid argument {what}: hex number > {max_bits} bits")
    return n


def parse_data(value, what: str, length: int | None = None) -> bytes:
    if not isinstance(value, str) or not _HEX.match(value):
        raise invalid(f"invalid argument {what}: expected 0x-prefixed hex data, got {json.dumps(value)}")
    if len(value) % 2:
        raise invalid(f"invalid argument {what}: hex string has odd length")
    raw = bytes.fromhex(value[2:])
    if length is not None and len(raw) != length:
        raise invalid(f"invalid argument {what}: expected {length} bytes, got {len(raw)}")
    return raw


def parse_address(value, what: str) -> bytes:
    return parse_data(value, what, 20)


def parse_hash(value, what: str) -> bytes:
    return parse_data(value, what, 32)


def parse_bool(value, what: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(f"invalid argument {what}: expected true or false, got {json.dumps(value)}")
    return value


def _args(params, names: tuple[str, ...], required: int) -> list:
    if params is None:
        params = []
    if not isinstance(params, list):
        raise invalid("non-array args: params must be a JSON array")
    if len(params) > len(names):
        raise invalid(f"too many arguments, want at most {len(names)}")
    if len(params) < required:
        raise invalid(f"missing value for required argument {len(params)} ({names[len(params)]})")
    return params + [None] * (len(names) - len(params))


class Api:
    """The eth_/net_/web3_ methods over one devnet."""

    def __init__(self, devnet: BaseDevnet, limits: RpcLimits):
        self.devnet = devnet
        self.limits = limits
        self.methods = {
            "web3_clientVersion": self.client_version,
            "web3_sha3": self.sha3,
            "net_version": self.net_version,
            "net_listening": self.net_listening,
            "eth_chainId": self.chain_id,
            "eth_syncing": self.syncing,
            "eth_accounts": self.accounts,
            "eth_mining": self.mining,
            "eth_blockNumber": self.block_number,
            "eth_gasPrice": self.gas_price,
            "eth_maxPriorityFeePerGas": self.max_priority_fee,
            "eth_feeHistory": self.fee_history,
            "eth_getBalance": self.get_balance,
            "eth_getTransactionCount": self.get_transaction_count,
            "eth_getCode": self.get_code,
            "eth_getStorageAt": self.get_storage_at,
            "eth_getBlockByNumber": self.get_block_by_number,
            "eth_getBlockByHash": self.get_block_by_hash,
            "eth_getBlockTransactionCountByNumber": self.tx_count_by_number,
            "eth_getBlockTransactionCountByHash": self.tx_count_by_hash,
            "eth_getTransactionByHash": self.get_transaction_by_hash,
            "eth_getTransactionByBlockNumberAndIndex": self.tx_by_number_and_index,
            "eth_getTransactionByBlockHashAndIndex": self.tx_by_hash_and_index,
            "eth_getTransactionReceipt": self.get_transaction_receipt,
            "eth_getBlockReceipts": self.get_block_receipts,
            "eth_getLogs": self.get_logs,
            "eth_sendRawTransaction": self.send_raw_transaction,
            "eth_call": self.call,
            "eth_estimateGas": self.estimate_gas,
            "evm_mine": self.evm_mine,
        }

    # ------------------------------------------------------------ block selection

    def block_number_of(self, value, what: str) -> int:
        """A block tag or number → a number (possibly beyond the head); EIP-1898 objects too."""
        if isinstance(value, dict):
            if "blockHash" in value:
                record = self.devnet.block_by_hash(parse_hash(value["blockHash"], f"{what}.blockHash"))
                if record is None:
                    raise RpcError(SERVER_ERROR, "header for hash not found")
                return record.number
            if "blockNumber" in value:
                return self.block_number_of(value["blockNumber"], f"{what}.blockNumber")
            raise invalid(f"invalid argument {what}: block object needs blockNumber or blockHash")
        if value is None:
            return self.devnet.resolve_tag("latest")
        if isinstance(value, str) and value in BLOCK_TAGS:
            return self.devnet.resolve_tag(value)
        if isinstance(value, str) and value.startswith("0x"):
            return parse_quantity(value, what, 64)
        raise invalid(f"invalid argument {what}: expected a block number (hex) or one of {', '.join(BLOCK_TAGS)}, "
                      f"got {json.dumps(value)}")

    def state_block(self, value, what: str) -> int:
        number = self.block_number_of(value, what)
        if self.devnet.block_by_number(number) is None:
            raise RpcError(SERVER_ERROR, "header not found")
        return number

    def block_record(self, value, what: str) -> BlockRecord | None:
        """A block by tag, number or hash (a 32-byte hex string or EIP-1898 object), or None."""
        if isinstance(value, str) and len(value) == 66 and value.startswith("0x"):
            return self.devnet.block_by_hash(parse_hash(value, what))
        if isinstance(value, dict) and "blockHash" in value:
            return self.devnet.block_by_hash(parse_hash(value["blockHash"], f"{what}.blockHash"))
        return self.devnet.block_by_number(self.block_number_of(value, what))

    # ------------------------------------------------------------ simple

    async def client_version(self, params):
        _args(params, (), 0)
        return CLIENT_VERSION

    async def sha3(self, params):
        (data,) = _args(params, ("data",), 1)
        from eth_hash.auto import keccak

        return data_hex(keccak(parse_data(data, "0")))

    async def net_version(self, params):
        _args(params, (), 0)
        return str(self.devnet.chain_id)

    async def net_listening(self, params):
        _args(params, (), 0)
        return True

    async def chain_id(self, params):
        _args(params, (), 0)
        return qty(self.devnet.chain_id)

    async def syncing(self, params):
        _args(params, (), 0)
        return False

    async def accounts(self, params):
        _args(params, (), 0)
        return []

    async def mining(self, params):
        _args(params, (), 0)
        return False

    async def block_number(self, params):
        _args(params, (), 0)
        return qty(self.devnet.latest.number)

    async def gas_price(self, params):
        _args(params, (), 0)
        return qty(self.devnet.next_base_fee + SUGGESTED_TIP)

    async def max_priority_fee(self, params):
        _args(params, (), 0)
        return qty(SUGGESTED_TIP)

    async def fee_history(self, params):
        count, newest, percentiles = _args(params, ("blockCount", "newestBlock", "rewardPercentiles"), 2)
        if isinstance(count, int) and not isinstance(count, bool):
            block_count = count
        else:
            block_count = parse_quantity(count, "0 (blockCount)", 64)
        if block_count < 1:
            return {"oldestBlock": "0x0", "baseFeePerGas": [], "gasUsedRatio": [], "baseFeePerBlobGas": [],
                    "blobGasUsedRatio": []}
        block_count = min(block_count, MAX_FEE_HISTORY_BLOCKS)
        last = self.block_number_of(newest, "1 (newestBlock)")
        latest = self.devnet.latest.number
        if last > latest:
            raise invalid(f"request beyond head block: requested {last}, head {latest}")
        if percentiles is not None:
            if not isinstance(percentiles, list) or len(percentiles) > MAX_REWARD_PERCENTILES or not all(
                    isinstance(p, (int, float)) and not isinstance(p, bool) and 0 <= p <= 100 for p in percentiles):
                raise invalid("invalid argument 2 (rewardPercentiles): a list of at most 100 numbers in [0, 100]")
            if any(b < a for a, b in zip(percentiles, percentiles[1:])):
                raise invalid("invalid argument 2 (rewardPercentiles): percentiles must be ascending")
        first = max(0, last - block_count + 1)
        records = [self.devnet.block_by_number(n) for n in range(first, last + 1)]
        following = self.devnet.block_by_number(last + 1)
        next_fee = following.base_fee if following is not None else self.devnet.next_base_fee
        out = {
            "oldestBlock": qty(first),
            "baseFeePerGas": [qty(r.base_fee) for r in records] + [qty(next_fee)],
            "gasUsedRatio": [r.gas_used / r.gas_limit for r in records],
            "baseFeePerBlobGas": ["0x1"] * (len(records) + 1),
            "blobGasUsedRatio": [0.0] * len(records),
        }
        if percentiles is not None:
            out["reward"] = [[qty(v) for v in _rewards(r, percentiles)] for r in records]
        return out

    # ------------------------------------------------------------ state

    async def get_balance(self, params):
        address, block = _args(params, ("address", "block"), 1)
        address = parse_address(address, "0 (address)")
        number = self.state_block(block, "1 (block)")
        return qty(await self._state(self.devnet.get_balance, address, number))

    async def get_transaction_count(self, params):
        address, block = _args(params, ("address", "block"), 1)
        address = parse_address(address, "0 (address)")
        number = self.state_block(block, "1 (block)")
        return qty(await self._state(self.devnet.get_nonce, address, number, block == "pending"))

    async def get_code(self, params):
        address, block = _args(params, ("address", "block"), 1)
        address = parse_address(address, "0 (address)")
        number = self.state_block(block, "1 (block)")
        return data_hex(await self._state(self.devnet.get_code, address, number))

    async def get_storage_at(self, params):
        address, slot, block = _args(params, ("address", "slot", "block"), 2)
        address = parse_address(address, "0 (address)")
        if not isinstance(slot, str) or not _HEX.match(slot) or len(slot) > 66 or slot == "0x":
            raise invalid("invalid argument 1 (slot): expected a hex storage slot of at most 32 bytes")
        number = self.state_block(block, "2 (block)")
        return word_hex(await self._state(self.devnet.get_storage_at, address, int(slot, 16), number))

    async def _state(self, fn, *args):
        try:
            return await self.devnet.run(fn, *args)
        except HeaderNotFound as error:
            raise RpcError(SERVER_ERROR, str(error)) from None

    # ------------------------------------------------------------ blocks and transactions

    async def get_block_by_number(self, params):
        block, full = _args(params, ("block", "fullTransactions"), 2)
        record = self.devnet.block_by_number(self.block_number_of(block, "0 (block)"))
        return None if record is None else record.json(parse_bool(full, "1 (fullTransactions)"))

    async def get_block_by_hash(self, params):
        block_hash, full = _args(params, ("blockHash", "fullTransactions"), 2)
        record = self.devnet.block_by_hash(parse_hash(block_hash, "0 (blockHash)"))
        return None if record is None else record.json(parse_bool(full, "1 (fullTransactions)"))

    async def tx_count_by_number(self, params):
        (block,) = _args(params, ("block",), 1)
        record = self.devnet.block_by_number(self.block_number_of(block, "0 (block)"))
        return None if record is None else qty(len(record.transactions))

    async def tx_count_by_hash(self, params):
        (block_hash,) = _args(params, ("blockHash",), 1)
        record = self.devnet.block_by_hash(parse_hash(block_hash, "0 (blockHash)"))
        return None if record is None else qty(len(record.transactions))

    async def get_transaction_by_hash(self, params):
        (tx_hash,) = _args(params, ("transactionHash",), 1)
        tx_hash = parse_hash(tx_hash, "0 (transactionHash)")
        sealed = self.devnet.sealed_transaction(tx_hash)
        return sealed if sealed is not None else await self.devnet.run(self.devnet.transaction_by_hash, tx_hash)

    @staticmethod
    def _tx_at(record: BlockRecord | None, index) -> dict | None:
        i = parse_quantity(index, "1 (index)", 64)
        if record is None or i >= len(record.transactions):
            return None
        return record.transactions[i]

    async def tx_by_number_and_index(self, params):
        block, index = _args(params, ("block", "index"), 2)
        return self._tx_at(self.devnet.block_by_number(self.block_number_of(block, "0 (block)")), index)

    async def tx_by_hash_and_index(self, params):
        block_hash, index = _args(params, ("blockHash", "index"), 2)
        return self._tx_at(self.devnet.block_by_hash(parse_hash(block_hash, "0 (blockHash)")), index)

    async def get_transaction_receipt(self, params):
        (tx_hash,) = _args(params, ("transactionHash",), 1)
        return self.devnet.receipt_by_hash(parse_hash(tx_hash, "0 (transactionHash)"))

    async def get_block_receipts(self, params):
        (block,) = _args(params, ("block",), 1)
        record = self.block_record(block, "0 (block)")
        return None if record is None else list(record.receipts)

    # ------------------------------------------------------------ logs

    async def get_logs(self, params):
        (query,) = _args(params, ("filter",), 1)
        if not isinstance(query, dict):
            raise invalid("invalid argument 0 (filter): expected a filter object")
        unknown = set(query) - {"fromBlock", "toBlock", "blockHash", "address", "topics"}
        if unknown:
            raise invalid(f"invalid argument 0 (filter): unknown field(s) {', '.join(sorted(unknown))}")
        addresses = _filter_addresses(query.get("address"))
        topics = _filter_topics(query.get("topics"))
        if query.get("blockHash") is not None:
            if query.get("fromBlock") is not None or query.get("toBlock") is not None:
                raise invalid("invalid argument 0 (filter): cannot specify both blockHash and fromBlock/toBlock, "
                              "choose one or the other")
            record = self.devnet.block_by_hash(parse_hash(query["blockHash"], "0 (filter.blockHash)"))
            if record is None:
                raise RpcError(SERVER_ERROR, "unknown block")
            records = [record]
        else:
            latest = self.devnet.latest.number
            first = self.block_number_of(query.get("fromBlock"), "0 (filter.fromBlock)")
            last = self.block_number_of(query.get("toBlock"), "0 (filter.toBlock)")
            if first > last:
                raise invalid(f"invalid block range: fromBlock {first} is after toBlock {last}")
            if last - first + 1 > self.limits.max_log_block_range:
                raise RpcError(LIMIT_EXCEEDED, f"block range too large: {last - first + 1} blocks, "
                                               f"at most {self.limits.max_log_block_range}")
            last = min(last, latest)
            records = [self.devnet.block_by_number(n) for n in range(first, last + 1)]
        out = []
        for record in records:
            for entry in record.logs:
                if addresses and entry.address not in addresses:
                    continue
                if not _topics_match(topics, entry.topics):
                    continue
                out.append(entry.json)
                if len(out) > self.limits.max_log_results:
                    raise RpcError(LIMIT_EXCEEDED, f"query returned more than {self.limits.max_log_results} "
                                                   f"results; narrow the block range")
        return out

    # ------------------------------------------------------------ transactions and calls

    async def send_raw_transaction(self, params):
        (raw,) = _args(params, ("data",), 1)
        raw = parse_data(raw, "0 (data)")
        try:
            tx_hash = await self.devnet.run(self.devnet.submit_raw_transaction, raw)
        except TxPoolError as error:
            raise RpcError(SERVER_ERROR, str(error)) from None
        return data_hex(tx_hash)

    def _call_request(self, value) -> CallRequest:
        if not isinstance(value, dict):
            raise invalid("invalid argument 0 (transaction): expected a call object")
        known = {"from", "to", "data", "input", "value", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas",
                 "nonce", "type", "chainId", "accessList"}
        unknown = set(value) - known
        if unknown:
            raise invalid(f"invalid argument 0 (transaction): unknown field(s) {', '.join(sorted(unknown))}")
        data = value.get("input", value.get("data"))
        if "input" in value and "data" in value and value["input"] != value["data"]:
            raise invalid('invalid argument 0 (transaction): both "data" and "input" are set and not equal')
        fields = {}
        if value.get("from") is not None:
            fields["sender"] = parse_address(value["from"], "0 (transaction.from)")
        if value.get("to") is not None:
            fields["to"] = parse_address(value["to"], "0 (transaction.to)")
        if data is not None:
            fields["data"] = parse_data(data, "0 (transaction.input)")
        if value.get("value") is not None:
            fields["value"] = parse_quantity(value["value"], "0 (transaction.value)")
        if value.get("gas") is not None:
            fields["gas"] = parse_quantity(value["gas"], "0 (transaction.gas)", 64)
        price = value.get("gasPrice", value.get("maxFeePerGas"))
        if price is not None:
            fields["gas_price"] = parse_quantity(price, "0 (transaction.gasPrice)")
        return CallRequest(**fields)

    async def _execute(self, fn, params):
        tx, block = _args(params, ("transaction", "block"), 1)
        request = self._call_request(tx)
        number = self.state_block(block, "1 (block)")
        try:
            return await self.devnet.run(fn, request, number)
        except ExecutionReverted as error:
            raise RpcError(REVERTED, str(error), data_hex(error.data)) from None
        except (ExecutionFailed, HeaderNotFound) as error:
            raise RpcError(SERVER_ERROR, str(error)) from None

    async def call(self, params):
        return data_hex(await self._execute(self.devnet.call, params))

    async def estimate_gas(self, params):
        return qty(await self._execute(self.devnet.estimate_gas, params))

    async def evm_mine(self, params):
        _args(params, ("options",), 0)
        await self.devnet.seal()
        return "0x0"


def _filter_addresses(value) -> frozenset[bytes]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset([parse_address(value, "0 (filter.address)")])
    if isinstance(value, list):
        return frozenset(parse_address(a, "0 (filter.address)") for a in value)
    raise invalid("invalid argument 0 (filter.address): expected an address or a list of addresses")


def _filter_topics(value) -> list[frozenset[bytes] | None]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid("invalid argument 0 (filter.topics): expected a list")
    if len(value) > 4:
        raise invalid("invalid argument 0 (filter.topics): too many topics (at most 4 positions)")
    out = []
    for i, position in enumerate(value):
        what = f"0 (filter.topics[{i}])"
        if position is None or position == []:
            out.append(None)
        elif isinstance(position, str):
            out.append(frozenset([parse_hash(position, what)]))
        elif isinstance(position, list):
            out.append(None if None in position else frozenset(parse_hash(t, what) for t in position))
        else:
            raise invalid(f"invalid argument {what}: expected a topic, a list of topics or null")
    return out


def _topics_match(wanted: list, topics: tuple[bytes, ...]) -> bool:
    if len(wanted) > len(topics):
        return False
    return all(choice is None or topic in choice for choice, topic in zip(wanted, topics))


def _rewards(record: BlockRecord, percentiles: list) -> list[int]:
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


# ---------------------------------------------------------------- HTTP


def _error(request_id, error: RpcError) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


async def _dispatch(api: Api, call, policy: WebPolicy, origin: str | None) -> dict | None:
    if not isinstance(call, dict):
        return _error(None, RpcError(INVALID_REQUEST, "invalid request: expected a JSON object"))
    request_id = call.get("id")
    is_notification = "id" not in call
    if not (request_id is None or isinstance(request_id, (str, int, float))) or isinstance(request_id, bool):
        return _error(None, RpcError(INVALID_REQUEST, "invalid request: id must be a string, number or null"))
    if call.get("jsonrpc") != "2.0":
        return _error(request_id, RpcError(INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"'))
    method = call.get("method")
    if not isinstance(method, str):
        return _error(request_id, RpcError(INVALID_REQUEST, "invalid request: method must be a string"))
    handler = api.methods.get(method)
    try:
        if handler is None:
            raise RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")
        if policy.is_browser_barred(origin, method in DEV_CONTROLS):
            raise RpcError(METHOD_NOT_FOUND, f"the method {method} is not available to browser origins")
        result = await handler(call.get("params"))
    except RpcError as error:
        response = _error(request_id, error)
    except Exception:
        log.exception("%s failed", method)
        response = _error(request_id, RpcError(INTERNAL_ERROR, f"internal error in {method}"))
    else:
        response = {"jsonrpc": "2.0", "id": request_id, "result": result}
    return None if is_notification else response


def _reply(body, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(body, separators=(",", ":")), content_type="application/json")


def _parse_json(text: bytes):
    def refuse_constant(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse_constant)


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The request body, or None once it is known to exceed `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks, size = [], 0
    while True:
        chunk = await request.content.readany()
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


DEV_CONTROLS = frozenset({"evm_mine"})
"""Methods a browser origin may not call (rpc/web_policy.py: dev-only methods are barred to pages)."""


def make_app(devnet: BaseDevnet, limits: RpcLimits = RpcLimits(), policy: WebPolicy = WebPolicy()) -> web.Application:
    """The aiohttp application serving JSON-RPC on POST /, behind the project's web policy."""
    api = Api(devnet, limits)

    async def handle(request: web.Request) -> web.Response:
        bad_type = refuse_content_type(request, JSON_TYPES)
        if bad_type is not None:
            return _reply(_error(None, RpcError(INVALID_REQUEST, bad_type)), status=415)
        origin = request.headers.get("Origin")
        body = await _read_limited(request, limits.max_request_bytes)
        if body is None:
            return _reply(_error(None, RpcError(LIMIT_EXCEEDED, f"request too large: more than "
                                                                f"{limits.max_request_bytes} bytes")), status=413)
        try:
            payload = _parse_json(body)
        except (ValueError, RecursionError) as error:
            return _reply(_error(None, RpcError(PARSE_ERROR, f"parse error: {error}")))
        if isinstance(payload, list):
            if not payload:
                return _reply(_error(None, RpcError(INVALID_REQUEST, "empty batch")))
            if len(payload) > limits.max_batch:
                return _reply(_error(None, RpcError(LIMIT_EXCEEDED, f"batch too large: {len(payload)} requests, "
                                                                    f"at most {limits.max_batch}")))
            responses = [r for r in [await _dispatch(api, call, policy, origin) for call in payload] if r is not None]
            return _reply(responses) if responses else web.Response(status=200)
        response = await _dispatch(api, payload, policy, origin)
        return _reply(response) if response is not None else web.Response(status=200)

    async def refuse_get(_request: web.Request) -> web.Response:
        return web.Response(status=405, text="JSON-RPC: POST a JSON request to /\n")

    def refuse(_request: web.Request, status: int, message: str) -> web.Response:
        return _reply(_error(None, RpcError(INVALID_REQUEST, message)), status=status)

    app = web.Application(client_max_size=limits.max_request_bytes + 1, middlewares=[policy.middleware(refuse)])
    app.router.add_post("/", handle)
    app.router.add_get("/", refuse_get)
    app["devnet"] = devnet
    return app


__all__ = ["Api", "CLIENT_VERSION", "RpcError", "RpcLimits", "make_app"]
