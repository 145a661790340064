"""Attacks are pure functions of their inputs; colluding and lazy scores are what they say."""

import pytest
import torch

from fl_module.formats import SCORE_UNUSABLE
from fl_module.worker.attacks import (
    ATTACKS, collude_aggregate_score, collude_scores, flip_labels, free_rider, gaussian_noise, label_flip, lazy_scores,
    malicious_update, pick_malicious, sign_flip)
from fl_module.worker import attacks, models, tensors
from fl_module.worker.data import split_non_iid
from fl_module.worker.models import init_model
from fl_module.worker.train import DEFAULT_TRAINING, train_with
from fl_module.worker.validate import compute_scores, score_candidates

torch.set_num_threads(1)  # two xdist workers share two cores


def test_sign_flip_reverses_and_scales_the_honest_step():
    start = {"w": torch.tensor([1.0, 2.0])}
    trained = {"w": torch.tensor([1.5, 1.0])}
    assert sign_flip(start, trained)["w"].tolist() == [1.0 - 4 * 0.5, 2.0 - 4 * -1.0]
    assert sign_flip(start, trained, scale=1.0)["w"].tolist() == [0.5, 3.0]


def test_label_flip_inverts_the_labels():
    assert flip_labels("mlp", torch.arange(10)).tolist() == list(range(9, -1, -1))
    assert flip_labels("linear", torch.tensor([0.5, -2.0])).tolist() == [-0.5, 2.0]
    share = split_non_iid("digits", 4, seed=0)[0]
    start = init_model("mlp", 0)
    poisoned = label_flip("mlp", start, share.train_x, share.train_y, DEFAULT_TRAINING["mlp"], 3, "cpu")
    expected = train_with("mlp", start, share.train_x, 9 - share.train_y, DEFAULT_TRAINING["mlp"], 3, "cpu")
    assert all(torch.equal(poisoned[n], expected[n]) for n in poisoned)


def test_noise_and_free_rider_are_deterministic_per_seed():
    start = init_model("mlp", 0)
    a, b, c = gaussian_noise(start, 1), gaussian_noise(start, 1), gaussian_noise(start, 2)
    assert all(torch.equal(a[n], b[n]) for n in a) and any(not torch.equal(a[n], c[n]) for n in a)
    spread = torch.cat([(a[n] - start[n]).reshape(-1) for n in a]).std().item()
    assert 0.9 < spread < 1.1  # large against weights of ~0.1
    copy = free_rider(start, 5)
    assert all(torch.equal(copy[n], start[n]) and copy[n] is not start[n] for n in start)
    disguised = free_rider(start, 5, std=1e-6)
    assert all(torch.allclose(disguised[n], start[n], atol=1e-4) for n in start)
    assert any(not torch.equal(disguised[n], start[n]) for n in start)


def test_scores_of_lazy_and_colluding_voters():
    assert lazy_scores(3) == [0, 0, 0]
    assert collude_scores(["a", "b", "c", "d"], {"b", "d"}) == [SCORE_UNUSABLE, 0, SCORE_UNUSABLE, 0]
    assert collude_scores([], frozenset()) == []
    assert collude_aggregate_score(["a", "b"], {"b", "d"}) == 0, "it holds an accomplice's update"
    assert collude_aggregate_score(["a", "c"], {"b", "d"}) == SCORE_UNUSABLE


def test_pick_malicious_is_a_seeded_choice():
    assert pick_malicious(10, 3, 0) == pick_malicious(10, 3, 0)
    chosen = pick_malicious(10, 3, 0)
    assert len(set(chosen)) == 3 and all(0 <= i < 10 for i in chosen) and chosen == sorted(chosen)
    assert pick_malicious(10, 0, 0) == [] and pick_malicious(4, 4, 1) == [0, 1, 2, 3]
    assert len({tuple(pick_malicious(10, 3, seed)) for seed in range(10)}) > 1
    with pytest.raises(ValueError):
        pick_malicious(3, 4, 0)


