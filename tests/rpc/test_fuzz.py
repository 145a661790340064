"""Hostile JSON against the JSON-RPC server: it never raises, every request gets a well-formed
JSON-RPC 2.0 answer (or none, for notifications), memory stays bounded, and the node goes on.

In-process, `RpcServer.handle_payload` runs with a real node behind it (LevelDB in a tmp dir,
the dev chain spec, the dev keys, the event hub and the devnet controls, composed as
`flockchain dev` composes them), so each fuzzed request reaches the real handlers. Over real
HTTP, a few raw bodies no parser should choke on go to a real `flockchain dev` process.

An internal error (-32603) is a bug: bad input must be refused as such.
"""

import gc
import json
import logging
import random
import sys
import tracemalloc

import aiohttp
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.authoring import DevAuthor
from chain.composition import RUNTIME
from chain.devkeys import dev_keys
from chain.node import Node
from flockchain.cli import PYTHON_RECURSION_LIMIT
from genesis.builder import load_spec
from rpc import devnet
from rpc.errors import (EXECUTION_REVERTED, INVALID_PARAMS, INVALID_REQUEST, LIMIT_EXCEEDED,
                        METHOD_NOT_FOUND, PARSE_ERROR, RESOURCE_NOT_FOUND, TRANSACTION_REJECTED)
from rpc.server import REGISTRIES, RpcContext, RpcLimits, RpcServer, parse_json
from rpc.subscriptions import MAX_FILTERS, EventHub

from .generate_vectors import BALANCES, DEV, SYSTEM, sign, transfer_call

CODES = {PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, RESOURCE_NOT_FOUND, TRANSACTION_REJECTED,
         LIMIT_EXCEEDED, EXECUTION_REVERTED}
"""Every error code a client may see for anything it sends; INTERNAL_ERROR is not among them."""
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck), database=None)
BEYOND_64_BITS = 2**64


# the server, composed as flockchain/cli.py composes it -------------------------------------

class InProcessNode:
    def __init__(self, data_dir):
        spec = load_spec("dev")
        accounts, authority = dev_keys(spec)
        self.node = Node(RUNTIME, spec, data_dir, authority_key=authority.private_key, instant_finality=True)
        self.hub = EventHub(self.node)
        self.author = DevAuthor(self.node.builder, on_block=lambda outcome: self.hub.publish_block(outcome.block))
        # `flockchain dev` seals on the next event-loop turn after author.notify(); here, at once.
        context = RpcContext(self.node, on_transaction=lambda tx: self.author.seal(), dev=True, hub=self.hub,
                             dev_keys={key.address: key.private_key for key in accounts})
        self.server = RpcServer(context, REGISTRIES + (devnet.registry,), RpcLimits())

    def handle(self, payload):
        """What the server answers to a body (str or bytes) or a JSON value (serialised first)."""
        text = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
        return self.server.handle_payload(text)

    def block_number(self) -> int:
        answer = self.handle({"jsonrpc": "2.0", "id": "probe", "method": "eth_blockNumber"})
        assert answer["id"] == "probe" and "error" not in answer, answer
        return int(answer["result"], 16)


