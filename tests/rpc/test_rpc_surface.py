"""The wider JSON-RPC surface through web3.py against a real dev node: logs, filters,
subscriptions, fee history, dev signing, module ABIs, Substrate namespaces, OpenRPC, CORS."""

import asyncio

import requests
from eth_abi import decode as abi_decode
from web3 import AsyncWeb3, Web3, WebSocketProvider
from web3.exceptions import ContractCustomError

from runtime.crypto import keccak256
from runtime.modules import balances
from runtime.trie import verify_proof

from .devchain import BALANCES, dev_account, start_dev_chain, stop_dev_chain

TRANSFER_TOPIC = "0x" + keccak256(b"Transfer(address,address,uint256)").hex()


def modules(chain) -> dict:
    return {m["name"]: m for m in chain.rpc("flock_modules")["result"]}


def balances_contract(chain):
    entry = modules(chain)["balances"]
    return chain.w3.eth.contract(address=entry["address"], abi=entry["abi"])


def test_module_abis_drive_views_calls_events_and_errors(chain):
    token = balances_contract(chain)
    sender, receiver = dev_account(4), dev_account(5)
    assert (token.functions.symbol().call(), token.functions.decimals().call()) == ("FLOCK", 18)
    before = token.functions.balanceOf(receiver.address).call()
    tx_hash = token.functions.transfer(receiver.address, 10**15).transact({"from": sender.address})
    receipt = chain.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    (event,) = token.events.Transfer().process_receipt(receipt)
    assert (event.args["from"], event.args["to"], event.args["value"]) == (sender.address, receiver.address, 10**15)
    assert token.functions.balanceOf(receiver.address).call() == before + 10**15
    try:
        token.functions.transfer(receiver.address, 10**40).call({"from": sender.address})
    except ContractCustomError as error:
        data = bytes.fromhex(error.data[2:])
        assert data[:4] == balances.InsufficientBalance.selector
        assert abi_decode(["uint256", "uint256"], data[4:])[1] == 10**40
    else:
        raise AssertionError("an overdrawing call must revert")


def test_flockchain_abi_matches_flock_modules(chain):
    import json
    import subprocess
    import sys
    version = str(chain.result("state_getRuntimeVersion")["specVersion"])
    printed = subprocess.run([sys.executable, "-m", "flockchain.cli", "abi", "--spec-version", version],
                             capture_output=True, text=True, check=True)
    assert json.loads(printed.stdout) == chain.rpc("flock_modules")["result"]
    newest = subprocess.run([sys.executable, "-m", "flockchain.cli", "abi"], capture_output=True, text=True,
                            check=True)
    assert [m["name"] for m in json.loads(newest.stdout)][-1] == "utility"
    unknown = subprocess.run([sys.executable, "-m", "flockchain.cli", "abi", "--spec-version", "99"],
                             capture_output=True, text=True)
    assert unknown.returncode == 2 and "no runtime spec_version 99" in unknown.stderr


def test_logs_and_polled_filters(chain):
    w3, sender = chain.w3, dev_account(6)
    log_filter = w3.eth.filter({"address": BALANCES, "topics": [TRANSFER_TOPIC, None,
                                                                 "0x" + "00" * 12 + dev_account(7).address[2:].lower()]})
    block_filter = w3.eth.filter("latest")
    pending_filter = w3.eth.filter("pending")
    tx_hash = w3.eth.send_transaction({"from": sender.address, "to": dev_account(7).address, "value": 3})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    w3.eth.send_transaction({"from": sender.address, "to": dev_account(8).address, "value": 4})
    entries = log_filter.get_new_entries()
    assert [e.transactionHash for e in entries] == [tx_hash], "only the transfer to account 7 matches"
    assert receipt.blockHash in block_filter.get_new_entries()
    assert tx_hash in pending_filter.get_new_entries()
    assert log_filter.get_new_entries() == [], "changes are delivered once"
    logs = w3.eth.get_logs({"fromBlock": receipt.blockNumber, "toBlock": receipt.blockNumber, "address": BALANCES})
    assert [log.transactionHash for log in logs] == [tx_hash]
    assert logs[0].logIndex == 0 and logs[0].topics[0].hex() == TRANSFER_TOPIC[2:]
    assert w3.eth.uninstall_filter(log_filter.filter_id) is True
    assert chain.rpc("eth_getFilterChanges", log_filter.filter_id)["error"]["code"] == -32001


