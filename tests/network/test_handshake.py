"""The handshake between real services on loopback, and every reason a connection is refused."""

import logging
from dataclasses import replace

import aiohttp
import pytest

from chain.network.handshake import make_hello, sign_auth
from chain.network.messages import PROTOCOL_VERSION, Status

from .helpers import (Network, RawPeer, RecordingHandler, Refusal, chain_status, eventually, new_key, peer_ids, run,
                      throughout)

pytestmark = pytest.mark.timeout(30)


def test_two_nodes_handshake_and_learn_each_other():
    async def scenario():
        async with Network() as net:
            a = await net.node(RecordingHandler(chain_status(best=5, finalized=3)), rpc_url="http://127.0.0.1:8545")
            b = await net.node(RecordingHandler(chain_status(best=7)), bootnodes=(a.local_url,))
            await eventually(lambda: peer_ids(a) == {b.node_id} and peer_ids(b) == {a.node_id}, what="connected")
            [a_seen_by_b], [b_seen_by_a] = b.peers, a.peers
            assert b_seen_by_a.status == chain_status(best=7) and not b_seen_by_a.outbound
            assert a_seen_by_b.status == chain_status(best=5, finalized=3) and a_seen_by_b.outbound
            assert a_seen_by_b.rpc_url == "http://127.0.0.1:8545" and a_seen_by_b.listen_url == a.local_url
            assert b_seen_by_a.listen_url == b.local_url and b_seen_by_a.host == "127.0.0.1"
            assert a_seen_by_b.remote == a.local_url.removeprefix("ws://").removesuffix("/p2p")
            await eventually(lambda: a.handler.peer_statuses == [(b.node_id, chain_status(best=7))]
                             and b.handler.peer_statuses == [(a.node_id, chain_status(best=5, finalized=3))],
                             what="on_peer_status after the handshake")

    run(scenario)


@pytest.mark.parametrize("change, reason", [
    (dict(genesis_hash=b"\x01" * 32), "genesis 0x0101"),
    (dict(chain_id=1), "chain id 1, this node is on chain 31337"),
    (dict(version=PROTOCOL_VERSION + 1), f"protocol version {PROTOCOL_VERSION + 1}"),
])
def test_a_peer_of_another_chain_or_protocol_is_refused(change, reason):
    async def scenario():
        async with Network() as net:
            service = await net.node()
            async with RawPeer() as raw:
                await raw.connect(service.local_url)
                hello = replace(make_hello(raw.status, raw.node_id, b"\x01" * 32, "", ""), **change)
                with pytest.raises(Refusal, match=reason):
                    await raw.handshake(hello)
            assert service.peer_count == 0 and service.handler.peer_statuses == []

    run(scenario)


def test_services_on_different_genesis_never_connect(caplog):
    async def scenario():
        async with Network() as net:
            a = await net.node()
            b = await net.node(RecordingHandler(chain_status(genesis=b"\x09" * 32)), bootnodes=(a.local_url,))
            await eventually(lambda: "genesis 0x0909" in caplog.text, what="the refusal logged")
            await throughout(lambda: a.peer_count == 0 and b.peer_count == 0, what="no connection")

    with caplog.at_level(logging.INFO, logger="flockchain.network"):
        run(scenario)


def test_a_signature_by_another_key_is_refused():
    async def scenario():
        async with Network() as net:
            service = await net.node()
            async with RawPeer() as raw:
                await raw.connect(service.local_url)
                impostor_signature = sign_auth(new_key(), b"\x00" * 32)
                await raw.handshake(signature=impostor_signature)
                assert "signature does not match" in await raw.refusal()
            assert service.peer_count == 0

    run(scenario)


def test_a_connection_to_itself_is_refused_and_not_redialed(caplog):
    async def scenario():
        async with Network() as net:
            key = new_key()
            service = await net.node(key=key)
            service.dial(service.local_url)
            await eventually(lambda: "it is this node" in caplog.text, what="the dialer giving up")
            assert "refused: a connection to itself" in caplog.text and service.peer_count == 0
            async with RawPeer(key) as raw:
                await raw.connect(service.local_url)
                with pytest.raises(Refusal, match="a connection to itself"):
                    await raw.handshake()

    with caplog.at_level(logging.DEBUG, logger="flockchain.network"):
        run(scenario)


def test_a_second_connection_from_the_same_node_is_refused():
    async def scenario():
        async with Network() as net:
            service = await net.node()
            key = new_key()
            async with RawPeer(key) as first, RawPeer(key) as second:
                await first.connect(service.local_url)
                await first.handshake()
                await second.connect(service.local_url)
                with pytest.raises(Refusal, match="already connected"):
                    await second.handshake()
                assert peer_ids(service) == {first.node_id}

    run(scenario)


def test_the_peer_limit_refuses_one_more():
    async def scenario():
        async with Network() as net:
            service = await net.node(max_peers=1)
            async with RawPeer() as first, RawPeer() as second:
                await first.connect(service.local_url)
                await first.handshake()
                await second.connect(service.local_url)
                with pytest.raises(Refusal, match=r"peer limit reached \(1\)"):
                    await second.handshake()
                assert peer_ids(service) == {first.node_id}

    run(scenario)


def test_nodes_dialing_each_other_settle_on_one_connection():
    async def scenario():
        async with Network() as net:
            a, b = await net.node(), await net.node()
            a.dial(b.local_url)
            b.dial(a.local_url)
            # Each side may hold its own outbound connection for a moment, until the other's HELLO settles it.
            await eventually(lambda: a.peer_count == 1 and b.peer_count == 1
                             and a.peers[0].outbound != b.peers[0].outbound, what="one connection")
            [kept_by_a], [kept_by_b] = a.peers, b.peers
            lower_dialed = (kept_by_a.outbound if a.node_id < b.node_id else kept_by_b.outbound)
            assert lower_dialed and kept_by_a.outbound != kept_by_b.outbound
            await throughout(lambda: a.peers == [kept_by_a] and b.peers == [kept_by_b], duration=0.2,
                             what="the same single connection")

    run(scenario)


def test_a_message_before_the_handshake_is_a_ban_of_the_address():
    async def scenario():
        async with Network() as net:
            service = await net.node(address_ban_exempt=())
            async with RawPeer() as raw:
                await raw.connect(service.local_url)
                await raw.send(Status(1, b"\x00" * 32, 0, b"\x00" * 32))
                assert "STATUS where HELLO was due" in await raw.refusal()
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await RawPeer().connect(service.local_url)
            assert refused.value.status == 403

    run(scenario)


def test_a_silent_connection_is_closed_after_the_handshake_timeout():
    async def scenario():
        async with Network() as net:
            service = await net.node(handshake_timeout=0.2)
            async with RawPeer() as raw:
                await raw.connect(service.local_url)
                assert "no handshake within 0.2s" in await raw.refusal(timeout=2.0)

    run(scenario)


def test_a_web_page_cannot_open_the_p2p_port():
    """Browsers name the page's Origin on every WebSocket upgrade; peers never send one (rpc/web_policy.py)."""
    async def scenario():
        async with Network() as net:
            service = await net.node()
            async with aiohttp.ClientSession() as session:
                for origin in ("http://evil.example", "chrome-extension://abc", "null"):
                    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                        await session.ws_connect(service.local_url, headers={"Origin": origin})
                    assert refused.value.status == 403
            async with RawPeer() as raw:
                await raw.connect(service.local_url)

    run(scenario)
