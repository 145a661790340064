"""anvil-style devnet controls through the real RPC of a real `flockchain dev` process (web3.py),
and their absence from any server that is not a dev chain."""

import asyncio
import json
import time

from eth_abi import decode as abi_decode
from eth_account import Account
from web3 import AsyncWeb3, WebSocketProvider

from rpc import devnet
from rpc.server import REGISTRIES, RpcContext, RpcServer
from runtime.crypto import keccak256
from runtime.modules import balances

from .devchain import BALANCES, ERC20_ABI, dev_account, transaction_fields

ROOT = dev_account(10)
"""The dev chain's author, which its genesis also makes the root."""
BALANCE_SET_TOPIC = "0x" + keccak256(b"BalanceSet(address,uint256)").hex()
SUPPLY_CAP_EXCEEDED = balances.SupplyCapExceeded.selector
INVALID_PARAMS, METHOD_NOT_FOUND, EXECUTION_REVERTED = -32602, -32601, 3


def send(chain, sender_index: int, value: int = 1, to: str | None = None):
    sender = dev_account(sender_index)
    fields = transaction_fields(chain, sender, value=value, to=to or dev_account(9).address)
    signed = sender.sign_transaction(fields)
    chain.w3.eth.send_raw_transaction(signed.raw_transaction)
    return signed, chain.w3.eth.wait_for_transaction_receipt(signed.hash, timeout=10, poll_latency=0.02)


def total_supply(chain, block="latest") -> int:
    return chain.w3.eth.contract(address=BALANCES, abi=ERC20_ABI).functions.totalSupply().call(block_identifier=block)


def error_code(chain, method: str, *params) -> int:
    return chain.rpc(method, *params)["error"]["code"]


def test_revert_restores_balances_nonces_head_and_receipts(chain):
    w3 = chain.w3
    watched = [dev_account(i).address for i in (1, 2, 9)] + [ROOT.address]
    snapshot = chain.result("evm_snapshot")
    head = w3.eth.get_block("latest")
    balances_before = [w3.eth.get_balance(a) for a in watched]
    nonces_before = [w3.eth.get_transaction_count(a) for a in watched]

    sent = [send(chain, 1, 10**18), send(chain, 2, 2 * 10**18), send(chain, 1, 3)]
    chain.result("anvil_setBalance", dev_account(2).address, hex(5))
    assert w3.eth.block_number > head.number

    assert chain.result("evm_revert", snapshot) is True
    assert w3.eth.get_block("latest") == head
    assert [w3.eth.get_balance(a) for a in watched] == balances_before
    assert [w3.eth.get_transaction_count(a) for a in watched] == nonces_before
    for signed, receipt in sent:
        assert chain.result("eth_getTransactionReceipt", signed.hash.to_0x_hex()) is None
        assert chain.result("eth_getTransactionByHash", signed.hash.to_0x_hex()) is None
        assert chain.result("eth_getBlockByHash", receipt.blockHash.to_0x_hex(), False) is None
    assert chain.result("eth_getBlockByNumber", hex(head.number + 1), False) is None

    for signed, _ in sent:
        w3.eth.send_raw_transaction(signed.raw_transaction)
    for signed, _ in sent:
        assert w3.eth.wait_for_transaction_receipt(signed.hash, timeout=10, poll_latency=0.02).status == 1
    assert w3.eth.get_transaction_count(dev_account(1).address) == nonces_before[0] + 2
    assert chain.result("evm_revert", snapshot) is False, "a snapshot is used once"


def test_reverting_drops_later_snapshots(chain):
    first = chain.result("evm_snapshot")
    send(chain, 3)
    second = chain.result("evm_snapshot")
    assert int(second, 16) == int(first, 16) + 1
    send(chain, 3)
    assert chain.result("evm_revert", first) is True
    assert chain.result("evm_revert", second) is False
    assert chain.result("evm_revert", "0xffff") is False


def test_evm_mine_seals_empty_blocks(chain):
    w3 = chain.w3
    number = w3.eth.block_number
    assert chain.result("evm_mine") == "0x0"
    block = w3.eth.get_block("latest")
    assert block.number == number + 1 and block.transactions == [] and block.gasUsed == 0
    assert chain.result("evm_mine", {"blocks": 3}) == "0x0"
    assert w3.eth.block_number == number + 4
    timestamp = block.timestamp + 1_000
    chain.result("evm_mine", timestamp)
    assert w3.eth.get_block("latest").timestamp == timestamp


def test_increase_time_moves_later_blocks_forward(chain):
    w3 = chain.w3
    offset = chain.result("evm_increaseTime", 0)
    assert isinstance(offset, int)
    assert chain.result("evm_increaseTime", 3_600) == offset + 3_600
    assert chain.result("evm_increaseTime", "0xe10") == offset + 7_200
    before = int(time.time())
    _, receipt = send(chain, 4)
    timestamp = w3.eth.get_block(receipt.blockNumber).timestamp
    assert before + offset + 7_200 <= timestamp <= int(time.time()) + offset + 7_200, "wall clock + total offset"
    chain.result("evm_mine")
    assert w3.eth.get_block("latest").timestamp >= timestamp


