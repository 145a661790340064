"""An in-process stand-in for Base: a py-evm Prague chain with a mempool and interval sealing.

The bridge relayer talks to it over plain eth_ JSON-RPC (base_devnet/server.py), so the same
relayer runs against real Base by changing a URL. At start the dev authority key of
genesis/dev.json deploys MockFLOCK (nonce 0) then FlockBridge (nonce 1), so both addresses are
known before the devnet runs (:func:`default_addresses`), then funds and mints to the dev accounts.

Threading: py-evm is synchronous and slow, so one worker thread owns the chain; the asyncio side
submits work with :meth:`BaseDevnet.run`. Sealed blocks are published as immutable
:class:`BlockRecord` values, which the RPC reads from the event loop without the worker.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import rlp
from eth_abi import encode as abi_encode
from eth_hash.auto import keccak
from eth_utils import ValidationError, to_checksum_address

log = logging.getLogger("flockchain.base_devnet")

DEFAULT_CHAIN_ID = 8453
DEFAULT_BLOCK_TIME = 1.0
DEFAULT_FINALITY_LAG = 4
DEFAULT_HOME_CHAIN_ID = 31337
DEFAULT_DAILY_CAP = 1_000_000 * 10**18
GAS_LIMIT = 30_000_000
GENESIS_BASE_FEE = 10**9
SUGGESTED_TIP = 10**6
"""0.001 gwei: the priority fee Base's sequencer is typically paid."""
DEV_ETH = 10_000 * 10**18
DEV_FLOCK = 1_000_000 * 10**18
COINBASE = bytes.fromhex("4200000000000000000000000000000000000011")
"""Base's SequencerFeeVault, which receives its blocks' priority fees."""
DEPLOYER_ADDRESS = bytes.fromhex("bcd4042de499d14e55001ccbb24a551f3b954096")
"""genesis/dev.json's dev authority (test mnemonic, m/44'/60'/0'/0/10); checked against the spec at start."""

MAX_POOL_SIZE = 4096
MAX_PER_SENDER = 64
MAX_TX_BYTES = 128 * 1024
MAX_INITCODE_BYTES = 49_152
PRICE_BUMP_PERCENT = 10
SUPPORTED_TX_TYPES = (0, 1, 2)
CALL_GAS_CAP = 50_000_000
DEPLOY_GAS = 6_000_000
MINT_GAS = 120_000
ERROR_SELECTOR = keccak(b"Error(string)")[:4]
PANIC_SELECTOR = keccak(b"Panic(uint256)")[:4]


def compute_create_address(sender: bytes, nonce: int) -> bytes:
    """The address CREATE gives a contract deployed by `sender` at `nonce`: keccak(rlp([sender, nonce]))[12:]."""
    return keccak(rlp.encode([sender, nonce]))[12:]


TOKEN_ADDRESS = compute_create_address(DEPLOYER_ADDRESS, 0)
BRIDGE_ADDRESS = compute_create_address(DEPLOYER_ADDRESS, 1)


@dataclass(frozen=True)
class DefaultAddresses:
    deployer: bytes
    token: bytes
    bridge: bytes


def default_addresses() -> DefaultAddresses:
    """Where the devnet deploys MockFLOCK and FlockBridge, so the home chain's genesis can name them."""
    return DefaultAddresses(DEPLOYER_ADDRESS, TOKEN_ADDRESS, BRIDGE_ADDRESS)


# ---------------------------------------------------------------- errors


class TxPoolError(ValueError):
    """A raw transaction the pool refuses; the message is what geth would say."""


class HeaderNotFound(LookupError):
    """A block a state query named that the chain does not have."""


class ExecutionReverted(Exception):
    """eth_call/eth_estimateGas hit REVERT; `data` is the raw revert output."""

    def __init__(self, data: bytes):
        self.data = data
        reason = revert_reason(data)
        super().__init__(f"execution reverted: {reason}" if reason else "execution reverted")


class ExecutionFailed(Exception):
    """eth_call/eth_estimateGas failed without REVERT (out of gas, invalid opcode, bad call)."""


