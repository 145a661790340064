"""The explorer a node serves at / (rpc/explorer), in a real headless Chromium (Debian's, installed by
`make install`) driven by Playwright, against real `flockchain dev` processes: follow a transfer from the head
list to its page, check decoded calls, events and revert reasons against the RPC's answers, search, act from
the wallet page with a dev account and with an injected EIP-1193 provider, and watch a sample-task round
complete with its loss charted. Every page is screenshot into the test's directory; no page may log a
console error or request anything from another host."""

import json

import eth_abi
import pytest
from eth_account import Account
from eth_hash.auto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from playwright.sync_api import expect, sync_playwright
from web3 import Web3
from web3.logs import DISCARD

from .browser import chromium_path
from .devchain import dev_account, module_contract, start_dev_chain, stop_dev_chain, wait_receipt

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
UNIT = 10**18
WAIT_MS = 30_000
PROPOSAL_STATES = ("Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed")
"""OpenZeppelin Governor's ProposalState, as governance.state(id) numbers them."""

INJECTED_WALLET = """
window.ethereum = {
  request: async ({method, params}) => {
    if (method === "eth_requestAccounts" || method === "eth_accounts") return [ACCOUNT];
    const response = await fetch("/", {method: "POST", headers: {"Content-Type": "application/json"},
                                       body: JSON.stringify({jsonrpc: "2.0", id: 1, method, params: params || []})});
    const body = await response.json();
    if (body.error) throw new Error(body.error.message);
    return body.result;
  },
};
"""
"""An EIP-1193 provider injected before the page loads, as a wallet extension injects one: it offers one
account and passes requests on (a dev chain signs eth_sendTransaction for its dev accounts)."""


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


class WatchedPage:
    """A page in a fresh browser context, recording what a user would not see: console errors, uncaught
    exceptions and the URL of every request and WebSocket it opens."""

    def __init__(self, browser, chain, init_script: str | None = None):
        self.chain = chain
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(WAIT_MS)
        if init_script:
            self.context.add_init_script(init_script)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("websocket", lambda socket: self.requests.append(socket.url))

    def open(self, route: str = "") -> None:
        self.page.goto(f"{self.chain.url}/{route}")

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector)

    def close_clean(self) -> None:
        """No console error, and nothing requested from any other host than the node."""
        self.context.close()
        assert self.errors == [], self.errors
        own = (self.chain.url + "/", self.chain.url.replace("http://", "ws://") + "/")
        assert [url for url in self.requests if not url.startswith(own)] == [], self.requests
        assert any(url.endswith("/explorer/app.js") for url in self.requests)


