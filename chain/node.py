"""A node: its database, the runtime it runs, its transaction pool, and authoring.

Every mutation of chain state goes through `import_block` or `author_block`, which run
the runtime against the head state and commit the outcome in one database batch, or
`rewind_to`, which takes the chain back to one of its blocks (using the undo records
those batches wrote).

Blocks from the network arrive through `receive_block`, which keeps a block tree: a block
on the head is executed at once; a block on another branch is kept as a side block, and
when its branch becomes longer than the canonical chain (the fork-choice rule: the longest
chain that contains the finalized block) `reorg_to` rewinds to the common ancestor and
executes the branch, giving the pool back the abandoned branch's transactions. Nothing at
or below the finalized block is ever reverted (spec/fork_choice.md).
"""

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from genesis.builder import ChainSpecError, build_genesis, compute_spec_fingerprint
from runtime.blocks import Block, Header, is_sealed_by_author
from runtime.crypto import keccak256, private_key_to_address
from runtime.exceptions import InvalidBlock, InvalidTransaction
from runtime.executive import (BlockOutcome, Runtime, apply_block, block_env, block_template, build_block, check_can_pay,
                               check_transaction, seal_header)
from runtime.fees import compute_base_fee
from runtime.module import BlockEnv
from runtime.modules import balances, consensus, system
from runtime.state import State
from runtime.transactions import Transaction, decode_transaction
from runtime.trie import Trie

from .db import ChainDB, HeadState, HistoricalState, RewindError, StoredReceipt
from .pool import PoolLimits, TransactionPool
from .senders import SenderRecovery

log = logging.getLogger("flockchain.node")


@dataclass
class BlockClock:
    """Where authored blocks get their timestamps: the wall clock plus an offset, or a timestamp
    pinned for the next block (anvil's evm_increaseTime and evm_setNextBlockTimestamp).

    A node-side matter: the runtime only sees the header's timestamp, and never one below the parent's.
    """

    offset: int = 0
    pinned: int | None = None
    now: Callable[[], float] = time.time

    def next_timestamp(self, parent_timestamp: int) -> int:
        """Never below the parent's, never beyond uint64 (what a header can hold)."""
        timestamp = self.pinned if self.pinned is not None else int(self.now()) + self.offset
        return min(max(timestamp, parent_timestamp), MAX_TIMESTAMP)

    def advance(self, seconds: int) -> int:
        """Move time forward for every later block; returns the total offset."""
        self.offset += seconds
        return self.offset

    def pin(self, timestamp: int) -> None:
        """The next block gets exactly this timestamp (or its parent's, if that is later)."""
        self.pinned = timestamp

    def sealed(self, timestamp: int) -> None:
        """A block used the clock: after a pinned timestamp, time goes on from it (anvil's rule)."""
        if self.pinned is not None:
            self.offset = timestamp - int(self.now())
            self.pinned = None


class BlockStatus:
    """What `receive_block` did with a block."""

    KNOWN = "known"
    IMPORTED = "imported"
    """Executed on the head: the new head."""
    SIDE = "side"
    """Kept on a branch no longer than the canonical chain."""
    REORG = "reorg"
    """Its branch became the longest: the chain switched to it."""
    UNKNOWN_PARENT = "unknown-parent"
    STALE = "stale"
    """At or below the finalized block, or on a branch that does not contain it."""


MAX_TIMESTAMP = 2**64 - 1
MAX_BAD_BLOCKS = 4_096
MAX_SNAPSHOTS = 1_000
"""Snapshots kept; beyond it the oldest is forgotten (reverting to it then returns false)."""


@dataclass(frozen=True)
class Snapshot:
    """A head to come back to, with the clock as it was (anvil's evm_snapshot)."""

    number: int
    block_hash: bytes
    offset: int
    pinned: int | None


