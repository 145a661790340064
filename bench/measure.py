"""`make bench`: throughput and footprint, each beside a baseline measured in the same run.

1. 10,000 signed EIP-1559 transfers (10 senders, fresh recipients), imported in blocks of
   1,000 through the node's real import path — signature recovery, execution, state root,
   receipts and transactions roots, one LevelDB batch per block — against py-evm's
   MiningChain applying the same bytes (in memory, its fastest realistic path). Twice:
   on one core, and with senders recovered on the second core ahead of execution.
2. Peak resident memory of each run (each runs in its own process).
3. Time to open a data dir holding 100,000 funded accounts, against the time to read the
   same number of keys from a fresh plyvel database (the floor for any LevelDB node).
4. State-trie updates per second in a 3,000-key commit on 100,000 keys, beside py-trie.
5. ECVRF prove and verify per second, beside ECDSA sign and recover from the same library.
6. Sync of a fresh node: 1,000 blocks at the gas target (714,000 transfers) fetched from a peer
   over the network and imported, beside importing the same blocks from memory (bench/sync.py).
7. The bridge: receipt-proof size and verification, a proveDeposit block, deposit → mint latency
   (bench/bridge.py).
8. A Marketplace host: paid requests/s and p99 latency beside the same host unmetered, and the
   transactions that redeem them (bench/market.py).

Never part of `make test`: figures depend on the machine.
"""

import argparse
import multiprocessing
import resource
import shutil
import statistics
import tempfile
import time

from .pyevm_baseline import make_transfer_workload, run_pyevm_baseline
from .trie import measure as measure_trie
from .vrf import measure as measure_vrf


def _child(queue, fn, args):
    result = fn(*args)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(result)


