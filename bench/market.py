"""A Marketplace host serving the digits MLP: paid requests per second (each a voucher whose signature the
host recovers and writes to its ledger before answering) and p50/p99 latency, beside the same model served
by the same host code without payments in the same run, and the host's CPU time per request in each; then
how many transactions redeem it all.

Load: `--users` users, each with its own voucher sequence and one request in flight (vouchers are
cumulative, so one user's requests go in order), from this process on loopback; vouchers are signed before
the clock starts. The host is a real `flockchain host` process against a dev node. On two or more cores the
host runs on core 0 and the load on core 1, so the load generator's own work (bigger bodies when paying)
does not count against the host.

    python -m bench.market [--requests 10000] [--users 8]
"""

import argparse
import asyncio
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path

UNIT = 10**18
PRICE = 10**15


def sign_all(chain_id: int, model: int, host: bytes, keys: list[str], per_user: int, row: list[float]
             ) -> list[list[dict]]:
    from eth_account import Account

    from hosting.inputs import compute_inputs_hash
    from marketplace.formats import Voucher, sign_digest
    expiry = int(time.time()) + 86_400
    inputs = compute_inputs_hash([row])
    streams = []
    for key in keys:
        account = Account.from_key(key)
        user = bytes.fromhex(account.address[2:])
        stream = []
        for count in range(1, per_user + 1):
            digest = Voucher(user, host, model, count, count * PRICE, expiry, inputs).digest(chain_id)
            stream.append({"user": account.address, "signature": "0x" + sign_digest(bytes(account.key), digest).hex(),
                           "voucher": {"requests": count, "amount": str(count * PRICE), "expiry": expiry}})
        streams.append(stream)
    return streams


async def load(endpoint: str, model: int, row: list[float], streams: list[list[dict]]) -> dict:
    import aiohttp

    latencies: list[float] = []
    failures: list[int] = []

    async def user(session, stream):
        for auth in stream:
            started = time.perf_counter()
            async with session.post(f"{endpoint}/v1/predict",
                                    json={"model": model, "inputs": [row], "auth": auth}) as response:
                await response.read()
                if response.status != 200:
                    failures.append(response.status)
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=len(streams))
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(user(session, stream) for stream in streams))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"per_s": len(latencies) / elapsed, "p50_ms": statistics.median(latencies) * 1e3,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1e3, "failures": len(failures),
            "statuses": sorted(set(failures))}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured_load(host, endpoint: str, model: int, row: list[float], streams: list[list[dict]]) -> dict:
    """`load`, with the host's CPU time per request and the share of its core the load generator kept busy
    (near 1: the generator, not the host, bounds the rate)."""
    host_before, own_before = cpu_seconds(host.pid), time.process_time()
    result = asyncio.run(load(endpoint, model, row, streams))
    answered = sum(len(stream) for stream in streams)
    result["host_cpu_us"] = (cpu_seconds(host.pid) - host_before) / answered * 1e6
    result["generator_busy"] = (time.process_time() - own_before) / (answered / result["per_s"])
    return result


def pin(hosts, chain) -> None:
    """Hosts on core 0, this load generator on core 1, the (idle) node wherever; nothing where one core."""
    if len(os.sched_getaffinity(0)) < 2:
        return
    cores = sorted(os.sched_getaffinity(0))
    for process in hosts:
        for task in os.listdir(f"/proc/{process.pid}/task"):
            os.sched_setaffinity(int(task), {cores[0]})
    os.sched_setaffinity(0, {cores[1]})


