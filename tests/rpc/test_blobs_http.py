"""Blobs over HTTP against real `flockchain dev` processes: upload and download, refusals with the right
status, fetching from a peer node on a miss (and refusing a peer that lies), and JSON-RPC on the same port
unharmed by all of it."""

import asyncio
import socket
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from aiohttp import web

from chain.blobs import PEER_FETCH_HEADER
from runtime.crypto import keccak256

from .devchain import CHAIN_ID, start_dev_chain, stop_dev_chain

pytestmark = pytest.mark.slow

A_MAX_BLOB = 64 * 1024
ORIGIN = "http://wallet.example"
OCTET = {"Content-Type": "application/octet-stream"}
TIMEOUT = 30


def hex_hash(data: bytes) -> str:
    return "0x" + keccak256(data).hex()


def stored_path(workdir: Path, data: bytes) -> Path:
    name = keccak256(data).hex()
    return workdir / "data" / "blobs" / name[:2] / name


@contextmanager
def running(workdir: Path, *extra_args: str):
    chain = start_dev_chain(workdir, extra_args=extra_args)
    try:
        yield chain
    finally:
        stop_dev_chain(chain.process)
    log = chain.log()
    assert "Traceback" not in log, log[log.index("Traceback"):]


@contextmanager
def lying_peer():
    """An aiohttp server in a thread that answers every GET /blobs/<hash> with the same wrong bytes."""
    ready, state = threading.Event(), {"requests": []}

    async def lie(request):
        state["requests"].append((request.match_info["hash"], dict(request.headers)))
        return web.Response(body=b"a poisoned model, not the one you asked for")

    async def serve():
        app = web.Application()
        app.router.add_get("/blobs/{hash}", lie)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        state.update(url=f"http://127.0.0.1:{runner.addresses[0][1]}", loop=asyncio.get_running_loop(),
                     stop=asyncio.Event())
        ready.set()
        await state["stop"].wait()
        await runner.cleanup()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the lying peer did not start"
    try:
        yield state
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(10)


@pytest.fixture(scope="module")
def workdirs(tmp_path_factory):
    return {name: tmp_path_factory.mktemp(f"blobs-{name}") for name in ("a", "b", "c")}


@pytest.fixture(scope="module")
def liar():
    with lying_peer() as state:
        yield state


@pytest.fixture(scope="module")
def node_b(workdirs):
    """Default limits (16 MiB per blob, larger than a JSON-RPC request may be); no peers; CORS for ORIGIN."""
    with running(workdirs["b"], "--cors", ORIGIN) as chain:
        yield chain


@pytest.fixture(scope="module")
def node_a(workdirs, liar, node_b):
    """Asks the liar first, then B; blobs of at most 64 KiB."""
    with running(workdirs["a"], "--blob-peers", liar["url"], "--blob-peers", node_b.url,
                 "--max-blob-size", str(A_MAX_BLOB)) as chain:
        yield chain


def test_upload_then_download(node_b, workdirs):
    data = b"global model, round 0" * 100
    created = requests.post(f"{node_b.url}/blobs", data=data, headers=OCTET, timeout=TIMEOUT)
    assert created.status_code == 201, created.text
    assert created.json() == {"hash": hex_hash(data), "size": len(data)}
    assert created.headers["Location"] == f"/blobs/{hex_hash(data)}"
    again = requests.post(f"{node_b.url}/blobs", data=data, headers=OCTET, timeout=TIMEOUT)
    assert again.status_code == 200 and again.json() == created.json()

    got = requests.get(f"{node_b.url}/blobs/{hex_hash(data)}", timeout=TIMEOUT)
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert (got.headers["X-Content-Type-Options"], got.headers["Content-Security-Policy"],
            got.headers["Content-Disposition"]) == ("nosniff", "sandbox", "attachment"), \
        "a blob is never a page of the node's origin, whatever its bytes"
    assert got.headers["ETag"] == f'"{hex_hash(data)}"'
    upper = requests.get(f"{node_b.url}/blobs/0x{keccak256(data).hex().upper()}", timeout=TIMEOUT)
    assert upper.content == data
    head = requests.head(f"{node_b.url}/blobs/{hex_hash(data)}", timeout=TIMEOUT)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(data) and head.content == b""
    cached = requests.get(f"{node_b.url}/blobs/{hex_hash(data)}", headers={"If-None-Match": got.headers["ETag"]},
                          timeout=TIMEOUT)
    assert cached.status_code == 304
    assert stored_path(workdirs["b"], data).read_bytes() == data


def test_put_under_its_hash_with_a_retention_tag(node_b, workdirs):
    data = b"proposer update" * 50
    put = requests.put(f"{node_b.url}/blobs/{hex_hash(data)}?task=3&round=7", data=data, headers=OCTET,
                       timeout=TIMEOUT)
    assert put.status_code == 201 and put.json() == {"hash": hex_hash(data), "size": len(data)}
    path = stored_path(workdirs["b"], data)
    assert path.read_bytes() == data
    assert path.with_name(path.name + ".tags").read_text() == '{"3": 7}'