def in_child(fn, *args) -> dict:
    """Run fn in a fresh process so its peak memory is its own."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, fn, args))
    process.start()
    while True:
        try:
            result = queue.get(timeout=1)
            break
        except Exception:
            if not process.is_alive():
                raise RuntimeError(f"{fn.__name__} died with exit code {process.exitcode}") from None
    process.join()
    return result


def dev_spec_with(balances: dict[bytes, int], extra_accounts: int = 0) -> dict:
    from genesis.builder import load_spec
    spec = load_spec("dev")
    funded = {"0x" + address.hex(): str(amount) for address, amount in balances.items()}
    for i in range(extra_accounts):
        funded["0x" + (0x10_0000 + i).to_bytes(20, "big").hex()] = str(10**18)
    spec["genesis"]["runtime"]["balances"]["balances"] = funded
    return spec


def run_flockchain_import(raw_txs: list[bytes], balances: dict[bytes, int], block_size: int,
                          recovery_workers: int) -> dict:
    """Author the blocks on one node (untimed), then time a second node importing them."""
    from chain.composition import RUNTIME
    from chain.devkeys import dev_keys
    from chain.node import Node

    spec = dev_spec_with(balances)
    _, authority = dev_keys(spec)
    workdir = tempfile.mkdtemp(prefix="flockchain-bench-")
    try:
        author = Node(RUNTIME, spec, f"{workdir}/author", authority_key=authority.private_key)
        blocks = []
        for start in range(0, len(raw_txs), block_size):
            for raw in raw_txs[start:start + block_size]:
                author.submit_transaction(raw)
            outcome = author.builder.author_block()
            assert len(outcome.applied) == len(raw_txs[start:start + block_size]), "every transfer included"
            blocks.append(outcome.block.encode())
        author.close()

        from runtime.blocks import Block
        importer = Node(RUNTIME, spec, f"{workdir}/importer", recovery_workers=recovery_workers)
        started = time.perf_counter()
        importer.tree.import_blocks([Block.decode(encoded) for encoded in blocks])
        seconds = time.perf_counter() - started
        assert all(r.receipt.status == 1 for r in importer.db.get_receipts(importer.head.hash))
        importer.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"transfers": len(raw_txs), "seconds": seconds, "tx_per_s": len(raw_txs) / seconds, "blocks": len(blocks)}


def run_open_large(accounts: int) -> dict:
    """Build a chain whose genesis funds `accounts` accounts, then time reopening its data dir."""
    import plyvel

    from chain.composition import RUNTIME
    from chain.node import Node

    spec = dev_spec_with({}, extra_accounts=accounts)
    workdir = tempfile.mkdtemp(prefix="flockchain-bench-open-")
    try:
        started = time.perf_counter()
        Node(RUNTIME, spec, f"{workdir}/chain").close()
        build = time.perf_counter() - started
        started = time.perf_counter()
        node = Node(RUNTIME, spec, f"{workdir}/chain")
        last = (0x10_0000 + accounts - 1).to_bytes(20, "big")
        assert node.balance_of(last) == 10**18
        open_seconds = time.perf_counter() - started
        node.close()

        raw = plyvel.DB(f"{workdir}/raw", create_if_missing=True)
        with raw.write_batch() as batch:
            for i in range(accounts):
                batch.put(i.to_bytes(20, "big"), b"\x01" * 32)
        raw.close()
        started = time.perf_counter()
        raw = plyvel.DB(f"{workdir}/raw")
        assert raw.get((accounts - 1).to_bytes(20, "big"))
        raw_open = time.perf_counter() - started
        raw.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"accounts": accounts, "genesis_build_s": build, "open_s": open_seconds, "plyvel_open_s": raw_open}


def median_seconds(operation, repeats: int) -> float:
    """The median wall time of `repeats` runs of `operation`, after one untimed warm-up run."""
    operation()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        operation()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def row(name: str, ours: float, theirs: float, unit: str, baseline: str) -> str:
    return f"{name:<44} {ours:>12,.1f} {unit:<6} {baseline:<26} {theirs:>12,.1f} {unit:<6} ratio {ours / theirs:6.2f}x"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--transfers", type=int, default=10_000)
    parser.add_argument("--block-size", type=int, default=1_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    args = parser.parse_args(argv)

    print(f"signing {args.transfers:,} EIP-1559 transfers (untimed) ...", flush=True)
    raw_txs, balances, _ = make_transfer_workload(args.transfers)
    print("importing them on flockchain, one core ...", flush=True)
    ours = in_child(run_flockchain_import, raw_txs, balances, args.block_size, 0)
    print("importing them on flockchain, sender recovery on the second core ...", flush=True)
    ours_pipelined = in_child(run_flockchain_import, raw_txs, balances, args.block_size, 1)
    print("applying them on py-evm ...", flush=True)
    theirs = in_child(run_pyevm_baseline, raw_txs, balances, 31337, args.block_size)
    print(f"opening a data dir with {args.accounts:,} funded accounts ...", flush=True)
    opened = in_child(run_open_large, args.accounts)

    print()
    print(row(f"transfers/s, blocks of {args.block_size:,}, one core", ours["tx_per_s"], theirs["tx_per_s"], "tx/s",
              "py-evm MiningChain"))
    print(row("  … recovering senders on the second core", ours_pipelined["tx_per_s"], theirs["tx_per_s"], "tx/s",
              "py-evm MiningChain"))
    print(row("peak memory, one-core run", ours["peak_rss_mb"], theirs["peak_rss_mb"], "MiB", "py-evm MiningChain"))
    print(row(f"open data dir, {args.accounts:,} accounts", opened["open_s"] * 1000, opened["plyvel_open_s"] * 1000, "ms",
              "bare plyvel open + read"))
    print(f"{'(genesis build for those accounts, once)':<44} {opened['genesis_build_s']:>12,.1f} s")

    trie = in_child(measure_trie)
    print(row(f"state trie updates/s, {3_000:,} per commit on 100k keys", trie["ours"], trie["theirs"], "op/s",
              "py-trie HexaryTrie"))
    vrf = in_child(measure_vrf)
    print(row("ECVRF prove/s, one core", vrf["prove"], vrf["sign"], "op/s", "ECDSA sign (coincurve)"))
    print(row("ECVRF verify/s, one core", vrf["verify"], vrf["recover"], "op/s", "ECDSA recover (coincurve)"))
    print(row("transfers/s imported, one core (target 0.6x)", ours["tx_per_s"], vrf["recover"], "tx/s",
              "ECDSA recover/s: the floor"))

    print()
    from .rpc_throughput import report as rpc_throughput_report
    rpc_throughput_report()  # 2,000 transfers over JSON-RPC: flockchain dev against anvil (bench/rpc_throughput.py)
    from .fl_validation import report as fl_validation_report
    fl_validation_report()  # a voter's batched scoring of 16 updates against one at a time (bench/fl_validation.py)
    from .arena_scoring import report as arena_scoring_report
    arena_scoring_report()  # an Arena validator's batched scoring of 16 submissions (bench/arena_scoring.py)
    from .ring import report as ring_report
    ring_report()  # verifying a linkable ring signature over 64 members beside 64 ECDSA recoveries (bench/ring.py)
    from .arena_latency import report as arena_latency_report
    arena_latency_report()  # eth_blockNumber p50/p99 while Arena scoring runs beside the node (bench/arena_latency.py)
    from .sync import report as sync_report
    sync_report()  # a fresh node syncing 1,000 blocks from a peer against importing them from memory (bench/sync.py)
    from .bridge import report as bridge_report
    bridge_report()  # receipt proofs beside py-trie, proveDeposit beside a transfer, deposit → mint latency
    from .market import report as market_report
    market_report()  # a Marketplace host's paid requests/s and p99 beside the same host unmetered (bench/market.py)
    from .memory import report as memory_report
    memory_report()  # an authoring node's RSS after 1,000,000 transfers beside after 100,000 (bench/memory.py)

