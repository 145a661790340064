"""One aiohttp server for JSON-RPC 2.0 over HTTP (POST /) and WebSocket (GET / with Upgrade).

Web pages are refused before anything else (rpc/web_policy.py: Host, Origin, Content-Type);
limits (request bytes, batch length) are refused with a clear error before any work is done;
any exception inside a method becomes -32603 and the node keeps running.
"""

import asyncio
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from aiohttp import WSMsgType, web

from chain.blobs import BlobStore

from . import eth, flock, substrate
from .blobs import BLOBS_PATH, BlobRoutes, error_response
from .eth import CLIENT_VERSION
from .errors import (INTERNAL_ERROR, INVALID_REQUEST, LIMIT_EXCEEDED, METHOD_NOT_FOUND, PARSE_ERROR, RpcError)
from .openrpc import openrpc_document
from .registry import Method, Registry
from .subscriptions import Connection, EventHub
from .web_policy import JSON_TYPES, WebPolicy, refuse_content_type

log = logging.getLogger("flockchain.rpc")


@dataclass(frozen=True)
class RpcLimits:
    max_request_bytes: int = 5 * 1024 * 1024
    max_batch_length: int = 1000
    max_websockets: int = 200
    """Open WebSocket connections; each holds subscriptions and an outbox, so their number is bounded."""


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


JSON_RECURSION_LIMIT = 1000
"""Python's default recursion limit, which the C stack is known to hold, applied while parsing a request."""


def parse_json(text: str | bytes):
    """json.loads under Python's default recursion limit; deeper nesting raises ValueError.

    The C decoder recurses once per nesting level, and py_ecc (imported through eth_account)
    raises the process-wide limit to 100,000 at import: a body of ~100,000 `[` would then
    overflow the C stack and kill the node with SIGSEGV instead of getting a parse error.
    """
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(min(limit, JSON_RECURSION_LIMIT))
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    finally:
        sys.setrecursionlimit(limit)


REGISTRIES = (eth.registry, flock.registry, substrate.registry)
"""Every namespace a node serves (dev-only methods are dropped unless the context is a dev chain)."""


def _error(id_, error: RpcError) -> dict:
    return {"jsonrpc": "2.0", "id": id_, "error": error.to_json()}


