"""The block tree: the canonical chain and its side branches in the database, and the one place
blocks are executed and committed.

A block on the head is executed at once (`import_block`); a block on another branch is kept as
a side block, and when its branch becomes longer than the canonical chain (the fork-choice rule:
the longest chain that contains the finalized block) `reorg_to` rewinds to the common ancestor
and executes the branch. Nothing at or below the finalized block is ever reverted
(spec/fork_choice.md). Every commit is one database batch (`commit`), every rewind one more.

What others need to hear about goes out through listener lists, so the tree knows nothing of the
pool, the RPC or the network: `block_listeners` after each commit, `retract_listeners` before a
reorg takes blocks off the chain, `abandon_listeners` with the blocks a reorg left behind (their
transactions may go back to a pool), `rewind_listeners` after any rewind (a reorg's, once it is
complete: the pool is rechecked against the new head, not the common ancestor).
"""

import logging
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from genesis.builder import ChainSpecError, build_genesis, compute_genesis_spec_version, compute_spec_fingerprint
from runtime.api import RuntimeApi
from runtime.blocks import Block, Header, is_sealed_by_author
from runtime.crypto import keccak256
from runtime.exceptions import InvalidBlock
from runtime.executive import BlockOutcome
from runtime.state import State
from runtime.transactions import Transaction
from runtime.trie import Trie
from runtime.versions import RuntimeVersions, UnknownRuntimeVersion

from .db import ChainDB, HeadState, HistoricalState, RewindError, StoredReceipt
from .senders import SenderRecovery

log = logging.getLogger("flockchain.tree")

MAX_BAD_BLOCKS = 4_096


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


def open_chain_db(versions: RuntimeVersions, spec: dict, data_dir: str | Path) -> ChainDB:
    """The data dir's database, with this spec's genesis written on first use; another chain's is refused."""
    db = ChainDB(data_dir)
    fingerprint = compute_spec_fingerprint(spec)
    if db.get_genesis_hash() is None:
        genesis = build_genesis(spec, versions.get(compute_genesis_spec_version(spec)))
        db.write_genesis(genesis.header, genesis.state, genesis.trie_nodes, fingerprint)
    elif db.get_spec_fingerprint() != fingerprint:
        db.close()
        raise ChainSpecError(f"data dir {data_dir} holds another chain (its genesis differs from this chain spec's)")
    return db


