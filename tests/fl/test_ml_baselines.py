"""Chain-free baselines at small scale: the robust rules and ours against FedAvg's collapse."""

import pytest
import torch

from fl_module.worker.baselines import (
    RULES, coordinate_median, derive_seed, multikrum_select, run_baseline, run_baselines, trimmed_mean)

torch.set_num_threads(1)  # two xdist workers share two cores

ROUNDS = 8  # digits passes 0.9 test accuracy by then without attack


def vectors(*rows):
    return [{"w": torch.tensor(row, dtype=torch.float32)} for row in rows]


def test_coordinate_median_and_trimmed_mean():
    models = vectors([1.0, 10.0], [2.0, -5.0], [3.0, 0.0], [100.0, 1.0])
    assert coordinate_median(models)["w"].tolist() == [2.5, 0.5]  # mean of the two middle values
    assert coordinate_median(models[:3])["w"].tolist() == [2.0, 0.0]
    ten = vectors(*[[float(v)] for v in [-1000, 1, 2, 3, 4, 5, 6, 7, 8, 1000]])
    assert trimmed_mean(ten)["w"].tolist() == [4.5]  # 0.2 * 10 = 2 dropped from each end
    assert trimmed_mean(vectors([1.0], [5.0]))["w"].tolist() == [3.0]


