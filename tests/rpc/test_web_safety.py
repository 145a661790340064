"""Web pages cannot drive or read a node (rpc/web_policy.py, README "Security"): every request a page
can make is refused with no state change, while curl, web3.py, ethers and MetaMask's extension origin
keep working. The real-browser half is tests/rpc/test_browser.py."""

import subprocess
import sys

import pytest
import requests
from aiohttp.test_utils import make_mocked_request
from hypothesis import given
from hypothesis import strategies as st

from rpc.web_policy import WebPolicy, WebPolicyError, check_binding, parse_origin
from tests.testnet.cluster import Cluster

from .devchain import ROOT, dev_account, start_dev_chain, stop_dev_chain, transaction_fields
from .web_attacks import (EVIL, JSON, METAMASK, REBOUND_HOST, TIMEOUT, assert_page_requests_refused, assert_refused,
                          post, websocket_answer)

SINK = "0x000000000000000000000000000000000000dEaD"
OCTET = {"Content-Type": "application/octet-stream"}

labels = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
names = st.lists(labels, min_size=2, max_size=4).map(".".join)
ports = st.integers(1, 65535)


# ---------------------------------------------------------------- the policy's rules


@given(st.integers(0, 2**24 - 1), st.one_of(st.none(), ports))
def test_loopback_hosts_are_always_served(low, port):
    policy = WebPolicy()
    address = f"127.{low >> 16}.{(low >> 8) & 255}.{low & 255}"
    suffix = "" if port is None else f":{port}"
    for host in (address, "localhost", "LOCALHOST", "[::1]"):
        assert policy.is_host_allowed(host + suffix), host


@given(names, st.one_of(st.none(), ports))
def test_other_hosts_are_served_only_when_listed(name, port):
    host = name if port is None else f"{name}:{port}"
    assert not WebPolicy().is_host_allowed(host)
    assert WebPolicy(vhosts=(name.upper(),)).is_host_allowed(host)
    assert WebPolicy(vhosts=("*",)).is_host_allowed(host)
    assert not WebPolicy(vhosts=("other.example",)).is_host_allowed(host)


@given(st.sampled_from(["http", "https"]), names, st.one_of(st.none(), ports))
def test_web_origins_need_listing(scheme, name, port):
    origin = f"{scheme}://{name}" + ("" if port is None else f":{port}")
    assert not WebPolicy().is_origin_allowed(origin)
    assert WebPolicy(cors_origins=(origin.upper() + "/",)).is_origin_allowed(origin)
    assert WebPolicy(cors_origins=("*",)).is_origin_allowed(origin)
    assert not WebPolicy(cors_origins=(origin + "0",)).is_origin_allowed(origin)


@given(st.sampled_from(["chrome-extension", "moz-extension", "safari-web-extension"]), labels)
def test_extension_origins_are_served_unless_refused(scheme, extension_id):
    origin = f"{scheme}://{extension_id}"
    assert WebPolicy().is_origin_allowed(origin)
    assert not WebPolicy(allow_extension_origins=False).is_origin_allowed(origin)


def test_no_origin_is_a_program_and_null_is_a_page():
    assert WebPolicy().is_origin_allowed(None)
    assert not WebPolicy().is_origin_allowed("null")
    assert not WebPolicy().is_origin_allowed("file://")
    assert WebPolicy(cors_origins=("null",)).is_origin_allowed("null")


def test_dev_only_methods_are_barred_to_every_origin_without_signing_rights():
    for origin in (EVIL, METAMASK, "null"):
        assert WebPolicy().is_browser_barred(origin, dev_only=True)
        assert not WebPolicy().is_browser_barred(origin, dev_only=False)
        assert not WebPolicy(allow_browser_signing=True).is_browser_barred(origin, dev_only=True)
    assert not WebPolicy().is_browser_barred(None, dev_only=True)


def test_only_a_loopback_or_listed_host_makes_a_page_the_servers_own():
    def request(host: str, origin: str):
        return make_mocked_request("POST", "/", headers={"Host": host, "Origin": origin})

    assert WebPolicy().page_origin(request("127.0.0.1:8545", "http://127.0.0.1:8545")) is None
    assert WebPolicy().page_origin(request("LOCALHOST:8545", "http://localhost:8545")) is None
    assert WebPolicy(vhosts=("node.lan",)).page_origin(request("node.lan:8545", "http://node.lan:8545")) is None
    assert WebPolicy().page_origin(request("127.0.0.1:8545", "http://127.0.0.1:8546")) == "http://127.0.0.1:8546"
    assert WebPolicy().page_origin(request("127.0.0.1:8545", "https://127.0.0.1:8545")) == "https://127.0.0.1:8545"
    rebound = request("evil.example:8545", "http://evil.example:8545")
    any_name = WebPolicy(vhosts=("*",))
    assert any_name.page_origin(rebound) == "http://evil.example:8545", "with --vhosts '*' a rebound page stays foreign"
    assert "is not allowed" in any_name.refusal(rebound)


