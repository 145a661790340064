"""Web pages in a real headless Chromium against real `flockchain dev` processes: a page on an origin the
node lists reads it over fetch and WebSocket; a page on any other origin can neither read it nor change
it, whatever it sends; dev accounts spend from a page only with --allow-browser-signing."""

import json

import pytest

from .browser import Browser, PageServer
from .devchain import dev_account, start_dev_chain, stop_dev_chain

pytestmark = pytest.mark.timeout(240)
SINK = "0x000000000000000000000000000000000000dEaD"

RPC = """
const rpc = async (method, params) => {
  const response = await fetch(NODE, {method: "POST", headers: {"Content-Type": "application/json"},
                                      body: JSON.stringify({jsonrpc: "2.0", id: 1, method, params})});
  return await response.json();
};
const overWebSocket = (request) => new Promise((resolve) => {
  const socket = new WebSocket(NODE.replace("http://", "ws://"));
  socket.onopen = () => socket.send(JSON.stringify(request));
  socket.onmessage = (event) => { resolve(JSON.parse(event.data)); socket.close(); };
  socket.onerror = () => resolve("refused");
  setTimeout(() => resolve("timeout"), 10000);
});
"""


@pytest.fixture(scope="module")
def pages():
    server = PageServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = Browser(tmp_path_factory.mktemp("chromium"))
    yield chromium
    chromium.close()


def script(node_url: str, body: str) -> str:
    return f"const NODE = {json.dumps(node_url)};\n{RPC}\n{body}"


def sink_balance(chain) -> int:
    return int(chain.result("eth_getBalance", SINK, "latest"), 16)


def test_a_listed_origin_reads_but_cannot_spend_and_others_get_nothing(pages, browser, tmp_path):
    allowed, foreign = pages.origin("localhost"), pages.origin("127.0.0.1")
    chain = start_dev_chain(tmp_path, extra_args=("--cors", allowed))
    try:
        send = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction",
                "params": [{"from": dev_account(0).address, "to": SINK, "value": "0x1"}]}
        seen = browser.run(allowed + "/", script(chain.url, f"""
            const blob = await fetch(NODE + "/blobs", {{method: "POST", body: new Uint8Array([1, 2, 3]),
                                                         headers: {{"Content-Type": "application/octet-stream"}}}});
            return {{chainId: (await rpc("eth_chainId", [])).result,
                     send: await rpc("eth_sendTransaction", {json.dumps(send["params"])}),
                     ws: await overWebSocket({{jsonrpc: "2.0", id: 7, method: "eth_chainId", params: []}}),
                     blob: blob.status}};"""))
        assert seen["chainId"] == "0x7a69"
        assert seen["ws"] == {"jsonrpc": "2.0", "id": 7, "result": "0x7a69"}
        assert seen["blob"] == 201
        assert seen["send"]["error"]["code"] == -32601, "no signing from pages without --allow-browser-signing"

        before = (sink_balance(chain), chain.result("eth_blockNumber"))
        body = json.dumps(json.dumps(send))
        seen = browser.run(foreign + "/", script(chain.url, f"""
            let read;
            try {{ read = await rpc("eth_chainId", []); }} catch (error) {{ read = "blocked: " + error.message; }}
            for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {{
              await fetch(NODE, {{method: "POST", mode: "no-cors", headers: {{"Content-Type": type}}, body: {body}}});
            }}
            const form = new FormData();
            form.append("x", {body});
            await fetch(NODE, {{method: "POST", mode: "no-cors", body: form}});
            await fetch(NODE + "/blobs", {{method: "POST", mode: "no-cors", body: "a page's blob"}});
            return {{read, ws: await overWebSocket({{jsonrpc: "2.0", id: 1, method: "eth_chainId", params: []}})}};"""))
        assert seen["read"].startswith("blocked"), seen
        assert seen["ws"] == "refused"
        assert (sink_balance(chain), chain.result("eth_blockNumber")) == before, "nothing the page sent ran"
    finally:
        stop_dev_chain(chain.process)


def test_browser_signing_is_an_explicit_choice(pages, browser, tmp_path):
    allowed = pages.origin("localhost")
    chain = start_dev_chain(tmp_path, extra_args=("--cors", allowed, "--allow-browser-signing"))
    try:
        assert "BROWSER SIGNING ON" in chain.log()
        before = sink_balance(chain)
        sent = browser.run(allowed + "/", script(chain.url, f"""
            return await rpc("eth_sendTransaction", [{{from: {json.dumps(dev_account(0).address)},
                                                     to: {json.dumps(SINK)}, value: "0x5"}}]);"""))
        chain.w3.eth.wait_for_transaction_receipt(sent["result"], timeout=20)
        assert sink_balance(chain) == before + 5
    finally:
        stop_dev_chain(chain.process)
