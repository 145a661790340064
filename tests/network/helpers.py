"""What the network tests share: a recording handler (the layer above, as a test fixture), real
services on ephemeral loopback ports, and a hand-driven raw peer for what a real service never sends."""

import asyncio
import time
from dataclasses import replace

import aiohttp
from coincurve import PrivateKey

from chain.network import BadPeerData, ChainStatus, NetworkConfig, NetworkService, node_id_of
from chain.network.handshake import make_hello, sign_auth, verify_auth
from chain.network.messages import Auth, Hello, Message, Ping, Pong, decode_message, encode_message
from runtime.blocks import Block, Header
from runtime.crypto import keccak256

GENESIS = keccak256(b"flockchain network tests")
CHAIN_ID = 31337

FAST = NetworkConfig(port=0, handshake_timeout=2.0, idle_timeout=5.0, ping_interval=1.0, request_timeout=2.0,
                     close_timeout=0.5, redial_interval=0.05, redial_max_interval=0.1, ban_seconds=60.0)
"""Every timer short, so a test of minutes of real behaviour runs in a fraction of a second."""


def new_key() -> bytes:
    return PrivateKey().secret


def chain_status(best: int = 0, chain_id: int = CHAIN_ID, genesis: bytes = GENESIS, finalized: int = 0) -> ChainStatus:
    return ChainStatus(chain_id, genesis, best, keccak256(b"block %d" % best), finalized,
                       keccak256(b"block %d" % finalized))


def make_block(number: int, transactions: tuple[bytes, ...] = ()) -> bytes:
    header = Header(parent_hash=keccak256(b"parent %d" % number), number=number, timestamp=1_700_000_000 + number,
                    author=b"\x11" * 20, state_root=b"\x22" * 32, transactions_root=b"\x33" * 32,
                    receipts_root=b"\x44" * 32, logs_bloom=b"\x00" * 256, gas_limit=30_000_000, gas_used=0,
                    base_fee_per_gas=1_000_000_000)
    return Block(header, transactions).encode()


def make_chain(length: int) -> list[tuple[bytes, bytes | None]]:
    """Blocks 0..length-1; every third one carries a justification."""
    return [(make_block(n), b"justification %d" % n if n % 3 == 0 else None) for n in range(length)]


class RecordingHandler:
    """The node layer as the tests need it: records every call, serves `chain`, and raises BadPeerData
    for payloads in `invalid` and a plain bug for those in `broken`."""

    def __init__(self, status: ChainStatus | None = None, chain: list | None = None):
        self.status = status or chain_status()
        self.chain = chain or []
        self.relay = True
        self.invalid: set[bytes] = set()
        self.broken: set[bytes] = set()
        self.peer_statuses: list[tuple[bytes, ChainStatus]] = []
        self.transactions: list[tuple[bytes, bytes]] = []
        self.blocks: list[tuple[bytes, bytes]] = []
        self.votes: list[tuple[bytes, bytes]] = []
        self.commits: list[tuple[bytes, bytes]] = []
        self.blobs: list[tuple[bytes, bytes, int]] = []

    def get_status(self) -> ChainStatus:
        return self.status

    async def on_peer_status(self, peer, status: ChainStatus) -> None:
        self.peer_statuses.append((peer.node_id, status))

    async def on_transactions(self, peer, raws: list[bytes]) -> list[bytes]:
        for raw in raws:
            self._judge(raw)
            self.transactions.append((peer.node_id, raw))
        return raws if self.relay else []

    async def on_block(self, peer, block_rlp: bytes) -> bool:
        return self._record(self.blocks, peer, block_rlp)

    async def on_vote(self, peer, vote: bytes) -> bool:
        return self._record(self.votes, peer, vote)

    async def on_commit(self, peer, justification: bytes) -> bool:
        return self._record(self.commits, peer, justification)

    async def on_blob(self, peer, blob_hash: bytes, size: int) -> None:
        self.blobs.append((peer.node_id, blob_hash, size))

    def get_blocks(self, start: int, count: int) -> list[tuple[bytes, bytes | None]]:
        return self.chain[start:start + count]

    def _judge(self, payload: bytes) -> None:
        if payload in self.invalid:
            raise BadPeerData("an invalid payload")
        if payload in self.broken:
            raise RuntimeError("a bug in the handler")

    def _record(self, calls: list, peer, payload: bytes) -> bool:
        self._judge(payload)
        calls.append((peer.node_id, payload))
        return self.relay


