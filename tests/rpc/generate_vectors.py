"""Write the JSON-RPC vectors (tests/rpc/vectors/<method>/<case>.io) by running each case's
requests against a real `flockchain dev` fresh from genesis, and recording the answers.

    python -m tests.rpc.generate_vectors      # (re)writes every vector, then replays them all

Cases are functions below, one per file, grouped by method. Read-only cases run in order on
one node; each stateful case (it seals blocks) runs on a node of its own, started from
genesis, and is marked `// stateful:` so the runner replays it between evm_snapshot and
evm_revert. Blocks are sealed at pinned timestamps (evm_setNextBlockTimestamp / evm_mine),
so block hashes are deterministic; the few answers that are not (filter and snapshot ids)
are marked `speconly`. After writing, the vectors are replayed with the runner on a fresh
node: a vector that does not replay (an answer that varies but is not marked) fails here.

A case may record a known server bug: `expect=` gives the correct answer, which is written
instead of the node's; the file gets a `// known bug:` line, and tests/rpc/test_rpc_vectors.py
marks it xfail(strict=True) until the bug is fixed (then regenerate without `bug=`).
"""

import json
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector, keccak

from runtime.modules import balances

from .devchain import CHAIN_ID, GWEI, dev_account, start_dev_chain, stop_dev_chain
from .vector_runner import (SPECONLY_NEXT, STATEFUL, VECTOR_DIR, Exchange, VectorError, compare, learn_substitutions,
                            load_vectors, parse_vector, run_all, substitute)

UNIT = 10**18
DEV = [dev_account(i).address for i in range(11)]
AUTHOR = DEV[10]
"""The dev chain's block author and root (genesis/dev.json authorityIndex)."""
UNFUNDED_KEY = b"\x00" * 31 + b"\x01"
UNFUNDED = Account.from_key(UNFUNDED_KEY).address
NOBODY = "0x000000000000000000000000000000000000dead"
SYSTEM = "0x0000000000000000000000000000000000000800"
BALANCES = "0x0000000000000000000000000000000000000801"
UNKNOWN_HASH = "0x" + "ab" * 32
UNKNOWN_ID = "0x" + "cd" * 16
BEYOND_64_BITS = hex(2**64)
T0 = 1_700_000_000
"""Timestamp pinned for the first block a stateful case seals (later ones go up by 12 s)."""
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()


def selector(signature: str) -> bytes:
    return function_signature_to_4byte_selector(signature)


def calldata(signature: str, types: list[str] = (), values: list = ()) -> str:
    return "0x" + (selector(signature) + abi_encode(list(types), list(values))).hex()


def transfer_call(to: str, value: int) -> str:
    return calldata("transfer(address,uint256)", ["address", "uint256"], [to, value])


def topic(address: str) -> str:
    return "0x" + "00" * 12 + address[2:].lower()


def sign(sender: int = 0, *, nonce: int = 0, tx_type: int = 2, to: str | None = DEV[9], value: int = UNIT,
         gas: int = 21_000, data: str = "0x", chain_id: int | None = CHAIN_ID, max_fee: int = 2 * GWEI,
         tip: int = GWEI, gas_price: int = 2 * GWEI, key: bytes | None = None) -> str:
    """A raw signed transaction with fixed fields (so its hash is the same every run)."""
    tx = {"nonce": nonce, "value": value, "gas": gas, "data": data}
    if to is not None:
        tx["to"] = to
    if chain_id is not None:
        tx["chainId"] = chain_id
    if tx_type == 2:
        tx.update(type=2, maxFeePerGas=max_fee, maxPriorityFeePerGas=tip)
    elif tx_type == 1:
        tx.update(type=1, gasPrice=gas_price, accessList=[])
    else:
        tx.update(gasPrice=gas_price)
    return Account.sign_transaction(tx, key or dev_account(sender).key).raw_transaction.to_0x_hex()


# sessions ---------------------------------------------------------------------------------

class Ref(str):
    """A string a schema-only answer returned: using it in a later request is what the runner's
    substitution is for. Any other string equal to it would be substituted too, so that is refused."""


def _refs(value) -> object:
    if isinstance(value, str):
        return Ref(value)
    if isinstance(value, list):
        return [_refs(v) for v in value]
    if isinstance(value, dict):
        return {k: _refs(v) for k, v in value.items()}
    return value


def _plain_strings(value) -> list[str]:
    if isinstance(value, Ref):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _plain_strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _plain_strings(v)]
    return []


def _result_strings(response) -> set[str]:
    found = set()
    for item in response if isinstance(response, list) else [response]:
        if isinstance(item, dict) and "result" in item:
            found.update(s for s in _all_strings(item["result"]))
    return found


def _all_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _all_strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _all_strings(v)]
    return []


@dataclass
class Recorded:
    request: str
    response: object
    speconly: str | None


class Session:
    """What a case function talks to: each request goes to the node and is recorded with its answer."""

    def __init__(self, url: str, case: "Case"):
        self.url = url
        self.case = case
        self.http = requests.Session()
        self.recorded: list[Recorded] = []
        self.bound: set[str] = set()
        self.next_id = 1
        self.bugs: list[str] = []

    def send(self, body, speconly: str | None = None, expect=None, bug: str | None = None):
        """Send a body (a request object, a batch, or raw text sent verbatim); returns the parsed answer.

        `expect` (with `bug`) is the correct answer, written instead of the node's (a known bug).
        """
        if not isinstance(body, str):
            clashes = set(_plain_strings(body)) & self.bound
            if clashes:
                raise ValueError(f"{self.case.name}: {sorted(clashes)} in a request equals a schema-only answer; "
                                 "the runner would substitute it: pass the returned value (a Ref) instead")
        text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
        if "\n" in text:
            raise ValueError(f"{self.case.name}: a request must fit on one line")
        response = self.http.post(self.url, data=text.encode(), timeout=60, headers={"Content-Type": "application/json"})
        answer = response.json() if response.content.strip() else None
        written = answer
        if bug is not None:
            if expect is None:
                raise ValueError("bug= needs expect=")
            written = expect
            if answer == expect:
                raise AssertionError(f"{self.case.name}: the known bug is fixed ({bug}): drop bug= and expect=")
            self.bugs.append(bug)
        elif expect is not None:
            raise ValueError("expect= is only for known bugs (bug=)")
        self.recorded.append(Recorded(text, written, speconly))
        if speconly is not None and answer is not None:
            self.bound |= _result_strings(answer)
            return _refs(answer)
        return answer

    def call(self, method: str, *params, speconly: str | None = None, expect=None, bug: str | None = None):
        request = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params:
            request["params"] = list(params)
        self.next_id += 1
        if expect is not None:
            expect = {"jsonrpc": "2.0", "id": request["id"], **expect}
        return self.send(request, speconly, expect, bug)

    def result(self, method: str, *params, speconly: str | None = None):
        """call, asserting the answer is a result (not an error); returns the result."""
        answer = self.call(method, *params, speconly=speconly)
        if not isinstance(answer, dict) or "result" not in answer:
            raise AssertionError(f"{self.case.name}: {method} failed: {answer}")
        return answer["result"]

    def notify(self, method: str, *params):
        """A notification (no id): the node must not answer."""
        return self.send({"jsonrpc": "2.0", "method": method, "params": list(params)})

    def peek(self, method: str, *params):
        """A request that is not recorded (to find values the case needs)."""
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        return self.http.post(self.url, json=body, timeout=60).json()["result"]

    def seal_at(self, timestamp: int) -> None:
        """The next block (sealed by the transaction or evm_mine that follows) gets this timestamp."""
        self.call("evm_setNextBlockTimestamp", timestamp)


