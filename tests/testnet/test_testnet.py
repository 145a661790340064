"""Multi-node tests with real processes on loopback: authoring by slot lottery, finality by more
than two thirds of stake, losing and regaining nodes, a partition healing, a new node syncing,
and an equivocating validator slashed everywhere.

Every wait is bounded (Cluster.wait_for); nothing asserts on wall-clock speed.
"""

import time

import pytest
import requests
from eth_abi import decode
from web3 import Web3
from web3.logs import DISCARD

from arena.blind import BlindIdentity
from arena.formats import compute_submission_commitment
from runtime.finality import Justification, verify_justification
from runtime.transactions import encode_unsigned_call
from tests.rpc.devchain import dev_account
from tests.testnet.cluster import SLOT_MS, Cluster

pytestmark = pytest.mark.timeout(600)

SLASHING = "0x0000000000000000000000000000000000000806"
SLASH_COUNT = "0x" + Web3.keccak(text="slashCount()")[:4].hex()
SLASH_OF = Web3.keccak(text="slashOf(uint256)")[:4]
EQUIVOCATION, APPLIED = 2, 2
CHAIN_ID = 31338
CONSENSUS = "0x0000000000000000000000000000000000000809"
EQUIVOCATION_REPORTED = "0x" + Web3.keccak(text="EquivocationReported(address,uint8,uint64,uint256)").hex()
BLOCK_EQUIVOCATION, VOTE_EQUIVOCATION = 0, 1
AUTHORITIES = "0x" + Web3.keccak(text="authorities()")[:4].hex()
STAKING = "0x0000000000000000000000000000000000000803"
BOND_VALIDATOR = "0x" + Web3.keccak(text="bond(uint8)")[:4].hex() + (1).to_bytes(32, "big").hex()


@pytest.fixture
def cluster(tmp_path):
    cluster = Cluster(tmp_path)
    yield cluster
    cluster.stop()


def assert_still_final(cluster: Cluster, number: int, block_hash: str) -> None:
    for node in cluster.running():
        assert node.canonical_hash(number) == block_hash, f"node {node.index} reverted final block #{number}"
        assert node.finalized()[0] >= number


def check_finality_rpc(node) -> None:
    """chain_getFinalizedHead names the finalized block, and chain_getBlock carries a justification for
    it that verifies against the validator set with nothing but its bytes."""
    number, block_hash = node.finalized()
    assert node.rpc("chain_getFinalizedHead") == block_hash
    justifications = node.rpc("chain_getBlock", block_hash)["justifications"]
    assert justifications and justifications[0][0] == "0x46524e4b"
    justification = Justification.decode(bytes.fromhex(justifications[0][1][2:]))
    assert (justification.target_hash.hex(), justification.target_number) == (block_hash[2:], number)
    raw = node.rpc("eth_call", {"to": CONSENSUS, "data": AUTHORITIES}, {"blockHash": block_hash})
    addresses, weights = decode(["address[]", "uint256[]"], bytes.fromhex(raw[2:]))
    assert len(addresses) == 4
    voters = {bytes.fromhex(address[2:]): weight for address, weight in zip(addresses, weights)}
    verify_justification(justification, CHAIN_ID, justification.set_id, voters)


def check_transaction_gossip(cluster: Cluster) -> None:
    """A transfer sent to one node reaches another's pool (its pending-transaction filter) by gossip, and
    ends up in one finalized block whose receipt every node serves."""
    pending = cluster.nodes[2].rpc("eth_newPendingTransactionFilter")
    sender, w3 = dev_account(5), Web3(Web3.HTTPProvider(cluster.nodes[0].url))
    tx = sender.sign_transaction({"chainId": CHAIN_ID, "nonce": w3.eth.get_transaction_count(sender.address),
                                  "to": dev_account(6).address, "value": 12345, "gas": 21_000,
                                  "maxFeePerGas": 2 * w3.eth.gas_price, "maxPriorityFeePerGas": 10**9, "type": 2})
    tx_hash = "0x" + w3.eth.send_raw_transaction(tx.raw_transaction).hex()
    cluster.wait_for("the transfer finalized in the same block on every node",
                     lambda: cluster.is_final_everywhere(tx_hash), 60)
    assert tx_hash in cluster.nodes[2].rpc("eth_getFilterChanges", pending), "gossiped into node 2's pool first"


