"""GET_BLOCKS / BLOCKS: a peer's canonical blocks by number, capped, and lies punished."""

import asyncio

import pytest

from chain.network import BadPeerData, InvalidResponse, PeerDisconnected, RequestTimeout
from chain.network.messages import Blocks, GetBlocks

from .helpers import Network, RawPeer, RecordingHandler, eventually, make_block, make_chain, run

pytestmark = pytest.mark.timeout(30)

CHAIN = make_chain(10)


async def connected_pair(net: Network, **server_config):
    """A client node connected to a node serving CHAIN; returns (client, its Peer for the server)."""
    server = await net.node(RecordingHandler(chain=CHAIN), **server_config)
    client = await net.node(bootnodes=(server.local_url,))
    await eventually(lambda: client.peer_count == 1 and server.peer_count == 1, what="connected")
    return client, client.peers[0]


def test_blocks_come_back_in_order_with_their_justifications():
    async def scenario():
        async with Network() as net:
            _, peer = await connected_pair(net)
            assert await peer.request_blocks(2, 5) == CHAIN[2:7]
            assert await peer.request_blocks(8, 5) == CHAIN[8:]
            assert await peer.request_blocks(100, 5) == []
            assert await peer.request_blocks(0, 0) == []

    run(scenario)


def test_answers_are_capped_by_count_and_by_bytes():
    async def scenario():
        async with Network() as net:
            _, peer = await connected_pair(net, max_blocks_per_response=4)
            assert await peer.request_blocks(0, 10) == CHAIN[:4]
        async with Network() as net:
            _, peer = await connected_pair(net, max_response_bytes=len(CHAIN[1][0]) + len(CHAIN[2][0]))
            assert await peer.request_blocks(1, 10) == CHAIN[1:3]

    run(scenario)


def test_a_handler_may_request_blocks_from_the_peer_it_is_handling():
    """Handler calls run apart from the connection's reader, so awaiting the answer does not deadlock."""

    class SyncingHandler(RecordingHandler):
        def __init__(self):
            super().__init__()
            self.synced = None

        async def on_peer_status(self, peer, status):
            self.synced = await peer.request_blocks(0, 3)

    async def scenario():
        async with Network() as net:
            server = await net.node(RecordingHandler(chain=CHAIN))
            client = await net.node(SyncingHandler(), bootnodes=(server.local_url,))
            await eventually(lambda: client.handler.synced is not None, what="the sync in on_peer_status")
            assert client.handler.synced == CHAIN[:3]

    run(scenario)


async def serve_raw(net: Network, answer):
    """A node connected to a raw peer that answers its first GET_BLOCKS with `answer(request)`."""
    service = await net.node()
    raw = RawPeer()
    await raw.connect(service.local_url)
    await raw.handshake()
    await eventually(lambda: service.peer_count == 1, what="connected")

    async def respond():
        request = await raw.receive()
        assert isinstance(request, GetBlocks)
        if answer is not None:
            await raw.send(answer(request))
        await raw.refusal(timeout=5.0)

    return service, raw, asyncio.get_running_loop().create_task(respond())


@pytest.mark.parametrize("lie, reason", [
    (lambda request: Blocks(request.request_id, tuple((make_block(n), None) for n in range(2, 5))),
     "3 blocks in answer to a request for 2"),
    (lambda request: Blocks(request.request_id, ((make_block(3), None), (make_block(2), None))),
     "block #3 where #2 was asked for"),
    (lambda request: Blocks(request.request_id, ((b"not a block", None),)), "an undecodable block in BLOCKS"),
])
def test_a_lying_responder_fails_the_request_and_is_banned(lie, reason):
    async def scenario():
        async with Network() as net:
            service, raw, responder = await serve_raw(net, lie)
            async with raw:
                with pytest.raises(InvalidResponse, match=reason) as lie_found:
                    await service.peers[0].request_blocks(2, 2)
                assert isinstance(lie_found.value, BadPeerData)
                await eventually(lambda: service.is_banned(raw.node_id) and service.peer_count == 0, what="the ban")
                await responder

    run(scenario)


def test_a_silent_responder_times_out_and_a_late_answer_is_ignored():
    async def scenario():
        async with Network() as net:
            service, raw, responder = await serve_raw(net, None)
            async with raw:
                peer = service.peers[0]
                with pytest.raises(RequestTimeout, match="did not answer GET_BLOCKS from 0") as timed_out:
                    await peer.request_blocks(0, 1, timeout=0.1)
                assert isinstance(timed_out.value, TimeoutError)
                await raw.send(Blocks(0, ((make_block(0), None),)))
                await asyncio.sleep(0.1)
                assert service.peers == [peer] and not service.is_banned(raw.node_id)
                responder.cancel()

    run(scenario)


def test_a_disconnect_fails_the_request_in_flight():
    async def scenario():
        async with Network() as net:
            service, raw, responder = await serve_raw(net, None)
            peer = service.peers[0]
            request = asyncio.get_running_loop().create_task(peer.request_blocks(0, 1, timeout=5.0))
            await asyncio.sleep(0.05)
            responder.cancel()
            await raw.close()
            with pytest.raises(PeerDisconnected):
                await request
            with pytest.raises(ConnectionError):
                await peer.request_blocks(0, 1)

    run(scenario)
