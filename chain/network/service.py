"""The peer-to-peer service: a WebSocket server at ws://HOST:PORT/p2p, dialers that keep the
bootnodes connected, the handshake, gossip with de-duplication, block requests, keepalive and bans
(spec/network.md).

Per connection: the reader (the aiohttp handler task inbound, the dialer's task outbound) decodes
frames, answers PING and GET_BLOCKS, hands BLOCKS answers to their requests and queues handler
calls; a worker runs those calls one at a time; a writer sends what `Peer.send` queued; a
keepalive task pings. Everything runs on one event loop, so the service's tables need no locks.
"""

import asyncio
import logging
import os
import random
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, replace

import aiohttp
from aiohttp import WSCloseCode, WSMsgType, web
from yarl import URL

from .bans import BanList
from .errors import BadPeerData, MessageDecodeError
from .handler import ChainStatus, NetworkHandler
from .handshake import incompatibility, make_hello, node_id_of, sign_auth, status_of, verify_auth
from .messages import (MAX_BLOCKS_PER_MESSAGE, MAX_TRANSACTIONS_PER_MESSAGE, NONCE_BYTES, Auth, BlobAnnouncement,
                       Blocks, Commit, GetBlocks, Hello, Message, MessageType, NewBlock, Ping, Pong, Status,
                       Transactions, Vote, decode_message, encode_message, gossip_id)
from .peer import Peer
from .seen import DEFAULT_CAPACITY, SeenMessages

log = logging.getLogger("flockchain.network")

DEFAULT_PORT = 30333
P2P_PATH = "/p2p"
MAX_CLOSE_REASON_BYTES = 123
"""What a WebSocket close frame can carry."""
TRANSACTIONS_FRAMING_BYTES = 16
"""The list header and type byte around a TRANSACTIONS message's transactions."""
RLP_ITEM_HEADER_BYTES = 9
"""The most an RLP string header takes (each transaction's, within a TRANSACTIONS message)."""


