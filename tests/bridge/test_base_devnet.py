"""The Base devnet (base_devnet/chain.py + server.py) as a relayer sees it.

Real clients against a real process: web3.py and raw JSON-RPC over HTTP against
`flockchain base-devnet`, plus the mempool driven in-process where sealing must be controlled.
Headers and receipts roots are rebuilt from the JSON, as a relayer proving a deposit would.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import rlp
from eth_account import Account
from eth_hash.auto import keccak
from web3 import Web3
from web3.exceptions import ContractLogicError

from base_devnet.chain import (
    BRIDGE_ADDRESS,
    DEPLOYER_ADDRESS,
    TOKEN_ADDRESS,
    BaseDevnet,
    TxPoolError,
    compute_create_address,
    default_addresses,
)
from base_devnet.server import CLIENT_VERSION, INFO, LIMITS, registry
from chain.bridge.compile import compile_contract
from chain.devkeys import derive_key, dev_keys
from genesis.builder import load_spec
from runtime.trie import compute_ordered_trie_root
from tests.rpc.web_attacks import METAMASK, assert_page_requests_refused
from tests.rpc.web_attacks import post as post_as

FLOCKCHAIN = str(Path(sys.executable).with_name("flockchain"))
MNEMONIC = "test test test test test test test test test test test junk"
CHAIN_ID = 8453
E18 = 10**18
GWEI = 10**9
STARTUP_TIMEOUT = 60
HEADER_FIELDS = (
    ("parentHash", bytes), ("sha3Uncles", bytes), ("miner", bytes), ("stateRoot", bytes),
    ("transactionsRoot", bytes), ("receiptsRoot", bytes), ("logsBloom", bytes), ("difficulty", int),
    ("number", int), ("gasLimit", int), ("gasUsed", int), ("timestamp", int), ("extraData", bytes),
    ("mixHash", bytes), ("nonce", bytes), ("baseFeePerGas", int), ("withdrawalsRoot", bytes),
    ("blobGasUsed", int), ("excessBlobGas", int), ("parentBeaconBlockRoot", bytes), ("requestsHash", bytes),
)
DEPOSIT_TOPIC = keccak(b"Deposit(uint256,address,address,uint256)")


def dev_key(index: int) -> bytes:
    return derive_key(MNEMONIC, f"m/44'/60'/0'/0/{index}").private_key


def b(hex_str: str) -> bytes:
    return bytes.fromhex(hex_str[2:])


def post(url: str, body: bytes) -> tuple[int, object]:
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def rpc_raw(url: str, method: str, params: list) -> dict:
    _status, reply = post(url, json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode())
    return reply


def rpc(url: str, method: str, params: list):
    reply = rpc_raw(url, method, params)
    assert "error" not in reply, reply
    return reply["result"]


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# ---------------------------------------------------------------- a running devnet process


class DevnetProcess:
    def __init__(self, *args: str):
        self.proc = subprocess.Popen([FLOCKCHAIN, "base-devnet", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.info = None
        found = threading.Event()

        def read() -> None:
            for line in self.proc.stdout:
                if line.startswith("BASE_DEVNET "):
                    self.info = json.loads(line[len("BASE_DEVNET "):])
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(STARTUP_TIMEOUT):
            self.proc.kill()
            raise AssertionError(f"base-devnet did not start: {self.proc.stderr.read()}")
        self.url = self.info["rpc"]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


@pytest.fixture(scope="module")
def devnet():
    process = DevnetProcess("--port", "0", "--block-time", "0.2")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def w3(devnet):
    return Web3(Web3.HTTPProvider(devnet.url, request_kwargs={"timeout": 30}))


@pytest.fixture(scope="module")
def contracts(w3, devnet):
    token = w3.eth.contract(address=devnet.info["token"], abi=compile_contract("MockFLOCK").abi)
    bridge = w3.eth.contract(address=devnet.info["bridge"], abi=compile_contract("FlockBridge").abi)
    return token, bridge


def check_block_roots(url: str, number: int) -> dict:
    """Re-encode the JSON header to its hash, and rebuild receiptsRoot from eth_getBlockReceipts."""
    block = rpc(url, "eth_getBlockByNumber", [hex(number), False])
    fields = [b(block[name]) if kind is bytes else int(block[name], 16) for name, kind in HEADER_FIELDS]
    assert keccak(rlp.encode(fields)) == b(block["hash"]), f"block {number} header does not re-encode to its hash"
    receipts = rpc(url, "eth_getBlockReceipts", [hex(number)])
    assert rpc(url, "eth_getBlockReceipts", [block["hash"]]) == receipts
    assert [r["transactionHash"] for r in receipts] == block["transactions"]
    encoded = []
    for r in receipts:
        logs = [[b(entry["address"]), [b(t) for t in entry["topics"]], b(entry["data"])] for entry in r["logs"]]
        body = rlp.encode([int(r["status"], 16), int(r["cumulativeGasUsed"], 16), b(r["logsBloom"]), logs])
        kind = int(r["type"], 16)
        encoded.append(body if kind == 0 else bytes([kind]) + body)
    assert compute_ordered_trie_root(encoded) == b(block["receiptsRoot"]), f"block {number} receipts root"
    return block


# ---------------------------------------------------------------- addresses


def test_addresses_are_the_dev_authoritys_first_two_creates():
    _accounts, authority = dev_keys(load_spec("dev"))
    assert authority.address == DEPLOYER_ADDRESS
    assert TOKEN_ADDRESS == compute_create_address(DEPLOYER_ADDRESS, 0)
    assert BRIDGE_ADDRESS == compute_create_address(DEPLOYER_ADDRESS, 1)
    assert TOKEN_ADDRESS.hex() == "fbfbfddd6e35da57b7b0f9a2c10e34be70b3a4e9"
    assert BRIDGE_ADDRESS.hex() == "10aeafac83d48e2f9ac4baaf94311c45face1404"
    assert default_addresses().bridge == BRIDGE_ADDRESS
    # the well-known first CREATE address of anvil's account 0
    assert compute_create_address(b(Account.from_key(dev_key(0)).address), 0).hex() == \
        "5fbdb2315678afecb367f032d93f642f64180aa3"


# ---------------------------------------------------------------- over JSON-RPC


def test_chain_id_blocks_and_deployment(w3, devnet, contracts):
    token, bridge = contracts
    assert w3.eth.chain_id == CHAIN_ID == devnet.info["chainId"]
    assert rpc(devnet.url, "net_version", []) == "8453"
    assert devnet.info["token"].lower() == "0x" + TOKEN_ADDRESS.hex()
    assert devnet.info["bridge"].lower() == "0x" + BRIDGE_ADDRESS.hex()
    start = w3.eth.block_number
    wait_for(lambda: w3.eth.block_number >= start + 3, what="three more blocks")
    timestamps = [w3.eth.get_block(n).timestamp for n in range(start, start + 4)]
    assert all(later > earlier for earlier, later in zip(timestamps, timestamps[1:]))
    assert bridge.functions.token().call() == token.address
    assert bridge.functions.homeChainId().call() == 31337
    assert bridge.functions.dailyCap().call() == 10**24
    assert bridge.functions.getValidators().call() == [[devnet.info["deployer"]], [1]]
    for address in devnet.info["accounts"]:
        assert token.functions.balanceOf(address).call() == 1_000_000 * E18
        assert w3.eth.get_balance(address, "earliest") == 10_000 * E18
    assert token.functions.totalSupply().call() == 11 * 1_000_000 * E18


def test_every_header_and_receipts_root_rebuilds(devnet):
    latest = int(rpc(devnet.url, "eth_blockNumber", []), 16)
    assert latest >= 1
    deployment = check_block_roots(devnet.url, 1)
    assert len(deployment["transactions"]) == 13
    for number in range(0, min(latest, 12) + 1):
        check_block_roots(devnet.url, number)


def test_approve_and_two_deposits_of_one_sender_land_in_one_block(w3, devnet, contracts):
    token, bridge = contracts
    user = Account.from_key(dev_key(1))
    recipient = Account.from_key(dev_key(2)).address
    first_nonce = bridge.functions.depositNonce().call()
    nonce = w3.eth.get_transaction_count(user.address)
    fees = {"maxFeePerGas": 2 * w3.eth.get_block("latest").baseFeePerGas + w3.eth.max_priority_fee,
            "maxPriorityFeePerGas": w3.eth.max_priority_fee, "chainId": CHAIN_ID, "from": user.address}
    calls = [token.functions.approve(bridge.address, 10 * E18),
             bridge.functions.deposit(3 * E18, recipient),
             bridge.functions.deposit(4 * E18, recipient)]
    signed = [user.sign_transaction(call.build_transaction(dict(fees, nonce=nonce + i, gas=200_000)))
              for i, call in enumerate(calls)]
    # the deposits first: they wait behind a nonce gap until the approval arrives, then all three are sealed together
    hashes = [w3.eth.send_raw_transaction(s.raw_transaction) for s in reversed(signed)][::-1]
    assert w3.eth.get_transaction_count(user.address, "pending") == nonce + 3
    receipts = [w3.eth.wait_for_transaction_receipt(h, timeout=30, poll_latency=0.05) for h in hashes]
    assert [r.status for r in receipts] == [1, 1, 1]
    assert len({r.blockNumber for r in receipts}) == 1, [r.blockNumber for r in receipts]
    assert [r.transactionIndex for r in receipts] == [0, 1, 2]
    number = receipts[0].blockNumber
    check_block_roots(devnet.url, number)

    events = bridge.events.Deposit().get_logs(from_block=number, to_block=number)
    assert [(e.args.nonce, e.args.sender, e.args.recipient, e.args.amount) for e in events] == [
        (first_nonce, user.address, recipient, 3 * E18), (first_nonce + 1, user.address, recipient, 4 * E18)]
    assert bridge.functions.depositNonce().call() == first_nonce + 2

    sender_topic = "0x" + bytes(12).hex() + user.address[2:].lower()
    by_sender = rpc(devnet.url, "eth_getLogs", [{"fromBlock": hex(number), "toBlock": "latest",
                                                 "address": [bridge.address, token.address],
                                                 "topics": ["0x" + DEPOSIT_TOPIC.hex(), None, sender_topic]}])
    assert [int(entry["topics"][1], 16) for entry in by_sender] == [first_nonce, first_nonce + 1]
    second_nonce_topic = "0x" + (first_nonce + 1).to_bytes(32, "big").hex()
    second_only = rpc(devnet.url, "eth_getLogs", [{"blockHash": receipts[0].blockHash.to_0x_hex(),
                                                   "topics": [None, [second_nonce_topic]]}])
    assert len(second_only) == 1 and second_only[0]["transactionHash"] == hashes[2].to_0x_hex()
    all_logs = rpc(devnet.url, "eth_getLogs", [{"blockHash": receipts[0].blockHash.to_0x_hex()}])
    assert [int(entry["logIndex"], 16) for entry in all_logs] == list(range(len(all_logs)))
    assert len(all_logs) == 1 + 2 * 2  # Approval, then Transfer + Deposit per deposit
    tx = rpc(devnet.url, "eth_getTransactionByHash", [hashes[1].to_0x_hex()])
    assert tx["blockNumber"] == hex(number) and tx["transactionIndex"] == "0x1" and tx["type"] == "0x2"


def test_revert_reasons_reach_web3(w3, contracts, devnet):
    _token, bridge = contracts
    someone = Account.from_key(dev_key(3)).address
    with pytest.raises(ContractLogicError, match="insufficient signing weight"):
        bridge.functions.withdraw(1, someone, 1, []).call()
    with pytest.raises(ContractLogicError, match="zero amount"):
        bridge.functions.deposit(0, someone).estimate_gas({"from": someone})
    reply = rpc_raw(devnet.url, "eth_call", [{"to": bridge.address, "data": bridge.encode_abi(
        "deposit", [0, someone])}, "latest"])
    assert reply["error"]["code"] == 3
    assert reply["error"]["message"] == "execution reverted: zero amount"
    assert reply["error"]["data"].startswith("0x08c379a0")
    gas = bridge.functions.deposit(E18, someone).estimate_gas({"from": devnet.info["accounts"][1]})
    assert 30_000 < gas < 200_000


def test_safe_and_finalized_lag_latest(devnet):
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_getBlockByNumber", "params": [tag, False]}
             for i, tag in enumerate(("latest", "safe", "finalized", "latest"))]

    def stable_read():
        _status, replies = post(devnet.url, json.dumps(batch).encode())
        numbers = [int(r["result"]["number"], 16) for r in sorted(replies, key=lambda r: r["id"])]
        return numbers if numbers[0] == numbers[3] and numbers[0] >= 6 else None

    latest, safe, finalized, _ = wait_for(stable_read, what="a stable read of latest/safe/finalized")
    assert finalized == latest - 4
    assert safe == latest - 2


def test_bad_input_gets_precise_errors_and_the_server_keeps_serving(w3, devnet):
    url = devnet.url
    status, reply = post(url, b'{"jsonrpc":"2.0","id":1,"method":')
    assert status == 200 and reply["error"]["code"] == -32700 and reply["id"] is None
    assert rpc_raw(url, "eth_nope", [])["error"] == {
        "code": -32601, "message": "the method eth_nope does not exist/is not available"}
    error = rpc_raw(url, "eth_getBalance", ["0x1234", "latest"])["error"]
    assert error["code"] == -32602 and "address must be 20 bytes, got 2" in error["message"]
    error = rpc_raw(url, "eth_getBlockByNumber", ["0x01", False])["error"]
    assert error["code"] == -32602 and "leading zero" in error["message"]
    error = rpc_raw(url, "eth_getBlockByNumber", ["latest"])["error"]
    assert error["code"] == -32602 and "missing parameter 1 (fullTransactions)" in error["message"]
    assert rpc(url, "eth_getBlockByNumber", ["0xffffff", False]) is None
    assert rpc_raw(url, "eth_getBalance", [devnet.info["deployer"], "0xffffff"])["error"]["message"] == \
        "header not found"
    error = rpc_raw(url, "eth_getLogs", [{"fromBlock": "0x0", "toBlock": hex(20_000)}])["error"]
    assert error["code"] == -32005 and "block range of 20001 exceeds the limit of 10000" in error["message"]

    status, reply = post(url, json.dumps([{"jsonrpc": "2.0", "id": 7, "method": "eth_chainId"}, 5]).encode())
    assert reply[0]["result"] == "0x2105" and reply[1]["error"]["code"] == -32600

    user = Account.from_key(dev_key(4))
    base = {"type": 2, "to": user.address, "value": 1, "gas": 21_000, "maxFeePerGas": 10 * GWEI,
            "maxPriorityFeePerGas": 1, "chainId": CHAIN_ID, "nonce": w3.eth.get_transaction_count(user.address)}
    wrong_chain = user.sign_transaction(dict(base, chainId=1)).raw_transaction.to_0x_hex()
    error = rpc_raw(url, "eth_sendRawTransaction", [wrong_chain])["error"]
    assert error["code"] == -32000 and error["message"] == "invalid chain id: have 1, want 8453"
    sent = w3.eth.send_raw_transaction(user.sign_transaction(base).raw_transaction)
    w3.eth.wait_for_transaction_receipt(sent, timeout=30, poll_latency=0.05)
    again = user.sign_transaction(dict(base, value=2)).raw_transaction.to_0x_hex()
    error = rpc_raw(url, "eth_sendRawTransaction", [again])["error"]
    assert error["code"] == -32000 and error["message"].startswith("nonce too low: next nonce")
    broke = Account.create()
    poor = broke.sign_transaction(dict(base, nonce=0)).raw_transaction.to_0x_hex()
    assert rpc_raw(url, "eth_sendRawTransaction", [poor])["error"]["message"].startswith(
        "insufficient funds for gas * price + value")
    assert rpc_raw(url, "eth_sendRawTransaction", ["0x02zz"])["error"]["code"] == -32602
    assert rpc_raw(url, "eth_sendRawTransaction", ["0x0102"])["error"]["message"].startswith("rlp:")
    assert w3.eth.chain_id == CHAIN_ID


def test_rpc_discover_and_the_shared_limits(devnet):
    """rpc/'s dispatcher serves the devnet: its OpenRPC document and its batch and size limits."""
    document = rpc(devnet.url, "rpc.discover", [])
    assert document["info"]["title"] == INFO.title and document["info"]["version"] == CLIENT_VERSION
    described = {m["name"]: m for m in document["methods"]}
    assert set(described) == set(registry.methods) | {"rpc.discover"}
    assert {"eth_getLogs", "eth_sendRawTransaction", "eth_getBlockReceipts", "evm_mine"} <= set(described)
    assert [p["name"] for p in described["eth_getBalance"]["params"]] == ["address", "block"]

    limit = LIMITS.max_batch_length
    at_limit = [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(limit)]
    status, reply = post(devnet.url, json.dumps(at_limit).encode())
    assert status == 200 and [r["id"] for r in reply] == list(range(limit))
    user = Account.from_key(dev_key(7))
    tx = user.sign_transaction({"type": 2, "to": user.address, "value": 1, "gas": 21_000, "maxFeePerGas": 10 * GWEI,
                                "maxPriorityFeePerGas": 1, "chainId": CHAIN_ID, "nonce": 0})
    over = at_limit + [{"jsonrpc": "2.0", "id": "tx", "method": "eth_sendRawTransaction",
                        "params": [tx.raw_transaction.to_0x_hex()]}]
    status, reply = post(devnet.url, json.dumps(over).encode())
    assert status == 200 and reply["id"] is None and reply["error"] == {
        "code": -32005, "message": f"batch of {limit + 1} requests exceeds the limit of {limit}"}
    assert rpc(devnet.url, "eth_getTransactionByHash", [tx.hash.to_0x_hex()]) is None

    status, reply = post(devnet.url, b"[" + b" " * LIMITS.max_request_bytes + b"]")
    assert status == 413 and reply["error"]["code"] == -32005
    assert str(LIMITS.max_request_bytes) in reply["error"]["message"]
    assert rpc(devnet.url, "eth_chainId", []) == hex(CHAIN_ID)