def test_put_with_the_wrong_hash_is_refused_naming_both(node_b):
    data, claimed = b"what was sent", keccak256(b"what was promised")
    response = requests.put(f"{node_b.url}/blobs/0x{claimed.hex()}", data=data, headers=OCTET, timeout=TIMEOUT)
    assert response.status_code == 400
    error = response.json()["error"]
    assert hex_hash(data) in error and "0x" + claimed.hex() in error
    assert requests.get(f"{node_b.url}/blobs/{hex_hash(data)}", timeout=TIMEOUT).status_code == 404
    assert requests.get(f"{node_b.url}/blobs/0x{claimed.hex()}", timeout=TIMEOUT).status_code == 404


def test_a_blob_larger_than_a_json_rpc_request_round_trips(node_b):
    data = bytes(range(256)) * (6 * 4096 + 1)
    assert len(data) > 5 * 1024 * 1024
    created = requests.post(f"{node_b.url}/blobs", data=data, headers=OCTET, timeout=TIMEOUT)
    assert created.status_code == 201, created.text
    assert requests.get(f"{node_b.url}/blobs/{hex_hash(data)}", timeout=TIMEOUT).content == data


@pytest.mark.parametrize("text", ["0x1234", "zz", "0x" + "g" * 64, "00" * 32, "0x" + "00" * 33, "x" * 5000,
                                  "0x%00" + "0" * 62, "%2e%2e", "", "0x" + "00" * 32 + "/more"])
def test_malformed_hashes_get_400(node_b, text):
    for method in ("GET", "HEAD", "PUT"):
        response = requests.request(method, f"{node_b.url}/blobs/{text}", data=b"x", timeout=TIMEOUT)
        assert response.status_code == 400, (method, response.status_code)
        if method != "HEAD":
            assert "malformed blob hash" in response.json()["error"]


def test_an_unknown_blob_is_404(node_b):
    unknown = hex_hash(b"never uploaded")
    response = requests.get(f"{node_b.url}/blobs/{unknown}", timeout=TIMEOUT)
    assert response.status_code == 404 and unknown in response.json()["error"]
    assert requests.head(f"{node_b.url}/blobs/{unknown}", timeout=TIMEOUT).status_code == 404


def test_wrong_methods_and_bad_tags_get_json_errors(node_b):
    some = hex_hash(b"x")
    for method, path, allowed in (("DELETE", f"/blobs/{some}", "GET, HEAD, PUT"), ("PATCH", f"/blobs/{some}",
                                  "GET, HEAD, PUT"), ("GET", "/blobs", "POST"), ("PUT", "/blobs", "POST")):
        response = requests.request(method, node_b.url + path, timeout=TIMEOUT)
        assert response.status_code == 405 and response.headers["Allow"] == allowed
        assert "not allowed" in response.json()["error"]
    for query in ("task=1", "round=2", "task=x&round=1", "task=-1&round=1", "task=1&round=18446744073709551616",
                  "task=1e3&round=1"):
        response = requests.post(f"{node_b.url}/blobs?{query}", data=b"tagged", headers=OCTET, timeout=TIMEOUT)
        assert response.status_code == 400 and "error" in response.json(), query


def test_cors_follows_the_json_rpc_endpoint(node_b):
    data = b"from a browser"
    requests.post(f"{node_b.url}/blobs", data=data, headers=OCTET, timeout=TIMEOUT)
    got = requests.get(f"{node_b.url}/blobs/{hex_hash(data)}", headers={"Origin": ORIGIN}, timeout=TIMEOUT)
    assert got.headers["Access-Control-Allow-Origin"] == ORIGIN
    preflight = requests.options(f"{node_b.url}/blobs/{hex_hash(data)}", timeout=TIMEOUT,
                                 headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"})
    assert preflight.status_code == 204 and "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    foreign = requests.get(f"{node_b.url}/blobs/{hex_hash(data)}", headers={"Origin": "http://evil.example"},
                           timeout=TIMEOUT)
    assert foreign.status_code == 403 and "Access-Control-Allow-Origin" not in foreign.headers
    assert "not allowed" in foreign.json()["error"]


