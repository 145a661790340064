"""The node's aiohttp server: JSON-RPC 2.0 over HTTP (POST /) and WebSocket (GET / with Upgrade),
the blob store at /blobs and the explorer (a plain GET /, rpc/explorer), on one port.

Requests go through rpc/dispatch.py, the dispatcher every server of the project shares: web pages
are refused before anything else (rpc/web_policy.py: Host, Origin, Content-Type); limits (request
bytes, batch length, here also WebSocket connections) are refused with a clear error before any
work is done; any exception inside a method becomes -32603 and the node keeps running.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import CoroutineType

from aiohttp import WSMsgType, web

from chain.blobs import BlobStore

from . import arena, eth, explorer, flock, substrate
from .blobs import BLOBS_PATH, BlobRoutes, error_response
from .dispatch import Answer, Dispatcher, Pending, RpcLimits, error_reply, parse_json, refuse_json
from .errors import LIMIT_EXCEEDED, RpcError
from .eth import CLIENT_VERSION
from .openrpc import OpenRpcInfo
from .registry import Registry
from .subscriptions import Connection, EventHub
from .web_policy import WebPolicy


@dataclass
class RpcContext:
    """What methods see: the node, the event hub, dev keys (dev chains only), the network (a
    networked node), and, over a WebSocket, the caller's connection (for subscriptions)."""

    node: object
    on_transaction: Callable = lambda tx: None
    dev: bool = False
    hub: EventHub | None = None
    dev_keys: dict = field(default_factory=dict)
    connection: Connection | None = None
    origin: str | None = None
    """The caller's browser Origin (None for curl, web3.py, ethers in Node), for dev-only methods' bar."""
    network: object | None = None
    """A networked node's peers and sync progress (chain/service.py NodeService); None on a dev chain."""


REGISTRIES = (eth.registry, flock.registry, arena.registry, substrate.registry)
"""Every namespace a node serves (dev-only methods are dropped unless the context is a dev chain)."""

NODE_INFO = OpenRpcInfo("flockchain JSON-RPC", CLIENT_VERSION,
                        "Ethereum JSON-RPC for wallets and scripts, Substrate-style chain_/state_/system_/author_ "
                        "namespaces, and flock_ methods for runtime modules and FL state.")


class RpcServer:
    def __init__(self, context: RpcContext, registries: tuple[Registry, ...] = REGISTRIES,
                 limits: RpcLimits = RpcLimits(), blobs: BlobStore | None = None, policy: WebPolicy = WebPolicy()):
        self.context = context
        self.limits = limits
        self.blobs = blobs
        """Served at /blobs on the same port when given (rpc/blobs.py); JSON-RPC methods never see it."""
        self.websockets = 0
        self.dispatcher = Dispatcher(registries, NODE_INFO, context.dev, limits, policy)
        self.methods = self.dispatcher.methods

    def context_for(self, connection: Connection | None, origin: str | None) -> RpcContext:
        """The node's context as one caller sees it: its WebSocket (for subscriptions) and browser Origin."""
        return self.context if connection is None and origin is None \
            else replace(self.context, connection=connection, origin=origin)

    def handle_payload(self, text: str | bytes, connection: Connection | None = None,
                       origin: str | None = None) -> Answer | Pending:
        """Answer one HTTP body or WebSocket message; None when nothing is to be sent back."""
        return self.dispatcher.handle_payload(text, self.context_for(connection, origin), origin)

    async def websocket_handler(self, request: web.Request) -> web.WebSocketResponse:
        """Text and binary frames both carry JSON (web3.py sends binary by default, as geth accepts)."""
        if self.websockets >= self.limits.max_websockets:
            return web.json_response(error_reply(None, RpcError(LIMIT_EXCEEDED, "too many WebSocket connections "
                                                                f"(limit {self.limits.max_websockets})")), status=503)
        origin = self.dispatcher.policy.page_origin(request)
        ws = web.WebSocketResponse(max_msg_size=self.limits.max_request_bytes)
        await ws.prepare(request)
        connection = Connection(ws)
        writer = asyncio.get_running_loop().create_task(connection.drain())
        self.websockets += 1
        try:
            async for message in ws:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    response = self.handle_payload(message.data, connection, origin)
                    if isinstance(response, CoroutineType):
                        response = await response
                    if response is not None:
                        connection.send(response)
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            self.websockets -= 1
            if self.context.hub is not None:
                self.context.hub.disconnect(connection)
            writer.cancel()
        return ws

    @staticmethod
    def refuse(request: web.Request, status: int, message: str) -> web.Response:
        """The web policy's refusals: JSON-RPC errors at /, the blob routes' {"error"} shape below /blobs."""
        if request.path.startswith(BLOBS_PATH):
            return error_response(status, message)
        return refuse_json(request, status, message)

    def app(self) -> web.Application:
        app = self.dispatcher.application(lambda origin: self.context_for(None, origin), self.websocket_handler,
                                          self.refuse, explorer.index)
        explorer.register(app)
        if self.blobs is not None:
            BlobRoutes(self.blobs).register(app)
        return app


__all__ = ["NODE_INFO", "REGISTRIES", "RpcContext", "RpcLimits", "RpcServer", "parse_json"]