def test_log_query_limits(chain):
    too_wide = chain.rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": hex(20_000)})
    assert too_wide["error"]["code"] in (-32001, -32005)
    mixed = chain.rpc("eth_getLogs", {"blockHash": "0x" + "11" * 32, "fromBlock": "0x0"})
    assert mixed["error"]["code"] == -32602


def test_subscriptions_push_heads_logs_and_pending(chain):
    url = chain.url.replace("http", "ws")
    sender = dev_account(3)

    async def scenario():
        async with AsyncWeb3(WebSocketProvider(url)) as w3:
            heads = await w3.eth.subscribe("newHeads")
            logs = await w3.eth.subscribe("logs", {"address": BALANCES})
            pending = await w3.eth.subscribe("newPendingTransactions")
            tx_hash = await w3.eth.send_transaction({"from": sender.address, "to": dev_account(2).address, "value": 1})
            seen = {}
            async for message in w3.socket.process_subscriptions():
                seen.setdefault(message["subscription"], message["result"])
                if len(seen) == 3:
                    break
            assert seen[pending] == tx_hash
            assert seen[logs]["transactionHash"] == tx_hash
            receipt = await w3.eth.get_transaction_receipt(tx_hash)
            assert seen[heads]["hash"] == receipt.blockHash
            assert await w3.eth.unsubscribe(heads) is True
            assert (await w3.provider.make_request("eth_unsubscribe", [heads]))["result"] is False

    asyncio.run(asyncio.wait_for(scenario(), 20))


def test_subscriptions_need_a_websocket(chain):
    assert chain.rpc("eth_subscribe", "newHeads")["error"]["code"] == -32601


def test_fee_history(chain):
    history = chain.w3.eth.fee_history(4, "latest", [25, 75])
    head = chain.w3.eth.block_number
    assert len(history.baseFeePerGas) == len(history.gasUsedRatio) + 1 == min(4, head + 1) + 1
    assert history.oldestBlock == head - len(history.gasUsedRatio) + 1
    assert all(0 <= r <= 1 for r in history.gasUsedRatio) and len(history.reward[0]) == 2
    last = chain.w3.eth.get_block("latest")
    assert history.baseFeePerGas[-2] == last.baseFeePerGas


def test_dev_signing(chain):
    w3 = chain.w3
    assert w3.eth.accounts[0] == dev_account(0).address and len(w3.eth.accounts) == 10
    tx_hash = w3.eth.send_transaction({"from": dev_account(1).address, "to": dev_account(2).address, "value": 7,
                                       "gasPrice": w3.eth.gas_price})
    tx = w3.eth.get_transaction(tx_hash)
    assert tx.type == 0 and w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10).status == 1
    stranger = chain.rpc("eth_sendTransaction", {"from": "0x" + "12" * 20, "to": dev_account(2).address})
    assert stranger["error"]["code"] == -32003 and "UnknownAccount" in stranger["error"]["message"]


def test_block_and_transaction_lookups(chain):
    w3 = chain.w3
    tx_hash = w3.eth.send_transaction({"from": dev_account(9).address, "to": dev_account(8).address, "value": 1})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    number, block_hash = receipt.blockNumber, receipt.blockHash
    assert w3.eth.get_block_transaction_count(number) == w3.eth.get_block_transaction_count(block_hash) == 1
    assert w3.eth.get_transaction_by_block(number, 0).hash == w3.eth.get_transaction_by_block(block_hash, 0).hash == tx_hash
    assert chain.rpc("eth_getTransactionByBlockNumberAndIndex", hex(number), "0x5")["result"] is None
    (block_receipt,) = w3.eth.get_block_receipts(number)
    assert block_receipt.transactionHash == tx_hash
    assert w3.eth.syncing is False and w3.net.listening is True and w3.net.peer_count == 0
    assert w3.eth.get_code(BALANCES) != b"" and w3.eth.get_code(dev_account(0).address) == b""