class Network:
    """Services started for one test, all stopped at its end."""

    def __init__(self):
        self.services: list[NetworkService] = []

    async def node(self, handler: RecordingHandler | None = None, key: bytes | None = None,
                   **config) -> NetworkService:
        service = NetworkService(handler or RecordingHandler(), key or new_key(), replace(FAST, **config))
        await service.start()
        self.services.append(service)
        return service

    async def __aenter__(self) -> "Network":
        return self

    async def __aexit__(self, *exc) -> None:
        for service in self.services:
            await service.stop()


def run(scenario, timeout: float = 20.0):
    """Run an async test body on a fresh event loop, bounded in time."""
    return asyncio.run(asyncio.wait_for(scenario(), timeout))


async def eventually(condition, timeout: float = 5.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout}s")
        await asyncio.sleep(0.01)


async def throughout(condition, duration: float = 0.15, what: str = "the condition") -> None:
    """The condition holds now and for all of `duration` (what must not happen, does not)."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        assert condition(), f"{what} stopped holding"
        await asyncio.sleep(0.01)
    assert condition(), f"{what} stopped holding"


def peer_ids(service: NetworkService) -> set[bytes]:
    return {peer.node_id for peer in service.peers}


class Refusal(Exception):
    """The service closed a raw peer's connection; the reason it gave."""


class RawPeer:
    """A hand-driven peer speaking the wire protocol frame by frame: it can lie, stay silent or send garbage."""

    def __init__(self, key: bytes | None = None, status: ChainStatus | None = None):
        self.key = key or new_key()
        self.node_id = node_id_of(self.key)
        self.status = status or chain_status()
        self.session: aiohttp.ClientSession | None = None
        self.ws = None

    async def connect(self, url: str) -> "RawPeer":
        self.session = aiohttp.ClientSession()
        try:
            self.ws = await self.session.ws_connect(url)
        except BaseException:
            await self.session.close()
            raise
        return self

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.session is not None:
            await self.session.close()

    async def __aenter__(self) -> "RawPeer":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def send(self, message: Message) -> None:
        await self.ws.send_bytes(encode_message(message))

    async def send_bytes(self, data: bytes) -> None:
        await self.ws.send_bytes(data)

    async def receive(self, timeout: float = 5.0, answer_pings: bool = True) -> Message:
        """The next message other than PING/PONG; raises Refusal when the connection closes instead."""
        while True:
            frame = await self.ws.receive(timeout=timeout)
            if frame.type != aiohttp.WSMsgType.BINARY:
                raise Refusal(frame.extra if isinstance(frame.extra, str) else str(frame.type))
            message = decode_message(frame.data)
            if isinstance(message, Ping):
                if answer_pings:
                    await self.send(Pong())
                continue
            if not isinstance(message, Pong):
                return message

    async def handshake(self, hello: Hello | None = None, signature: bytes | None = None) -> Hello:
        """Both HELLOs and AUTHs (ours signed by `key`, or `signature`); returns the service's HELLO."""
        nonce = b"\x07" * 32
        await self.send(hello or make_hello(self.status, self.node_id, nonce, "", ""))
        theirs = await self.receive()
        assert isinstance(theirs, Hello), theirs
        await self.send(Auth(signature or sign_auth(self.key, theirs.nonce)))
        auth = await self.receive()
        assert isinstance(auth, Auth) and verify_auth(auth.signature, (hello.nonce if hello else nonce), theirs.node_id)
        return theirs

    async def refusal(self, timeout: float = 5.0, answer_pings: bool = True) -> str:
        """Read until the service closes the connection; its reason."""
        try:
            while True:
                await self.receive(timeout=timeout, answer_pings=answer_pings)
        except Refusal as refusal:
            return str(refusal)
