"""Dev-chain block authoring: instant seal (a block as soon as transactions arrive) or a fixed
interval, and the node's own root calls behind a dev chain's controls (anvil_setBalance)."""

import asyncio
import logging

from runtime.abi import abi_encode
from runtime.executive import AppliedTransaction, BlockOutcome, call_readonly
from runtime.modules import balances, system
from runtime.transactions import DYNAMIC_FEE, decode_transaction, sign_transaction

from .node import Node

log = logging.getLogger("flockchain.authoring")

FORCE_SET_BALANCE = next(c for c in balances.MODULE.calls if c.name == "forceSetBalance")


class DevAuthor:
    """Seals blocks for a single-authority dev chain.

    Instant seal waits one event-loop turn after the first new transaction, so every
    transaction of one JSON-RPC batch lands in the same block (as anvil's automine does
    per request). With `block_time`, a block (possibly empty) is sealed every interval.
    `on_block` hears of every block the node commits, including those a devnet control seals.
    """

    def __init__(self, node: Node, block_time: float | None = None, on_block=None):
        self.node = node
        self.block_time = block_time
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._next_seal: float | None = None
        """Deadlines advance by block_time from the first, so sealing time does not stretch the interval."""
        node.block_listeners.append(log_block)
        if on_block:
            node.block_listeners.append(on_block)

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
        while self.node.pool.ready(self.node.get_nonce):
            if not self.seal().applied:
                break
            await asyncio.sleep(0)

    def seal(self) -> BlockOutcome:
        return self.node.author_block()


def log_block(outcome: BlockOutcome) -> None:
    header = outcome.block.header
    log.info("sealed block #%d %s with %d transactions", header.number, header.hash.hex()[:16], len(outcome.applied))


class RootCallFailed(Exception):
    """A root call would fail; nothing was sealed. `revert_data` is its Solidity custom error."""

    def __init__(self, revert_data: bytes):
        super().__init__(f"root call would revert with 0x{revert_data.hex()}")
        self.revert_data = revert_data


def seal_root_call(node: Node, to: bytes, data: bytes, weight: int) -> AppliedTransaction:
    """Sign `data` from the authority key and seal it alone in a block now.

    On a dev chain the authority is also the root, so this is how devnet controls change
    state: through an ordinary signed transaction that anyone re-executing the block checks.
    It is dry-run first, so a call that would fail (RootCallFailed) or a transaction that may
    not be included (InvalidTransaction) seals nothing. The authority pays the fee; the gas
    limit prices every data byte as non-zero, a bound on the intrinsic gas (only what is used is paid).
    """
    if node.authority_key is None:
        raise RuntimeError("this node has no authority key")
    state = node.state()
    success, output = call_readonly(node.runtime, state.backend, node.pending_env(), node.authority, to, 0, data)
    if not success:
        raise RootCallFailed(output)
    raw = sign_transaction(node.authority_key, DYNAMIC_FEE, chain_id=node.chain_id,
                           nonce=system.get_nonce(state, node.authority), gas_limit=21_000 + 16 * len(data) + weight,
                           to=to, value=0, data=data, max_fee_per_gas=node.next_base_fee(), max_priority_fee_per_gas=0)
    (applied,) = node.author_block_of([decode_transaction(raw)]).applied
    return applied


def set_balance(node: Node, who: bytes, free: int) -> AppliedTransaction:
    """anvil_setBalance: the root's balances.forceSetBalance(who, free), sealed in a block of its own."""
    data = FORCE_SET_BALANCE.selector + abi_encode(["address", "uint256"], [who, free])
    return seal_root_call(node, balances.ADDRESS_, data, FORCE_SET_BALANCE.weight)