def test_substrate_namespaces_and_read_proofs(chain):
    head = chain.w3.eth.get_block("latest")
    header = chain.rpc("chain_getHeader")["result"]
    assert header["hash"] == head.hash.to_0x_hex() and header["stateRoot"] == head.stateRoot.to_0x_hex()
    assert chain.rpc("chain_getBlockHash", "0x0")["result"] == chain.w3.eth.get_block(0).hash.to_0x_hex()
    assert chain.rpc("chain_getFinalizedHead")["result"] == head.hash.to_0x_hex()
    assert chain.rpc("chain_getBlock")["result"]["block"]["header"]["number"] == hex(head.number)
    key = balances.Account.key(bytes.fromhex(dev_account(0).address[2:]))
    value = chain.rpc("state_getStorage", "0x" + key.hex())["result"]
    proof = chain.rpc("state_getReadProof", ["0x" + key.hex()], head.hash.to_0x_hex())["result"]
    nodes = [bytes.fromhex(n[2:]) for n in proof["proof"]]
    assert verify_proof(bytes(head.stateRoot), keccak256(key), nodes) == bytes.fromhex(value[2:])
    assert chain.rpc("state_getRuntimeVersion")["result"]["specName"] == "flockchain"
    assert chain.rpc("system_chain")["result"] == "Flockchain Development"
    assert chain.rpc("system_health")["result"]["isSyncing"] is False
    raw = dev_account(7).sign_transaction({"to": dev_account(6).address, "value": 1, "gas": 21_000, "chainId": 31337,
                                           "nonce": chain.w3.eth.get_transaction_count(dev_account(7).address, "pending"),
                                           "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9}).raw_transaction
    submitted = chain.rpc("author_submitExtrinsic", raw.to_0x_hex())["result"]
    assert chain.w3.eth.wait_for_transaction_receipt(submitted, timeout=10).status == 1


def test_openrpc_describes_every_method(chain):
    document = chain.rpc("rpc.discover")["result"]
    described = {m["name"]: m for m in document["methods"]}
    for name in ("eth_getLogs", "eth_subscribe", "flock_modules", "state_getReadProof", "rpc.discover"):
        assert name in described
    assert [p["name"] for p in described["eth_getBalance"]["params"]] == ["address", "block"]
    assert described["eth_getBalance"]["params"][1]["required"] is False


def test_cors_is_off_by_default(chain):
    """A web origin is refused outright (not served without CORS headers, as geth does): see test_web_safety.py."""
    response = requests.post(chain.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
                             headers={"Origin": "https://evil.example"}, timeout=10)
    assert response.status_code == 403 and "Access-Control-Allow-Origin" not in response.headers


def test_cors_allows_only_named_origins(tmp_path):
    node = start_dev_chain(tmp_path, extra_args=("--cors", "https://wallet.example"))
    try:
        allowed = requests.options(node.url, headers={"Origin": "https://wallet.example",
                                                      "Access-Control-Request-Method": "POST"}, timeout=10)
        assert allowed.status_code == 204
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://wallet.example"
        other = requests.post(node.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
                              headers={"Origin": "https://other.example"}, timeout=10)
        assert other.status_code == 403 and "Access-Control-Allow-Origin" not in other.headers
    finally:
        stop_dev_chain(node.process)


def test_web3_checksums_match(chain):
    assert Web3.to_checksum_address(modules(chain)["balances"]["address"]) == modules(chain)["balances"]["address"]


def test_vrf_in_headers_and_epoch_randomness(chain):
    from runtime.crypto import ecvrf
    tx_hash = chain.w3.eth.send_transaction({"from": dev_account(1).address, "to": dev_account(2).address, "value": 1})
    chain.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    head = chain.rpc("chain_getHeader")["result"]
    block = chain.w3.eth.get_block("latest")
    assert block.mixHash.to_0x_hex() == head["digest"]["vrfOutput"]
    proof = bytes.fromhex(head["digest"]["vrfProof"][2:])
    assert ecvrf.proof_to_hash(proof) == bytes(block.mixHash)
    current = chain.rpc("flock_getRandomness")["result"]
    assert current["current"] is True and int(current["epochLength"], 16) > 0
    assert chain.rpc("flock_getRandomness", "0x0")["result"]["randomness"] == "0x" + "00" * 32
    assert chain.rpc("flock_getRandomness", hex(10**6))["result"] is None