@pytest.fixture(scope="module")
def rpc(tmp_path_factory):
    """The in-process server, under the recursion limit `flockchain dev` sets for itself."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(PYTHON_RECURSION_LIMIT)
    node = InProcessNode(tmp_path_factory.mktemp("fuzz") / "data")
    try:
        for i in range(3):  # a few blocks with transfers and logs, so lookups find something
            node.handle({"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [
                sign(i, to=BALANCES, value=0, gas=60_000, data=transfer_call(DEV[9], 10**18))]})
        assert node.block_number() == 3
        yield node
    finally:
        sys.setrecursionlimit(limit)
        node.node.close()


# strategies --------------------------------------------------------------------------------

INTERESTING_NUMBERS = [0, 1, 2, 3, 255, 2**31, 2**32, 2**53 + 1, 2**63, 2**64 - 1, 2**255, 2**256 - 1, 2**256]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2**300), max_value=2**300),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
    st.sampled_from(INTERESTING_NUMBERS),
)
json_values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)), max_leaves=12)

addresses = st.one_of(
    st.sampled_from(DEV + [BALANCES, SYSTEM, "0x" + "00" * 20, DEV[0].lower(), DEV[0].upper().replace("0X", "0x")]),
    st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
)
hashes = st.binary(min_size=32, max_size=32).map(lambda b: "0x" + b.hex())
quantities = st.one_of(
    st.sampled_from(INTERESTING_NUMBERS).map(hex),
    st.integers(min_value=0, max_value=BEYOND_64_BITS - 1).map(hex),
    st.sampled_from(["0x", "0x00", "0x01", "0xg", "1", "-0x1", "0X1", " 0x1", "0x" + "f" * 65]),
)
data = st.one_of(st.binary(max_size=80).map(lambda b: "0x" + b.hex()), st.sampled_from(["0x", "0x0", "0xzz", "00"]))
block_tags = st.one_of(
    st.sampled_from(["latest", "earliest", "pending", "safe", "finalized", "0x0", "0x1", "0x2", "0x3", "0x4"]),
    quantities, st.builds(dict, blockNumber=quantities), st.builds(dict, blockHash=hashes))
call_objects = st.fixed_dictionaries({}, optional={
    "from": addresses, "to": st.one_of(addresses, st.none()), "gas": quantities, "gasPrice": quantities,
    "maxFeePerGas": quantities, "maxPriorityFeePerGas": quantities, "value": quantities, "nonce": quantities,
    "data": data, "input": data, "type": st.sampled_from(["0x0", "0x1", "0x2", "0x3"]),
    "accessList": st.lists(st.fixed_dictionaries({"address": addresses, "storageKeys": st.lists(hashes, max_size=2)}),
                           max_size=2)})
log_filters = st.fixed_dictionaries({}, optional={
    "fromBlock": block_tags, "toBlock": block_tags, "blockHash": hashes,
    "address": st.one_of(addresses, st.lists(addresses, max_size=3)),
    "topics": st.lists(st.one_of(st.none(), hashes, st.lists(hashes, max_size=2)), max_size=5)})
mine_options = st.one_of(st.integers(min_value=-1, max_value=2**65), quantities,
                         st.fixed_dictionaries({}, optional={"blocks": st.integers(-1, 3) | quantities,
                                                             "timestamp": st.integers(-1, 2**65) | quantities}))
atoms = st.one_of(addresses, hashes, quantities, data, block_tags, call_objects, log_filters, mine_options,
                  st.binary(min_size=16, max_size=16).map(lambda b: "0x" + b.hex()),  # filter / subscription ids
                  st.sampled_from(["newHeads", "logs", "newPendingTransactions", "chain_newHead"]),
                  st.lists(st.sampled_from([0, 25, 50, 75, 100, 101, -1, 50.5]), max_size=4))
param_values = st.one_of(atoms, atoms, json_values)


ids16 = st.binary(min_size=16, max_size=16).map(lambda b: "0x" + b.hex())
numbers = st.one_of(st.integers(min_value=-1, max_value=2**65), quantities)
RAW_TRANSACTIONS = [sign(i % 10, nonce=n, tx_type=i % 3) for i in range(10) for n in range(3, 6)] + \
    [sign(0, chain_id=1), "0x02c3010203"]
TYPED = {
    "address": addresses, "blockNumberOrTag": block_tags, "boolean": st.booleans(), "callObject": call_objects,
    "data": st.one_of(data, st.sampled_from(RAW_TRANSACTIONS)), "filter": log_filters, "filterId": ids16,
    "hash": hashes, "mineOptions": mine_options, "quantity": quantities, "seconds": numbers, "snapshotId": numbers,
    "timestamp": numbers, "storageKeys": st.lists(data, max_size=4), "subscriptionId": ids16,
    "subscriptionName": st.sampled_from(["newHeads", "logs", "newPendingTransactions", "chain_newHead", "x"]),
    "subscriptionOptions": st.one_of(log_filters, st.fixed_dictionaries({}, optional={"includeTransactions":
                                                                                      st.booleans()})),
    "rewardPercentiles": st.lists(st.sampled_from([0, 25, 50, 75, 100, 101, -1, 50.5, True]), max_size=4),
    "transactionRequest": st.one_of(call_objects, call_objects.map(lambda c: dict(c, **{"from": DEV[len(c) % 10]}))),
}
"""What each registered parameter type looks like, edges included (the registry names the types)."""


@st.composite
def typed_params(draw, method):
    """Params as the registry declares them for `method`, then perhaps one made hostile, or one too many."""
    declared = method.params[:len(method.params) - draw(st.integers(0, len(method.params)))] \
        if draw(st.integers(0, 3)) == 0 else method.params
    values = [draw(TYPED.get(p.type.name, param_values)) for p in declared]
    if values and draw(st.integers(0, 2)) == 0:
        values[draw(st.integers(0, len(values) - 1))] = draw(param_values)
    if draw(st.integers(0, 9)) == 0:
        values.append(draw(param_values))
    if draw(st.integers(0, 4)) == 0:
        return {p.name: v for p, v in zip(declared, values)}
    return values


@st.composite
def method_and_params(draw, methods):
    if draw(st.integers(0, 2)):
        method = draw(st.sampled_from(sorted(methods)))
        return method, draw(typed_params(methods[method]))
    method = draw(st.one_of(st.sampled_from(sorted(methods)), st.text(max_size=20),
                            st.sampled_from(["", "rpc.", "eth_", "__class__", "constructor", "ETH_CHAINID"])))
    params = draw(st.one_of(
        st.lists(param_values, max_size=4), st.lists(param_values, max_size=4),
        st.none(), json_values,
        st.dictionaries(st.sampled_from(["address", "block", "hash", "full", "filter", "call", "id", "x"]),
                        param_values, max_size=3)))
    return method, params


def request_ids():
    """Ids of every JSON kind a client might send (booleans are invalid and answered with a null id)."""
    return st.one_of(st.integers(), st.integers(min_value=-(2**100), max_value=2**100), st.text(max_size=12), st.none(),
                     st.booleans())


@st.composite
def requests_(draw, methods):
    method, params = draw(method_and_params(methods))
    request = {}
    if draw(st.integers(0, 9)):
        request["jsonrpc"] = "2.0"
    elif draw(st.booleans()):
        request["jsonrpc"] = draw(json_values)
    if draw(st.integers(0, 4)):
        request["id"] = draw(request_ids())
    elif draw(st.booleans()):
        request["id"] = draw(json_values)
    if draw(st.integers(0, 19)):
        request["method"] = method
    else:
        request["method"] = draw(json_values)
    if params is not None or draw(st.booleans()):
        request["params"] = params
    if not draw(st.integers(0, 9)):
        request[draw(st.text(max_size=8))] = draw(json_values)
    return tame(request)


def tame(request):
    """Keep evm_mine to a few blocks a request, so the fuzz stays fast (1000 is allowed and correct, just slow)."""
    method, params = request.get("method"), request.get("params")
    if method == "evm_mine":
        options = params[0] if isinstance(params, list) and params else params.get("options") \
            if isinstance(params, dict) else None
        if isinstance(options, dict) and "blocks" in options:
            options["blocks"] = 2
    return request


# the oracle --------------------------------------------------------------------------------

def is_valid_request(item) -> bool:
    return (isinstance(item, dict) and item.get("jsonrpc") == "2.0" and isinstance(item.get("method"), str)
            and (item.get("id") is None or (isinstance(item["id"], (str, int)) and not isinstance(item["id"], bool))))


def check_response(answer, expected_id=None, any_id=False) -> dict:
    """A JSON-RPC 2.0 response object: jsonrpc, id, and exactly one of result / error{code, message[, data]}."""
    assert isinstance(answer, dict), answer
    assert answer.keys() in ({"jsonrpc", "id", "result"}, {"jsonrpc", "id", "error"}), answer
    assert answer["jsonrpc"] == "2.0"
    if not any_id:
        assert answer["id"] == expected_id and type(answer["id"]) is type(expected_id), (answer["id"], expected_id)
    if "error" in answer:
        error = answer["error"]
        assert isinstance(error, dict) and {"code", "message"} <= error.keys() <= {"code", "message", "data"}, error
        assert type(error["code"]) is int and isinstance(error["message"], str) and error["message"], error
        assert error["code"] in CODES, f"error code {error['code']} ({error['message']})"
    return answer


def check_item(item, answer) -> None:
    """The answer to one item of a body (a request, or anything else found where one should be)."""
    if is_valid_request(item):
        if "id" not in item:
            assert answer is None, f"a notification was answered: {answer}"
            return
        check_response(answer, item["id"])
        return
    check_response(answer, any_id=True)
    assert answer["error"]["code"] == INVALID_REQUEST, answer
    id_ = item.get("id") if isinstance(item, dict) else None
    valid_id = isinstance(id_, (str, int)) and not isinstance(id_, bool)
    assert answer["id"] is None or (valid_id and answer["id"] == id_), answer


def check_payload(text, answer, limits: RpcLimits = RpcLimits()) -> None:
    """The whole contract for one body: well-formed answers, ids echoed, notifications unanswered."""
    json.dumps(answer, allow_nan=False)  # the answer is JSON (no NaN or Infinity)
    try:
        body = parse_json(text)
    except ValueError:
        check_response(answer, None)
        assert answer["error"]["code"] == PARSE_ERROR, answer
        return
    if isinstance(body, list):
        if not body or len(body) > limits.max_batch_length:
            check_response(answer, None)
            assert answer["error"]["code"] == (INVALID_REQUEST if not body else LIMIT_EXCEEDED), answer
            return
        answered = [item for item in body if not (is_valid_request(item) and "id" not in item)]
        if not answered:
            assert answer is None, answer
            return
        assert isinstance(answer, list) and len(answer) == len(answered), (len(answered), answer)
        for item, response in zip(answered, answer):
            check_item(item, response)
        return
    check_item(body, answer)


def exchange(rpc, payload) -> None:
    text = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    answer = rpc.server.handle_payload(text)  # must not raise
    check_payload(text, answer)


# properties --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def methods(rpc):
    return rpc.server.methods


def test_registry_is_the_dev_chains(rpc):
    assert {"rpc.discover", "eth_sendTransaction", "evm_mine", "evm_snapshot", "anvil_setBalance"} <= \
        set(rpc.server.methods)


METHOD_NAMES = sorted({name for registry in REGISTRIES + (devnet.registry,) for name in registry.methods}
                      | {"rpc.discover"})


@pytest.mark.parametrize("method", METHOD_NAMES)
@settings(SETTINGS, max_examples=40)
@given(data=st.data())
def test_each_method_with_hostile_params(rpc, methods, method, data):
    """Each registered method, its params as the registry declares them with edge values, or made hostile."""
    request = {"jsonrpc": "2.0", "id": data.draw(request_ids()), "method": method}
    params = data.draw(st.one_of(typed_params(methods[method]), typed_params(methods[method]), param_values))
    if params is not None or data.draw(st.booleans()):
        request["params"] = params
    exchange(rpc, tame(request))
    assert rpc.block_number() >= 0


@SETTINGS
@given(data=st.data())
def test_any_request_to_any_method(rpc, methods, data):
    """Real methods with hostile params, hostile envelopes: a well-formed answer to each."""
    exchange(rpc, data.draw(requests_(methods)))
    assert rpc.block_number() >= 0


@settings(SETTINGS, max_examples=150)
@given(data=st.data())
def test_batches_mixing_valid_and_invalid(rpc, methods, data):
    batch = data.draw(st.lists(st.one_of(requests_(methods), requests_(methods), json_values), min_size=1, max_size=8))
    exchange(rpc, batch)


@settings(SETTINGS, max_examples=150)
@given(value=json_values)
def test_any_json_value(rpc, value):
    exchange(rpc, value)


@settings(SETTINGS, max_examples=150)
@given(body=st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_any_bytes(rpc, body):
    """Bodies that are mostly not JSON, or not UTF-8: -32700, never an exception."""
    exchange(rpc, body)


@settings(SETTINGS, max_examples=150)
@given(data=st.data())
def test_mangled_requests(rpc, methods, data):
    """A valid request's text, cut, spliced with stray bytes, or re-encoded."""
    text = json.dumps(data.draw(requests_(methods))).encode()
    cut = data.draw(st.integers(0, len(text)))
    mangled = data.draw(st.sampled_from([
        text[:cut], text[:cut] + data.draw(st.binary(min_size=1, max_size=4)) + text[cut:],
        text.decode().encode("utf-16"), text.decode().encode("utf-32"), b"\xef\xbb\xbf" + text, text + b"\x00",
        text.replace(b'"', b"'"), text[:cut] + b"\xc3\x28" + text[cut:]]))
    exchange(rpc, mangled)


