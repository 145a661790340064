"""The explorer a node serves at / (rpc/explorer), in a real headless Chromium against real `flockchain dev`
processes: follow a transfer from the head list to its page, check decoded calls, events and revert reasons
against the RPC's answers, search, act from the wallet page with a dev account and with an injected EIP-1193
provider, and watch a sample-task round complete with its loss charted. Every page is screenshot into the
test's directory; no page may log a console error or request anything from another host."""

import asyncio
import json

import pytest
from eth_account import Account
from web3.logs import DISCARD

from .browser import Browser
from .devchain import dev_account, module_contract, start_dev_chain, stop_dev_chain, wait_receipt

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
UNIT = 10**18

INJECTED_WALLET = """
window.ethereum = {
  isTestWallet: true,
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
def browser(tmp_path_factory):
    chromium = Browser(tmp_path_factory.mktemp("chromium"))
    yield chromium
    chromium.close()


def page_text(tab, selector: str):
    return tab.evaluate(f"(document.querySelector({json.dumps(selector)}) || {{}}).innerText || ''")


RENDERED = "((document.getElementById('page') || {dataset: {}}).dataset.rendered || '')"
"""A stamp the explorer sets each time it renders a page."""


async def open_page(tab, url: str, route: str, ready: str) -> None:
    """Go to a route and wait until the page is rendered anew and shows `ready` (a JS condition)."""
    before = await tab.evaluate(RENDERED)
    await tab.navigate(f"{url}/{route}")
    await tab.wait_for(f"{RENDERED} && {RENDERED} !== {json.dumps(before)} && ({ready})", what=f"{route}: {ready}")


def assert_clean(tab, chain) -> None:
    assert tab.console_errors == [], tab.console_errors
    foreign = [url for url in tab.requests if not url.startswith(chain.url + "/") and not url.startswith("data:")]
    assert foreign == [], f"the explorer requested other hosts: {foreign}"
    assert any(url.endswith("/explorer/app.js") for url in tab.requests)


def test_a_transfer_a_module_call_and_a_revert_read_as_the_rpc_reports_them(browser, tmp_path):
    chain = start_dev_chain(tmp_path)
    sender, recipient = dev_account(0), Account.create().address
    staking = module_contract(chain, "staking")

    async def scenario():
        async with browser.tab() as tab:
            await open_page(tab, chain.url, "", "document.getElementById('live').textContent === 'live'")
            transfer = chain.w3.eth.send_transaction({"from": sender.address, "to": recipient, "value": 3 * UNIT // 2})
            wait_receipt(chain, transfer)
            link = f'a[href="#/tx/0x{transfer.hex().removeprefix("0x")}"]'
            await tab.wait_for(f"document.querySelector({json.dumps(link)})", what="the transfer in the head list")
            await tab.screenshot(tmp_path / "home.png")
            await tab.evaluate(f"document.querySelector({json.dumps(link)}).click()")
            tx = chain.w3.eth.get_transaction(transfer)
            await tab.wait_for(f"document.getElementById('tx-hash') && document.getElementById('tx-hash').innerText === "
                               f"{json.dumps(tx['hash'].to_0x_hex())}", what="the transaction page")
            assert tx["value"] == 3 * UNIT // 2 and await page_text(tab, "#tx-value") == "1.5 FLOCK"
            assert await page_text(tab, "#tx-status") == "success"
            assert await page_text(tab, "#tx-call") == "plain transfer"
            await tab.screenshot(tmp_path / "transfer.png")

            bond = staking.functions.bond(0).transact({"from": dev_account(1).address, "value": 3_000 * UNIT})
            receipt = wait_receipt(chain, bond)
            [bonded] = staking.events.Bonded().process_receipt(receipt, errors=DISCARD)
            await open_page(tab, chain.url, f"#/tx/{bond.to_0x_hex()}", "document.getElementById('tx-call')")
            assert await page_text(tab, "#tx-call") == "staking.bond(role=0)"
            events = await page_text(tab, "table")
            assert (f"staking.Bonded(who={bonded['args']['who'][:10]}…{bonded['args']['who'][-6:]}, role=0, "
                    f"amount={bonded['args']['amount']})") in events

            again = staking.functions.bond(0).transact({"from": dev_account(1).address, "value": 3_000 * UNIT,
                                                        "gas": 200_000})
            assert wait_receipt(chain, again)["status"] == 0
            await open_page(tab, chain.url, f"#/tx/{again.to_0x_hex()}", "document.getElementById('tx-status')")
            assert await page_text(tab, "#tx-status") == "failed: staking.AlreadyBonded(role=0)"
            await tab.screenshot(tmp_path / "revert.png")

            block = receipt["blockNumber"]
            await tab.evaluate(f"document.getElementById('query').value = '{block}'; "
                               "document.getElementById('search').requestSubmit()")
            await tab.wait_for(f"document.querySelector('h1') && document.querySelector('h1').innerText === 'Block #{block}'")
            await tab.evaluate(f"document.getElementById('query').value = '{recipient}'; "
                               "document.getElementById('search').requestSubmit()")
            await tab.wait_for("document.getElementById('account-balance')", what="the account page")
            assert chain.w3.eth.get_balance(recipient) == 3 * UNIT // 2
            assert await page_text(tab, "#account-balance") == "1.5 FLOCK"
            await tab.screenshot(tmp_path / "account.png")
            assert_clean(tab, chain)

    try:
        asyncio.run(scenario())
    finally:
        stop_dev_chain(chain.process)


async def send_from_wallet_page(tab, inputs: dict[str, str]) -> str:
    for name, value in inputs.items():
        await tab.evaluate(f"document.querySelector('#action-form [name={name}]').value = {json.dumps(value)}")
    await tab.evaluate("document.getElementById('action-form').requestSubmit()")
    return await tab.wait_for("/Done|Failed|error|first/.test(document.getElementById('action-result').innerText) && "
                              "document.getElementById('action-result').innerText", what="the action's outcome")


def test_the_wallet_page_stakes_with_a_dev_account_and_locks_with_an_injected_wallet(browser, tmp_path):
    chain = start_dev_chain(tmp_path)
    staking, gmflock = module_contract(chain, "staking"), module_contract(chain, "gmflock")
    staker, holder = dev_account(2).address, dev_account(4).address

    async def scenario():
        async with browser.tab() as tab:
            await open_page(tab, chain.url, "#/wallet/staking.bond", "document.getElementById('dev-account')")
            await tab.evaluate(f"const s = document.getElementById('dev-account'); s.value = {json.dumps(staker)}; "
                               "s.dispatchEvent(new Event('change'))")
            outcome = await send_from_wallet_page(tab, {"arg0": "0", "value": "3000"})
            assert outcome.startswith("Done"), outcome
            assert staking.functions.stakeOf(staker).call() == 3_000 * UNIT
            await tab.screenshot(tmp_path / "wallet-dev.png")
            assert_clean(tab, chain)

        async with browser.tab() as tab:
            await tab.command("Page.addScriptToEvaluateOnNewDocument",
                              source=f"const ACCOUNT = {json.dumps(holder)};\n{INJECTED_WALLET}")
            await open_page(tab, chain.url, "#/wallet/gmflock.lock", "document.getElementById('connect-wallet')")
            await tab.evaluate("document.getElementById('connect-wallet').click()")
            await tab.wait_for(f"document.getElementById('page').innerText.includes({json.dumps(holder[:10])})",
                               what="the injected account")
            outcome = await send_from_wallet_page(tab, {"arg0": "30", "value": "100"})
            assert outcome.startswith("Done"), outcome
            assert gmflock.functions.lockCount(holder).call() == 1
            assert gmflock.functions.lockOf(holder, 0).call()[0] == 100 * UNIT
            assert_clean(tab, chain)

    try:
        asyncio.run(scenario())
    finally:
        stop_dev_chain(chain.process)


def test_the_dashboard_shows_a_sample_round_complete_with_its_loss(browser, tmp_path):
    chain = start_dev_chain(tmp_path, sample_task=True)

    async def scenario():
        async with browser.tab() as tab:
            await open_page(tab, chain.url, "#/fl", "document.querySelector('a[href=\"#/fl/0\"]')")
            await tab.evaluate("document.querySelector('a[href=\"#/fl/0\"]').click()")
            await tab.wait_for("document.getElementById('loss-chart')", what="the task page")
            current = int(chain.result("flock_getTask", "0x0")["round"], 16)
            row = f'a[href="#/fl/0/{current}"]'
            await tab.wait_for(f"document.querySelector({json.dumps(row)})", timeout=90,
                               what=f"round {current} completing on the page")
            ended = chain.result("flock_getRound", "0x0", hex(current))
            cells = await tab.evaluate(f"Array.from(document.querySelector({json.dumps(row)}).closest('tr').cells, "
                                       "c => c.innerText)")
            assert cells[1] == ended["status"]
            await tab.wait_for("document.querySelectorAll('#loss-chart circle').length >= 2", timeout=60,
                               what="two rounds on the loss chart")
            await tab.screenshot(tmp_path / "fl-task.png")
            await tab.evaluate(f"document.querySelector({json.dumps(row)}).click()")
            await tab.wait_for("document.querySelector('h1') && document.querySelector('h1').innerText.includes("
                               f"'round {current}')", what="the round page")
            members = await page_text(tab, "table")
            for member in ended["proposers"] + ended["voters"]:
                assert member["address"][:10] in members
            await tab.screenshot(tmp_path / "fl-round.png")
            assert_clean(tab, chain)

    try:
        asyncio.run(scenario())
    finally:
        stop_dev_chain(chain.process)
