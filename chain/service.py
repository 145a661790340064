"""A networked node: the block tree (chain/node.py) joined to peers (chain/network/), slot
authoring (chain/babe.py), finality (chain/finality.py), sync, and equivocation reports.

Everything here runs on one asyncio loop, so the node is only ever touched by one piece of
code at a time. Peers' data is checked before it is relayed; a peer that sends an invalid
block, vote or justification, or an unsigned call with a false proof, is disconnected and banned
(BadPeerData).
"""

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

from runtime.blocks import Block, Header
from runtime.crypto import private_key_to_address
from runtime.exceptions import InvalidBlock, InvalidTransaction, UnsignedProofInvalid
from runtime.finality import InvalidFinalityMessage, Justification, SignedVote
from runtime.transactions import DYNAMIC_FEE, UNSIGNED, sign_transaction

from .babe import SlotAuthor, SlotClock
from .blobs import BlobStore
from .db import VoteJournalDB
from .finality import FinalityConfig, FinalityVoter
from .network import BadPeerData, ChainStatus, NetworkConfig, NetworkService
from .block_tree import BlockStatus
from .node import Node

log = logging.getLogger("flockchain.service")

SYNC_BATCH = 128
RECENT_SLOTS = 4_096
"""(slot, author) pairs remembered to spot a second block for one slot."""
FINALITY_TICK = 0.1
MAX_UNSIGNED_PER_MESSAGE = 16
"""Unsigned calls checked per TRANSACTIONS message (each costs a proof check, ~7 ms for a ring of 64); the rest
are dropped unread, so one message holds the loop for a bounded time."""


@dataclass(frozen=True)
class ServiceConfig:
    network: NetworkConfig
    finality: FinalityConfig = FinalityConfig()
    author: bool = True
    """Author blocks and vote when the key is in the authority set."""
    equivocate: bool = False
    """Test switch: seal two blocks for each slot won (votes: `FinalityConfig.equivocate`)."""


