"""Web pages never drive or read a node (DESIGN §7): the rules every HTTP and WebSocket server of
the project applies before any work, in this order.

1. **Host.** A request whose `Host` is not a loopback name or address (`localhost`, 127.0.0.0/8,
   ::1) nor one of `vhosts` gets 403. A page that rebinds its own DNS name to 127.0.0.1 is
   same-origin with the node in the browser's eyes, and only its `Host` gives it away (geth's
   `--http.vhosts`). geth also accepts any IP literal; here a non-loopback address must be listed,
   which is what binding to one requires (:func:`check_binding`).
2. **Origin.** A browser names the page's origin on every cross-origin request it lets a page read
   and on every WebSocket upgrade. A request with no `Origin` (curl, web3.py, ethers in Node) is
   not from a page; one from a browser extension (`chrome-extension://`, `moz-extension://`: how
   MetaMask reaches a local node) is allowed unless refused; a web origin (`http(s)://…`, `null`
   from a sandboxed frame or a file) must be listed in `cors_origins` (or `*`), else 403, unless it is
   the server's own origin (`http://` + the Host that rule 1 admitted): the explorer the node serves
   at / (rpc/explorer), which a page of any other origin, port or rebinding name cannot be. geth
   serves such a request and only leaves out the CORS headers, trusting the browser to hide the
   answer; a "simple" request's side effects would still happen, so here it is never executed.
3. **Content-Type.** A body must be sent as the type its endpoint reads (:func:`refuse_content_type`,
   415): `text/plain`, form and multipart bodies are what a page can send without a preflight.
4. **Preflights** (`OPTIONS`) are answered only for allowed origins (403 otherwise).

Dev-only methods that spend or rewind (`eth_sendTransaction`, `evm_*`, `anvil_*`) are refused to any
request carrying a foreign `Origin` unless `allow_browser_signing` (:meth:`WebPolicy.is_browser_barred`);
the node's own explorer uses them on a dev chain, as any local program may (:meth:`WebPolicy.page_origin`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import hdrs, web

EXTENSION_SCHEMES = ("chrome-extension", "moz-extension", "safari-web-extension", "ms-browser-extension")
"""Browser extensions' origins: a wallet extension's background page calls the node from one of these."""
LOOPBACK_NAMES = ("localhost",)
ANY = "*"
PREFLIGHT_MAX_AGE = "600"
_ORIGIN = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*)://[^/?#\s]+")

JSON_TYPES = frozenset({"application/json", "application/json-rpc", "application/jsonrequest"})
"""What a JSON-RPC POST may declare (geth's accepted types; a charset parameter is fine)."""


class WebPolicyError(ValueError):
    """A policy that cannot be served as configured (a malformed origin, an unlisted public binding)."""


def normalize_origin(origin: str) -> str:
    """Origins compare case-insensitively on scheme and host; a trailing slash is not part of one."""
    return origin.strip().rstrip("/").lower()


def parse_origin(origin: str) -> str:
    """An origin as `--cors` takes it: `*`, `null`, or scheme://host[:port] with no path."""
    normalized = normalize_origin(origin)
    if normalized in (ANY, "null") or _ORIGIN.fullmatch(normalized):
        return normalized
    raise WebPolicyError(f"{origin!r} is not an origin: give scheme://host[:port] (e.g. http://localhost:3000), "
                         f"'null' or '*'")


def host_name(host: str) -> str:
    """The name in a `Host` header, without its port and IPv6 brackets, lowercased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def is_loopback(name: str) -> bool:
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_binding(bind_host: str, vhosts: tuple[str, ...]) -> None:
    """Serving another address than loopback means other machines call it by some name: list it."""
    if not is_loopback(host_name(bind_host)) and not vhosts:
        raise WebPolicyError(f"binding to {bind_host} serves other machines: list the names and addresses they use "
                             f"with --vhosts NAME ... (or --vhosts '*' for any)")


@dataclass(frozen=True)
class WebPolicy:
    cors_origins: tuple[str, ...] = ()
    """Web origins that may call (`*` for any); none by default, so no web page can."""
    vhosts: tuple[str, ...] = ()
    """Host names (besides loopback) requests may name (`*` for any)."""
    allow_extension_origins: bool = True
    """Browser extensions (MetaMask) may call, as they do with geth and anvil."""
    allow_browser_signing: bool = False
    """Dev-only spending and rewinding methods may be called from an allowed browser origin."""

    def __post_init__(self):
        object.__setattr__(self, "cors_origins", tuple(parse_origin(o) for o in self.cors_origins))
        object.__setattr__(self, "vhosts", tuple(host_name(h) if h != ANY else ANY for h in self.vhosts))

    def is_host_allowed(self, host: str | None) -> bool:
        """No Host at all is an HTTP/1.0 client, not a browser (browsers always send one)."""
        if host is None:
            return True
        name = host_name(host)
        return is_loopback(name) or ANY in self.vhosts or name in self.vhosts

    def is_origin_allowed(self, origin: str | None) -> bool:
        if origin is None:
            return True
        normalized = normalize_origin(origin)
        if ANY in self.cors_origins or normalized in self.cors_origins:
            return True
        match = _ORIGIN.fullmatch(normalized)
        return bool(match) and match["scheme"] in EXTENSION_SCHEMES and self.allow_extension_origins

    def is_browser_barred(self, origin: str | None, dev_only: bool) -> bool:
        """A dev-only method asked for by a browser (any Origin) that was not given signing rights."""
        return dev_only and origin is not None and not self.allow_browser_signing

    def page_origin(self, request: web.Request) -> str | None:
        """The request's `Origin`, or None when there is none or it is the server's own (`http://` + its Host):
        a request from the page the server itself serves is treated as one from a local program. Only for a
        Host that is loopback or listed by name: with `--vhosts '*'` any name is served, and a page whose own
        name was rebound to this server would otherwise pass for its own page."""
        origin, host = request.headers.get(hdrs.ORIGIN), request.headers.get(hdrs.HOST)
        if origin is None or host is None or normalize_origin(origin) != normalize_origin(f"http://{host}"):
            return origin
        name = host_name(host)
        return None if is_loopback(name) or name in self.vhosts else origin

    def refusal(self, request: web.Request) -> str | None:
        """Why the request may not be served (rules 1, 2 and 4), or None."""
        host = request.headers.get(hdrs.HOST)
        if not self.is_host_allowed(host):
            return (f"invalid host {host_name(host)!r}: only loopback and the names given with --vhosts are served "
                    f"(a page rebinding its DNS name to this node)")
        origin = self.page_origin(request)
        if not self.is_origin_allowed(origin):
            return f"origin {origin!r} is not allowed: start the node with --cors {normalize_origin(origin)} to allow it"
        if request.method == hdrs.METH_OPTIONS and origin is None:
            return "OPTIONS is a browser's preflight and needs an Origin"
        return None

    def middleware(self, refuse: Callable[[web.Request, int, str], web.StreamResponse]):
        """An aiohttp middleware applying the rules; `refuse(request, status, message)` shapes the refusals."""

        @web.middleware
        async def apply(request: web.Request, handler):
            reason = self.refusal(request)
            if reason is not None:
                response = refuse(request, 403, reason)
                response.headers[hdrs.VARY] = "Origin"
                return response
            origin = request.headers.get(hdrs.ORIGIN)
            if request.method == hdrs.METH_OPTIONS:
                response = web.Response(status=204, headers={
                    hdrs.ACCESS_CONTROL_ALLOW_METHODS: "POST, GET, PUT, HEAD, OPTIONS",
                    hdrs.ACCESS_CONTROL_ALLOW_HEADERS: "Content-Type",
                    hdrs.ACCESS_CONTROL_MAX_AGE: PREFLIGHT_MAX_AGE})
            else:
                response = await handler(request)
            if origin is not None and not response.prepared:
                response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
                response.headers[hdrs.VARY] = "Origin"
            return response

        return apply


def refuse_content_type(request: web.Request, accepted: frozenset[str]) -> str | None:
    """Why a body-carrying request's Content-Type is refused (rule 3), or None when it is accepted."""
    declared = request.headers.get(hdrs.CONTENT_TYPE)
    if declared is not None and request.content_type in accepted:
        return None
    wanted = " or ".join(sorted(accepted))
    return (f"invalid content type {declared!r}: send the body as {wanted}" if declared is not None
            else f"missing content type: send the body as {wanted}")
