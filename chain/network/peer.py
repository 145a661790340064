"""A connected, authenticated peer as the node layer sees it: who it is, what it last said about
its chain, where its HTTP endpoint is, and a way to ask it for blocks."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from runtime.blocks import Block
from runtime.exceptions import InvalidBlock

from .errors import InvalidResponse, PeerDisconnected, RequestTimeout
from .handler import ChainStatus
from .messages import Blocks, GetBlocks, Message, encode_message


@dataclass
class PendingRequest:
    start: int
    count: int
    answer: asyncio.Future


def block_number(block_rlp: bytes) -> int:
    """Raises InvalidBlock for bytes that are not a block."""
    return Block.decode(block_rlp).header.number


class Peer:
    """Sending never waits: messages queue for the connection's writer, and a peer that lets the
    queue fill is dropped (it can reconnect) rather than slowing everyone's gossip down."""

    def __init__(self, ws, node_id: bytes, status: ChainStatus, listen_url: str, rpc_url: str, host: str, port: int,
                 outbound: bool, request_timeout: float, max_queued_messages: int,
                 drop: Callable[["Peer", str], None]):
        self.ws = ws
        self.node_id = node_id
        self.status = status
        """The latest the peer told us (HELLO, then each STATUS)."""
        self.listen_url = listen_url
        """Where the peer accepts connections (empty when it does not say)."""
        self.rpc_url = rpc_url
        """The peer's JSON-RPC/HTTP base URL, where its blobs are (empty when it does not say)."""
        self.host = host
        self.port = port
        self.outbound = outbound
        """True when this node dialed the peer."""
        self.request_timeout = request_timeout
        self.closed_reason: str | None = None
        self.jobs: asyncio.Queue = asyncio.Queue(max_queued_messages)
        """Handler calls for this peer waiting their turn (run one at a time by the service)."""
        self._drop = drop
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(max_queued_messages)
        self._requests: dict[int, PendingRequest] = {}
        self._next_request_id = 0

    @property
    def node_id_hex(self) -> str:
        return "0x" + self.node_id.hex()

    @property
    def remote(self) -> str:
        """The address the connection comes from (host:port as this node sees it)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def closed(self) -> bool:
        return self.closed_reason is not None

    def __repr__(self) -> str:
        return f"<Peer {self.node_id.hex()[:16]} at {self.remote}>"

    def send(self, message: Message) -> bool:
        return self.send_encoded(encode_message(message))

    def send_encoded(self, data: bytes) -> bool:
        """Queue a frame; False when the peer is gone (or was just dropped for a full queue)."""
        if self.closed:
            return False
        try:
            self._outbox.put_nowait(data)
        except asyncio.QueueFull:
            self._drop(self, "its send queue is full (it reads too slowly)")
            return False
        return True

    async def run_writer(self) -> None:
        while True:
            data = await self._outbox.get()
            try:
                await self.ws.send_bytes(data)
            except (ConnectionError, RuntimeError) as error:
                self._drop(self, f"sending failed ({error})")
                return

    async def request_blocks(self, start: int, count: int,
                             timeout: float | None = None) -> list[tuple[bytes, bytes | None]]:
        """The peer's canonical blocks start, start + 1, ..., each with its justification or None: at most
        `count`, fewer when its chain ends or they exceed its response budget.

        Raises RequestTimeout (the peer stays connected), PeerDisconnected, or InvalidResponse (more
        blocks than asked or misnumbered: the peer is also banned). The deadline is asyncio.timeout, not
        wait_for, which on Python 3.11 drops a cancellation that comes as the answer does (a sync would
        then outlive `NodeService.stop`).
        """
        if count <= 0:
            return []
        if self.closed:
            raise PeerDisconnected(f"{self!r} is disconnected ({self.closed_reason})")
        request_id = self._next_request_id
        self._next_request_id += 1
        answer = asyncio.get_running_loop().create_future()
        self._requests[request_id] = PendingRequest(start, count, answer)
        timeout = self.request_timeout if timeout is None else timeout
        try:
            self.send(GetBlocks(request_id, start, count))
            async with asyncio.timeout(timeout):
                return await answer
        except TimeoutError:
            raise RequestTimeout(f"{self!r} did not answer GET_BLOCKS from {start} (count {count}) "
                                 f"within {timeout:g}s") from None
        finally:
            self._requests.pop(request_id, None)

    def resolve(self, response: Blocks) -> str | None:
        """Hand a BLOCKS answer to its request; returns why it is a protocol violation, or None.

        An answer to a request that already timed out is dropped; one to a request never made is a violation.
        """
        if response.request_id >= self._next_request_id:
            return f"BLOCKS answers request {response.request_id}, which was never made"
        pending = self._requests.pop(response.request_id, None)
        if pending is None or pending.answer.done():
            return None
        violation = _check_answer(pending, response)
        if violation is None:
            pending.answer.set_result(list(response.blocks))
        else:
            pending.answer.set_exception(InvalidResponse(f"{self!r}: {violation}"))
        return violation

    def mark_closed(self, reason: str) -> None:
        """No more sending; requests in flight fail with PeerDisconnected."""
        if self.closed_reason is None:
            self.closed_reason = reason
        for pending in self._requests.values():
            if not pending.answer.done():
                pending.answer.set_exception(PeerDisconnected(f"{self!r} disconnected ({reason})"))
        self._requests.clear()


def _check_answer(pending: PendingRequest, response: Blocks) -> str | None:
    if len(response.blocks) > pending.count:
        return f"{len(response.blocks)} blocks in answer to a request for {pending.count}"
    for offset, (block_rlp, _) in enumerate(response.blocks):
        try:
            number = block_number(block_rlp)
        except InvalidBlock as error:
            return f"an undecodable block in BLOCKS ({error})"
        if number != pending.start + offset:
            return f"block #{number} where #{pending.start + offset} was asked for"
    return None