class Node:
    def __init__(self, runtime: Runtime, spec: dict, data_dir: str | Path, authority_key: bytes | None = None,
                 pool_limits: PoolLimits = PoolLimits(), recovery_workers: int = 0, instant_finality: bool = False):
        self.runtime = runtime
        self.spec = spec
        self.db = ChainDB(data_dir)
        fingerprint = compute_spec_fingerprint(spec)
        if self.db.get_genesis_hash() is None:
            genesis = build_genesis(spec, runtime)
            self.db.write_genesis(genesis.header, genesis.state, genesis.trie_nodes, fingerprint)
        elif self.db.get_spec_fingerprint() != fingerprint:
            self.db.close()
            raise ChainSpecError(f"data dir {data_dir} holds another chain (its genesis differs from this chain spec's)")
        self.genesis_hash = self.db.get_genesis_hash()
        self.head: Header = self.db.get_header(self.db.get_head_hash())
        self.state_trie = Trie(self.db.nodes, self.head.state_root)
        self.head_state = HeadState(self.db)
        self.pool = TransactionPool(pool_limits)
        self.authority_key = authority_key
        self.authority = private_key_to_address(authority_key) if authority_key else None
        self.chain_id = system.ChainId.get(State(self.head_state))
        self.sender_recovery = SenderRecovery(recovery_workers) if recovery_workers else None
        self.clock = BlockClock()
        self.instant_finality = instant_finality
        self._finalized: Header = self.db.get_header(self.db.get_finalized_hash())
        """Read on every block received and in sync loops: kept here, written through by `finalize`."""
        """A dev chain's single authority: each sealed block is final at once (and snapshots may still revert)."""
        self.block_listeners: list[Callable[[BlockOutcome], None]] = []
        """Called after each block is committed, whoever authored or imported it."""
        self.retract_listeners: list[Callable[[list[Block]], None]] = []
        """Called with the blocks a reorg is about to take off the canonical chain (newest first), while
        their receipts are still stored (RPC sends their logs again with `removed: true`)."""
        self._bad_blocks: OrderedDict[bytes, None] = OrderedDict()
        """Blocks found invalid when executed (bounded): they and their descendants are refused at once."""
        self._snapshots: dict[int, Snapshot] = {}
        self._next_snapshot_id = 0

    def close(self) -> None:
        if self.sender_recovery:
            self.sender_recovery.close()
        self.db.close()

    # reading
    def state(self) -> State:
        return State(self.head_state)

    def state_at(self, header: Header) -> State:
        if header.hash == self.head.hash:
            return self.state()
        return State(HistoricalState(self.db, header.state_root))

    def prove_storage(self, key: bytes, header: Header | None = None) -> tuple[bytes | None, list[bytes]]:
        """A storage value and its Merkle proof against `header`'s state root (the head by default)."""
        trie = Trie(self.db.nodes, (header or self.head).state_root)
        path = keccak256(key)
        return trie.get(path), trie.prove(path)

    def get_nonce(self, address: bytes) -> int:
        return system.get_nonce(self.state(), address)

    def get_pending_nonce(self, address: bytes) -> int:
        return self.pool.pending_nonce(address, self.get_nonce(address))

    def next_base_fee(self) -> int:
        return compute_base_fee(self.head.gas_limit, self.head.gas_used, self.head.base_fee_per_gas)

    @property
    def finalized(self) -> Header:
        return self.head if self.instant_finality else self._finalized

    def is_canonical(self, header: Header) -> bool:
        return self.db.get_canonical_hash(header.number) == header.hash

    def is_descendant(self, block_hash: bytes, ancestor_hash: bytes) -> bool:
        """Whether `block_hash` is `ancestor_hash` or built on it (False when either is unknown)."""
        ancestor = self.db.get_header(ancestor_hash)
        header = self.db.get_header(block_hash)
        if ancestor is None:
            return False
        while header is not None and header.number > ancestor.number:
            if self.is_canonical(header):
                return self.db.get_canonical_hash(ancestor.number) == ancestor_hash
            header = self.db.get_header(header.parent_hash)
        return header is not None and header.hash == ancestor_hash

    def get_header_by_number(self, number: int) -> Header | None:
        block_hash = self.db.get_canonical_hash(number)
        return self.db.get_header(block_hash) if block_hash else None

    def get_receipt(self, tx_hash: bytes) -> StoredReceipt | None:
        location = self.db.get_transaction_location(tx_hash)
        return None if location is None else self.db.get_receipt(*location)

    # transactions
    def submit_transaction(self, raw: bytes) -> Transaction:
        """Decode, check against the head state and admit to the pool, or raise InvalidTransaction."""
        tx = decode_transaction(raw)
        if self.db.get_transaction_location(tx.hash) is not None:
            raise InvalidTransaction("AlreadyKnown", "transaction is already included in a block")
        state = self.state()
        self._check_admission(state, self.pending_env(), tx)
        self.pool.add(tx, system.get_nonce(state, tx.sender))
        return tx

    def pending_env(self) -> BlockEnv:
        """The next block as far as it is known now: what transactions are checked against before inclusion."""
        return replace(block_env(self.head), number=self.head.number + 1, base_fee_per_gas=self.next_base_fee())

    def _check_admission(self, state: State, env, tx: Transaction) -> None:
        check_transaction(state, env, tx, self.head.gas_limit)
        check_can_pay(state, tx)

    def _recheck_pool(self) -> None:
        """After a rewind: drop what the pool would now refuse (a nonce out of range, fees the sender cannot pay)."""
        state, env = self.state(), self.pending_env()
        for tx in list(self.pool.by_hash.values()):
            nonce = system.get_nonce(state, tx.sender)
            try:
                if not nonce <= tx.nonce < nonce + self.pool.limits.max_nonce_gap:
                    raise InvalidTransaction("NonceOutOfRange", f"nonce {tx.nonce}, account nonce is {nonce}")
                self._check_admission(state, env, tx)
            except InvalidTransaction:
                self.pool.remove(tx)

    # blocks
    def import_block(self, block: Block, transactions: list[Transaction] | None = None) -> BlockOutcome:
        """Check and apply a block on the head, then commit it; raises InvalidBlock."""
        if block.header.parent_hash != self.head.hash:
            raise InvalidBlock("block does not build on the head")
        try:
            outcome = apply_block(self.runtime, self.head_state, self.state_trie, self.head, block, transactions)
        except InvalidBlock:
            self.state_trie = Trie(self.db.nodes, self.head.state_root)
            raise
        self._commit(outcome)
        return outcome

    def receive_block(self, block: Block) -> str:
        """Take a block from a peer into the block tree and apply the fork-choice rule; returns a BlockStatus.

        Raises InvalidBlock when the block breaks a rule: executed blocks are checked in full,
        side blocks only for the author's seal until their branch is executed.
        """
        header = block.header
        if self.db.has_block(block.hash):
            return BlockStatus.KNOWN
        if block.hash in self._bad_blocks or header.parent_hash in self._bad_blocks:
            self._remember_bad(block.hash)
            raise InvalidBlock("the block is, or builds on, a block found invalid")
        parent = self.db.get_header(header.parent_hash)
        if parent is None:
            return BlockStatus.UNKNOWN_PARENT
        finalized = self.finalized
        if header.number <= finalized.number or not self.is_descendant(parent.hash, finalized.hash):
            return BlockStatus.STALE
        if parent.hash == self.head.hash:
            self.import_block(block)
            return BlockStatus.IMPORTED
        if header.number != parent.number + 1:
            raise InvalidBlock(f"number {header.number} does not follow {parent.number}")
        check_seal(header, self.chain_id)
        if header.author not in self._known_authors():
            raise InvalidBlock("author is not in the current or next authority set")
        self.db.put_side_block(block)
        if header.number > self.head.number and self.reorg_to(block.hash):
            return BlockStatus.REORG
        return BlockStatus.SIDE

    def _known_authors(self) -> set[bytes]:
        """Who may have authored a side block, as far as the head state knows (its epoch's set and the next)."""
        state = self.state()
        return {a for a, _ in consensus.Authorities.get(state)} | {a for a, _ in consensus.NextAuthorities.get(state)}

    def _remember_bad(self, block_hash: bytes) -> None:
        self._bad_blocks[block_hash] = None
        while len(self._bad_blocks) > MAX_BAD_BLOCKS:
            self._bad_blocks.popitem(last=False)

    def reorg_to(self, tip_hash: bytes) -> bool:
        """Make the branch ending at `tip_hash` canonical; False (chain unchanged) if it may not be
        (it leaves the finalized chain).

        The branch is executed block by block on the common ancestor's state; a block that
        fails is forgotten with its descendants, the old branch is re-applied and InvalidBlock
        is raised. The abandoned branch's transactions go back to the pool when still valid.
        """
        branch, header = [], self.db.get_header(tip_hash)
        while header is not None and not self.is_canonical(header):
            branch.append(header.hash)
            header = self.db.get_header(header.parent_hash)
        if header is None or header.number < self.finalized.number:
            return False
        ancestor = header
        retracted = [self.db.get_block(self.db.get_canonical_hash(n)) for n in range(ancestor.number + 1,
                                                                                    self.head.number + 1)]
        self._notify_retracted(retracted)
        try:
            self.rewind_to(ancestor.number, keep_blocks=True)
        except RewindError:
            return False
        enacted = []
        for block_hash in reversed(branch):
            try:
                enacted.append(self.import_block(self.db.get_block(block_hash)).block)
            except InvalidBlock as error:
                log.warning("branch block %s is invalid (%s); staying on the old chain", block_hash.hex()[:16], error)
                self._forget_branch(block_hash)
                self._notify_retracted(enacted)
                self.rewind_to(ancestor.number, keep_blocks=True)
                for block in retracted:
                    self.import_block(block)
                self._return_to_pool(enacted)
                raise InvalidBlock(f"branch block 0x{block_hash.hex()} is invalid: {error}") from None
        log.info("reorg: %d blocks retracted, %d enacted on #%d", len(retracted), len(branch), ancestor.number)
        self._return_to_pool(retracted)
        return True

    def _notify_retracted(self, blocks: list[Block]) -> None:
        for listener in self.retract_listeners:
            try:
                listener(blocks[::-1])
            except Exception:
                log.exception("retract listener failed")

    def _return_to_pool(self, blocks: list[Block]) -> None:
        """Give the pool back the transactions of blocks no longer canonical (those still valid)."""
        for block in blocks:
            for raw in block.transactions:
                try:
                    self.submit_transaction(raw)
                except InvalidTransaction:
                    pass

    def _forget_branch(self, block_hash: bytes) -> None:
        stack = [block_hash]
        while stack:
            current = stack.pop()
            self._remember_bad(current)
            stack.extend(self.db.get_children(current))
            self.db.delete_side_block(current)

    def recover_fork_choice(self) -> None:
        """After a restart: a crash between a reorg's rewind and its re-execution leaves the longer
        branch as side blocks; switch to it now (else nothing would, until a new block arrives)."""
        tip = self.get_best_descendant(self.finalized.hash)
        if self.db.get_header(tip).number > self.head.number:
            try:
                self.reorg_to(tip)
            except InvalidBlock as error:
                log.warning("the longest stored branch is invalid: %s", error)

    def get_best_descendant(self, block_hash: bytes) -> bytes:
        """The highest known block built on `block_hash` (itself if none; the first found on ties)."""
        best, best_number = block_hash, self.db.get_header(block_hash).number
        stack = [(block_hash, best_number)]
        while stack:
            current, number = stack.pop()
            if number > best_number:
                best, best_number = current, number
            stack.extend((child, number + 1) for child in self.db.get_children(current))
        return best

    def finalize(self, block_hash: bytes, justification: bytes) -> Header:
        """Make a known block final, switching to its branch first if it is not canonical.

        Raises ValueError when the block is unknown, not above the finalized block, not
        built on it, or its branch cannot be executed.
        """
        header, finalized = self.db.get_header(block_hash), self.finalized
        if header is None:
            raise ValueError(f"cannot finalize unknown block 0x{block_hash.hex()}")
        if header.number <= finalized.number or not self.is_descendant(block_hash, finalized.hash):
            raise ValueError(f"block #{header.number} does not extend the finalized block #{finalized.number}")
        for tip in (self.get_best_descendant(block_hash), block_hash):
            if self.is_canonical(header):
                break
            try:
                self.reorg_to(tip)
            except InvalidBlock as error:
                log.warning("cannot switch to the finalized branch through %s: %s", tip.hex()[:16], error)
        if not self.is_canonical(header):
            raise ValueError(f"the branch of block #{header.number} cannot be executed")
        self.db.set_finalized(block_hash, justification)
        self._finalized = header
        return header

    def import_blocks(self, blocks: list[Block]) -> list[BlockOutcome]:
        """Import a run of blocks in order; with sender recovery workers, block i+1 is decoded while block i runs."""
        if self.sender_recovery is None or not blocks:
            return [self.import_block(block) for block in blocks]
        outcomes = []
        pending = self.sender_recovery.submit(blocks[0].transactions)
        for index, block in enumerate(blocks):
            transactions = pending.result()
            if index + 1 < len(blocks):
                pending = self.sender_recovery.submit(blocks[index + 1].transactions)
            outcomes.append(self.import_block(block, transactions))
        return outcomes

    def author_block(self, timestamp: int | None = None, slot: int | None = None) -> BlockOutcome:
        """Build a block from the pool's ready transactions, seal it, commit it.

        Without `timestamp` the block takes the clock's (never below the parent's); without
        `slot`, the parent's slot + 1 (a single-authority dev chain).
        """
        state = self.state()
        candidates = self.pool.ready(lambda sender: system.get_nonce(state, sender))
        outcome, rejected = self._build(candidates, timestamp, slot)
        for tx, error in rejected:
            if error.reason != "GasLimitExceeded":
                self.pool.remove(tx)
        return self._seal_and_commit(outcome, timestamp is None)

    def author_block_of(self, transactions: list[Transaction]) -> BlockOutcome:
        """Seal a block of exactly `transactions`, leaving the pool be (the node's own calls on a dev chain).

        Raises the first refused transaction's InvalidTransaction and seals nothing.
        """
        outcome, rejected = self._build(transactions, None)
        if rejected:
            self.state_trie = Trie(self.db.nodes, self.head.state_root)
            raise rejected[0][1]
        return self._seal_and_commit(outcome, True)

    def _build(self, candidates, timestamp: int | None, slot: int | None = None):
        if self.authority_key is None:
            raise RuntimeError("this node has no authority key")
        parent = self.head
        if timestamp is None:
            timestamp = self.clock.next_timestamp(parent.timestamp)
        template = block_template(self.state(), parent, self.authority_key, timestamp,
                                  parent.slot + 1 if slot is None else slot)
        return build_block(self.runtime, self.head_state, self.state_trie, parent, template, candidates)

    def _seal_and_commit(self, outcome: BlockOutcome, clock_timed: bool) -> BlockOutcome:
        header = seal_header(outcome.block.header, self.authority_key, self.chain_id)
        outcome = replace(outcome, block=Block(header, outcome.block.transactions))
        if clock_timed:
            self.clock.sealed(header.timestamp)
        self._commit(outcome)
        return outcome

    def _commit(self, outcome: BlockOutcome) -> None:
        self.db.commit_block(outcome)
        self.head = outcome.block.header
        for applied in outcome.applied:
            self.pool.remove(applied.transaction)
        state = self.state()
        self.pool.prune(lambda sender: system.get_nonce(state, sender))
        for listener in self.block_listeners:
            try:
                listener(outcome)
            except Exception:
                log.exception("block listener failed")

    def rewind_to(self, number: int, keep_blocks: bool = False) -> Header:
        """Make canonical block `number` the head again (a snapshot's revert, or a reorg's first half
        with `keep_blocks`, which keeps the blocks taken off as side blocks).

        The database rewinds in one batch (RewindError, nothing changed, if it cannot); the
        state trie reopens at the new head's root and the pool drops what no longer applies.
        """
        self.head = self.db.rewind(number, keep_blocks)
        self.state_trie = Trie(self.db.nodes, self.head.state_root)
        self._recheck_pool()
        return self.head

    # dev snapshots
    def take_snapshot(self) -> int:
        """Remember the head and the clock; returns the id `revert_to_snapshot` takes."""
        snapshot_id = self._next_snapshot_id
        self._next_snapshot_id += 1
        self._snapshots[snapshot_id] = Snapshot(self.head.number, self.head.hash, self.clock.offset, self.clock.pinned)
        if len(self._snapshots) > MAX_SNAPSHOTS:
            del self._snapshots[min(self._snapshots)]
        return snapshot_id

    def revert_to_snapshot(self, snapshot_id: int) -> bool:
        """Rewind to a snapshot and restore its clock. The snapshot and every later one are used up
        (anvil's rule); False when the id is unknown or its block is no longer on the chain."""
        snapshot = self._snapshots.get(snapshot_id)
        for later in [i for i in self._snapshots if i >= snapshot_id]:
            del self._snapshots[later]
        if snapshot is None or self.db.get_canonical_hash(snapshot.number) != snapshot.block_hash:
            return False
        self.rewind_to(snapshot.number)
        self.clock.offset, self.clock.pinned = snapshot.offset, snapshot.pinned
        return True

    def balance_of(self, address: bytes, header: Header | None = None) -> int:
        state = self.state() if header is None else self.state_at(header)
        return balances.free_balance(state, address)


def check_seal(header: Header, chain_id: int) -> None:
    """What a side block is held to before its branch is executed: the author signed it for this chain."""
    if not is_sealed_by_author(header, chain_id):
        raise InvalidBlock("seal is not the author's signature over the header")