def test_a_transfer_a_module_call_and_a_revert_read_as_the_rpc_reports_them(browser, tmp_path):
    chain = start_dev_chain(tmp_path)
    sender, recipient = dev_account(0), Account.create().address
    staking = module_contract(chain, "staking")
    try:
        watched = WatchedPage(browser, chain)
        page = watched.page
        watched.open()
        expect(page.locator("#live")).to_have_text("live")
        transfer = chain.w3.eth.send_transaction({"from": sender.address, "to": recipient, "value": 3 * UNIT // 2})
        wait_receipt(chain, transfer)
        tx = chain.w3.eth.get_transaction(transfer)
        head_list_link = page.locator(f'a[href="#/tx/{tx["hash"].to_0x_hex()}"]')
        head_list_link.wait_for()
        page.screenshot(path=tmp_path / "home.png", full_page=True)
        head_list_link.click()
        expect(page.locator("#tx-hash")).to_have_text(tx["hash"].to_0x_hex())
        assert tx["value"] == 3 * UNIT // 2 and watched.text("#tx-value") == "1.5 FLOCK"
        assert watched.text("#tx-status") == "success" and watched.text("#tx-call") == "plain transfer"
        page.screenshot(path=tmp_path / "transfer.png", full_page=True)

        bond = staking.functions.bond(0).transact({"from": dev_account(1).address, "value": 3_000 * UNIT})
        receipt = wait_receipt(chain, bond)
        [bonded] = staking.events.Bonded().process_receipt(receipt, errors=DISCARD)
        watched.open(f"#/tx/{bond.to_0x_hex()}")
        expect(page.locator("#tx-hash")).to_have_text(bond.to_0x_hex())
        assert watched.text("#tx-call") == "staking.bond(role=0)"
        who = bonded["args"]["who"]
        assert f"staking.Bonded(who={who[:10]}…{who[-6:]}, role=0, amount={bonded['args']['amount']})" in \
            watched.text("table")

        again = staking.functions.bond(0).transact({"from": dev_account(1).address, "value": 3_000 * UNIT,
                                                    "gas": 200_000})
        assert wait_receipt(chain, again)["status"] == 0
        watched.open(f"#/tx/{again.to_0x_hex()}")
        expect(page.locator("#tx-hash")).to_have_text(again.to_0x_hex())
        assert watched.text("#tx-status") == "failed: staking.AlreadyBonded(role=0)"
        page.screenshot(path=tmp_path / "revert.png", full_page=True)

        page.fill("#query", str(receipt["blockNumber"]))
        page.press("#query", "Enter")
        expect(page.locator("h1")).to_have_text(f"Block #{receipt['blockNumber']}")
        page.fill("#query", recipient)
        page.press("#query", "Enter")
        assert chain.w3.eth.get_balance(recipient) == 3 * UNIT // 2
        expect(page.locator("#account-balance")).to_have_text("1.5 FLOCK")
        page.screenshot(path=tmp_path / "account.png", full_page=True)
        watched.close_clean()
    finally:
        stop_dev_chain(chain.process)


def as_flock(wei: int) -> str:
    """An amount as the explorer writes it: whole FLOCK with thousands separators, up to four decimals."""
    fraction = str(wei % UNIT).zfill(18)[:4].rstrip("0")
    return f"{wei // UNIT:,}" + (f".{fraction}" if fraction else "") + " FLOCK"


def send_from_wallet_page(watched: WatchedPage, inputs: dict[str, str]) -> str:
    for name, value in inputs.items():
        watched.page.fill(f"#action-form [name={name}]", value)
    watched.page.click("#action-form button[type=submit]")
    expect(watched.page.locator("#action-result")).to_contain_text("Done")
    return watched.text("#action-result")


def test_the_wallet_page_stakes_with_a_dev_account_and_locks_with_an_injected_wallet(browser, tmp_path):
    chain = start_dev_chain(tmp_path)
    staking, gmflock = module_contract(chain, "staking"), module_contract(chain, "gmflock")
    staker, holder = dev_account(2).address, dev_account(4).address
    try:
        watched = WatchedPage(browser, chain)
        watched.open("#/wallet/staking.bond")
        watched.page.select_option("#dev-account", staker)
        send_from_wallet_page(watched, {"arg0": "0", "value": "3000"})
        assert staking.functions.stakeOf(staker).call() == 3_000 * UNIT
        watched.page.screenshot(path=tmp_path / "wallet-dev.png", full_page=True)
        watched.close_clean()

        injected = WatchedPage(browser, chain, f"const ACCOUNT = {holder!r};\n{INJECTED_WALLET}")
        injected.open("#/wallet/gmflock.lock")
        injected.page.click("#connect-wallet")
        expect(injected.page.locator("#page")).to_contain_text(holder[:10])
        send_from_wallet_page(injected, {"arg0": "30", "value": "100"})
        assert gmflock.functions.lockCount(holder).call() == 1
        assert gmflock.functions.lockOf(holder, 0).call()[0] == 100 * UNIT

        for _ in range(6):  # 10,200 blocks, past eth_getLogs' 10,000-block range: the pages read logs in ranges
            chain.result("evm_mine", {"blocks": 1_700})  # (in parts: one long evm_mine outlasts a loaded RPC timeout)
        governance, market = module_contract(chain, "governance"), module_contract(chain, "marketplace")
        change = bytes.fromhex(governance.encode_abi("setParameter", args=["VotingPeriod", 30])[2:])
        proposed = wait_receipt(chain, governance.functions.propose([governance.address], [0], [change],
                                                                    "explorer test proposal").transact({"from": holder}))
        [created] = governance.events.ProposalCreated().process_receipt(proposed, errors=DISCARD)
        wait_receipt(chain, market.functions.createModel("explorer-test-model", "linear").transact({"from": holder}))
        wait_receipt(chain, market.functions.publishVersion(0, b"\x11" * 32, 0, 0, 0).transact({"from": holder}))
        injected.open("#/governance")
        row = injected.page.locator("tr", has_text="explorer test proposal")
        state = governance.functions.state(created["args"]["proposalId"]).call()
        expect(row).to_contain_text(PROPOSAL_STATES[state])
        row.get_by_role("link", name="vote").click()
        expect(injected.page.locator("#action-call")).to_have_value("governance.castVote")
        expect(injected.page.locator("#action-form [name=arg0]")).to_have_value(str(created["args"]["proposalId"]))
        injected.open("#/market")
        expect(injected.page.locator("tr", has_text="explorer-test-model")).to_contain_text("unverified upload")
        injected.page.screenshot(path=tmp_path / "market.png", full_page=True)
        injected.open(f"#/address/{holder}")
        expect(injected.page.locator("#account-balance")).to_have_text(as_flock(chain.w3.eth.get_balance(holder)))
        for route, heading in (("#/validators", "Validators"), ("#/arena", "AI Arena tasks")):
            injected.open(route)
            expect(injected.page.locator("h1")).to_have_text(heading)
        injected.close_clean()
    finally:
        stop_dev_chain(chain.process)


def test_the_dashboard_shows_a_sample_round_complete_with_its_loss(browser, tmp_path):
    chain = start_dev_chain(tmp_path, sample_task=True)
    try:
        watched = WatchedPage(browser, chain)
        page = watched.page
        watched.open("#/fl")
        page.click('a[href="#/fl/0"]', timeout=60_000)
        page.locator("#loss-chart").wait_for()
        current = int(chain.result("flock_getTask", "0x0")["round"], 16)
        row = page.locator(f'a[href="#/fl/0/{current}"]')
        row.wait_for(timeout=90_000)
        ended = chain.result("flock_getRound", "0x0", hex(current))
        cells = page.locator("tr", has=row).locator("td").all_inner_texts()
        assert cells[1] == ended["status"]
        expect(page.locator("#loss-chart circle")).not_to_have_count(0, timeout=60_000)
        expect(page.locator("#loss-chart circle").nth(1)).to_be_attached(timeout=60_000)
        page.screenshot(path=tmp_path / "fl-task.png", full_page=True)
        row.click()
        expect(page.locator("h1")).to_contain_text(f"round {current}")
        members = watched.text("table")
        for member in ended["proposers"] + ended["voters"]:
            assert member["address"][:10] in members
        page.screenshot(path=tmp_path / "fl-round.png", full_page=True)
        watched.close_clean()
    finally:
        stop_dev_chain(chain.process)


# --- the page's Keccak and ABI code agrees with eth-hash and eth-abi ------------------------------------------

@pytest.fixture(scope="module")
def explorer_page(browser, tmp_path_factory):
    chain = start_dev_chain(tmp_path_factory.mktemp("abi"))
    context = browser.new_context()
    page = context.new_page()
    page.goto(chain.url + "/")
    page.wait_for_function("window.abi !== undefined")
    yield page
    context.close()
    stop_dev_chain(chain.process)


def js_json(abi_type: str, value):
    """A Python ABI value as the page's code returns it: integers as decimal strings, bytes as hex, addresses
    checksummed."""
    if abi_type.endswith("]"):
        inner = abi_type[:abi_type.rindex("[")]
        return [js_json(inner, v) for v in value]
    if abi_type == "address":
        return Web3.to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


ADDRESSES = st.binary(min_size=20, max_size=20).map(lambda b: Web3.to_checksum_address(b))
SCALARS = {
    "uint8": st.integers(0, 2**8 - 1), "uint32": st.integers(0, 2**32 - 1), "uint64": st.integers(0, 2**64 - 1),
    "uint256": st.integers(0, 2**256 - 1), "bool": st.booleans(), "address": ADDRESSES,
    "bytes32": st.binary(min_size=32, max_size=32), "bytes": st.binary(max_size=80), "string": st.text(max_size=40),
}
ABI_VALUES = st.one_of(
    *[st.tuples(st.just(t), s) for t, s in SCALARS.items()],
    *[st.tuples(st.just(f"{t}[]"), st.lists(SCALARS[t], max_size=4)) for t in ("uint256", "address", "bytes", "string")],
    st.tuples(st.just("uint32[5]"), st.lists(SCALARS["uint32"], min_size=5, max_size=5)),
    st.tuples(st.just("bytes32[]"), st.lists(SCALARS["bytes32"], max_size=3)),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(ABI_VALUES, min_size=1, max_size=4))
def test_the_pages_abi_code_encodes_and_decodes_as_eth_abi_does(explorer_page, typed):
    types, values = [t for t, _ in typed], [v for _, v in typed]
    expected = "0x" + eth_abi.encode(types, values).hex()
    as_js = lambda decoded: [js_json(t, v) for t, v in zip(types, decoded)]
    encoded = explorer_page.evaluate(
        "([types, values]) => '0x' + abi.toHex(abi.encodeValues(types, values))", [types, as_js(values)])
    assert encoded == expected
    decoded = explorer_page.evaluate(
        "([types, data]) => JSON.stringify(abi.decodeValues(types, abi.fromHex(data)), "
        "(k, v) => typeof v === 'bigint' ? v.toString() : v)", [types, expected])
    assert json.loads(decoded) == as_js(eth_abi.decode(types, bytes.fromhex(expected[2:])))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_the_pages_keccak_is_keccak256(explorer_page, data):
    digest = explorer_page.evaluate("(data) => '0x' + abi.toHex(abi.keccak256(abi.fromHex(data)))", "0x" + data.hex())
    assert digest == "0x" + keccak(data).hex()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["uint256", "address", "bytes", "string", "uint256[]", "bytes[]", "uint32[5]"]),
                min_size=1, max_size=3), st.binary(max_size=300))