def check_unsigned_call_gossip(cluster: Cluster) -> None:
    """A blind Arena commit — an unsigned call from no account — sent to one node is stemmed to one peer, gossiped
    from there like any transaction, and finalized in one block every node serves."""
    w3 = Web3(Web3.HTTPProvider(cluster.nodes[0].url))
    modules = {m["name"]: m for m in cluster.nodes[0].rpc("flock_modules")}
    arena, staking = (w3.eth.contract(address=modules[n]["address"], abi=modules[n]["abi"]) for n in ("arena", "staking"))
    trainer, creator = dev_account(7), dev_account(8)

    def send_final(account, call, value=0):
        """Send and wait until every node serves it from one final block. A reorg (frequent on a loaded machine)
        can move a transaction to a later block: the task's creation (its ring then freezes later than the
        commit was signed for) or the join (after the registration window: a ring without the trainer); either
        way the commit below would be refused on the winning branch, by every node."""
        tx = call.build_transaction({"from": account.address, "value": value, "gas": 3_000_000, "chainId": CHAIN_ID,
                                     "nonce": w3.eth.get_transaction_count(account.address, "pending"),
                                     "maxFeePerGas": 2 * w3.eth.gas_price, "maxPriorityFeePerGas": 10**9})
        tx_hash = "0x" + w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction).hex()
        cluster.wait_for(f"{call.fn_name} final", lambda: cluster.is_final_everywhere(tx_hash), 60)
        receipt = w3.eth.get_transaction_receipt(tx_hash)
        assert receipt.status == 1
        return receipt
    send_final(trainer, staking.functions.bond(0), 3_000 * 10**18)
    # The trainer joins in the registration window (the first): 20 blocks, room for the creation and the join
    # to become final on a loaded machine (with 4, the join once landed after it and reverted).
    receipt = send_final(creator, arena.functions.createBlindTask("mlp:digits", b"\x01" * 32, b"\x02" * 32,
                                                                 [20, 200, 4, 4, 4, 4], 3, 0), 100 * 10**18)
    (created,) = arena.events.BlindTaskCreated().process_receipt(receipt, errors=DISCARD)
    me = BlindIdentity(bytes(trainer.key), CHAIN_ID, created.args.task)
    send_final(trainer, arena.functions.joinBlind(*me.trainer_join_args()))
    cluster.wait_for("the ring frozen", lambda: w3.eth.block_number + 1 >= created.args.registerEnd, 60)
    commitment = compute_submission_commitment(b"\x03" * 32, b"\x04" * 32, me.key_image)
    data = bytes.fromhex(arena.encode_abi("commitBlind", args=me.commit_args([me.public_key], commitment, 0))[2:])
    pending = cluster.nodes[2].rpc("eth_newPendingTransactionFilter")
    tx_hash = cluster.nodes[0].rpc("eth_sendRawTransaction", "0x" + encode_unsigned_call(
        CHAIN_ID, bytes.fromhex(arena.address[2:]), data).hex())
    cluster.wait_for("the unsigned call finalized in the same block on every node",
                     lambda: cluster.is_final_everywhere(tx_hash), 60)
    receipt = cluster.nodes[3].rpc("eth_getTransactionReceipt", tx_hash)
    assert (receipt["type"], receipt["status"], receipt["from"]) == ("0x46", "0x1", "0x" + "00" * 20)
    assert tx_hash in cluster.nodes[2].rpc("eth_getFilterChanges", pending), "gossiped into node 2's pool first"


def check_blob_announcement(cluster: Cluster) -> None:
    """A blob uploaded to one node is announced to its peers, and another node serves it on request."""
    data = b"model weights " * 1000
    stored = requests.post(cluster.nodes[0].url + "/blobs", data=data, timeout=10,
                           headers={"Content-Type": "application/octet-stream"}).json()
    cluster.wait_for("the blob from another node",
                     lambda: requests.get(f"{cluster.nodes[3].url}/blobs/{stored['hash']}", timeout=10).content == data,
                     30)


def settle(slots: int = 6) -> None:
    time.sleep(slots * SLOT_MS / 1000)