def _loads_or_none(body):
    try:
        return parse_json(body)
    except ValueError:
        return None


@pytest.mark.parametrize("depth", [10, 200, 900, 990, 1_000, 5_000, 200_000])
@pytest.mark.parametrize("where", ["body", "params", "param", "id", "filter-topics", "call-access-list"])
def test_deep_nesting(rpc, depth, where):
    nested = "[" * depth + "]" * depth
    body = {
        "body": nested,
        "params": '{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":%s}' % nested,
        "param": '{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":[%s]}' % nested,
        "id": '{"jsonrpc":"2.0","id":%s,"method":"eth_chainId"}' % nested,
        "filter-topics": '{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"topics":[%s]}]}' % nested,
        "call-access-list": '{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"%s","accessList":%s}]}'
                            % (BALANCES, nested),
    }[where]
    exchange(rpc, body)
    assert rpc.block_number() >= 0


@pytest.mark.parametrize("payload", [
    '{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":[%s]}' % ("9" * 5_000),
    '{"jsonrpc":"2.0","id":%s,"method":"eth_chainId"}' % ("9" * 4_000),
    '{"jsonrpc":"2.0","id":1,"method":"eth_feeHistory","params":["0x1","latest",[NaN]]}',
    '{"jsonrpc":"2.0","id":1,"method":"eth_feeHistory","params":["0x1","latest",[Infinity]]}',
    '{"jsonrpc":"2.0","id":1,"method":"evm_increaseTime","params":[1e400]}',
    '{"jsonrpc":"2.0","id":1,"method":"evm_mine","params":[-Infinity]}',
    '{"jsonrpc":"2.0","id":"\\ud800","method":"eth_chainId"}',
    '{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["\\u0000"]}',
    '{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"%s","data":"0x%s"}]}' % (BALANCES, "ab" * 500_000),
    '{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"address":[%s]}]}' % ",".join(['"%s"' % DEV[0]] * 20_000),
    '{"jsonrpc":"2.0","id":1,"method":"state_getReadProof","params":[[%s]]}' % ",".join(['"0x00"'] * 256),
    '{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x%s"]}' % ("f8" * 300_000),
    '{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["%s","latest"],"params":[]}' % DEV[0],
], ids=["huge-integer-param", "huge-integer-id", "nan", "infinity", "float-overflow", "negative-infinity",
        "lone-surrogate-id", "nul-param", "megabyte-calldata", "twenty-thousand-addresses", "many-proof-keys",
        "huge-raw-transaction", "duplicate-keys"])
