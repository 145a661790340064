"""End-to-end transfer throughput over JSON-RPC: flockchain dev against anvil, in the same run.

2,000 EIP-1559 transfers from the ten dev accounts (the mnemonic both nodes fund, chain id
31337 for both) are signed once, untimed; the same bytes go to each node over HTTP on
loopback in JSON-RPC batches of 100 `eth_sendRawTransaction`, one batch after another on one
keep-alive connection, except the tenth sender's first 50: those go beside the batches, on a
second connection, one request at a time, each timed (the latency a wallet sees under load).
The clock starts just after the node seals a block (so each node gets a whole block period
for the load) and runs until every transaction has a receipt; the figure is transactions
included per second, the median of three rounds, each on a fresh node. Both nodes run in
both sealing modes at both gas limits (the dev spec's 30M, which caps a block at 1,428
transfers, and anvil's 1e9), with the same flags:

    flockchain dev [--block-time 1] --gas-limit N
    anvil [--block-time 1] --gas-limit N         (without --block-time: automine, one block per request)

With 1 s blocks both nodes include the 2,000 transfers within one or two block periods, so
those rows measure the block period more than the node; instant sealing measures the node.

anvil is Foundry's, from npm, pinned in bench/anvil/package-lock.json and installed there by
`make bench`: `@foundry-rs/anvil-linux-amd64`, the registry package that ships the binary
(`@foundry-rs/anvil` is only a wrapper that pulls it in as an optional dependency, and cannot
be locked for `npm ci` here, as its other platforms' packages are not on the registry we
reach). The binary is run directly. On another platform the anvil half is left out.

A sender's transactions are included in nonce order and a block is committed with its
receipts, so the clock stops when every sender's account nonce (`eth_getTransactionCount`
at "latest", ten calls in one batch, polled every 50 ms) has passed its last transaction.
Then, untimed, every receipt is read block by block (`eth_getBlockReceipts`) and must exist
with status 1, and one batch of 100 `eth_getTransactionReceipt` is timed, since polling
receipts one by one is what most clients do. Each node gets `DEADLINE_SECONDS`; one that
has not included everything by then is reported as stalled, with what it did include.
Nodes are always stopped.

    .venv/bin/python -m bench.rpc_throughput [--transfers 2000] [--batch 100] [--rounds 3]
"""

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from fl_module.worker.ports import free_port

from .pyevm_baseline import make_transfer_workload

ROOT = Path(__file__).resolve().parents[1]
ANVIL_DIR = ROOT / "bench" / "anvil"
CHAIN_ID = 31337
BLOCK_TIME = 1
ANVIL_GAS_LIMIT = 1_000_000_000
STARTUP_SECONDS = 30
DEADLINE_SECONDS = 120
POLL_SECONDS = 0.05
RECEIPT_BATCH = 100
PROBE_SENDS = 50
"""The tenth sender's first transactions, sent one request at a time beside the batches (its later ones go
in the batches): few enough that they are all sent before the batches are, so the latency probe does not
set the throughput figure."""
_PLATFORM_PACKAGES = {("Linux", "x86_64"): "linux-amd64", ("Linux", "aarch64"): "linux-arm64",
                      ("Darwin", "x86_64"): "darwin-amd64", ("Darwin", "arm64"): "darwin-arm64"}



def anvil_binary() -> Path | None:
    """anvil from bench/anvil/node_modules: the platform package's binary, else npm's wrapper."""
    suffix = _PLATFORM_PACKAGES.get((platform.system(), platform.machine()))
    candidates = [ANVIL_DIR / "node_modules" / "@foundry-rs" / f"anvil-{suffix}" / "bin" / "anvil"] if suffix else []
    candidates.append(ANVIL_DIR / "node_modules" / ".bin" / "anvil")
    return next((path for path in candidates if path.exists()), None)


def anvil_version(binary: Path) -> str:
    output = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
    words = output.split()
    return words[2] if len(words) > 2 and words[:2] == ["anvil", "Version:"] else "?"


