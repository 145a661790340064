"""The bridge on a real four-validator network: every validator node runs the duty (`node --base-rpc`),
a deposit needs attestations, a withdrawal signatures, from at least three of the four processes, and a
fifth validator's arrival rotates the Base contract's set through the outgoing validators' signatures."""

from web3 import Web3

from base_devnet.chain import BRIDGE_ADDRESS, TOKEN_ADDRESS
from tests.rpc.devchain import dev_account
from tests.testnet.cluster import Cluster

from .processes import deposit_on_base, send_home, start_base_devnet, stop_process

UNIT = 10**18
VALIDATORS = 4
STAKE = 10_000 * UNIT
STAKING = "0x0000000000000000000000000000000000000803"
"""Each validator's stake in genesis/local.py's spec: the Base contract mirrors this chain's weights."""


def test_validators_attest_sign_and_rotate_the_base_contract_across_processes(tmp_path):
    cluster = Cluster(tmp_path, validators=VALIDATORS, extra_nodes=1,
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
            int(n.rpc("eth_getBalance", user.address, "finalized"), 16) == before + 4 * UNIT
            for n in cluster.nodes[:VALIDATORS]),
            seconds=90)
        minted = node.rpc("flock_bridgeDeposit", "0x0")
        assert (minted["recipient"], int(minted["amount"], 16)) == (user.address, 4 * UNIT)

        token = base.contract("token")
        base_before = token.functions.balanceOf(user.address).call()
        module = next(m for m in node.rpc("flock_modules") if m["name"] == "bridge")
        w3 = Web3(Web3.HTTPProvider(node.url))
        contract = w3.eth.contract(address=module["address"], abi=module["abi"])
        send_home(w3, user, contract.functions.withdraw(user.address), value=UNIT)
        cluster.wait_for("the withdrawal released on Base", lambda: token.functions.balanceOf(user.address).call()
                         == base_before + UNIT, seconds=90)
        cluster.wait_for("the release confirmed here", lambda: node.rpc("flock_bridgeWithdrawals", "0x0")[0]["status"]
                         == "released", seconds=90)
        withdrawal = node.rpc("flock_bridgeWithdrawals", "0x0")[0]
        signers = {w3.eth.account._recover_hash(contract.functions.withdrawalDigest(0).call(), signature=s)
                   for s in withdrawal["signatures"]}
        assert len(signers) >= 3 and signers <= {dev_account(i).address for i in range(VALIDATORS)}

        # A fifth validator bonds: once it is in this chain's set 1, the outgoing set signs the rotation,
        # the contract moves to set 1, and a withdrawal signed by set 1 is released.
        newcomer = dev_account(VALIDATORS)
        cluster.start(VALIDATORS, "--base-rpc", base.url)
        staking = w3.eth.contract(address=STAKING, abi=next(m for m in node.rpc("flock_modules")
                                                            if m["name"] == "staking")["abi"])
        send_home(w3, newcomer, staking.functions.bond(1), value=STAKE)
        bridge = base.contract("bridge")
        cluster.wait_for("the Base contract rotated to set 1", lambda: bridge.functions.validatorSetId().call() == 1,
                         seconds=150)
        members = [bridge.functions.validators(i).call() for i in range(bridge.functions.validatorCount().call())]
        assert newcomer.address in members and len(members) == VALIDATORS + 1
        send_home(w3, user, contract.functions.withdraw(user.address), value=2 * UNIT)
        cluster.wait_for("the set-1 withdrawal released on Base", lambda: token.functions.balanceOf(user.address).call()
                         == base_before + 3 * UNIT, seconds=90)
        assert int(node.rpc("flock_bridgeWithdrawals", "0x1")[0]["validatorSetId"], 16) == 1
    finally:
        cluster.stop()
        stop_process(base.process)
