"""The chain database on LevelDB (plyvel).

Layout (one key space, one-byte prefixes):

    h ++ block hash     → header RLP              n ++ number(8)  → canonical block hash
    b ++ block hash     → body: RLP list of raw transactions
    c ++ parent hash ++ child hash → empty: the block tree's edges (canonical and side blocks)
    j ++ block hash     → justification of a finalized block (runtime/finality.py)
    v ++ set(8) ++ round(8) ++ stage(1) → this node's own finality vote (the last VOTE_HISTORY rounds)
    R ++ set(8)         → the highest round this node signed a finality vote in
    l ++ set(8)         → this node's finality lock: RLP [round, block hash]
    r ++ block hash ++ index(4) → RLP [receipt, gas used, effective gas price, return data, revert data,
                          block-wide index of the receipt's first log] (one read per receipt)
    t ++ tx hash        → RLP [block hash, index, raw transaction]
    s ++ storage key    → value of the head state (flat, for fast reads and prefix scans)
    u ++ number(8)      → undo record of a canonical block: RLP list of [storage key, value
                          before the block] for every key the block changed (empty = absent)
    N ++ node hash      → Merkle Patricia trie node (state at every stored root)
    m ++ name           → metadata (head, finalized block, genesis hash, chain-spec fingerprint)

Everything a block brings lands in one LevelDB write batch, so a crash (even `kill -9`)
leaves the database at the previous block or at this one, never between.

`rewind(n)` takes the chain back to canonical block n (a dev snapshot's revert; a reorg's
first half): in one batch it takes every block above n off the canonical chain (receipts,
canonical number, transaction index entries, undo record — and, for a snapshot revert,
header and body too; a reorg keeps them as side blocks it may return to), restores the flat
state from the undo records, newest block first, and moves the head. So a crash during a
rewind leaves the old chain or the new one. Trie nodes stay: they are content-addressed, and
the state at n is still their root. No rewind goes below the finalized block.

Side blocks (known, not canonical, not yet executed) keep only header, body and tree edge.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import plyvel
import rlp

from runtime.blocks import Block, Header, Receipt, encode_uint
from runtime.crypto import keccak256, rlp_encode
from runtime.executive import BlockOutcome
from runtime.finality import SignedVote
from runtime.trie import Trie

from .finality import Lock

HEAD, GENESIS, SPEC, FINALIZED = b"mhead", b"mgenesis", b"mspec", b"mfinal"


@dataclass(frozen=True)
class StoredReceipt:
    """A receipt plus what the RPC reports beside it."""

    block_hash: bytes
    index: int
    receipt: Receipt
    gas_used: int
    effective_gas_price: int
    return_data: bytes
    revert_data: bytes
    first_log_index: int

    @classmethod
    def decode(cls, block_hash: bytes, index: int, data: bytes) -> "StoredReceipt":
        receipt, gas, price, returned, reverted, first_log = rlp.decode(data)
        return cls(block_hash, index, Receipt.decode(receipt), int.from_bytes(gas, "big"), int.from_bytes(price, "big"),
                   returned, reverted, int.from_bytes(first_log, "big"))


@dataclass(frozen=True)
class StoredTransaction:
    block_hash: bytes
    index: int
    raw: bytes


class DataDirError(Exception):
    """The data dir cannot be opened (in use by another node, unreadable, corrupt)."""


class RewindError(Exception):
    """The chain cannot be rewound to that block (not at or below the head, or undo records missing)."""


def _number_key(number: int) -> bytes:
    return number.to_bytes(8, "big")


MAX_OPEN_FILES = 128
"""LevelDB table files kept open. Each open table is mapped into memory to be read, and its pages count in
the node's resident memory, so this bounds that memory as the database grows (bench/memory.py: with
LevelDB's default of 1,000, RSS grew with history to ~1.4 GiB at 1,000,000 transfers)."""


