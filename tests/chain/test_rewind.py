"""Rewinding the chain on real LevelDB: undo records, one-batch rewinds, snapshots, and the chain going on after."""

import tempfile
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from chain.composition import RUNTIME
from chain.db import RewindError
from chain.node import Node
from runtime.crypto import keccak256
from runtime.exceptions import InvalidTransaction
from runtime.executive import compute_state_root
from runtime.modules import balances
from runtime.trie import EMPTY_ROOT
from tests.runtime.harness import ACCOUNTS, AUTHORITY, SPEC, transfer

RECIPIENT = b"\x66" * 20
FUNDS = 10_000 * 10**18


def open_node(path) -> Node:
    return Node(RUNTIME, SPEC, path, authority_key=AUTHORITY.private_key)


@pytest.fixture
def node(tmp_path):
    node = open_node(tmp_path / "node")
    yield node
    node.close()


def dump(node: Node) -> dict[bytes, bytes]:
    return dict(node.db.iter_state(b""))


def send(node: Node, sender: int, value: int, to: bytes = RECIPIENT) -> bytes:
    raw = transfer(sender, node.get_pending_nonce(ACCOUNTS[sender].address), to, value)
    node.submit_transaction(raw)
    return raw


def assert_flat_state_matches_head(node: Node) -> None:
    """The flat key space is exactly the state the head's root commits to, and the trie is there."""
    root, _ = compute_state_root({}, EMPTY_ROOT, dump(node))
    assert root == node.head.state_root == node.tree.state_trie.root


def test_rewind_restores_byte_identical_state_and_removes_later_blocks(node):
    send(node, 0, 1)
    node.builder.author_block()
    target, before = node.head, dump(node)
    removed_txs = []
    for round_ in range(3):
        removed_txs += [keccak256(send(node, i, 10 + round_)) for i in range(3)]
        node.builder.author_block()
    removed_txs.append(node.dev.set_balance(ACCOUNTS[5].address, 7).transaction.hash)
    removed = [node.tree.get_header_by_number(n) for n in range(target.number + 1, node.head.number + 1)]
    assert dump(node) != before

    assert node.tree.rewind_to(target.number) == target
    assert node.head == target and node.db.get_head_hash() == target.hash
    assert dump(node) == before
    assert_flat_state_matches_head(node)
    for header in removed:
        assert node.db.get_header(header.hash) is None and node.db.get_block(header.hash) is None
        assert node.db.get_receipts(header.hash) == []
        assert node.db.get_canonical_hash(header.number) is None
    for tx_hash in removed_txs:
        assert node.db.get_transaction_location(tx_hash) is None and node.tree.get_receipt(tx_hash) is None
    assert balances.free_balance(node.state(), ACCOUNTS[5].address) == FUNDS


def test_the_chain_goes_on_after_a_rewind_and_others_accept_it(node, tmp_path):
    node.builder.author_block()
    resent = [send(node, 0, 5), send(node, 1, 6)]
    node.builder.author_block()
    node.tree.rewind_to(1)
    assert node.get_nonce(ACCOUNTS[0].address) == 0
    for raw in resent:
        node.submit_transaction(raw)
    outcome = node.builder.author_block()
    assert [a.transaction.raw for a in outcome.applied] == resent and outcome.block.header.number == 2
    node.dev.set_balance(RECIPIENT, 10**18)
    follower = open_node(tmp_path / "follower")
    try:
        chain = [node.db.get_block(node.db.get_canonical_hash(n)) for n in range(1, node.head.number + 1)]
        follower.tree.import_blocks(chain)
        assert follower.head == node.head and dump(follower) == dump(node)
    finally:
        follower.close()


def test_a_rewind_is_kept_across_a_restart(tmp_path):
    node = open_node(tmp_path / "node")
    send(node, 2, 3)
    node.builder.author_block()
    before = dump(node)
    send(node, 2, 4)
    node.builder.author_block()
    node.tree.rewind_to(1)
    node.close()
    again = open_node(tmp_path / "node")
    try:
        assert again.head.number == 1 and dump(again) == before
        assert_flat_state_matches_head(again)
    finally:
        again.close()


def test_a_rewind_that_cannot_complete_changes_nothing(node):
    for value in (1, 2, 3):
        send(node, 0, value)
        node.builder.author_block()
    head, before = node.head, dump(node)
    with pytest.raises(RewindError):
        node.tree.rewind_to(head.number + 1)
    node.db.db.delete(b"u" + (2).to_bytes(8, "big"))
    with pytest.raises(RewindError, match="block 2"):
        node.tree.rewind_to(0)
    assert node.db.get_head_hash() == head.hash and node.head == head
    assert dump(node) == before
    assert all(node.db.get_canonical_hash(n) for n in range(head.number + 1)), "block 3 was not removed either"
    node.tree.rewind_to(2)
    assert node.head.number == 2