def test_malformed_policies_are_refused():
    for text in ("localhost:3000", "http://a.example/path", "evil", ""):
        with pytest.raises(WebPolicyError, match="is not an origin"):
            parse_origin(text)
    for bind in ("0.0.0.0", "192.0.2.7", "::", "node.example"):
        with pytest.raises(WebPolicyError, match="--vhosts"):
            check_binding(bind, ())
        check_binding(bind, ("*",))
    for bind in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_binding(bind, ())


# ---------------------------------------------------------------- flockchain dev, as a page would attack it


def state_of(chain) -> tuple:
    sender = dev_account(0).address
    return (chain.result("eth_getBalance", SINK, "latest"), chain.result("eth_getTransactionCount", sender, "latest"),
            chain.result("eth_blockNumber"), chain.result("eth_getBalance", sender, "latest"))


def test_no_page_can_spend_mine_mint_or_rewind(chain):
    snapshot = chain.result("evm_snapshot")
    before = state_of(chain)
    for body in ({"method": "eth_sendTransaction", "params": [{"from": dev_account(0).address, "to": SINK,
                                                                "value": hex(10**18)}]},
                 {"method": "evm_mine", "params": []},
                 {"method": "anvil_setBalance", "params": [SINK, hex(10**24)]},
                 {"method": "evm_revert", "params": [snapshot]},
                 {"method": "evm_increaseTime", "params": [3600]}):
        assert_page_requests_refused(chain.url, {"jsonrpc": "2.0", "id": 1, **body})
    assert state_of(chain) == before
    assert chain.result("evm_revert", snapshot) is True, "the snapshot survived the page's evm_revert"


def test_no_page_can_open_a_websocket(chain):
    request = {"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": [dev_account(0).address, "latest"]}
    assert websocket_answer(chain.url, {"Origin": EVIL}, request) == ("refused", 403)
    assert websocket_answer(chain.url, {"Origin": "null"}, request) == ("refused", 403)
    assert websocket_answer(chain.url, {"Host": REBOUND_HOST}, request) == ("refused", 403)
    outcome, reply = websocket_answer(chain.url, {}, request)
    assert outcome == "answered" and int(reply["result"], 16) > 0


def test_only_the_nodes_own_page_is_treated_as_its_own(chain):
    """The explorer at / calls from the node's own origin; every other origin stays foreign, including the same
    host on another port, the other loopback name, and a rebinding name that claims to be its own origin."""
    port = int(chain.url.rsplit(":", 1)[1])
    request = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    own = post(chain.url, request, {**JSON, "Origin": chain.url})
    assert own.status_code == 200 and own.json()["result"] == "0x7a69"
    for origin in (f"http://127.0.0.1:{port + 1}", f"http://localhost:{port}", f"https://127.0.0.1:{port}"):
        assert_refused(post(chain.url, request, {**JSON, "Origin": origin}), 403, origin)
    rebinding = post(chain.url, request, {**JSON, "Host": f"{REBOUND_HOST}:{port}", "Origin": f"http://{REBOUND_HOST}:{port}"})
    assert_refused(rebinding, 403, "a rebinding page's own origin")
    plain = post(chain.url, request, {"Content-Type": "text/plain", "Origin": chain.url})
    assert plain.status_code == 415 and "result" not in plain.json(), "the Content-Type rule holds for its own page too"
    before = chain.result("eth_getBalance", SINK, "latest")
    sent = post(chain.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction",
                            "params": [{"from": dev_account(5).address, "to": SINK, "value": "0x1"}]},
                {**JSON, "Origin": chain.url})
    assert "result" in sent.json(), "on a dev chain the explorer sends from a dev account, as a local program can"
    assert int(chain.result("eth_getBalance", SINK, "latest"), 16) == int(before, 16) + 1


def test_the_explorer_is_served_under_a_policy_that_allows_only_itself(chain):
    page = requests.get(chain.url + "/", timeout=TIMEOUT)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    port = chain.url.rsplit(":", 1)[1]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert f"connect-src 'self' ws://127.0.0.1:{port}" in policy and "http" not in policy.replace(chain.url, "")
    script = requests.get(chain.url + "/explorer/app.js", timeout=TIMEOUT)
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    for path in ("/explorer/nothing.js", "/explorer/..%2Fserver.py", "/explorer/__init__.py"):
        assert requests.get(chain.url + path, timeout=TIMEOUT).status_code == 404, path
    assert requests.get(chain.url + "/", headers={"Host": REBOUND_HOST}, timeout=TIMEOUT).status_code == 403


