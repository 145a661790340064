"""Blocks built off the event loop (BlockBuilder's builder thread): valid where they are imported, nothing
committed when the head moved meanwhile, and the loop free while a large block builds."""

import asyncio
import threading

import pytest

from chain.authoring import OFF_LOOP_CANDIDATES
from chain.composition import RUNTIME
from chain.node import Node
from tests.runtime.harness import ACCOUNTS, AUTHORITY, SPEC, transfer

RECIPIENT = b"\x66" * 20
TIMESTAMP = 1_900_000_000


def make_node(path) -> Node:
    return Node(RUNTIME, SPEC, path, authority_key=AUTHORITY.private_key, instant_finality=True)


@pytest.fixture
def node(tmp_path):
    node = make_node(tmp_path / "node")
    yield node
    node.close()


def submit_transfers(node: Node, count: int, value: int = 1) -> None:
    for i in range(count):
        sender = ACCOUNTS[i % 4].address
        node.submit_transaction(transfer(i % 4, node.get_pending_nonce(sender), RECIPIENT, value))


def build_on_a_thread(node: Node):
    """plan on this thread, build on another, commit here: what DevAuthor.seal_off_loop does."""
    plan = node.builder.plan_block()
    built = {}
    worker = threading.Thread(target=lambda: built.update(result=node.builder.build_planned(plan)))
    worker.start()
    worker.join()
    return plan, *built["result"]


def test_blocks_built_on_a_thread_are_valid_where_they_are_imported(tmp_path):
    """Checked by the import rule (every root re-executed), not by the builder's own code."""
    author, follower = make_node(tmp_path / "author"), make_node(tmp_path / "follower")
    try:
        for block in range(3):  # the second and third start from the trie the previous build handed back
            submit_transfers(author, 7, value=block + 1)
            outcome = author.builder.commit_planned(*build_on_a_thread(author))
            assert len(outcome.applied) == 7 and author.head == outcome.block.header
            follower.tree.import_block(outcome.block)
        assert follower.head == author.head
        assert follower.db.get_receipts(follower.head.hash) == author.db.get_receipts(author.head.hash)
        assert author.balance_of(RECIPIENT) == follower.balance_of(RECIPIENT) == 7 * (1 + 2 + 3)
        assert len(author.pool) == 0
    finally:
        author.close()
        follower.close()


def test_a_build_the_head_moved_under_commits_nothing(node):
    submit_transfers(node, 5)
    plan = node.builder.plan_block()
    sealed_meanwhile = node.builder.author_block()  # evm_mine during the build: it takes the same transfers
    outcome, rejected = node.builder.build_planned(plan)
    assert len(outcome.applied) == 5 and not rejected
    assert node.builder.commit_planned(plan, outcome, rejected) is None
    assert node.head == sealed_meanwhile.block.header
    assert node.balance_of(RECIPIENT) == 5, "the transfers ran once"
    submit_transfers(node, 2)
    assert len(node.builder.author_block().applied) == 2, "the tree's trie is still the head's"
    assert node.balance_of(RECIPIENT) == 7


def test_a_rewind_during_a_build_leaves_the_build_its_snapshot(node):
    submit_transfers(node, 3)
    node.builder.author_block()
    submit_transfers(node, 4)
    plan = node.builder.plan_block()
    node.tree.rewind_to(0)  # evm_revert to genesis while the block builds
    outcome, rejected = node.builder.build_planned(plan)
    assert len(outcome.applied) == 4 and not rejected, "it read the state it was planned on"
    assert node.builder.commit_planned(plan, outcome, rejected) is None
    assert node.head.number == 0 and node.balance_of(RECIPIENT) == 0


def test_the_event_loop_runs_while_a_large_block_builds(node):
    submit_transfers(node, OFF_LOOP_CANDIDATES)

    async def author_while_ticking():
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                await asyncio.sleep(0)
                ticks += 1

        ticker = asyncio.get_running_loop().create_task(tick())
        try:
            outcome = await node.builder.author_block_off_loop()
        finally:
            ticker.cancel()
        return outcome, ticks

    outcome, ticks = asyncio.run(author_while_ticking())
    assert len(outcome.applied) == OFF_LOOP_CANDIDATES and node.head == outcome.block.header
    assert ticks > 10, "the loop went on while the block was built"


def test_a_block_built_off_the_loop_is_dropped_when_a_peer_block_arrives_meanwhile(node, tmp_path):
    """A validator's slot block built on the thread while its node imports a peer's block on the loop."""
    peer = make_node(tmp_path / "peer")
    try:
        submit_transfers(peer, 3)
        peer.clock.pin(TIMESTAMP)
        peer_block = peer.builder.author_block().block
        submit_transfers(node, OFF_LOOP_CANDIDATES)

        async def author_and_import():
            authoring = asyncio.get_running_loop().create_task(node.builder.author_block_off_loop())
            await asyncio.sleep(0)  # the build is on the thread now
            node.tree.import_block(peer_block)
            return await authoring

        assert asyncio.run(author_and_import()) is None
        assert node.head == peer_block.header and node.balance_of(RECIPIENT) == 3
        assert len(node.builder.author_block().applied) == OFF_LOOP_CANDIDATES - 3, \
            "the pooled transfers the peer's block did not take go in the next block, on the head's trie"
    finally:
        peer.close()