class Rpc:
    """JSON-RPC over one keep-alive HTTP connection."""

    def __init__(self, url: str):
        self.url = url
        self.session = requests.Session()

    def batch(self, calls: list[tuple[str, list]]) -> list[dict]:
        body = [{"jsonrpc": "2.0", "id": i, "method": method, "params": params}
                for i, (method, params) in enumerate(calls)]
        response = self.session.post(self.url, json=body, timeout=60)
        response.raise_for_status()
        answers = response.json()
        if not isinstance(answers, list):
            raise RuntimeError(f"batch refused: {answers}")
        return sorted(answers, key=lambda answer: answer["id"])

    def call(self, method: str, params: list | None = None):
        answer = self.batch([(method, params or [])])[0]
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def close(self) -> None:
        self.session.close()


def wait_until_serving(url: str, process: subprocess.Popen, log_path: Path, name: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            answer = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
                                   timeout=2).json()
            if answer.get("result") == hex(CHAIN_ID):
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not answer eth_chainId {hex(CHAIN_ID)} within {STARTUP_SECONDS}s")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 10 s; only the process this module started."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass(frozen=True)
class Workload:
    """The signed transfers, with what driving a node needs from their senders (recovered once, untimed)."""

    raw_txs: list[bytes]
    finals: dict[str, int]
    """Each sender's checksummed address and the account nonce it has once all its transfers are in."""
    probed: list[int]
    """The transfers sent one request at a time: the last sender's first PROBE_SENDS."""


def prepare_workload(raw_txs: list[bytes]) -> Workload:
    from eth_account import Account

    senders = [Account.recover_transaction(raw) for raw in raw_txs]
    finals: dict[str, int] = {}
    for sender in senders:
        finals[sender] = finals.get(sender, 0) + 1
    probe_sender = next(reversed(finals), None)
    return Workload(raw_txs, finals, [i for i, sender in enumerate(senders) if sender == probe_sender][:PROBE_SENDS])