def test_huge_and_odd_values(rpc, payload):
    exchange(rpc, payload)
    assert rpc.block_number() >= 0


@pytest.mark.parametrize("id_", [True, False])
def test_boolean_id_is_answered_with_null(rpc, id_):
    """JSON-RPC 2.0: an invalid id cannot be echoed; a boolean is no string, number or null."""
    answer = rpc.handle({"jsonrpc": "2.0", "id": id_, "method": "eth_chainId"})
    assert answer["error"]["code"] == INVALID_REQUEST
    assert answer["id"] is None, answer


BLOCK_NUMBER_METHODS = [
    ("eth_getBalance", [DEV[0], "{n}"]), ("eth_getTransactionCount", [DEV[0], "{n}"]),
    ("eth_call", [{"to": BALANCES, "data": "0x06fdde03"}, "{n}"]), ("eth_estimateGas", [{"to": DEV[1]}, "{n}"]),
    ("eth_getStorageAt", [BALANCES, "0x0", "{n}"]), ("eth_getBlockByNumber", ["{n}", False]),
    ("eth_getBlockTransactionCountByNumber", ["{n}"]), ("eth_getTransactionByBlockNumberAndIndex", ["{n}", "0x0"]),
    ("eth_getBlockReceipts", ["{n}"]), ("eth_feeHistory", ["0x1", "{n}"]), ("eth_getLogs", [{"fromBlock": "{n}"}]),
    ("eth_getLogs", [{"toBlock": "{n}"}]), ("eth_getBalance", [DEV[0], {"blockNumber": "{n}"}]),
    ("chain_getBlockHash", ["{n}"]),
]


