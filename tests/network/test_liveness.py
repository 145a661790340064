"""Connections over time: keepalive and idle drops, partitions and healing, bootnodes redialed after a
restart, and a stop that leaves nothing running."""

import asyncio
from dataclasses import replace

import pytest

from chain.network import NetworkService

from .helpers import (FAST, Network, RawPeer, RecordingHandler, eventually, make_block, new_key, peer_ids, run,
                      throughout)

pytestmark = pytest.mark.timeout(30)


def test_a_silent_peer_is_dropped_after_the_idle_timeout():
    async def scenario():
        async with Network() as net:
            service = await net.node(idle_timeout=0.3, ping_interval=0.05)
            async with RawPeer() as raw:
                await raw.connect(service.local_url)
                await raw.handshake()
                assert "silent for 0.3s" in await raw.refusal(answer_pings=False)
            assert service.peer_count == 0 and not service.is_banned(raw.node_id)

    run(scenario)


def test_pings_keep_quiet_peers_connected():
    async def scenario():
        async with Network() as net:
            a = await net.node(idle_timeout=0.3, ping_interval=0.05)
            b = await net.node(idle_timeout=0.3, ping_interval=0.05, bootnodes=(a.local_url,))
            await eventually(lambda: a.peer_count == b.peer_count == 1, what="connected")
            [peer] = a.peers
            await throughout(lambda: a.peers == [peer], duration=0.4, what="the connection")

    run(scenario)


def test_a_partition_holds_until_unblocked_and_then_heals():
    async def scenario():
        async with Network() as net:
            a, c = await net.node(), await net.node()
            b = await net.node(bootnodes=(a.local_url, c.local_url))
            await eventually(lambda: peer_ids(b) == {a.node_id, c.node_id}, what="the line A - B - C")
            c.set_blocked({b.node_id})
            await eventually(lambda: peer_ids(b) == {a.node_id} and c.peer_count == 0, what="the partition")
            a.broadcast_block(make_block(1))
            await eventually(lambda: b.handler.blocks, what="B receives the block")
            await throughout(lambda: c.peer_count == 0 and not c.handler.blocks and not c.is_banned(b.node_id),
                             duration=0.2, what="the partition")
            c.set_blocked(())
            await eventually(lambda: peer_ids(c) == {b.node_id}, what="the healed link")
            a.broadcast_block(make_block(2))
            await eventually(lambda: c.handler.blocks == [(b.node_id, make_block(2))], what="gossip after healing")

    run(scenario)


def test_a_restarted_bootnode_is_redialed():
    async def scenario():
        async with Network() as net:
            key = new_key()
            bootnode = await net.node(key=key)
            port = int(bootnode.local_url.rsplit(":", 1)[1].split("/")[0])
            follower = await net.node(bootnodes=(bootnode.local_url,))
            await eventually(lambda: peer_ids(follower) == {bootnode.node_id}, what="connected")
            await bootnode.stop()
            await eventually(lambda: follower.peer_count == 0, what="the drop")
            restarted = await net.node(key=key, port=port)
            await eventually(lambda: peer_ids(follower) == {restarted.node_id} and restarted.peer_count == 1,
                             what="the redial")

    run(scenario)


def test_a_vote_sent_again_reaches_a_peer_that_restarted_since_it_first_got_it():
    """A finality voter sends its votes again when a round stalls; a validator that was killed and restarted
    (same node id) has lost the ones it held and must get them again, not be skipped as their holder (a 4-node
    testnet's finality stayed stalled after a restart until this)."""
    async def scenario():
        async with Network() as net:
            voter = await net.node()
            key = new_key()
            first = await net.node(key=key, bootnodes=(voter.local_url,))
            await eventually(lambda: voter.peer_count == 1, what="connected")
            assert voter.broadcast_vote(b"prevote of round 7") == 1
            await eventually(lambda: first.handler.votes, what="the vote delivered")
            await first.stop()
            await eventually(lambda: voter.peer_count == 0, what="the drop")
            restarted = await net.node(key=key, bootnodes=(voter.local_url,))
            await eventually(lambda: peer_ids(voter) == {restarted.node_id}, what="the restarted peer")
            assert voter.broadcast_vote(b"prevote of round 7") == 1
            await eventually(lambda: restarted.handler.votes == [(voter.node_id, b"prevote of round 7")],
                             what="the vote delivered again")

    run(scenario)


@pytest.mark.timeout(10)
def test_stop_closes_connections_and_leaves_no_tasks():
    """A connection still in its handshake included; the scenario runs unwrapped so that the only task left
    is its own."""

    async def scenario():
        a = NetworkService(RecordingHandler(), new_key(), FAST)
        await a.start()
        b = NetworkService(RecordingHandler(), new_key(), replace(FAST, bootnodes=(a.local_url,)))
        await b.start()
        await eventually(lambda: a.peer_count == b.peer_count == 1, what="connected")
        raw = await RawPeer().connect(a.local_url)
        await asyncio.sleep(0.05)
        await b.stop()
        await eventually(lambda: a.peer_count == 0, what="A notices")
        await a.stop()
        await raw.close()
        assert a.peer_count == 0 and b.peer_count == 0
        await asyncio.sleep(0)
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(scenario())
