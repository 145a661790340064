"""The bridge on a real four-validator network: every validator node runs the duty (`node --base-rpc`),
and a deposit needs attestations, a withdrawal signatures, from at least three of the four processes."""

from web3 import Web3

from chain.bridge.base_devnet import BRIDGE_ADDRESS, TOKEN_ADDRESS
from tests.rpc.devchain import dev_account
from tests.testnet.cluster import Cluster

from .processes import deposit_on_base, start_base_devnet, stop_process

UNIT = 10**18
VALIDATORS = 4
STAKE = 10_000 * UNIT
"""Each validator's stake in genesis/local.py's spec: the Base contract mirrors this chain's weights."""


def test_four_validators_attest_and_sign_across_processes(tmp_path):
    cluster = Cluster(tmp_path, validators=VALIDATORS,
                      bridge={"bridge": "0x" + BRIDGE_ADDRESS.hex(), "token": "0x" + TOKEN_ADDRESS.hex()})
    base = start_base_devnet(tmp_path, "--block-time", "0.3", "--finality-lag", "2",
                             "--home-chain", str(cluster.spec_path))
    assert base.info["homeChainId"] == 31338
    assert [(v["address"].lower(), int(v["weight"])) for v in base.info["validators"]] == sorted(
        ((dev_account(i).address.lower(), STAKE) for i in range(VALIDATORS)), key=lambda v: v[0]), \
        "the contract starts with the home chain's genesis set and weights"
    try:
        for index in range(VALIDATORS):
            cluster.start(index, "--base-rpc", base.url)
        node = cluster.nodes[0]
        user = dev_account(5)
        before = int(node.rpc("eth_getBalance", user.address, "latest"), 16)
        deposit_on_base(base, user, 4 * UNIT, user.address)
        cluster.wait_for("the deposit minted on every node", lambda: all(
            int(n.rpc("eth_getBalance", user.address, "finalized"), 16) == before + 4 * UNIT for n in cluster.nodes),
            seconds=90)
        minted = node.rpc("flock_bridgeDeposit", "0x0")
        assert (minted["recipient"], int(minted["amount"], 16)) == (user.address, 4 * UNIT)

        token = base.contract("token")
        base_before = token.functions.balanceOf(user.address).call()
        module = next(m for m in node.rpc("flock_modules") if m["name"] == "bridge")
        w3 = Web3(Web3.HTTPProvider(node.url))
        contract = w3.eth.contract(address=module["address"], abi=module["abi"])
        built = contract.functions.withdraw(user.address).build_transaction({
            "from": user.address, "value": UNIT, "chainId": 31338, "gas": 200_000,
            "nonce": w3.eth.get_transaction_count(user.address, "pending"),
            "maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 10**9})
        w3.eth.send_raw_transaction(user.sign_transaction(built).raw_transaction)
        cluster.wait_for("the withdrawal released on Base", lambda: token.functions.balanceOf(user.address).call()
                         == base_before + UNIT, seconds=90)
        cluster.wait_for("the release confirmed here", lambda: node.rpc("flock_bridgeWithdrawals", "0x0")[0]["status"]
                         == "released", seconds=90)
        withdrawal = node.rpc("flock_bridgeWithdrawals", "0x0")[0]
        signers = {w3.eth.account._recover_hash(contract.functions.withdrawalDigest(0).call(), signature=s)
                   for s in withdrawal["signatures"]}
        assert len(signers) >= 3 and signers <= {dev_account(i).address for i in range(VALIDATORS)}
    finally:
        cluster.stop()
        stop_process(base.process)
