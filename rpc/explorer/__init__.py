"""The explorer and FL dashboard a node serves at / of its RPC port (DESIGN §7).

Static files shipped in the package (static/: plain HTML, CSS and JavaScript, no library, nothing
fetched from another host); the page reads the node only through its public JSON-RPC, over HTTP
and a WebSocket, so it shows exactly what any client could see. It calls from the node's own origin,
which the web policy treats as a local program (rpc/web_policy.WebPolicy.page_origin); on a dev chain that
lets it send from a dev account.

Every answer carries a Content-Security-Policy that allows scripts, styles and connections to this
server alone: chain data (a model's name, a host's URL) is shown as text, and even a mistake that
rendered it as markup could neither run a script nor send anything elsewhere.
"""

from pathlib import Path

from aiohttp import hdrs, web

STATIC = Path(__file__).with_name("static")
ASSETS_PATH = "/explorer/"
CONTENT_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
FILES = {path.name: path for path in STATIC.iterdir() if path.suffix in CONTENT_TYPES}
"""What is served: the files shipped in static/, by name, and nothing else."""


def security_headers(host: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": (f"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                    f"connect-src 'self' ws://{host}; base-uri 'none'; form-action 'none'; "
                                    f"frame-ancestors 'none'"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def file_response(request: web.Request, name: str) -> web.Response:
    path = FILES[name]
    headers = security_headers(request.headers.get(hdrs.HOST, "127.0.0.1"))
    return web.Response(body=path.read_bytes(), content_type=CONTENT_TYPES[path.suffix], charset="utf-8",
                        headers=headers)


async def index(request: web.Request) -> web.Response:
    """GET /: the explorer's page."""
    return file_response(request, "index.html")


async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in FILES:
        raise web.HTTPNotFound(text=f"no explorer file {name!r}", headers={"X-Content-Type-Options": "nosniff"})
    return file_response(request, name)


def register(app: web.Application) -> None:
    """The explorer's files at /explorer/NAME (the page itself is the dispatcher's `page` at /)."""
    app.router.add_get(ASSETS_PATH + "{name}", asset)
