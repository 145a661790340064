"""The node on real LevelDB: authoring, importing (with pipelined sender recovery), proofs, bad blocks."""

from dataclasses import replace

import pytest

from chain.composition import RUNTIME
from chain.node import Node
from runtime.blocks import Block
from runtime.crypto import keccak256
from runtime.exceptions import InvalidBlock
from runtime.modules import balances
from runtime.trie import verify_proof
from tests.runtime.harness import ACCOUNTS, AUTHORITY, SPEC, seal, transfer

RECIPIENT = b"\x55" * 20


@pytest.fixture
def author(tmp_path):
    node = Node(RUNTIME, SPEC, tmp_path / "author", authority_key=AUTHORITY.private_key)
    yield node
    node.close()


def author_blocks(node: Node, count: int, per_block: int) -> list[Block]:
    blocks = []
    for b in range(count):
        for i in range(per_block):
            node.submit_transaction(transfer(i % 4, node.get_pending_nonce(ACCOUNTS[i % 4].address), RECIPIENT, 1 + b))
        blocks.append(node.builder.author_block().block)
    return blocks


@pytest.mark.parametrize("recovery_workers", [0, 1])
def test_a_second_node_imports_the_authored_chain(author, tmp_path, recovery_workers):
    blocks = author_blocks(author, 4, 12)
    follower = Node(RUNTIME, SPEC, tmp_path / "follower", recovery_workers=recovery_workers)
    try:
        outcomes = follower.tree.import_blocks(blocks)
        assert [o.block.hash for o in outcomes] == [b.hash for b in blocks]
        assert follower.head == author.head
        assert follower.balance_of(RECIPIENT) == author.balance_of(RECIPIENT) == 12 * (1 + 2 + 3 + 4)
        assert follower.db.get_receipts(follower.head.hash) == author.db.get_receipts(author.head.hash)
    finally:
        follower.close()


def test_an_invalid_block_changes_nothing_and_the_node_goes_on(author, tmp_path):
    good = author_blocks(author, 2, 3)
    follower = Node(RUNTIME, SPEC, tmp_path / "follower", recovery_workers=1)
    try:
        follower.tree.import_blocks(good[:1])
        head, balance = follower.head, follower.balance_of(RECIPIENT)
        forged = Block(seal(replace(good[1].header, state_root=b"\x01" * 32), AUTHORITY.private_key), good[1].transactions)
        with pytest.raises(InvalidBlock):
            follower.tree.import_blocks([forged])
        assert follower.head == head and follower.balance_of(RECIPIENT) == balance
        follower.tree.import_blocks(good[1:])
        assert follower.head == author.head
    finally:
        follower.close()


def test_storage_proofs_verify_against_the_header_state_root(author):
    author_blocks(author, 2, 2)
    key = balances.Account.key(RECIPIENT)
    value, proof = author.tree.prove_storage(key)
    assert value is not None and verify_proof(author.head.state_root, keccak256(key), proof) == value
    earlier = author.tree.get_header_by_number(1)
    old_value, old_proof = author.tree.prove_storage(key, earlier)
    assert old_value != value
    assert verify_proof(earlier.state_root, keccak256(key), old_proof) == old_value