@pytest.mark.parametrize("method, params", BLOCK_NUMBER_METHODS, ids=[f"{m}-{i}" for i, (m, _) in
                                                                     enumerate(BLOCK_NUMBER_METHODS)])
def test_block_numbers_beyond_64_bits(rpc, method, params):
    """Valid quantities, but no block has such a number: not found (once -32603, from an OverflowError)."""
    filled = json.loads(json.dumps(params).replace("{n}", hex(BEYOND_64_BITS)))
    answer = rpc.handle({"jsonrpc": "2.0", "id": 1, "method": method, "params": filled})
    check_response(answer, 1)
    assert answer.get("result") is None or answer["error"]["code"] == RESOURCE_NOT_FOUND, answer


@pytest.mark.parametrize("epoch", [hex(2**64), hex(2**64 + 1), hex(2**256 - 1)])
def test_randomness_epoch_beyond_64_bits(rpc, epoch):
    """An epoch no chain reaches is simply unknown: null, not an internal error."""
    answer = rpc.handle({"jsonrpc": "2.0", "id": 1, "method": "flock_getRandomness", "params": [epoch]})
    assert check_response(answer, 1)["result"] is None


def test_block_timestamps_stay_within_64_bits(tmp_path):
    node = InProcessNode(tmp_path / "data")
    try:
        check_response(node.handle({"jsonrpc": "2.0", "id": 1, "method": "evm_setNextBlockTimestamp",
                                    "params": [2**64 - 1]}), 1)
        check_response(node.handle({"jsonrpc": "2.0", "id": 1, "method": "evm_mine"}), 1)
        later = node.node.clock.now() + 5
        node.node.clock.now = lambda: later  # five seconds pass
        check_response(node.handle({"jsonrpc": "2.0", "id": 1, "method": "evm_mine"}), 1)  # refused or sealed
        latest = check_response(node.handle({"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber",
                                             "params": ["latest", False]}), 1)
        assert int(latest["result"]["timestamp"], 16) < 2**64
    finally:
        node.node.close()


