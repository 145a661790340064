"""A node stops when told, whatever its network tasks are doing then: `flockchain testnet` relies on each node
exiting on SIGTERM (PR_SET_PDEATHSIG when the testnet itself is killed), and a lost cancellation left a node
running for good.

On Python 3.11, asyncio.wait_for drops a cancellation that comes in the loop turn its awaitable finishes in.
A node told to stop just as a bootnode closed its handshake (the whole testnet stopping at once) kept its
dialer redialing, and `NetworkService.stop` waited on it forever. These tests make that turn happen on
purpose instead of by chance.
"""

import asyncio
from dataclasses import replace

import pytest

from chain.network import NetworkService
from chain.network.messages import Blocks
from chain.network.peer import Peer
from chain.network.service import Refused
from tests.network.helpers import FAST, RecordingHandler, chain_status, new_key, run

pytestmark = pytest.mark.timeout(60)

STOP_SECONDS = 5


def test_stop_ends_a_dialer_whose_handshake_ends_as_it_is_cancelled():
    async def scenario():
        bootnode = NetworkService(RecordingHandler(), new_key(), FAST)
        await bootnode.start()
        service = NetworkService(RecordingHandler(), new_key(), replace(FAST, bootnodes=(bootnode.local_url,)))
        loop = asyncio.get_running_loop()
        stopping: list[asyncio.Task] = []

        async def handshake_closed_by_the_bootnode(ws, outbound, dialed_url):
            """Ends now, and `stop` starts in this same loop turn (as SIGTERM and the peer's close can)."""
            if not stopping:
                loop.call_soon(lambda: stopping.append(loop.create_task(service.stop())))
            raise Refused("closed by the peer", routine=True)

        service._handshake = handshake_closed_by_the_bootnode
        try:
            await service.start()
            while not stopping:
                await asyncio.sleep(0.01)
            try:
                await asyncio.wait_for(asyncio.shield(stopping[0]), STOP_SECONDS)
            except TimeoutError:
                pytest.fail(f"stop() still waiting after {STOP_SECONDS} s: "
                            f"{[task for task in service._dialers.values() if not task.done()]}")
            assert all(task.done() for task in service._dialers.values())
        finally:
            for task in service._dialers.values():
                task.cancel()
            await bootnode.stop()
            if service._session is not None:
                await service._session.close()
    run(scenario)


def test_a_block_request_cancelled_as_its_answer_comes_is_cancelled():
    """A sync cancelled by `NodeService.stop` must end, not go on with the answer that came in the same turn."""
    async def scenario():
        peer = Peer(None, b"\x01" * 64, chain_status(), "", "", "127.0.0.1", 1, True, 5.0, 8, lambda *_: None)
        request = asyncio.get_running_loop().create_task(peer.request_blocks(0, 1))
        await asyncio.sleep(0)
        assert peer.resolve(Blocks(0, ())) is None
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
    run(scenario)
