"""An Arena validator's scoring: 16 digits-MLP submissions batched (stacked parameters, one pass per data
batch) against one model at a time, on one CPU core — the call the validator duty makes
(arena/worker/scoring.py) — on the 180-sample evaluation set `flockchain demo arena` commits, and on a
1,437-sample one (the public split) to show how the ratio grows with the evaluation set.

    python -m bench.arena_scoring [--submissions 16] [--repeats 9]
"""

import argparse

import torch

from .measure import median_seconds


def measure(submissions: int = 16, repeats: int = 9) -> dict:
    from arena.worker import datasets, scoring, trainer

    torch.set_num_threads(1)
    splits = datasets.split("digits", 0)
    models = [trainer.train_model("mlp", splits.public_x, splits.public_y,
                                  trainer.TrainerConfig(data_fraction=0.3, epochs=2, seed=seed))
              for seed in range(submissions)]
    cases = []
    for x, y in ((splits.evaluation_x, splits.evaluation_y), (splits.public_x, splits.public_y)):
        batched = scoring.score("mlp", models, x, y, batched=True, device="cpu")
        one = scoring.score("mlp", models, x, y, batched=False, device="cpu")
        cases.append({"samples": len(x), "largest_difference": max(abs(a - b) for a, b in zip(batched, one)),
                      "batched_s": median_seconds(lambda: scoring.score("mlp", models, x, y, True, "cpu"), repeats),
                      "one_by_one_s": median_seconds(lambda: scoring.score("mlp", models, x, y, False, "cpu"),
                                                      repeats)})
    return {"submissions": submissions, "cases": cases}


def report(submissions: int = 16, repeats: int = 9) -> None:
    """Measure and print the row (called from bench/measure.py's main)."""
    from .measure import in_child, row

    print(f"scoring {submissions} Arena submissions on one core, batched and one at a time ...", flush=True)
    result = in_child(measure, submissions, repeats)
    for case in result["cases"]:
        print(row(f"Arena scoring, {submissions} models, {case['samples']:,} samples",
                  submissions / case["batched_s"], submissions / case["one_by_one_s"], "mod/s", "one model at a time"))
    print(f"{'  (fixed-point losses differ by at most)':<44} "
          f"{max(c['largest_difference'] for c in result['cases']):>12,} × 1e-9")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.arena_scoring", description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)
    report(args.submissions, args.repeats)


if __name__ == "__main__":
    main()