def test_notifications_get_nothing(rpc, methods):
    for method in methods:
        if method in ("evm_mine", "anvil_setBalance", "flock_setBalance"):
            continue
        assert rpc.handle({"jsonrpc": "2.0", "method": method, "params": ["0xbad"]}) is None, method
    assert rpc.handle([{"jsonrpc": "2.0", "method": m} for m in methods if m.startswith("eth_get")]) is None


# memory ------------------------------------------------------------------------------------

def hostile_requests(rng: random.Random, methods: list[str]):
    """An endless stream of hostile requests from a fixed, small pool of values (so caches saturate)."""
    values = [None, True, 0, -1, 2**300, 1.5, "", "0x", "0x0", "0x00", "latest", "pending", "0xzz", DEV[0], BALANCES,
              "0x" + "11" * 32, "0x" + "22" * 16, [], {}, [[[[]]]], {"a": {"b": [1]}}, "x" * 1000,
              {"fromBlock": "0x0", "address": BALANCES}, {"to": BALANCES, "data": "0x06fdde03"},
              {"from": DEV[0], "to": DEV[1], "value": "0x" + "f" * 40}, {"topics": [None, "0x" + "33" * 32]}]
    read_only = [m for m in sorted(methods) if not m.startswith(("evm_", "anvil_", "flock_set", "eth_send", "author_"))]
    while True:
        kind = rng.randrange(10)
        if kind == 0:
            yield rng.choice(['{"jsonrpc":"2.0",', "[" * 3000, b"\xff\xfe\x00", "", "[]", "[1,2,3]", "null"])
        elif kind == 1:
            yield [{"jsonrpc": "2.0", "id": i, "method": rng.choice(read_only),
                    "params": [rng.choice(values) for _ in range(rng.randrange(3))]} for i in range(rng.randrange(1, 20))]
        elif kind == 2:
            yield {"jsonrpc": "2.0", "id": 1, "method": rng.choice(["eth_newFilter", "eth_newBlockFilter",
                                                                    "eth_newPendingTransactionFilter"]),
                   "params": [{"address": BALANCES}] if rng.random() < 0.5 else []}
        elif kind == 3:
            yield {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction",
                   "params": [rng.choice(["0x02c3010203", "0x" + "f8" * 50, sign(0, chain_id=1), "0x"])]}
        else:
            yield {"jsonrpc": "2.0", "id": rng.choice([1, "a", None]), "method": rng.choice(read_only + ["nope"]),
                   "params": [rng.choice(values) for _ in range(rng.randrange(4))]}


