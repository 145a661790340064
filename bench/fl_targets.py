"""`make soak` (long: hours): the FL Alliance targets, measured through the real chain.

Runs `flockchain demo alliance` (dev chain + one worker process per participant) for every attack
at 20/30/40% malicious (digits, 10 participants, MLP 64-32-10) or 2 and 3 of 8 hospitals
(diabetes), without and with colluding voters, over seeds 0 … N−1, and prints per scenario the mean
± standard deviation of the final test figure beside the no-attack run and beside FedAvg, the
coordinate median, the trimmed mean and Multi-Krum trained without the chain on the same splits,
attack and initial model, and FedAvg of the honest participants alone (the ceiling of any defense);
how many malicious updates were accepted; how many of the tallied ones were poisoned (their
proposers slashed); and how many honest participants were slashed.

    python -m bench.fl_targets [--rounds 20] [--seeds 5] [--attacks a,b] [--out DIR] [--quick] [--classic]
                               [--datasets digits] [--malicious 4] [--colluding-only]

Tasks use peer review (every participant proposes and scores the others, spec/modules/fl_alliance.md) unless
--classic, which draws half of the participants as voters each round.
"""

import argparse
import tempfile
import time
from pathlib import Path

from fl_module.worker import baselines, demo
from fl_module.worker.cli import ATTACKS

SHARES = {"digits": (2, 3, 4), "diabetes": (2, 3)}
"""Malicious participants per attack: 20, 30 and 40% of digits' 10; 2 and 3 of diabetes' 8 hospitals."""
RULES = ("fedavg", "median", "trimmed_mean", "multikrum", "honest_only")


def scenarios(dataset: str, attacks: tuple[str, ...], shares: tuple[int, ...] | None = None,
              colluding: tuple[bool, ...] = (False, True)) -> list[tuple[str, int, bool]]:
    """No attack, then every attack at every share (default SHARES), without and with colluding voters."""
    return [("none", 0, False)] + [(attack, m, collude) for collude in colluding for attack in attacks
                                   for m in shares or SHARES[dataset]]


def malicious_outcomes(summary: dict) -> tuple[int, int, int]:
    """(malicious updates accepted, malicious updates tallied, of them poisoned, i.e. slashed)."""
    bad = set(summary["malicious"])
    accepted = sum(1 for r in summary["rounds"] for a in r["accepted"] if a in bad)
    tallied = sum(1 for r in summary["rounds"] for a in r["accepted"] + r["rejected"] if a in bad)
    poisoned = sum(1 for r in summary["rounds"] for a in r["poisoned"] if a in bad)
    return accepted, tallied, poisoned


def spread(values: list[float]) -> str:
    """mean ± standard deviation (population), or the value alone for one seed; three decimals, or three
    significant digits from 1,000 on (a poisoned FedAvg's MSE)."""
    def figure(value: float) -> str:
        return f"{value:.3f}" if abs(value) < 1_000 else f"{value:.3g}"

    mean = sum(values) / len(values)
    if len(values) == 1:
        return figure(mean)
    return f"{figure(mean)}±{figure((sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5)}"


def run(dataset: str, participants: int, cases, rounds: int, seeds: list[int], out: Path, peer_review: bool) -> None:
    figure = "final_test_accuracy" if dataset == "digits" else "final_test_loss"
    print(f"\n{dataset}, {participants} participants, {rounds} rounds, seeds {seeds}, "
          f"{'peer review' if peer_review else 'classic draw'}: {figure} (mean±std)")
    print(f"{'scenario':<26}{'chain':>13}{'no attack':>13}" + "".join(f"{rule:>14}" for rule in RULES)
          + f"{'bad accepted':>14}{'bad slashed':>13}{'honest slashed':>16}{'seconds':>9}")
    reference: list[float] = []
    for attack, malicious, collude in cases:
        name = f"{attack}/{malicious}{' collude' if collude else ''}"
        started = time.perf_counter()
        chain, rules, counts, honest_slashed = [], {rule: [] for rule in RULES}, [0, 0, 0], 0
        for seed in seeds:
            summary = demo.run(dataset, participants, malicious, attack, rounds, collude, seed,
                               out / f"{name.replace('/', '-').replace(' ', '-')}-{seed}", compare=False,
                               progress=lambda line: None, timeout=3600, peer_review=peer_review)
            chain.append(summary[figure])
            for rule in RULES:
                rules[rule].append(baselines.run_baseline(rule, dataset, participants, malicious, attack, rounds,
                                                          seed)[figure])
            counts = [c + o for c, o in zip(counts, malicious_outcomes(summary))]
            honest_slashed += summary["honest_slashed"]
        reference = chain if attack == "none" else reference
        accepted, tallied, poisoned = counts
        print(f"{name:<26}{spread(chain):>13} {spread(reference):>12}"
              + "".join(f" {spread(rules[rule]):>13}" for rule in RULES)
              + f"{f'{accepted}/{tallied}':>14}{f'{poisoned}/{tallied}':>13}{honest_slashed:>16}"
              f"{time.perf_counter() - started:>9.0f}", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fl_targets")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 … N−1 per scenario")
    parser.add_argument("--attacks", default=",".join(ATTACKS), help="comma-separated (default: every attack)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--quick", action="store_true", help="one seed, the no-attack run and one attack")
    parser.add_argument("--classic", action="store_true", help="draw voters each round instead of peer review")
    parser.add_argument("--datasets", default="digits,diabetes", help="comma-separated (default: digits,diabetes)")
    parser.add_argument("--malicious", help="comma-separated malicious counts (default: 2,3,4 digits, 2,3 diabetes)")
    parser.add_argument("--colluding-only", action="store_true", help="only the scenarios with colluding voters")
    args = parser.parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="flockchain-targets-"))
    attacks = tuple(a for a in args.attacks.split(",") if a)
    unknown = set(attacks) - set(ATTACKS)
    if unknown:
        parser.error(f"unknown attacks {sorted(unknown)}; known: {', '.join(ATTACKS)}")
    seeds = [0] if args.quick else list(range(args.seeds))
    shares = tuple(int(m) for m in args.malicious.split(",")) if args.malicious else None
    colluding = (True,) if args.colluding_only else (False, True)
    for dataset, participants, rounds in (("digits", 10, args.rounds), ("diabetes", 8, 10)):
        if dataset not in args.datasets.split(","):
            continue
        cases = scenarios(dataset, attacks, shares, colluding)
        run(dataset, participants, cases[:2] if args.quick else cases, rounds, seeds, out, not args.classic)
    print(f"\nsummaries in {out}")


if __name__ == "__main__":
    main()
