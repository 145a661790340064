"""`flockchain demo market`: an FL Alliance task's final model becomes a Marketplace version, two hosts
serve it at two prices, users call it within their free tier and then pay by voucher, the hosts redeem
and settle, and the next epoch pays the model's creators by usage. Every figure in `summary.json` is read
from chain state or events; `market.png` shows requests and revenue per host over time.

The helpers here (publish, register a host, start a host process) are what an operator does by hand."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from eth_account import Account
from web3.logs import DISCARD

from fl_module.formats import EVALUATION_SCALE, NO_ACCURACY
from fl_module.worker import data, models, tensors
from fl_module.worker.demo import (MNEMONIC, UNIT, Rpc, free_port, participant_key, play_task, start_chain,
                                   stop)
from marketplace.formats import ALLIANCE

from .client import Client, MarketError

HOST_STAKE = 1_000 * UNIT
PRICES = (10**15, 2 * 10**15)
"""Wei per request of the two hosts: 0.001 and 0.002 FLOCK."""
USER_FUNDS = 100 * UNIT
USER_ESCROW = UNIT
STAKED_USER_BOND = 5_000 * UNIT
"""Every other user is a staked validator with a free tier (100 requests per 1,000 FLOCK); the others pay
from the first request. Users 0, 1 call the cheaper host, 2, 3 the other, and so on."""

Account.enable_unaudited_hdwallet_features()


def dev_account(index: int):
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def create_model(rpc: Rpc, owner, name: str, kind: str) -> int:
    receipt = rpc.send(owner, "marketplace", "createModel", name, kind)
    return rpc.contract("marketplace").events.ModelCreated().process_receipt(receipt, errors=DISCARD)[0]["args"]["model"]


def publish(rpc: Rpc, owner, model: int, weights: bytes, provenance: int, task: int = 0, index: int = 0) -> int:
    receipt = rpc.send(owner, "marketplace", "publishVersion", model, weights, provenance, task, index)
    events = rpc.contract("marketplace").events.VersionPublished().process_receipt(receipt, errors=DISCARD)
    return events[0]["args"]["version"]


def register_host(rpc: Rpc, host, model: int, price: int, port: int, version: int = 0) -> str:
    endpoint = f"http://127.0.0.1:{port}"
    rpc.send(host, "marketplace", "registerHost", model, version, price, endpoint, value=HOST_STAKE)
    return endpoint


def start_host(directory: Path, rpc_url: str, key: str, model: int, port: int, redeem_seconds: float = 2.0,
               extra: tuple[str, ...] = ()) -> subprocess.Popen:
    """A `flockchain host` process; returns once it answers GET /v1/models (raises if it exits first)."""
    directory.mkdir(parents=True, exist_ok=True)
    key_file = directory / "host.key"
    key_file.write_text(key.removeprefix("0x"))
    key_file.chmod(0o600)
    log = open(directory / "host.log", "a")
    process = subprocess.Popen([sys.executable, "-m", "flockchain", "host", "--rpc", rpc_url, "--key-file",
                                str(key_file), "--model", str(model), "--port", str(port), "--data-dir",
                                str(directory), "--redeem-seconds", str(redeem_seconds), "--poll-seconds", "0.5",
                                *extra], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the host exited ({process.returncode}): see {directory / 'host.log'}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).status_code == 200:
                return process
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the host did not start within 60 s")


def kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {seconds} s for {what}")
        time.sleep(0.25)


def run(out: Path, users: int = 4, requests_per_user: int = 40, seed: int = 0, participants: int = 4,
        rounds: int = 2, progress=print) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    port = free_port()
    processes = [start_chain(work, port)]
    started = time.monotonic()
    try:
        rpc = Rpc(f"http://127.0.0.1:{port}")
        summary = serve_and_use(rpc, work, processes, users, requests_per_user, seed, participants, rounds, progress)
    finally:
        stop(processes)
    summary["seconds"] = round(time.monotonic() - started, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    plot(summary, out / "market.png")
    progress(f"wrote {out / 'summary.json'} and {out / 'market.png'}")
    return summary


def serve_and_use(rpc: Rpc, work: Path, processes: list, users: int, requests_per_user: int, seed: int,
                  participants: int, rounds: int, progress) -> dict:
    dataset, kind = "digits", models.default_model_kind("digits")
    test = data.load(dataset, seed)
    initial = rpc.put_blob(tensors.encode_model(models.init_model(kind, seed)))

    def create_task(creator, descriptor, proposers, voters):
        return rpc.send(creator, "fl_alliance", "createTask", kind, descriptor, initial, rounds, proposers, voters,
                        [150, 50, 150, 50, 50], 3_000 * UNIT, value=1_000 * UNIT)

    progress(f"step 1/6: an FL Alliance task on {dataset}, {participants} participants, {rounds} rounds")
    alliance = play_task(rpc, work, processes, create_task, initial, dataset, participants, 0, None, rounds, False,
                         seed, progress, time.monotonic() + 900)
    for process in processes[1:]:
        process.terminate()
    creator = dev_account(0)
    final = bytes(rpc.contract("fl_alliance").functions.taskStatus(alliance["task"]).call()[4])
    progress("step 2/6: the task's creator publishes its final model as a Marketplace version")
    model = create_model(rpc, creator, "digits-alliance", kind)
    version = publish(rpc, creator, model, final, ALLIANCE, alliance["task"])
    market = rpc.contract("marketplace")
    creators = dict(zip(*market.functions.version(model, version).call()[6:8]))
    progress(f"  model {model} version {version} = 0x{final.hex()[:16]}…, creators {creators}")

    progress(f"step 3/6: two hosts stake and serve it at {PRICES[0]} and {PRICES[1]} wei a request")
    hosts = []
    for index, price in zip((7, 8), PRICES):
        account, host_port = dev_account(index), free_port()
        register_host(rpc, account, model, price, host_port)
        processes.append(start_host(work / f"host{index}", rpc.url, account.key.hex(), model, host_port))
        hosts.append(account.address)

    progress(f"step 4/6: {users} users call the model: the free tier first, then vouchers from escrow")
    root = dev_account(10)
    clients, timeline = [], []
    for i in range(users):
        key = participant_key(seed + 1_000, i)
        account = Account.from_key(key)
        rpc.send(root, "balances", "forceSetBalance", account.address, USER_FUNDS + STAKED_USER_BOND)
        if i % 2:
            rpc.send(account, "staking", "bond", 1, value=STAKED_USER_BOND)
        client = Client(rpc.url, key)
        host = hosts[i // 2 % 2]
        client.deposit(model, USER_ESCROW, host)
        clients.append((client, host))
    inputs = test.test_x.tolist()
    labels = test.test_y.tolist()
    correct = answered = 0
    t0 = time.monotonic()
    for step in range(requests_per_user):
        for i, (client, host) in enumerate(clients):
            row = (step * users + i) % len(inputs)
            try:
                answer = client.predict(model, [inputs[row]], host=host)
            except MarketError as error:
                timeline.append({"t": time.monotonic() - t0, "host": host, "user": i, "refused": error.status})
                continue
            answered += 1
            correct += int(answer["predictions"][0] == labels[row])
            timeline.append({"t": round(time.monotonic() - t0, 3), "host": host, "user": i, "tier": answer["tier"],
                             "charged": int(answer["charged"])})
        if step % 10 == 9:
            progress(f"  {answered} answers so far")

    progress("step 5/6: the hosts redeem vouchers and settle free-tier receipts")
    paid_expected = sum(1 for e in timeline if e.get("tier") == "paid")
    free_expected = sum(1 for e in timeline if e.get("tier") == "free")

    def settled() -> bool:
        paid, free, _, _ = market.functions.usage(model, version).call()
        return paid == paid_expected and free == free_expected
    wait_for(settled, 120, "every voucher redeemed and every receipt settled")

    progress("step 6/6: a new epoch pays the Marketplace share of emission to the version's creators")
    length = rpc.contract("randomness").functions.epochLength().call()
    rpc.call("evm_mine", {"blocks": length})
    for process in processes[-2:]:
        process.terminate()
    return summarise(rpc, model, version, hosts, clients, timeline, alliance, creators, answered, correct)


def summarise(rpc: Rpc, model: int, version: int, hosts: list[str], clients, timeline, alliance, creators, answered,
              correct) -> dict:
    market = rpc.contract("marketplace")
    paid, free, revenue, emission = market.functions.usage(model, version).call()
    redemptions = market.events.Redeemed().get_logs(from_block=0)
    per_host = {}
    for host, price in zip(hosts, PRICES):
        mine = [e["args"] for e in redemptions if e["args"]["host"] == host]
        per_host[host] = {
            "price_wei": price, "redeem_transactions": len(mine),
            "paid_requests": sum(e["requests"] for e in mine), "redeemed_wei": sum(e["amount"] for e in mine),
            "host_share_wei": sum(e["hostShare"] for e in mine),
            "creator_share_wei": sum(e["creatorShare"] for e in mine),
            "treasury_share_wei": sum(e["treasuryShare"] for e in mine),
            "free_requests": sum(1 for e in timeline if e["host"] == host and e.get("tier") == "free"),
        }
    channels = [dict(zip(("deposit", "redeemed", "requests", "closes_at"),
                         market.functions.channel(client.account.address, host, model).call()))
                for client, host in clients]
    _, _, _, _, loss, _, _, _, accuracy = market.functions.version(model, version).call()
    return {
        "model": model, "version": version, "alliance_task": alliance["task"],
        "alliance_final_test_accuracy": alliance["final_test_accuracy"],
        "version_loss": loss / EVALUATION_SCALE if loss else None,
        "version_accuracy": accuracy / 1_000_000 if accuracy != NO_ACCURACY else None, "creators": creators,
        "requests_answered": answered, "served_accuracy": correct / answered if answered else None,
        "usage": {"paid_requests": paid, "free_requests": free, "revenue_wei": revenue, "emission_wei": emission},
        "hosts": per_host, "channels": channels,
        "free_allowances": [market.functions.freeTier(c.account.address, 0).call()[0] for c, _ in clients],
        "timeline": timeline,
    }


def plot(summary: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (requests_axis, revenue_axis) = plt.subplots(1, 2, figsize=(11, 4))
    for host in summary["hosts"]:
        events = [e for e in summary["timeline"] if e["host"] == host and "tier" in e]
        times = [e["t"] for e in events]
        requests_axis.plot(times, range(1, len(events) + 1), label=f"{host[:10]}… ({summary['hosts'][host]['price_wei']} wei)")
        revenue, total = [], 0
        for e in events:
            total += e["charged"]
            revenue.append(total / UNIT)
        revenue_axis.plot(times, revenue, label=f"{host[:10]}…")
    requests_axis.set(title="requests answered per host", xlabel="seconds", ylabel="requests")
    revenue_axis.set(title="vouchers signed per host (FLOCK)", xlabel="seconds", ylabel="FLOCK")
    requests_axis.legend()
    revenue_axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
