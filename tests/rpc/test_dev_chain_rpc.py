"""What a wallet or script relies on, through the real RPC of a real `flockchain dev` process.

Every amount is checked exactly: a transfer moves `value`, the sender pays gasUsed ×
effectiveGasPrice, the author earns gasUsed × tip and the supply shrinks by gasUsed × baseFee.
Balances are compared between a block and its parent, so each check sees one block's effect.
"""

import asyncio
import json

import aiohttp
import pytest
import rlp
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_utils import keccak
from web3 import AsyncWeb3, WebSocketProvider
from web3.exceptions import ContractCustomError

from .devchain import BALANCES, CHAIN_ID, ERC20_ABI, GWEI, dev_account, transaction_fields

TRANSFER_TOPIC = keccak(text="Transfer(address,address,uint256)")
INSUFFICIENT_BALANCE = keccak(text="InsufficientBalance(uint256,uint256)")[:4]
AUTHOR = 10
"""Index of the dev chain's block author in the test mnemonic (genesis/dev.json authorityIndex)."""


def topic_of(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def next_base_fee(chain) -> int:
    """The base fee the next block will carry: eth_gasPrice is it plus the suggested 1 gwei tip."""
    return chain.w3.eth.gas_price - chain.w3.eth.max_priority_fee


def sign(account, chain, tx_type: int = 2, **fields):
    """A transaction signed by eth_account, as a wallet would produce it, with fees that will be accepted."""
    return Account.sign_transaction(transaction_fields(chain, account, tx_type, **fields), account.key)


def raw_request(id_, signed) -> dict:
    raw = signed.raw_transaction.to_0x_hex()
    return {"jsonrpc": "2.0", "id": id_, "method": "eth_sendRawTransaction", "params": [raw]}


def bump(fee: int) -> int:
    """The smallest fee a replacement may offer: 10% more, rounded up."""
    return (fee * 110 + 99) // 100


def wait(chain, signed) -> dict:
    return chain.w3.eth.wait_for_transaction_receipt(signed.hash, timeout=10, poll_latency=0.02)


def send(chain, signed) -> dict:
    assert chain.w3.eth.send_raw_transaction(signed.raw_transaction) == signed.hash
    return wait(chain, signed)


def intrinsic_gas(data: bytes) -> int:
    return 21_000 + sum(4 if b == 0 else 16 for b in data)


def balances(chain):
    return chain.w3.eth.contract(address=BALANCES, abi=ERC20_ABI)


def block_effect(chain, receipt, *addresses) -> tuple[list[int], int]:
    """Balance changes of `addresses` and the totalSupply change made by the receipt's block."""
    block = receipt["blockNumber"]
    deltas = [chain.w3.eth.get_balance(a, block) - chain.w3.eth.get_balance(a, block - 1) for a in addresses]
    supply = balances(chain).functions.totalSupply()
    return deltas, supply.call(block_identifier=block) - supply.call(block_identifier=block - 1)


def test_chain_identity(chain):
    w3 = chain.w3
    assert w3.eth.chain_id == CHAIN_ID
    assert w3.net.version == str(CHAIN_ID)
    assert w3.client_version.startswith("flockchain/")
    genesis = w3.eth.get_block(0)
    assert genesis["number"] == 0 and genesis["baseFeePerGas"] == GWEI and genesis["transactions"] == []
    assert w3.eth.max_priority_fee == GWEI
    head = w3.eth.get_block("latest")
    target = head["gasLimit"] // 2
    decrease = head["baseFeePerGas"] * (target - head["gasUsed"]) // target // 8
    assert w3.eth.gas_price == head["baseFeePerGas"] - decrease + GWEI


def test_dev_accounts_funded_at_genesis(chain):
    for i in range(10):
        assert chain.w3.eth.get_balance(dev_account(i).address, 0) == 10_000 * 10**18
    assert chain.w3.eth.get_balance(dev_account(AUTHOR).address, 0) == 10_000 * 10**18, \
        "the author is also the chain's root, funded to pay for devnet controls (anvil_setBalance)"


def test_block_number_grows_after_transfer(chain):
    before = chain.w3.eth.block_number
    receipt = send(chain, sign(dev_account(0), chain))
    assert receipt["blockNumber"] == before + 1
    assert chain.w3.eth.block_number == before + 1


@pytest.mark.parametrize("tx_type, capped", [(0, False), (1, False), (2, False), (2, True)],
                         ids=["legacy-eip155", "eip2930", "eip1559", "eip1559-tip-capped-by-max-fee"])
def test_transfer_moves_value_and_fees_exactly(chain, tx_type, capped):
    sender, recipient, author = dev_account(1), Account.create().address, dev_account(AUTHOR).address
    value = 123_456_789_000_000_001
    base = next_base_fee(chain)
    if capped:
        signed = sign(sender, chain, 2, to=recipient, value=value, maxFeePerGas=base + GWEI // 2,
                      maxPriorityFeePerGas=GWEI)
        expected_price = base + GWEI // 2
    else:
        signed = sign(sender, chain, tx_type, to=recipient, value=value)
        expected_price = base + GWEI if tx_type == 2 else chain.w3.eth.gas_price
    receipt = send(chain, signed)
    block = chain.w3.eth.get_block(receipt["blockNumber"])
    assert block["baseFeePerGas"] == base
    assert block["miner"] == author
    assert receipt["status"] == 1 and receipt["type"] == tx_type
    assert receipt["gasUsed"] == 21_000
    assert receipt["effectiveGasPrice"] == expected_price
    gas_used, price = receipt["gasUsed"], receipt["effectiveGasPrice"]
    (sent, received, earned), supply_change = block_effect(chain, receipt, sender.address, recipient, author)
    assert sent == -(value + gas_used * price)
    assert received == value
    assert earned == gas_used * (price - base)
    assert supply_change == -gas_used * base
    assert chain.w3.eth.get_transaction(signed.hash)["gasPrice"] == price


@pytest.mark.parametrize("tx_type", [1, 2], ids=["eip2930", "eip1559"])
def test_access_list_gas_is_charged_and_estimated(chain, tx_type):
    """Intrinsic gas includes the access list (2,400 per address, 1,900 per key), and eth_estimateGas knows it."""
    sender, recipient = dev_account(3), Account.create().address
    access_list = [{"address": dev_account(0).address, "storageKeys": ["0x" + "00" * 32, "0x" + "11" * 32]},
                   {"address": BALANCES, "storageKeys": []}]
    expected = 21_000 + 2 * 2_400 + 2 * 1_900
    estimate = chain.w3.eth.estimate_gas({"from": sender.address, "to": recipient, "value": 5,
                                          "accessList": access_list})
    assert estimate == expected
    receipt = send(chain, sign(sender, chain, tx_type, to=recipient, value=5, gas=estimate, accessList=access_list))
    assert receipt["status"] == 1 and receipt["gasUsed"] == expected
    tx = chain.w3.eth.get_transaction(receipt["transactionHash"])
    assert [dict(e) for e in tx["accessList"]] == [
        {"address": dev_account(0).address, "storageKeys": ["0x" + "00" * 32, "0x" + "11" * 32]},
        {"address": BALANCES, "storageKeys": []}]
    assert chain.w3.eth.get_balance(recipient) == 5


def test_self_transfer_pays_only_the_fee(chain):
    sender = dev_account(3)
    receipt = send(chain, sign(sender, chain, 2, to=sender.address, value=10**18))
    (change,), _ = block_effect(chain, receipt, sender.address)
    assert change == -receipt["gasUsed"] * receipt["effectiveGasPrice"]


def reencode(tx: dict) -> bytes:
    """The signed bytes rebuilt from eth_getTransactionByHash's JSON, as an indexer would."""
    q = lambda name: int(tx[name], 16)
    to = bytes.fromhex(tx["to"][2:]) if tx["to"] else b""
    data = bytes.fromhex(tx["input"][2:])
    access = [[bytes.fromhex(e["address"][2:]), [bytes.fromhex(k[2:]) for k in e["storageKeys"]]]
              for e in tx.get("accessList", [])]
    signature = [q("r"), q("s")]
    if q("type") == 0:
        return rlp.encode([q("nonce"), q("gasPrice"), q("gas"), to, q("value"), data, q("v")] + signature)
    if q("type") == 1:
        body = [q("chainId"), q("nonce"), q("gasPrice"), q("gas"), to, q("value"), data, access]
    else:
        body = [q("chainId"), q("nonce"), q("maxPriorityFeePerGas"), q("maxFeePerGas"), q("gas"), to, q("value"), data,
                access]
    return bytes((q("type"),)) + rlp.encode(body + [q("yParity")] + signature)


@pytest.mark.parametrize("tx_type", [0, 1, 2])
def test_transaction_json_rebuilds_the_signed_bytes(chain, tx_type):
    """Every signed field is reported faithfully, pending and mined: the JSON re-encodes to the hash."""
    sender = dev_account(4)
    nonce = chain.w3.eth.get_transaction_count(sender.address)
    access = {} if tx_type == 0 else {"accessList": [{"address": BALANCES, "storageKeys": ["0x" + "ab" * 32]}]}
    later = sign(sender, chain, tx_type, nonce=nonce + 1, value=77, data=b"\x00\x01hi", gas=30_000, **access)
    chain.w3.eth.send_raw_transaction(later.raw_transaction)
    pending = chain.result("eth_getTransactionByHash", later.hash.to_0x_hex())
    assert pending["blockNumber"] is None
    assert keccak(reencode(pending)) == later.hash
    send(chain, sign(sender, chain, nonce=nonce))
    wait(chain, later)
    mined = chain.result("eth_getTransactionByHash", later.hash.to_0x_hex())
    assert mined["blockNumber"] is not None
    assert keccak(reencode(mined)) == later.hash
    assert Account.recover_transaction(reencode(mined)) == sender.address
    assert chain.w3.to_checksum_address(mined["from"]) == sender.address


def test_receipt_block_and_transaction_fields(chain):
    sender, recipient = dev_account(2), dev_account(3).address
    value = 10**18
    signed = sign(sender, chain, 2, to=recipient, value=value)
    receipt = send(chain, signed)
    number = receipt["blockNumber"]
    block = chain.w3.eth.get_block(number, full_transactions=True)
    assert receipt["transactionHash"] == signed.hash
    assert receipt["blockHash"] == block["hash"]
    assert receipt["transactionIndex"] == 0
    assert receipt["from"] == sender.address and receipt["to"] == recipient
    assert receipt["gasUsed"] == receipt["cumulativeGasUsed"] == 21_000
    assert receipt["contractAddress"] is None
    assert receipt["effectiveGasPrice"] == block["baseFeePerGas"] + GWEI

    [log] = receipt["logs"]
    assert log["address"] == BALANCES
    assert log["topics"] == [TRANSFER_TOPIC, topic_of(sender.address), topic_of(recipient)]
    assert int.from_bytes(log["data"], "big") == value
    assert log["logIndex"] == 0 and log["transactionIndex"] == 0
    assert log["blockHash"] == block["hash"] and log["blockNumber"] == number
    assert log["transactionHash"] == signed.hash
    [event] = balances(chain).events.Transfer().process_receipt(receipt)
    assert event["args"] == {"from": sender.address, "to": recipient, "value": value}
    assert int.from_bytes(receipt["logsBloom"], "big") != 0

    assert block["number"] == number
    assert block["parentHash"] == chain.w3.eth.get_block(number - 1)["hash"]
    assert block["miner"] == dev_account(AUTHOR).address
    assert block["gasUsed"] == 21_000 and block["gasLimit"] == 30_000_000
    assert block["baseFeePerGas"] > 0
    assert block["logsBloom"] == receipt["logsBloom"]
    [tx] = block["transactions"]
    assert tx["hash"] == signed.hash and tx["from"] == sender.address and tx["to"] == recipient
    assert tx["value"] == value and tx["blockHash"] == block["hash"] and tx["blockNumber"] == number
    assert tx["type"] == 2 and tx["chainId"] == CHAIN_ID and tx["transactionIndex"] == 0
    assert tx["maxPriorityFeePerGas"] == GWEI
    assert chain.w3.eth.get_block(block["hash"], full_transactions=True) == block
    assert chain.w3.eth.get_block(number)["transactions"] == [signed.hash]
    assert chain.w3.eth.get_block("latest")["number"] >= number


def test_transaction_by_hash_pending_then_mined(chain):
    sender = dev_account(4)
    nonce = chain.w3.eth.get_transaction_count(sender.address)
    later = sign(sender, chain, nonce=nonce + 1, value=2)
    assert chain.w3.eth.send_raw_transaction(later.raw_transaction) == later.hash
    pending = chain.w3.eth.get_transaction(later.hash)
    assert pending["blockHash"] is None and pending["blockNumber"] is None and pending["transactionIndex"] is None
    assert pending["nonce"] == nonce + 1 and pending["from"] == sender.address and pending["value"] == 2
    assert chain.result("eth_getTransactionReceipt", later.hash.to_0x_hex()) is None
    assert chain.w3.eth.get_transaction_count(sender.address, "pending") == nonce

    first = send(chain, sign(sender, chain, nonce=nonce, value=1))
    receipt = wait(chain, later)
    assert receipt["blockNumber"] == first["blockNumber"] and receipt["transactionIndex"] == 1
    mined = chain.w3.eth.get_transaction(later.hash)
    assert mined["blockHash"] == receipt["blockHash"] and mined["transactionIndex"] == 1
    assert chain.w3.eth.get_transaction_count(sender.address) == nonce + 2


def test_pending_nonce_counts_pool_transactions(chain):
    """Inside one batch the pool has not been sealed yet, so "pending" must count what it holds."""
    sender = dev_account(5)
    nonce = chain.w3.eth.get_transaction_count(sender.address)
    first, second = sign(sender, chain, nonce=nonce), sign(sender, chain, nonce=nonce + 1)
    batch = [raw_request(1, first), raw_request(2, second),
             {"jsonrpc": "2.0", "id": 3, "method": "eth_getTransactionCount", "params": [sender.address, "pending"]},
             {"jsonrpc": "2.0", "id": 4, "method": "eth_getTransactionCount", "params": [sender.address, "latest"]},
             {"jsonrpc": "2.0", "id": 5, "method": "eth_getTransactionByHash", "params": [first.hash.to_0x_hex()]}]
    answers = {r["id"]: r for r in chain.post(batch).json()}
    assert answers[1]["result"] == first.hash.to_0x_hex() and answers[2]["result"] == second.hash.to_0x_hex()
    assert answers[3]["result"] == hex(nonce + 2)
    assert answers[4]["result"] == hex(nonce)
    assert answers[5]["result"]["blockHash"] is None and answers[5]["result"]["hash"] == first.hash.to_0x_hex()
    receipts = [wait(chain, s) for s in (first, second)]
    assert receipts[0]["blockNumber"] == receipts[1]["blockNumber"]
    assert chain.w3.eth.get_transaction_count(sender.address, "pending") == nonce + 2
    assert chain.w3.eth.get_transaction_count(sender.address, "latest") == nonce + 2


def test_batch_of_transactions_lands_in_one_block(chain):
    senders = [dev_account(i) for i in (0, 1, 2, 3, 6, 7, 8)]
    signed = [sign(s, chain, i % 3, value=1000 + i) for i, s in enumerate(senders)]
    signed.append(sign(senders[0], chain, 2, nonce=chain.w3.eth.get_transaction_count(senders[0].address) + 1))
    ids = [7, "seven", 0, -3, "", 2**40, "x-6", 99]
    batch = [raw_request(id_, s) for id_, s in zip(ids, signed)]
    batch.insert(3, {"jsonrpc": "2.0", "method": "eth_blockNumber", "params": []})
    response = chain.post(batch)
    assert response.status_code == 200
    answers = response.json()
    assert len(answers) == len(signed)
    assert {a["id"]: a["result"] for a in answers} == {id_: s.hash.to_0x_hex() for id_, s in zip(ids, signed)}
    receipts = [wait(chain, s) for s in signed]
    assert all(r["status"] == 1 for r in receipts)
    [number] = {r["blockNumber"] for r in receipts}
    block = chain.w3.eth.get_block(number)
    assert block["transactions"] == [s.hash for s in signed]
    assert [r["transactionIndex"] for r in receipts] == list(range(len(signed)))
    assert [r["cumulativeGasUsed"] for r in receipts] == [21_000 * (i + 1) for i in range(len(signed))]
    assert [r["logs"][0]["logIndex"] for r in receipts] == list(range(len(signed)))


def test_out_of_order_nonces_in_one_batch(chain):
    """A sender's second transaction sent before its first still lands once the gap is filled."""
    sender = dev_account(6)
    nonce = chain.w3.eth.get_transaction_count(sender.address)
    second, first = sign(sender, chain, nonce=nonce + 1), sign(sender, chain, nonce=nonce)
    batch = [raw_request(0, second), raw_request(1, first)]
    assert [a["result"] for a in chain.post(batch).json()] == [second.hash.to_0x_hex(), first.hash.to_0x_hex()]
    receipts = [wait(chain, s) for s in (first, second)]
    assert receipts[0]["blockNumber"] == receipts[1]["blockNumber"]
    assert [r["transactionIndex"] for r in receipts] == [0, 1]


def test_replacing_a_ready_transaction_in_one_batch(chain):
    """Inside one batch the first transaction is still in the pool, so a 10% fee bump replaces it."""
    sender = dev_account(2)
    nonce = chain.w3.eth.get_transaction_count(sender.address)
    price = chain.w3.eth.gas_price
    original = sign(sender, chain, nonce=nonce, value=1, maxFeePerGas=2 * price, maxPriorityFeePerGas=GWEI)
    same = sign(sender, chain, nonce=nonce, value=2, maxFeePerGas=2 * price, maxPriorityFeePerGas=GWEI)
    bumped = sign(sender, chain, nonce=nonce, value=3, maxFeePerGas=bump(2 * price), maxPriorityFeePerGas=bump(GWEI))
    batch = [raw_request(i, s) for i, s in enumerate((original, same, bumped))]
    answers = {a["id"]: a for a in chain.post(batch).json()}
    assert answers[0]["result"] == original.hash.to_0x_hex(), answers
    assert answers[1]["error"]["data"] == {"reason": "ReplacementUnderpriced"}
    assert answers[2].get("result") == bumped.hash.to_0x_hex(), answers[2]
    receipt = wait(chain, bumped)
    assert chain.w3.eth.get_transaction(bumped.hash)["value"] == 3
    assert chain.result("eth_getTransactionByHash", original.hash.to_0x_hex()) is None
    assert chain.result("eth_getTransactionByHash", same.hash.to_0x_hex()) is None
    assert chain.w3.eth.get_block(receipt["blockNumber"])["transactions"] == [bumped.hash]


def test_notifications_get_no_response(chain):
    notification = {"jsonrpc": "2.0", "method": "eth_chainId", "params": []}
    alone = chain.post(notification)
    assert alone.status_code == 204 and alone.content == b""
    only_notifications = chain.post([notification, dict(notification, method="eth_blockNumber")])
    assert only_notifications.status_code == 204 and only_notifications.content == b""
    failing = chain.post({"jsonrpc": "2.0", "method": "no_such_method"})
    assert failing.status_code == 204 and failing.content == b""
    mixed = chain.post([notification, {"jsonrpc": "2.0", "id": "a", "method": "eth_chainId"}])
    assert mixed.json() == [{"jsonrpc": "2.0", "id": "a", "result": hex(CHAIN_ID)}]


def test_unknown_things_are_null_or_not_found(chain):
    unknown = "0x" + "ab" * 32
    assert chain.result("eth_getTransactionByHash", unknown) is None
    assert chain.result("eth_getTransactionReceipt", unknown) is None
    assert chain.result("eth_getBlockByHash", unknown, False) is None
    future = hex(chain.w3.eth.block_number + 1000)
    assert chain.result("eth_getBlockByNumber", future, False) is None
    error = chain.rpc("eth_getBalance", dev_account(0).address, future)["error"]
    assert error["code"] == -32001 and future in error["message"]
    error = chain.rpc("eth_getBalance", dev_account(0).address, {"blockHash": unknown})["error"]
    assert error["code"] == -32001 and unknown in error["message"]


def test_erc20_views_match_native_balances(chain):
    token = balances(chain)
    assert token.functions.name().call() == "Flock"
    assert token.functions.symbol().call() == "FLOCK"
    assert token.functions.decimals().call() == 18
    for address in [dev_account(i).address for i in (0, 1, 5, AUTHOR)] + [Account.create().address]:
        assert token.functions.balanceOf(address).call() == chain.w3.eth.get_balance(address)
    assert token.functions.totalSupply().call(block_identifier=0) == 11 * 10_000 * 10**18, "ten dev accounts and the root"
    assert chain.w3.eth.get_code(BALANCES) != b""
    assert chain.w3.eth.get_code(dev_account(0).address) == b""


def test_erc20_transfer_call_moves_funds_and_emits_transfer(chain):
    token, sender, recipient = balances(chain), dev_account(7), Account.create().address
    amount = 7 * 10**17
    assert token.functions.transfer(recipient, amount).call({"from": sender.address}) is True
    estimate = token.functions.transfer(recipient, amount).estimate_gas({"from": sender.address})
    tx = token.functions.transfer(recipient, amount).build_transaction(
        {"from": sender.address, "nonce": chain.w3.eth.get_transaction_count(sender.address), "chainId": CHAIN_ID})
    assert tx["to"] == BALANCES and tx["value"] == 0 and tx["gas"] == estimate
    receipt = send(chain, Account.sign_transaction(tx, sender.key))
    assert receipt["status"] == 1
    assert receipt["gasUsed"] == estimate
    assert estimate > intrinsic_gas(bytes.fromhex(tx["data"][2:]))
    [event] = token.events.Transfer().process_receipt(receipt)
    assert event["address"] == BALANCES
    assert event["args"] == {"from": sender.address, "to": recipient, "value": amount}
    (sent, received), _ = block_effect(chain, receipt, sender.address, recipient)
    assert received == amount
    assert sent == -(amount + receipt["gasUsed"] * receipt["effectiveGasPrice"])
    assert token.functions.balanceOf(recipient).call() == chain.w3.eth.get_balance(recipient) == amount


def test_failed_call_is_included_pays_fee_and_changes_nothing_else(chain):
    token, sender, recipient = balances(chain), dev_account(8), Account.create().address
    author = dev_account(AUTHOR).address
    too_much = chain.w3.eth.get_balance(sender.address) + 1
    data = token.encode_abi("transfer", [recipient, too_much])
    signed = sign(sender, chain, 2, to=BALANCES, data=data, value=0, gas=100_000)
    nonce = chain.w3.eth.get_transaction_count(sender.address)
    receipt = send(chain, signed)
    assert receipt["status"] == 0
    assert receipt["logs"] == []
    assert int.from_bytes(receipt["logsBloom"], "big") == 0
    small = token.encode_abi("transfer", [recipient, 1])
    weight = chain.w3.eth.estimate_gas({"from": sender.address, "to": BALANCES, "data": small}) \
        - intrinsic_gas(bytes.fromhex(small[2:]))
    assert receipt["gasUsed"] == intrinsic_gas(bytes.fromhex(data[2:])) + weight
    assert receipt["gasUsed"] < 100_000
    base = chain.w3.eth.get_block(receipt["blockNumber"])["baseFeePerGas"]
    (sent, received, earned), supply_change = block_effect(chain, receipt, sender.address, recipient, author)
    assert sent == -receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert received == 0
    assert earned == receipt["gasUsed"] * (receipt["effectiveGasPrice"] - base)
    assert supply_change == -receipt["gasUsed"] * base
    assert chain.w3.eth.get_transaction_count(sender.address) == nonce + 1
    assert chain.w3.eth.get_transaction(signed.hash)["blockNumber"] == receipt["blockNumber"]


def test_value_sent_to_a_non_payable_call_is_rolled_back(chain):
    """The attached value moves inside the call's storage layer, so a failed dispatch returns it too."""
    token, sender, recipient = balances(chain), dev_account(8), Account.create().address
    data = token.encode_abi("transfer", [recipient, 1])
    receipt = send(chain, sign(sender, chain, 2, to=BALANCES, data=data, value=10**18, gas=100_000))
    assert receipt["status"] == 0 and receipt["logs"] == []
    (sent, received, module), _ = block_effect(chain, receipt, sender.address, recipient, BALANCES)
    assert sent == -receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert received == 0 and module == 0
    error = chain.rpc("eth_call", {"from": sender.address, "to": BALANCES, "data": data, "value": hex(10**18)})["error"]
    assert error["code"] == 3 and error["data"][:10] == "0x" + keccak(text="NotPayable(uint256)")[:4].hex()


def test_gas_limit_below_the_call_weight_fails_out_of_gas(chain):
    """Enough for intrinsic gas but not the call's weight: included, status 0, the whole limit charged."""
    token, sender, recipient = balances(chain), dev_account(8), Account.create().address
    data = token.encode_abi("transfer", [recipient, 1])
    limit = intrinsic_gas(bytes.fromhex(data[2:]))
    receipt = send(chain, sign(sender, chain, 2, to=BALANCES, data=data, value=0, gas=limit))
    assert receipt["status"] == 0 and receipt["gasUsed"] == limit and receipt["logs"] == []
    (sent, received), _ = block_effect(chain, receipt, sender.address, recipient)
    assert sent == -limit * receipt["effectiveGasPrice"] and received == 0


def test_eth_call_of_failing_call_returns_custom_error(chain):
    token, sender = balances(chain), dev_account(8)
    balance = chain.w3.eth.get_balance(sender.address)
    data = token.encode_abi("transfer", [dev_account(0).address, balance + 5])
    call = {"from": sender.address, "to": BALANCES, "data": data}
    response = chain.rpc("eth_call", call, "latest")
    error = response["error"]
    assert error["code"] == 3
    assert "revert" in error["message"]
    data = bytes.fromhex(error["data"][2:])
    assert data[:4] == INSUFFICIENT_BALANCE
    assert abi_decode(["uint256", "uint256"], data[4:]) == (balance, balance + 5)
    assert chain.rpc("eth_estimateGas", call)["error"] == error
    with pytest.raises(ContractCustomError) as raised:
        token.functions.transfer(dev_account(0).address, balance + 5).call({"from": sender.address})
    assert raised.value.data == error["data"]


def test_estimate_gas(chain):
    w3, sender = chain.w3, dev_account(0).address
    assert w3.eth.estimate_gas({"from": sender, "to": dev_account(1).address, "value": 1}) == 21_000
    assert w3.eth.estimate_gas({"to": dev_account(1).address}) == 21_000
    data = bytes([0, 0, 1, 2])
    assert w3.eth.estimate_gas({"from": sender, "to": dev_account(1).address, "data": data}) == 21_000 + 2 * 4 + 2 * 16


def test_websocket_same_endpoint(chain):
    async def talk():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(chain.url) as ws:
                await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}))
                single = json.loads((await ws.receive(timeout=10)).data)
                await ws.send_str(json.dumps([{"jsonrpc": "2.0", "id": "a", "method": "net_version"},
                                              {"jsonrpc": "2.0", "id": "b", "method": "eth_blockNumber"}]))
                batch = json.loads((await ws.receive(timeout=10)).data)
                await ws.send_bytes(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "eth_chainId"}).encode())
                binary = json.loads((await ws.receive(timeout=10)).data)
                await ws.send_str("{not json")
                broken = json.loads((await ws.receive(timeout=10)).data)
        async with AsyncWeb3(WebSocketProvider(chain.url.replace("http", "ws"))) as w3:
            web3_chain_id = await w3.eth.chain_id
        return single, batch, binary, broken, web3_chain_id

    single, batch, binary, broken, web3_chain_id = asyncio.run(talk())
    assert single == {"jsonrpc": "2.0", "id": 1, "result": hex(CHAIN_ID)}
    answers = {a["id"]: a["result"] for a in batch}
    assert answers["a"] == str(CHAIN_ID) and int(answers["b"], 16) == chain.w3.eth.block_number
    assert binary == {"jsonrpc": "2.0", "id": 2, "result": hex(CHAIN_ID)}
    assert broken["error"]["code"] == -32700
    assert web3_chain_id == CHAIN_ID
