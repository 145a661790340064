"""Server-level behaviour that needs no node process: WebSocket connections are bounded and freed on
close; the shared dispatcher (rpc/dispatch.py) answers synchronous methods at once and awaits
asynchronous ones (the Base devnet's) in a batch's order."""

import asyncio
import inspect
import json

import aiohttp
from aiohttp.test_utils import TestServer

from rpc.dispatch import Dispatcher
from rpc.openrpc import OpenRpcInfo
from rpc.params import QUANTITY
from rpc.registry import Param, Registry
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


def test_the_dispatcher_answers_sync_methods_at_once_and_awaits_async_ones_in_order():
    registry = Registry()
    added = []

    @registry.method("test_add", (Param("n", QUANTITY),), "quantity")
    async def add(context, n):
        await asyncio.sleep(0)
        added.append(n)
        return hex(sum(added))

    @registry.method("test_total", result="quantity")
    def total(context):
        return hex(sum(added))

    @registry.method("test_broken")
    async def broken(context):
        await asyncio.sleep(0)
        raise RuntimeError("a bug")

    @registry.method("test_reset", dev_only=True)
    def reset(context):
        added.clear()

    dispatcher = Dispatcher((registry,), OpenRpcInfo("test", "0", "a dispatcher under test"),
                            limits=RpcLimits(max_batch_length=4))
    assert dispatcher.handle_payload('{"jsonrpc": "2.0", "id": 1, "method": "test_total"}', None) == \
        {"jsonrpc": "2.0", "id": 1, "result": "0x0"}
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "test_add", "params": ["0x1"]},
             {"jsonrpc": "2.0", "id": 2, "method": "test_total"},
             {"jsonrpc": "2.0", "method": "test_add", "params": ["0x2"]},
             {"jsonrpc": "2.0", "id": 4, "method": "test_broken"}]
    pending = dispatcher.handle_payload(json.dumps(batch), None)
    assert inspect.isawaitable(pending) and added == []
    assert asyncio.run(pending) == [{"jsonrpc": "2.0", "id": 1, "result": "0x1"},
                                    {"jsonrpc": "2.0", "id": 2, "result": "0x1"},
                                    {"jsonrpc": "2.0", "id": 4, "error": {"code": -32603, "message": "internal error"}}]
    assert added == [1, 2]
    over = dispatcher.handle_payload(json.dumps(batch + batch[:1]), None)
    assert over["error"] == {"code": -32005, "message": "batch of 5 requests exceeds the limit of 4"}
    document = dispatcher.handle_payload('{"jsonrpc": "2.0", "id": 1, "method": "rpc.discover"}', None)["result"]
    assert document["info"] == {"title": "test", "version": "0", "description": "a dispatcher under test"}
    assert [m["name"] for m in document["methods"]] == ["rpc.discover", "test_add", "test_broken", "test_total"]