class NodeService:
    def __init__(self, node: Node, key: bytes, config: ServiceConfig, blobs: BlobStore | None = None):
        self.node = node
        self.blobs = blobs
        self.key = key
        self.address = private_key_to_address(key)
        self.config = config
        self.chain_id = node.chain_id
        self.network = NetworkService(self, key, config.network)
        self.clock = SlotClock(node.api.slot_duration_ms(node.state()))
        self.author = SlotAuthor(node, key, self.clock, self._on_authored, self._may_author, config.equivocate)
        self.voter = FinalityVoter(self, self.chain_id, key if config.author else None, self._send_vote,
                                   self._on_finalize, self._report_vote_equivocation, config.finality,
                                   VoteJournalDB(node.db))
        self._slot_authors: OrderedDict[tuple[int, bytes], Header] = OrderedDict()
        self._reported: set[tuple] = set()
        self._syncing: dict | None = None
        self._sync_task: asyncio.Task | None = None
        self._tasks: list[asyncio.Task] = []
        self.pending_listeners: list = []
        """Called with each transaction a peer sent that entered the pool (RPC's newPendingTransactions)."""
        node.tree.block_listeners.append(self._on_block_committed)
        self.halted = asyncio.Event()
        """Set when the chain needs a runtime version this node does not ship: the process stops."""
        node.tree.halt_listeners.append(lambda error: self.halted.set())

    # lifecycle
    async def start(self) -> None:
        self.node.tree.recover_fork_choice()
        await self.network.start()
        loop = asyncio.get_running_loop()
        if self.blobs is not None:
            self.blobs.listeners.append(
                lambda blob_hash, size: loop.call_soon_threadsafe(self.network.broadcast_blob, blob_hash, size))
        if self.config.author:
            self._tasks.append(loop.create_task(self.author.run()))
        self._tasks.append(loop.create_task(self._drive_finality()))

    async def stop(self) -> None:
        for task in self._tasks + ([self._sync_task] if self._sync_task else []):
            task.cancel()
        for task in self._tasks + ([self._sync_task] if self._sync_task else []):
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        await self.network.stop()

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    # for RPC
    def peers_json(self) -> list[dict]:
        return [{"peerId": "0x" + peer.node_id.hex(), "roles": "FULL", "bestHash": "0x" + peer.status.best_hash.hex(),
                 "bestNumber": peer.status.best_number, "finalizedNumber": peer.status.finalized_number,
                 "address": peer.listen_url or str(peer.remote)} for peer in self.network.peers]

    def sync_progress(self) -> dict | None:
        return self._syncing

    def local_peer_id(self) -> str:
        return "0x" + self.network.node_id.hex()

    def submit_local_transaction(self, tx) -> None:
        """A transaction that entered the pool through RPC: tell the peers — an unsigned call only one
        peer drawn at random, so that its submitter's node is not the first seen gossiping it."""
        if tx.tx_type == UNSIGNED:
            self.network.stem_transactions([tx.raw])
        else:
            self.network.broadcast_transactions([tx.raw])

    # BlockTree (for the finality voter)
    def get_header(self, block_hash: bytes) -> Header | None:
        return self.node.db.get_header(block_hash)

    def best_hash(self) -> bytes:
        return self.node.head.hash

    def finalized(self) -> Header:
        return self.node.finalized

    def is_descendant(self, block_hash: bytes, ancestor_hash: bytes) -> bool:
        return self.node.tree.is_descendant(block_hash, ancestor_hash)

    def voter_set(self) -> tuple[int, dict[bytes, int]]:
        return self.node.api.voter_set(self.node.state_at(self.node.finalized))

    # NetworkHandler
    def get_status(self) -> ChainStatus:
        head, final = self.node.head, self.node.finalized
        return ChainStatus(self.chain_id, self.node.genesis_hash, head.number, head.hash, final.number, final.hash)

    async def on_peer_status(self, peer, status: ChainStatus) -> None:
        if status.best_number > self.node.head.number or status.finalized_number > self.node.finalized.number:
            self._start_sync(peer)

    async def on_transactions(self, peer, raws: list[bytes]) -> list[bytes]:
        """Admit and relay what is valid. An unsigned call costs a proof check, so a message brings at most
        MAX_UNSIGNED_PER_MESSAGE of them, and a peer that relays one with a false proof is banned."""
        relay, unsigned = [], 0
        for raw in raws:
            if raw[:1] == bytes((UNSIGNED,)):
                unsigned += 1
                if unsigned > MAX_UNSIGNED_PER_MESSAGE:
                    continue
            try:
                tx = self.node.submit_transaction(raw)
            except UnsignedProofInvalid as error:
                raise BadPeerData(f"relayed an unsigned call with a false proof: {error}") from None
            except InvalidTransaction:
                continue
            relay.append(raw)
            for listener in self.pending_listeners:
                listener(tx)
        return relay

    async def on_block(self, peer, block_rlp: bytes) -> bool:
        try:
            block = Block.decode(block_rlp)
        except InvalidBlock as error:
            raise BadPeerData(f"undecodable block: {error}") from None
        if block.header.slot > self.clock.current_slot() + 1:
            log.info("ignoring block #%d from a future slot %d", block.header.number, block.header.slot)
            return False
        status = self._receive(block)
        if status == BlockStatus.UNKNOWN_PARENT:
            self._start_sync(peer)
            return False
        return status in (BlockStatus.IMPORTED, BlockStatus.REORG, BlockStatus.SIDE)

    async def on_vote(self, peer, vote: bytes) -> bool:
        try:
            return self.voter.on_vote(SignedVote.decode(vote), self.now())
        except InvalidFinalityMessage as error:
            raise BadPeerData(f"invalid finality vote: {error}") from None

    async def on_commit(self, peer, justification: bytes) -> bool:
        try:
            decoded = Justification.decode(justification)
        except InvalidFinalityMessage as error:
            raise BadPeerData(f"invalid justification: {error}") from None
        if self.node.db.get_header(decoded.target_hash) is None and decoded.target_number > self.node.head.number:
            self._start_sync(peer)
        try:
            return self.voter.on_justification(decoded, self.now())
        except InvalidFinalityMessage as error:
            raise BadPeerData(f"invalid justification: {error}") from None

    async def on_blob(self, peer, blob_hash: bytes, size: int) -> None:
        """Remember who holds the blob: a miss here fetches it from them over HTTP (spec/blobs.md).

        Only from the peer's own host: the URL is the peer's say-so, and must not point this node's
        fetches at a third machine."""
        if self.blobs is not None and peer.rpc_url and urlsplit(peer.rpc_url).hostname == peer.host:
            self.blobs.note_provider(blob_hash, peer.rpc_url)

    def get_blocks(self, start: int, count: int) -> list[tuple[bytes, bytes | None]]:
        blocks = []
        for number in range(start, min(start + count, self.node.head.number + 1)):
            block_hash = self.node.db.get_canonical_hash(number)
            blocks.append((self.node.db.get_block(block_hash).encode(), self.node.db.get_justification(block_hash)))
        return blocks

    # blocks
    def _receive(self, block: Block) -> str:
        """Put a block into the tree; a second block by one author for one slot is reported."""
        try:
            status = self.node.tree.receive_block(block)
        except InvalidBlock as error:
            raise BadPeerData(f"invalid block #{block.header.number}: {error}") from None
        if status == BlockStatus.SIDE:
            self._check_slot_equivocation(block.header)
            self.voter.on_block_imported(self.now())
        if status in (BlockStatus.IMPORTED, BlockStatus.REORG):
            self.voter.on_block_imported(self.now())
            self.network.announce_status()
        return status

    def _on_authored(self, blocks: list[Block]) -> None:
        for block in blocks[1:]:
            self.node.db.put_side_block(block)
        for block in blocks:
            self.network.broadcast_block(block.encode())
        self.voter.on_block_imported(self.now())
        self.network.announce_status()

    def _on_block_committed(self, outcome) -> None:
        self._check_slot_equivocation(outcome.block.header)

    def _may_author(self) -> bool:
        """Not while catching up: a block on a stale head only makes a fork. (Peers' claimed best blocks
        are not trusted here: a peer that lies about its best would otherwise stop authoring.)"""
        return self._syncing is None

    # sync
    def _start_sync(self, peer) -> None:
        if self._sync_task is None or self._sync_task.done():
            self._sync_task = asyncio.get_running_loop().create_task(self._sync_from(peer))

    async def _sync_from(self, peer) -> None:
        """Fetch the peer's canonical blocks after our head until we hold its best, importing
        justifications as they come; when its chain does not connect to our head, once more from
        our finalized block. It stops at a block from a future slot, at a chain that leaves our
        finalized block, and when a pass brings nothing new, so a lying peer cannot keep it going.
        The loop yields after each block: RPC, votes and keepalives are served during a long sync."""
        start, from_finalized = self.node.head.number + 1, False
        self._syncing = {"startingBlock": self.node.head.number, "currentBlock": self.node.head.number,
                         "highestBlock": peer.status.best_number}
        try:
            while True:
                if start > peer.status.best_number:
                    if from_finalized or peer.status.finalized_number <= self.node.finalized.number:
                        return
                    start, from_finalized = self.node.finalized.number + 1, True
                batch = await peer.request_blocks(start, SYNC_BATCH)
                if not batch:
                    return
                for block_rlp, justification in batch:
                    try:
                        block = Block.decode(block_rlp)
                    except InvalidBlock as error:
                        raise BadPeerData(f"undecodable block in sync: {error}") from None
                    if block.header.slot > self.clock.current_slot() + 1:
                        log.info("sync stops at #%d: its slot %d is in the future", block.header.number,
                                 block.header.slot)
                        return
                    status = self._receive(block)
                    if status == BlockStatus.UNKNOWN_PARENT and not from_finalized:
                        start, from_finalized = self.node.finalized.number + 1, True
                        break
                    if status in (BlockStatus.UNKNOWN_PARENT, BlockStatus.STALE):
                        log.info("sync stops: the peer's chain does not contain our finalized block")
                        return
                    if justification:
                        self._import_justification(justification, block.hash)
                    self._syncing["currentBlock"] = self.node.head.number
                    self._syncing["highestBlock"] = max(self._syncing["highestBlock"], peer.status.best_number)
                    await asyncio.sleep(0)
                else:
                    start += len(batch)
        except BadPeerData as error:
            await self.network.punish(peer, str(error))
        except (asyncio.TimeoutError, ConnectionError) as error:
            log.info("sync from a peer stopped: %s", error)
        except Exception:
            log.exception("sync from a peer failed")
        finally:
            self._syncing = None

    def _import_justification(self, data: bytes, block_hash: bytes) -> None:
        try:
            justification = Justification.decode(data)
        except InvalidFinalityMessage as error:
            raise BadPeerData(f"invalid justification in sync: {error}") from None
        if justification.target_hash != block_hash or justification.target_number <= self.node.finalized.number:
            return
        try:
            self.voter.on_justification(justification, self.now())
        except InvalidFinalityMessage as error:
            raise BadPeerData(f"invalid justification in sync: {error}") from None

    # finality
    async def _drive_finality(self) -> None:
        while True:
            try:
                self.voter.tick(self.now())
            except Exception:
                log.exception("finality voter failed")
            await asyncio.sleep(FINALITY_TICK)

    def _send_vote(self, vote: SignedVote) -> None:
        self.network.broadcast_vote(vote.encode())

    def _on_finalize(self, justification: Justification) -> None:
        encoded = justification.encode()
        try:
            header = self.node.tree.finalize(justification.target_hash, encoded)
        except ValueError as error:
            log.warning("cannot finalize #%d: %s", justification.target_number, error)
            return
        log.info("finalized #%d %s (round %d)", header.number, header.hash.hex()[:16], justification.round)
        self.network.broadcast_commit(encoded)
        self.network.announce_status()

    # equivocation
    def _check_slot_equivocation(self, header: Header) -> None:
        """Called for blocks whose seal was checked (executed or side blocks), never for this node's own."""
        if header.author == self.address:
            return
        key = (header.slot, header.author)
        first = self._slot_authors.get(key)
        if first is None:
            self._slot_authors[key] = header
            if len(self._slot_authors) > RECENT_SLOTS:
                self._slot_authors.popitem(last=False)
        elif first.hash != header.hash:
            log.warning("author 0x%s sealed two blocks for slot %d", header.author.hex(), header.slot)
            self._report("reportBlockEquivocation", (first.encode(), header.encode()), ("block", key))

    def _report_vote_equivocation(self, first: SignedVote, second: SignedVote) -> None:
        log.warning("a voter signed two votes in round %d stage %d", first.round, first.stage)
        self._report("reportVoteEquivocation", (first.encode(), second.encode()),
                     ("vote", first.set_id, first.round, first.stage, first.voter(self.chain_id)))

    def _report(self, call_name: str, proof: tuple[bytes, bytes], key: tuple) -> None:
        """Submit the proof as a transaction from this node's key, unless it would fail (already
        reported by someone else, say) or was sent before."""
        if key in self._reported:
            return
        node = self.node
        state = node.state()
        report = node.api.encode_call(state, "consensus", call_name, list(proof))
        success, _ = node.api.call(node.tree.head_state, node.pending_env(), self.address, report.to, 0, report.data)
        if not success:
            log.info("%s not submitted: the runtime would refuse it (already reported?)", call_name)
            return
        raw = sign_transaction(self.key, DYNAMIC_FEE, chain_id=self.chain_id, nonce=node.get_pending_nonce(self.address),
                               gas_limit=node.api.estimate_gas(state, report.to, report.data), to=report.to, value=0,
                               data=report.data,
                               max_fee_per_gas=2 * node.next_base_fee(), max_priority_fee_per_gas=0)
        try:
            node.submit_transaction(raw)
        except InvalidTransaction as error:
            log.warning("equivocation report refused by the pool: %s", error)
            return
        self._reported.add(key)
        log.warning("reported %s equivocation", key[0])
        self.network.broadcast_transactions([raw])