@dataclass
class Case:
    method: str
    name: str
    description: str
    run: Callable[[Session], None]
    stateful: bool = False
    speconly: str | None = None
    """Whole-file schema-only (execution-apis `// speconly:` in the header)."""

    @property
    def path(self) -> str:
        return f"{self.method}/{self.name}"

    def text(self, session: Session) -> str:
        lines = [f"// {line}" for line in self.description.splitlines()]
        if self.speconly:
            lines.append(f"// speconly: {self.speconly}")
        if self.stateful:
            lines.append(f"// {STATEFUL} seals blocks; replayed from genesis between evm_snapshot and evm_revert")
        lines += [f"// known bug: {bug}" for bug in session.bugs]
        for item in self.stabilised(session.recorded):
            if item.speconly is not None and not self.speconly:
                lines.append(f"// {SPECONLY_NEXT} {item.speconly}")
            lines.append(f">> {item.request}")
            if item.response is not None:
                lines.append("<< " + json.dumps(item.response, separators=(",", ":")))
        return "\n".join(lines) + "\n"


    def stabilised(self, recorded: list[Recorded]) -> list[Recorded]:
        """The recording, with each schema-only answer kept as the checked-in file has it when the new one
        has the same shape (and later requests using its values rewritten to match), so regenerating
        changes no file whose case and answers did not change."""
        path = VECTOR_DIR / f"{self.path}.io"
        try:
            old = parse_vector(path, VECTOR_DIR) if path.exists() else None
        except VectorError:
            old = None
        if old is None or len(old.exchanges) != len(recorded):
            return recorded
        table: dict[str, str] = {}
        kept = []
        for new, previous in zip(recorded, old.exchanges):
            request = substitute(new.request, table)
            if request != previous.request:
                return recorded
            response = new.response
            if (self.speconly or new.speconly) and response is not None and previous.expected is not None:
                try:
                    compare(response, Exchange(request, previous.expected), True)
                except AssertionError:
                    return recorded
                learn_substitutions(previous.expected, response, table)
                response = previous.expected
            kept.append(Recorded(request, response, new.speconly))
        return kept


CASES: list[Case] = []


def case(method: str, name: str, description: str, stateful: bool = False, speconly: str | None = None):
    def register(run: Callable[[Session], None]):
        CASES.append(Case(method, name, description, run, stateful, speconly))
        return run
    return register


def simple(method: str, name: str, description: str, *params, **kwargs) -> None:
    """A one-request read-only case."""
    case(method, name, description)(lambda s: s.call(method, *params, **kwargs))


FILTER_IDS = "filter ids are random"
SNAPSHOT_IDS = "snapshot ids count every snapshot the node has taken"
WALL_CLOCK = "the block's timestamp comes from the wall clock"

# the JSON-RPC 2.0 protocol itself (not a method) -------------------------------------------