def test_hostile_abi_data_is_refused_with_a_clear_error(explorer_page, types, data):
    outcome = explorer_page.evaluate(
        "([types, data]) => { try { abi.decodeValues(types, abi.fromHex(data)); return 'decoded'; } "
        "catch (error) { return error instanceof Error ? 'error: ' + error.message : 'threw a non-error'; } }",
        [types, "0x" + data.hex()])
    assert outcome == "decoded" or outcome.startswith("error: ABI "), outcome


def test_offsets_that_overlap_cannot_make_small_data_decode_to_a_huge_value(explorer_page):
    tail = eth_abi.encode(["string"], ["x" * 1024])[32:]  # length word and 1 KB of text
    count = 3_000
    data = (0x20).to_bytes(32, "big") + count.to_bytes(32, "big") + (32 * count).to_bytes(32, "big") * count + tail
    assert eth_abi.decode(["string[]"], data)[0][0] == "x" * 1024, "eth-abi accepts it: one tail shared 3,000 times"
    outcome = explorer_page.evaluate(
        "(data) => { try { abi.decodeValues(['string[]'], abi.fromHex(data)); return 'decoded'; } "
        "catch (error) { return error.message; } }", "0x" + data.hex())
    assert outcome == "ABI data decodes to far more than its length (overlapping offsets)"


def test_empty_or_malformed_inputs_are_refused_not_read_as_zero(explorer_page):
    for abi_type, value in (("uint8", ""), ("uint256", "  "), ("uint256", "1.5"), ("bool", "yes"), ("bool", "")):
        outcome = explorer_page.evaluate(
            "([type, value]) => { try { abi.encodeValues([type], [value]); return 'encoded'; } "
            "catch (error) { return error.message; } }", [abi_type, value])
        assert outcome.startswith(f"{abi_type} needs"), (abi_type, value, outcome)