class BlockTree:
    def __init__(self, api: RuntimeApi, db: ChainDB, recovery_workers: int = 0, instant_finality: bool = False):
        self.api = api
        self.db = db
        self.genesis_hash = db.get_genesis_hash()
        self.head: Header = db.get_header(db.get_head_hash())
        self.state_trie = Trie(db.nodes, self.head.state_root)
        self.head_state = HeadState(db)
        self.chain_id = api.chain_id(State(self.head_state))
        self.sender_recovery = SenderRecovery(recovery_workers) if recovery_workers else None
        self.instant_finality = instant_finality
        """A dev chain's single authority: each sealed block is final at once (and snapshots may still revert)."""
        self._finalized: Header = db.get_header(db.get_finalized_hash())
        """Read on every block received and in sync loops: kept here, written through by `finalize`."""
        self._bad_blocks: OrderedDict[bytes, None] = OrderedDict()
        """Blocks found invalid when executed (bounded): they and their descendants are refused at once."""
        self.block_listeners: list[Callable[[BlockOutcome], None]] = []
        self.retract_listeners: list[Callable[[list[Block]], None]] = []
        """Called with the blocks a reorg is about to take off the canonical chain (newest first), while
        their receipts are still stored (RPC sends their logs again with `removed: true`)."""
        self.abandon_listeners: list[Callable[[list[Block]], None]] = []
        self.rewind_listeners: list[Callable[[], None]] = []
        self.halted: UnknownRuntimeVersion | None = None
        """Set when a block needs a runtime version this node does not ship: nothing more is imported."""
        self.halt_listeners: list[Callable[[UnknownRuntimeVersion], None]] = []

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

    # writing
    def commit(self, outcome: BlockOutcome, trie: Trie | None = None) -> None:
        """Write an executed block on the head in one batch and tell the listeners. `trie`: the one a
        detached build (`detach_trie`) moved to the block's state root, which becomes the head's again."""
        self.db.commit_block(outcome)
        self.head = outcome.block.header
        if trie is not None:
            self.state_trie = trie
        for listener in self.block_listeners:
            try:
                listener(outcome)
            except Exception:
                log.exception("block listener failed")

    def detach_trie(self) -> Trie:
        """Hand the head's trie (its cached nodes warm) to a block built off the event loop; the tree keeps a
        fresh one at the same root for whatever runs on the loop meanwhile (a trie has one writer)."""
        trie = self.state_trie
        self.reopen_trie()
        return trie

    def reopen_trie(self) -> None:
        """After a block that was built or executed but not committed, the trie goes back to the head's root."""
        self.state_trie = Trie(self.db.nodes, self.head.state_root)

    def import_block(self, block: Block, transactions: list[Transaction] | None = None) -> BlockOutcome:
        """Check and apply a block on the head, then commit it; raises InvalidBlock, and
        UnknownRuntimeVersion (halting the tree) when the block needs a runtime this node lacks."""
        if self.halted is not None:
            raise self.halted
        if block.header.parent_hash != self.head.hash:
            raise InvalidBlock("block does not build on the head")
        try:
            outcome = self.api.import_block(self.head_state, self.state_trie, self.head, block, transactions)
        except InvalidBlock:
            self.reopen_trie()
            raise
        except UnknownRuntimeVersion as error:
            self.reopen_trie()
            self.halt(error)
            raise
        self.commit(outcome)
        return outcome

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

    def receive_block(self, block: Block) -> str:
        """Take a block from a peer into the tree and apply the fork-choice rule; returns a BlockStatus.

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
        if header.author not in self.api.known_authors(self.state()):
            raise InvalidBlock("author is not in the current or next authority set")
        self.db.put_side_block(block)
        if header.number > self.head.number and self.reorg_to(block.hash):
            return BlockStatus.REORG
        return BlockStatus.SIDE

    def halt(self, error: UnknownRuntimeVersion) -> None:
        """Stop importing for good: the chain has moved to a runtime this node does not ship."""
        if self.halted is None:
            self.halted = error
            log.error("%s", error)
            self._notify(self.halt_listeners, error)

    def _remember_bad(self, block_hash: bytes) -> None:
        self._bad_blocks[block_hash] = None
        while len(self._bad_blocks) > MAX_BAD_BLOCKS:
            self._bad_blocks.popitem(last=False)

    def reorg_to(self, tip_hash: bytes) -> bool:
        """Make the branch ending at `tip_hash` canonical; False (chain unchanged) if it may not be
        (it leaves the finalized chain).

        The branch is executed block by block on the common ancestor's state; a block that
        fails is forgotten with its descendants, the old branch is re-applied and InvalidBlock
        is raised. The abandoned branch goes to `abandon_listeners`.
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
        self._notify(self.retract_listeners, retracted[::-1])
        try:
            self._rewind(ancestor.number, keep_blocks=True)
        except RewindError:
            return False
        enacted = []
        for block_hash in reversed(branch):
            try:
                enacted.append(self.import_block(self.db.get_block(block_hash)).block)
            except InvalidBlock as error:
                log.warning("branch block %s is invalid (%s); staying on the old chain", block_hash.hex()[:16], error)
                self._forget_branch(block_hash)
                self._notify(self.retract_listeners, enacted[::-1])
                self._rewind(ancestor.number, keep_blocks=True)
                for block in retracted:
                    self.import_block(block)
                self._notify(self.abandon_listeners, enacted)
                self._notify_rewound()
                raise InvalidBlock(f"branch block 0x{block_hash.hex()} is invalid: {error}") from None
        log.info("reorg: %d blocks retracted, %d enacted on #%d", len(retracted), len(branch), ancestor.number)
        self._notify(self.abandon_listeners, retracted)
        self._notify_rewound()
        return True

    def _notify(self, listeners: list[Callable], value) -> None:
        for listener in listeners:
            try:
                listener(value)
            except Exception:
                log.exception("block tree listener failed")

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

    def rewind_to(self, number: int, keep_blocks: bool = False) -> Header:
        """Make canonical block `number` the head again (a snapshot's revert, or a reorg's first half
        with `keep_blocks`, which keeps the blocks taken off as side blocks).

        The database rewinds in one batch (RewindError, nothing changed, if it cannot); the
        state trie reopens at the new head's root.
        """
        self._rewind(number, keep_blocks)
        self._notify_rewound()
        return self.head

    def _rewind(self, number: int, keep_blocks: bool) -> None:
        self.head = self.db.rewind(number, keep_blocks)
        self.reopen_trie()

    def _notify_rewound(self) -> None:
        for listener in self.rewind_listeners:
            try:
                listener()
            except Exception:
                log.exception("rewind listener failed")


def check_seal(header: Header, chain_id: int) -> None:
    """What a side block is held to before its branch is executed: the author signed it for this chain."""
    if not is_sealed_by_author(header, chain_id):
        raise InvalidBlock("seal is not the author's signature over the header")