def measure(requests_total: int = 10_000, users: int = 8) -> dict:
    from eth_account import Account
    from web3.logs import DISCARD

    from fl_module.worker import models, tensors
    from fl_module.worker.demo import Rpc, free_port, participant_key, start_chain, stop
    from hosting.demo import create_model, dev_account, publish, register_host, start_host
    from marketplace.formats import UNVERIFIED

    work = Path(tempfile.mkdtemp(prefix="flockchain-bench-market-"))
    port = free_port()
    processes = [start_chain(work, port)]
    try:
        rpc = Rpc(f"http://127.0.0.1:{port}")
        owner, paid_host, plain_host, root = dev_account(1), dev_account(8), dev_account(7), dev_account(10)
        model = create_model(rpc, owner, "digits", "mlp")
        publish(rpc, owner, model, rpc.put_blob(tensors.encode_model(models.init_model("mlp", 0))), UNVERIFIED)
        endpoints = {}
        for account, extra in ((paid_host, ()), (plain_host, ("--unmetered",))):
            host_port = free_port()
            endpoints[account.address] = register_host(rpc, account, model, PRICE, host_port)
            processes.append(start_host(work / account.address, rpc.url, account.key.hex(), model, host_port,
                                        redeem_seconds=3_600, extra=extra))
        keys = [participant_key(7_777, i) for i in range(users)]
        per_user = requests_total // users
        for key in keys:
            account = Account.from_key(key)
            rpc.send(root, "balances", "forceSetBalance", account.address, 100 * UNIT)
            rpc.send(account, "marketplace", "deposit", paid_host.address, model, value=(per_user + 1) * PRICE)
        row = [0.5] * 64
        streams = sign_all(rpc.w3.eth.chain_id, model, bytes.fromhex(paid_host.address[2:]), keys, per_user, row)
        pin(processes[1:], processes[0])
        warm = asyncio.run(load(endpoints[plain_host.address], model, row, [s[:20] for s in streams]))
        assert warm["failures"] == 0, warm
        plain = measured_load(processes[2], endpoints[plain_host.address], model, row, streams)
        paid = measured_load(processes[1], endpoints[paid_host.address], model, row, streams)
        os.killpg(processes[1].pid, signal.SIGTERM)
        processes[1].wait(60)
        market = rpc.contract("marketplace")
        redeemed = market.events.Redeemed().get_logs(from_block=0)
        gas = [rpc.w3.eth.get_transaction_receipt(event["transactionHash"])["gasUsed"] for event in redeemed]
        return {"paid": paid, "plain": plain, "requests": per_user * users, "users": users,
                "redeem_transactions": len(redeemed), "redeemed_requests": sum(e["args"]["requests"] for e in redeemed),
                "redeem_gas": statistics.median(gas) if gas else 0}
    finally:
        stop(processes)


def report(requests_total: int = 10_000, users: int = 8) -> None:
    from .measure import row

    print(f"a Marketplace host: {requests_total:,} paid requests from {users} users, beside the same host unmetered ...",
          flush=True)
    result = measure(requests_total, users)
    paid, plain = result["paid"], result["plain"]
    print(row("host: paid predictions/s (voucher each)", paid["per_s"], plain["per_s"], "req/s", "same host, unmetered"))
    print(row("host: p50 latency, paid (ms)", paid["p50_ms"], plain["p50_ms"], "ms", "same host, unmetered"))
    print(row("host: p99 latency, paid (ms)", paid["p99_ms"], plain["p99_ms"], "ms", "same host, unmetered"))
    print(row("host: CPU per request, paid (µs)", paid["host_cpu_us"], plain["host_cpu_us"], "µs",
              "same host, unmetered"))
    print(f"{'  (load generator busy, paid / unmetered)':<44} {paid['generator_busy']:>12.0%} / "
          f"{plain['generator_busy']:.0%} of its core")
    print(f"{'host: refused requests (paid / unmetered)':<44} {paid['failures']:>12,} / {plain['failures']:,}")
    print(f"{'host: redeem transactions for all of them':<44} {result['redeem_transactions']:>12,} "
          f"for {result['redeemed_requests']:,} requests (one per user channel), median gas {result['redeem_gas']:,}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.market", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=8)
    args = parser.parse_args(argv)
    report(args.requests, args.users)


if __name__ == "__main__":
    main()
