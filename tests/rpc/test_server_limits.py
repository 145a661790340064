"""Server-level limits that need no node process: WebSocket connections are bounded and freed on close."""

import asyncio

import aiohttp
from aiohttp.test_utils import TestServer

from rpc.server import RpcContext, RpcLimits, RpcServer


class NoNode:
    chain_id = 31337


def test_websocket_connections_are_bounded_and_released():
    async def scenario():
        server = RpcServer(RpcContext(NoNode()), limits=RpcLimits(max_websockets=2))
        async with TestServer(server.app()) as test_server, aiohttp.ClientSession() as session:
            url = test_server.make_url("/")
            first, second = await session.ws_connect(url), await session.ws_connect(url)
            try:
                await session.ws_connect(url)
            except aiohttp.WSServerHandshakeError as error:
                assert error.status == 503
            else:
                raise AssertionError("a third connection must be refused")
            await first.send_json({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
            assert (await first.receive_json())["result"] == "0x7a69"
            await first.close()
            for _ in range(50):
                if server.websockets < 2:
                    break
                await asyncio.sleep(0.02)
            third = await session.ws_connect(url)
            await third.close()
            await second.close()

    asyncio.run(scenario())