def revert_reason(data: bytes) -> str | None:
    """The reason of an Error(string) revert or a description of a Panic(uint256), else None."""
    from eth_abi import decode as abi_decode

    try:
        if data[:4] == ERROR_SELECTOR:
            return abi_decode(["string"], data[4:])[0]
        if data[:4] == PANIC_SELECTOR:
            return f"panic: 0x{abi_decode(['uint256'], data[4:])[0]:x}"
    except Exception:
        return None
    return None


# ---------------------------------------------------------------- JSON encoding


def qty(n: int) -> str:
    return hex(n)


def data_hex(b: bytes) -> str:
    return "0x" + bytes(b).hex()


def word_hex(n: int) -> str:
    return "0x" + n.to_bytes(32, "big").hex()


def bloom_hex(bloom: int) -> str:
    return "0x" + bloom.to_bytes(256, "big").hex()


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class Validator:
    address: bytes
    weight: int


@dataclass(frozen=True)
class LogRecord:
    """A sealed log with what eth_getLogs matches on, next to its JSON."""

    block_number: int
    address: bytes
    topics: tuple[bytes, ...]
    json: dict


@dataclass(frozen=True)
class BlockRecord:
    """A sealed block as the RPC serves it; built once by the worker, read by anyone."""

    number: int
    hash: bytes
    timestamp: int
    base_fee: int
    gas_used: int
    gas_limit: int
    header: object
    header_json: dict
    transactions: tuple[dict, ...]
    receipts: tuple[dict, ...]
    logs: tuple[LogRecord, ...]
    tip_rewards: tuple[tuple[int, int], ...]
    """(effective priority fee, gas used) per transaction, for eth_feeHistory."""

    def json(self, full_transactions: bool) -> dict:
        txs = list(self.transactions) if full_transactions else [t["hash"] for t in self.transactions]
        return dict(self.header_json, transactions=txs)


@dataclass(frozen=True)
class PendingTx:
    tx: object
    raw: bytes
    hash: bytes
    sender: bytes
    nonce: int
    gas: int
    max_fee: int
    tip: int
    cost: int
    seq: int

    def effective_tip(self, base_fee: int) -> int:
        return min(self.tip, self.max_fee - base_fee)


@dataclass(frozen=True)
class CallRequest:
    """eth_call / eth_estimateGas arguments, already parsed."""

    sender: bytes = b"\x00" * 20
    to: bytes | None = None
    data: bytes = b""
    value: int = 0
    gas: int | None = None
    gas_price: int = 0


@dataclass
class _Pool:
    by_sender: dict[bytes, dict[int, PendingTx]] = field(default_factory=dict)
    by_hash: dict[bytes, PendingTx] = field(default_factory=dict)

    def add(self, ptx: PendingTx) -> None:
        self.by_sender.setdefault(ptx.sender, {})[ptx.nonce] = ptx
        self.by_hash[ptx.hash] = ptx

    def remove(self, ptx: PendingTx) -> None:
        self.by_hash.pop(ptx.hash, None)
        txs = self.by_sender.get(ptx.sender)
        if txs is not None and txs.get(ptx.nonce) is ptx:
            del txs[ptx.nonce]
            if not txs:
                del self.by_sender[ptx.sender]

    def run_from(self, sender: bytes, nonce: int) -> list[PendingTx]:
        """The sender's pending transactions with consecutive nonces from `nonce`."""
        txs = self.by_sender.get(sender, {})
        run = []
        while nonce in txs:
            run.append(txs[nonce])
            nonce += 1
        return run


# ---------------------------------------------------------------- transaction views


def _access_list_json(access_list) -> list[dict]:
    return [{"address": data_hex(addr), "storageKeys": [word_hex(k) for k in keys]} for addr, keys in access_list]


