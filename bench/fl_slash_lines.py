"""Which poison lines the consensus scores allow: how many poisoned and honest updates each would slash.

Runs the chain's peer-review rule without the chain (baselines.run_baseline("peer_vote"), colluding voters) for
each scenario and seed, keeps every tallied update's lower consensus score c (spec/modules/fl_alliance.md, the
tally), and prints, per scenario, the share of the malicious updates that the module's own line slashes (on the
voters' scores, which carry their distance evidence: validate.mark_distance_outliers), then
what it would with a fixed line `c ≥ b` or a line relative to the round `c ≥ a·M` added (M: the round's median,
fl_alliance.compute_round_median, as the round's bound takes it), each beside the honest updates it would slash.
Accepted updates are never slashed. Chain-free, the outcome does not change the run (slashed or rejected, an
update is left out), so one run per scenario and seed serves every line. The figures in the spec's "What the loss
scores cannot slash".

    python -m bench.fl_slash_lines [--seeds 10] [--rounds 12] [--scenarios sign-flip:2 ...]
"""

import argparse

from fl_module.formats import ACCEPTED, POISONED
from fl_module.worker import baselines

SCENARIOS = ("none:0", "sign-flip:2", "sign-flip:3", "sign-flip:4", "label-flip:4", "noise:3", "alie:4", "scaled:4")
FIXED_LINES = (1.3, 1.5, 2.0, 2.5)
RELATIVE_LINES = (1.3, 1.5, 2.0, 2.5, 3.0)


def tallied_updates(dataset: str, participants: int, rounds: int, scenario: str, seed: int) -> list[dict]:
    """Every tallied update of one run: malicious, outcome, c, and its round's M."""
    attack, count = scenario.split(":")
    run = baselines.run_baseline("peer_vote", dataset, participants, int(count), attack, rounds, seed,
                                 collude=int(count) > 0)
    malicious, updates = set(run["malicious"]), []
    for record in run["per_round"]:
        accepted, poisoned = set(record["accepted"]), set(record["poisoned"])
        for proposer, low, _ in record["consensus"]:
            outcome = ACCEPTED if proposer in accepted else POISONED if proposer in poisoned else None
            updates.append({"malicious": proposer in malicious, "outcome": outcome, "c": low / 1e6,
                            "median": record["median"] / 1e6})
    return updates


def slashed(updates: list[dict], line) -> tuple[int, int]:
    """(malicious, honest) updates slashed by `line` added to the module's own."""
    hit = [u for u in updates if u["outcome"] != ACCEPTED and (u["outcome"] == POISONED or line(u))]
    return sum(1 for u in hit if u["malicious"]), sum(1 for u in hit if not u["malicious"])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fl_slash_lines", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--participants", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    args = parser.parse_args(argv)
    runs = {scenario: [u for seed in range(args.seeds)
                       for u in tallied_updates(args.dataset, args.participants, args.rounds, scenario, seed)]
            for scenario in args.scenarios}
    lines = [("the module's", lambda u: False)]
    lines += [(f"c >= {b}", lambda u, b=b: u["c"] >= b) for b in FIXED_LINES]
    lines += [(f"c >= {a} M", lambda u, a=a: u["c"] >= a * u["median"]) for a in RELATIVE_LINES]
    attacked = [s for s in args.scenarios if not s.endswith(":0")]
    print(f"{args.dataset}, {args.participants} participants, {args.rounds} rounds, seeds 0-{args.seeds - 1}, "
          f"colluding voters: share of malicious updates slashed; honest updates slashed (of "
          f"{sum(1 for s in args.scenarios for u in runs[s] if not u['malicious']):,})")
    print(f"{'line':<16}" + "".join(f"{s:>14}" for s in attacked) + f"{'honest':>10}")
    malicious = {scenario: sum(1 for u in runs[scenario] if u["malicious"]) for scenario in attacked}
    for name, line in lines:
        cells, honest = [], 0
        for scenario in args.scenarios:
            bad, good = slashed(runs[scenario], line)
            honest += good
            if scenario in attacked:
                cells.append(bad / max(1, malicious[scenario]))
        print(f"{name:<16}" + "".join(f"{cell:>14.0%}" for cell in cells) + f"{honest:>10,}", flush=True)


if __name__ == "__main__":
    main()
