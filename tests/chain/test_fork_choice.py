"""The block tree on real LevelDB: side blocks, the longest-chain rule, reorgs that give transactions
back to the pool and keep receipts and indexes on the canonical chain, and finality never reverted.

Two nodes of the dev chain share its authority key, so each can author its own branch from a
common block: the forks a network produces, without the network.
"""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.composition import RUNTIME
from chain.db import RewindError
from chain.block_tree import BlockStatus
from chain.node import Node
from runtime.blocks import Block
from runtime.crypto import private_key_to_address
from runtime.exceptions import InvalidBlock
from runtime.modules import balances
from tests.runtime.harness import ACCOUNTS, AUTHORITY, SPEC, module_call, seal, transfer

RECIPIENT = b"\x77" * 20


def open_node(path) -> Node:
    return Node(RUNTIME, SPEC, path, authority_key=AUTHORITY.private_key)


@pytest.fixture
def pair(tmp_path):
    a, b = open_node(tmp_path / "a"), open_node(tmp_path / "b")
    yield a, b
    a.close()
    b.close()


def author(node: Node, senders=(), value: int = 1, timestamp: int | None = None) -> Block:
    for sender in senders:
        node.submit_transaction(transfer(sender, node.get_pending_nonce(ACCOUNTS[sender].address), RECIPIENT, value))
    return node.builder.author_block(timestamp=timestamp).block


def share(source: Node, target: Node, first: int = 1) -> list[str]:
    """Send `source`'s canonical blocks from `first` to its head to `target`, as a peer would."""
    return [target.tree.receive_block(source.db.get_block(source.db.get_canonical_hash(n)))
            for n in range(first, source.head.number + 1)]


def canonical_hashes(node: Node) -> list[bytes]:
    return [node.db.get_canonical_hash(n) for n in range(node.head.number + 1)]


def test_blocks_on_the_head_are_imported_and_repeats_are_known(pair):
    a, b = pair
    for _ in range(3):
        author(a, senders=(0,))
    assert share(a, b) == [BlockStatus.IMPORTED] * 3
    assert share(a, b) == [BlockStatus.KNOWN] * 3
    assert b.head == a.head


def test_shorter_branch_is_kept_aside_and_longer_branch_wins_with_transactions_returned(pair):
    a, b = pair
    author(a)
    share(a, b)
    fork = a.head.number
    retracted = [author(a, senders=(1,), value=5, timestamp=100 + i) for i in range(2)]  # a: 2 blocks
    for i in range(3):
        author(b, senders=(2,), value=7, timestamp=200 + i)                            # b: 3 blocks
    assert share(b, a, fork + 1)[:2] == [BlockStatus.SIDE, BlockStatus.SIDE]
    assert a.head == b.head and canonical_hashes(a) == canonical_hashes(b)
    # the abandoned branch's transfers are back in the pool, not in any index
    pooled = {tx.raw: tx.hash for tx in a.pool.by_hash.values()}
    returned = [raw for block in retracted for raw in block.transactions]
    assert sorted(pooled) == sorted(returned)
    assert all(a.db.get_transaction(pooled[raw]) is None for raw in returned)
    # receipts and state follow the new chain
    assert a.balance_of(RECIPIENT) == b.balance_of(RECIPIENT) == 21
    for n in range(fork + 1, a.head.number + 1):
        block = a.db.get_block(a.db.get_canonical_hash(n))
        assert len(a.db.get_receipts(block.hash)) == len(block.transactions)
    # the old branch is still known by hash and can win back
    assert all(a.db.has_block(block.hash) for block in retracted)
    a.builder.author_block(timestamp=300)  # includes the returned transfers on the new head
    assert a.balance_of(RECIPIENT) == 31