def transaction_json(ptx: PendingTx, block: tuple[bytes, int, int] | None, base_fee: int | None) -> dict:
    """A transaction as geth shows it; `block` = (hash, number, index) once sealed, else pending."""
    tx = ptx.tx
    type_id = getattr(tx, "type_id", None) or 0
    out = {
        "blockHash": data_hex(block[0]) if block else None,
        "blockNumber": qty(block[1]) if block else None,
        "from": data_hex(ptx.sender),
        "gas": qty(tx.gas),
        "hash": data_hex(ptx.hash),
        "input": data_hex(tx.data),
        "nonce": qty(tx.nonce),
        "to": data_hex(tx.to) if tx.to else None,
        "transactionIndex": qty(block[2]) if block else None,
        "value": qty(tx.value),
        "type": qty(type_id),
    }
    if type_id == 0:
        out["gasPrice"] = qty(tx.gas_price)
        if tx.chain_id is not None:
            out["chainId"] = qty(tx.chain_id)
        out["v"] = qty(tx.v)
    else:
        out["chainId"] = qty(tx.chain_id)
        out["accessList"] = _access_list_json(tx.access_list)
        if type_id == 1:
            out["gasPrice"] = qty(tx.gas_price)
        else:
            out["maxFeePerGas"] = qty(tx.max_fee_per_gas)
            out["maxPriorityFeePerGas"] = qty(tx.max_priority_fee_per_gas)
            price = ptx.max_fee if base_fee is None else base_fee + ptx.effective_tip(base_fee)
            out["gasPrice"] = qty(price)
        out["v"] = qty(tx.y_parity)
        out["yParity"] = qty(tx.y_parity)
    out["r"] = qty(tx.r)
    out["s"] = qty(tx.s)
    return out


def header_json(header, size: int) -> dict:
    """Every Prague header field under geth's names, so a client can re-encode the header RLP."""
    return {
        "number": qty(header.block_number),
        "hash": data_hex(header.hash),
        "parentHash": data_hex(header.parent_hash),
        "sha3Uncles": data_hex(header.uncles_hash),
        "miner": data_hex(header.coinbase),
        "stateRoot": data_hex(header.state_root),
        "transactionsRoot": data_hex(header.transaction_root),
        "receiptsRoot": data_hex(header.receipt_root),
        "logsBloom": bloom_hex(header.bloom),
        "difficulty": qty(header.difficulty),
        "gasLimit": qty(header.gas_limit),
        "gasUsed": qty(header.gas_used),
        "timestamp": qty(header.timestamp),
        "extraData": data_hex(header.extra_data),
        "mixHash": data_hex(header.mix_hash),
        "nonce": data_hex(header.nonce),
        "baseFeePerGas": qty(header.base_fee_per_gas),
        "withdrawalsRoot": data_hex(header.withdrawals_root),
        "blobGasUsed": qty(header.blob_gas_used),
        "excessBlobGas": qty(header.excess_blob_gas),
        "parentBeaconBlockRoot": data_hex(header.parent_beacon_block_root),
        "requestsHash": data_hex(header.requests_hash),
        "totalDifficulty": "0x0",
        "size": qty(size),
        "uncles": [],
        "withdrawals": [],
    }


def _topic_bytes(topic: int) -> bytes:
    return topic.to_bytes(32, "big")


# ---------------------------------------------------------------- the devnet


def _dev_spec() -> dict:
    from genesis.builder import load_spec

    return load_spec("dev")


def spec_validators(spec: dict) -> tuple[Validator, ...]:
    """The spec's genesis authority set (set 0) with its weights, in consensus's canonical order: the bridge's
    default validator set mirrors the home chain's."""
    from runtime.modules import consensus

    authorities = consensus.canonical_order(consensus.parse_authority(entry)
                                            for entry in spec["genesis"]["runtime"]["consensus"]["authorities"])
    return tuple(Validator(address, weight) for address, weight in authorities)