def send_one_at_a_time(url: str, payloads: list[tuple[int, str]], hashes: list[str], latencies: list[float],
                       rejected: list[str]) -> None:
    """The latency probe: each transaction alone, one request after another on its own connection."""
    rpc = Rpc(url)
    try:
        for index, payload in payloads:
            started = time.perf_counter()
            answer = rpc.batch([("eth_sendRawTransaction", [payload])])[0]
            latencies.append(time.perf_counter() - started)
            if answer.get("result") != hashes[index]:
                rejected.append(f"tx {index}: {answer.get('error') or answer.get('result')}")
    finally:
        rpc.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def drive(url: str, workload: Workload, batch: int) -> dict:
    """Submit every transaction (the probed ones one at a time, timed, beside the others' batches), then wait
    until all are included; the figures of one node."""
    from eth_utils import keccak

    raw_txs, finals, probed = workload.raw_txs, workload.finals, workload.probed
    rpc = Rpc(url)
    try:
        hashes = ["0x" + keccak(raw).hex() for raw in raw_txs]
        payloads = ["0x" + raw.hex() for raw in raw_txs]
        batched = sorted(set(range(len(raw_txs))) - set(probed))
        first_block = int(rpc.call("eth_blockNumber"), 16) + 1  # also: the connection is up before the clock starts
        nonces = [("eth_getTransactionCount", [sender, "latest"]) for sender in finals]
        rejected: list[str] = []
        # Start right after a block is sealed, so every node gets a whole block period to take the load.
        aligned = time.monotonic() + 3 * BLOCK_TIME
        while int(rpc.call("eth_blockNumber"), 16) < first_block and time.monotonic() < aligned:
            time.sleep(0.005)
        first_block = int(rpc.call("eth_blockNumber"), 16) + 1
        latencies: list[float] = []
        probe = threading.Thread(target=send_one_at_a_time, args=(url, [(i, payloads[i]) for i in probed],
                                                                   hashes, latencies, rejected))
        started = time.perf_counter()
        probe.start()
        for first in range(0, len(batched), batch):
            indices = batched[first:first + batch]
            answers = rpc.batch([("eth_sendRawTransaction", [payloads[i]]) for i in indices])
            for index, answer in zip(indices, answers):
                if answer.get("result") != hashes[index]:
                    rejected.append(f"tx {index}: {answer.get('error') or answer.get('result')}")
        probe.join()
        submitted = time.perf_counter() - started

        # Included means the sender's account nonce has passed it (a block commits its receipts with it).
        deadline = started + DEADLINE_SECONDS
        while True:
            done = all(int(answer.get("result", "0x0"), 16) >= final
                       for answer, final in zip(rpc.batch(nonces), finals.values()))
            if done or time.perf_counter() >= deadline:
                break
            time.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - started

        # Untimed: every receipt exists with status 1 (read per block), and what one receipt lookup costs.
        wanted, included, failed, per_block = set(hashes), 0, 0, []
        for number in range(first_block, int(rpc.call("eth_blockNumber"), 16) + 1):
            ours = [r for r in rpc.call("eth_getBlockReceipts", [hex(number)]) or [] if r["transactionHash"] in wanted]
            included += len(ours)
            failed += sum(1 for r in ours if r["status"] != "0x1")
            if ours:
                per_block.append(len(ours))
        stalled = not done or included < len(raw_txs)
        lookup_ms = float("nan")
        if not stalled:  # the first 100 sit in the first (largest) block
            sample = hashes[:RECEIPT_BATCH]
            timer = time.perf_counter()
            looked_up = rpc.batch([("eth_getTransactionReceipt", [h]) for h in sample])
            lookup_ms = (time.perf_counter() - timer) * 1000 / len(sample)
            if not all(answer.get("result") for answer in looked_up):
                rejected.append("eth_getTransactionReceipt missed a receipt that eth_getBlockReceipts returned")
        return {"transfers": len(raw_txs), "included": included, "failed": failed, "rejected": rejected,
                "stalled": stalled, "seconds": seconds, "submit_s": submitted, "probed": len(latencies),
                "send_p50_ms": percentile(latencies, 0.5) * 1000, "send_p99_ms": percentile(latencies, 0.99) * 1000,
                "tx_per_s": included / seconds, "blocks": len(per_block), "largest_block": max(per_block, default=0),
                "receipt_lookup_ms": lookup_ms}
    finally:
        rpc.close()


def run_node(name: str, command: list[str], workdir: Path, workload: Workload, batch: int,
             env: dict | None = None) -> dict:
    """Start one node on a free loopback port, drive it, stop it (always)."""
    port = free_port()
    log_path = workdir / "node.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)], cwd=workdir,
                                   stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url, process, log_path, name)
        result = drive(url, workload, batch)
    finally:
        stop(process)
    log = log_path.read_text(errors="replace")
    result["log_errors"] = log[log.index("Traceback"):][:2000] if "Traceback" in log else ""
    return result


def flockchain_command(workdir: Path, gas_limit: int, block_time: int | None) -> list[str]:
    """`flockchain dev --gas-limit N` (anvil's flag), with `--block-time` unless sealing instantly."""
    command = [sys.executable, "-m", "flockchain.cli", "dev", "--data-dir", str(workdir / "data"), "--no-sample-task",
               "--gas-limit", str(gas_limit)]
    return command + (["--block-time", str(block_time)] if block_time else [])


def anvil_command(binary: Path, gas_limit: int, block_time: int | None) -> list[str]:
    """`anvil --gas-limit N`, with `--block-time` unless automining (its instant sealing)."""
    command = [str(binary), "--chain-id", str(CHAIN_ID), "--gas-limit", str(gas_limit)]
    return command + (["--block-time", str(block_time)] if block_time else [])


