"""Bundled datasets, standardized on the training part, split non-IID and deterministically."""

from collections import Counter

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from fl_module.worker import data
from fl_module.worker.data import MIN_SAMPLES_PER_PARTICIPANT, VALIDATION_FRACTION, load, split_non_iid

torch.set_num_threads(1)  # two xdist workers share two cores


def rows(x: torch.Tensor) -> set[bytes]:
    return {row.numpy().tobytes() for row in x}


@pytest.mark.parametrize("dataset,features,samples", [("digits", 64, 1797), ("diabetes", 10, 442), ("wine", 13, 178),
                                                      ("breast_cancer", 30, 569)])
def test_load_standardizes_on_train_only_and_holds_out_20_percent(dataset, features, samples):
    data = load(dataset, 0)
    assert data.train_x.shape[1] == data.test_x.shape[1] == features
    assert len(data.train_x) + len(data.test_x) == samples
    assert len(data.test_x) == pytest.approx(0.2 * samples, abs=1)
    assert data.train_x.dtype == torch.float32
    assert torch.allclose(data.train_x.mean(0), torch.zeros(features), atol=1e-5)
    stds = data.train_x.std(0, unbiased=False)
    assert torch.all(((stds - 1).abs() < 1e-4) | (stds == 0))  # digits has always-blank pixels
    assert not torch.allclose(data.test_x.mean(0), torch.zeros(features), atol=1e-5)  # fitted on train only


def test_diabetes_test_rows_are_in_no_participant_share():
    data = load("diabetes", 1)
    shares = split_non_iid("diabetes", 8, seed=1)
    shared = set().union(*(rows(s.train_x) | rows(s.val_x) for s in shares))
    assert len(shared) == len(data.train_x) and not shared & rows(data.test_x)


def test_targets_are_class_indices_for_digits_and_standardized_for_diabetes():
    digits, diabetes = load("digits", 0), load("diabetes", 0)
    assert digits.train_y.dtype == torch.long and set(digits.train_y.tolist()) == set(range(10))
    wine, cancer = load("wine", 0), load("breast_cancer", 0)
    assert wine.train_y.dtype == cancer.train_y.dtype == torch.long
    assert set(wine.test_y.tolist()) == {0, 1, 2} and set(cancer.test_y.tolist()) == {0, 1}, "stratified"
    assert sorted(torch.bincount(digits.test_y).tolist())[0] >= 30  # stratified
    assert diabetes.train_y.dtype == torch.float32
    assert abs(diabetes.train_y.mean().item()) < 1e-5 and abs(diabetes.train_y.std(unbiased=False).item() - 1) < 1e-4


def test_load_is_deterministic_and_the_seed_matters():
    a, b, c = load("digits", 3), load("digits", 3), load("digits", 4)
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_y, b.test_y)
    assert not torch.equal(a.test_y, c.test_y)


@pytest.mark.parametrize("dataset,n", [("digits", 10), ("diabetes", 8), ("wine", 5), ("breast_cancer", 8)])
def test_split_shares_out_the_whole_training_part_with_private_validation(dataset, n):
    data = load(dataset, 1)
    shares = split_non_iid(dataset, n, seed=1)
    assert len(shares) == n
    assert sum(len(s.train_x) + len(s.val_x) for s in shares) == len(data.train_x)
    for share in shares:
        total = len(share.train_x) + len(share.val_x)
        assert total >= MIN_SAMPLES_PER_PARTICIPANT
        assert len(share.val_x) == max(1, round(VALIDATION_FRACTION * total))
        assert len(share.train_y) == len(share.train_x) and len(share.val_y) == len(share.val_x)
        train_x, train_y, val_x, val_y = share  # unpacks like a tuple
        assert train_x is share.train_x and val_y is share.val_y


def test_split_is_deterministic_per_seed():
    a, b, c = (split_non_iid("digits", 10, seed) for seed in (5, 5, 6))
    assert all(torch.equal(x.train_x, y.train_x) and torch.equal(x.val_y, y.val_y) for x, y in zip(a, b))
    assert any(len(x.train_y) != len(y.train_y) for x, y in zip(a, c))


def test_digits_split_is_label_skewed():
    shares = split_non_iid("digits", 10, seed=0, alpha=0.5)
    distributions = []
    for share in shares:
        labels = torch.cat([share.train_y, share.val_y])
        distributions.append(torch.bincount(labels, minlength=10).double() / len(labels))
    # an IID share would hold ~10% of each class; Dirichlet(0.5) gives most participants a dominant class
    assert sum(d.max().item() > 0.3 for d in distributions) >= 5
    assert sum((d == 0).sum().item() for d in distributions) >= 5  # classes some participants never see
    # a larger alpha skews less
    mild = split_non_iid("digits", 10, seed=0, alpha=100.0)
    assert max(torch.bincount(torch.cat([s.train_y, s.val_y]), minlength=10).max().item()
               / (len(s.train_y) + len(s.val_y)) for s in mild) < 0.25


def test_diabetes_hospitals_serve_different_age_groups():
    shares = split_non_iid("diabetes", 8, seed=0)
    ages = [torch.cat([s.train_x[:, 0], s.val_x[:, 0]]) for s in shares]
    for younger, older in zip(ages, ages[1:]):
        assert younger.max() <= older.min()
    assert ages[0].mean() < -1 and ages[-1].mean() > 1


def test_too_many_participants_is_an_error():
    with pytest.raises(ValueError):
        split_non_iid("diabetes", 100, seed=0)


@given(st.sampled_from(["digits", "wine", "breast_cancer", "diabetes"]), st.integers(1, 400), st.integers(0, 3))
@settings(max_examples=20, deadline=None)
def test_overlapping_shares_give_everyone_distinct_samples_of_the_training_part(dataset, participants, seed):
    shares = data.sample_non_iid(dataset, participants, seed)
    train = data.load(dataset, seed)
    assert len(shares) == participants
    available = Counter(row.numpy().tobytes() for row in train.train_x)
    for share in shares:
        own = Counter(row.numpy().tobytes() for row in torch.cat([share.train_x, share.val_x]))
        assert all(count <= available[row] for row, count in own.items())  # distinct samples of the training part
        assert sum(own.values()) <= data.MIN_SAMPLES_PER_PARTICIPANT
        assert len(share.val_y) >= 1 and len(share.train_y) >= 1
    again = data.sample_non_iid(dataset, participants, seed)
    assert all(torch.equal(a.train_x, b.train_x) for a, b in zip(shares, again))


def test_shares_overlap_only_where_the_dataset_cannot_give_everyone_distinct_samples():
    shares, overlapping = data.share_out("digits", 10, 0)
    assert not overlapping and all(torch.equal(a.train_x, b.train_x)
                                   for a, b in zip(shares, data.split_non_iid("digits", 10, 0)))
    shares, overlapping = data.share_out("digits", 200, 0)
    tenth = len(data.load("digits", 0).train_y) // 10
    assert overlapping and len(shares) == 200
    assert tenth - 10 < sum(len(s.train_y) + len(s.val_y) for s in shares) / 200 <= tenth
    shares, _ = data.share_out("digits", 200, 0, samples=30)
    assert all(len(s.train_y) + len(s.val_y) <= 30 for s in shares)


def test_overlapping_shares_keep_the_label_skew():
    shares = data.sample_non_iid("digits", 100, 0)
    dominant = [torch.bincount(torch.cat([s.train_y, s.val_y]), minlength=10).max().item() / 24 for s in shares]
    assert sum(dominant) / len(dominant) > 0.3  # IID would put about 0.1-0.25 in the largest class