class BaseDevnet:
    """A Base stand-in: a py-evm Prague chain, a mempool, and the bridge contracts deployed at block 1.

    Use it synchronously (`setup()`, `submit_raw_transaction()`, `seal_block()` from one thread) or
    under asyncio (`await start()`, `await run(method, ...)`, `await seal()`, `await stop()`), where
    every py-evm call runs on the devnet's single worker thread.
    """

    def __init__(
        self,
        chain_id: int = DEFAULT_CHAIN_ID,
        block_time: float | None = DEFAULT_BLOCK_TIME,
        finality_lag: int = DEFAULT_FINALITY_LAG,
        validators: tuple[Validator, ...] | None = None,
        home_chain_id: int = DEFAULT_HOME_CHAIN_ID,
        daily_cap: int = DEFAULT_DAILY_CAP,
        max_pool_size: int = MAX_POOL_SIZE,
        max_per_sender: int = MAX_PER_SENDER,
    ):
        if finality_lag < 0:
            raise ValueError("finality lag must not be negative")
        if block_time is not None and block_time <= 0:
            raise ValueError("block time must be positive")
        from chain.devkeys import dev_keys

        spec = _dev_spec()
        accounts, authority = dev_keys(spec)
        if authority is None or authority.address != DEPLOYER_ADDRESS:
            raise RuntimeError("genesis/dev.json's dev authority is not the devnet's deployer")
        self.chain_id = chain_id
        self.block_time = block_time
        self.finality_lag = finality_lag
        self.validators = tuple(validators) if validators else spec_validators(spec)
        self.home_chain_id = home_chain_id
        self.daily_cap = daily_cap
        self.max_pool_size = max_pool_size
        self.max_per_sender = max_per_sender
        self.deployer = authority.address
        self._deployer_key = authority.private_key
        self.dev_accounts = tuple(accounts) + (authority,)
        self.token_address = TOKEN_ADDRESS
        self.bridge_address = BRIDGE_ADDRESS
        self.chain = None
        self._blocks: list[BlockRecord] = []
        self._by_hash: dict[bytes, BlockRecord] = {}
        self._tx_location: dict[bytes, tuple[BlockRecord, int]] = {}
        self._pool = _Pool()
        self._seq = itertools.count()
        self._next_base_fee = GENESIS_BASE_FEE
        self._executor: ThreadPoolExecutor | None = None
        self._sealer: asyncio.Task | None = None

    # ------------------------------------------------------------ lifecycle

    def setup(self) -> None:
        """Build genesis, deploy MockFLOCK and FlockBridge, mint to the dev accounts, seal block 1."""
        from eth.chains.base import MiningChain
        from eth.constants import BLANK_ROOT_HASH
        from eth.db.atomic import AtomicDB
        from eth.vm.forks.prague import PragueVM

        from chain.bridge.compile import compile_contract

        chain_class = MiningChain.configure(
            __name__="BaseDevnetChain", vm_configuration=((0, PragueVM),), chain_id=self.chain_id
        )
        genesis = {
            "coinbase": COINBASE,
            "difficulty": 0,
            "gas_limit": GAS_LIMIT,
            "timestamp": int(time.time()) - 1,
            "extra_data": b"",
            "nonce": b"\x00" * 8,
            "base_fee_per_gas": GENESIS_BASE_FEE,
            "parent_beacon_block_root": BLANK_ROOT_HASH,
        }
        state = {a.address: {"balance": DEV_ETH, "nonce": 0, "code": b"", "storage": {}} for a in self.dev_accounts}
        self.chain = chain_class.from_genesis(AtomicDB(), genesis, state)
        self._publish(self.chain.get_canonical_block_by_number(0), ())

        token = compile_contract("MockFLOCK")
        bridge = compile_contract("FlockBridge")
        ctor = abi_encode(
            ["address", "address[]", "uint256[]", "uint256", "uint256"],
            [self.token_address, [v.address for v in self.validators], [v.weight for v in self.validators],
             self.home_chain_id, self.daily_cap],
        )
        mint = keccak(b"mint(address,uint256)")[:4]
        calls = [(None, token.bytecode, DEPLOY_GAS), (None, bridge.bytecode + ctor, DEPLOY_GAS)]
        calls += [(self.token_address, mint + abi_encode(["address", "uint256"], [a.address, DEV_FLOCK]), MINT_GAS)
                  for a in self.dev_accounts]
        hashes = [self.submit_raw_transaction(self._sign_deployer(nonce, to, data, gas))
                  for nonce, (to, data, gas) in enumerate(calls)]
        record = self.seal_block()
        failed = [r for r in record.receipts if r["status"] != "0x1"]
        if len(record.receipts) != len(hashes) or failed:
            raise RuntimeError(f"bridge deployment failed: {failed or 'transactions missing from block 1'}")
        if record.receipts[0]["contractAddress"] != data_hex(self.token_address) or \
                record.receipts[1]["contractAddress"] != data_hex(self.bridge_address):
            raise RuntimeError("bridge contracts deployed at unexpected addresses")

    def _sign_deployer(self, nonce: int, to: bytes | None, data: bytes, gas: int) -> bytes:
        from eth_account import Account

        tx = {"type": 2, "chainId": self.chain_id, "nonce": nonce, "gas": gas, "value": 0, "data": data,
              "maxFeePerGas": 2 * self._next_base_fee + SUGGESTED_TIP, "maxPriorityFeePerGas": SUGGESTED_TIP}
        if to:
            tx["to"] = to_checksum_address(to)
        return bytes(Account.sign_transaction(tx, self._deployer_key).raw_transaction)

    async def start(self) -> None:
        """Set up on the worker thread, then seal every `block_time` seconds (if set)."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="base-devnet")
        await self.run(self.setup)
        if self.block_time:
            self._sealer = asyncio.get_running_loop().create_task(self._seal_forever())

    async def stop(self) -> None:
        if self._sealer is not None:
            self._sealer.cancel()
            try:
                await self._sealer
            except asyncio.CancelledError:
                pass
            self._sealer = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def run(self, fn, *args):
        """Run `fn(*args)` on the worker thread that owns the chain."""
        if self._executor is None:
            raise RuntimeError("the devnet is not started")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def seal(self) -> BlockRecord:
        return await self.run(self.seal_block)

    async def _seal_forever(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time() + self.block_time
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            try:
                await self.seal()
            except Exception:
                log.exception("sealing a block failed")
            next_at = max(next_at + self.block_time, loop.time())

    # ------------------------------------------------------------ published views (any thread)

    @property
    def latest(self) -> BlockRecord:
        return self._blocks[-1]

    @property
    def next_base_fee(self) -> int:
        return self._next_base_fee

    def block_by_number(self, number: int) -> BlockRecord | None:
        blocks = self._blocks
        return blocks[number] if 0 <= number < len(blocks) else None

    def block_by_hash(self, block_hash: bytes) -> BlockRecord | None:
        return self._by_hash.get(block_hash)

    def resolve_tag(self, tag: str) -> int:
        """The block number a tag names: pending reads as latest; finalized/safe lag latest."""
        latest = len(self._blocks) - 1
        if tag in ("latest", "pending"):
            return latest
        if tag == "earliest":
            return 0
        if tag == "finalized":
            return max(0, latest - self.finality_lag)
        if tag == "safe":
            return max(0, latest - math.ceil(self.finality_lag / 2))
        raise ValueError(f"unknown block tag {tag!r}")

    def receipt_by_hash(self, tx_hash: bytes) -> dict | None:
        loc = self._tx_location.get(tx_hash)
        return None if loc is None else loc[0].receipts[loc[1]]

    def sealed_transaction(self, tx_hash: bytes) -> dict | None:
        loc = self._tx_location.get(tx_hash)
        return None if loc is None else loc[0].transactions[loc[1]]

    # ------------------------------------------------------------ worker-thread methods

    def transaction_by_hash(self, tx_hash: bytes) -> dict | None:
        """A sealed or pending transaction (worker thread: the pool is the worker's)."""
        sealed = self.sealed_transaction(tx_hash)
        if sealed is not None:
            return sealed
        ptx = self._pool.by_hash.get(tx_hash)
        return None if ptx is None else transaction_json(ptx, None, None)

    def pending_count(self) -> int:
        return len(self._pool.by_hash)

    def _state(self, number: int):
        record = self.block_by_number(number)
        if record is None:
            raise HeaderNotFound("header not found")
        return self.chain.get_vm(record.header).state

    def get_balance(self, address: bytes, number: int) -> int:
        return self._state(number).get_balance(address)

    def get_code(self, address: bytes, number: int) -> bytes:
        return self._state(number).get_code(address)

    def get_storage_at(self, address: bytes, slot: int, number: int) -> int:
        return self._state(number).get_storage(address, slot)

    def get_nonce(self, address: bytes, number: int, pending: bool = False) -> int:
        nonce = self._state(number).get_nonce(address)
        return nonce + len(self._pool.run_from(address, nonce)) if pending else nonce

    def submit_raw_transaction(self, raw: bytes) -> bytes:
        """Validate a raw transaction against the latest state and add it to the pool; return its hash."""
        if len(raw) > MAX_TX_BYTES:
            raise TxPoolError(f"oversized data: transaction size {len(raw)}, limit {MAX_TX_BYTES}")
        if not raw:
            raise TxPoolError("typed transaction too short")
        if raw[0] < 0xC0 and raw[0] not in SUPPORTED_TX_TYPES:
            raise TxPoolError("transaction type not supported")
        vm = self.chain.get_vm(self.latest.header)
        try:
            tx = vm.get_transaction_builder().decode(raw)
        except Exception as error:
            raise TxPoolError(f"rlp: transaction decoding failed: {error}") from None
        try:
            tx.validate()
            sender = bytes(tx.sender)
        except Exception as error:
            raise TxPoolError(f"invalid sender: {error}") from None
        if tx.chain_id is None:
            raise TxPoolError("only replay-protected (EIP-155) transactions allowed over RPC")
        if tx.chain_id != self.chain_id:
            raise TxPoolError(f"invalid chain id: have {tx.chain_id}, want {self.chain_id}")
        max_fee, tip = tx.max_fee_per_gas, tx.max_priority_fee_per_gas
        if tip > max_fee:
            raise TxPoolError("max priority fee per gas higher than max fee per gas")
        if tx.gas > GAS_LIMIT:
            raise TxPoolError("exceeds block gas limit")
        if not tx.to and len(tx.data) > MAX_INITCODE_BYTES:
            raise TxPoolError(f"max initcode size exceeded: code size {len(tx.data)}, limit {MAX_INITCODE_BYTES}")
        intrinsic = tx.intrinsic_gas
        if tx.gas < intrinsic:
            raise TxPoolError(f"intrinsic gas too low: gas {tx.gas}, minimum needed {intrinsic}")
        tx_hash = bytes(tx.hash)
        if tx_hash in self._pool.by_hash or tx_hash in self._tx_location:
            raise TxPoolError("already known")
        state = vm.state
        nonce = state.get_nonce(sender)
        if tx.nonce < nonce:
            raise TxPoolError(f"nonce too low: next nonce {nonce}, tx nonce {tx.nonce}")
        if tx.nonce >= 2**64 - 1:
            raise TxPoolError("nonce has max value")
        mine = self._pool.by_sender.get(sender, {})
        old = mine.get(tx.nonce)
        if old is not None:
            bump = 100 + PRICE_BUMP_PERCENT
            if max_fee * 100 < old.max_fee * bump or tip * 100 < old.tip * bump:
                raise TxPoolError("replacement transaction underpriced")
        elif len(mine) >= self.max_per_sender:
            raise TxPoolError(f"account limit exceeded: {self.max_per_sender} pending transactions from "
                              f"{data_hex(sender)}")
        elif len(self._pool.by_hash) >= self.max_pool_size:
            raise TxPoolError("txpool is full")
        cost = tx.gas * max_fee + tx.value
        balance = state.get_balance(sender)
        ahead = sum(p.cost for n, p in mine.items() if nonce <= n < tx.nonce)
        if balance < ahead + cost:
            raise TxPoolError(f"insufficient funds for gas * price + value: address {data_hex(sender)} "
                              f"have {balance} want {ahead + cost}")
        if old is not None:
            self._pool.remove(old)
        self._pool.add(PendingTx(tx, bytes(raw), tx_hash, sender, tx.nonce, tx.gas, max_fee, tip, cost,
                                 next(self._seq)))
        return tx_hash

    def seal_block(self) -> BlockRecord:
        """Seal the next block: per sender its consecutive nonces, best tip first, up to the gas limit."""
        chain = self.chain
        parent = self.latest
        timestamp = max(parent.timestamp + 1, int(time.time()))
        chain.header = chain.header.copy(timestamp=timestamp, coinbase=COINBASE, gas_limit=GAS_LIMIT)
        base_fee = chain.header.base_fee_per_gas
        state = chain.get_vm(parent.header).state
        runs = {sender: self._pool.run_from(sender, state.get_nonce(sender)) for sender in self._pool.by_sender}
        heap = []

        def offer(run: list[PendingTx], i: int) -> None:
            if i < len(run) and run[i].max_fee >= base_fee:
                heapq.heappush(heap, (-run[i].effective_tip(base_fee), run[i].seq, i, run))

        for run in runs.values():
            offer(run, 0)
        included: list[PendingTx] = []
        while heap:
            _tip, _seq, i, run = heapq.heappop(heap)
            ptx = run[i]
            if ptx.gas > chain.header.gas_limit - chain.header.gas_used:
                continue
            try:
                chain.apply_transaction(ptx.tx)
            except ValidationError as error:
                log.warning("dropped transaction %s from %s: %s", data_hex(ptx.hash), data_hex(ptx.sender), error)
                self._pool.remove(ptx)
                continue
            except Exception:
                log.exception("dropped transaction %s: applying it failed", data_hex(ptx.hash))
                self._pool.remove(ptx)
                continue
            included.append(ptx)
            offer(run, i + 1)
        block = chain.mine_block()
        for ptx in included:
            self._pool.remove(ptx)
        self._prune_pool()
        self._next_base_fee = chain.header.base_fee_per_gas
        return self._publish(block, tuple(included))

    def _prune_pool(self) -> None:
        state = self.chain.get_vm().state
        for sender in list(self._pool.by_sender):
            nonce = state.get_nonce(sender)
            for ptx in [p for n, p in self._pool.by_sender[sender].items() if n < nonce]:
                self._pool.remove(ptx)

    def _publish(self, block, included: tuple[PendingTx, ...]) -> BlockRecord:
        header = block.header
        block_hash = bytes(header.hash)
        number = header.block_number
        receipts = block.get_receipts(self.chain.chaindb) if included else ()
        base_fee = header.base_fee_per_gas
        txs, receipt_views, logs, tips = [], [], [], []
        previous_cumulative = 0
        for index, (ptx, receipt) in enumerate(zip(included, receipts)):
            location = (block_hash, number, index)
            txs.append(transaction_json(ptx, location, base_fee))
            gas_used = receipt.gas_used - previous_cumulative
            previous_cumulative = receipt.gas_used
            tip = ptx.effective_tip(base_fee)
            tips.append((tip, gas_used))
            log_views = []
            for entry in receipt.logs:
                view = {
                    "address": data_hex(entry.address),
                    "topics": [data_hex(_topic_bytes(t)) for t in entry.topics],
                    "data": data_hex(entry.data),
                    "blockNumber": qty(number),
                    "blockHash": data_hex(block_hash),
                    "blockTimestamp": qty(header.timestamp),
                    "transactionHash": data_hex(ptx.hash),
                    "transactionIndex": qty(index),
                    "logIndex": qty(len(logs)),
                    "removed": False,
                }
                logs.append(LogRecord(number, bytes(entry.address), tuple(_topic_bytes(t) for t in entry.topics),
                                      view))
                log_views.append(view)
            tx = ptx.tx
            receipt_views.append({
                "type": qty(getattr(tx, "type_id", None) or 0),
                "status": "0x1" if receipt.state_root == b"\x01" else "0x0",
                "cumulativeGasUsed": qty(receipt.gas_used),
                "gasUsed": qty(gas_used),
                "logsBloom": bloom_hex(receipt.bloom),
                "logs": log_views,
                "transactionHash": data_hex(ptx.hash),
                "transactionIndex": qty(index),
                "blockHash": data_hex(block_hash),
                "blockNumber": qty(number),
                "from": data_hex(ptx.sender),
                "to": data_hex(tx.to) if tx.to else None,
                "contractAddress": None if tx.to else data_hex(compute_create_address(ptx.sender, ptx.nonce)),
                "effectiveGasPrice": qty(base_fee + tip),
            })
        record = BlockRecord(
            number=number, hash=block_hash, timestamp=header.timestamp, base_fee=base_fee,
            gas_used=header.gas_used, gas_limit=header.gas_limit, header=header,
            header_json=header_json(header, len(rlp.encode(block))), transactions=tuple(txs),
            receipts=tuple(receipt_views), logs=tuple(logs), tip_rewards=tuple(tips),
        )
        for index, ptx in enumerate(included):
            self._tx_location[ptx.hash] = (record, index)
        self._by_hash[block_hash] = record
        self._blocks.append(record)
        return record

    # ------------------------------------------------------------ calls

    def _execute(self, request: CallRequest, number: int, gas: int):
        from eth.vm.spoof import SpoofTransaction

        record = self.block_by_number(number)
        if record is None:
            raise HeaderNotFound("header not found")
        vm = self.chain.get_vm(record.header.copy(base_fee_per_gas=0))
        state = vm.state
        tx = vm.create_unsigned_transaction(
            nonce=state.get_nonce(request.sender), gas_price=request.gas_price, gas=gas,
            to=request.to or b"", value=request.value, data=request.data,
        )
        snapshot = state.snapshot()
        try:
            return state.costless_execute_transaction(SpoofTransaction(tx, from_=request.sender))
        except ValidationError as error:
            raise ExecutionFailed(_call_validation_message(str(error))) from None
        finally:
            state.revert(snapshot)

    @staticmethod
    def _raise_if_failed(computation) -> None:
        from eth.exceptions import Revert

        if not computation.is_error:
            return
        if isinstance(computation.error, Revert):
            raise ExecutionReverted(bytes(computation.output))
        raise ExecutionFailed(_vm_error_message(computation.error))

    def call(self, request: CallRequest, number: int) -> bytes:
        """eth_call: run against block `number`'s state in its block context; return the output."""
        gas = min(request.gas or CALL_GAS_CAP, CALL_GAS_CAP)
        computation = self._execute(request, number, gas)
        self._raise_if_failed(computation)
        return bytes(computation.output)

    def estimate_gas(self, request: CallRequest, number: int) -> int:
        """eth_estimateGas as geth does it: the least gas limit (within 1.5%) at which the call succeeds."""
        cap = min(request.gas or GAS_LIMIT, GAS_LIMIT)
        first = self._execute(request, number, cap)
        self._raise_if_failed(first)
        used = first.get_gas_used() + _intrinsic_gas(request)

        def succeeds(gas: int) -> bool:
            try:
                return not self._execute(request, number, gas).is_error
            except ExecutionFailed:
                return False

        lo, hi = used - 1, cap
        optimistic = min(cap, used * 64 // 63 + 2300)
        if succeeds(optimistic):
            hi = optimistic
        else:
            lo = optimistic
        while hi - lo > 1 and (hi - lo) * 1000 > hi * 15:
            mid = (lo + hi) // 2
            if succeeds(mid):
                hi = mid
            else:
                lo = mid
        return hi


def _intrinsic_gas(request: CallRequest) -> int:
    zeros = request.data.count(0)
    gas = 21_000 + 4 * zeros + 16 * (len(request.data) - zeros)
    if request.to is None:
        gas += 32_000 + 2 * ((len(request.data) + 31) // 32)
    return gas


def _vm_error_message(error) -> str:
    name = type(error).__name__
    messages = {"OutOfGas": "out of gas", "InsufficientFunds": "insufficient balance for transfer",
                "InvalidInstruction": "invalid opcode", "StackDepthLimit": "max call depth exceeded",
                "WriteProtection": "write protection", "ContractCreationCollision": "contract address collision"}
    return messages.get(name, f"{name}: {error}" if str(error) else name)


def _call_validation_message(message: str) -> str:
    if "balance" in message:
        return f"insufficient funds for gas * price + value: {message}"
    if "intrinsic" in message.lower():
        return f"intrinsic gas too low: {message}"
    return message
