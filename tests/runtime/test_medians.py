"""The weighted median and agreement rules the Arena and FL Alliance share (runtime/medians.py)."""

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from runtime.medians import compute_agreement, compute_weighted_median, is_far_on_most


@given(st.lists(st.tuples(st.integers(0, 2**64 - 1), st.integers(1, 10**30)), min_size=1, max_size=12),
       st.integers(0, 2**64 - 1))
def test_a_stake_majority_agreeing_fixes_the_median(others, agreed):
    """Whatever the rest report, a loss reported by more than half of the stake is the median."""
    minority = sum(weight for _, weight in others)
    majority = minority + 1
    reports = [(loss, weight, bytes([i]) * 20) for i, (loss, weight) in enumerate(others)]
    reports.append((agreed, majority, b"\xff" * 20))
    assert compute_weighted_median(reports) == agreed


@given(st.lists(st.tuples(st.integers(0, 2**64 - 1), st.integers(1, 10**30)), min_size=1, max_size=12))
def test_the_median_is_a_reported_loss_with_half_the_stake_on_each_side(entries):
    reports = [(loss, weight, bytes([i]) * 20) for i, (loss, weight) in enumerate(entries)]
    median = compute_weighted_median(reports)
    total = sum(w for _, w, _ in reports)
    assert median in {loss for loss, _, _ in reports}
    assert 2 * sum(w for loss, w, _ in reports if loss <= median) >= total
    assert 2 * sum(w for loss, w, _ in reports if loss >= median) >= total


@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), st.integers(1, 10**6), st.integers(1, 10**9))
def test_agreement_is_a_floored_linear_falloff(loss, consensus, tolerance, floor):
    agreement = compute_agreement(loss, consensus, tolerance, floor)
    base = Fraction(max(consensus, floor) * tolerance, 10**6)
    exact = max(1 - Fraction(abs(loss - consensus)) / base, 0) * 10**6
    assert exact - 1 < agreement <= exact
    assert compute_agreement(consensus, consensus, tolerance, floor) == 10**6


def test_an_outlier_is_far_on_more_than_half_of_its_reports():
    assert is_far_on_most([0, 0, 1])
    assert not is_far_on_most([0, 1]), "exactly half is not most"
    assert not is_far_on_most([0, 5, 1_000_000])
    assert not is_far_on_most([]), "a reporter with no reports is no outlier"