def test_multikrum_keeps_the_n_minus_f_closest_models():
    models = vectors([0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [0.1, 0.1], [5.0, 5.0], [-6.0, 4.0])
    assert multikrum_select(models, 2) == [0, 1, 2, 3]
    assert multikrum_select(models, 0) == list(range(6))


def test_derived_seeds_differ_per_label_and_repeat():
    assert derive_seed(1, 2, 3) == derive_seed(1, 2, 3)
    assert len({derive_seed(0, r, p) for r in range(5) for p in range(5)}) == 25
    assert 0 <= derive_seed("x") < 2 ** 63


def test_run_is_deterministic_and_reports_every_round():
    a = run_baseline("vote_on_loss", "diabetes", 8, 2, "sign-flip", 3, seed=1)
    b = run_baseline("vote_on_loss", "diabetes", 8, 2, "sign-flip", 3, seed=1)
    assert a == b
    assert a["final_test_accuracy"] is None and len(a["per_round"]) == 3
    for record in a["per_round"]:
        assert sorted(record["accepted"] + record["rejected"]) == record["proposers"]
        assert len(record["proposers"]) == 4
    with pytest.raises(ValueError):
        run_baseline("krum", "digits", 10, 0, None, 1, 0)
    with pytest.raises(ValueError):
        run_baseline("fedavg", "digits", 10, 2, "backdoor", 1, 0)


def test_digits_sign_flip_collapses_fedavg_but_not_multikrum_or_vote_on_loss():
    clean = run_baseline("vote_on_loss", "digits", 10, 0, None, ROUNDS, seed=0)
    fedavg = run_baseline("fedavg", "digits", 10, 2, "sign-flip", ROUNDS, seed=0)
    krum = run_baseline("multikrum", "digits", 10, 2, "sign-flip", ROUNDS, seed=0)
    ours = run_baseline("vote_on_loss", "digits", 10, 2, "sign-flip", ROUNDS, seed=0)
    assert clean["final_test_accuracy"] > 0.88
    assert fedavg["final_test_accuracy"] < 0.5
    assert krum["final_test_accuracy"] > 0.85
    assert ours["final_test_accuracy"] > clean["final_test_accuracy"] - 0.05
    malicious = set(ours["malicious"])
    assert not any(set(r["accepted"]) & malicious for r in ours["per_round"]), "a poisoned update was accepted"
    assert sum(len(set(r["proposers"]) & malicious) for r in ours["per_round"]) > 0, "no attacker ever proposed"


def test_diabetes_hospitals_keep_their_mse_under_attack():
    clean = run_baseline("vote_on_loss", "diabetes", 8, 0, None, 10, seed=0)["final_test_loss"]
    for attack in ("sign-flip", "label-flip", "noise"):
        attacked = run_baseline("vote_on_loss", "diabetes", 8, 2, attack, 10, seed=0)["final_test_loss"]
        assert attacked <= 1.05 * clean, attack
    assert run_baseline("fedavg", "diabetes", 8, 2, "sign-flip", 10, seed=0)["final_test_loss"] > 2 * clean


def test_colluding_voters_never_get_a_poisoned_update_in_at_20_percent():
    run = run_baseline("vote_on_loss", "diabetes", 10, 2, "sign-flip", 6, seed=0, collude=True)
    malicious = set(run["malicious"])
    assert not any(set(r["accepted"]) & malicious for r in run["per_round"])


def test_baselines_object_has_the_four_rules():
    result = run_baselines("diabetes", 8, 2, "noise", 2, seed=0)
    assert sorted(result) == sorted(RULES[:4])
    assert all(set(r) >= {"final_test_loss", "final_test_accuracy", "per_round"} for r in result.values())


def test_peer_review_keeps_colluders_out_at_40_percent_and_reports_only_them():
    """Everyone proposes and scores the others; the module's own two-pass median tally decides. With 4 colluders
    of 10 scoring each other 0 and every honest update unusable, no malicious update gets in, honest ones still
    do, only sign-flipped updates are poisoned, and only colluders are reported for false validation."""
    result = run_baseline("peer_vote", "diabetes", 10, 4, "sign-flip", 2, seed=0, collude=True)
    bad = set(result["malicious"])
    for record in result["per_round"]:
        assert not bad & set(record["accepted"]), record
        assert set(record["accepted"]) - bad, "honest updates are accepted"
        assert set(record["poisoned"]) <= bad and record["poisoned"], record
        assert set(record["false_validators"]) == bad, record


def test_each_round_records_the_consensus_that_decided_each_update():
    """What bench/fl_slash_lines reads: every proposer's (c, c⁺), the round's bound and median M (every update has
    reports here), consistent with the outcomes (accepted below the bound, poisoned at the poison line,
    fl_alliance.compute_poison_line)."""
    from fl_module import alliance
    result = run_baseline("peer_vote", "diabetes", 8, 2, "sign-flip", 3, seed=1, collude=True)
    for record in result["per_round"]:
        assert [p for p, _, _ in record["consensus"]] == record["proposers"]
        line = alliance.compute_poison_line(record["bound"], alliance.AcceptBelowPerMillion.default,
                                            alliance.PoisonAtPerMillion.default)
        for proposer, low, high in record["consensus"]:
            assert low <= high
            assert (proposer in record["accepted"]) == (high < record["bound"]), record
            assert (proposer in record["poisoned"]) == (high >= record["bound"] and low >= line), record
        uppers = sorted(high for _, _, high in record["consensus"])
        assert record["median"] == uppers[(len(uppers) - 1) // 2]
        assert record["poisoned"], "sign-flipped updates of diabetes are poisoned from the first round"


def test_the_chain_rules_take_another_acceptance_threshold():
    """accept_below=1 (a score below 10⁻⁶) accepts nothing, so the global model never moves; the default does."""
    strict = run_baseline("peer_vote", "digits", 6, 0, None, 2, 0, accept_below=1)
    assert all(not r["accepted"] and not r["adopted"] for r in strict["per_round"])
    assert strict["per_round"][0]["test_loss"] == strict["per_round"][-1]["test_loss"]
    default = run_baseline("peer_vote", "digits", 6, 0, None, 2, 0)
    assert any(r["accepted"] for r in default["per_round"])


def test_honest_only_is_fedavg_without_the_attackers_whatever_they_send():
    """The ceiling rule never sees a malicious update: its run is the same under every attack, and with nobody
    malicious it is FedAvg's run; FedAvg of everyone is poisoned by the same sign-flippers."""
    runs = {attack: run_baseline("honest_only", "diabetes", 8, 2, attack, 3, seed=0)["final_test_loss"]
            for attack in ("sign-flip", "label-flip", "noise")}
    assert len(set(runs.values())) == 1, runs
    assert run_baseline("honest_only", "diabetes", 8, 0, None, 3, seed=0)["final_test_loss"] == \
        run_baseline("fedavg", "diabetes", 8, 0, None, 3, seed=0)["final_test_loss"]
    assert run_baseline("fedavg", "diabetes", 8, 2, "sign-flip", 3, seed=0)["final_test_loss"] > 2 * runs["noise"]