def test_bodies_over_the_limit_get_413(node_a):
    exact = b"e" * A_MAX_BLOB
    assert requests.post(f"{node_a.url}/blobs", data=exact, headers=OCTET, timeout=TIMEOUT).status_code == 201
    over = b"o" * (A_MAX_BLOB + 1)
    declared = requests.post(f"{node_a.url}/blobs", data=over, headers=OCTET, timeout=TIMEOUT)
    assert declared.status_code == 413 and f"limit of {A_MAX_BLOB} bytes" in declared.json()["error"]
    put = requests.put(f"{node_a.url}/blobs/{hex_hash(over)}", data=over, headers=OCTET, timeout=TIMEOUT)
    assert put.status_code == 413

    def chunks():
        for _ in range(5):
            yield b"c" * (A_MAX_BLOB // 4)

    chunked = requests.post(f"{node_a.url}/blobs", data=chunks(), headers=OCTET, timeout=TIMEOUT)
    assert chunked.status_code == 413 and "received so far" in chunked.json()["error"]
    assert requests.get(f"{node_a.url}/blobs/{hex_hash(b'c' * (A_MAX_BLOB // 4 * 5))}",
                        headers={PEER_FETCH_HEADER: "1"}, timeout=TIMEOUT).status_code == 404


def raw_exchange(url: str, request: bytes) -> bytes:
    """Send bytes as they are over a socket; return what comes back before the node closes or goes quiet."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        try:
            while b"\r\n\r\n" not in received:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except (TimeoutError, ConnectionError):
            pass
        return received


def test_hostile_requests_never_hurt_the_node(node_a):
    huge = raw_exchange(node_a.url, b"POST /blobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Type: application/octet-stream\r\nContent-Length: 99999999999999\r\n\r\n")
    assert huge.startswith(b"HTTP/1.1 413")
    expect = raw_exchange(node_a.url, b"PUT /blobs/0x" + b"0" * 64 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Type: application/octet-stream\r\n"
                          b"Content-Length: 99999999\r\nExpect: 100-continue\r\n\r\n")
    assert expect.startswith(b"HTTP/1.1 413"), "refused before the body is sent"
    cut_short = raw_exchange(node_a.url, b"POST /blobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             b"Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n"
                             b"Connection: close\r\n\r\nonly a few bytes")
    assert cut_short == b"" or cut_short.startswith(b"HTTP/1.1 4")
    assert node_a.result("eth_chainId") == hex(CHAIN_ID)


def test_a_blob_on_a_peer_is_served_and_then_kept(node_a, node_b, workdirs, liar):
    data = b"an update uploaded to B" * 40
    assert requests.post(f"{node_b.url}/blobs", data=data, headers=OCTET, timeout=TIMEOUT).status_code == 201
    assert not stored_path(workdirs["a"], data).exists()
    asked_by_peer = requests.get(f"{node_a.url}/blobs/{hex_hash(data)}", headers={PEER_FETCH_HEADER: "1"},
                                 timeout=TIMEOUT)
    assert asked_by_peer.status_code == 404, "a node asked by a peer does not ask its own peers"

    got = requests.get(f"{node_a.url}/blobs/{hex_hash(data)}", timeout=TIMEOUT)
    assert got.status_code == 200 and got.content == data
    assert stored_path(workdirs["a"], data).read_bytes() == data, "A keeps what it fetched"
    assert requests.get(f"{node_a.url}/blobs/{hex_hash(data)}", headers={PEER_FETCH_HEADER: "1"},
                        timeout=TIMEOUT).content == data
    assert any(hash_ == hex_hash(data) and headers.get(PEER_FETCH_HEADER) == "1"
               for hash_, headers in liar["requests"]), "the liar was asked first, as a peer"
    assert "served wrong bytes" in node_a.log() and liar["url"] in node_a.log()

    other = b"another update on B" * 30
    requests.post(f"{node_b.url}/blobs", data=other, headers=OCTET, timeout=TIMEOUT)
    head = requests.head(f"{node_a.url}/blobs/{hex_hash(other)}", timeout=TIMEOUT)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(other)


def test_a_lying_peer_alone_never_gets_its_bytes_served(node_a, liar):
    unknown = hex_hash(b"on no honest node")
    response = requests.get(f"{node_a.url}/blobs/{unknown}", timeout=TIMEOUT)
    assert response.status_code == 404 and "peers" in response.json()["error"]
    assert any(hash_ == unknown for hash_, _ in liar["requests"])


def test_a_peer_blob_over_this_nodes_limit_is_not_fetched(node_a, node_b):
    data = b"b" * (A_MAX_BLOB + 1)
    assert requests.post(f"{node_b.url}/blobs", data=data, headers=OCTET, timeout=TIMEOUT).status_code == 201
    assert requests.get(f"{node_a.url}/blobs/{hex_hash(data)}", timeout=TIMEOUT).status_code == 404
    assert "over the limit" in node_a.log()


def test_a_full_store_answers_507(workdirs):
    with running(workdirs["c"], "--max-blob-size", "1024", "--blob-store-limit", "2048") as node_c:
        for i in range(2):
            response = requests.post(f"{node_c.url}/blobs?task=1&round=1", data=bytes([i]) * 1024, headers=OCTET,
                                     timeout=TIMEOUT)
            assert response.status_code == 201
        full = requests.post(f"{node_c.url}/blobs", data=b"x" * 10, headers=OCTET, timeout=TIMEOUT)
        assert full.status_code == 507 and "no room" in full.json()["error"]
        assert node_c.result("eth_chainId") == hex(CHAIN_ID)


def test_json_rpc_still_works_on_the_same_port(node_a, node_b):
    for chain in (node_a, node_b):
        assert chain.result("eth_chainId") == hex(CHAIN_ID)
        assert chain.post({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}).json()["result"].startswith("0x")
        assert requests.put(chain.url, timeout=TIMEOUT).status_code == 405