def test_network_survives_losing_a_minority_and_stalls_finality_without_a_supermajority(cluster):
    cluster.start_all()
    cluster.wait_for("blocks and finality on all 4 nodes", lambda: cluster.finalized_at_least(3), 90)
    cluster.wait_for("agreement on the finalized block", cluster.agree_on_finalized, 30)
    authors = {node.rpc("eth_getBlockByNumber", hex(n), False)["miner"].lower()
               for node in cluster.nodes[:1] for n in range(1, node.head() + 1)}
    assert len(authors) >= 2, "blocks come from several validators"
    check_finality_rpc(cluster.nodes[1])
    check_transaction_gossip(cluster)
    check_unsigned_call_gossip(cluster)
    check_blob_announcement(cluster)

    # kill one of four: blocks and finality go on
    cluster.kill(3)
    number, block_hash = cluster.nodes[0].finalized()
    cluster.wait_for("finality with 3 of 4", lambda: cluster.finalized_at_least(number + 3), 90)
    assert_still_final(cluster, number, block_hash)
    # restart it: it catches up
    cluster.start(3)
    target = cluster.nodes[0].finalized()[0]
    cluster.wait_for("the restarted node to catch up", lambda: cluster.nodes[3].finalized()[0] >= target, 90)
    cluster.wait_for("agreement after the restart", cluster.agree_on_finalized, 30)

    # kill two of four: finality stops (blocks may go on)
    cluster.kill(2)
    cluster.kill(3)
    settle(4)
    stalled = max(node.finalized()[0] for node in cluster.running())
    stalled_hash = cluster.nodes[0].canonical_hash(stalled)
    head_before = cluster.nodes[0].head()
    settle(16)
    assert max(node.finalized()[0] for node in cluster.running()) == stalled, "finality went on with half the stake"
    assert cluster.nodes[0].head() >= head_before
    # restart one: finality resumes, and nothing final was reverted
    cluster.start(2)
    cluster.wait_for("finality to resume with 3 of 4", lambda: cluster.finalized_at_least(stalled + 2), 120)
    assert_still_final(cluster, stalled, stalled_hash)
    cluster.wait_for("agreement after finality resumed", cluster.agree_on_finalized, 30)


def test_partition_heals_into_one_chain_without_reverting_finality(cluster):
    cluster.start_all()
    cluster.wait_for("finality before the partition", lambda: cluster.finalized_at_least(2), 90)
    number, block_hash = cluster.nodes[0].finalized()
    left, right = cluster.nodes[:2], cluster.nodes[2:]
    for side, other in ((left, right), (right, left)):
        for node in side:
            node.rpc("test_blockPeers", [n.peer_id for n in other])
    settle(4)  # votes already on the wire may still complete a round
    stalled = max(node.finalized()[0] for node in cluster.nodes)

    def diverged():
        height = min(left[0].head(), right[0].head())
        return height > stalled and left[0].canonical_hash(height) != right[0].canonical_hash(height)
    cluster.wait_for("both halves authoring their own branch", diverged, 60)
    assert max(node.finalized()[0] for node in cluster.nodes) == stalled, "half the stake finalized a branch"
    assert_still_final(cluster, number, block_hash)
    for node in cluster.nodes:
        node.rpc("test_blockPeers", [])
    after = max(node.finalized()[0] for node in cluster.nodes)
    cluster.wait_for("finality after healing", lambda: cluster.finalized_at_least(after + 2), 120)
    cluster.wait_for("one chain after healing", cluster.agree_on_finalized, 30)
    assert_still_final(cluster, number, block_hash)


def test_new_node_syncs_from_genesis(tmp_path):
    cluster = Cluster(tmp_path, validators=4, extra_nodes=1)
    try:
        cluster.start_all(4)
        cluster.wait_for("some finalized blocks", lambda: cluster.finalized_at_least(5), 90)
        late = cluster.start(4, "--no-author")
        target = cluster.nodes[0].head()
        cluster.wait_for("the new node to reach the head", lambda: late.head() >= target, 90)
        number = min(late.finalized()[0], cluster.nodes[0].finalized()[0])
        cluster.wait_for("a justification on the new node", lambda: late.finalized()[0] >= 5, 60)
        assert late.canonical_hash(number) == cluster.nodes[0].canonical_hash(number)
        assert int(late.rpc("net_peerCount"), 16) >= 1
    finally:
        cluster.stop()


def reported_kinds(node, offender: str) -> set[int]:
    """Kinds (block, vote) of the EquivocationReported logs naming `offender`."""
    logs = node.rpc("eth_getLogs", {"address": CONSENSUS, "fromBlock": "0x0", "toBlock": "latest",
                                    "topics": [EQUIVOCATION_REPORTED, "0x" + offender[2:].rjust(64, "0")]})
    return {decode(["uint8", "uint64", "uint256"], bytes.fromhex(log["data"][2:]))[0] for log in logs}


