"""Misbehaving peers are disconnected and banned for a while; the node itself keeps running."""

import logging

import aiohttp
import pytest

from chain.network.handshake import make_hello
from chain.network.messages import Blocks, NewBlock, encode_message
from runtime.crypto import rlp_encode

from .helpers import Network, RawPeer, Refusal, chain_status, eventually, make_block, peer_ids, run, throughout

pytestmark = pytest.mark.timeout(30)


def test_bad_peer_data_disconnects_and_bans_until_the_ban_ends(caplog):
    async def scenario():
        async with Network() as net:
            b = await net.node(ban_seconds=0.7)
            a = await net.node(bootnodes=(b.local_url,))
            await eventually(lambda: a.peer_count == b.peer_count == 1, what="connected")
            bad_block = make_block(1)
            b.handler.invalid.add(bad_block)
            a.broadcast_block(bad_block)
            await eventually(lambda: a.peer_count == b.peer_count == 0, what="the disconnection")
            assert b.is_banned(a.node_id)
            assert "banned" in caplog.text and "an invalid payload" in caplog.text
            await throughout(lambda: a.peer_count == b.peer_count == 0, duration=0.25, what="A's redials refused")
            assert "the node id is banned" in caplog.text
            await eventually(lambda: peer_ids(b) == {a.node_id}, what="reconnection after the ban")

    with caplog.at_level(logging.DEBUG, logger="flockchain.network"):
        run(scenario)


def test_a_handler_bug_is_logged_and_the_peer_stays(caplog):
    async def scenario():
        async with Network() as net:
            b = await net.node()
            a = await net.node(bootnodes=(b.local_url,))
            await eventually(lambda: a.peer_count == b.peer_count == 1, what="connected")
            [peer] = b.peers
            b.handler.broken.add(b"vote")
            a.broadcast_vote(b"vote")
            a.broadcast_block(make_block(3))
            await eventually(lambda: b.handler.blocks, what="the next message handled")
            assert "the handler failed on a message from" in caplog.text and "a bug in the handler" in caplog.text
            assert b.peers == [peer] and not b.is_banned(a.node_id)

    with caplog.at_level(logging.INFO, logger="flockchain.network"):
        run(scenario)


@pytest.mark.parametrize("frame, reason", [
    (b"\xff\x00 not rlp", "an undecodable message (not a valid RLP message"),
    (rlp_encode([b"\x63", b"payload"]), "unknown message type 99"),
    (rlp_encode([b"\x05", b"pong with a payload"]), "PONG has 0 fields, got 1"),
    (encode_message(make_hello(chain_status(), b"\x02" * 33, b"\x00" * 32, "", "")), "HELLO after the handshake"),
    (encode_message(Blocks(7, ())), "BLOCKS answers request 7, which was never made"),
    ("a text frame", "a text frame"),
])
def test_a_protocol_violation_after_the_handshake_is_a_ban(frame, reason):
    async def scenario():
        async with Network() as net:
            service = await net.node()
            async with RawPeer() as raw:
                await raw.connect(service.local_url)
                await raw.handshake()
                await (raw.ws.send_str(frame) if isinstance(frame, str) else raw.send_bytes(frame))
                refusal = await raw.refusal()
                assert refusal.startswith("banned: ") and reason in refusal
            assert service.is_banned(raw.node_id) and service.peer_count == 0

    run(scenario)


def test_after_garbage_the_sender_stays_banned_and_the_node_keeps_serving():
    async def scenario():
        async with Network() as net:
            service = await net.node()
            async with RawPeer() as raw:
                await raw.connect(service.local_url)
                await raw.handshake()
                await raw.send_bytes(b"\x00garbage\xff" * 100)
                assert (await raw.refusal()).startswith("banned: ")
            async with RawPeer(raw.key) as again:
                await again.connect(service.local_url)
                with pytest.raises(Refusal, match="the node id is banned"):
                    await again.handshake()
            honest = await net.node(bootnodes=(service.local_url,))
            await eventually(lambda: peer_ids(service) == {honest.node_id} and peer_ids(honest) == {service.node_id},
                             what="an honest peer connected, both ends")
            assert honest.broadcast_block(make_block(4)) == 1
            await eventually(lambda: service.handler.blocks == [(honest.node_id, make_block(4))], what="gossip")

    run(scenario)


def test_without_the_loopback_exemption_the_address_is_banned_too():
    async def scenario():
        async with Network() as net:
            service = await net.node(address_ban_exempt=())
            async with RawPeer() as raw:
                await raw.connect(service.local_url)
                await raw.handshake()
                await raw.send_bytes(b"garbage")
                await raw.refusal()
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await RawPeer().connect(service.local_url)
            assert refused.value.status == 403

    run(scenario)


def test_a_frame_over_the_size_limit_is_a_ban():
    async def scenario():
        async with Network() as net:
            service = await net.node(max_message_bytes=4096, max_response_bytes=2048)
            async with RawPeer() as raw:
                await raw.connect(service.local_url)
                await raw.handshake()
                await raw.send(NewBlock(b"\x01" * 8192))
                await raw.refusal()
            await eventually(lambda: service.is_banned(raw.node_id), what="the ban")
            with pytest.raises(ValueError, match="exceeds max_message_bytes"):
                service.broadcast_block(b"\x01" * 8192)

    run(scenario)


def test_misbehaviour_found_outside_a_handler_call_can_be_punished():
    async def scenario():
        async with Network() as net:
            b = await net.node()
            a = await net.node(bootnodes=(b.local_url,))
            await eventually(lambda: a.peer_count == b.peer_count == 1, what="connected")
            await b.punish(b.peers[0], "a block found invalid during sync")
            assert b.peer_count == 0 and b.is_banned(a.node_id)
            await eventually(lambda: a.peer_count == 0, what="A disconnected")
            await throughout(lambda: a.peer_count == b.peer_count == 0, what="A's redials refused")

    run(scenario)
