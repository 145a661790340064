"""The one JSON-RPC 2.0 dispatcher every HTTP server of the project uses (the node's rpc/server.py,
the Base devnet's base_devnet/server.py): JSON parsing, requests, batches and notifications, the
request-size and batch-length limits, methods and their parameters from rpc/registry.py, the web
policy's bar on dev-only methods, the standard errors, and `rpc.discover`.

A handler declared `async def` (the devnet's wait for its worker thread) is awaited; only then is
an answer pending (a coroutine, to be awaited). A payload of synchronous methods is answered
synchronously, at no cost beyond a type check, and a batch runs in order, each request after the
one before it has finished.
"""

import json
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any
from dataclasses import dataclass
from types import CoroutineType

from aiohttp import hdrs, web

from .errors import INTERNAL_ERROR, INVALID_REQUEST, LIMIT_EXCEEDED, METHOD_NOT_FOUND, PARSE_ERROR, RpcError
from .openrpc import OpenRpcInfo, openrpc_document
from .registry import Method, Registry
from .web_policy import JSON_TYPES, WebPolicy, refuse_content_type

log = logging.getLogger("flockchain.rpc")

Answer = dict | list | None
"""What goes back for a payload: a response, a batch's responses, or nothing (notifications only)."""
Pending = Coroutine[None, None, Answer]
"""An answer that awaits an `async def` handler first."""


@dataclass(frozen=True)
class RpcLimits:
    max_request_bytes: int = 5 * 1024 * 1024
    max_batch_length: int = 1000
    max_websockets: int = 200
    """Open WebSocket connections; each holds subscriptions and an outbox, so their number is bounded."""


JSON_RECURSION_LIMIT = 1000
"""Python's default recursion limit, which the C stack is known to hold, applied while parsing a request."""


def parse_json(text: str | bytes):
    """json.loads under Python's default recursion limit; deeper nesting raises ValueError.

    The C decoder recurses once per nesting level, and py_ecc (imported through eth_account)
    raises the process-wide limit to 100,000 at import: a body of ~100,000 `[` would then
    overflow the C stack and kill the server with SIGSEGV instead of getting a parse error.
    """
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(min(limit, JSON_RECURSION_LIMIT))
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    finally:
        sys.setrecursionlimit(limit)


def error_reply(id_, error: RpcError) -> dict:
    return {"jsonrpc": "2.0", "id": id_, "error": error.to_json()}


def refuse_json(request: web.Request, status: int, message: str) -> web.Response:
    """A request refused before any method runs (web policy, HTTP method, size), as a JSON-RPC error."""
    return web.json_response(error_reply(None, RpcError(INVALID_REQUEST, message)), status=status)


def _failure(id_, is_notification: bool, method: str, error: Exception) -> dict | None:
    """A method's RpcError as it is; anything else is a bug, logged, and answered -32603 without details."""
    if not isinstance(error, RpcError):
        log.error("internal error in %s", method, exc_info=error)
        error = RpcError(INTERNAL_ERROR, "internal error")
    return None if is_notification else error_reply(id_, error)