@dataclass(frozen=True)
class NetworkConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    """0 picks a free port (see NetworkService.local_url)."""
    bootnodes: tuple[str, ...] = ()
    """ws://host:port/p2p URLs kept connected: redialed whenever they drop."""
    public_url: str | None = None
    """The URL peers should dial, told in HELLO; the local ws://host:port/p2p when None."""
    rpc_url: str = ""
    """This node's HTTP base URL (blobs are fetched from it), told in HELLO."""
    max_peers: int = 25
    max_pending_handshakes: int = 16
    """Connections still in their handshake; beyond it inbound ones are refused with 503 before any work."""
    handshake_timeout: float = 5.0
    idle_timeout: float = 30.0
    """A peer that sends nothing for this long is dropped; live peers answer the pings below."""
    ping_interval: float = 10.0
    request_timeout: float = 10.0
    close_timeout: float = 1.0
    """How long a closing handshake may take before the socket is just dropped."""
    ban_seconds: float = 600.0
    address_ban_exempt: tuple[str, ...] = ("127.0.0.1", "::1")
    """Hosts many nodes share (loopback testnets, a local proxy): misbehaviour from them bans the node id
    only, or one bad node would cut off every node on the machine."""
    max_message_bytes: int = 16 * 1024 * 1024
    max_response_bytes: int = 15 * 1024 * 1024
    """Byte budget of one BLOCKS answer (blocks and justifications), below max_message_bytes."""
    max_blocks_per_response: int = MAX_BLOCKS_PER_MESSAGE
    max_queued_messages: int = 1024
    """Per peer, both ways: frames waiting to be sent, and handler calls waiting to run."""
    seen_cache_size: int = DEFAULT_CAPACITY
    redial_interval: float = 1.0
    redial_max_interval: float = 2.0

    def __post_init__(self):
        for name in ("handshake_timeout", "idle_timeout", "ping_interval", "request_timeout", "close_timeout",
                     "redial_interval", "redial_max_interval"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if not self.ping_interval < self.idle_timeout:
            raise ValueError("ping_interval must be shorter than idle_timeout, or live peers are dropped")
        if not 0 <= self.ban_seconds:
            raise ValueError("ban_seconds must not be negative")
        for name in ("max_peers", "max_pending_handshakes", "max_queued_messages", "seen_cache_size"):
            if not getattr(self, name) >= 1:
                raise ValueError(f"{name} must be at least 1")
        if not 1 <= self.max_blocks_per_response <= MAX_BLOCKS_PER_MESSAGE:
            raise ValueError(f"max_blocks_per_response must be in [1, {MAX_BLOCKS_PER_MESSAGE}]")
        if not 0 < self.max_response_bytes < self.max_message_bytes:
            raise ValueError("max_response_bytes must be positive and below max_message_bytes")


class Refused(Exception):
    """A connection that ends before it becomes a peer. A `violation` bans the remote address; `routine`
    refusals (banned, blocked, already connected, closed by the other side) recur at every redial, so
    they are logged at debug level."""

    def __init__(self, reason: str, violation: bool = False, routine: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.violation = violation
        self.routine = routine


def status_message(status: ChainStatus) -> Status:
    return Status(status.best_number, status.best_hash, status.finalized_number, status.finalized_hash)


def _close_reason(message) -> str:
    reason = message.extra if message.type == WSMsgType.CLOSE and isinstance(message.extra, str) else ""
    return f"closed by the peer ({reason})" if reason else "closed by the peer"


def _frame_violation(message) -> str | None:
    """Why a frame that is not a BINARY message is a protocol violation, or None when the link just ended."""
    if message.type == WSMsgType.TEXT:
        return "a text frame (the protocol is binary)"
    if message.type == WSMsgType.ERROR and isinstance(message.data, aiohttp.WebSocketError):
        return f"a malformed frame ({message.data})"
    return None


class NetworkService:
    """One node's end of the network. Everything runs on the event loop that called `start`: call its
    methods from that loop (they never block; sending only queues)."""

    def __init__(self, handler: NetworkHandler, node_key: bytes, config: NetworkConfig = NetworkConfig()):
        self.handler = handler
        self.config = config
        self.node_id = node_id_of(node_key)
        self.local_url: str | None = None
        self._node_key = node_key
        self._peers: dict[bytes, Peer] = {}
        self._peer_tasks: dict[Peer, tuple[asyncio.Task, ...]] = {}
        self._node_bans = BanList()
        self._host_bans = BanList()
        self._seen = SeenMessages(config.seen_cache_size)
        self._blocked: frozenset[bytes] = frozenset()
        self._sockets: set = set()
        self._handshaking = 0
        self._tasks: set[asyncio.Task] = set()
        self._dialers: dict[str, asyncio.Task] = {}
        self._dialed_ids: dict[str, bytes] = {}
        """The node id each dialed URL answered with (as its HELLO claims: a false claim only keeps this node
        from redialing the claimant), so a URL is not redialed while that node is connected, banned or blocked."""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._stopping = False

    # lifecycle
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(P2P_PATH, self._accept)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=self.config.close_timeout)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.config.host, self.config.port).start()
        port = self._runner.addresses[0][1]
        self.local_url = str(URL.build(scheme="ws", host=self.config.host, port=port, path=P2P_PATH))
        timeout = aiohttp.ClientTimeout(total=None, connect=self.config.handshake_timeout)
        self._session = aiohttp.ClientSession(timeout=timeout)
        log.info("p2p listening on %s as node %s", self.local_url, self.node_id_hex)
        for url in self.config.bootnodes:
            self.dial(url)

    async def stop(self) -> None:
        """Close every connection and end every task the service started."""
        if self._stopping:
            return
        self._stopping = True
        dialers = list(self._dialers.values())
        for task in dialers:
            task.cancel()
        await asyncio.gather(*dialers, return_exceptions=True)
        for peer in list(self._peers.values()):
            self._drop(peer, "the node is shutting down", code=WSCloseCode.GOING_AWAY)
        await asyncio.gather(*(self._close(ws, "the node is shutting down", WSCloseCode.GOING_AWAY)
                               for ws in list(self._sockets)), return_exceptions=True)
        await self._cancel_tasks()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()
        await self._cancel_tasks()

    async def _cancel_tasks(self) -> None:
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # reading
    @property
    def node_id_hex(self) -> str:
        return "0x" + self.node_id.hex()

    @property
    def peers(self) -> list[Peer]:
        """Connected peers whose handshake completed."""
        return [peer for peer in self._peers.values() if not peer.closed]

    @property
    def peer_count(self) -> int:
        return len(self.peers)

    def is_banned(self, node_id: bytes) -> bool:
        return self._node_bans.banned(node_id)

    def _connected(self, node_id: bytes) -> bool:
        peer = self._peers.get(node_id)
        return peer is not None and not peer.closed

    # control
    def dial(self, url: str) -> None:
        """Keep a connection to `url` as to a bootnode: redialed (every redial_interval to
        redial_max_interval) whenever it drops, until the service stops."""
        if self._session is None:
            raise RuntimeError("start the network service before dialing")
        if url not in self._dialers and not self._stopping:
            self._dialers[url] = asyncio.get_running_loop().create_task(self._keep_dialing(url))

    def set_blocked(self, node_ids: Iterable[bytes]) -> None:
        """Disconnect these nodes and refuse them either way until unblocked (a test's network
        partition: nobody is banned, and unblocked nodes reconnect at the next redial)."""
        self._blocked = frozenset(node_ids)
        for peer in self.peers:
            if peer.node_id in self._blocked:
                self._drop(peer, "blocked")

    async def punish(self, peer: Peer, reason: str) -> None:
        """Disconnect a peer and refuse its node id (and address) for ban_seconds: what BadPeerData from
        a handler call does, for misbehaviour found outside one. Returns once the connection is closed."""
        closing = self._ban(peer, reason)
        if closing is not None:
            await asyncio.shield(closing)

    def _ban(self, peer: Peer, reason: str) -> asyncio.Task | None:
        if peer.closed and self.is_banned(peer.node_id):
            return None
        self._node_bans.ban(peer.node_id, self.config.ban_seconds)
        self._ban_host(peer.host)
        log.warning("banned %r for %gs: %s", peer, self.config.ban_seconds, reason)
        return self._drop(peer, f"banned: {reason}", log_level=None)

    def _ban_host(self, host: str) -> None:
        if host not in self.config.address_ban_exempt:
            self._host_bans.ban(host, self.config.ban_seconds)

    # sending
    def announce_status(self) -> int:
        """Tell every peer where the local chain stands (call it when the best or finalized block changes);
        returns the number of peers told."""
        data = self._encode_outgoing(status_message(self.handler.get_status()))
        return sum(peer.send_encoded(data) for peer in self.peers)

    def broadcast_transactions(self, raws: list[bytes]) -> int:
        """Send transactions to every peer not known to hold them; returns the number of peers sent to."""
        for raw in raws:
            self._seen.record(gossip_id(MessageType.TRANSACTIONS, raw))
        return self._send_transactions(raws)

    def stem_transactions(self, raws: list[bytes]) -> int:
        """Send transactions to one peer drawn at random, not to all (network.md, "Stem for unsigned
        calls"): the first node seen gossiping them is not this one. Returns the number of peers sent to."""
        for raw in raws:
            self._seen.record(gossip_id(MessageType.TRANSACTIONS, raw))
        peers = list(self.peers)
        if not peers:
            return 0
        peer = random.SystemRandom().choice(peers)
        return self._send_transactions(raws, (peer,))

    def broadcast_block(self, block_rlp: bytes) -> int:
        return self._broadcast(NewBlock(block_rlp), block_rlp)

    def broadcast_vote(self, vote: bytes) -> int:
        return self._broadcast(Vote(vote), vote)

    def broadcast_commit(self, justification: bytes) -> int:
        return self._broadcast(Commit(justification), justification)

    def broadcast_blob(self, blob_hash: bytes, size: int) -> int:
        """Announce that this node holds a blob (peers fetch it from config.rpc_url)."""
        data = self._encode_outgoing(BlobAnnouncement(blob_hash, size))
        return sum(peer.send_encoded(data) for peer in self.peers)

    def _broadcast(self, message: Message, payload: bytes) -> int:
        message_id = gossip_id(message.TYPE, payload)
        self._seen.record(message_id)
        return self._relay(message, message_id)

    def _encode_outgoing(self, message: Message) -> bytes:
        data = encode_message(message)
        if len(data) > self.config.max_message_bytes:
            raise ValueError(f"a {message.TYPE.name} message of {len(data)} bytes exceeds max_message_bytes "
                             f"({self.config.max_message_bytes})")
        return data

    def _relay(self, message: Message, message_id: bytes) -> int:
        """Send to every peer not known to hold the message; they hold it from now on."""
        data, holders, sent = self._encode_outgoing(message), self._seen.holders(message_id), 0
        for peer in self.peers:
            if peer.node_id not in holders and peer.send_encoded(data):
                self._seen.record(message_id, peer.node_id)
                sent += 1
        return sent

    def _send_transactions(self, raws: list[bytes], peers: Iterable[Peer] | None = None) -> int:
        ids = [gossip_id(MessageType.TRANSACTIONS, raw) for raw in raws]
        sent = 0
        for peer in self.peers if peers is None else peers:
            missing = [(raw, id_) for raw, id_ in zip(raws, ids) if peer.node_id not in self._seen.holders(id_)]
            delivered = False
            for chunk in self._transaction_chunks(missing):
                if not peer.send_encoded(self._encode_outgoing(Transactions(tuple(raw for raw, _ in chunk)))):
                    break
                delivered = True
                for _, id_ in chunk:
                    self._seen.record(id_, peer.node_id)
            sent += delivered
        return sent

    def _transaction_chunks(self, items: list[tuple[bytes, bytes]]) -> Iterator[list[tuple[bytes, bytes]]]:
        """Runs that fit one TRANSACTIONS message (by count and, with room for framing, by bytes)."""
        budget = self.config.max_message_bytes - TRANSACTIONS_FRAMING_BYTES
        chunk, size = [], 0
        for raw, id_ in items:
            item_size = len(raw) + RLP_ITEM_HEADER_BYTES
            if chunk and (len(chunk) == MAX_TRANSACTIONS_PER_MESSAGE or size + item_size > budget):
                yield chunk
                chunk, size = [], 0
            chunk.append((raw, id_))
            size += item_size
        if chunk:
            yield chunk

    # connections
    async def _accept(self, request: web.Request) -> web.StreamResponse:
        peername = request.transport.get_extra_info("peername") if request.transport else None
        host, port = (peername[0], peername[1]) if peername else (request.remote or "", 0)
        if self._stopping:
            return web.Response(status=503, text="the node is shutting down")
        if self._host_bans.banned(host):
            return web.Response(status=403, text="this address is banned")
        if request.headers.get("Origin") is not None:
            return web.Response(status=403, text="the p2p port serves peers, never web pages (a browser sends Origin)")
        if self._handshaking >= self.config.max_pending_handshakes:
            return web.Response(status=503, text="too many connections in their handshake")
        ws = web.WebSocketResponse(max_msg_size=self.config.max_message_bytes, compress=False,
                                   timeout=self.config.close_timeout)
        await ws.prepare(request)
        await self._run_connection(ws, host, port, outbound=False)
        return ws

    async def _keep_dialing(self, url: str) -> None:
        """Until `stop`, which cancels it; the loop checks `_stopping` too, so a cancellation lost on the way
        (a library that swallows one) still ends it instead of keeping the node process alive."""
        failures = 0
        while not self._stopping:
            known = self._dialed_ids.get(url)
            if known == self.node_id:
                log.info("not dialing %s: it is this node", url)
                return
            if self._should_dial(url):
                connected = await self._dial_once(url)
                failures = 0 if connected else failures + 1
            await asyncio.sleep(self._redial_delay(failures))

    def _should_dial(self, url: str) -> bool:
        """Not while the node last found there is connected (perhaps inbound), banned or blocked."""
        if self._host_bans.banned(URL(url).host):
            return False
        known = self._dialed_ids.get(url)
        return known is None or not (self._connected(known) or known in self._blocked or self.is_banned(known))

    def _redial_delay(self, failures: int) -> float:
        """redial_interval, doubling per failed dial up to redial_max_interval; jittered so nodes restarted
        together do not dial in lockstep."""
        base = min(self.config.redial_max_interval, self.config.redial_interval * 2 ** min(max(failures - 1, 0), 16))
        return base * random.uniform(0.5, 1.0)

    async def _dial_once(self, url: str) -> bool:
        """One connection to `url`, for as long as it lasts; True when it became a peer."""
        try:
            ws = await self._session.ws_connect(url, max_msg_size=self.config.max_message_bytes,
                                                timeout=aiohttp.ClientWSTimeout(ws_close=self.config.close_timeout))
        except aiohttp.WSServerHandshakeError as error:
            log.info("%s refused the connection: %s %s", url, error.status, error.message)
            return False
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            log.debug("could not dial %s: %s", url, error or type(error).__name__)
            return False
        peername = ws.get_extra_info("peername")
        target = URL(url)
        host, port = (peername[0], peername[1]) if peername else (target.host or "", target.port or 0)
        return await self._run_connection(ws, host, port, outbound=True, dialed_url=url)

    async def _run_connection(self, ws, host: str, port: int, outbound: bool, dialed_url: str | None = None) -> bool:
        """Handshake, then read until the connection ends; True when it became a peer.

        The handshake's deadline is asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a
        cancellation that comes in the loop turn the handshake ends in, and `stop` then waited forever
        on a dialer that went on redialing."""
        self._sockets.add(ws)
        peer, reason = None, "connection ended"
        try:
            self._handshaking += 1
            try:
                async with asyncio.timeout(self.config.handshake_timeout):
                    hello = await self._handshake(ws, outbound, dialed_url)
                peer = self._register(ws, hello, host, port, outbound)
            except TimeoutError:
                raise Refused(f"no handshake within {self.config.handshake_timeout:g}s") from None
            except ConnectionError as error:
                raise Refused(f"connection lost during the handshake ({error})") from None
            finally:
                self._handshaking -= 1
            await self._read(peer)
            return True
        except Refused as refusal:
            reason = refusal.reason
            where = f"to {dialed_url}" if outbound else f"from {host}:{port}"
            if refusal.violation:
                self._ban_host(host)
                log.warning("connection %s banned: %s", where, reason)
            else:
                log.log(logging.DEBUG if refusal.routine else logging.INFO, "connection %s refused: %s", where, reason)
            return False
        except Exception:
            log.exception("connection %s failed", f"to {dialed_url}" if outbound else f"from {host}:{port}")
            return False
        finally:
            if peer is not None:
                self._unregister(peer)
                reason = peer.closed_reason or reason
            await self._close(ws, reason)
            self._sockets.discard(ws)

    async def _handshake(self, ws, outbound: bool, dialed_url: str | None) -> Hello:
        """HELLO both ways, then AUTH both ways; returns the peer's HELLO, its signature checked."""
        nonce = os.urandom(NONCE_BYTES)
        local = self.handler.get_status()
        listen_url = self.config.public_url if self.config.public_url is not None else self.local_url
        await ws.send_bytes(encode_message(make_hello(local, self.node_id, nonce, listen_url, self.config.rpc_url)))
        hello = await self._receive_during_handshake(ws, Hello)
        if outbound:
            self._dialed_ids[dialed_url] = hello.node_id
        reason = incompatibility(hello, local)
        if reason:
            raise Refused(reason)
        reason = self._unwelcome(hello.node_id, outbound)
        if reason:
            raise Refused(reason, routine=True)
        await ws.send_bytes(encode_message(Auth(sign_auth(self._node_key, hello.nonce))))
        auth = await self._receive_during_handshake(ws, Auth)
        if not verify_auth(auth.signature, nonce, hello.node_id):
            raise Refused("the handshake signature does not match the node id")
        return hello

    async def _receive_during_handshake(self, ws, expected: type[Message]) -> Message:
        frame = await ws.receive()
        if frame.type != WSMsgType.BINARY:
            violation = _frame_violation(frame)
            raise Refused(violation, violation=True) if violation else Refused(_close_reason(frame), routine=True)
        try:
            message = decode_message(frame.data)
        except MessageDecodeError as error:
            raise Refused(f"an undecodable handshake message ({error})", violation=True) from None
        if not isinstance(message, expected):
            raise Refused(f"{message.TYPE.name} where {expected.TYPE.name} was due", violation=True)
        return message

    def _unwelcome(self, node_id: bytes, outbound: bool) -> str | None:
        """Why a node that follows our chain still may not be a peer now, or None."""
        if self._stopping:
            return "the node is shutting down"
        if node_id == self.node_id:
            return "a connection to itself"
        if self._node_bans.banned(node_id):
            return "the node id is banned"
        if node_id in self._blocked:
            return "the node id is blocked"
        if self._connected(node_id):
            return None if self._keeps_new(self._peers[node_id], outbound) else "already connected"
        if self.peer_count >= self.config.max_peers:
            return f"peer limit reached ({self.config.max_peers})"
        return None

    def _keeps_new(self, existing: Peer, outbound: bool) -> bool:
        """Of two connections between the same nodes, both ends keep the one the lower node id dialed,
        so dialing each other at once settles on one connection instead of refusing both."""
        if existing.outbound == outbound:
            return False
        new_dialer = self.node_id if outbound else existing.node_id
        return new_dialer == min(self.node_id, existing.node_id)

    def _register(self, ws, hello: Hello, host: str, port: int, outbound: bool) -> Peer:
        reason = self._unwelcome(hello.node_id, outbound)
        if reason:
            raise Refused(reason, routine=True)
        existing = self._peers.get(hello.node_id)
        if existing is not None:
            self._drop(existing, "replaced by a connection in the other direction")
            self._unregister(existing)
        peer = Peer(ws, hello.node_id, status_of(hello), hello.listen_url, hello.rpc_url, host, port, outbound,
                    self.config.request_timeout, self.config.max_queued_messages, self._drop)
        self._peers[peer.node_id] = peer
        self._seen.forget_holder(peer.node_id)
        self._peer_tasks[peer] = (self._spawn(peer.run_writer()), self._spawn(self._keep_alive(peer)),
                                  self._spawn(self._work(peer)))
        self._enqueue(peer, lambda: self.handler.on_peer_status(peer, peer.status))
        log.info("connected to %r (%s), best #%d, finalized #%d", peer, "outbound" if outbound else "inbound",
                 hello.best_number, hello.finalized_number)
        return peer

    def _unregister(self, peer: Peer) -> None:
        peer.mark_closed(peer.closed_reason or "connection ended")
        if self._peers.get(peer.node_id) is peer:
            del self._peers[peer.node_id]
        for task in self._peer_tasks.pop(peer, ())[:2]:
            task.cancel()
        while not peer.jobs.empty():
            peer.jobs.get_nowait()
        peer.jobs.put_nowait(None)

    def _drop(self, peer: Peer, reason: str, code: int = WSCloseCode.POLICY_VIOLATION,
              log_level: int | None = logging.INFO) -> asyncio.Task | None:
        """Close a peer's connection (its reader then unregisters it); the closing task, None when closed already."""
        if peer.closed:
            return None
        peer.mark_closed(reason)
        if log_level is not None:
            log.log(log_level, "disconnected from %r: %s", peer, reason)
        return self._spawn(self._close(peer.ws, reason, code))

    async def _close(self, ws, reason: str, code: int = WSCloseCode.POLICY_VIOLATION) -> None:
        message = reason.encode()[:MAX_CLOSE_REASON_BYTES].decode(errors="ignore").encode()
        try:
            await ws.close(code=code, message=message)
        except (ConnectionError, RuntimeError, TimeoutError):
            pass

    def _spawn(self, coroutine: Awaitable) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _keep_alive(self, peer: Peer) -> None:
        ping = encode_message(Ping())
        while not peer.closed:
            await asyncio.sleep(self.config.ping_interval)
            peer.send_encoded(ping)

    # receiving
    async def _read(self, peer: Peer) -> None:
        while not peer.closed:
            try:
                frame = await peer.ws.receive(timeout=self.config.idle_timeout)
            except TimeoutError:
                self._drop(peer, f"silent for {self.config.idle_timeout:g}s")
                return
            if frame.type != WSMsgType.BINARY:
                violation = _frame_violation(frame)
                if violation:
                    self._ban(peer, violation)
                else:
                    self._drop(peer, _close_reason(frame))
                return
            try:
                message = decode_message(frame.data)
            except MessageDecodeError as error:
                self._ban(peer, f"an undecodable message ({error})")
                return
            violation = self._dispatch(peer, message)
            if violation:
                self._ban(peer, violation)
                return

    def _dispatch(self, peer: Peer, message: Message) -> str | None:
        """Act on one message; returns why it is a protocol violation, or None."""
        match message:
            case Ping():
                peer.send(Pong())
            case Pong():
                pass
            case Status():
                peer.status = replace(peer.status, best_number=message.best_number, best_hash=message.best_hash,
                                      finalized_number=message.finalized_number,
                                      finalized_hash=message.finalized_hash)
                status = peer.status
                self._enqueue(peer, lambda: self.handler.on_peer_status(peer, status))
            case Transactions():
                if not peer.jobs.full():
                    fresh = [raw for raw in message.raws
                             if self._seen.record(gossip_id(MessageType.TRANSACTIONS, raw), peer.node_id)]
                    if fresh:
                        self._enqueue(peer, lambda: self._deliver_transactions(peer, fresh))
            case NewBlock():
                self._gossip(peer, message, message.block_rlp, lambda: self.handler.on_block(peer, message.block_rlp))
            case Vote():
                self._gossip(peer, message, message.vote, lambda: self.handler.on_vote(peer, message.vote))
            case Commit():
                self._gossip(peer, message, message.justification,
                             lambda: self.handler.on_commit(peer, message.justification))
            case BlobAnnouncement():
                announcement_id = gossip_id(MessageType.BLOB, peer.node_id + message.blob_hash)
                if not peer.jobs.full() and self._seen.record(announcement_id, peer.node_id):
                    self._enqueue(peer, lambda: self.handler.on_blob(peer, message.blob_hash, message.size))
            case GetBlocks():
                self._serve_blocks(peer, message)
            case Blocks():
                return peer.resolve(message)
            case Hello() | Auth():
                return f"{message.TYPE.name} after the handshake"
        return None

    def _gossip(self, peer: Peer, message: Message, payload: bytes, deliver: Callable[[], Awaitable[bool]]) -> None:
        """Deliver a message seen for the first time; relay it if the handler says it is valid."""
        message_id = gossip_id(message.TYPE, payload)
        if peer.jobs.full() or not self._seen.record(message_id, peer.node_id):
            return

        async def deliver_and_relay():
            if await deliver() is True:
                self._relay(message, message_id)

        self._enqueue(peer, deliver_and_relay)

    async def _deliver_transactions(self, peer: Peer, raws: list[bytes]) -> None:
        relay = await self.handler.on_transactions(peer, raws)
        if relay:
            self._send_transactions(list(relay))

    def _enqueue(self, peer: Peer, job: Callable[[], Awaitable]) -> None:
        try:
            peer.jobs.put_nowait(job)
        except asyncio.QueueFull:
            log.debug("dropped a message from %r: its handler queue is full", peer)

    async def _work(self, peer: Peer) -> None:
        """Run a peer's handler calls one at a time, until it disconnects."""
        while True:
            job = await peer.jobs.get()
            if job is None or peer.closed:
                return
            try:
                await job()
            except BadPeerData as error:
                self._ban(peer, str(error) or "bad data")
            except Exception:
                log.exception("the handler failed on a message from %r", peer)

    def _serve_blocks(self, peer: Peer, request: GetBlocks) -> None:
        count = min(request.count, self.config.max_blocks_per_response)
        answer, size = [], 0
        try:
            blocks = self.handler.get_blocks(request.start, count)[:count] if count else []
            for block_rlp, justification in blocks:
                size += len(block_rlp) + len(justification or b"")
                if size > self.config.max_response_bytes:
                    break
                answer.append((block_rlp, justification or None))
            data = encode_message(Blocks(request.request_id, tuple(answer)))
        except Exception:
            log.exception("serving GET_BLOCKS from %d (count %d) to %r failed", request.start, request.count, peer)
            data = encode_message(Blocks(request.request_id, ()))
        peer.send_encoded(data)