def test_web_pages_cannot_drive_or_read_it(w3, devnet):
    """The project's web policy (rpc/web_policy.py) on the Base devnet: a page's transaction never lands."""
    user = Account.from_key(dev_key(6))
    nonce = w3.eth.get_transaction_count(user.address)
    tx = user.sign_transaction({"type": 2, "to": user.address, "value": 1, "gas": 21_000, "maxFeePerGas": 10 * GWEI,
                                "maxPriorityFeePerGas": 1, "chainId": CHAIN_ID, "nonce": nonce})
    assert_page_requests_refused(devnet.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction",
                                              "params": [tx.raw_transaction.to_0x_hex()]})
    assert w3.eth.get_transaction_count(user.address, "pending") == nonce
    assert rpc(devnet.url, "eth_getTransactionByHash", [tx.hash.to_0x_hex()]) is None
    mine = post_as(devnet.url, {"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []},
                   {"Content-Type": "application/json", "Origin": METAMASK})
    assert mine.json()["error"]["code"] == -32601 and "browser origins" in mine.json()["error"]["message"]
    chain_id = post_as(devnet.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
                       {"Content-Type": "application/json", "Origin": METAMASK})
    assert chain_id.json()["result"] == hex(CHAIN_ID) and chain_id.headers["Access-Control-Allow-Origin"] == METAMASK


def test_fee_history_and_web3_filled_fees(w3, contracts):
    history = w3.eth.fee_history(4, "latest", [10, 50])
    assert len(history.baseFeePerGas) == len(history.gasUsedRatio) + 1 == 5
    assert len(history.reward) == 4 and all(len(r) == 2 for r in history.reward)
    assert w3.eth.gas_price > w3.eth.max_priority_fee > 0
    token, _bridge = contracts
    user = Account.from_key(dev_key(5))
    tx = token.functions.transfer(Account.from_key(dev_key(6)).address, E18).build_transaction(
        {"from": user.address, "nonce": w3.eth.get_transaction_count(user.address, "pending")})
    assert {"gas", "maxFeePerGas", "maxPriorityFeePerGas", "chainId"} <= set(tx)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(user.sign_transaction(tx).raw_transaction), timeout=30, poll_latency=0.05)
    assert receipt.status == 1 and receipt.gasUsed <= tx["gas"]
    assert receipt.effectiveGasPrice == w3.eth.get_block(receipt.blockNumber).baseFeePerGas + tx["maxPriorityFeePerGas"]


