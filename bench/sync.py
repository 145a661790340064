"""Sync speed of a fresh node: blocks and transactions per second when it imports a chain of
full blocks from a peer over the network, beside importing the same blocks from memory in
one process (the floor: execution alone, no network, no decoding from the wire).

A chain of `blocks` blocks of `transfers` EIP-1559 transfers each is authored once
(untimed) into a data dir; a `flockchain node` process serves it; a second, fresh
`flockchain node` process syncs it, timed from its RPC answering to its head reaching the
last block (polled every 0.1 s).
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

TARGET_BLOCK_TRANSFERS = 714
"""Blocks at the EIP-1559 gas target (15,000,000 of 30,000,000 gas, 21,000 per transfer): the fullest
blocks a chain can sustain, since above the target the base fee grows 12.5% a block without bound."""
SENDERS = 100
CHAIN_ID = 31337


def make_workload(count: int) -> tuple[list[bytes], dict[bytes, int]]:
    """`count` signed EIP-1559 transfers from SENDERS funded keys (round-robin) to fresh addresses."""
    from runtime.crypto import keccak256, private_key_to_address
    from runtime.transactions import DYNAMIC_FEE, sign_transaction

    keys = [keccak256(b"flockchain sync bench %d" % i) for i in range(SENDERS)]
    balances = {private_key_to_address(key): 10**24 for key in keys}
    raw = [sign_transaction(keys[i % SENDERS], DYNAMIC_FEE, chain_id=CHAIN_ID, nonce=i // SENDERS, gas_limit=21_000,
                            to=(0x20_0000 + i).to_bytes(20, "big"), value=1, data=b"", max_fee_per_gas=100 * 10**9,
                            max_priority_fee_per_gas=10**9)
           for i in range(count)]
    return raw, balances


def _rpc(port: int, method: str, *params):
    return requests.post(f"http://127.0.0.1:{port}", json={"jsonrpc": "2.0", "id": 1, "method": method,
                                                          "params": list(params)}, timeout=10).json()["result"]


def _wait_rpc(port: int, process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"node on port {port} exited with {process.returncode}")
        try:
            _rpc(port, "eth_blockNumber")
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError(f"node on port {port} did not answer within {seconds} s")


def build_chain(workdir: Path, blocks: int, transfers: int) -> tuple[Path, list[bytes]]:
    from bench.measure import dev_spec_with
    from chain.composition import RUNTIME
    from chain.devkeys import dev_keys
    from chain.node import Node

    raw_txs, balances = make_workload(blocks * transfers)
    spec = dev_spec_with(balances)
    spec_path = workdir / "spec.json"
    spec_path.write_text(json.dumps(spec))
    _, authority = dev_keys(spec)
    node = Node(RUNTIME, spec, workdir / "source", authority_key=authority.private_key)
    encoded = []
    for start in range(0, len(raw_txs), transfers):
        for raw in raw_txs[start:start + transfers]:
            node.submit_transaction(raw)
        outcome = node.builder.author_block()
        assert len(outcome.applied) == transfers, "every transfer included"
        encoded.append(outcome.block.encode())
    node.close()
    return spec_path, encoded


def measure_local_import(spec_path: Path, encoded: list[bytes], workdir: Path) -> float:
    from chain.composition import RUNTIME
    from chain.node import Node
    from genesis.builder import load_spec
    from runtime.blocks import Block

    node = Node(RUNTIME, load_spec(str(spec_path)), workdir / "local-import")
    blocks = [Block.decode(data) for data in encoded]
    started = time.perf_counter()
    node.tree.import_blocks(blocks)
    seconds = time.perf_counter() - started
    node.close()
    return seconds


def measure_network_sync(spec_path: Path, workdir: Path, last: int) -> float:
    from tests.rpc.devchain import free_port

    ports = [free_port() for _ in range(4)]
    base = [sys.executable, "-m", "flockchain", "node", "--chain", str(spec_path), "--no-author", "--log-level", "WARNING"]
    source = subprocess.Popen(base + ["--dev-key", "10", "--data-dir", str(workdir / "source"),
                                      "--rpc-port", str(ports[0]), "--p2p-port", str(ports[1]), "--bootnodes"])
    fresh = None
    try:
        _wait_rpc(ports[0], source)
        fresh = subprocess.Popen(base + ["--dev-key", "11", "--data-dir", str(workdir / "fresh"),
                                         "--rpc-port", str(ports[2]), "--p2p-port", str(ports[3]),
                                         "--bootnodes", f"ws://127.0.0.1:{ports[1]}/p2p"])
        _wait_rpc(ports[2], fresh)
        started = time.perf_counter()
        while int(_rpc(ports[2], "eth_blockNumber"), 16) < last:
            if fresh.poll() is not None:
                raise RuntimeError("the syncing node exited")
            time.sleep(0.1)
        return time.perf_counter() - started
    finally:
        for process in (fresh, source):
            if process is not None:
                process.terminate()
                process.wait(20)


def measure(blocks: int = 1_000, transfers: int = TARGET_BLOCK_TRANSFERS) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="flockchain-bench-sync-"))
    try:
        spec_path, encoded = build_chain(workdir, blocks, transfers)
        local = measure_local_import(spec_path, encoded, workdir)
        synced = measure_network_sync(spec_path, workdir, blocks)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"blocks": blocks, "transfers": blocks * transfers, "sync_s": synced, "local_s": local}


def report(blocks: int = 1_000, transfers: int = TARGET_BLOCK_TRANSFERS) -> None:
    from bench.measure import row
    print(f"sync: authoring {blocks:,} blocks of {transfers:,} transfers (untimed) ...", flush=True)
    result = measure(blocks, transfers)
    print(row(f"sync {blocks:,} blocks from a peer, blocks/s", blocks / result["sync_s"], blocks / result["local_s"],
              "blk/s", "import from memory"))
    print(row("  … transactions/s", result["transfers"] / result["sync_s"], result["transfers"] / result["local_s"],
              "tx/s", "import from memory"))


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(prog="python -m bench.sync")
    parser.add_argument("--blocks", type=int, default=1_000)
    parser.add_argument("--transfers", type=int, default=TARGET_BLOCK_TRANSFERS)
    args = parser.parse_args()
    report(args.blocks, args.transfers)