def test_rewind_drops_pool_transactions_that_no_longer_apply(node):
    rich = ACCOUNTS[6].address
    included = send(node, 7, 1)
    node.builder.author_block()
    node.dev.set_balance(rich, 10**24)
    assert node.db.get_transaction_location(keccak256(included)) is not None
    spends_the_windfall = send(node, 6, 10**23)
    waits_for_nonce_0 = transfer(8, 1, RECIPIENT, 1)
    node.submit_transaction(waits_for_nonce_0)
    ready = send(node, 9, 1)
    node.tree.rewind_to(0)
    assert keccak256(spends_the_windfall) not in node.pool, "without the windfall the sender cannot pay"
    assert keccak256(included) not in node.pool, "a transaction of a removed block is not resubmitted"
    assert keccak256(waits_for_nonce_0) in node.pool and keccak256(ready) in node.pool


def test_snapshots_are_used_once_and_reverting_drops_later_ones(node):
    first = node.dev.take_snapshot()
    send(node, 0, 1)
    node.builder.author_block()
    node.clock.advance(100)
    second = node.dev.take_snapshot()
    send(node, 0, 1)
    node.builder.author_block()
    third = node.dev.take_snapshot()
    assert (first, second, third) == (0, 1, 2)

    assert node.dev.revert_to_snapshot(second) is True
    assert node.head.number == 1 and node.clock.offset == 100
    assert node.dev.revert_to_snapshot(third) is False, "a later snapshot goes with the revert"
    assert node.dev.revert_to_snapshot(second) is False, "a snapshot is used once"
    assert node.dev.revert_to_snapshot(first) is True
    assert node.head.number == 0 and node.clock.offset == 0
    assert node.dev.take_snapshot() == 3
    assert node.dev.revert_to_snapshot(99) is False


def test_the_clock_pins_a_timestamp_then_goes_on_from_it(node):
    node.clock.now = lambda: 1_000
    node.clock.pin(5_000)
    assert node.builder.author_block().block.header.timestamp == 5_000
    assert node.clock.offset == 4_000 and node.clock.pinned is None
    node.clock.now = lambda: 1_010
    assert node.builder.author_block().block.header.timestamp == 5_010
    node.clock.offset = -10_000
    assert node.builder.author_block().block.header.timestamp == 5_010, "never below the parent's"


operation = st.one_of(
    st.tuples(st.just("block"), st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10**18)), max_size=4)),
    st.tuples(st.just("set_balance"), st.integers(0, 3), st.sampled_from([0, 1, 10**21])),
    st.tuples(st.just("rewind"), st.floats(0, 1)),
)


@settings(max_examples=15, deadline=None)
@given(st.lists(operation, min_size=1, max_size=10))
def test_random_blocks_and_rewinds_keep_state_equal_to_the_head(operations):
    """After every step the flat state is byte-identical to what it was when that block was the head."""
    with tempfile.TemporaryDirectory() as workdir:
        node = open_node(Path(workdir) / "node")
        try:
            seen = {0: dump(node)}
            for kind, *args in operations:
                if kind == "block":
                    for sender, value in args[0]:
                        try:
                            send(node, sender, value)
                        except InvalidTransaction:
                            assert balances.free_balance(node.state(), ACCOUNTS[sender].address) < 10**18
                    node.builder.author_block()
                elif kind == "set_balance":
                    node.dev.set_balance(ACCOUNTS[args[0]].address, args[1])
                else:
                    target = int(args[0] * node.head.number)
                    event(f"rewound {'no' if target == node.head.number else 'some'} blocks")
                    node.tree.rewind_to(target)
                    seen = {n: d for n, d in seen.items() if n <= target}
                assert seen.setdefault(node.head.number, dump(node)) == dump(node)
                assert_flat_state_matches_head(node)
                assert node.db.get_canonical_hash(node.head.number + 1) is None
                for module in RUNTIME.modules:
                    module.check_invariants(node.state())
            node.dev.set_balance(ACCOUNTS[0].address, 10**18)
            send(node, 0, 1)
            assert len(node.builder.author_block().applied) == 1, "the chain goes on"
        finally:
            node.close()
