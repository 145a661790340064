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
  honest_only -- aggregate.fedavg of the honest participants' updates alone, as if a defense knew who the
    malicious are and kept them out perfectly: the ceiling of every rule above and of the chain's, since an
    attacker's data never reaches the model (it sends an attack instead). The gap between it and the
    no-attack run is what losing their data costs, which no aggregation can win back.
  vote_on_loss -- the chain's classic task (voters > 0) without the chain: each round a seeded
    permutation splits the participants into proposers (the first floor(n/2)) and voters (the rest).
    Proposers train (or attack); each voter scores every update on its private held-out data
    (validate.compute_scores: loss ÷ the global model's loss, × 10⁶) and the module's own
    fl_alliance.compute_tally (two-pass stake-weighted median; accepted below 1.3·10⁶, poisoned from 3·10⁶)
    decides, with equal stakes. A malicious voter scores like an honest one, or under
    lazy-voter scores everything 0, or with collude=True scores its accomplices 0 and honest
    updates unusable (attacks.collude_scores). The next global model is the fedavg of the accepted
    updates in participant order if the aggregate check passes — every round member the tally did
    not report scores that FedAvg against the global model and more than half must find it better
    (fl_alliance.is_better_for_most; a colluder scores it 0 when it holds an accomplice's update,
    else unusable; a lazy voter 0) — or the last one.
  peer_vote -- the chain's peer-review task (0 voters): every participant proposes, and scores the
    others' updates; the same tally, which under peer review also accepts below 1.2 × the round's median.
  Both record per round the poisoned proposers and the voters the tally finds far from the consensus
  on most updates (false validation): what the chain would slash.
"""

import argparse
import hashlib
import time

import torch

from ..formats import ACCEPTED, POISONED, SCORE_UNUSABLE
from .aggregate import fedavg, flatten
from .attacks import (ATTACKS, BLOB_ATTACKS, collude_aggregate_score, collude_scores, lazy_scores, malicious_update,
                      pick_malicious)
from .data import load, split_non_iid
from .models import default_model_kind, init_model, is_classification
from .train import DEFAULT_TRAINING, TrainConfig, train_with
from .validate import accuracy, compute_krum_scores, compute_votes, mean_loss, score_candidates

RULES = ("fedavg", "median", "trimmed_mean", "multikrum", "vote_on_loss", "peer_vote", "honest_only")
CHAIN_RULES = ("vote_on_loss", "peer_vote")
TRIM_FRACTION = 0.2


def derive_seed(*parts: int | str) -> int:
    """A 63-bit seed from a tuple of labels, so every (run, round, participant) draws independently."""
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _unflatten(vector: torch.Tensor, like: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    result, offset = {}, 0
    for name in sorted(like):
        size = like[name].numel()
        result[name] = vector[offset:offset + size].reshape(like[name].shape).to(torch.float32).contiguous()
        offset += size
    return result


def coordinate_median(models: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    ordered = torch.stack([flatten(m) for m in models]).sort(dim=0).values
    n = len(models)
    middle = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return _unflatten(middle, models[0])


def trimmed_mean(models: list[dict[str, torch.Tensor]], beta: float = TRIM_FRACTION) -> dict[str, torch.Tensor]:
    n = len(models)
    trim = int(beta * n)
    if n - 2 * trim < 1:
        return coordinate_median(models)
    ordered = torch.stack([flatten(m) for m in models]).sort(dim=0).values
    return _unflatten(ordered[trim:n - trim].mean(dim=0), models[0])


def multikrum_select(models: list[dict[str, torch.Tensor]], n_byzantine: int) -> list[int]:
    """Indices of the n - f models with the lowest Krum scores (ties to the lower index)."""
    n = len(models)
    scores = compute_krum_scores(models, max(1, n - n_byzantine - 2))
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


def _scores(kind, attack, collude, is_malicious, global_params, candidates, owners, malicious, share) -> list[int]:
    """What a voter reveals for each candidate (validate.compute_votes; attacks.py for the malicious ones); None is
    a blob attacker's update nobody can decode."""
    if is_malicious and collude:
        return collude_scores(owners, malicious)
    if is_malicious and attack == "lazy-voter":
        return lazy_scores(len(candidates))
    usable = [candidate for candidate in candidates if candidate is not None]
    global_loss, losses = score_candidates(kind, global_params, usable, share.val_x, share.val_y, "cpu")
    return compute_votes(global_loss, losses, candidates)


def _chain_tally(kind, attack, collude, global_params, candidates, proposers, voters, malicious, shares,
                 accept_below: int | None = None, accept_within: int | None = None
                 ) -> tuple[list, int, int, list[int]]:
    """(each candidate's fl_alliance.UpdateTally, the round's bound and median M — 2³²−1 when no update has
    reports —, the voters reported for false validation)
    under fl_alliance's own tally, equal stakes and the module's default parameters (AcceptBelowPerMillion,
    AcceptWithinPerMillion: `accept_below`, `accept_within` when given; AcceptWithin applies under peer review
    only, as in the module)."""
    from fl_module import alliance
    address = lambda participant: participant.to_bytes(20, "big")
    updates = tuple(alliance.RevealedUpdate(address(p), bytes(32)) for p in proposers)
    cards = [(address(v), 1, tuple(_scores(kind, attack, collude, v in malicious, global_params, candidates,
                                           proposers, malicious, shares[v]))) for v in voters]
    factor = alliance.FarFactorPerMillion.default
    within = alliance.AcceptWithinPerMillion.default if accept_within is None else accept_within
    parameters = (accept_below or alliance.AcceptBelowPerMillion.default, within if proposers == voters else 0,
                  alliance.PoisonAtPerMillion.default)
    tally = alliance.compute_tally(updates, cards, *parameters, factor)
    bound = alliance.compute_tally_bound(tally, *parameters)
    weights = alliance.compute_voter_weights(updates, cards, tally, factor, bound)
    median = alliance.compute_round_median([entry.high_score for entry in tally if entry.voting_stake]
                                           or [SCORE_UNUSABLE])
    return tally, bound, median, [int.from_bytes(who, "big") for who, w in weights if w is None]


def _aggregate_check(kind, attack, collude, global_params, combined, members, owners, malicious, shares):
    """`combined` if more than half of the round's members (those the tally did not report) score it below 10⁶,
    else None."""
    from fl_module import alliance
    reports = []
    for member in members:
        if member in malicious and collude:
            score = collude_aggregate_score(owners, malicious)
        elif member in malicious and attack == "lazy-voter":
            score = lazy_scores(1)[0]
        else:
            score = _scores(kind, None, False, False, global_params, [combined], [member], set(), shares[member])[0]
        reports.append((score, 1, member.to_bytes(20, "big")))
    return combined if alliance.is_better_for_most(reports) else None


def run_baseline(rule: str, dataset: str, n_participants: int, n_malicious: int, attack: str | None, rounds: int,
                 seed: int, *, collude: bool = False, alpha: float = 0.5, config: TrainConfig | None = None,
                 accept_below: int | None = None, accept_within: int | None = None) -> dict:
    """Run `rounds` rounds of `rule` (module docstring) and report the global model on the test split.

    Returns {"rule", "final_test_loss", "final_test_accuracy" (None for regression),
    "malicious": [indices], "per_round": [{"round", "test_loss", "test_accuracy", ...}]};
    vote_on_loss and peer_vote rounds also list "proposers", "accepted", "rejected", "poisoned" and
    "false_validators" (participant indices), the tally's "bound" and "median" (M, fl_alliance.compute_round_median;
    2³²−1 when no update has reports) and each update's "consensus" (proposer, c, c⁺).
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
        if rule in CHAIN_RULES:
            order = torch.randperm(n_participants, generator=torch.Generator().manual_seed(
                derive_seed(seed, round_index, "roles"))).tolist()
            proposers = sorted(order[:n_participants // 2] if rule == "vote_on_loss" else order)
            voters = sorted(order[n_participants // 2:]) if rule == "vote_on_loss" else proposers
            delivered = [(p, _update(kind, attack, p in malicious, global_params, shares[p], config,
                                     derive_seed(seed, round_index, p))) for p in proposers]
            candidates = [update for _, update in delivered]
            tally, bound, median, false_validators = _chain_tally(kind, attack, collude, global_params, candidates,
                                                                  proposers, voters, malicious, shares, accept_below,
                                                                  accept_within)
            outcomes = [entry.outcome for entry in tally]
            accepted = [i for i, outcome in enumerate(outcomes) if outcome == ACCEPTED and candidates[i] is not None]
            adopted = _aggregate_check(
                kind, attack, collude, global_params, fedavg([candidates[i] for i in accepted]),
                sorted((set(proposers) | set(voters)) - set(false_validators)), [proposers[i] for i in accepted],
                malicious, shares
            ) if accepted else None
            if adopted is not None:
                global_params = adopted
            record.update(proposers=proposers, accepted=[proposers[i] for i in accepted], adopted=adopted is not None,
                          rejected=[p for i, p in enumerate(proposers) if i not in accepted],
                          poisoned=[proposers[i] for i, outcome in enumerate(outcomes) if outcome == POISONED],
                          false_validators=false_validators, bound=bound, median=median,
                          consensus=[(p, entry.low_score, entry.high_score) for p, entry in zip(proposers, tally)])
        else:
            trainers = [p for p in range(n_participants) if rule != "honest_only" or p not in malicious]
            updates = [_update(kind, attack, p in malicious, global_params, shares[p], config,
                               derive_seed(seed, round_index, p)) for p in trainers]
            byzantine = n_malicious - updates.count(None)
            updates = [update for update in updates if update is not None]
            if rule in ("fedavg", "honest_only"):
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
    parser.add_argument("--accept-below", type=int, metavar="PER_MILLION",
                        help="fl_alliance AcceptBelowPerMillion for the chain's rules (default: the module's)")
    parser.add_argument("--accept-within", type=int, metavar="PER_MILLION",
                        help="fl_alliance AcceptWithinPerMillion for the chain's rules (default: the module's; 0: off)")
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
                                   collude=args.collude and rule in CHAIN_RULES, accept_below=args.accept_below,
                                   accept_within=args.accept_within)[figure]
                      for seed in args.seeds]
            cells.append(sum(values) / len(values))
        print(f"{scenario:<20}" + "".join(f"{value:>14.3f}" for value in cells)
              + f"   ({time.perf_counter() - started:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
