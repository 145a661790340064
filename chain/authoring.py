"""Block authoring: building, sealing and committing a block with the node's key (`BlockBuilder`,
used by slot authoring in chain/babe.py and by dev chains), the clock that times authored blocks,
and a dev chain's sealing loop (`DevAuthor`: instant seal, or a fixed interval)."""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from runtime.api import RuntimeApi
from runtime.blocks import Block
from runtime.crypto import private_key_to_address
from runtime.exceptions import GasLimitExceeded
from runtime.executive import BlockOutcome
from runtime.transactions import Transaction
from runtime.versions import UnknownRuntimeVersion

from .block_tree import BlockTree
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

    def author_block(self, timestamp: int | None = None, slot: int | None = None) -> BlockOutcome:
        """Build a block from the pool's ready transactions, seal it, commit it.

        Without `timestamp` the block takes the clock's (never below the parent's); without
        `slot`, the parent's slot + 1 (a single-authority dev chain). A transaction the block
        refuses leaves the pool, unless it only did not fit this block's gas.
        """
        state = self.tree.state()
        candidates = self.pool.ready(lambda sender: self.api.account_nonce(state, sender))
        outcome, rejected = self._build(candidates, timestamp, slot)
        for tx, error in rejected:
            if not isinstance(error, GasLimitExceeded):
                self.pool.remove(tx)
        return self._seal_and_commit(outcome, timestamp is None)

    def author_block_of(self, transactions: list[Transaction]) -> BlockOutcome:
        """Seal a block of exactly `transactions`, leaving the pool be (the node's own calls on a dev chain).

        Raises the first refused transaction's InvalidTransaction and seals nothing.
        """
        outcome, rejected = self._build(transactions, None)
        if rejected:
            self.tree.reopen_trie()
            raise rejected[0][1]
        return self._seal_and_commit(outcome, True)

    def _build(self, candidates, timestamp: int | None, slot: int | None = None):
        parent = self.tree.head
        if timestamp is None:
            timestamp = self.clock.next_timestamp(parent.timestamp)
        template = self.api.block_template(self.tree.state(), parent, self.authority_key, timestamp,
                                           parent.slot + 1 if slot is None else slot)
        try:
            return self.api.build_block(self.tree.head_state, self.tree.state_trie, parent, template, candidates)
        except UnknownRuntimeVersion as error:
            self.tree.halt(error)
            raise

    def _seal_and_commit(self, outcome: BlockOutcome, clock_timed: bool) -> BlockOutcome:
        header = self.api.seal_header(outcome.block.header, self.authority_key, self.tree.chain_id)
        outcome = replace(outcome, block=Block(header, outcome.block.transactions))
        if clock_timed:
            self.clock.sealed(header.timestamp)
        self.tree.commit(outcome)
        return outcome


class DevAuthor:
    """Seals blocks for a single-authority dev chain.

    Instant seal waits one event-loop turn after the pool says a transaction is ready, so every
    transaction of one JSON-RPC batch lands in the same block (as anvil's automine does per
    request). With `block_time`, a block (possibly empty) is sealed every interval.
    `on_block` hears of every block the node commits, including those a devnet control seals.
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
            self.seal()
            return
        await self._wake.wait()
        await asyncio.sleep(0)
        self._wake.clear()
        while self._has_ready():
            if not self.seal().applied:
                break
            await asyncio.sleep(0)

    def _has_ready(self) -> bool:
        state, api = self.builder.tree.state(), self.builder.api
        return bool(self.builder.pool.ready(lambda sender: api.account_nonce(state, sender)))

    def seal(self) -> BlockOutcome:
        return self.builder.author_block()


def log_block(outcome: BlockOutcome) -> None:
    header = outcome.block.header
    log.info("sealed block #%d %s with %d transactions", header.number, header.hash.hex()[:16], len(outcome.applied))
