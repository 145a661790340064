"""`flockchain host` processes against a real dev node, used through hosting/client.py as a user would: the
free tier, 429 with Retry-After, escrow and vouchers redeemed on chain, every refusal of a bad request
(the host keeps serving), a host killed with -9 that loses no voucher, and a version it cannot verify."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import requests
from web3 import Web3

from fl_module.worker import models, tensors
from fl_module.worker.demo import Rpc, free_port
from hosting.client import Client, MarketError
from hosting.demo import create_model, kill, publish, register_host, start_host, wait_for
from hosting.inputs import compute_inputs_hash
from marketplace.formats import UNVERIFIED, FreeRequests, Voucher, sign_digest
from tests.rpc.devchain import dev_account, start_dev_chain, stop_dev_chain

PRICE = 10**15
ROW = [0.0] * 64


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    work = tmp_path_factory.mktemp("market")
    (work / "chain").mkdir()
    chain = start_dev_chain(work / "chain")
    processes = []
    try:
        rpc = Rpc(chain.url)
        owner, host = dev_account(1), dev_account(8)
        model = create_model(rpc, owner, "digits", "mlp")
        weights = rpc.put_blob(tensors.encode_model(models.init_model("mlp", 0)))
        version = publish(rpc, owner, model, weights, UNVERIFIED)
        port = free_port()
        endpoint = register_host(rpc, host, model, PRICE, port)
        processes.append(start_host(work / "host", chain.url, host.key.hex(), model, port, redeem_seconds=1))
        yield SimpleNamespace(chain=chain, rpc=rpc, model=model, version=version, weights=weights, host=host,
                              endpoint=endpoint, work=work, processes=processes,
                              market=rpc.contract("marketplace"))
    finally:
        for process in processes:
            if process.poll() is None:
                kill(process)
        stop_dev_chain(chain.process)


def post(market, body, endpoint=None, **kwargs):
    return requests.post(f"{endpoint or market.endpoint}/v1/predict", timeout=10, **kwargs,
                         **({} if "data" in kwargs else {"json": body}))


def free_auth(market, user, epoch, count, host=None, inputs=(ROW,)):
    host = host or market.host
    digest = FreeRequests(bytes.fromhex(user.address[2:]), bytes.fromhex(host.address[2:]), market.model, epoch,
                          count, compute_inputs_hash(inputs)).digest(31337)
    return {"user": user.address, "free": {"epoch": epoch, "requests": count},
            "signature": "0x" + sign_digest(bytes(user.key), digest).hex()}


def give_free_tier(market, user):
    """100 gmFLOCK: 10 free requests an epoch."""
    market.rpc.send(user, "gmflock", "lock", 30, value=100 * 10**18)


def voucher_auth(market, user, count, amount, expiry=None, host=None, inputs=(ROW,)):
    expiry = expiry or int(time.time()) + 7200
    host = host or market.host
    digest = Voucher(bytes.fromhex(user.address[2:]), bytes.fromhex(host.address[2:]), market.model, count,
                     amount, expiry, compute_inputs_hash(inputs)).digest(31337)
    return {"user": user.address, "voucher": {"requests": count, "amount": str(amount), "expiry": expiry},
            "signature": "0x" + sign_digest(bytes(user.key), digest).hex()}


def test_the_host_describes_its_model_and_its_api(market):
    (entry,) = requests.get(f"{market.endpoint}/v1/models", timeout=10).json()["data"]
    assert (entry["id"], entry["version"], entry["weights"], entry["price"], entry["provenance"], entry["serving"],
            entry["loss"], entry["accuracy"], entry["unservable"]) \
        == (market.model, market.version, "0x" + market.weights.hex(), str(PRICE), "unverified", True, 0, None, None)
    document = requests.get(f"{market.endpoint}/openapi.json", timeout=10).json()
    assert document["openapi"] == "3.1.0" and "/v1/predict" in document["paths"]
    rows = document["paths"]["/v1/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert rows["properties"]["inputs"]["items"]["minItems"] == 64


def test_free_tier_then_429_then_vouchers_redeemed_on_chain(market):
    user = dev_account(9)
    give_free_tier(market, user)
    client = Client(market.chain.url, user.key)
    for _ in range(10):
        answer = client.predict(market.model, [ROW, ROW])
        assert answer["tier"] == "free" and len(answer["predictions"]) == 2 and len(answer["outputs"][0]) == 10
    with pytest.raises(MarketError) as refused:
        client.predict(market.model, [ROW], pay=False, max_wait=0)
    assert refused.value.status == 429 and refused.value.body["allowance"] == 10
    epoch = market.market.functions.currentEpoch().call()
    raw = post(market, {"model": market.model, "inputs": [ROW], "auth": free_auth(market, user, epoch, 11)})
    assert raw.status_code == 429 and int(raw.headers["Retry-After"]) >= 1
    client.deposit(market.model, 100 * PRICE)
    for _ in range(5):
        answer = client.predict(market.model, [ROW])
        assert (answer["tier"], answer["charged"]) == ("paid", str(PRICE))

    def redeemed():
        return market.market.functions.channel(user.address, market.host.address, market.model).call()[1:3] == \
            [5 * PRICE, 5]
    wait_for(redeemed, 60, "the host to redeem the newest voucher")
    wait_for(lambda: market.market.functions.usage(market.model, market.version).call()[:2] == [5, 10], 60,
             "usage on chain: 5 paid, 10 free")


def test_bad_requests_get_a_precise_refusal_and_the_host_keeps_serving(market):
    user = dev_account(5)
    give_free_tier(market, user)
    epoch = market.market.functions.currentEpoch().call()
    good = {"model": market.model, "inputs": [ROW], "auth": free_auth(market, user, epoch, 1)}
    text = post(market, None, data=json.dumps(good), headers={"Content-Type": "text/plain"})
    assert text.status_code == 415 and "application/json" in text.json()["error"]
    huge = post(market, None, data=b"{" + b" " * (2 << 20) + b"}", headers={"Content-Type": "application/json"})
    assert huge.status_code == 413
    broken = post(market, None, data=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and "not JSON" in broken.json()["error"]
    shape = post(market, dict(good, inputs=[[0.0] * 63]))
    assert shape.status_code == 400 and shape.json()["expected"] == [256, 64] and "[N, 64]" in shape.json()["error"]
    nan = post(market, None, data=json.dumps(dict(good, inputs=[[float("nan")] * 64])),
               headers={"Content-Type": "application/json"})
    assert nan.status_code == 400, "NaN is not a number a model can take"
    many = post(market, dict(good, inputs=[ROW] * 257))
    assert many.status_code == 400
    for row in ([1e39] * 64, [10**400] * 64, [True] * 64, ["1"] * 64):
        assert post(market, None, data=json.dumps(dict(good, inputs=[row])),
                    headers={"Content-Type": "application/json"}).status_code == 400, row[0]
    for field, value in (("requests", "²"), ("requests", 2**70), ("epoch", -1), ("epoch", "1e3"), ("requests", 1.5)):
        bad_auth = dict(good["auth"], free=dict(good["auth"]["free"], **{field: value}))
        answer = post(market, dict(good, auth=bad_auth))
        assert answer.status_code == 400 and field in answer.json()["error"], (field, value, answer.text)
    unsigned = post(market, {"model": market.model, "inputs": [ROW]})
    assert unsigned.status_code == 401 and "unsigned" in unsigned.json()["error"]
    forged = dict(good, auth=dict(good["auth"], user=dev_account(4).address))
    assert post(market, forged).status_code == 401
    wrong_model = post(market, dict(good, model=market.model + 7))
    assert wrong_model.status_code == 404
    skipped = post(market, dict(good, auth=free_auth(market, user, epoch, 3)))
    assert skipped.status_code == 409 and skipped.json()["next"] == 1
    cheap = post(market, dict(good, auth=voucher_auth(market, user, 1, PRICE - 1)))
    assert cheap.status_code == 402 and str(PRICE) in cheap.json()["error"]
    soon = post(market, dict(good, auth=voucher_auth(market, user, 1, PRICE, expiry=int(time.time()) + 5)))
    assert soon.status_code == 402 and "expires" in soon.json()["error"]
    unfunded = post(market, dict(good, auth=voucher_auth(market, user, 1, PRICE)))
    assert unfunded.status_code == 402 and "escrow" in unfunded.json()["error"]
    foreign = post(market, good, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    rebound = post(market, good, headers={"Host": "evil.example"})
    assert rebound.status_code == 403
    served = post(market, good)
    assert served.status_code == 200 and served.json()["tier"] == "free", "still serving after all of that"


def test_copies_of_one_voucher_sent_at_once_are_answered_once(market):
    user = dev_account(2)
    market.rpc.send(user, "marketplace", "deposit", market.host.address, market.model, value=10 * PRICE)
    body = {"model": market.model, "inputs": [ROW], "auth": voucher_auth(market, user, 1, PRICE)}
    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(lambda _: post(market, body).status_code, range(8)))
    assert statuses == [200] + [409] * 7, "one voucher pays for one answer, however many copies race in"


def test_a_client_adopts_a_voucher_count_only_from_its_own_signature_or_the_chain(market):
    user = dev_account(2)
    client = Client(market.chain.url, user.key)
    offer = client.pick(market.model, market.host.address)
    counters = client.counters_for(offer, market.model)
    inputs = "0x" + compute_inputs_hash([ROW]).hex()
    forged = dict(voucher_auth(market, dev_account(3), 9, 10**30)["voucher"], inputs=inputs)
    forged["signature"] = voucher_auth(market, dev_account(3), 9, 10**30)["signature"]
    client.adopt(offer, market.model, counters, {"next": {"requests": 10, "amount": str(10**30), "held": forged}},
                 paying=True)
    channel = market.market.functions.channel(user.address, market.host.address, market.model).call()
    assert (counters.requests, counters.amount) == (channel[2], channel[1]), "a host's say-so is not adopted"
    own = voucher_auth(market, user, 9, 9 * PRICE)
    client.adopt(offer, market.model, counters,
                 {"next": {"held": dict(own["voucher"], signature=own["signature"], inputs=inputs)}}, paying=True)
    assert (counters.requests, counters.amount) == (9, 9 * PRICE), "its own signed voucher is"


def test_a_host_killed_with_minus_9_loses_no_voucher(market):
    user, host = dev_account(4), dev_account(7)
    port = free_port()
    register_host(market.rpc, host, market.model, PRICE, port)
    directory = market.work / "host-killed"
    process = start_host(directory, market.chain.url, host.key.hex(), market.model, port, redeem_seconds=3600)
    market.rpc.send(user, "marketplace", "deposit", host.address, market.model, value=10 * PRICE)
    for count in (1, 2, 3):
        assert post(market, {"model": market.model, "inputs": [ROW],
                             "auth": voucher_auth(market, user, count, count * PRICE, host=host)},
                    endpoint=f"http://127.0.0.1:{port}").status_code == 200
    kill(process)
    channel = market.market.functions.channel(user.address, host.address, market.model)
    assert channel.call()[1] == 0, "nothing was redeemed before the kill"
    market.processes.append(start_host(directory, market.chain.url, host.key.hex(), market.model, port,
                                       redeem_seconds=1))
    wait_for(lambda: channel.call()[1:3] == [3 * PRICE, 3], 60, "the restarted host to redeem the answered vouchers")


def funded_account(market, name: str):
    from eth_account import Account
    account = Account.from_key(Web3.keccak(text=name))
    market.rpc.send(dev_account(10), "balances", "forceSetBalance", account.address, 10_000 * 10**18)
    return account


def served_entry(endpoint: str) -> dict:
    (entry,) = requests.get(f"{endpoint}/v1/models", timeout=10).json()["data"]
    return entry


def test_a_version_whose_blob_is_not_its_model_is_refused(market):
    """The host answers only with the version the chain credits (the newest, for a host on `latest`): while
    that one cannot be loaded it refuses with 503 and says why, and serves again once a good version is out."""
    owner = dev_account(1)
    give_free_tier(market, dev_account(3))
    client = Client(market.chain.url, dev_account(3).key)

    def refusal() -> str:
        try:
            client.predict(market.model, [ROW])
        except MarketError as error:
            return f"{error.status} {error.body['error']}"
        return "served"
    wrong = market.rpc.put_blob(tensors.encode_model(models.init_model("linear", 0)))
    publish(market.rpc, owner, market.model, wrong, UNVERIFIED)
    wait_for(lambda: refusal().startswith("503 version 2"), 30, "the host on `latest` to refuse version 2")
    entry = served_entry(market.endpoint)
    assert (entry["serving"], entry["version"]) == (False, None) and "not a 'mlp' model" in entry["unservable"]
    publish(market.rpc, owner, market.model, bytes(Web3.keccak(text="never uploaded")), UNVERIFIED)
    wait_for(lambda: refusal().startswith("503 version 3") and "not found" in refusal(), 30,
             "the host to refuse version 3, whose blob nobody has")
    publish(market.rpc, owner, market.model, market.weights, UNVERIFIED)
    wait_for(lambda: refusal() == "served", 30, "the host to serve version 4 (good weights again)")
    assert served_entry(market.endpoint)["unservable"] is None


def test_validators_probe_hosts_and_a_dead_host_is_delisted_and_slashed(market):
    from eth_account import Account

    from hosting.probe import DOWN, UP, ProbeDuty
    dead = dev_account(6)
    register_host(market.rpc, dead, market.model, PRICE, free_port())  # nothing listens there
    root = dev_account(10)
    keys = [Web3.keccak(text=f"probe validator {i}").hex() for i in range(3)]
    for key in keys:
        validator = Account.from_key(key)
        market.rpc.send(root, "balances", "forceSetBalance", validator.address, 10_000 * 10**18)
        market.rpc.send(validator, "staking", "bond", 1, value=5_000 * 10**18)
    duties = [ProbeDuty(market.chain.url, key, timeout=2.0) for key in keys]
    randomness = market.rpc.contract("randomness")
    length = randomness.functions.epochLength().call()
    slot = int(market.chain.result("chain_getHeader")["digest"]["slot"], 16)
    if slot % length >= length * 3 // 4:
        market.chain.rpc("evm_mine", {"blocks": length - slot % length})
    assert [duty.tick() for duty in duties] == [[], [], []], "too early in the epoch to report"
    slot = int(market.chain.result("chain_getHeader")["digest"]["slot"], 16)
    market.chain.rpc("evm_mine", {"blocks": length * 3 // 4 - slot % length + 1})
    assert [duty.tick() for duty in duties] == [[market.model]] * 3
    assert duties[0].seen[(market.model, dead.address)].verdict(None, 1) == (DOWN, 0), "two failed probes"
    assert duties[0].seen[(market.model, market.host.address)].verdict(None, 1)[0] == UP
    assert [duty.tick() for duty in duties] == [[], [], []], "one report per epoch"
    market.chain.rpc("evm_mine", {"blocks": length})
    stake, _, _, _, unbonding, _ = market.market.functions.host(market.model, dead.address).call()
    assert unbonding > 0 and stake == 900 * 10**18, "delisted, and 10% of its 1,000 FLOCK to the treasury"
    epoch, up, reporting, latency, slashed, penalised = market.market.functions.health(market.model,
                                                                                        dead.address).call()
    assert (up, reporting, slashed, penalised) == (0, 15_000 * 10**18, 100 * 10**18, True)
    _, up, _, latency, slashed, penalised = market.market.functions.health(market.model, market.host.address).call()
    assert up == reporting and slashed == 0 and not penalised and 0 < latency < 2_000
    assert market.market.functions.host(market.model, market.host.address).call()[4] == 0, "the live host serves on"


def test_a_host_is_reported_stale_only_for_a_version_the_validators_can_load(market):
    """A late host that never re-reads the chain (it polls hourly) keeps answering with version 4. While the
    newest version is one nobody can load, it is up, and the fixture host, which refuses for want of those
    weights, is excused; once a loadable version is StaleBlocks old, every validator reports the late host
    stale, and it is delisted and slashed."""
    from hosting.probe import ProbeDuty
    owner = dev_account(1)
    late = funded_account(market, "late host")
    port = free_port()
    register_host(market.rpc, late, market.model, PRICE, port)
    market.processes.append(start_host(market.work / "late-host", market.chain.url, late.key.hex(), market.model,
                                       port, extra=("--poll-seconds", "3600")))
    keys = [Web3.keccak(text=f"probe validator {i}").hex() for i in range(3)]
    stale_blocks = market.market.functions.getParameter("StaleBlocks").call()
    length = market.rpc.contract("randomness").functions.epochLength().call()

    def probe_an_epoch(published_at: int) -> None:
        """Start an epoch, probe after the version is StaleBlocks old, report at 3/4, tally in the next."""
        duties = [ProbeDuty(market.chain.url, key, timeout=2.0) for key in keys]
        slot = int(market.chain.result("chain_getHeader")["digest"]["slot"], 16)
        market.chain.rpc("evm_mine", {"blocks": length - slot % length})
        block = market.rpc.w3.eth.block_number
        if block < published_at + stale_blocks:
            market.chain.rpc("evm_mine", {"blocks": published_at + stale_blocks - block})
        assert [duty.tick() for duty in duties] == [[], [], []]
        slot = int(market.chain.result("chain_getHeader")["digest"]["slot"], 16)
        market.chain.rpc("evm_mine", {"blocks": length * 3 // 4 - slot % length + 1})
        assert [duty.tick() for duty in duties] == [[market.model]] * 3
        market.chain.rpc("evm_mine", {"blocks": length})

    def health(host) -> tuple:
        return tuple(market.market.functions.health(market.model, host.address).call())

    publish(market.rpc, owner, market.model, bytes(Web3.keccak(text="never uploaded either")), UNVERIFIED)
    wait_for(lambda: not served_entry(market.endpoint)["serving"], 30, "the fixture host to refuse the new version")
    fixture_before = health(market.host)
    probe_an_epoch(market.market.functions.version(market.model, 0).call()[5])
    assert health(market.host) == fixture_before, "excused: not reported at all"
    _, up, reporting, _, slashed, penalised = health(late)
    assert (up == reporting > 0, slashed, penalised) == (True, 0, False), "up: nobody can serve the newest version"

    publish(market.rpc, owner, market.model, market.weights, UNVERIFIED)
    wait_for(lambda: served_entry(market.endpoint)["serving"], 30, "the fixture host to serve the good version")
    probe_an_epoch(market.market.functions.version(market.model, 0).call()[5])
    _, up, reporting, _, slashed, penalised = health(late)
    assert (up, slashed, penalised) == (0, 100 * 10**18, True) and reporting > 0, "stale: delisted and slashed"
    assert market.market.functions.host(market.model, late.address).call()[4] > 0
    _, up, reporting, _, slashed, penalised = health(market.host)
    assert (up == reporting, slashed, penalised) == (True, 0, False)