class ChainDB:
    def __init__(self, path: str | Path):
        try:
            Path(path).mkdir(parents=True, exist_ok=True)
            self.db = plyvel.DB(str(path), create_if_missing=True, max_open_files=MAX_OPEN_FILES)
        except plyvel.IOError as error:
            raise DataDirError(f"cannot open data dir {path}: {error} (is another node using it?)") from None
        except (plyvel.CorruptionError, OSError) as error:
            raise DataDirError(f"cannot open data dir {path}: {error}") from None
        self.nodes = NodeStore(self.db)

    def close(self) -> None:
        """Close LevelDB and drop every reference to its handle, so it is freed now: a handle left for
        interpreter teardown (the RPC server's objects can outlive the node in aiohttp's caches)
        makes plyvel's destructor fail there, printing a bare "Error in sys.excepthook"."""
        self.db.close()
        self.db = self.nodes.db = None

    # blocks
    def get_head_hash(self) -> bytes | None:
        return self.db.get(HEAD)

    def get_genesis_hash(self) -> bytes | None:
        return self.db.get(GENESIS)

    def get_spec_fingerprint(self) -> bytes | None:
        return self.db.get(SPEC)

    def get_finalized_hash(self) -> bytes | None:
        """The last finalized block (genesis until something is finalized)."""
        return self.db.get(FINALIZED) or self.get_genesis_hash()

    def get_justification(self, block_hash: bytes) -> bytes | None:
        return self.db.get(b"j" + block_hash)

    def get_children(self, block_hash: bytes) -> list[bytes]:
        prefix = b"c" + block_hash
        return [key[len(prefix):] for key in self.db.iterator(prefix=prefix, include_value=False)]

    def has_block(self, block_hash: bytes) -> bool:
        return self.db.get(b"h" + block_hash) is not None

    def get_header(self, block_hash: bytes) -> Header | None:
        data = self.db.get(b"h" + block_hash)
        return Header.decode(data) if data else None

    def get_canonical_hash(self, number: int) -> bytes | None:
        if not 0 <= number < 2**64:
            return None
        return self.db.get(b"n" + _number_key(number))

    def get_block(self, block_hash: bytes) -> Block | None:
        header = self.get_header(block_hash)
        if header is None:
            return None
        return Block(header, tuple(rlp.decode(self.db.get(b"b" + block_hash))))

    def get_receipts(self, block_hash: bytes) -> list[StoredReceipt]:
        prefix = b"r" + block_hash
        return [StoredReceipt.decode(block_hash, int.from_bytes(key[-4:], "big"), data)
                for key, data in self.db.iterator(prefix=prefix)]

    def get_receipt(self, block_hash: bytes, index: int) -> StoredReceipt | None:
        data = self.db.get(b"r" + block_hash + index.to_bytes(4, "big"))
        return None if data is None else StoredReceipt.decode(block_hash, index, data)

    def get_transaction(self, tx_hash: bytes) -> StoredTransaction | None:
        data = self.db.get(b"t" + tx_hash)
        if data is None:
            return None
        block_hash, index, raw = rlp.decode(data)
        return StoredTransaction(block_hash, int.from_bytes(index, "big"), raw)

    def get_transaction_location(self, tx_hash: bytes) -> tuple[bytes, int] | None:
        stored = self.get_transaction(tx_hash)
        return None if stored is None else (stored.block_hash, stored.index)

    # state
    def get_state(self, key: bytes) -> bytes | None:
        return self.db.get(b"s" + key)

    def iter_state(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for key, value in self.db.iterator(prefix=b"s" + prefix):
            yield key[1:], value

    def snapshot_state(self) -> "SnapshotState":
        """The head state as it is now, unmoved by later commits and rewinds (a LevelDB snapshot)."""
        return SnapshotState(self.db.snapshot())

    # writing
    def write_genesis(self, header: Header, state: dict[bytes, bytes], nodes: dict[bytes, bytes],
                      spec_fingerprint: bytes) -> None:
        """Genesis can be large: compact it into tables so later opens need not replay it from the log."""
        block_hash = header.hash
        with self.db.write_batch(transaction=True, sync=True) as batch:
            for key, value in state.items():
                batch.put(b"s" + key, value)
            for node_hash, node in nodes.items():
                batch.put(b"N" + node_hash, node)
            self._put_block(batch, Block(header, ()), [])
            batch.put(GENESIS, block_hash)
            batch.put(SPEC, spec_fingerprint)
            batch.put(HEAD, block_hash)
        self.db.compact_range()

    def commit_block(self, outcome: BlockOutcome) -> None:
        """One atomic, synced batch: block, receipts, indexes, state writes and their undo record, trie nodes, head."""
        get = self.db.get
        undo = []
        with self.db.write_batch(transaction=True, sync=True) as batch:
            for key, value in outcome.changes.items():
                undo.append([key, get(b"s" + key) or b""])
                if value is None:
                    batch.delete(b"s" + key)
                else:
                    batch.put(b"s" + key, value)
            for node_hash, node in outcome.trie_nodes.items():
                batch.put(b"N" + node_hash, node)
            self._put_block(batch, outcome.block, outcome.applied)
            batch.put(b"u" + _number_key(outcome.block.header.number), rlp_encode(undo))
            batch.put(HEAD, outcome.block.hash)

    def put_side_block(self, block: Block) -> None:
        """Keep a block that is not (yet) on the canonical chain: header, body, tree edge."""
        block_hash = block.hash
        with self.db.write_batch(transaction=True, sync=True) as batch:
            batch.put(b"h" + block_hash, block.header.encode())
            batch.put(b"b" + block_hash, rlp_encode(list(block.transactions)))
            batch.put(b"c" + block.header.parent_hash + block_hash, b"")

    def delete_side_block(self, block_hash: bytes) -> None:
        """Forget a side block (found invalid when executed); canonical blocks are never deleted this way."""
        header = self.get_header(block_hash)
        if header is None or self.get_canonical_hash(header.number) == block_hash:
            return
        with self.db.write_batch(transaction=True, sync=True) as batch:
            for key in (b"h" + block_hash, b"b" + block_hash, b"c" + header.parent_hash + block_hash):
                batch.delete(key)

    def set_finalized(self, block_hash: bytes, justification: bytes) -> None:
        """Record a canonical block as final with the justification that proves it."""
        with self.db.write_batch(transaction=True, sync=True) as batch:
            batch.put(b"j" + block_hash, justification)
            batch.put(FINALIZED, block_hash)

    def rewind(self, to_number: int, keep_blocks: bool = False) -> Header:
        """Make canonical block `to_number` the head again, in one atomic, synced batch; returns its header.

        With `keep_blocks` the blocks taken off stay as side blocks (a reorg may come back to
        them); without, they are forgotten (a snapshot revert). Raises RewindError, writing
        nothing, when the block is above the head or below the finalized block, or a block to
        remove has no undo record.
        """
        head = self.get_header(self.get_head_hash())
        if not 0 <= to_number <= head.number:
            raise RewindError(f"cannot rewind to block {to_number}: the head is block {head.number}")
        finalized = self.get_header(self.get_finalized_hash())
        if to_number < finalized.number:
            raise RewindError(f"cannot rewind to block {to_number}: block {finalized.number} is final")
        restored: dict[bytes, bytes] = {}
        with self.db.write_batch(transaction=True, sync=True) as batch:
            for number in range(head.number, to_number, -1):
                number_key = _number_key(number)
                block_hash = self.get_canonical_hash(number)
                undo = self.db.get(b"u" + number_key)
                if undo is None:
                    raise RewindError(f"block {number} has no undo record")
                for key, previous in rlp.decode(undo):
                    restored[key] = previous
                for index, raw in enumerate(rlp.decode(self.db.get(b"b" + block_hash))):
                    batch.delete(b"t" + keccak256(raw))
                    batch.delete(b"r" + block_hash + index.to_bytes(4, "big"))
                batch.delete(b"n" + number_key)
                batch.delete(b"u" + number_key)
                if not keep_blocks:
                    parent_hash = self.get_header(block_hash).parent_hash
                    for key in (b"h" + block_hash, b"b" + block_hash, b"c" + parent_hash + block_hash):
                        batch.delete(key)
            for key, previous in restored.items():
                if previous:
                    batch.put(b"s" + key, previous)
                else:
                    batch.delete(b"s" + key)
            target_hash = self.get_canonical_hash(to_number)
            batch.put(HEAD, target_hash)
        return self.get_header(target_hash)

    def _put_block(self, batch, block: Block, applied) -> None:
        block_hash = block.hash
        batch.put(b"h" + block_hash, block.header.encode())
        batch.put(b"b" + block_hash, rlp_encode(list(block.transactions)))
        batch.put(b"n" + _number_key(block.header.number), block_hash)
        if block.header.number > 0:
            batch.put(b"c" + block.header.parent_hash + block_hash, b"")
        first_log = 0
        for index, item in enumerate(applied):
            batch.put(b"t" + item.transaction.hash, rlp_encode([block_hash, encode_uint(index), item.transaction.raw]))
            batch.put(b"r" + block_hash + index.to_bytes(4, "big"), rlp_encode([
                item.receipt.encode(), encode_uint(item.gas_used), encode_uint(item.effective_gas_price),
                item.return_data, item.revert_data, encode_uint(first_log)]))
            first_log += len(item.receipt.logs)


VOTE_HISTORY = 1_000
"""Rounds of this node's own votes kept: more than any round a restarted voter re-enters."""


class VoteJournalDB:
    """The finality voter's journal (chain/finality.py VoteJournal) in the chain database: each vote and
    lock is written (synced) before the vote is sent, so a crash cannot lead to a second, different vote."""

    def __init__(self, chain_db: ChainDB):
        self.chain_db = chain_db

    @property
    def db(self):
        return self.chain_db.db

    @staticmethod
    def _vote_key(set_id: int, round_: int, stage: int) -> bytes:
        return b"v" + _number_key(set_id) + _number_key(round_) + bytes((stage,))

    def get_vote(self, set_id: int, round_: int, stage: int):
        data = self.db.get(self._vote_key(set_id, round_, stage))
        return None if data is None else SignedVote.decode(data)

    def get_last_round(self, set_id: int) -> int:
        data = self.db.get(b"R" + _number_key(set_id))
        return 0 if data is None else int.from_bytes(data, "big")

    def put_vote(self, vote) -> None:
        """Old votes are pruned: the voter never signs below its last round, so they are not needed."""
        with self.db.write_batch(transaction=True, sync=True) as batch:
            batch.put(self._vote_key(vote.set_id, vote.round, vote.stage), vote.encode())
            if vote.round > self.get_last_round(vote.set_id):
                batch.put(b"R" + _number_key(vote.set_id), _number_key(vote.round))
            if vote.round > VOTE_HISTORY:
                for stage in (0, 1):
                    batch.delete(self._vote_key(vote.set_id, vote.round - VOTE_HISTORY, stage))

    def get_lock(self, set_id: int):
        data = self.db.get(b"l" + _number_key(set_id))
        if data is None:
            return None
        round_, block_hash = rlp.decode(data)
        return Lock(int.from_bytes(round_, "big"), block_hash)

    def put_lock(self, set_id: int, lock) -> None:
        self.db.put(b"l" + _number_key(set_id), rlp_encode([encode_uint(lock.round), lock.block_hash]), sync=True)


class NodeStore:
    """Trie nodes by hash, read from LevelDB (whose block cache keeps hot nodes)."""

    def __init__(self, db):
        self.db = db

    def get(self, node_hash: bytes) -> bytes | None:
        return self.db.get(b"N" + node_hash)


class HeadState:
    """The head state as a StateBackend, read from the flat key space."""

    def __init__(self, db: ChainDB):
        self.db = db

    def get(self, key: bytes) -> bytes | None:
        return self.db.get_state(key)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        return self.db.iter_state(prefix)


class SnapshotState:
    """The flat state as one LevelDB snapshot saw it: what a block built off the event loop reads, so
    that a block committed or a rewind done meanwhile cannot change its state halfway."""

    def __init__(self, snapshot):
        self.snapshot = snapshot

    def get(self, key: bytes) -> bytes | None:
        return self.snapshot.get(b"s" + key)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for key, value in self.snapshot.iterator(prefix=b"s" + prefix):
            yield key[1:], value

    def close(self) -> None:
        self.snapshot.close()


class HistoricalState:
    """The state at any stored root, read through the trie (no prefix scans: keys are hashed)."""

    def __init__(self, db: ChainDB, state_root: bytes):
        self.trie = Trie(db.nodes, state_root)

    def get(self, key: bytes) -> bytes | None:
        return self.trie.get(keccak256(key))

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        raise NotImplementedError("prefix iteration needs the head state: trie keys are hashed")
