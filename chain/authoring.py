"""Dev-chain block authoring: instant seal (a block as soon as transactions arrive) or a fixed interval."""

import asyncio
import logging

from .node import Node

log = logging.getLogger("flockchain.authoring")


class DevAuthor:
    """Seals blocks for a single-authority dev chain.

    Instant seal waits one event-loop turn after the first new transaction, so every
    transaction of one JSON-RPC batch lands in the same block (as anvil's automine does
    per request). With `block_time`, a block (possibly empty) is sealed every interval.
    """

    def __init__(self, node: Node, block_time: float | None = None, on_block=None):
        self.node = node
        self.block_time = block_time
        self.on_block = on_block
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def notify(self) -> None:
        """A transaction entered the pool."""
        if self.block_time is None:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        """Seal forever; a failure to seal one block is logged and the next attempt goes on."""
        while True:
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sealing failed; retrying")
                await asyncio.sleep(1)

    async def _step(self) -> None:
        if self.block_time is not None:
            await asyncio.sleep(self.block_time)
            self.seal()
            return
        await self._wake.wait()
        await asyncio.sleep(0)
        self._wake.clear()
        while self.node.pool.ready(self.node.get_nonce):
            if not self.seal().applied:
                break
            await asyncio.sleep(0)

    def seal(self):
        outcome = self.node.author_block()
        header = outcome.block.header
        log.info("sealed block #%d %s with %d transactions", header.number, header.hash.hex()[:16], len(outcome.applied))
        if self.on_block:
            self.on_block(outcome)
        return outcome
