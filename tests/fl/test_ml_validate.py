"""Batched scoring equals one-by-one scoring; a voter's score is a loss ratio, and only a strictly lower loss scores
below 10⁶; a distance outlier (Krum ratio) that the loss would reject scores SCORE_UNUSABLE."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from fl_module.formats import SCORE_UNUSABLE

from fl_module.worker.attacks import SIGN_FLIP_SCALE, sign_flip
from fl_module.worker.baselines import multikrum_select
from fl_module.worker.data import load, split_non_iid
from fl_module.worker.models import init_model
from fl_module.worker.train import DEFAULT_TRAINING, train_with
from fl_module.worker.validate import (
    DISTANCE_OUTLIER_RATIO, MIN_UPDATES_FOR_DISTANCE, OUTLIER_MIN_SCORE, accuracy, compute_krum_ratios,
    compute_krum_scores, compute_scores, compute_votes, losses_batched, losses_one_by_one, mark_distance_outliers, mean_loss, score_candidates,
    stack_models)

torch.set_num_threads(1)  # two xdist workers share two cores


def candidates(dataset: str, kind: str, count: int) -> tuple[dict, list[dict]]:
    shares = split_non_iid(dataset, count, seed=0)
    start = init_model(kind, 0)
    return start, [train_with(kind, start, s.train_x, s.train_y, DEFAULT_TRAINING[kind], i, "cpu")
                   for i, s in enumerate(shares)]


@pytest.mark.parametrize("dataset,kind,count", [("digits", "mlp", 16), ("diabetes", "linear", 5)])
@pytest.mark.parametrize("batch_size", [7, 64, 4096])
def test_batched_losses_equal_one_by_one(dataset, kind, count, batch_size):
    data = load(dataset, 0)
    _, models = candidates(dataset, kind, count)
    one = losses_one_by_one(kind, models, data.test_x, data.test_y, "cpu", batch_size)
    batched = losses_batched(kind, models, data.test_x, data.test_y, "cpu", batch_size)
    assert len(one) == len(batched) == count
    for a, b in zip(one, batched):
        assert math.isclose(a, b, rel_tol=1e-5)
    assert len(set(round(v, 6) for v in one)) == count  # the models really differ


def test_one_by_one_is_the_mean_loss_torch_computes():
    data = load("digits", 0)
    model = init_model("mlp", 2)
    expected = torch.nn.functional.cross_entropy(
        torch.relu(data.test_x @ model["fc1.weight"].t() + model["fc1.bias"]) @ model["fc2.weight"].t()
        + model["fc2.bias"], data.test_y).item()
    assert losses_one_by_one("mlp", [model], data.test_x, data.test_y, "cpu", 50)[0] == pytest.approx(expected, rel=1e-5)


def test_empty_candidate_list_and_stacking():
    data = load("diabetes", 0)
    assert losses_batched("linear", [], data.test_x, data.test_y, "cpu") == []
    stacked = stack_models([init_model("linear", 0), init_model("linear", 1)], torch.device("cpu"))
    assert stacked["weight"].shape == (2, 1, 10) and stacked["bias"].shape == (2, 1)


def test_score_candidates_puts_the_global_model_first():
    data = load("diabetes", 0)
    start, models = candidates("diabetes", "linear", 3)
    global_loss, losses = score_candidates("linear", start, models, data.test_x, data.test_y, "cpu")
    assert global_loss == pytest.approx(mean_loss("linear", start, data.test_x, data.test_y), rel=1e-6)
    assert losses == pytest.approx(losses_one_by_one("linear", models, data.test_x, data.test_y, "cpu"), rel=1e-5)


def test_scores_are_loss_ratios_per_million_floored_and_capped():
    assert compute_scores(2.0, [1.0, 2.0, 3.0, float("nan"), 1.999999, float("inf"), 1e12]) == \
        [500_000, 1_000_000, 1_500_000, SCORE_UNUSABLE, 999_999, SCORE_UNUSABLE, SCORE_UNUSABLE]
    assert compute_scores(0.0, [0.0, 0.1]) == [1_000_000, SCORE_UNUSABLE], "against a perfect global model"
    assert compute_scores(1.0, []) == []


@given(st.floats(1e-9, 1e6), st.lists(st.floats(0.0, 1e9), max_size=16))
def test_a_score_below_a_million_is_exactly_a_strictly_lower_loss(global_loss, losses):
    """The chain accepts below 10⁶: the score must say "improves" exactly when the loss is lower (the floor never
    turns an equal loss into an improvement), and every score fits a uint32."""
    for loss, score in zip(losses, compute_scores(global_loss, losses)):
        assert 0 <= score <= SCORE_UNUSABLE
        if loss >= global_loss:
            assert score >= 1_000_000


def test_loss_vote_rejects_sign_flips_that_an_accuracy_rule_lets_through():
    """A sign-flipped step leaves a voter's arg-max decisions as they were (accuracy unchanged,
    so "accept unless accuracy drops by more than 0.02" accepts it) while its loss rises
    (so the loss rule rejects it)."""
    data = load("digits", 0)
    model = train_with("mlp", init_model("mlp", 0), data.train_x[:1000], data.train_y[:1000],
                       DEFAULT_TRAINING["mlp"], 0, "cpu")
    voter_x, voter_y = data.test_x[:45], data.test_y[:45]  # a voter's small held-out set
    flipped = []
    for p in range(5):  # five proposers with IID slices the global model has not seen
        part = slice(1000 + 80 * p, 1080 + 80 * p)
        honest = train_with("mlp", model, data.train_x[part], data.train_y[part], DEFAULT_TRAINING["mlp"], 99 + p, "cpu")
        flipped.append(sign_flip(model, honest, scale=1.0))
    global_loss, losses = score_candidates("mlp", model, flipped, voter_x, voter_y, "cpu")
    assert all(score >= 1_000_000 for score in compute_scores(global_loss, losses)), "none is accepted"
    global_accuracy = accuracy("mlp", model, voter_x, voter_y)
    assert all(global_accuracy - accuracy("mlp", f, voter_x, voter_y) <= 0.02 for f in flipped)


def test_accuracy():
    data = load("digits", 0)
    model = init_model("mlp", 0)
    value = accuracy("mlp", model, data.test_x, data.test_y)
    assert 0.0 <= value <= 0.3  # an untrained model guesses
    logits_model = {"fc1.weight": torch.zeros(32, 64), "fc1.bias": torch.zeros(32),
                    "fc2.weight": torch.zeros(10, 32), "fc2.bias": torch.eye(10)[3]}
    assert accuracy("mlp", logits_model, data.test_x, data.test_y) == pytest.approx(
        (data.test_y == 3).double().mean().item())
    assert accuracy("linear", init_model("linear", 0), torch.zeros(2, 10), torch.zeros(2)) is None


# --- distance evidence: Krum ratios ----------------------------------------------------------------------------

def test_a_sign_flipped_update_among_honest_ones_is_a_distance_outlier_and_no_honest_one_is():
    """Ten digits participants (non-IID) train from a model already trained a little, and two of them send their
    step flipped, as the attack does: those two are distance outliers and no honest one is; a voter reports them
    unusable when its loss score would reject them too, and keeps its loss score otherwise."""
    data = load("digits", 0)
    start = train_with("mlp", init_model("mlp", 0), data.train_x[:300], data.train_y[:300], DEFAULT_TRAINING["mlp"],
                       0, "cpu")
    shares = split_non_iid("digits", 10, seed=0)
    updates = [train_with("mlp", start, s.train_x, s.train_y, DEFAULT_TRAINING["mlp"], i, "cpu")
               for i, s in enumerate(shares)]
    flipped = {3, 7}
    updates = [sign_flip(start, u, SIGN_FLIP_SCALE) if i in flipped else u for i, u in enumerate(updates)]
    ratios = compute_krum_ratios(updates)
    assert {i for i, r in enumerate(ratios) if r >= DISTANCE_OUTLIER_RATIO} == flipped, ratios
    rejected = [OUTLIER_MIN_SCORE + i for i in range(10)]
    assert mark_distance_outliers(rejected, updates) == [SCORE_UNUSABLE if i in flipped else s
                                                         for i, s in enumerate(rejected)]
    acceptable = [OUTLIER_MIN_SCORE - 1] * 10
    assert mark_distance_outliers(acceptable, updates) == acceptable


def test_a_krum_score_sums_the_squared_distances_to_the_nearest_others():
    points = [{"b": torch.tensor([float(x)]), "a": torch.tensor([0.0])} for x in (0, 1, 3, 10)]
    assert compute_krum_scores(points, 1) == [1, 1, 4, 49]
    assert compute_krum_scores(points, 2) == [1 + 9, 1 + 4, 4 + 9, 49 + 81]
    assert compute_krum_scores(points, 9) == [1 + 9 + 100, 1 + 4 + 81, 4 + 9 + 49, 49 + 81 + 100]
    assert compute_krum_scores(points[:1], 1) == [0.0] and compute_krum_scores([], 1) == []


def test_a_voter_scores_what_it_cannot_use_unusable_and_marks_distance_outliers_among_the_rest():
    near = [{"w": torch.full((4,), float(i))} for i in range(5)]
    far = {"w": torch.full((4,), 1e6)}
    candidates = [near[0], None, *near[1:], far]
    votes = compute_votes(1.0, [2.0] * 6, candidates)
    assert votes == [2_000_000, SCORE_UNUSABLE, 2_000_000, 2_000_000, 2_000_000, 2_000_000, SCORE_UNUSABLE]
    assert compute_votes(1.0, [0.5] * 6, candidates)[-1] == 500_000, "an outlier the loss accepts keeps its score"


def test_krum_ratios_order_updates_as_multikrum_selects_them():
    """The n - f updates Multi-Krum keeps against f = n/2 - 1 Byzantine ones are those with the n - f lowest ratios."""
    _, models = candidates("digits", "mlp", 10)
    ratios = compute_krum_ratios(models)
    kept = multikrum_select(models, 4)
    assert sorted(sorted(range(10), key=lambda i: (ratios[i], i))[:6]) == kept
    assert sorted(ratios)[4] == pytest.approx(1.0)  # the lower median's own ratio


@given(st.integers(2, 9), st.integers(0, 2**31), st.floats(0.01, 100.0), st.floats(-10.0, 10.0), st.randoms())
def test_krum_ratios_do_not_depend_on_order_scale_or_the_global_model(n, seed, scale, shift, random):
    """Every voter computes the same ratios from the same updates: the ratio of an update moves with it under a
    permutation, and neither a common scale of the steps nor the model they start from changes it."""
    generator = torch.Generator().manual_seed(seed)
    updates = [{"w": torch.randn(3, 4, generator=generator, dtype=torch.float64),
                "b": torch.randn(4, generator=generator, dtype=torch.float64)} for _ in range(n)]
    ratios = compute_krum_ratios(updates)
    order = list(range(n))
    random.shuffle(order)
    assert compute_krum_ratios([updates[i] for i in order]) == pytest.approx([ratios[i] for i in order], rel=1e-9)
    moved = [{name: shift + scale * tensor for name, tensor in update.items()} for update in updates]
    assert compute_krum_ratios(moved) == pytest.approx(ratios, rel=1e-6, abs=1e-9)


def test_too_few_or_identical_updates_mark_nothing():
    bad, far = OUTLIER_MIN_SCORE, {"w": torch.full((4,), 1e6)}
    near = [{"w": torch.full((4,), float(i))} for i in range(MIN_UPDATES_FOR_DISTANCE)]
    few = near[:MIN_UPDATES_FOR_DISTANCE - 2] + [far]
    assert mark_distance_outliers([bad] * len(few), few) == [bad] * len(few)
    enough = near[:MIN_UPDATES_FOR_DISTANCE - 1] + [far]
    assert mark_distance_outliers([bad] * len(enough), enough) == [bad] * (len(enough) - 1) + [SCORE_UNUSABLE]
    copies = [{"w": torch.ones(4)}] * 3 + [far] * 2  # most updates the same: no spread to measure a distance by
    assert compute_krum_ratios(copies) == [0.0] * 5 and mark_distance_outliers([bad] * 5, copies) == [bad] * 5
    accomplices = near + [far] * (len(near) - 1)  # a minority's copies of one update: still far from everyone else
    marked = mark_distance_outliers([bad] * len(accomplices), accomplices)
    assert marked[len(near):] == [SCORE_UNUSABLE] * (len(near) - 1)
    assert compute_krum_ratios([]) == [] and compute_krum_ratios([far]) == [0.0]


def test_the_outlier_score_floor_is_the_modules_accept_bound():
    from fl_module import alliance
    assert OUTLIER_MIN_SCORE == alliance.AcceptBelowPerMillion.default