def traced_after(rpc, stream, count: int) -> int:
    for _ in range(count):
        rpc.handle(next(stream))
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_memory_stays_bounded_under_hostile_requests(rpc, methods):
    """After warming up (caches full, the filter table at its cap), thousands more hostile
    requests leave traced memory where it was."""
    stream = hostile_requests(random.Random(1), methods)
    logging.disable(logging.CRITICAL)  # pytest keeps every log record (the known bugs' tracebacks) in memory
    tracemalloc.start()
    try:
        traced_after(rpc, stream, 1_000)
        for _ in range(MAX_FILTERS):
            rpc.handle({"jsonrpc": "2.0", "id": 1, "method": "eth_newBlockFilter"})
        first = traced_after(rpc, stream, 1_000)
        second = traced_after(rpc, stream, 2_000)
    finally:
        tracemalloc.stop()
        logging.disable(logging.NOTSET)
    assert len(rpc.hub.filters) <= MAX_FILTERS
    assert second - first < 64 * 1024, f"traced memory grew by {(second - first) // 1024} KiB over 2,000 requests"
    assert rpc.block_number() >= 3


def test_filter_spam_is_capped(rpc):
    """eth_newFilter and friends stop at MAX_FILTERS with -32005, and uninstalling makes room again."""
    answers = [rpc.handle({"jsonrpc": "2.0", "id": i, "method": "eth_newFilter", "params": [{"address": BALANCES}]})
               for i in range(MAX_FILTERS + 50)]
    refused = [a for a in answers if "error" in a]
    assert len(rpc.hub.filters) == MAX_FILTERS and refused
    assert {a["error"]["code"] for a in refused} == {LIMIT_EXCEEDED}, refused[0]
    for kind in ("eth_newBlockFilter", "eth_newPendingTransactionFilter"):
        assert rpc.handle({"jsonrpc": "2.0", "id": 1, "method": kind})["error"]["code"] == LIMIT_EXCEEDED
    some_id = next(iter(rpc.hub.filters))
    assert rpc.handle({"jsonrpc": "2.0", "id": 1, "method": "eth_uninstallFilter", "params": [some_id]})["result"]
    assert "result" in rpc.handle({"jsonrpc": "2.0", "id": 1, "method": "eth_newBlockFilter"})
    for filter_id in list(rpc.hub.filters):
        rpc.handle({"jsonrpc": "2.0", "id": 1, "method": "eth_uninstallFilter", "params": [filter_id]})
    assert not rpc.hub.filters


