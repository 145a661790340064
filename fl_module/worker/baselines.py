"""Chain-free simulations of the same federation, for `--compare` and for tuning.

Every rule runs on the same data split (data.split_non_iid), the same malicious
participants (attacks.pick_malicious), the same initial model (models.init_model) and the
same local training (train.DEFAULT_TRAINING), all from one seed.

Round structure:
  fedavg, median, trimmed_mean, multikrum -- every participant trains from the global model
    each round (a malicious one sends attacks.malicious_update instead), and the rule
    combines all n models:
      fedavg        aggregate.fedavg of all n
      median        coordinate-wise median (mean of the two middle values when n is even)
      trimmed_mean  coordinate-wise mean after dropping the floor(0.2 n) largest and smallest
      multikrum     Blanchard et al. 2017: score each model by the summed squared distances to
                    its n - f - 2 nearest others (f = number of malicious), average the m = n - f
                    lowest-scored
  vote_on_loss -- our rule without the chain: each round a seeded permutation splits the
    participants into proposers (the first floor(n/2)) and voters (the rest). Proposers train
    (or attack); each honest voter scores every update and the current global model on its
    private held-out data and accepts an update iff its loss is strictly lower; a malicious
    voter votes like an honest one, or accepts everything under lazy-voter, or with
    collude=True accepts exactly its accomplices' updates. An update with more than half of
    the voters' votes is accepted (equal stakes); the next global model is the fedavg of the
    accepted updates in participant order, or the last one when none is accepted.
  peer_vote -- the chain's peer-review tasks (0 voters) exactly: every participant proposes and votes on the
    others' updates with the workers' bits (accept a strictly lower loss, flag a far worse one), tallied by
    fl_alliance.compute_peer_tally (two passes), equal stakes.
  median_vote -- a candidate redesign (issue 19): the same proposers, but every other participant
    scores every update and reports its loss ratio (update's loss ÷ global model's, on its held-out
    data); an update is accepted when the lower median of the reports (two passes, as the Arena's
    consensus: again without the voters far from the first medians) is below 1 + tolerance. With
    everyone voting, colluders below half of the participants never set a median; a colluder
    reports 0 for accomplices and COLLUDER_REPORT for honest updates, a lazy voter 0 for all.
"""

import argparse
import hashlib
import time

import torch

from .aggregate import fedavg
from .attacks import ATTACKS, BLOB_ATTACKS, collude_votes, lazy_votes, malicious_update, pick_malicious
from .data import load, split_non_iid
from .models import default_model_kind, init_model, is_classification
from .train import DEFAULT_TRAINING, TrainConfig, train_with
from .validate import accuracy, decide_votes, mean_loss, score_candidates

RULES = ("fedavg", "median", "trimmed_mean", "multikrum", "vote_on_loss", "median_vote", "peer_vote")
MEDIAN_VOTE_TOLERANCE = 0.0
"""median_vote accepts an update whose median loss ratio is below 1 + this. Measured (digits, 40% colluding,
seeds 0–1): 0 (strict improvement) keeps every attack at the level of the honest participants alone and
rejects free riders; +2% lets free riders in (0.84 under free-rider) and +10% lets attacks leak."""
COLLUDER_REPORT = 100.0
"""The loss ratio a colluding voter reports for an honest update (and 0 for an accomplice's)."""
TRIM_FRACTION = 0.2