P = "_jsonrpc"
simple_protocol = [
    ("parse-error", "a body that is not JSON: -32700 with id null", '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"'),
    ("parse-error-single-quotes", "JSON with single quotes is not JSON: -32700", "{'jsonrpc':'2.0','id':1}"),
    ("parse-error-empty-body", "an empty body is a parse error", ""),
    ("parse-error-trailing-garbage", "a request followed by more text is not one JSON value",
     '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"} x'),
    ("invalid-request-not-an-object", "a JSON value that is not a request object: -32600", "42"),
    ("invalid-request-string", "a JSON string is not a request", '"eth_chainId"'),
    ("invalid-request-missing-jsonrpc", "jsonrpc is required: -32600, the id echoed",
     {"id": 1, "method": "eth_chainId"}),
    ("invalid-request-wrong-version", "jsonrpc must be exactly \"2.0\"", {"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"}),
    ("invalid-request-method-not-string", "method must be a string", {"jsonrpc": "2.0", "id": 1, "method": 42}),
    ("invalid-request-missing-method", "method is required", {"jsonrpc": "2.0", "id": 1}),
    ("invalid-request-object-id", "an id must be a string, number or null: -32600 with id null",
     {"jsonrpc": "2.0", "id": {"a": 1}, "method": "eth_chainId"}),
    ("invalid-request-fractional-id", "a fractional id is refused (-32600, id null)",
     {"jsonrpc": "2.0", "id": 1.5, "method": "eth_chainId"}),
    ("invalid-request-missing-jsonrpc-no-id", "an invalid request without id still gets an error (id null)",
     {"method": "eth_chainId"}),
    ("method-not-found", "an unknown method: -32601", {"jsonrpc": "2.0", "id": 1, "method": "eth_noSuchMethod"}),
    ("method-not-found-case-sensitive", "method names are case-sensitive",
     {"jsonrpc": "2.0", "id": 1, "method": "ETH_CHAINID"}),
    ("params-not-array-or-object", "params must be an array or an object: -32602",
     {"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": "0x00"}),
    ("params-named", "params by name (an object) are accepted",
     {"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": {"address": DEV[0], "block": "0x0"}}),
    ("params-named-unknown", "an unknown named parameter: -32602",
     {"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": {"address": DEV[0], "blok": "0x0"}}),
    ("params-too-many", "more parameters than the method takes: -32602",
     {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": [1]}),
    ("params-missing", "a required parameter missing: -32602",
     {"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": []}),
    ("id-string", "a string id is echoed", {"jsonrpc": "2.0", "id": "abc", "method": "eth_chainId"}),
    ("id-null", "id null is a request (answered with id null), not a notification",
     {"jsonrpc": "2.0", "id": None, "method": "eth_chainId"}),
    ("id-large-number", "a number id beyond 64 bits is echoed exactly",
     {"jsonrpc": "2.0", "id": 2**70, "method": "eth_chainId"}),
    ("id-negative", "a negative id is echoed", {"jsonrpc": "2.0", "id": -7, "method": "eth_chainId"}),
    ("id-unicode", "a non-ASCII string id is echoed", {"jsonrpc": "2.0", "id": "ид-🦆", "method": "eth_chainId"}),
    ("empty-batch", "an empty batch: one -32600 error, not an array", []),
    ("batch-of-non-objects", "each non-object item of a batch gets its own -32600", [1, 2, 3]),
    ("batch-mixed", "a batch mixing a result, an error, a notification and an invalid item: answers in order, "
     "none for the notification", [
         {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
         {"jsonrpc": "2.0", "id": 2, "method": "eth_noSuchMethod"},
         {"jsonrpc": "2.0", "method": "eth_blockNumber"},
         {"jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": ["0x01"]},
         "not a request",
         {"jsonrpc": "2.0", "id": "four", "method": "net_version"}]),
    ("batch-of-notifications", "a batch of notifications only: no answer at all", [
        {"jsonrpc": "2.0", "method": "eth_chainId"}, {"jsonrpc": "2.0", "method": "eth_noSuchMethod"}]),
    ("batch-over-limit", "a batch of 1001 requests exceeds the limit of 1000: one -32005 error",
     [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(1001)]),
    ("batch-at-limit", "a batch of exactly 1000 requests is answered in full",
     [{"jsonrpc": "2.0", "id": i, "method": "net_listening"} for i in range(1000)]),
    ("batch-nested", "a batch inside a batch is an invalid item", [[{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}]]),
    ("notification", "a notification (no id) gets no answer", {"jsonrpc": "2.0", "method": "eth_chainId"}),
    ("notification-unknown-method", "a notification of an unknown method gets no answer either",
     {"jsonrpc": "2.0", "method": "eth_noSuchMethod"}),
    ("notification-bad-params", "a notification with bad params gets no answer",
     {"jsonrpc": "2.0", "method": "eth_getBalance", "params": ["nope"]}),
]
for _name, _description, _body in simple_protocol:
    case(P, _name, _description)(lambda s, body=_body: s.send(body))


@case(P, "invalid-request-boolean-id", "a boolean id is not a valid id: -32600 with id null")
def _(s):
    s.send({"jsonrpc": "2.0", "id": True, "method": "eth_chainId"})


@case(P, "batch-of-transactions", "a batch of two transactions lands in one block; answers in request order",
      stateful=True)
def _(s):
    s.seal_at(T0)
    s.send([{"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [sign(0)]},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": [sign(1)]}])
    s.call("eth_getBlockTransactionCountByNumber", "0x1")


# identity and constants ---------------------------------------------------------------------

simple("web3_clientVersion", "version", "the node software's name and version")
simple("net_version", "chain-id-decimal", "the chain id in decimal")
simple("net_listening", "listening", "the node is serving")
simple("net_peerCount", "no-peers", "a dev node has no peers")
simple("eth_chainId", "dev-chain", "the dev chain's id, 31337")
simple("eth_chainId", "bad-params", "eth_chainId takes no parameters", "0x1")
simple("eth_blockNumber", "genesis", "a fresh dev chain is at block 0")
simple("eth_syncing", "not-syncing", "a dev node is never syncing")
simple("eth_accounts", "dev-accounts", "the ten dev accounts the node signs for")
simple("eth_gasPrice", "genesis", "the next block's base fee (below genesis's, as it was empty) plus the 1 gwei tip")
simple("eth_maxPriorityFeePerGas", "suggested-tip", "the suggested tip: 1 gwei")
simple("system_name", "name", "the implementation's name")
simple("system_version", "version", "the implementation's version")
simple("system_chain", "chain-name", "the chain spec's name")
simple("system_properties", "token", "token symbol and decimals from the chain spec")
simple("system_health", "dev-node", "no peers, not syncing, none expected on a dev chain")
simple("system_peers", "none", "a dev node has no peers")
simple("system_localPeerId", "dev-node", "a dev node has no network identity")
simple("flock_modules", "all", "every runtime module with its address and Solidity ABI")
simple("flock_getRandomness", "current-epoch", "the current epoch's randomness (epoch 0 at genesis)")
simple("flock_getRandomness", "epoch-zero", "epoch 0 by number", "0x0")
simple("flock_getRandomness", "epoch-not-reached", "an epoch the chain has not reached: null", "0x64")
simple("flock_getRandomness", "bad-epoch", "not a quantity: -32602", "first")


@case("flock_getRandomness", "epoch-beyond-64-bits", "an epoch of 2^64 has never been reached: null")
def _(s):
    s.call("flock_getRandomness", BEYOND_64_BITS)


simple("flock_listTasks", "none", "no task yet: an empty list")
simple("flock_getTask", "unknown", "a task that does not exist: null", "0x0")
simple("flock_getTask", "bad-id", "not a quantity: -32602", "task-0")
simple("flock_getTask", "missing-id", "no task id: -32602")
simple("flock_getRound", "unknown-task", "a round of a task that does not exist: null", "0x0", "0x0")
simple("flock_getRound", "bad-round", "not a quantity: -32602", "0x0", 1)
simple("flock_listArenaTasks", "none", "no Arena task yet: an empty list")
simple("flock_getArenaTask", "unknown", "an Arena task that does not exist: null", "0x0")
simple("flock_getArenaTask", "bad-id", "not a quantity: -32602", "task-0")
simple("flock_bridgeInfo", "dev", "the dev chain's Base side: chain id 8453, the base-devnet addresses, both ABIs")
simple("flock_bridgeDeposit", "not-minted", "a deposit nonce not minted here: null", "0x0")
simple("flock_bridgeDeposit", "bad-nonce", "not a quantity: -32602", "zero")
simple("flock_bridgeWithdrawals", "none", "no withdrawal yet: an empty list")
simple("flock_bridgeWithdrawals", "bad-limit", "not a quantity: -32602", "0x0", -1)
simple("flock_bridgeStatus", "fresh", "nothing bridged yet; no Base block accepted")


simple("rpc.discover", "openrpc", "the OpenRPC document, generated from the method registry")
simple("state_getRuntimeVersion", "head", "the runtime's name and versions")
simple("state_getRuntimeVersion", "unknown-block", "at an unknown block: -32001", UNKNOWN_HASH)

# accounts ---------------------------------------------------------------------------------

simple("eth_getBalance", "funded-latest", "a dev account's 10,000 FLOCK at the head", DEV[0], "latest")
simple("eth_getBalance", "funded-genesis-number", "the same by block number", DEV[1], "0x0")
simple("eth_getBalance", "earliest", "the earliest tag is genesis", DEV[2], "earliest")
simple("eth_getBalance", "pending-tag", "the pending tag reads the head", DEV[3], "pending")
simple("eth_getBalance", "block-omitted", "the block defaults to latest", DEV[4])
simple("eth_getBalance", "lowercase-address", "addresses need no checksum", DEV[5].lower(), "latest")
simple("eth_getBalance", "unfunded", "an account never seen has balance 0", NOBODY, "latest")
simple("eth_getBalance", "module-address", "a module's own address holds nothing", BALANCES, "latest")
simple("eth_getBalance", "block-not-found", "a block beyond the head: -32001", DEV[0], "0x5")
simple("eth_getBalance", "short-address", "a 19-byte address: -32602", "0x" + "11" * 19, "latest")
simple("eth_getBalance", "address-without-prefix", "hex without 0x: -32602", DEV[0][2:], "latest")
simple("eth_getBalance", "address-not-a-string", "a number is not an address: -32602", 42, "latest")
simple("eth_getBalance", "unknown-tag", "an unknown block tag: -32602", DEV[0], "newest")
simple("eth_getBalance", "quantity-leading-zero", "block numbers have no leading zeros: -32602", DEV[0], "0x00")
simple("eth_getBalance", "quantity-too-large", "a block number beyond 256 bits: -32602", DEV[0], "0x1" + "0" * 64)
simple("eth_getBalance", "missing-address", "the address is required: -32602")
simple("eth_getBalance", "block-by-number-object", "EIP-1898 {blockNumber}", DEV[0], {"blockNumber": "0x0"})
simple("eth_getBalance", "block-object-empty", "EIP-1898 object without blockNumber or blockHash: -32602", DEV[0], {})
simple("eth_getBalance", "block-by-unknown-hash", "EIP-1898 {blockHash} of an unknown block: -32001", DEV[0],
       {"blockHash": UNKNOWN_HASH})


@case("eth_getBalance", "block-by-hash-object", "EIP-1898 {blockHash} of genesis")
def _(s):
    s.call("eth_getBalance", DEV[0], {"blockHash": s.peek("eth_getBlockByNumber", "0x0", False)["hash"]})


@case("eth_getBalance", "block-beyond-64-bits", "a block number of 2^64 is simply not found: -32001")
def _(s):
    s.call("eth_getBalance", DEV[0], BEYOND_64_BITS)


@case("eth_getBalance", "after-transfer", "balances of sender and recipient before and after a transfer",
      stateful=True)
def _(s):
    s.seal_at(T0)
    s.call("eth_sendRawTransaction", sign(0, value=3 * UNIT))
    for block in ("0x0", "0x1"):
        s.call("eth_getBalance", DEV[0], block)
        s.call("eth_getBalance", DEV[9], block)
        s.call("eth_getBalance", AUTHOR, block)


simple("eth_getTransactionCount", "genesis", "a dev account's nonce at genesis", DEV[0], "latest")
simple("eth_getTransactionCount", "pending", "nothing pending at genesis", DEV[0], "pending")
simple("eth_getTransactionCount", "unknown-block", "at an unknown block: -32001", DEV[0], {"blockHash": UNKNOWN_HASH})
simple("eth_getTransactionCount", "bad-address", "not an address: -32602", "0xzz", "latest")


@case("eth_getTransactionCount", "after-transactions", "latest and pending nonces after two transactions",
      stateful=True)
def _(s):
    s.seal_at(T0)
    s.call("eth_sendRawTransaction", sign(0, nonce=0))
    s.seal_at(T0 + 12)
    s.call("eth_sendRawTransaction", sign(0, nonce=1))
    for block in ("0x0", "0x1", "latest", "pending"):
        s.call("eth_getTransactionCount", DEV[0], block)


simple("eth_getCode", "module", "a module address answers a one-byte marker so tools treat it as a contract",
       BALANCES, "latest")
simple("eth_getCode", "system-module", "the system module too", SYSTEM)
simple("eth_getCode", "account", "an account has no code", DEV[0], "latest")
simple("eth_getCode", "bad-address", "not an address: -32602", "0x1234", "latest")
simple("eth_getCode", "unknown-block", "at a block the chain does not have: -32001", BALANCES, "0x100000")
simple("eth_getStorageAt", "zero-word", "modules keep state in module storage: EVM slots read zero",
       BALANCES, "0x0", "latest")
simple("eth_getStorageAt", "unknown-block", "at an unknown block: -32001", BALANCES, "0x0", "0x10")
simple("eth_getStorageAt", "bad-slot", "a slot must be a quantity: -32602", BALANCES, "zero", "latest")

# calls ------------------------------------------------------------------------------------

simple("eth_call", "balance-of", "balances.balanceOf(dev account 0) through the module's ERC-20 ABI",
       {"to": BALANCES, "data": calldata("balanceOf(address)", ["address"], [DEV[0]])}, "latest")
simple("eth_call", "total-supply", "balances.totalSupply() at genesis",
       {"to": BALANCES, "input": calldata("totalSupply()")}, "0x0")
simple("eth_call", "name", "balances.name() (an ABI-encoded string)", {"to": BALANCES, "data": calldata("name()")})
simple("eth_call", "system-chain-id", "system.chainId()", {"to": SYSTEM, "data": calldata("chainId()")})
simple("eth_call", "transfer-succeeds", "a transfer call from a funded account returns true (nothing is sent)",
       {"from": DEV[0], "to": BALANCES, "data": transfer_call(DEV[9], UNIT)}, "latest")
simple("eth_call", "revert-insufficient-balance",
       "a transfer from an empty account: code 3 with the InsufficientBalance custom error as data",
       {"from": NOBODY, "to": BALANCES, "data": transfer_call(DEV[9], UNIT)}, "latest")
simple("eth_call", "revert-unknown-selector", "a selector the module does not have: code 3",
       {"to": BALANCES, "data": "0xdeadbeef"})
simple("eth_call", "to-account", "a call to an account (no module) returns empty data", {"to": DEV[1], "data": "0x"})
simple("eth_call", "contract-creation", "no `to`: contract creation is not supported (-32003)",
       {"from": DEV[0], "data": "0x6000"})
simple("eth_call", "unknown-field", "an unknown call object field: -32602", {"to": BALANCES, "date": "0x"})
simple("eth_call", "data-and-input-differ", "data and input both given and different: -32602",
       {"to": BALANCES, "data": "0x01", "input": "0x02"})
simple("eth_call", "not-an-object", "the call must be an object: -32602", "0x01", "latest")
simple("eth_call", "odd-length-data", "data must be whole bytes: -32602", {"to": BALANCES, "data": "0x123"})
simple("eth_call", "unknown-block", "at an unknown block: -32001",
       {"to": BALANCES, "data": calldata("totalSupply()")}, "0x99")
simple("eth_estimateGas", "transfer-call", "intrinsic gas plus the call's declared weight",
       {"from": DEV[0], "to": BALANCES, "data": transfer_call(DEV[9], UNIT)})
simple("eth_estimateGas", "plain-transfer", "a value transfer to an account: 21000", {"from": DEV[0], "to": DEV[1],
                                                                                        "value": hex(UNIT)})
simple("eth_estimateGas", "with-access-list", "access list entries add their intrinsic gas",
       {"from": DEV[0], "to": DEV[1], "accessList": [{"address": BALANCES, "storageKeys": ["0x" + "00" * 32]}]})
simple("eth_estimateGas", "revert", "a call that would fail: code 3 with revert data",
       {"from": NOBODY, "to": BALANCES, "data": transfer_call(DEV[9], UNIT)})
simple("eth_estimateGas", "contract-creation", "no `to`: -32003", {"from": DEV[0], "data": "0x00"})
simple("eth_estimateGas", "bad-access-list", "a malformed access list: -32602",
       {"to": DEV[1], "accessList": [{"address": BALANCES}]})

# blocks -----------------------------------------------------------------------------------

simple("eth_getBlockByNumber", "genesis", "the genesis block (its hash is deterministic)", "0x0", False)
simple("eth_getBlockByNumber", "genesis-full", "with full transactions (there are none)", "0x0", True)
simple("eth_getBlockByNumber", "latest", "the head is genesis on a fresh chain", "latest", False)
simple("eth_getBlockByNumber", "earliest", "the earliest tag", "earliest")
simple("eth_getBlockByNumber", "finalized", "dev blocks are final when sealed", "finalized", False)
simple("eth_getBlockByNumber", "not-found", "a block beyond the head: null", "0x10", False)
simple("eth_getBlockByNumber", "bad-tag", "an unknown tag: -32602", "head", False)
simple("eth_getBlockByNumber", "full-not-boolean", "full must be a boolean: -32602", "0x0", "yes")


@case("eth_getBlockByNumber", "number-beyond-64-bits", "a block number of 2^64 is simply not found: null")
def _(s):
    s.call("eth_getBlockByNumber", BEYOND_64_BITS, False)


@case("eth_getBlockByNumber", "block-with-transactions", "a sealed block with two transactions, hashes and full",
      stateful=True)
def _(s):
    s.seal_at(T0)
    s.send([{"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [sign(0, tx_type=2)]},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": [sign(1, tx_type=0)]}])
    s.call("eth_getBlockByNumber", "0x1", False)
    s.call("eth_getBlockByNumber", "latest", True)


@case("eth_getBlockByHash", "genesis", "the genesis block by its hash")
def _(s):
    s.call("eth_getBlockByHash", s.peek("eth_getBlockByNumber", "0x0", False)["hash"], False)


simple("eth_getBlockByHash", "not-found", "an unknown hash: null", UNKNOWN_HASH, False)
simple("eth_getBlockByHash", "short-hash", "a hash must be 32 bytes: -32602", "0x1234", False)


@case("eth_getBlockByHash", "sealed-block", "a sealed block by hash, with full transactions", stateful=True)
def _(s):
    s.seal_at(T0)
    s.call("eth_sendRawTransaction", sign(0, tx_type=1))
    block = s.result("eth_getBlockByNumber", "0x1", False)
    s.call("eth_getBlockByHash", block["hash"], True)


@case("eth_getBlockTransactionCountByNumber", "genesis", "genesis holds no transactions")
def _(s):
    s.call("eth_getBlockTransactionCountByNumber", "0x0")


simple("eth_getBlockTransactionCountByNumber", "not-found", "a block beyond the head: null", "0x10")
simple("eth_getBlockTransactionCountByNumber", "bad-block", "not a block: -32602", True)


@case("eth_getBlockTransactionCountByHash", "genesis", "genesis holds no transactions")
def _(s):
    s.call("eth_getBlockTransactionCountByHash", s.peek("eth_getBlockByNumber", "0x0", False)["hash"])


simple("eth_getBlockTransactionCountByHash", "not-found", "an unknown hash: null", UNKNOWN_HASH)
simple("eth_getBlockTransactionCountByHash", "bad-hash", "not a hash: -32602", "latest")


@case("eth_getBlockTransactionCountByHash", "sealed-block", "a block holding two transactions", stateful=True)
def _(s):
    s.seal_at(T0)
    s.send([{"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [sign(2)]},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": [sign(3)]}])
    block = s.result("eth_getBlockByNumber", "latest", False)
    s.call("eth_getBlockTransactionCountByHash", block["hash"])


simple("eth_getBlockReceipts", "genesis", "genesis has no receipts: []", "0x0")
simple("eth_getBlockReceipts", "not-found", "a block beyond the head: null", "0x10")
simple("eth_getBlockReceipts", "bad-block", "not a block: -32602", "0xZZ")


@case("eth_getBlockReceipts", "sealed-block", "every receipt of a block, in order: a transfer and a module call "
      "with its log", stateful=True)
def _(s):
    s.seal_at(T0)
    s.send([{"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [sign(0)]},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction",
             "params": [sign(1, to=BALANCES, value=0, gas=60_000, data=transfer_call(DEV[8], 5 * UNIT))]}])
    s.call("eth_getBlockReceipts", "0x1")


simple("eth_feeHistory", "genesis", "one block of history at genesis, with percentiles", "0x1", "latest", [25, 75])
simple("eth_feeHistory", "no-percentiles", "without percentiles there is no reward field", "0x5", "latest")
simple("eth_feeHistory", "zero-blocks", "blockCount 0: -32602", "0x0", "latest", [])
simple("eth_feeHistory", "percentiles-descending", "percentiles must ascend: -32602", "0x1", "latest", [75, 25])
simple("eth_feeHistory", "percentile-above-100", "percentiles are at most 100: -32602", "0x1", "latest", [101])
simple("eth_feeHistory", "unknown-block", "a newest block beyond the head: -32001", "0x1", "0x10", [])


@case("eth_feeHistory", "after-blocks", "base fees, gas used ratios and tip percentiles over three blocks",
      stateful=True)
def _(s):
    s.seal_at(T0)
    s.send([{"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [sign(0, tip=GWEI)]},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": [sign(1, tip=GWEI // 2)]},
            {"jsonrpc": "2.0", "id": 3, "method": "eth_sendRawTransaction", "params": [sign(2, tx_type=0)]}])
    s.seal_at(T0 + 12)
    s.call("evm_mine")
    s.call("eth_feeHistory", "0x4", "latest", [0, 50, 100])


# transactions -----------------------------------------------------------------------------

simple("eth_getTransactionByHash", "not-found", "an unknown hash: null", UNKNOWN_HASH)
simple("eth_getTransactionByHash", "bad-hash", "a hash must be 32 bytes: -32602", "0x00")
simple("eth_getTransactionReceipt", "not-found", "an unknown hash: null", UNKNOWN_HASH)
simple("eth_getTransactionReceipt", "bad-hash", "not a hash: -32602", 123)
simple("eth_getTransactionByBlockNumberAndIndex", "genesis-empty", "genesis has no transaction 0: null", "0x0", "0x0")
simple("eth_getTransactionByBlockNumberAndIndex", "block-not-found", "a block beyond the head: null", "0x10", "0x0")
simple("eth_getTransactionByBlockNumberAndIndex", "bad-index", "the index must be a quantity: -32602", "0x0", 0)
simple("eth_getTransactionByBlockHashAndIndex", "block-not-found", "an unknown block: null", UNKNOWN_HASH, "0x0")
simple("eth_getTransactionByBlockHashAndIndex", "bad-hash", "not a hash: -32602", "0x0", "0x0")


@case("eth_getTransactionByHash", "included", "transactions of each type after inclusion", stateful=True)
def _(s):
    raws = [sign(0, tx_type=0), sign(1, tx_type=1), sign(2, tx_type=2)]
    s.seal_at(T0)
    s.send([{"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [raw]}
            for i, raw in enumerate(raws, 1)])
    for raw in raws:
        s.call("eth_getTransactionByHash", "0x" + keccak(hexstr=raw).hex())


@case("eth_getTransactionReceipt", "transfer", "the receipt of an EIP-1559 transfer", stateful=True)
def _(s):
    s.seal_at(T0)
    tx_hash = s.result("eth_sendRawTransaction", sign(0))
    s.call("eth_getTransactionReceipt", tx_hash)


@case("eth_getTransactionReceipt", "module-call-with-log", "a balances.transfer call: status 1 and a Transfer log "
      "with Solidity topics", stateful=True)
def _(s):
    s.seal_at(T0)
    tx_hash = s.result("eth_sendRawTransaction", sign(0, to=BALANCES, value=0, gas=60_000,
                                                      data=transfer_call(DEV[9], 7 * UNIT)))
    s.call("eth_getTransactionReceipt", tx_hash)


@case("eth_getTransactionReceipt", "failed-call", "a call that fails is still included: status 0, no logs, "
      "gas paid", stateful=True)
def _(s):
    s.seal_at(T0)
    tx_hash = s.result("eth_sendRawTransaction", sign(0, to=BALANCES, value=0, gas=60_000,
                                                      data=transfer_call(DEV[9], 10**6 * UNIT)))
    s.call("eth_getTransactionReceipt", tx_hash)


@case("eth_getTransactionByBlockNumberAndIndex", "in-block", "each position of a block, and one past the end",
      stateful=True)
def _(s):
    s.seal_at(T0)
    s.send([{"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [sign(0)]},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": [sign(1, tx_type=1)]}])
    for index in ("0x0", "0x1", "0x2"):
        s.call("eth_getTransactionByBlockNumberAndIndex", "latest", index)


@case("eth_getTransactionByBlockHashAndIndex", "in-block", "a block's transaction by the block's hash", stateful=True)
def _(s):
    s.seal_at(T0)
    s.call("eth_sendRawTransaction", sign(4, tx_type=0))
    block = s.result("eth_getBlockByNumber", "0x1", False)
    s.call("eth_getTransactionByBlockHashAndIndex", block["hash"], "0x0")
    s.call("eth_getTransactionByBlockHashAndIndex", block["hash"], "0x1")


# sending ----------------------------------------------------------------------------------

REJECTIONS = [
    ("malformed-rlp", "bytes that are not a transaction", "0x02c3010203"),
    ("empty", "no bytes at all", "0x"),
    ("unsupported-type", "transaction type 3 (blobs) is not supported", "0x03c0"),
    ("wrong-chain-id", "signed for chain 1", sign(0, chain_id=1)),
    ("legacy-without-chain-id", "a pre-EIP-155 legacy transaction (replayable across chains)",
     sign(0, tx_type=0, chain_id=None)),
    ("unfunded-sender", "the sender cannot pay gas × max fee + value", sign(key=UNFUNDED_KEY)),
    ("value-above-balance", "value beyond the sender's balance", sign(0, value=20_000 * UNIT)),
    ("max-fee-below-base-fee", "max fee below the next block's base fee", sign(0, max_fee=1, tip=1)),
    ("tip-above-max-fee", "priority fee above the max fee", sign(0, max_fee=2 * GWEI, tip=3 * GWEI)),
    ("gas-below-intrinsic", "gas below 21000", sign(0, gas=20_999)),
    ("gas-above-block-limit", "gas above the block gas limit", sign(0, gas=30_000_001)),
    ("nonce-too-high", "a nonce 1024 ahead of the account's: too far to hold", sign(0, nonce=1024)),
    ("contract-creation", "no `to`: this chain runs no EVM bytecode", sign(0, to=None, data="0x6000", gas=100_000)),
]
for _name, _description, _raw in REJECTIONS:
    simple("eth_sendRawTransaction", f"rejected-{_name}", f"refused with -32003 naming the reason: {_description}",
           _raw)
simple("eth_sendRawTransaction", "not-hex", "the parameter must be 0x-prefixed hex: -32602", "hello")
simple("eth_sendRawTransaction", "missing", "the raw transaction is required: -32602")


@case("eth_sendRawTransaction", "transfer-each-type", "a legacy, an EIP-2930 and an EIP-1559 transfer, each sealed "
      "at once: their hashes, then the head", stateful=True)
def _(s):
    for i, tx_type in enumerate((0, 1, 2)):
        s.seal_at(T0 + 12 * i)
        s.call("eth_sendRawTransaction", sign(i, tx_type=tx_type))
    s.call("eth_blockNumber")


@case("eth_sendRawTransaction", "already-known-and-nonce-too-low", "after inclusion: the same bytes are AlreadyKnown, "
      "another transaction with the used nonce is NonceTooLow", stateful=True)
def _(s):
    s.seal_at(T0)
    raw = sign(0)
    s.call("eth_sendRawTransaction", raw)
    s.call("eth_sendRawTransaction", raw)
    s.call("eth_sendRawTransaction", sign(0, value=2 * UNIT))


simple("author_submitExtrinsic", "rejected-malformed", "a signed Ethereum transaction is the extrinsic: bad bytes are "
       "refused (-32003)", "0xc0")
simple("author_submitExtrinsic", "not-hex", "not hex: -32602", "0xnope")


@case("author_submitExtrinsic", "transfer", "the same as eth_sendRawTransaction: the transaction hash", stateful=True)
def _(s):
    s.seal_at(T0)
    tx_hash = s.result("author_submitExtrinsic", sign(5))
    s.call("eth_getTransactionReceipt", tx_hash)


simple("eth_sendTransaction", "unknown-account", "from an account the node holds no key for: -32003",
       {"from": NOBODY, "to": DEV[1], "value": "0x1"})
simple("eth_sendTransaction", "missing-from", "from is required: -32602", {"to": DEV[1], "value": "0x1"})
simple("eth_sendTransaction", "contract-creation", "no `to`: -32003", {"from": DEV[0], "data": "0x6000"})
simple("eth_sendTransaction", "insufficient-funds", "value beyond the balance: -32003 InsufficientFunds",
       {"from": DEV[0], "to": DEV[1], "value": hex(10**6 * UNIT)})
simple("eth_sendTransaction", "bad-field", "a malformed value: -32602", {"from": DEV[0], "to": DEV[1], "value": 1})


@case("eth_sendTransaction", "dev-account-transfer", "signed by the node with dev account 0's key, fees and nonce "
      "filled as a wallet would", stateful=True)
def _(s):
    s.seal_at(T0)
    tx_hash = s.result("eth_sendTransaction", {"from": DEV[0], "to": DEV[7], "value": hex(UNIT)})
    s.call("eth_getTransactionByHash", tx_hash)
    s.call("eth_getTransactionReceipt", tx_hash)


@case("eth_sendTransaction", "legacy-module-call", "a legacy module call (gasPrice given), gas estimated by the node",
      stateful=True)
def _(s):
    s.seal_at(T0)
    tx_hash = s.result("eth_sendTransaction", {"from": DEV[1], "to": BALANCES, "gasPrice": hex(2 * GWEI),
                                               "data": transfer_call(DEV[2], UNIT)})
    s.call("eth_getTransactionReceipt", tx_hash)


# logs and filters -------------------------------------------------------------------------

simple("eth_getLogs", "genesis-empty", "no logs at genesis", {"fromBlock": "0x0", "toBlock": "latest"})
simple("eth_getLogs", "default-range", "an empty filter means the head block", {})
simple("eth_getLogs", "block-not-found", "a range ending beyond the head: -32001", {"fromBlock": "0x0", "toBlock": "0x10"})
simple("eth_getLogs", "block-hash-not-found", "an unknown blockHash: -32001", {"blockHash": UNKNOWN_HASH})
simple("eth_getLogs", "block-hash-and-range", "blockHash with fromBlock: -32602",
       {"blockHash": UNKNOWN_HASH, "fromBlock": "0x0"})
simple("eth_getLogs", "too-many-topics", "at most four topic positions: -32602", {"topics": [None] * 5})
simple("eth_getLogs", "bad-topic", "a topic must be 32 bytes: -32602", {"topics": ["0x1234"]})
simple("eth_getLogs", "bad-address", "a filter address must be 20 bytes: -32602", {"address": ["0x12"]})
simple("eth_getLogs", "unknown-field", "an unknown filter field: -32602", {"fromblock": "0x0"})
simple("eth_getLogs", "not-an-object", "the filter must be an object: -32602", "latest")


@case("eth_getLogs", "transfer-events", "Transfer logs of module calls, by address, topics and block hash",
      stateful=True)
def _(s):
    s.seal_at(T0)
    s.call("eth_sendRawTransaction", sign(0, to=BALANCES, value=0, gas=60_000, data=transfer_call(DEV[9], 2 * UNIT)))
    s.seal_at(T0 + 12)
    s.call("eth_sendRawTransaction", sign(1, to=BALANCES, value=0, gas=60_000, data=transfer_call(DEV[8], 3 * UNIT)))
    s.call("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "address": BALANCES})
    s.call("eth_getLogs", {"fromBlock": "earliest", "topics": [TRANSFER_TOPIC, topic(DEV[1])]})
    s.call("eth_getLogs", {"fromBlock": "0x0", "topics": [None, None, [topic(DEV[8]), topic(DEV[9])]]})
    s.call("eth_getLogs", {"fromBlock": "0x0", "address": [SYSTEM]})
    block = s.result("eth_getBlockByNumber", "0x1", False)
    s.call("eth_getLogs", {"blockHash": block["hash"]})


@case("eth_newFilter", "install", "a log filter's id (random: schema-only), then no changes yet", speconly=None)
def _(s):
    filter_id = s.result("eth_newFilter", {"fromBlock": "0x0", "address": BALANCES}, speconly=FILTER_IDS)
    s.call("eth_getFilterChanges", filter_id)
    s.call("eth_uninstallFilter", filter_id)


simple("eth_newFilter", "bad-filter", "a malformed filter: -32602", {"topics": "nope"})
simple("eth_newFilter", "missing-filter", "the filter is required: -32602")


@case("eth_newBlockFilter", "install", "a block filter's id (random: schema-only), then no changes yet")
def _(s):
    filter_id = s.result("eth_newBlockFilter", speconly=FILTER_IDS)
    s.call("eth_getFilterChanges", filter_id)
    s.call("eth_uninstallFilter", filter_id)


simple("eth_newBlockFilter", "bad-params", "takes no parameters: -32602", {})


@case("eth_newPendingTransactionFilter", "install", "a pending-transaction filter's id (random: schema-only)")
def _(s):
    filter_id = s.result("eth_newPendingTransactionFilter", speconly=FILTER_IDS)
    s.call("eth_getFilterChanges", filter_id)
    s.call("eth_uninstallFilter", filter_id)


simple("eth_getFilterChanges", "unknown-filter", "an id never installed: -32001", UNKNOWN_ID)
simple("eth_getFilterChanges", "bad-id", "a filter id is 16 bytes: -32602", "0x01")
simple("eth_getFilterLogs", "unknown-filter", "an id never installed: -32001", UNKNOWN_ID)
simple("eth_getFilterLogs", "bad-id", "not a filter id: -32602", 7)
simple("eth_uninstallFilter", "unknown-filter", "an id never installed: false", UNKNOWN_ID)
simple("eth_uninstallFilter", "bad-id", "not a filter id: -32602", "latest")


@case("eth_getFilterLogs", "block-filter", "a block filter has no logs: -32001")
def _(s):
    s.call("eth_getFilterLogs", s.result("eth_newBlockFilter", speconly=FILTER_IDS))


@case("eth_getFilterChanges", "new-blocks", "a block filter collects the hashes of blocks sealed after it, once",
      stateful=True)
def _(s):
    filter_id = s.result("eth_newBlockFilter", speconly=FILTER_IDS)
    s.call("evm_mine", T0)
    s.call("evm_mine", T0 + 12)
    s.call("eth_getFilterChanges", filter_id)
    s.call("eth_getFilterChanges", filter_id)


@case("eth_getFilterChanges", "pending-transactions", "a pending-transaction filter collects submitted hashes",
      stateful=True)
def _(s):
    filter_id = s.result("eth_newPendingTransactionFilter", speconly=FILTER_IDS)
    s.seal_at(T0)
    s.call("eth_sendRawTransaction", sign(0))
    s.call("eth_getFilterChanges", filter_id)


@case("eth_getFilterChanges", "logs", "a log filter collects matching logs of new blocks; eth_getFilterLogs "
      "returns every match in its range", stateful=True)
def _(s):
    filter_id = s.result("eth_newFilter", {"address": BALANCES, "topics": [TRANSFER_TOPIC]}, speconly=FILTER_IDS)
    all_logs = s.result("eth_newFilter", {"fromBlock": "0x0", "toBlock": "latest", "address": BALANCES},
                        speconly=FILTER_IDS)
    s.seal_at(T0)
    s.call("eth_sendRawTransaction", sign(3, to=BALANCES, value=0, gas=60_000, data=transfer_call(DEV[4], UNIT)))
    s.call("eth_getFilterChanges", filter_id)
    s.call("eth_getFilterChanges", filter_id)
    s.call("eth_getFilterLogs", all_logs)
    s.call("eth_uninstallFilter", filter_id)
    s.call("eth_uninstallFilter", filter_id)
    s.call("eth_getFilterChanges", filter_id)


# subscriptions (WebSocket only: over HTTP they are refused) -------------------------------------

simple("eth_subscribe", "over-http", "subscriptions need a WebSocket: -32601 over HTTP", "newHeads")
simple("eth_subscribe", "unknown-kind", "an unknown subscription: -32602", "newBlocks")
simple("eth_subscribe", "logs-bad-filter", "logs with a malformed filter: -32602", "logs", {"address": 1})
simple("eth_unsubscribe", "over-http", "no subscriptions over HTTP: false", UNKNOWN_ID)
simple("eth_unsubscribe", "bad-id", "a subscription id is 16 bytes: -32602", "0x1")
simple("chain_subscribeNewHeads", "over-http", "subscriptions need a WebSocket: -32601 over HTTP")
simple("chain_unsubscribeNewHeads", "over-http", "no subscriptions over HTTP: false", UNKNOWN_ID)
simple("chain_unsubscribeNewHeads", "bad-id", "not a subscription id: -32602", 1)

# Substrate-flavoured ----------------------------------------------------------------------

simple("chain_getHeader", "head", "the head's header in Substrate's shape (genesis here)")
simple("chain_getHeader", "unknown", "an unknown hash: null", UNKNOWN_HASH)
simple("chain_getHeader", "bad-hash", "not a hash: -32602", "0x0")
simple("chain_getBlock", "head", "the head block: header and extrinsics")
simple("chain_getBlock", "unknown", "an unknown hash: null", UNKNOWN_HASH)
simple("chain_getBlockHash", "genesis", "the canonical hash at height 0", "0x0")
simple("chain_getBlockHash", "head", "no number: the head's hash")
simple("chain_getBlockHash", "not-found", "a height beyond the head: null", "0x10")
simple("chain_getBlockHash", "bad-number", "not a quantity: -32602", "ten")
simple("chain_getFinalizedHead", "genesis", "the finalized head is the head on a dev chain")


@case("chain_getBlockHash", "number-beyond-64-bits", "a height of 2^64: null")
def _(s):
    s.call("chain_getBlockHash", BEYOND_64_BITS)


@case("chain_getBlock", "sealed-block", "a sealed block with its extrinsics (the raw transactions), by hash and as "
      "head, and its header", stateful=True)
def _(s):
    s.seal_at(T0)
    s.call("eth_sendRawTransaction", sign(6))
    block_hash = s.result("chain_getBlockHash", "0x1")
    s.call("chain_getBlock", block_hash)
    s.call("chain_getHeader")
    s.call("chain_getFinalizedHead")


@case("chain_getHeader", "genesis-by-hash", "genesis's header by hash")
def _(s):
    s.call("chain_getHeader", s.peek("chain_getBlockHash", "0x0"))


def storage_key(address: str) -> str:
    return "0x" + balances.Account.key(bytes.fromhex(address[2:])).hex()


simple("state_getStorage", "balance-account", "dev account 0's balances.Account entry (spec/state.md keys)",
       storage_key(DEV[0]))
simple("state_getStorage", "absent", "a key that holds nothing: null", storage_key(NOBODY))
simple("state_getStorage", "unknown-block", "at an unknown block: -32001", storage_key(DEV[0]), UNKNOWN_HASH)
simple("state_getStorage", "bad-key", "a key must be hex bytes: -32602", "balances")
simple("state_getReadProof", "balance-account", "a Merkle proof of two keys against genesis's state root",
       [storage_key(DEV[0]), storage_key(NOBODY)])
simple("state_getReadProof", "no-keys", "at least one key: -32602", [])
simple("state_getReadProof", "too-many-keys", "at most 256 keys: -32602", ["0x00"] * 257)
simple("state_getReadProof", "unknown-block", "at an unknown block: -32001", ["0x00"], UNKNOWN_HASH)

# dev-chain controls (anvil's) -------------------------------------------------------------

simple("evm_mine", "zero-blocks", "blocks must be 1 to 1000: -32602", {"blocks": 0})
simple("evm_mine", "too-many-blocks", "blocks must be 1 to 10000: -32602", {"blocks": 10_001})
simple("evm_mine", "unknown-option", "an unknown option: -32602", {"block": 1})
simple("evm_mine", "negative-timestamp", "a negative timestamp: -32602", -1)


@case("evm_mine", "at-timestamp", "an empty block at a given timestamp", stateful=True)
def _(s):
    s.call("evm_mine", T0)
    s.call("eth_getBlockByNumber", "latest", False)


@case("evm_mine", "several-blocks", "three blocks at once (the first at the given timestamp, the rest on the clock)",
      stateful=True)
def _(s):
    s.call("evm_mine", {"blocks": 3, "timestamp": hex(T0)})
    s.call("eth_blockNumber")
    s.call("eth_getBlockByNumber", "0x1", False)
    s.call("eth_getBlockByNumber", "0x3", False, speconly=WALL_CLOCK)


@case("evm_mine", "wall-clock", "without a timestamp the block takes the wall clock", stateful=True,
      speconly=WALL_CLOCK)
def _(s):
    s.call("evm_mine")
    s.call("eth_getBlockByNumber", "latest", False)


@case("evm_mine", "before-head", "a timestamp before the head's: -32602", stateful=True)
def _(s):
    s.call("evm_mine", T0)
    s.call("evm_mine", T0 - 1)
    s.call("eth_blockNumber")


simple("evm_increaseTime", "bad-seconds", "seconds must be a number: -32602", "soon")
simple("evm_increaseTime", "beyond-64-bits", "an offset beyond 64-bit timestamps: -32602", 2**64)


@case("evm_increaseTime", "offset", "returns the total offset; the next block is that far ahead of the wall clock",
      stateful=True)
def _(s):
    s.call("evm_increaseTime", 3600)
    s.call("evm_increaseTime", hex(60))
    s.call("evm_mine")
    s.call("eth_getBlockByNumber", "latest", False, speconly=WALL_CLOCK)


simple("evm_setNextBlockTimestamp", "bad-timestamp", "not a number: -32602", "tomorrow")
simple("evm_setNextBlockTimestamp", "missing", "the timestamp is required: -32602")


@case("evm_setNextBlockTimestamp", "pinned", "the next block gets exactly that timestamp", stateful=True)
def _(s):
    s.call("evm_setNextBlockTimestamp", T0)
    s.call("eth_sendRawTransaction", sign(0))
    s.call("eth_getBlockByNumber", "latest", False)


@case("evm_setNextBlockTimestamp", "before-head", "a timestamp before the head's: -32602", stateful=True)
def _(s):
    s.call("evm_mine", T0)
    s.call("evm_setNextBlockTimestamp", T0 - 1)


@case("evm_snapshot", "snapshot-and-revert", "mine, revert to the snapshot: the blocks are gone and the id is used up",
      stateful=True)
def _(s):
    snapshot = s.result("evm_snapshot", speconly=SNAPSHOT_IDS)
    s.call("evm_mine", T0)
    s.call("eth_sendRawTransaction", sign(0))
    s.call("eth_blockNumber")
    s.call("evm_revert", snapshot)
    s.call("eth_blockNumber")
    s.call("eth_getBalance", DEV[0], "latest")
    s.call("eth_getTransactionCount", DEV[0], "pending")
    s.call("evm_revert", snapshot)


simple("evm_snapshot", "bad-params", "takes no parameters: -32602", 1)
simple("evm_revert", "unknown-id", "an id never issued: false", hex(2**64))
simple("evm_revert", "bad-id", "not a number: -32602", "first")


@case("evm_revert", "restores-state", "reverting restores balances, nonces, transactions and the clock",
      stateful=True)
def _(s):
    snapshot = s.result("evm_snapshot", speconly=SNAPSHOT_IDS)
    s.seal_at(T0)
    tx_hash = s.result("eth_sendRawTransaction", sign(2, value=5 * UNIT))
    s.call("evm_increaseTime", 100, speconly="after a pinned block the clock's offset follows the wall clock")
    s.call("evm_revert", snapshot)
    s.call("eth_getTransactionByHash", tx_hash)
    s.call("eth_getBalance", DEV[2], "latest")
    s.call("eth_getTransactionCount", DEV[2], "latest")
    s.call("evm_increaseTime", 0)


for _method in ("anvil_setBalance", "flock_setBalance"):
    simple(_method, "bad-address", "not an address: -32602", "0x12", "0x1")
    simple(_method, "bad-amount", "an amount must be a quantity: -32602", NOBODY, 5)
    simple(_method, "above-supply-cap", "beyond the supply cap: code 3 with SupplyCapExceeded, nothing sealed",
           NOBODY, hex(2 * 10**9 * UNIT))


@case("anvil_setBalance", "set", "the root's forceSetBalance sealed in a block of its own; totalSupply follows",
      stateful=True)
def _(s):
    s.seal_at(T0)
    s.call("anvil_setBalance", NOBODY, hex(5 * UNIT))
    s.call("eth_getBalance", NOBODY, "latest")
    s.call("eth_call", {"to": BALANCES, "data": calldata("totalSupply()")}, "latest")
    s.call("eth_getBlockByNumber", "latest", True)


@case("flock_setBalance", "lower", "lowering a dev account's balance (to zero, then to 1 wei)", stateful=True)
def _(s):
    s.seal_at(T0)
    s.call("flock_setBalance", DEV[3], "0x0")
    s.call("eth_getBalance", DEV[3], "latest")
    s.seal_at(T0 + 12)
    s.call("flock_setBalance", DEV[3], "0x1")
    s.call("eth_getBalance", DEV[3], "latest")
    s.call("eth_getLogs", {"fromBlock": "0x0", "address": BALANCES})


# running ----------------------------------------------------------------------------------

def record(url: str, case_: Case) -> str:
    session = Session(url, case_)
    case_.run(session)
    return case_.text(session)


def with_fresh_node(run: Callable[[str], object]):
    with tempfile.TemporaryDirectory(prefix="flockchain-vectors-") as workdir:
        chain = start_dev_chain(Path(workdir))
        try:
            return run(chain.url)
        finally:
            stop_dev_chain(chain.process)


def generate(directory: Path = VECTOR_DIR, workers: int = 4) -> dict[str, str]:
    """Run every case on fresh nodes; returns {relative path: file text}."""
    names = [c.path for c in CASES]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate cases: {sorted(duplicates)}")
    read_only = [c for c in CASES if not c.stateful]
    stateful = [c for c in CASES if c.stateful]
    texts = with_fresh_node(lambda url: {c.path: record(url, c) for c in read_only})
    with ThreadPoolExecutor(workers) as pool:
        for c, text in zip(stateful, pool.map(lambda c: with_fresh_node(lambda url: record(url, c)), stateful)):
            texts[c.path] = text
    return texts


def write(texts: dict[str, str], directory: Path = VECTOR_DIR) -> None:
    for old in directory.glob("**/*.io"):
        old.unlink()
    for old in directory.iterdir():
        if old.is_dir() and not any(old.iterdir()):
            old.rmdir()
    for path, text in sorted(texts.items()):
        target = directory / f"{path}.io"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def main() -> int:
    texts = generate()
    write(texts)
    print(f"wrote {len(texts)} vectors to {VECTOR_DIR}")
    vectors = load_vectors(VECTOR_DIR)
    bugs = {v.name for v in vectors if "known bug:" in v.comment}
    failures = []
    passed, failed = with_fresh_node(lambda url: run_all(url, vectors, failures.append))
    unexpected = [f for f in failures if f.split(":")[0].split(" (")[0].removeprefix("FAIL ") not in bugs]
    print(f"replayed on a fresh node: {passed} passed, {failed} failed ({len(bugs)} known bugs)")
    for failure in unexpected:
        print(failure)
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