def test_no_page_can_store_or_read_blobs(chain):
    data = b"a page's upload"
    for headers, status in (({"Content-Type": "text/plain", "Origin": EVIL}, 403), ({**OCTET, "Origin": EVIL}, 403),
                            ({"Content-Type": "text/plain"}, 415), ({}, 415),
                            ({"Content-Type": "multipart/form-data; boundary=x"}, 415),
                            ({**OCTET, "Host": REBOUND_HOST}, 403)):
        response = post(f"{chain.url}/blobs", data, headers)
        assert response.status_code == status, (headers, response.text)
        assert response.json()["error"]
    stored = post(f"{chain.url}/blobs", data, OCTET)
    assert stored.status_code == 201, "the same bytes as raw octets, from a program, are stored"
    blob = f"{chain.url}/blobs/{stored.json()['hash']}"
    assert requests.get(blob, headers={"Host": REBOUND_HOST}, timeout=TIMEOUT).status_code == 403
    assert requests.get(blob, headers={"Origin": EVIL}, timeout=TIMEOUT).status_code == 403
    assert requests.get(blob, timeout=TIMEOUT).content == data


def test_programs_and_wallet_extensions_work_unchanged(chain):
    assert chain.w3.eth.chain_id == 31337
    before = int(chain.result("eth_getBalance", SINK, "latest"), 16)
    tx = chain.w3.eth.send_transaction({"from": dev_account(0).address, "to": SINK, "value": 7})
    assert chain.w3.eth.wait_for_transaction_receipt(tx, timeout=20).status == 1, "no Origin: a script may sign"
    assert int(chain.result("eth_getBalance", SINK, "latest"), 16) == before + 7

    extension = {**JSON, "Origin": METAMASK}
    answer = post(chain.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, extension)
    assert answer.status_code == 200 and answer.json()["result"] == "0x7a69"
    assert answer.headers["Access-Control-Allow-Origin"] == METAMASK
    preflight = requests.options(chain.url, timeout=TIMEOUT, headers={
        "Origin": METAMASK, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == METAMASK

    sender = dev_account(1)
    signed = sender.sign_transaction(transaction_fields(chain, sender, to=SINK, value=5))
    raw = post(chain.url, {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction",
                           "params": [signed.raw_transaction.to_0x_hex()]}, extension)
    assert raw.json()["result"] == signed.hash.to_0x_hex(), "MetaMask signs itself and sends raw transactions"
    chain.w3.eth.wait_for_transaction_receipt(signed.hash, timeout=20)

    before = state_of(chain)
    barred = post(chain.url, {"jsonrpc": "2.0", "id": 3, "method": "eth_sendTransaction",
                              "params": [{"from": dev_account(0).address, "to": SINK, "value": "0x1"}]}, extension)
    assert barred.status_code == 200 and barred.json()["error"]["code"] == -32601
    assert "--allow-browser-signing" in barred.json()["error"]["message"]
    assert state_of(chain) == before
    outcome, reply = websocket_answer(chain.url, {"Origin": METAMASK},
                                      {"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []})
    assert outcome == "answered" and reply["error"]["code"] == -32601, "the bar holds over WebSocket too"
    assert state_of(chain) == before


def test_extension_origins_can_be_refused_too(tmp_path):
    node = start_dev_chain(tmp_path, extra_args=("--deny-extension-origins",))
    try:
        assert_refused(post(node.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
                            {**JSON, "Origin": METAMASK}), 403, "an extension, refused by flag")
        assert node.result("eth_chainId") == "0x7a69"
    finally:
        stop_dev_chain(node.process)


# ---------------------------------------------------------------- the same rules on every server


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flockchain", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_serving_other_machines_needs_vhosts_and_origins_are_checked(tmp_path):
    spec = Cluster(tmp_path, validators=1).spec_path
    for args in (("dev", "--host", "0.0.0.0"),
                 ("node", "--chain", str(spec), "--dev-key", "0", "--data-dir", str(tmp_path / "n"),
                  "--rpc-host", "0.0.0.0"),
                 ("base-devnet", "--host", "0.0.0.0")):
        result = run_cli(*args)
        assert result.returncode == 2 and "--vhosts" in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    result = run_cli("dev", "--cors", "localhost:3000")
    assert result.returncode == 2 and "is not an origin" in result.stderr


def test_a_networked_node_refuses_pages(tmp_path):
    cluster = Cluster(tmp_path, validators=1)
    node = cluster.start(0)
    try:
        sender = dev_account(5)
        signed = sender.sign_transaction({"chainId": int(node.rpc("eth_chainId"), 16), "nonce": 0, "to": SINK,
                                          "value": 1, "gas": 21_000, "maxFeePerGas": 10**11,
                                          "maxPriorityFeePerGas": 10**9, "type": 2})
        assert_page_requests_refused(node.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction",
                                                "params": [signed.raw_transaction.to_0x_hex()]})
        assert node.rpc("eth_getTransactionByHash", signed.hash.to_0x_hex()) is None
        assert node.rpc("eth_getTransactionCount", sender.address, "pending") == "0x0"
        request = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
        assert websocket_answer(node.url, {"Origin": EVIL}, request) == ("refused", 403)
        assert websocket_answer(node.url, {"Origin": METAMASK}, request)[0] == "answered"
        assert post(f"{node.url}/blobs", b"x", {"Content-Type": "text/plain", "Origin": EVIL}).status_code == 403
        assert post(f"{node.url}/blobs", b"x", {"Content-Type": "text/plain"}).status_code == 415
    finally:
        cluster.stop()