@pytest.mark.parametrize("attack", ["sign-flip", "label-flip", "noise", "free-rider"])
def test_honest_voters_score_every_poisoned_update_worse_and_an_honest_one_better(attack):
    """Early in training, on data from the same population, loss voting tells them apart."""
    shares = split_non_iid("diabetes", 4, seed=0, alpha=0.5)
    x = torch.cat([s.train_x for s in shares])
    y = torch.cat([s.train_y for s in shares])
    start = init_model("linear", 0)
    config = DEFAULT_TRAINING["linear"]
    honest = train_with("linear", start, x, y, config, 1, "cpu")
    poisoned = malicious_update(attack, "linear", start, x, y, config, 1, "cpu")
    voter_x = torch.cat([s.val_x for s in shares])
    voter_y = torch.cat([s.val_y for s in shares])
    global_loss, losses = score_candidates("linear", start, [honest, poisoned], voter_x, voter_y, "cpu")
    honest_score, poisoned_score = compute_scores(global_loss, losses)
    assert honest_score < 1_000_000 <= poisoned_score


def test_a_lazy_voter_proposes_honestly_and_unknown_attacks_are_refused():
    share = split_non_iid("digits", 4, seed=0)[0]
    start = init_model("mlp", 0)
    lazy = malicious_update("lazy-voter", "mlp", start, share.train_x, share.train_y, DEFAULT_TRAINING["mlp"], 4, "cpu")
    honest = train_with("mlp", start, share.train_x, share.train_y, DEFAULT_TRAINING["mlp"], 4, "cpu")
    assert all(torch.equal(lazy[n], honest[n]) for n in lazy)
    assert set(ATTACKS) == {"sign-flip", "label-flip", "noise", "free-rider", "lazy-voter", "alie", "scaled",
                            "malformed-blob", "missing-blob", "nan"}
    with pytest.raises(ValueError):
        malicious_update("backdoor", "mlp", start, share.train_x, share.train_y, DEFAULT_TRAINING["mlp"], 4, "cpu")


@pytest.mark.parametrize("attack", attacks.BLOB_ATTACKS)
def test_blob_attacks_reveal_what_no_voter_can_use(attack):
    honest = tensors.encode_model(models.init_model("linear", 0))
    data, upload = attacks.hostile_blob(attack, honest, seed=7)
    assert upload == (attack != "missing-blob")
    assert data != honest and attacks.hostile_blob(attack, honest, seed=7) == (data, upload), "seeded"
    with pytest.raises(tensors.ModelFormatError, match="NaN" if attack == "nan" else ""):
        tensors.decode_model(data, "linear")


def test_the_command_line_offers_every_attack():
    from fl_module.worker import cli
    assert cli.ATTACKS == attacks.ATTACKS


def test_alie_stays_inside_the_honest_spread_and_scaled_boosts_the_honest_step():
    share = split_non_iid("digits", 4, seed=0)[0]
    start = init_model("mlp", 0)
    config = DEFAULT_TRAINING["mlp"]
    honest = train_with("mlp", start, share.train_x, share.train_y, config, 4, "cpu")
    boosted = malicious_update("scaled", "mlp", start, share.train_x, share.train_y, config, 4, "cpu")
    for name in start:
        assert torch.allclose(boosted[name] - start[name], attacks.SCALE_BOOST * (honest[name] - start[name]), atol=1e-5)
    shifted = malicious_update("alie", "mlp", start, share.train_x, share.train_y, config, 4, "cpu")
    again = malicious_update("alie", "mlp", start, share.train_x, share.train_y, config, 4, "cpu")
    assert all(torch.equal(shifted[n], again[n]) for n in start), "seeded"
    step = lambda params: torch.cat([(params[n] - start[n]).flatten() for n in sorted(start)])
    assert 0 < torch.norm(step(shifted) - step(honest)) < torch.norm(step(honest)), "a little, not a lot"
