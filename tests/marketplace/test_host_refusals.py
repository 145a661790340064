"""`flockchain host` refusing what it must not answer or be paid by, through real processes: vouchers that are
not the user's signature for this chain and this host (401), and weights bytes that do not hash to the
version's weights as a hostile RPC provider hands them over (the host does not start on them, or answers 503
while they are the version due); then `flockchain market predict` run as a user runs it, and hosting/client.py waiting
out a used free tier until the next epoch. After every refusal the host answers a good request."""

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
import requests
from aiohttp import web

from fl_module.worker import models, tensors
from fl_module.worker.demo import Rpc
from fl_module.worker.ports import free_port
from hosting.client import Client, MarketError
from hosting.demo import create_model, kill, publish, register_host, start_host, wait_for
from hosting.inputs import compute_inputs_hash
from marketplace.formats import UNVERIFIED, Voucher, sign_digest
from tests.marketplace.test_host import (PRICE, ROW, free_auth, give_free_tier, market,  # noqa: F401 (fixture)
                                         post, served_entry)
from tests.rpc.devchain import CHAIN_ID, ROOT, dev_account, start_dev_chain, stop_dev_chain

pytestmark = pytest.mark.slow


def signed_voucher(market, user, requests_: int, signer=None, chain_id: int = CHAIN_ID, host=None,
                   inputs=(ROW,)) -> dict:
    """`auth` for a voucher paying `requests_` requests at PRICE, signed by `signer` (the user by default) over
    `chain_id`'s domain for `host` (the market's host by default) and `inputs`."""
    expiry = int(time.time()) + 7200
    message = Voucher(bytes.fromhex(user.address[2:]), bytes.fromhex((host or market.host).address[2:]),
                      market.model, requests_, requests_ * PRICE, expiry, compute_inputs_hash(inputs))
    return {"user": user.address,
            "voucher": {"requests": requests_, "amount": str(requests_ * PRICE), "expiry": expiry},
            "signature": "0x" + sign_digest(bytes((signer or user).key), message.digest(chain_id)).hex()}


def test_a_voucher_that_is_not_the_users_signature_for_this_chain_and_host_is_refused_with_401(market):
    """The host checks the EIP-712 signature before it answers: a voucher the chain would refuse to redeem
    (someone else's key, another chain's domain, another host) pays for nothing, and is not kept; nor does one
    signed for other inputs (a signature seen on the way, spent on the thief's inputs)."""
    user = dev_account(2)
    market.rpc.send(user, "marketplace", "deposit", market.host.address, market.model, value=10 * PRICE)
    forged = {"signed by another key": signed_voucher(market, user, 1, signer=dev_account(3)),
              "signed for another chain id": signed_voucher(market, user, 1, chain_id=CHAIN_ID + 1),
              "signed for another host": signed_voucher(market, user, 1, host=dev_account(7)),
              "signed for other inputs": signed_voucher(market, user, 1, inputs=[[1.0] * 64])}
    for why, auth in forged.items():
        answer = post(market, {"model": market.model, "inputs": [ROW], "auth": auth})
        assert answer.status_code == 401, (why, answer.text)
        assert "signature is not the user's" in answer.json()["error"] and "Voucher" in answer.json()["error"], why
    served = post(market, {"model": market.model, "inputs": [ROW], "auth": signed_voucher(market, user, 1)})
    assert served.status_code == 200, served.text
    assert (served.json()["tier"], served.json()["charged"]) == ("paid", str(PRICE)), \
        "request 1 is still the next one: no refused voucher was counted"
    channel = market.market.functions.channel(user.address, market.host.address, market.model)
    wait_for(lambda: channel.call()[1:3] == [PRICE, 1], 60, "the host to redeem the one good voucher")


