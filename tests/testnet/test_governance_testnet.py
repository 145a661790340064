"""Governance on a 4-validator network of real node processes, whose spec has no Root: one proposal,
passed by gmFLOCK vote, changes a parameter and schedules runtime version 2. Three nodes switch at the
scheduled block and keep finalizing; the fourth, held to version 1 (`--max-spec-version 1`), stops at
that block with one line and exit status 3, never forking off."""

import pytest
from web3 import Web3
from web3.logs import DISCARD

from tests.rpc.devchain import dev_account
from tests.testnet.cluster import Cluster

pytestmark = pytest.mark.timeout(600)

UNIT = 10**18
STATES = ["Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed"]
HALTED = 3


class Client:
    """web3.py against one node, with the ABIs that node publishes, signing with test-mnemonic keys."""

    def __init__(self, url: str):
        self.w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
        self.modules = {m["name"]: self.w3.eth.contract(address=m["address"], abi=m["abi"])
                        for m in self.w3.provider.make_request("flock_modules", [])["result"]}

    def send(self, account, function, value: int = 0):
        tx = function.build_transaction({"from": account.address, "value": value, "chainId": self.w3.eth.chain_id,
                                         "nonce": self.w3.eth.get_transaction_count(account.address, "pending")})
        tx_hash = self.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
        assert receipt.status == 1, receipt
        return receipt


def test_a_vote_without_root_changes_a_parameter_and_upgrades_every_node_that_ships_the_version(tmp_path):
    cluster = Cluster(tmp_path, governance={"votingDelay": 1, "votingPeriod": 6, "timelockDelay": 0})
    try:
        for index in range(3):
            cluster.start(index)
        held = cluster.start(3, "--max-spec-version", "1")
        cluster.wait_for("first finalized blocks", lambda: cluster.finalized_at_least(2), 90)
        client = Client(cluster.nodes[0].url)
        gov, gm, system = (client.modules[name] for name in ("governance", "gmflock", "system"))
        assert system.functions.root().call() == "0x" + "00" * 20, "a testnet has no Root"

        voters = [dev_account(4), dev_account(5)]
        for voter in voters:
            client.send(voter, gm.functions.lock(365), value=1_000 * UNIT)
        epsilon = gm.functions.getParameter("EpsilonPercent").call()
        at = client.w3.eth.block_number + 80
        description = "epsilon and runtime version 2"
        actions = ([gm.address, system.address], [0, 0],
                   [gm.encode_abi("setParameter", ["EpsilonPercent", epsilon + 7]),
                    system.encode_abi("scheduleUpgrade", [2, at])])
        receipt = client.send(voters[0], gov.functions.propose(*actions, description))
        (created,) = gov.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
        proposal_id = created.args.proposalId

        def state() -> str:
            return STATES[gov.functions.state(proposal_id).call()]
        cluster.wait_for("voting to open", lambda: state() == "Active", 60)
        for voter in voters:
            client.send(voter, gov.functions.castVote(proposal_id, 1))
        cluster.wait_for("the vote to succeed", lambda: state() == "Succeeded", 60)
        args = (*actions, Web3.keccak(text=description))
        client.send(voters[1], gov.functions.queue(*args))
        client.send(voters[1], gov.functions.execute(*args))
        assert state() == "Executed" and client.w3.eth.block_number < at
        for node in cluster.nodes:
            node_gm = Client(node.url).modules["gmflock"]
            cluster.wait_for("the parameter on every node",
                             lambda: node_gm.functions.getParameter("EpsilonPercent").call() == epsilon + 7, 30)

        upgraded = cluster.nodes[:3]
        cluster.wait_for("finality past the upgrade", lambda: cluster.finalized_at_least(at + 2, upgraded), 180)
        for node in upgraded:
            assert node.rpc("state_getRuntimeVersion")["specVersion"] == 2
            assert node.rpc("system_version").endswith("+spec2")
        assert held.process.wait(timeout=60) == HALTED
        last_line = held.log.read_text(errors="replace").strip().splitlines()[-1]
        assert last_line == (f"flockchain node: block {at} needs runtime spec_version 2; this node knows up to 1: "
                             f"upgrade the node")
    finally:
        cluster.stop()