class RpcServer:
    def __init__(self, context: RpcContext, registries: tuple[Registry, ...] = REGISTRIES,
                 limits: RpcLimits = RpcLimits(), blobs: BlobStore | None = None, policy: WebPolicy = WebPolicy()):
        self.context = context
        self.limits = limits
        self.policy = policy
        self.blobs = blobs
        """Served at /blobs on the same port when given (rpc/blobs.py); JSON-RPC methods never see it."""
        self.websockets = 0
        self.methods = {}
        for registry in registries:
            for name, method in registry.methods.items():
                if method.dev_only and not context.dev:
                    continue
                if name in self.methods:
                    raise ValueError(f"method {name} registered twice")
                self.methods[name] = method
        self.methods["rpc.discover"] = Method("rpc.discover", self.discover, (), "OpenRPC document",
                                              "This server's methods, parameters and results (OpenRPC).")

    def discover(self, context) -> dict:
        return openrpc_document(self.methods, CLIENT_VERSION)

    def handle_payload(self, text: str | bytes, connection: Connection | None = None,
                       origin: str | None = None) -> dict | list | None:
        """Answer one HTTP body or WebSocket message; None when nothing is to be sent back."""
        try:
            request = parse_json(text)
        except ValueError as error:
            return _error(None, RpcError(PARSE_ERROR, f"parse error: {error}"))
        if isinstance(request, list):
            if not request:
                return _error(None, RpcError(INVALID_REQUEST, "invalid request: empty batch"))
            if len(request) > self.limits.max_batch_length:
                return _error(None, RpcError(LIMIT_EXCEEDED, f"batch of {len(request)} requests exceeds the limit of "
                                             f"{self.limits.max_batch_length}"))
            responses = [r for r in (self.handle_request(item, connection, origin) for item in request)
                         if r is not None]
            return responses or None
        return self.handle_request(request, connection, origin)

    def handle_request(self, request, connection: Connection | None = None, origin: str | None = None) -> dict | None:
        if not isinstance(request, dict):
            return _error(None, RpcError(INVALID_REQUEST, "invalid request: expected a JSON object"))
        id_ = request.get("id")
        is_notification = "id" not in request
        if request.get("jsonrpc") != "2.0" or not isinstance(request.get("method"), str) \
                or not (id_ is None or isinstance(id_, (str, int))) or isinstance(id_, bool):
            return _error(id_ if isinstance(id_, (str, int)) and not isinstance(id_, bool) else None,
                          RpcError(INVALID_REQUEST, "invalid request: needs jsonrpc \"2.0\", a string method and a string or number id"))
        method = self.methods.get(request["method"])
        try:
            if method is None:
                raise RpcError(METHOD_NOT_FOUND, f"the method {request['method']} does not exist/is not available")
            if self.policy.is_browser_barred(origin, method.dev_only):
                raise RpcError(METHOD_NOT_FOUND, f"the method {method.name} is not available to browser origins "
                                                 "(start the dev chain with --allow-browser-signing to allow it)")
            context = self.context if connection is None and origin is None \
                else replace(self.context, connection=connection, origin=origin)
            result = method.handler(context, *method.parse(request.get("params")))
        except RpcError as error:
            return None if is_notification else _error(id_, error)
        except Exception:
            log.exception("internal error in %s", request["method"])
            return None if is_notification else _error(id_, RpcError(INTERNAL_ERROR, "internal error"))
        return None if is_notification else {"jsonrpc": "2.0", "id": id_, "result": result}

    async def http_handler(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.websocket_handler(request)
        if request.method != "POST":
            return web.json_response(_error(None, RpcError(INVALID_REQUEST, "send JSON-RPC as HTTP POST")), status=405)
        bad_type = refuse_content_type(request, JSON_TYPES)
        if bad_type is not None:
            return web.json_response(_error(None, RpcError(INVALID_REQUEST, bad_type)), status=415)
        if request.content_length is not None and request.content_length > self.limits.max_request_bytes:
            return web.json_response(_error(None, RpcError(LIMIT_EXCEEDED, f"request of {request.content_length} bytes "
                                                           f"exceeds the limit of {self.limits.max_request_bytes}")),
                                     status=413)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.json_response(_error(None, RpcError(LIMIT_EXCEEDED, "request exceeds the size limit of "
                                                           f"{self.limits.max_request_bytes} bytes")), status=413)
        response = self.handle_payload(body, origin=request.headers.get("Origin"))
        if response is None:
            return web.Response(status=204)
        return web.json_response(response)

    async def websocket_handler(self, request: web.Request) -> web.WebSocketResponse:
        """Text and binary frames both carry JSON (web3.py sends binary by default, as geth accepts)."""
        if self.websockets >= self.limits.max_websockets:
            return web.json_response(_error(None, RpcError(LIMIT_EXCEEDED, "too many WebSocket connections (limit "
                                                           f"{self.limits.max_websockets})")), status=503)
        origin = request.headers.get("Origin")
        ws = web.WebSocketResponse(max_msg_size=self.limits.max_request_bytes)
        await ws.prepare(request)
        connection = Connection(ws)
        writer = asyncio.get_running_loop().create_task(connection.drain())
        self.websockets += 1
        try:
            async for message in ws:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    response = self.handle_payload(message.data, connection, origin)
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
        return web.json_response(_error(None, RpcError(INVALID_REQUEST, message)), status=status)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.limits.max_request_bytes,
                              middlewares=[self.policy.middleware(self.refuse)])
        app.router.add_route("*", "/", self.http_handler)
        if self.blobs is not None:
            BlobRoutes(self.blobs).register(app)
        return app