class HostileNode:
    """An RPC provider that relays a real node (JSON-RPC over HTTP and WebSocket, blobs) but answers GET
    /blobs/0x<hash> with other bytes for the hashes in `swaps`: a host must not trust the bytes it is given."""

    def __init__(self, node_url: str):
        self.node = node_url
        self.swaps: dict[bytes, bytes] = {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.start(), self.loop).result(10)

    async def start(self) -> None:
        self.session = aiohttp.ClientSession()
        app = web.Application(client_max_size=64 << 20)
        app.router.add_get("/blobs/{name}", self.blob)
        app.router.add_route("*", "/{tail:.*}", self.relay)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def blob(self, request: web.Request) -> web.StreamResponse:
        swapped = self.swaps.get(bytes.fromhex(request.match_info["name"].removeprefix("0x")))
        if swapped is not None:
            return web.Response(body=swapped, content_type="application/octet-stream")
        return await self.relay(request)

    async def relay(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.relay_socket(request)
        async with self.session.request(request.method, self.node + request.path_qs, data=await request.read(),
                                        headers={"Content-Type": request.headers.get("Content-Type", "")}) as answer:
            return web.Response(body=await answer.read(), status=answer.status,
                                headers={"Content-Type": answer.headers.get("Content-Type", "")})

    async def relay_socket(self, request: web.Request) -> web.WebSocketResponse:
        ours = web.WebSocketResponse(max_msg_size=0)
        await ours.prepare(request)
        async with self.session.ws_connect(self.node.replace("http://", "ws://") + request.path_qs,
                                           max_msg_size=0) as theirs:
            async def pump(source, sink):
                async for message in source:
                    if message.type == aiohttp.WSMsgType.TEXT:
                        await sink.send_str(message.data)
                    elif message.type == aiohttp.WSMsgType.BINARY:
                        await sink.send_bytes(message.data)
            pumps = [asyncio.ensure_future(pump(ours, theirs)), asyncio.ensure_future(pump(theirs, ours))]
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for task in pumps:
                task.cancel()
        await ours.close()
        return ours

    def close(self) -> None:
        async def stop():
            await self.runner.cleanup()
            await self.session.close()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def test_bytes_that_do_not_hash_to_the_versions_weights_are_never_served(market):
    """The host gets its weights from whatever node it is pointed at, so it hashes the bytes itself. Bytes that
    are a good model of the right kind, but not the version's, are refused: a host does not start on them (exit
    1); a running host on `latest` answers 503 and says why in `unservable` (never the old version: the chain
    credits the new one), then serves the new version once the provider hands over its real bytes."""
    owner, host = dev_account(1), dev_account(6)
    swapped_in = tensors.encode_model(models.init_model("mlp", 0))
    first = market.rpc.put_blob(tensors.encode_model(models.init_model("mlp", 1)))
    second = market.rpc.put_blob(tensors.encode_model(models.init_model("mlp", 2)))
    model = create_model(market.rpc, owner, "hostile-provider", "mlp")
    publish(market.rpc, owner, model, first, UNVERIFIED)
    port = free_port()
    endpoint = register_host(market.rpc, host, model, PRICE, port)
    provider, process = HostileNode(market.chain.url), None
    try:
        provider.swaps[first] = swapped_in
        directory = market.work / "host-hostile-provider"
        with pytest.raises(RuntimeError, match=r"exited \(1\)"):
            start_host(directory, provider.url, host.key.hex(), model, port)
        log = (directory / "host.log").read_text()
        assert f"flockchain host: model {model}: version 1's weights cannot be served: the node served bytes that " \
               f"do not hash to 0x{first.hex()}" in log, log

        del provider.swaps[first]
        process = start_host(directory, provider.url, host.key.hex(), model, port)
        user = dev_account(5)
        market.rpc.send(user, "marketplace", "deposit", host.address, model, value=10 * PRICE)
        at_this_host = SimpleNamespace(model=model, host=host)

        def ask(count: int) -> dict:
            answer = post(market, {"model": model, "inputs": [ROW],
                                   "auth": signed_voucher(at_this_host, user, count)}, endpoint=endpoint)
            assert answer.status_code == 200, answer.text
            return answer.json()
        assert (ask(1)["version"], served_entry(endpoint)["unservable"]) == (1, None)

        provider.swaps[second] = swapped_in
        publish(market.rpc, owner, model, second, UNVERIFIED)
        wait_for(lambda: served_entry(endpoint)["unservable"] is not None, 30,
                 "the host on `latest` to find version 2 unservable")
        entry = served_entry(endpoint)
        assert entry["unservable"] == f"version 2's weights cannot be served: the node served bytes that do not " \
                                      f"hash to 0x{second.hex()}", entry
        assert (entry["serving"], entry["version"], entry["weights"]) == (False, None, None)
        refused = post(market, {"model": model, "inputs": [ROW], "auth": signed_voucher(at_this_host, user, 2)},
                       endpoint=endpoint)
        assert (refused.status_code, refused.json()["error"]) == (503, entry["unservable"]), \
            "the swapped bytes are a loadable model, yet nothing is served as version 2"
        assert int(refused.headers["Retry-After"]) >= 1, "when the host tries to load the version again"

        del provider.swaps[second]
        wait_for(lambda: served_entry(endpoint)["version"] == 2, 30, "the host to load version 2's real bytes")
        assert served_entry(endpoint)["unservable"] is None
        answer = ask(2)
        assert (answer["version"], answer["weights"], answer["charged"]) == (2, "0x" + second.hex(), str(PRICE))
    finally:
        if process is not None:
            kill(process)
        provider.close()


def market_predict(market, directory: Path, user, *extra: str) -> subprocess.CompletedProcess:
    key_file = directory / f"{user.address}.key"
    key_file.write_text(user.key.hex().removeprefix("0x"))
    key_file.chmod(0o600)
    return subprocess.run([sys.executable, "-m", "flockchain", "market", "predict", "--rpc", market.chain.url,
                           "--key-file", str(key_file), "--model", str(market.model), "--input",
                           str(directory / "rows.json"), "--log-level", "WARNING", *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_market_predict_prints_the_answer_and_the_chain_counts_the_request(market, tmp_path):
    """What a user types: a staked user's request is free, an unstaked user's is paid from the escrow the
    command deposits; both are on chain once the host settles and redeems."""
    free_user, payer = dev_account(3), dev_account(4)
    give_free_tier(market, free_user)
    (tmp_path / "rows.json").write_text(json.dumps({"inputs": [ROW, [1.0] * 64, [16.0] * 64]}))
    usage = market.market.functions.usage(market.model, market.version)
    paid_before, free_before = usage.call()[:2]

    done = market_predict(market, tmp_path, free_user)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["model"], answer["version"], answer["tier"], answer["charged"]) == \
        (market.model, market.version, "free", "0")
    assert len(answer["predictions"]) == 3 and all(0 <= p < 10 for p in answer["predictions"])
    assert len(answer["outputs"]) == 3 and all(len(row) == 10 for row in answer["outputs"])

    done = market_predict(market, tmp_path, payer, "--deposit", str(10 * PRICE))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["tier"], answer["charged"], len(answer["predictions"])) == ("paid", str(PRICE), 3)

    channel = market.market.functions.channel(payer.address, market.host.address, market.model)
    wait_for(lambda: channel.call() == [9 * PRICE, PRICE, 1, 0], 60, "the host to redeem the CLI's voucher")
    wait_for(lambda: usage.call()[:2] == [paid_before + 1, free_before + 1], 60,
             "usage on chain: the paid and the free request")


def test_a_client_told_not_to_pay_never_signs_a_voucher(market):
    """`pay=False` (`market predict --no-pay`) means: free tier or wait for the next one. Escrow at the host and
    an earlier call that found the free tier used must not turn a later call into a paid one."""
    user = dev_account(9)
    market.rpc.send(user, "gmflock", "lock", 30, value=10 * 10**18)  # 10 gmFLOCK: 1 free request an epoch
    market.rpc.send(user, "marketplace", "deposit", market.host.address, market.model, value=10 * PRICE)
    client = Client(market.chain.url, user.key)
    assert client.predict(market.model, [ROW], pay=False, max_wait=0)["tier"] == "free"
    tiers = []
    for _ in range(2):
        try:
            tiers.append(client.predict(market.model, [ROW], pay=False, max_wait=0)["tier"])
        except MarketError as refused:
            tiers.append(refused.status)
    assert "paid" not in tiers, f"told not to pay, the client paid: {tiers}"


@pytest.fixture(scope="module")
def short_epochs(tmp_path_factory):
    """A dev chain sealing a block every 0.25 s with 20-slot epochs (5 s), one model served by one host."""
    work = tmp_path_factory.mktemp("short-epochs")
    spec = json.loads((ROOT / "genesis" / "dev.json").read_text())
    spec["genesis"]["runtime"]["randomness"]["epochLength"] = 20
    (work / "spec.json").write_text(json.dumps(spec))
    (work / "chain").mkdir()
    chain = start_dev_chain(work / "chain", extra_args=("--chain", str(work / "spec.json"), "--block-time", "0.25"))
    process = None
    try:
        rpc = Rpc(chain.url)
        owner, host = dev_account(1), dev_account(8)
        model = create_model(rpc, owner, "digits", "mlp")
        publish(rpc, owner, model, rpc.put_blob(tensors.encode_model(models.init_model("mlp", 0))), UNVERIFIED)
        port = free_port()
        endpoint = register_host(rpc, host, model, PRICE, port)
        process = start_host(work / "host", chain.url, host.key.hex(), model, port, redeem_seconds=1)
        yield SimpleNamespace(chain=chain, rpc=rpc, model=model, host=host, endpoint=endpoint,
                              market=rpc.contract("marketplace"), epoch_length=20)
    finally:
        if process is not None:
            kill(process)
        stop_dev_chain(chain.process)


def test_the_client_waits_retry_after_for_the_next_epoch_and_is_served_free_in_it(short_epochs):
    """A user who will not pay (`pay=False`) and whose free tier is used waits until the next epoch, as the
    host's Retry-After says, instead of failing; that request is counted in the new epoch."""
    market = short_epochs
    user = dev_account(9)
    market.rpc.send(user, "gmflock", "lock", 30, value=10 * 10**18)  # 10 gmFLOCK: 1 free request an epoch
    client = Client(market.chain.url, user.key)
    slot = lambda: int(market.chain.result("chain_getHeader")["digest"]["slot"], 16)  # noqa: E731
    wait_for(lambda: slot() % market.epoch_length in (1, 2, 3), 30, "the start of an epoch")
    epoch = market.market.functions.currentEpoch().call()
    wait_for(lambda: served_entry(market.endpoint)["epoch"] == epoch, 3, "the host to read the new epoch")
    assert market.market.functions.freeTier(user.address, epoch).call()[0] == 1
    assert client.predict(market.model, [ROW], pay=False, max_wait=0)["tier"] == "free"
    used = post(market, {"model": market.model, "inputs": [ROW], "auth": free_auth(market, user, epoch, 2)})
    assert used.status_code == 429 and used.json()["allowance"] == 1, used.text
    retry_after = int(used.headers["Retry-After"])
    assert 1 <= retry_after <= 7, "about the 4 to 5 s left of a 5 s epoch"

    started = time.monotonic()
    answer = client.predict(market.model, [ROW], pay=False, max_wait=30)
    waited = time.monotonic() - started
    assert answer["tier"] == "free" and answer["charged"] == "0"
    assert retry_after - 1.5 <= waited <= retry_after + 4, (waited, retry_after)
    assert market.market.functions.currentEpoch().call() > epoch
    wait_for(lambda: market.market.functions.freeTier(user.address, epoch + 1).call() == [1, 1], 30,
             "the host to settle the second request in the new epoch")
    assert market.market.functions.freeTier(user.address, epoch).call() == [1, 1], "and the first in the old one"
