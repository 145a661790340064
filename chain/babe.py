"""BABE-style slot authoring for a networked validator.

Time is cut into slots of the chain's `SlotDuration` since the Unix epoch. At the start of
each slot the validator asks the runtime whether its key may author it
(`consensus.compute_slot_claim`: a primary claim when its VRF output is under the
threshold for its stake, else the slot's secondary author) and, if so, builds a block on
its best head with the slot's timestamp (a large block on the builder's thread, while the node
goes on answering peers and RPC). What makes a block valid is the runtime's rule
(spec/modules/consensus.md); this file only decides when to try.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from runtime.blocks import Block
from runtime.versions import UnknownRuntimeVersion

from .node import Node

log = logging.getLogger("flockchain.babe")

EQUIVOCATION_EXTRA_DATA = b"equivocation"


@dataclass(frozen=True)
class SlotClock:
    slot_duration_ms: int
    now: Callable[[], float] = time.time

    def current_slot(self) -> int:
        return int(self.now() * 1000) // self.slot_duration_ms

    def slot_start(self, slot: int) -> float:
        return slot * self.slot_duration_ms / 1000

    def timestamp(self, slot: int) -> int:
        """A slot's block timestamp: its start, in whole seconds (rounded down)."""
        return slot * self.slot_duration_ms // 1000


class SlotAuthor:
    """Tries to author every slot; `may_author()` lets the node hold off while it catches up.

    `equivocate` is a test switch: the author also seals a second block for each slot it wins
    (the same block with other extraData), the misbehaviour other validators must prove and slash.
    """

    def __init__(self, node: Node, key: bytes, clock: SlotClock, on_authored: Callable[[list[Block]], None],
                 may_author: Callable[[], bool] = lambda: True, equivocate: bool = False):
        self.node = node
        self.key = key
        self.clock = clock
        self.on_authored = on_authored
        self.may_author = may_author
        self.equivocate = equivocate

    async def run(self) -> None:
        slot = self.clock.current_slot()
        while True:
            slot = max(slot + 1, self.clock.current_slot())
            await asyncio.sleep(max(0.0, self.clock.slot_start(slot) - self.clock.now()))
            try:
                blocks = await self.try_author(slot)
            except UnknownRuntimeVersion:
                return
            except Exception:
                log.exception("authoring slot %d failed", slot)
                continue
            if blocks:
                self.on_authored(blocks)

    async def try_author(self, slot: int) -> list[Block]:
        """The blocks authored for `slot`: none when this key may not author it, the node is catching up, or
        a peer's block became the head while a large block was built (on the builder thread)."""
        if slot <= self.node.head.slot or not self.may_author():
            return []
        if self.node.api.slot_claim(self.node.state(), slot, self.key) is None:
            return []
        outcome = await self.node.builder.author_block_off_loop(timestamp=self.clock.timestamp(slot), slot=slot)
        if outcome is None:
            return []
        block = outcome.block
        log.info("authored block #%d in slot %d", block.header.number, slot)
        if not self.equivocate:
            return [block]
        twin = replace(block.header, extra_data=EQUIVOCATION_EXTRA_DATA, seal=b"")
        twin_header = self.node.api.seal_header(twin, self.key, self.node.chain_id)
        return [block, Block(twin_header, block.transactions)]
