"""Gossip across real services: delivered once per node, relayed only when the handler says valid,
never back to where it came from, never in circles."""

import pytest

from chain.network import NetworkService
from chain.network.messages import MAX_TRANSACTIONS_PER_MESSAGE

from .helpers import Network, chain_status, eventually, make_block, peer_ids, run, throughout

pytestmark = pytest.mark.timeout(30)


async def line(net: Network) -> tuple[NetworkService, NetworkService, NetworkService]:
    """A – B – C: B dials both ends, which do not know each other."""
    a, c = await net.node(), await net.node()
    b = await net.node(bootnodes=(a.local_url, c.local_url))
    await eventually(lambda: peer_ids(b) == {a.node_id, c.node_id} and a.peer_count == c.peer_count == 1,
                     what="the line A - B - C")
    return a, b, c


def test_a_block_crosses_a_line_once_and_never_comes_back():
    async def scenario():
        async with Network() as net:
            a, b, c = await line(net)
            block = make_block(1)
            assert a.broadcast_block(block) == 1
            await eventually(lambda: c.handler.blocks, what="C receives the block")
            assert c.broadcast_block(block) == 0
            await throughout(lambda: b.handler.blocks == [(a.node_id, block)]
                             and c.handler.blocks == [(b.node_id, block)] and a.handler.blocks == [],
                             what="one delivery per node")

    run(scenario)


def test_votes_commits_and_transactions_are_gossiped_the_same_way():
    async def scenario():
        async with Network() as net:
            a, b, c = await line(net)
            a.broadcast_vote(b"vote 1")
            a.broadcast_commit(b"justification 1")
            a.broadcast_transactions([b"tx 1", b"tx 2"])
            c.broadcast_transactions([b"tx 2", b"tx 3"])
            await eventually(lambda: a.handler.transactions and c.handler.transactions
                             and c.handler.votes and c.handler.commits, what="gossip reaching the ends")
            await throughout(lambda: (
                c.handler.votes == [(b.node_id, b"vote 1")] and c.handler.commits == [(b.node_id, b"justification 1")]
                and a.handler.votes == [] and a.handler.commits == []
                and sorted(raw for _, raw in b.handler.transactions) == [b"tx 1", b"tx 2", b"tx 3"]
                and a.handler.transactions == [(b.node_id, b"tx 3")]
                and c.handler.transactions == [(b.node_id, b"tx 1")]),
                what="one delivery per node")

    run(scenario)


def test_a_triangle_delivers_once_and_does_not_loop():
    async def scenario():
        async with Network() as net:
            a = await net.node()
            b = await net.node(bootnodes=(a.local_url,))
            c = await net.node(bootnodes=(a.local_url, b.local_url))
            await eventually(lambda: a.peer_count == b.peer_count == c.peer_count == 2, what="the triangle")
            a.broadcast_block(make_block(2))
            await eventually(lambda: b.handler.blocks and c.handler.blocks, what="delivery")
            await throughout(lambda: len(b.handler.blocks) == len(c.handler.blocks) == 1 and not a.handler.blocks,
                             what="one delivery per node")

    run(scenario)


def test_what_the_handler_finds_invalid_is_not_relayed():
    async def scenario():
        async with Network() as net:
            a, b, c = await line(net)
            b.handler.relay = False
            a.broadcast_vote(b"a vote B will not vouch for")
            a.broadcast_transactions([b"a transaction B will not admit"])
            await eventually(lambda: b.handler.votes and b.handler.transactions, what="B receives both")
            await throughout(lambda: not c.handler.votes and not c.handler.transactions, what="nothing reaches C")

    run(scenario)


def test_blob_announcements_reach_direct_peers_once_and_are_not_relayed():
    async def scenario():
        async with Network() as net:
            a, b, c = await line(net)
            blob_hash = b"\xab" * 32
            a.broadcast_blob(blob_hash, 1234)
            a.broadcast_blob(blob_hash, 1234)
            c.broadcast_blob(blob_hash, 1234)
            await eventually(lambda: len(b.handler.blobs) == 2, what="B hears from A and from C")
            assert sorted(b.handler.blobs) == sorted([(a.node_id, blob_hash, 1234), (c.node_id, blob_hash, 1234)])
            await throughout(lambda: len(b.handler.blobs) == 2 and not a.handler.blobs and not c.handler.blobs,
                             what="no relay, no repeat")

    run(scenario)


def test_a_status_announcement_reaches_the_peers():
    async def scenario():
        async with Network() as net:
            a, b, c = await line(net)
            b.handler.status = chain_status(best=9, finalized=6)
            assert b.announce_status() == 2
            for end in (a, c):
                await eventually(lambda: end.peers[0].status == chain_status(best=9, finalized=6)
                                 and end.handler.peer_statuses[-1] == (b.node_id, chain_status(best=9, finalized=6)),
                                 what="the new status at each end")

    run(scenario)


def test_many_transactions_travel_in_several_messages():
    async def scenario():
        async with Network() as net:
            a = await net.node()
            b = await net.node(bootnodes=(a.local_url,))
            await eventually(lambda: a.peer_count == b.peer_count == 1, what="connected")
            raws = [b"transaction %d" % n for n in range(MAX_TRANSACTIONS_PER_MESSAGE * 2 + 1)]
            assert a.broadcast_transactions(raws) == 1
            await eventually(lambda: len(b.handler.transactions) == len(raws), what="all delivered")
            assert [raw for _, raw in b.handler.transactions] == raws

    run(scenario)


def test_a_stemmed_transaction_goes_to_one_random_peer_which_gossips_it_on():
    """The origin of an unsigned (ring-authorised) call: its node sends it to one peer only; that peer is the
    first to gossip it, so the other peers hear it from the peer, not from the origin (network.md, "Stem")."""
    async def scenario():
        async with Network() as net:
            hub, spokes = await net.node(), []
            for _ in range(3):
                spokes.append(await net.node(bootnodes=(hub.local_url,) + tuple(s.local_url for s in spokes)))
            await eventually(lambda: hub.peer_count == 3 and all(s.peer_count == 3 for s in spokes),
                             what="four nodes, all connected")
            first_hops = set()
            for index in range(12):
                raw = f"blind call {index}".encode()
                assert hub.stem_transactions([raw]) == 1, "exactly one peer"
                await eventually(lambda: all(any(r == raw for _, r in s.handler.transactions) for s in spokes),
                                 what="every spoke gets it")
                senders = {s.node_id: [p for p, r in s.handler.transactions if r == raw] for s in spokes}
                direct = [node for node, origins in senders.items() if hub.node_id in origins]
                assert len(direct) == 1, "only the stem peer heard it from the hub"
                first_hops.add(direct[0])
            assert len(first_hops) > 1, "the stem peer is drawn at random, not always the same"
            assert not hub.handler.transactions, "the origin never takes its own call back as new"

    run(scenario)