def test_next_block_timestamp_is_exact_then_time_goes_on_from_it(chain):
    w3 = chain.w3
    target = w3.eth.get_block("latest").timestamp + 100_000
    assert chain.result("evm_setNextBlockTimestamp", target) is None
    _, receipt = send(chain, 5)
    assert w3.eth.get_block(receipt.blockNumber).timestamp == target
    chain.result("evm_mine")
    assert target <= w3.eth.get_block("latest").timestamp <= target + 5


def test_revert_also_restores_the_clock(chain):
    w3 = chain.w3
    snapshot = chain.result("evm_snapshot")
    chain.result("evm_increaseTime", 10**6)
    chain.result("evm_mine")
    jumped = w3.eth.get_block("latest").timestamp
    assert chain.result("evm_revert", snapshot) is True
    chain.result("evm_mine")
    assert w3.eth.get_block("latest").timestamp < jumped - 10**5


def test_set_balance_changes_balance_and_total_supply_consistently(chain):
    w3 = chain.w3
    for method, who, amount in [("anvil_setBalance", Account.create().address, 123 * 10**18),
                                ("flock_setBalance", dev_account(6).address, 10**18),
                                ("anvil_setBalance", dev_account(7).address, 0)]:
        old_balance, old_supply, number = w3.eth.get_balance(who), total_supply(chain), w3.eth.block_number
        assert chain.result(method, who, hex(amount)) is None
        assert w3.eth.get_balance(who) == amount
        block = w3.eth.get_block("latest", full_transactions=True)
        assert block.number == number + 1
        (tx,) = block.transactions
        assert (tx["from"], tx["to"]) == (ROOT.address, BALANCES), "a transaction from the root to balances"
        receipt = w3.eth.get_transaction_receipt(tx.hash)
        assert receipt.status == 1
        (log,) = receipt.logs
        assert log.topics[0].to_0x_hex() == BALANCE_SET_TOPIC and abi_decode(["uint256"], log.data) == (amount,)
        burned = receipt.gasUsed * block.baseFeePerGas
        assert total_supply(chain) - old_supply == amount - old_balance - burned


def test_set_balance_beyond_the_cap_reverts_and_seals_nothing(chain):
    number = chain.w3.eth.block_number
    error = chain.rpc("anvil_setBalance", Account.create().address, hex(10**27))["error"]
    assert error["code"] == EXECUTION_REVERTED and error["data"][:10] == "0x" + SUPPLY_CAP_EXCEEDED.hex()
    assert chain.w3.eth.block_number == number


def test_evm_mined_blocks_reach_new_heads_subscribers(chain):
    async def scenario():
        async with AsyncWeb3(WebSocketProvider(chain.url.replace("http", "ws"))) as w3:
            heads = await w3.eth.subscribe("newHeads")
            await w3.provider.make_request("evm_mine", [])
            async for message in w3.socket.process_subscriptions():
                assert message["subscription"] == heads
                return message["result"]["hash"]

    head_hash = asyncio.run(asyncio.wait_for(scenario(), 20))
    assert head_hash == chain.w3.eth.get_block("latest").hash


def test_bad_params_are_refused(chain):
    head = chain.w3.eth.get_block("latest")
    address = dev_account(0).address
    for method, params in [
        ("evm_increaseTime", ["an hour"]), ("evm_increaseTime", [-1]), ("evm_increaseTime", [2**64]),
        ("evm_increaseTime", []), ("evm_setNextBlockTimestamp", [head.timestamp - 1]),
        ("evm_setNextBlockTimestamp", ["0x01"]), ("evm_mine", [{"blocks": 0}]), ("evm_mine", [{"when": 1}]),
        ("evm_mine", [head.timestamp - 1]), ("evm_mine", [True]), ("evm_revert", ["snapshot"]), ("evm_revert", []),
        ("anvil_setBalance", ["0x1234", "0x1"]), ("anvil_setBalance", [address, "100"]),
        ("anvil_setBalance", [address, hex(2**256)]), ("flock_setBalance", [address]), ("evm_snapshot", [1]),
    ]:
        assert error_code(chain, method, *params) == INVALID_PARAMS, (method, params)
    assert chain.w3.eth.get_block("latest") == head


def request(server: RpcServer, method: str, *params) -> dict:
    return server.handle_payload(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}))


def test_controls_exist_only_on_dev_chains():
    names = set(devnet.registry.methods)
    assert {"evm_mine", "evm_increaseTime", "evm_setNextBlockTimestamp", "evm_snapshot", "evm_revert",
            "anvil_setBalance", "flock_setBalance"} <= names
    assert all(m.dev_only for m in devnet.registry.methods.values())
    production = RpcServer(RpcContext(node=None, dev=False), REGISTRIES + (devnet.registry,))
    for name in names:
        assert request(production, name)["error"]["code"] == METHOD_NOT_FOUND, name
    described = {m["name"] for m in request(production, "rpc.discover")["result"]["methods"]}
    assert not names & described
    dev = RpcServer(RpcContext(node=None, dev=True), REGISTRIES + (devnet.registry,))
    assert names <= set(dev.methods)
