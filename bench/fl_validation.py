"""Batched validation of a round's updates against scoring them one model at a time (CPU).

A voter scores every revealed update on its held-out data. 16 digits-MLP updates (64-32-10,
each trained one local round from the same global model on its own slice of digits) are
scored on the same samples twice: one model at a time (`validate.losses_one_by_one`), and
all 16 stacked, one pass per data batch (`validate.losses_batched`). Both stream the same
data batches and must agree on every loss (checked, untimed). The figure is updates scored
per second, the median of several repeats after a warm-up, on one core (torch set to one
thread, in a process of its own: with two threads, a busy second core makes the loop of
small calls stall on thread hand-offs and the figures swing tenfold), for several
data-batch sizes over all 1,797 samples and for one voter's held-out set.

Why several: batching saves per-call overhead (Python, dispatch, small kernels), not
arithmetic. On a CPU, a pass of one model over a batch of hundreds of samples is already a
compute-bound GEMM, so stacking models gains little there; over small batches, or a
voter's small held-out set, the one-at-a-time loop is all overhead and stacking wins
several-fold. On a GPU the same holds for kernel launches, at every size we use.

Against the compute limit: at 45, 512 and 4,096 rows (digits repeated to 4,096) in a voter's data batches
(validate.EVAL_BATCH_SIZE, 512 rows: 4,096 rows are eight; one batch of 4,096 measured 20-40% slower, its
activations out of cache), the FLOP rate the batched pass achieves (forward of a 64-32-10 MLP:
2·(64·32 + 32·10) = 4,736 FLOP per row and model) beside this machine's own rate on a large matrix product
(2,048², one thread, measured in the same run): how close the batched pass comes to what the core can do.

    .venv/bin/python -m bench.fl_validation [--updates 16] [--repeats 7]
"""

import argparse

import torch

from .measure import median_seconds

BATCH_SIZES = (32, 128, None)  # None: validate.EVAL_BATCH_SIZE, what a voter uses
VOTER_SAMPLES = 45             # about one digits voter's held-out share (10 participants)
LIMIT_ROWS = (45, 512, 4_096)
MLP_FLOP_PER_ROW = 2 * (64 * 32 + 32 * 10)
MATMUL_SIZE = 2_048


def matmul_gflops(repeats: int) -> float:
    """This core's float32 GEMM rate on a large square product: the compute limit."""
    a, b = torch.randn(MATMUL_SIZE, MATMUL_SIZE), torch.randn(MATMUL_SIZE, MATMUL_SIZE)
    return 2 * MATMUL_SIZE ** 3 / median_seconds(lambda: torch.mm(a, b), repeats) / 1e9


def at_the_limit(models, x, y, repeats: int) -> list[dict]:
    """GFLOP/s of the batched and the one-at-a-time pass at LIMIT_ROWS rows, in a voter's data batches (at most
    validate.EVAL_BATCH_SIZE rows each, the size a voter scores by)."""
    from fl_module.worker.validate import EVAL_BATCH_SIZE, losses_batched, losses_one_by_one

    rows = []
    for count in LIMIT_ROWS:
        index = torch.arange(count) % len(x)
        xs, ys, batch = x[index], y[index], min(count, EVAL_BATCH_SIZE)
        flop = MLP_FLOP_PER_ROW * count * len(models)
        batched = median_seconds(lambda: losses_batched("mlp", models, xs, ys, "cpu", batch), repeats)
        one = median_seconds(lambda: losses_one_by_one("mlp", models, xs, ys, "cpu", batch), repeats)
        rows.append({"rows": count, "batch_size": batch, "batched_gflops": flop / batched / 1e9,
                     "one_by_one_gflops": flop / one / 1e9})
    return rows


def _digits():
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)
    return torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)


def _compare(models, x, y, batch_size: int, repeats: int) -> dict:
    from fl_module.worker.validate import losses_batched, losses_one_by_one

    one = losses_one_by_one("mlp", models, x, y, "cpu", batch_size)
    batched = losses_batched("mlp", models, x, y, "cpu", batch_size)
    worst = max(abs(a - b) / abs(a) for a, b in zip(one, batched))
    assert worst < 1e-5, f"batched losses differ from one-by-one by {worst:.2e} (relative)"
    return {
        "samples": len(x), "batch_size": batch_size, "worst_relative_difference": worst,
        "one_by_one_s": median_seconds(lambda: losses_one_by_one("mlp", models, x, y, "cpu", batch_size), repeats),
        "batched_s": median_seconds(lambda: losses_batched("mlp", models, x, y, "cpu", batch_size), repeats),
    }


def measure(updates: int = 16, repeats: int = 7, threads: int = 1) -> dict:
    from fl_module.worker.models import init_model
    from fl_module.worker.train import DEFAULT_TRAINING, train_with
    from fl_module.worker.validate import EVAL_BATCH_SIZE

    torch.set_num_threads(threads)
    x, y = _digits()
    global_params = init_model("mlp", 0)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    models = [train_with("mlp", global_params, x[share], y[share], DEFAULT_TRAINING["mlp"], seed, "cpu")
              for seed, share in enumerate(torch.chunk(order, updates))]
    cases = [_compare(models, x, y, batch_size or EVAL_BATCH_SIZE, repeats) for batch_size in BATCH_SIZES]
    voter = order[:VOTER_SAMPLES]
    cases.append(_compare(models, x[voter], y[voter], VOTER_SAMPLES, repeats * 5))
    return {"updates": updates, "threads": torch.get_num_threads(), "cases": cases,
            "limit_gflops": matmul_gflops(repeats), "at_the_limit": at_the_limit(models, x, y, repeats * 3)}


def report(updates: int = 16, repeats: int = 7) -> None:
    """Measure and print the rows (called at the end of bench/measure.py's main)."""
    from .measure import in_child, row

    print(f"scoring {updates} digits-MLP updates on one core, batched and one at a time ...", flush=True)
    result = in_child(measure, updates, repeats)
    for case in result["cases"]:
        where = (f"one voter's {case['samples']} samples" if case["batch_size"] >= case["samples"]
                 else f"{case['samples']:,} samples by {case['batch_size']}")
        print(row(f"FL votes, {updates} updates, {where}", updates / case["batched_s"],
                  updates / case["one_by_one_s"], "upd/s", "one model at a time"))
    print(f"{'  (batched and one-by-one losses agree to)':<44} "
          f"{max(c['worst_relative_difference'] for c in result['cases']):>12.1e} relative")
    limit = result["limit_gflops"]
    for case in result["at_the_limit"]:
        passes = "" if case["batch_size"] == case["rows"] else f" by {case['batch_size']}"
        print(row(f"FL votes, {updates} updates, {case['rows']:,} rows{passes}", case["batched_gflops"],
                  case["one_by_one_gflops"], "GF/s", "one model at a time"))
        print(row(f"  the same beside the core's limit", case["batched_gflops"], limit, "GF/s",
                  f"{MATMUL_SIZE}² matmul, 1 thread"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fl_validation", description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    report(args.updates, args.repeats)


if __name__ == "__main__":
    main()
