"""A node drops a task's blobs once their round is more than --blob-retention-rounds behind
(flockchain/cli.py `blob_pruner`, a block listener), on real LevelDB with a real blob store."""

from chain.blobs import BlobStore, BlobTag
from chain.composition import RUNTIME
from chain.node import Node
from fl_module import alliance
from flockchain.cli import blob_pruner
from runtime.crypto import keccak256
from runtime.modules import staking
from tests.runtime.harness import ACCOUNTS, AUTHORITY, SPEC, module_call

from .alliance_driver import GAS, STAKE, UNIT


def test_blobs_of_rounds_past_the_retention_are_pruned_as_rounds_move_on(tmp_path):
    node = Node(RUNTIME, SPEC, tmp_path / "chain", authority_key=AUTHORITY.private_key)
    blobs = BlobStore(tmp_path / "blobs", retention_rounds=1)
    node.tree.block_listeners.append(blob_pruner(node, blobs))
    try:
        def block(*calls):
            for sender, module, name, args, value in calls:
                nonce = node.get_pending_nonce(ACCOUNTS[sender].address)
                node.submit_transaction(module_call(sender, nonce, module, name, *args, value=value, gas=GAS))
            node.builder.author_block()

        block(*((i, staking.MODULE, "bond", (1,), STAKE) for i in range(2)))
        block((0, alliance.MODULE, "createTask", ("linear", "sklearn:diabetes", keccak256(b"m"), 5, 1, 1, [1] * 5,
                                                  STAKE), UNIT))
        block(*((i, alliance.MODULE, "join", (0,), 0) for i in range(2)))
        kept = {r: blobs.put(f"round {r}".encode(), tag=BlobTag(0, r)) for r in range(3)}
        untagged = blobs.put(b"untagged")
        rounds = []
        while alliance.get_progress(node.state(), 0).round < 2:
            block((1, alliance.MODULE, "advance", (0,), 0))
            rounds.append(alliance.get_progress(node.state(), 0).round)
        assert rounds[-1] == 2
        assert not blobs.has(kept[0]), "round 0 is more than one round behind round 2"
        assert blobs.has(kept[1]) and blobs.has(kept[2]) and blobs.has(untagged)
    finally:
        node.close()