def slash_records(node) -> list[tuple]:
    count = int(node.rpc("eth_call", {"to": SLASHING, "data": SLASH_COUNT}, "latest"), 16)
    records = []
    for slash_id in range(count):
        data = "0x" + (SLASH_OF + slash_id.to_bytes(32, "big")).hex()
        raw = bytes.fromhex(node.rpc("eth_call", {"to": SLASHING, "data": data}, "latest")[2:])
        kind, offender, *_, status = decode(["uint8", "address", "address", "address", "uint32", "uint64", "uint8"],
                                            raw[:7 * 32])
        records.append((kind, offender.lower(), status))
    return records


def test_equivocating_validator_is_slashed_on_every_honest_node(cluster):
    for index in range(3):
        cluster.start(index)
    cluster.start(3, "--test-equivocate")
    offender = dev_account(3).address.lower()

    def slashed_everywhere():
        return all((EQUIVOCATION, offender, APPLIED) in slash_records(node) for node in cluster.nodes[:3])
    cluster.wait_for("an applied equivocation slash of validator 3 on every honest node", slashed_everywhere, 120)

    def both_kinds_reported():
        return all(reported_kinds(node, offender) == {BLOCK_EQUIVOCATION, VOTE_EQUIVOCATION} for node in cluster.nodes[:3])
    cluster.wait_for("two blocks for one slot and two votes in one round both proven", both_kinds_reported, 120)
    for node in cluster.nodes[:3]:
        assert all(address == offender for _, address, _ in slash_records(node)), "only the equivocator is slashed"


def test_a_newly_bonded_validator_joins_at_an_epoch_boundary_and_authors_and_votes(tmp_path):
    """Stake bonded as VALIDATOR enters the authority set at an epoch boundary (the runtime's election),
    and the node holding that key starts authoring blocks and voting in the new voter set."""
    cluster = Cluster(tmp_path, validators=4, extra_nodes=1)
    try:
        cluster.start_all(4)
        cluster.start(4)
        cluster.wait_for("finality before the bond", lambda: cluster.finalized_at_least(2), 90)
        account, w3 = dev_account(4), Web3(Web3.HTTPProvider(cluster.nodes[0].url))
        tx = account.sign_transaction({
            "chainId": CHAIN_ID, "nonce": w3.eth.get_transaction_count(account.address), "to": STAKING,
            "value": 10_000 * 10**18, "data": BOND_VALIDATOR, "gas": 100_000, "type": 2,
            "maxFeePerGas": 2 * w3.eth.gas_price, "maxPriorityFeePerGas": 10**9})
        receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(tx.raw_transaction), 60)
        assert receipt.status == 1

        def in_set():
            raw = cluster.nodes[0].rpc("eth_call", {"to": CONSENSUS, "data": AUTHORITIES}, "latest")
            return account.address.lower() in [a.lower() for a in decode(["address[]", "uint256[]"],
                                                                          bytes.fromhex(raw[2:]))[0]]
        cluster.wait_for("the new validator in the authority set", in_set, 90)
        joined = cluster.nodes[0].head()

        def authored_by_newcomer():
            return any(cluster.nodes[0].rpc("eth_getBlockByNumber", hex(n), False)["miner"].lower()
                       == account.address.lower() for n in range(joined, cluster.nodes[0].head() + 1))
        cluster.wait_for("a block authored by the new validator", authored_by_newcomer, 90)
        cluster.wait_for("finality with the new voter set", lambda: cluster.finalized_at_least(joined + 2), 90)
        cluster.wait_for("agreement", cluster.agree_on_finalized, 30)

        def newcomer_precommitted():
            node = cluster.nodes[0]
            for number in range(joined, node.finalized()[0] + 1):
                found = node.rpc("chain_getBlock", node.canonical_hash(number))["justifications"]
                if found:
                    justification = Justification.decode(bytes.fromhex(found[0][1][2:]))
                    voters = {vote.voter(CHAIN_ID) for vote in justification.precommits}
                    if justification.set_id >= 1 and bytes.fromhex(account.address[2:]) in voters:
                        return True
            return False
        cluster.wait_for("a justification of the new voter set with the new validator's precommit",
                         newcomer_precommitted, 90)
    finally:
        cluster.stop()
