"""Block authoring: building, sealing and committing a block with the node's key (`BlockBuilder`,
used by slot authoring in chain/babe.py and by dev chains), the clock that times authored blocks,
and a dev chain's sealing loop (`DevAuthor`: instant seal, or a fixed interval)."""

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from runtime.api import RuntimeApi
from runtime.blocks import Block, Header
from runtime.crypto import private_key_to_address
from runtime.exceptions import GasLimitExceeded
from runtime.executive import BlockOutcome
from runtime.state import State
from runtime.transactions import Transaction
from runtime.trie import Trie
from runtime.versions import UnknownRuntimeVersion

from .block_tree import BlockTree
from .db import SnapshotState
from .pool import TransactionPool

log = logging.getLogger("flockchain.authoring")

MAX_TIMESTAMP = 2**64 - 1


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


OFF_LOOP_CANDIDATES = 500
"""Blocks of fewer candidates are built on the event loop: a few hundred transfers build in tens of
milliseconds, less than the hop to the builder thread costs once it shares the interpreter lock with the
loop (instant sealing of 100-transaction batches ran ~30% slower off the loop, bench/rpc_throughput.py)."""


@dataclass(frozen=True)
class BlockPlan:
    """What a block built off the event loop is built from, fixed on the loop when the build starts."""

    parent: Header
    state: SnapshotState
    """The parent's state as a LevelDB snapshot: later commits and rewinds do not reach it."""
    trie: Trie
    """The head's state trie, the build's alone until it commits (the tree holds a fresh one meanwhile)."""
    candidates: list[Transaction]
    timestamp: int
    slot: int
    pinned: int | None
    """The clock's pinned timestamp the block took, if any (a pin set during the build is for the next)."""


class BlockBuilder:
    """Builds blocks on the head from the pool (or from given transactions), seals them with the
    authority key and commits them to the tree."""

    def __init__(self, api: RuntimeApi, tree: BlockTree, pool: TransactionPool, authority_key: bytes,
                 clock: BlockClock):
        self.api = api
        self.tree = tree
        self.pool = pool
        self.authority_key = authority_key
        self.authority = private_key_to_address(authority_key)
        self.clock = clock
        self._builds = ThreadPoolExecutor(max_workers=1, thread_name_prefix="block-builder")

    def close(self) -> None:
        """Let a build in flight end before the database closes under it."""
        self._builds.shutdown(wait=True)

    def author_block(self, timestamp: int | None = None, slot: int | None = None) -> BlockOutcome:
        """Build a block from the pool's ready transactions, seal it, commit it, all now on the caller's thread.

        Without `timestamp` the block takes the clock's (never below the parent's); without
        `slot`, the parent's slot + 1 (a single-authority dev chain). A transaction the block
        refuses leaves the pool, unless it only did not fit this block's gas or it is an unsigned call the pool
        found valid for a later block (`TransactionPool.is_held_for_later`).
        """
        plan = self.plan_block(timestamp, slot)
        return self.commit_planned(plan, *self._build_here(plan))

    async def author_block_off_loop(self, timestamp: int | None = None, slot: int | None = None
                                    ) -> BlockOutcome | None:
        """`author_block`, with a block of OFF_LOOP_CANDIDATES or more candidates built on the builder thread
        while the event loop goes on; None when the head moved meanwhile (a block imported from a peer, a
        devnet control): nothing is sealed and the transactions stay pooled."""
        plan = self.plan_block(timestamp, slot)
        if len(plan.candidates) < OFF_LOOP_CANDIDATES:
            return self.commit_planned(plan, *self._build_here(plan))
        try:
            outcome, rejected = await asyncio.get_running_loop().run_in_executor(self._builds, self.build_planned, plan)
        except UnknownRuntimeVersion as error:
            self.tree.halt(error)
            raise
        return self.commit_planned(plan, outcome, rejected)

    def author_block_of(self, transactions: list[Transaction]) -> BlockOutcome:
        """Seal a block of exactly `transactions`, leaving the pool be (the node's own calls on a dev chain).

        Raises the first refused transaction's InvalidTransaction and seals nothing.
        """
        plan = self.plan_block(candidates=list(transactions))
        outcome, rejected = self._build_here(plan)
        if rejected:
            raise rejected[0][1]
        return self.commit_planned(plan, outcome, rejected)

    def plan_block(self, timestamp: int | None = None, slot: int | None = None,
                   candidates: list[Transaction] | None = None) -> BlockPlan:
        """On the event loop: fix what the next block is built from (the head, a snapshot of its state, the
        candidates — the pool's ready transactions unless given —, the timestamp — the clock's without
        `timestamp` — and the slot — the parent's + 1 without `slot`) and hand the head's trie to the build."""
        parent = self.tree.head
        if candidates is None:
            state = self.tree.state()
            candidates = self.pool.ready(lambda sender: self.api.account_nonce(state, sender))
        clock_timed = timestamp is None
        return BlockPlan(parent, self.tree.db.snapshot_state(), self.tree.detach_trie(), candidates,
                         self.clock.next_timestamp(parent.timestamp) if clock_timed else timestamp,
                         parent.slot + 1 if slot is None else slot, self.clock.pinned if clock_timed else None)

    def build_planned(self, plan: BlockPlan) -> tuple[BlockOutcome, list]:
        """On any thread: build and seal the planned block from the plan's snapshot alone, so the event loop
        keeps answering (and the pool keeps admitting) meanwhile. Returns (outcome, refused transactions)."""
        try:
            template = self.api.block_template(State(plan.state), plan.parent, self.authority_key, plan.timestamp,
                                               plan.slot)
            outcome, rejected = self.api.build_block(plan.state, plan.trie, plan.parent, template, plan.candidates)
        finally:
            plan.state.close()
        header = self.api.seal_header(outcome.block.header, self.authority_key, self.tree.chain_id)
        return replace(outcome, block=Block(header, outcome.block.transactions)), rejected

    def commit_planned(self, plan: BlockPlan, outcome: BlockOutcome, rejected: list) -> BlockOutcome | None:
        """On the event loop: commit a block `build_planned` built, unless the head moved meanwhile (a devnet
        control sealed or rewound): then None, and its transactions stay in the pool for the next block."""
        if self.tree.head.hash != plan.parent.hash:
            return None
        number = outcome.block.header.number
        for tx, error in rejected:
            if not (isinstance(error, GasLimitExceeded) or self.pool.is_held_for_later(tx, number)):
                self.pool.remove(tx)
        if plan.pinned is not None and self.clock.pinned == plan.pinned:
            self.clock.sealed(outcome.block.header.timestamp)
        self.tree.commit(outcome, plan.trie)
        return outcome

    def _build_here(self, plan: BlockPlan) -> tuple[BlockOutcome, list]:
        """build_planned on this thread; a block that needs a runtime this node lacks halts the tree."""
        try:
            return self.build_planned(plan)
        except UnknownRuntimeVersion as error:
            self.tree.halt(error)
            raise


