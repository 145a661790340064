"""JSON-RPC latency of a node while Arena scoring runs beside it, against the same node idle.

`flockchain dev` is started (interval sealing, 0.2 s blocks); 1,000 sequential `eth_blockNumber` calls on one
keep-alive connection are timed idle, then again while a child process scores 16 digits-MLP submissions on a
1,437-sample evaluation set in a loop — the validator duty's scoring call (arena/worker/scoring.py), with the
duty's default of one torch thread, started the way a node starts its `--arena` duty (a child process). The
figures are the 50th and 99th percentile latencies; the target is p99 while scoring within 2× of idle.

    python -m bench.arena_latency [--calls 1000]
"""

import argparse
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

import requests


def _score_forever(stop) -> None:
    import torch

    from arena.worker import datasets, scoring, trainer
    torch.set_num_threads(1)
    splits = datasets.split("digits", 0)
    models = [trainer.train_model("mlp", splits.public_x, splits.public_y,
                                  trainer.TrainerConfig(data_fraction=0.2, epochs=1, seed=seed)) for seed in range(16)]
    while not stop.is_set():
        scoring.score("mlp", models, splits.public_x, splits.public_y, device="cpu")


def _latencies(url: str, calls: int) -> list[float]:
    session = requests.Session()
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        session.post(url, json=body, timeout=10).raise_for_status()
        times.append(time.perf_counter() - started)
    return times


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(calls: int = 1_000) -> dict:
    from fl_module.worker.demo import free_port, start_chain, stop

    work = Path(tempfile.mkdtemp(prefix="flockchain-arena-latency-"))
    port = free_port()
    chain = start_chain(work, port)
    url = f"http://127.0.0.1:{port}"
    try:
        _latencies(url, 100)
        idle = _latencies(url, calls)
        context = multiprocessing.get_context("spawn")
        halt = context.Event()
        scorer = context.Process(target=_score_forever, args=(halt,))
        scorer.start()
        time.sleep(5)  # torch imported and the models trained: scoring from here on
        busy = _latencies(url, calls)
        halt.set()
        scorer.join(30)
    finally:
        stop([chain])
    return {"calls": calls, "idle_p50": _percentile(idle, 0.5), "idle_p99": _percentile(idle, 0.99),
            "busy_p50": _percentile(busy, 0.5), "busy_p99": _percentile(busy, 0.99),
            "idle_mean": statistics.mean(idle), "busy_mean": statistics.mean(busy)}


def report(calls: int = 1_000) -> None:
    from .measure import row

    print(f"eth_blockNumber latency, idle and while Arena scoring runs beside the node ({calls:,} calls each) ...",
          flush=True)
    result = measure(calls)
    for name in ("p50", "p99"):
        print(row(f"eth_blockNumber {name} while scoring (ms)", result[f"busy_{name}"] * 1e3,
                  result[f"idle_{name}"] * 1e3, "ms", "the same node idle"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.arena_latency", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000)
    args = parser.parse_args(argv)
    report(args.calls)


if __name__ == "__main__":
    main()