def measure(name: str, make_command, workload: Workload, batch: int, rounds: int,
            env: dict | None = None) -> dict:
    """`rounds` runs, each on a fresh node; the median round's figures plus every round's time."""
    results = []
    for round_ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="flockchain-bench-rpc-") as tmp:
            workdir = Path(tmp)
            results.append(run_node(name, make_command(workdir), workdir, workload, batch, env))
        print(f"  {name}, round {round_ + 1}: {results[-1]['tx_per_s']:,.1f} tx/s", flush=True)
    median = sorted(results, key=lambda r: r["tx_per_s"])[len(results) // 2]
    return dict(median, name=name, rounds=results)


def describe(result: dict) -> str:
    rounds = result["rounds"]
    stalled = [r for r in rounds if r["stalled"]]
    def each(key: str, spec: str = "") -> str:
        return ", ".join(format(r[key], spec) for r in rounds)

    line = (f"  {result['name']}: rounds took {each('seconds', '.2f')} s over {each('blocks')} blocks "
            f"(largest {max(r['largest_block'] for r in rounds):,}); submitting took {each('submit_s', '.2f')} s; "
            f"one at a time ({rounds[0]['probed']} sends) p50 {each('send_p50_ms', '.1f')} ms, "
            f"p99 {each('send_p99_ms', '.1f')} ms; "
            f"one eth_getTransactionReceipt afterwards {max(r['receipt_lookup_ms'] for r in rounds):.1f} ms")
    for r in stalled:
        line += f"\n    STALLED: {r['included']:,}/{r['transfers']:,} included after {r['seconds']:.1f} s"
    for r in rounds:
        if r["rejected"]:
            line += f"\n    {len(r['rejected'])} rejected, first: {r['rejected'][0]}"
        if r["failed"]:
            line += f"\n    {r['failed']} receipts with status 0"
        if r["log_errors"]:
            line += f"\n    node log:\n{r['log_errors']}"
    return line


SEALINGS = (("instant sealing", None), (f"{BLOCK_TIME} s blocks", BLOCK_TIME))
GAS_LIMITS = ((30_000_000, "30M gas"), (ANVIL_GAS_LIMIT, "1e9 gas"))


def report(transfers: int = 2_000, batch: int = 100, rounds: int = 3) -> None:
    """Measure both nodes in every sealing mode at both gas limits and print the rows (called at the end of
    bench/measure.py's main)."""
    from .measure import row

    print(f"signing {transfers:,} EIP-1559 transfers for the JSON-RPC run (untimed) ...", flush=True)
    workload = prepare_workload(make_transfer_workload(transfers, CHAIN_ID)[0])
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    binary = anvil_binary()
    version = anvil_version(binary) if binary is not None else None
    if binary is None:
        print(f"anvil is not installed under {ANVIL_DIR.relative_to(ROOT)}: `make bench` installs it "
              "(npm ci from its package-lock.json)", flush=True)
    print(f"sending them over JSON-RPC in batches of {batch} (one sender's one at a time), {rounds} rounds per "
          "node, each on a fresh node:", flush=True)
    measured = []
    for sealing, block_time in SEALINGS:
        for gas_limit, gas_name in GAS_LIMITS:
            ours = measure(f"flockchain dev, {sealing}, {gas_name}",
                           lambda w: flockchain_command(w, gas_limit, block_time), workload, batch, rounds, env)
            theirs = None if binary is None else measure(
                f"anvil {version}, {'automine' if block_time is None else sealing}, {gas_name}",
                lambda w: anvil_command(binary, gas_limit, block_time), workload, batch, rounds)
            measured.append((f"{sealing}, {gas_name}", ours, theirs))

    print()
    for name, ours, theirs in measured:
        if theirs is None:
            print(f"{'JSON-RPC transfers/s, ' + name:<44} {ours['tx_per_s']:>12,.1f} tx/s   (no anvil to compare with)")
            continue
        print(row(f"JSON-RPC transfers/s, {name}", ours["tx_per_s"], theirs["tx_per_s"], "tx/s", f"anvil {version}"))
        print(row("  … p99 eth_sendRawTransaction under load", ours["send_p99_ms"], theirs["send_p99_ms"], "ms",
                  f"anvil {version}"))
    for _, ours, theirs in measured:
        for result in (ours, theirs):
            if result is not None:
                print(describe(result))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rpc_throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    report(args.transfers, args.batch, args.rounds)


if __name__ == "__main__":
    main()