def test_snapshot_spam_is_bounded(rpc):
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(10_000):
            rpc.handle({"jsonrpc": "2.0", "id": 1, "method": "evm_snapshot"})
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        rpc.handle({"jsonrpc": "2.0", "id": 1, "method": "evm_revert", "params": [hex(2**64)]})
    assert grown < 1024 * 1024, f"10,000 snapshots hold {grown // 1024} KiB"


# over real HTTP and WebSocket ------------------------------------------------------------------

SIX_MIB = 6 * 1024 * 1024


def alive(chain) -> None:
    assert chain.process.poll() is None, "the node exited"
    assert chain.rpc("eth_blockNumber")["result"].startswith("0x")


@pytest.mark.parametrize("body, status, code", [
    (b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId\xff\xfe"}', 200, PARSE_ERROR),
    (b"\xc3\x28\xa0\xa1", 200, PARSE_ERROR),
    (b'{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["' + b"a" * SIX_MIB + b'"]}', 413, LIMIT_EXCEEDED),
    (b"[" * 100_000 + b"]" * 100_000, 200, PARSE_ERROR),
    (b'{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":' + b"[" * 950 + b"]" * 950 + b"}", 200, None),
    (b'{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["' + b"\\ud800" * 1000 + b'"]}', 200, INVALID_PARAMS),
    (b"\x00" * 1000, 200, PARSE_ERROR),
    ('{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}'.encode("utf-16"), 200, None),
], ids=["invalid-utf8-method", "invalid-utf8-body", "six-mebibytes", "deep-nesting", "deep-params",
        "lone-surrogates", "nul-bytes", "utf16-body"])
def test_raw_hostile_bodies_over_http(chain, body, status, code):
    response = requests.post(chain.url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
    assert response.status_code == status, response.text[:200]
    answer = response.json()
    check_response(answer, any_id=True)
    if code is not None:
        assert answer["error"]["code"] == code, answer
    alive(chain)


def test_six_mebibytes_chunked_over_http(chain):
    """Without Content-Length the limit still holds, after reading no more than it."""
    def chunks():
        yield b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["'
        for _ in range(6):
            yield b"a" * (1024 * 1024)
        yield b'"]}'
    response = requests.post(chain.url, data=chunks(), headers={"Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 413 and response.json()["error"]["code"] == LIMIT_EXCEEDED
    alive(chain)


def test_hostile_websocket_frames(chain):
    """Invalid UTF-8 in a binary frame gets -32700; an oversized message closes that connection only."""
    import asyncio

    async def scenario():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(chain.url.replace("http", "ws", 1), max_msg_size=0) as ws:
                await ws.send_bytes(b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"\xff}')
                answer = await ws.receive_json(timeout=30)
                assert answer["error"]["code"] == PARSE_ERROR
                await ws.send_str("[" * 100_000)
                assert (await ws.receive_json(timeout=30))["error"]["code"] == PARSE_ERROR
                await ws.send_str('{"jsonrpc":"2.0","id":2,"method":"eth_chainId"}')
                assert (await ws.receive_json(timeout=30))["result"] == "0x7a69"
            async with session.ws_connect(chain.url.replace("http", "ws", 1)) as ws:
                try:
                    await ws.send_bytes(b"[" + b" " * SIX_MIB + b"]")
                except ConnectionError:
                    return  # the node closed the connection before the whole message was written
                message = await ws.receive(timeout=30)
                assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)

    asyncio.run(scenario())
    alive(chain)