def test_a_reorg_rechecks_the_pool_against_the_new_head_not_the_common_ancestor(pair):
    """A new account funded on both branches: its pending transfer is valid before and after the reorg (only the
    common ancestor, where it has nothing, would refuse it), so the pool keeps it."""
    from runtime.transactions import DYNAMIC_FEE, sign_transaction
    a, b = pair
    author(a)
    share(a, b)
    fork, newcomer = a.head.number, bytes([0x5A]) * 32
    funding = transfer(1, a.get_pending_nonce(ACCOUNTS[1].address), private_key_to_address(newcomer), 10**18)
    at = a.head.timestamp
    for node, timestamps in ((a, (at + 1,)), (b, (at + 2, at + 3))):
        node.submit_transaction(funding)
        for timestamp in timestamps:
            node.builder.author_block(timestamp=timestamp)
    spend = a.submit_transaction(sign_transaction(newcomer, DYNAMIC_FEE, chain_id=a.chain_id, nonce=0, gas_limit=21_000,
                                                  to=RECIPIENT, value=3, max_fee_per_gas=10**10,
                                                  max_priority_fee_per_gas=10**9))
    assert share(b, a, fork + 1) == [BlockStatus.SIDE, BlockStatus.REORG]
    assert a.head == b.head and spend.hash in a.pool
    a.builder.author_block()
    assert a.balance_of(RECIPIENT) == 3


def test_equal_length_branch_does_not_switch(pair):
    a, b = pair
    author(a, timestamp=10)
    author(b, timestamp=20)
    assert share(b, a) == [BlockStatus.SIDE]
    assert a.head.timestamp == 10


def test_unknown_parent_and_bad_seal(pair):
    a, b = pair
    author(b)
    author(b)
    assert a.tree.receive_block(b.db.get_block(b.head.hash)) == BlockStatus.UNKNOWN_PARENT
    author(a, timestamp=5)
    forged = b.db.get_block(b.db.get_canonical_hash(1))
    bad = Block(forged.header.with_seal(b"\x01" * 65), forged.transactions)
    with pytest.raises(InvalidBlock, match="seal"):
        a.tree.receive_block(bad)
    assert not a.db.has_block(bad.hash)


def test_invalid_branch_is_forgotten_and_the_chain_stays(pair):
    a, b = pair
    author(a, timestamp=5)
    for i in range(2):
        author(b, senders=(3,), timestamp=50 + i)
    good = b.db.get_block(b.db.get_canonical_hash(1))
    # same author and seal rule, wrong state root: passes the side check, fails execution
    header = good.header.__class__(**{**good.header.__dict__, "state_root": b"\x11" * 32})
    bad = Block(seal(header.with_seal(b""), AUTHORITY.private_key), good.transactions)
    before = a.head
    assert a.tree.receive_block(bad) == BlockStatus.SIDE
    child = b.db.get_block(b.db.get_canonical_hash(2))
    child = Block(seal(child.header.__class__(**{**child.header.__dict__, "parent_hash": bad.hash}),
                              AUTHORITY.private_key), child.transactions)
    with pytest.raises(InvalidBlock, match="state_root"):
        a.tree.receive_block(child)  # its branch is longer: the switch executes `bad` and fails
    assert a.head == before and not a.db.has_block(bad.hash) and not a.db.has_block(child.hash)
    with pytest.raises(InvalidBlock, match="found invalid"):
        a.tree.receive_block(child)  # refused at once the second time, with no re-execution
    grandchild = Block(seal(replace(child.header, parent_hash=child.hash, number=3, seal=b""),
                                   AUTHORITY.private_key), ())
    with pytest.raises(InvalidBlock, match="found invalid"):
        a.tree.receive_block(grandchild)


def test_side_block_by_a_key_outside_the_authority_sets_is_refused(pair):
    a, b = pair
    author(a, timestamp=5)
    author(b, timestamp=6)
    stranger = bytes([7]) * 32
    header = b.head.__class__(**{**b.head.__dict__, "author": private_key_to_address(stranger)})
    forged = Block(seal(header.with_seal(b""), stranger), ())
    with pytest.raises(InvalidBlock, match="authority set"):
        a.tree.receive_block(forged)


def test_finalized_blocks_are_never_reverted(pair):
    a, b = pair
    author(a, timestamp=1)
    share(a, b)
    author(a, timestamp=2)
    a.tree.finalize(a.head.hash, b"justification")
    assert a.finalized == a.head and a.db.get_justification(a.head.hash) == b"justification"
    for i in range(4):  # a longer branch forking below the finalized block
        author(b, timestamp=10 + i)
    statuses = share(b, a, 2)
    assert statuses[0] == BlockStatus.STALE and a.finalized == a.head
    with pytest.raises(RewindError, match="final"):
        a.tree.rewind_to(1, keep_blocks=True)
    with pytest.raises(ValueError, match="does not extend"):
        a.tree.finalize(a.db.get_canonical_hash(1), b"")