class Dispatcher:
    """The methods of some registries (dev-only ones only on a dev chain), answered under `limits` and `policy`."""

    def __init__(self, registries: Iterable[Registry], info: OpenRpcInfo, dev: bool = False,
                 limits: RpcLimits = RpcLimits(), policy: WebPolicy = WebPolicy()):
        self.info = info
        self.limits = limits
        self.policy = policy
        self.methods: dict[str, Method] = {}
        for registry in registries:
            for name, method in registry.methods.items():
                if method.dev_only and not dev:
                    continue
                if name in self.methods:
                    raise ValueError(f"method {name} registered twice")
                self.methods[name] = method
        self.methods["rpc.discover"] = Method("rpc.discover", self.discover, (), "OpenRPC document",
                                              "This server's methods, parameters and results (OpenRPC).")

    def discover(self, context) -> dict:
        return openrpc_document(self.methods, self.info)

    def handle_payload(self, text: str | bytes, context, origin: str | None = None) -> Answer | Pending:
        """Answer one HTTP body or WebSocket message; `origin` is the caller's browser Origin, if any."""
        try:
            request = parse_json(text)
        except ValueError as error:
            return error_reply(None, RpcError(PARSE_ERROR, f"parse error: {error}"))
        if not isinstance(request, list):
            return self.handle_request(request, context, origin)
        if not request:
            return error_reply(None, RpcError(INVALID_REQUEST, "invalid request: empty batch"))
        if len(request) > self.limits.max_batch_length:
            return error_reply(None, RpcError(LIMIT_EXCEEDED, f"batch of {len(request)} requests exceeds the limit of "
                                              f"{self.limits.max_batch_length}"))
        answers = []
        for index, item in enumerate(request):
            answer = self.handle_request(item, context, origin)
            if isinstance(answer, CoroutineType):
                return self._finish_batch(answers, answer, request[index + 1:], context, origin)
            answers.append(answer)
        return [a for a in answers if a is not None] or None

    async def _finish_batch(self, answers: list, pending: Coroutine, rest: list, context, origin: str | None) -> Answer:
        answers.append(await pending)
        for item in rest:
            answer = self.handle_request(item, context, origin)
            answers.append(await answer if isinstance(answer, CoroutineType) else answer)
        return [a for a in answers if a is not None] or None

    def handle_request(self, request, context, origin: str | None = None) -> dict | None | Pending:
        """One request's response, None for a notification."""
        if not isinstance(request, dict):
            return error_reply(None, RpcError(INVALID_REQUEST, "invalid request: expected a JSON object"))
        id_ = request.get("id")
        is_notification = "id" not in request
        if request.get("jsonrpc") != "2.0" or not isinstance(request.get("method"), str) \
                or not (id_ is None or isinstance(id_, (str, int))) or isinstance(id_, bool):
            return error_reply(id_ if isinstance(id_, (str, int)) and not isinstance(id_, bool) else None,
                               RpcError(INVALID_REQUEST, "invalid request: needs jsonrpc \"2.0\", a string method and "
                                                         "a string or number id"))
        name = request["method"]
        method = self.methods.get(name)
        try:
            if method is None:
                raise RpcError(METHOD_NOT_FOUND, f"the method {name} does not exist/is not available")
            if self.policy.is_browser_barred(origin, method.dev_only):
                raise RpcError(METHOD_NOT_FOUND, f"the method {name} is not available to browser origins "
                                                 "(start the dev chain with --allow-browser-signing to allow it)")
            result = method.handler(context, *method.parse(request.get("params")))
        except Exception as error:
            return _failure(id_, is_notification, name, error)
        if isinstance(result, CoroutineType):
            return self._settle(result, id_, is_notification, name)
        return None if is_notification else {"jsonrpc": "2.0", "id": id_, "result": result}

    @staticmethod
    async def _settle(result: Coroutine, id_, is_notification: bool, name: str) -> dict | None:
        try:
            value = await result
        except Exception as error:
            return _failure(id_, is_notification, name, error)
        return None if is_notification else {"jsonrpc": "2.0", "id": id_, "result": value}

    async def answer_post(self, request: web.Request, context) -> web.Response:
        """JSON-RPC over HTTP: a JSON POST within the size limit; 204 when only notifications were sent."""
        if request.method != "POST":
            return web.json_response(error_reply(None, RpcError(INVALID_REQUEST, "send JSON-RPC as HTTP POST")),
                                     status=405)
        bad_type = refuse_content_type(request, JSON_TYPES)
        if bad_type is not None:
            return web.json_response(error_reply(None, RpcError(INVALID_REQUEST, bad_type)), status=415)
        limit = self.limits.max_request_bytes
        if request.content_length is not None and request.content_length > limit:
            return web.json_response(error_reply(None, RpcError(LIMIT_EXCEEDED, f"request of {request.content_length} "
                                                                f"bytes exceeds the limit of {limit}")), status=413)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.json_response(error_reply(None, RpcError(LIMIT_EXCEEDED, "request exceeds the size limit of "
                                                                f"{limit} bytes")), status=413)
        answer = self.handle_payload(body, context, self.policy.page_origin(request))
        if isinstance(answer, CoroutineType):
            answer = await answer
        if answer is None:
            return web.Response(status=204)
        return web.json_response(answer)

    def application(self, context_for: Callable[[str | None], Any],
                    websocket: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None,
                    refuse: Callable[[web.Request, int, str], web.StreamResponse] = refuse_json,
                    page: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None) -> web.Application:
        """An aiohttp application serving JSON-RPC at /, behind the web policy, reading bodies up to the limit:
        a POST is answered with the context `context_for(origin)`; a WebSocket upgrade goes to `websocket`; a
        plain GET (a browser opening the URL) goes to `page` where there is one."""

        async def serve(request: web.Request) -> web.StreamResponse:
            if websocket is not None and request.headers.get(hdrs.UPGRADE, "").lower() == "websocket":
                return await websocket(request)
            if page is not None and request.method in (hdrs.METH_GET, hdrs.METH_HEAD):
                return await page(request)
            return await self.answer_post(request, context_for(self.policy.page_origin(request)))

        app = web.Application(client_max_size=self.limits.max_request_bytes,
                              middlewares=[self.policy.middleware(refuse)])
        app.router.add_route("*", "/", serve)
        return app