def derive_seed(*parts: int | str) -> int:
    """A 63-bit seed from a tuple of labels, so every (run, round, participant) draws independently."""
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _flatten(model: dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.cat([model[name].reshape(-1) for name in sorted(model)])


def _unflatten(vector: torch.Tensor, like: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    result, offset = {}, 0
    for name in sorted(like):
        size = like[name].numel()
        result[name] = vector[offset:offset + size].reshape(like[name].shape).to(torch.float32).contiguous()
        offset += size
    return result


def coordinate_median(models: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    ordered = torch.stack([_flatten(m) for m in models]).sort(dim=0).values
    n = len(models)
    middle = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return _unflatten(middle, models[0])


def trimmed_mean(models: list[dict[str, torch.Tensor]], beta: float = TRIM_FRACTION) -> dict[str, torch.Tensor]:
    n = len(models)
    trim = int(beta * n)
    if n - 2 * trim < 1:
        return coordinate_median(models)
    ordered = torch.stack([_flatten(m) for m in models]).sort(dim=0).values
    return _unflatten(ordered[trim:n - trim].mean(dim=0), models[0])


def multikrum_select(models: list[dict[str, torch.Tensor]], n_byzantine: int) -> list[int]:
    """Indices of the n - f models with the lowest Krum scores (ties to the lower index)."""
    n = len(models)
    vectors = torch.stack([_flatten(m) for m in models]).to(torch.float64)
    distances = torch.cdist(vectors, vectors) ** 2
    neighbours = max(1, n - n_byzantine - 2)
    scores = []
    for i in range(n):
        others = torch.cat([distances[i, :i], distances[i, i + 1:]])
        scores.append(float(others.sort().values[:neighbours].sum()) if len(others) else 0.0)
    keep = max(1, n - n_byzantine)
    return sorted(sorted(range(n), key=lambda i: (scores[i], i))[:keep])


def multikrum(models: list[dict[str, torch.Tensor]], n_byzantine: int) -> dict[str, torch.Tensor]:
    return fedavg([models[i] for i in multikrum_select(models, n_byzantine)])


def _update(kind, attack, is_malicious, global_params, share, config, seed):
    """A participant's update; None for a blob attacker's, which no server can decode (malformed, never
    uploaded, NaN): it never reaches the aggregation."""
    if is_malicious and attack in BLOB_ATTACKS:
        return None
    if is_malicious and attack not in (None, "none"):
        return malicious_update(attack, kind, global_params, share.train_x, share.train_y, config, seed, "cpu")
    return train_with(kind, global_params, share.train_x, share.train_y, config, seed, "cpu")


def _votes(kind, attack, collude, is_malicious, global_params, candidates, owners, malicious, share):
    if is_malicious and collude:
        return collude_votes(owners, malicious)
    if is_malicious and attack == "lazy-voter":
        return lazy_votes(len(candidates))
    global_loss, losses = score_candidates(kind, global_params, candidates, share.val_x, share.val_y, "cpu")
    return decide_votes(global_loss, losses)


def _ratios(kind, attack, collude, is_malicious, global_params, candidates, owners, malicious, share):
    """What a voter reports for each candidate under median_vote: its loss ÷ the global model's loss."""
    if is_malicious and collude:
        return [0.0 if owner in malicious else COLLUDER_REPORT for owner in owners]
    if is_malicious and attack == "lazy-voter":
        return [0.0] * len(candidates)
    global_loss, losses = score_candidates(kind, global_params, candidates, share.val_x, share.val_y, "cpu")
    return [loss / global_loss if loss == loss else COLLUDER_REPORT for loss in losses]


def _peer_tally(kind, attack, collude, global_params, candidates, proposers, malicious, shares) -> list[int]:
    """The accepted candidates under the chain's peer-review tally (fl_alliance.compute_tally, two passes)."""
    from fl_module import alliance
    from .validate import decide_harmful
    updates = [alliance.RevealedUpdate(p.to_bytes(20, "big"), bytes(32)) for p in proposers]
    ballots = []
    for v in proposers:
        if v in malicious and collude:
            accepts, flags = collude_votes(proposers, malicious), [p not in malicious for p in proposers]
        elif v in malicious and attack == "lazy-voter":
            accepts, flags = lazy_votes(len(candidates)), [False] * len(candidates)
        else:
            global_loss, losses = score_candidates(kind, global_params, candidates, shares[v].val_x, shares[v].val_y,
                                                   "cpu")
            accepts, flags = decide_votes(global_loss, losses), decide_harmful(global_loss, losses)
        ballot = alliance.Ballot(sum(1 << i for i, a in enumerate(accepts) if a),
                                 sum(1 << i for i, f in enumerate(flags) if f and not accepts[i]))
        ballots.append((v.to_bytes(20, "big"), 1, ballot))
    tally = alliance.compute_peer_tally(updates, ballots, 2, 3)
    return [i for i, entry in enumerate(tally) if entry.outcome == alliance.ACCEPTED]


def lower_median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


OUTLIER_DISTANCE = 0.5
"""A voter whose report is further than this (relative) from the first median on most updates is left out."""


def two_pass_median(reports: list[list[tuple[int, float]]]) -> list[float]:
    """Per update, the lower median of (voter, ratio) reports; then again without the voters far from the
    first medians on most of their reports (as the Arena's consensus)."""
    first = [lower_median([r for _, r in rs]) for rs in reports]
    far: dict[int, list[bool]] = {}
    for median, rs in zip(first, reports):
        for voter, ratio in rs:
            far.setdefault(voter, []).append(abs(ratio - median) > OUTLIER_DISTANCE * max(median, 0.1))
    outliers = {voter for voter, flags in far.items() if 2 * sum(flags) > len(flags)}
    second = []
    for median, rs in zip(first, reports):
        kept = [r for voter, r in rs if voter not in outliers]
        second.append(lower_median(kept) if kept else median)
    return second


def run_baseline(rule: str, dataset: str, n_participants: int, n_malicious: int, attack: str | None, rounds: int,
                 seed: int, *, collude: bool = False, alpha: float = 0.5, config: TrainConfig | None = None) -> dict:
    """Run `rounds` rounds of `rule` (module docstring) and report the global model on the test split.

    Returns {"rule", "final_test_loss", "final_test_accuracy" (None for regression),
    "malicious": [indices], "per_round": [{"round", "test_loss", "test_accuracy", ...}]};
    vote_on_loss rounds also list "proposers", "accepted" and "rejected" participant indices.
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; known: {RULES}")
    if attack not in (None, "none", *ATTACKS):
        raise ValueError(f"unknown attack {attack!r}; known: {ATTACKS}")
    kind = default_model_kind(dataset)
    config = config or DEFAULT_TRAINING[kind]
    shares = split_non_iid(dataset, n_participants, seed, alpha)
    test = load(dataset, seed)
    malicious = set(pick_malicious(n_participants, n_malicious, seed))
    global_params = init_model(kind, seed)
    per_round = []
    for round_index in range(rounds):
        record = {"round": round_index}
        if rule in ("vote_on_loss", "median_vote", "peer_vote"):
            order = torch.randperm(n_participants, generator=torch.Generator().manual_seed(
                derive_seed(seed, round_index, "roles"))).tolist()
            proposers = sorted(order[:n_participants // 2] if rule == "vote_on_loss" else order)
            voters = sorted(order[n_participants // 2:])
            delivered = [(p, _update(kind, attack, p in malicious, global_params, shares[p], config,
                                     derive_seed(seed, round_index, p))) for p in proposers]
            drawn, proposers = proposers, [p for p, update in delivered if update is not None]
            candidates = [update for _, update in delivered if update is not None]
            if rule == "peer_vote":
                accepted = _peer_tally(kind, attack, collude, global_params, candidates, proposers, malicious, shares)
            elif rule == "median_vote":
                reports = [[] for _ in candidates]
                for v in range(n_participants):
                    for i, ratio in enumerate(_ratios(kind, attack, collude, v in malicious, global_params, candidates,
                                                      proposers, malicious, shares[v])):
                        if proposers[i] != v:
                            reports[i].append((v, ratio))
                medians = two_pass_median(reports)
                accepted = [i for i in range(len(candidates)) if medians[i] < 1 + MEDIAN_VOTE_TOLERANCE]
            else:
                tally = [0] * len(candidates)
                for v in voters:
                    for i, vote in enumerate(_votes(kind, attack, collude, v in malicious, global_params, candidates,
                                                    proposers, malicious, shares[v])):
                        tally[i] += vote
                accepted = [i for i in range(len(candidates)) if 2 * tally[i] > len(voters)]
            if accepted:
                global_params = fedavg([candidates[i] for i in accepted])
            record.update(proposers=drawn, accepted=[proposers[i] for i in accepted],
                          rejected=[p for p in drawn if p not in {proposers[i] for i in accepted}])
        else:
            updates = [_update(kind, attack, p in malicious, global_params, shares[p], config,
                               derive_seed(seed, round_index, p)) for p in range(n_participants)]
            byzantine = n_malicious - updates.count(None)
            updates = [update for update in updates if update is not None]
            if rule == "fedavg":
                global_params = fedavg(updates)
            elif rule == "median":
                global_params = coordinate_median(updates)
            elif rule == "trimmed_mean":
                global_params = trimmed_mean(updates)
            else:
                global_params = multikrum(updates, byzantine)
        record.update(test_loss=mean_loss(kind, global_params, test.test_x, test.test_y),
                      test_accuracy=accuracy(kind, global_params, test.test_x, test.test_y))
        per_round.append(record)
    final = per_round[-1] if per_round else {
        "test_loss": mean_loss(kind, global_params, test.test_x, test.test_y),
        "test_accuracy": accuracy(kind, global_params, test.test_x, test.test_y)}
    return {"rule": rule, "final_test_loss": final["test_loss"], "final_test_accuracy": final["test_accuracy"],
            "malicious": sorted(malicious), "per_round": per_round}


def run_baselines(dataset: str, n_participants: int, n_malicious: int, attack: str | None, rounds: int, seed: int,
                  rules: tuple[str, ...] = ("fedavg", "median", "trimmed_mean", "multikrum")) -> dict[str, dict]:
    """The summary's `baselines` object: each rule's final figures and per-round curve."""
    return {rule: run_baseline(rule, dataset, n_participants, n_malicious, attack, rounds, seed) for rule in rules}


def main(argv=None) -> None:
    """Print final test figures per rule for a set of attack scenarios (the numbers in the issue notes)."""
    parser = argparse.ArgumentParser(prog="python -m fl_module.worker.baselines")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--participants", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--scenarios", nargs="+", default=["none:0", "label-flip:2", "label-flip:4",
                                                           "sign-flip:2", "sign-flip:4"])
    parser.add_argument("--collude", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # tiny models: one thread is as fast, and parallel runs do not thrash
    figure = "final_test_accuracy" if is_classification(default_model_kind(args.dataset)) else "final_test_loss"
    print(f"{args.dataset}, {args.participants} participants, {args.rounds} rounds, {figure}, "
          f"mean over seeds {args.seeds}{', colluding voters' if args.collude else ''}")
    print(f"{'attack / malicious':<20}" + "".join(f"{rule:>14}" for rule in RULES))
    for scenario in args.scenarios:
        attack, count = scenario.split(":")
        cells = []
        started = time.perf_counter()
        for rule in RULES:
            values = [run_baseline(rule, args.dataset, args.participants, int(count), attack, args.rounds, seed,
                                   collude=args.collude and rule in ("vote_on_loss", "median_vote"))[figure]
                      for seed in args.seeds]
            cells.append(sum(values) / len(values))
        print(f"{scenario:<20}" + "".join(f"{value:>14.3f}" for value in cells)
              + f"   ({time.perf_counter() - started:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