# ---------------------------------------------------------------- the process


def test_cli_exit_codes():
    bad = subprocess.run([FLOCKCHAIN, "base-devnet", "--block-time", "0"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "--block-time" in bad.stderr
    bad = subprocess.run([FLOCKCHAIN, "base-devnet", "--validators", "0x12:1"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "20-byte" in bad.stderr


def test_port_in_use_then_sigterm_exits_zero():
    process = DevnetProcess("--port", "0", "--block-time", "0.5", "--finality-lag", "2",
                            "--validators", f"{Account.from_key(dev_key(5)).address}:3")
    try:
        assert process.info["validators"][0]["weight"] == 3 and process.info["finalityLag"] == 2
        port = process.url.rsplit(":", 1)[1]
        clash = subprocess.run([FLOCKCHAIN, "base-devnet", "--port", port], capture_output=True, text=True,
                               timeout=60)
        assert clash.returncode == 1 and "cannot serve on" in clash.stderr
        assert clash.stderr.strip().count("\n") == 0
        assert rpc(process.url, "eth_chainId", []) == "0x2105"
    finally:
        assert process.stop() == 0


# ---------------------------------------------------------------- the mempool, in-process


@pytest.fixture(scope="module")
def chain():
    devnet = BaseDevnet(block_time=None)
    devnet.setup()
    return devnet


def signed(key: bytes, nonce: int, *, to: str | None = None, value: int = 1, max_fee: int = 10 * GWEI,
           tip: int = GWEI, gas: int = 21_000, chain_id: int = CHAIN_ID) -> bytes:
    account = Account.from_key(key)
    tx = {"type": 2, "chainId": chain_id, "nonce": nonce, "to": to or account.address, "value": value, "gas": gas,
          "maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip}
    return bytes(account.sign_transaction(tx).raw_transaction)


def address_of(key: bytes) -> bytes:
    return b(Account.from_key(key).address)


def test_pool_runs_gaps_and_fair_order(chain):
    alice, bob = dev_key(6), dev_key(7)
    a0 = chain.get_nonce(address_of(alice), chain.latest.number)
    b0 = chain.get_nonce(address_of(bob), chain.latest.number)
    for n in (0, 1, 2):
        chain.submit_raw_transaction(signed(alice, a0 + n, tip=GWEI))
    chain.submit_raw_transaction(signed(bob, b0 + 1, tip=3 * GWEI))  # a gap: bob's b0 is missing
    assert chain.get_nonce(address_of(alice), chain.latest.number, pending=True) == a0 + 3
    assert chain.get_nonce(address_of(bob), chain.latest.number, pending=True) == b0
    block = chain.seal_block()
    assert [(t["from"], int(t["nonce"], 16)) for t in block.transactions] == \
        [("0x" + address_of(alice).hex(), a0 + n) for n in range(3)]
    assert chain.pending_count() == 1
    chain.submit_raw_transaction(signed(bob, b0, tip=3 * GWEI))
    chain.submit_raw_transaction(signed(alice, a0 + 3, tip=GWEI))
    block = chain.seal_block()
    # the better-paying sender goes first, each sender's nonces stay in order
    assert [(t["from"][-4:], int(t["nonce"], 16)) for t in block.transactions] == [
        (address_of(bob).hex()[-4:], b0), (address_of(bob).hex()[-4:], b0 + 1), (address_of(alice).hex()[-4:], a0 + 3)]
    assert chain.pending_count() == 0
    assert chain.seal_block().transactions == ()


def test_pool_refusals_and_replacement(chain):
    key = dev_key(8)
    nonce = chain.get_nonce(address_of(key), chain.latest.number)
    with pytest.raises(TxPoolError, match="invalid chain id: have 10, want 8453"):
        chain.submit_raw_transaction(signed(key, nonce, chain_id=10))
    with pytest.raises(TxPoolError, match="intrinsic gas too low"):
        chain.submit_raw_transaction(signed(key, nonce, gas=20_000))
    with pytest.raises(TxPoolError, match="exceeds block gas limit"):
        chain.submit_raw_transaction(signed(key, nonce, gas=30_000_001))
    with pytest.raises(TxPoolError, match="max priority fee per gas higher than max fee per gas"):
        chain.submit_raw_transaction(signed(key, nonce, tip=11 * GWEI))
    with pytest.raises(TxPoolError, match="insufficient funds"):
        chain.submit_raw_transaction(signed(key, nonce, value=10_001 * E18))
    first = chain.submit_raw_transaction(signed(key, nonce, tip=GWEI))
    with pytest.raises(TxPoolError, match="already known"):
        chain.submit_raw_transaction(signed(key, nonce, tip=GWEI))
    with pytest.raises(TxPoolError, match="replacement transaction underpriced"):
        chain.submit_raw_transaction(signed(key, nonce, tip=GWEI + GWEI // 20, max_fee=11 * GWEI, value=2))
    second = chain.submit_raw_transaction(signed(key, nonce, tip=GWEI + GWEI // 10, max_fee=11 * GWEI, value=2))
    block = chain.seal_block()
    assert [t["hash"] for t in block.transactions] == ["0x" + second.hex()]
    assert chain.receipt_by_hash(first) is None and chain.receipt_by_hash(second)["status"] == "0x1"
    with pytest.raises(TxPoolError, match=f"nonce too low: next nonce {nonce + 1}, tx nonce {nonce}"):
        chain.submit_raw_transaction(signed(key, nonce, tip=5 * GWEI))


def test_a_transaction_invalid_at_sealing_is_dropped_not_sealed(chain):
    funder, poor = dev_key(9), Account.create().key
    chain.submit_raw_transaction(signed(funder, chain.get_nonce(address_of(funder), chain.latest.number),
                                        to=Account.from_key(poor).address, value=E18))
    chain.seal_block()
    cheap = {"max_fee": GWEI, "tip": 1, "to": Account.from_key(funder).address}
    chain.submit_raw_transaction(signed(poor, 0, value=E18 // 3, **cheap))
    doomed = chain.submit_raw_transaction(signed(poor, 1, value=E18 // 3, **cheap))
    # replacing nonce 0 with a larger value leaves too little for nonce 1 once nonce 0 has run
    chain.submit_raw_transaction(signed(poor, 0, value=9 * E18 // 10, **dict(cheap, max_fee=2 * GWEI, tip=2)))
    block = chain.seal_block()
    assert len(block.transactions) == 1 and block.receipts[0]["status"] == "0x1"
    assert chain.receipt_by_hash(doomed) is None and chain.pending_count() == 0
    assert chain.get_nonce(address_of(poor), chain.latest.number) == 1


def test_seal_timestamps_strictly_increase_and_finality_tags(chain):
    before = chain.latest
    records = [chain.seal_block() for _ in range(6)]
    assert [r.number for r in records] == list(range(before.number + 1, before.number + 7))
    assert all(r.timestamp > p.timestamp for p, r in zip([before] + records, records))
    latest = chain.latest.number
    assert chain.resolve_tag("finalized") == latest - 4
    assert chain.resolve_tag("safe") == latest - 2
    assert chain.resolve_tag("pending") == chain.resolve_tag("latest") == latest
    assert chain.resolve_tag("earliest") == 0

