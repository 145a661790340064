"""`make soak` (long): the FL Alliance targets of issue 7, measured through the real chain.

Runs `flockchain demo alliance` (dev chain + one worker process per participant) for each
scenario on digits (10 participants, MLP 64-32-10) and diabetes (8 hospitals), and prints, per
scenario: the final test figure beside the no-attack run and beside FedAvg and Multi-Krum
trained without the chain on the same split, attack and initial model; how many malicious
updates were accepted; how often a malicious proposal reached the 2/3 of harmful flags that
slashes it; and how many honest participants were slashed.

    python -m bench.fl_targets [--rounds 20] [--seed 0] [--out DIR] [--quick]
"""

import argparse
import tempfile
import time
from pathlib import Path

from fl_module.worker import baselines, demo

DIGITS = [("none", 0, False)] + [(attack, m, collude) for collude in (False, True)
                                 for attack in ("sign-flip", "label-flip") for m in (2, 3, 4)]
DIABETES = [("none", 0, False), ("sign-flip", 2, False), ("label-flip", 2, False)]


def malicious_outcomes(summary: dict) -> tuple[int, int, int]:
    """(malicious updates accepted, malicious updates tallied, of them poisoned, i.e. slashed)."""
    bad = set(summary["malicious"])
    accepted = sum(1 for r in summary["rounds"] for a in r["accepted"] if a in bad)
    tallied = sum(1 for r in summary["rounds"] for a in r["accepted"] + r["rejected"] if a in bad)
    poisoned = sum(1 for r in summary["rounds"] for a in r["poisoned"] if a in bad)
    return accepted, tallied, poisoned


def run(dataset: str, participants: int, scenarios, rounds: int, seed: int, out: Path) -> None:
    figure = "final_test_accuracy" if dataset == "digits" else "final_test_loss"
    print(f"\n{dataset}, {participants} participants, {rounds} rounds, seed {seed}: {figure}")
    print(f"{'scenario':<28}{'chain':>8}{'no attack':>11}{'fedavg':>9}{'multikrum':>11}"
          f"{'bad accepted':>14}{'bad slashed':>13}{'honest slashed':>16}{'seconds':>9}")
    reference = None
    for attack, malicious, collude in scenarios:
        name = f"{attack}/{malicious}{' collude' if collude else ''}"
        started = time.perf_counter()
        summary = demo.run(dataset, participants, malicious, attack, rounds, collude, seed,
                           out / name.replace("/", "-").replace(" ", "-"), compare=False,
                           progress=lambda line: None, timeout=3600)
        seconds = time.perf_counter() - started
        reference = summary[figure] if attack == "none" else reference
        rules = {rule: baselines.run_baseline(rule, dataset, participants, malicious, attack, rounds, seed)[figure]
                 for rule in ("fedavg", "multikrum")}
        accepted, tallied, poisoned = malicious_outcomes(summary)
        print(f"{name:<28}{summary[figure]:>8.3f}{reference:>11.3f}{rules['fedavg']:>9.3f}"
              f"{rules['multikrum']:>11.3f}{f'{accepted}/{tallied}':>14}{f'{poisoned}/{tallied}':>13}"
              f"{summary['honest_slashed']:>16}{seconds:>9.0f}", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fl_targets")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None)
    parser.add_argument("--quick", action="store_true", help="one attack scenario per dataset")
    args = parser.parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="flockchain-targets-"))
    digits = DIGITS[:2] if args.quick else DIGITS
    diabetes = DIABETES[:2] if args.quick else DIABETES
    run("digits", 10, digits, args.rounds, args.seed, out)
    run("diabetes", 8, diabetes, 10, args.seed, out)
    print(f"\nsummaries in {out}")


if __name__ == "__main__":
    main()