class DevAuthor:
    """Seals blocks for a single-authority dev chain.

    Instant seal waits one event-loop turn after the pool says a transaction is ready, so every
    transaction of one JSON-RPC batch lands in the same block (as anvil's automine does per
    request). With `block_time`, a block (possibly empty) is sealed every interval.
    `on_block` hears of every block the node commits, including those a devnet control seals.

    A block of OFF_LOOP_CANDIDATES or more candidates is built on the builder's thread
    (`BlockBuilder.author_block_off_loop`, from a snapshot of the head), so the RPC keeps answering
    and admitting while it is built; only its commit runs on the event loop.
    """

    def __init__(self, builder: BlockBuilder, block_time: float | None = None, on_block=None):
        self.builder = builder
        self.block_time = block_time
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._next_seal: float | None = None
        """Deadlines advance by block_time from the first, so sealing time does not stretch the interval."""
        builder.pool.ready_listeners.append(self.notify)
        builder.tree.block_listeners.append(log_block)
        if on_block:
            builder.tree.block_listeners.append(on_block)

    def notify(self) -> None:
        """A transaction in the pool became ready."""
        if self.block_time is None:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, UnknownRuntimeVersion):
                pass

    async def _run(self) -> None:
        """Seal forever; a failure to seal one block is logged and the next attempt goes on."""
        while True:
            try:
                await self._step()
            except (asyncio.CancelledError, UnknownRuntimeVersion):
                raise
            except Exception:
                log.exception("sealing failed; retrying")
                await asyncio.sleep(1)

    async def _step(self) -> None:
        if self.block_time is not None:
            loop = asyncio.get_running_loop()
            if self._next_seal is None:
                self._next_seal = loop.time() + self.block_time
            await asyncio.sleep(max(0.0, self._next_seal - loop.time()))
            self._next_seal = max(self._next_seal + self.block_time, loop.time())
            await self.builder.author_block_off_loop()
            return
        await self._wake.wait()
        await asyncio.sleep(0)
        self._wake.clear()
        while self._has_ready():
            outcome = await self.builder.author_block_off_loop()
            if outcome is not None and not outcome.applied:
                break
            await asyncio.sleep(0)

    def _has_ready(self) -> bool:
        state, api = self.builder.tree.state(), self.builder.api
        return bool(self.builder.pool.ready(lambda sender: api.account_nonce(state, sender)))

    def seal(self) -> BlockOutcome:
        """Seal a block now, on the caller's thread."""
        return self.builder.author_block()


def log_block(outcome: BlockOutcome) -> None:
    header = outcome.block.header
    log.info("sealed block #%d %s with %d transactions", header.number, header.hash.hex()[:16], len(outcome.applied))
