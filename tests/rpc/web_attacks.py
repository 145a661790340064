"""What a web page can send to a node on this machine, byte for byte as a browser sends it, for the
web-policy tests of every server (flockchain dev, node, base-devnet; rpc/web_policy.py).

A page on a foreign origin can send "simple" requests without asking (POST with text/plain, form or
multipart bodies; the browser adds its Origin), can ask to send anything else (a preflight OPTIONS),
can open a WebSocket (Origin attached), and can rebind its own DNS name to 127.0.0.1 (its name is then
the Host, and the browser treats the node as same-origin).
"""

import asyncio
import json

import aiohttp
import requests

EVIL = "http://evil.example"
METAMASK = "chrome-extension://nkbihfbeogaeaoehlefnkodbefgpgknn"
REBOUND_HOST = "rebind.evil.example"
SIMPLE_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")
JSON = {"Content-Type": "application/json"}
TIMEOUT = 30


def post(url: str, body, headers: dict) -> requests.Response:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return requests.post(url, data=data, headers=headers, timeout=TIMEOUT)


def assert_refused(response: requests.Response, status: int, why: str) -> None:
    """Refused with this status, answered with an error that says why, and nothing executed."""
    assert response.status_code == status, (why, response.status_code, response.text)
    answer = response.json()
    assert "result" not in answer, (why, answer)
    message = answer["error"]["message"] if isinstance(answer["error"], dict) else answer["error"]
    assert message, why
    assert "Access-Control-Allow-Origin" not in response.headers, why


def assert_page_requests_refused(url: str, body: dict) -> None:
    """Every way a page on a foreign origin can send `body` to the JSON-RPC endpoint at `url` is refused."""
    for content_type in SIMPLE_TYPES:
        assert_refused(post(url, body, {"Content-Type": content_type, "Origin": EVIL}), 403,
                       f"simple POST {content_type} from a foreign origin")
        assert_refused(post(url, body, {"Content-Type": content_type}), 415, f"POST of {content_type}")
    assert_refused(post(url, body, {}), 415, "POST without a content type (a fetch of a Blob)")
    assert_refused(post(url, body, {**JSON, "Origin": EVIL}), 403, "JSON POST carrying a foreign Origin")
    assert_refused(post(url, body, {**JSON, "Origin": "null"}), 403, "JSON POST from a sandboxed frame or file")
    for host in (REBOUND_HOST, f"{REBOUND_HOST}:8545", "192.0.2.1", "[2001:db8::1]:80"):
        assert_refused(post(url, body, {**JSON, "Host": host}), 403, f"JSON POST with Host {host}")
    preflight = requests.options(url, timeout=TIMEOUT, headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 403 and "Access-Control-Allow-Origin" not in preflight.headers


def websocket_answer(url: str, headers: dict, request: dict) -> tuple[str, object]:
    """Open a WebSocket as a page would and send one request: ("refused", status) or ("answered", reply)."""

    async def attempt():
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(url.replace("http://", "ws://"), headers=headers, timeout=10) as ws:
                    await ws.send_str(json.dumps(request))
                    message = await asyncio.wait_for(ws.receive(), 10)
                    return "answered", json.loads(message.data)
            except aiohttp.WSServerHandshakeError as error:
                return "refused", error.status

    return asyncio.run(attempt())