def test_finalizing_a_side_block_switches_to_its_branch(pair):
    a, b = pair
    author(a, timestamp=1)
    share(a, b)
    for i in range(3):
        author(a, timestamp=2 + i)
    side = author(b, senders=(4,), timestamp=50)
    assert a.tree.receive_block(side) == BlockStatus.SIDE
    a.tree.finalize(side.hash, b"j")
    assert a.head == side.header and a.finalized == side.header
    assert a.balance_of(RECIPIENT) == 1


@settings(max_examples=15)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 2)), min_size=1, max_size=10))
def test_any_delivery_order_converges_to_the_longest_chain(tmp_path_factory, steps):
    """Two authors build on their own heads and sometimes exchange everything; after a final
    exchange both hold the same canonical chain, the longest one known, with matching balances."""
    path = tmp_path_factory.mktemp("forks")
    a, b = open_node(path / "a"), open_node(path / "b")
    try:
        clock = 0
        for exchange, which in steps:
            clock += 1
            author((a, b)[which % 2], senders=(which,), timestamp=clock)
            if exchange:
                share(a, b)
                share(b, a)
        share(a, b)
        share(b, a)
        if a.head.number == b.head.number and a.head != b.head:
            author(a, timestamp=clock + 1)
            share(a, b)
        assert a.head == b.head and canonical_hashes(a) == canonical_hashes(b)
        assert balances.free_balance(a.state(), RECIPIENT) == balances.free_balance(b.state(), RECIPIENT)
    finally:
        a.close()
        b.close()


def test_a_crash_between_a_reorgs_rewind_and_its_execution_is_recovered_at_restart(tmp_path):
    """The rewind is one batch and each re-executed block another: a crash between them leaves the
    longer branch as side blocks, and the restarted node switches to it before anything else."""
    a = open_node(tmp_path / "a")
    for i in range(3):
        author(a, senders=(1,), timestamp=10 + i)
    head = a.head
    a.tree.rewind_to(0, keep_blocks=True)  # the reorg's first half, then the crash
    a.close()
    a = open_node(tmp_path / "a")
    try:
        assert a.head.number == 0
        a.tree.recover_fork_choice()
        assert a.head == head and a.balance_of(RECIPIENT) == 3
    finally:
        a.close()


def test_a_branch_failing_part_way_gives_its_valid_blocks_transactions_back(pair):
    a, b = pair
    author(a, timestamp=5)
    good = author(b, senders=(3,), value=9, timestamp=50)
    author(b, timestamp=51)
    tip = b.head
    bad = Block(seal(replace(tip, state_root=b"\x22" * 32, seal=b""), AUTHORITY.private_key), ())
    assert a.tree.receive_block(good) == BlockStatus.SIDE
    with pytest.raises(InvalidBlock, match="state_root"):
        a.tree.receive_block(bad)
    assert a.head.timestamp == 5 and a.db.has_block(good.hash) and not a.db.has_block(bad.hash)
    assert [tx.raw for tx in a.pool.by_hash.values()] == list(good.transactions)


def test_a_reorg_sends_the_retracted_logs_again_as_removed_then_the_new_ones(pair):
    """What an eth_newFilter / eth_subscribe("logs") client sees across a reorg: the abandoned
    branch's logs with removed: true, then the new branch's logs."""
    from rpc.logs import LogFilter
    from rpc.subscriptions import EventHub

    a, b = pair
    hub = EventHub(a)
    a.tree.block_listeners.append(lambda outcome: hub.publish_block(outcome.block))
    a.tree.retract_listeners.append(hub.publish_retracted)
    watched = hub.new_filter("logs", LogFilter(addresses=(balances.ADDRESS_,)))

    def erc20_transfer(node, sender, value, timestamp):
        nonce = node.get_pending_nonce(ACCOUNTS[sender].address)
        node.submit_transaction(module_call(sender, nonce, balances.MODULE, "transfer", RECIPIENT, value))
        return node.builder.author_block(timestamp=timestamp).block

    old = erc20_transfer(a, 1, 5, 10)
    new = [erc20_transfer(b, 2, 7, 20 + i) for i in range(2)]
    assert [log["removed"] for log in hub.take_changes(watched)] == [False]
    share(b, a)
    changes = hub.take_changes(watched)
    assert [(log["removed"], log["blockHash"]) for log in changes] == \
        [(True, "0x" + old.hash.hex())] + [(False, "0x" + block.hash.hex()) for block in new]
