"""Stake-weighted sampling: follows stake, ignores splitting for "drawn at all", deterministic everywhere."""

import hashlib
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.sampling import sample, uniform_below

candidates = st.dictionaries(st.binary(min_size=1, max_size=4), st.integers(0, 10**30), max_size=12)


def seed(i: int) -> bytes:
    return hashlib.sha256(i.to_bytes(8, "big")).digest()


@given(candidates, st.integers(0, 15), st.binary(max_size=32))
def test_selection_shape(pool, k, s):
    chosen = sample(s, list(pool.items()), k)
    eligible = {c for c, w in pool.items() if w > 0}
    assert len(chosen) == min(k, len(eligible)) and len(set(chosen)) == len(chosen)
    assert set(chosen) <= eligible
    assert chosen == sample(s, list(reversed(list(pool.items()))), k), "input order does not matter"


@given(st.binary(max_size=32), st.integers(0, 100), st.integers(1, 2**256))
def test_uniform_below_is_in_range(s, draw, total):
    assert 0 <= uniform_below(s, draw, total) < total


def chi_square(observed: list[int], expected: list[float]) -> float:
    return sum((o - e) ** 2 / e for o, e in zip(observed, expected))


def test_single_draws_follow_stake():
    """k = 1 over 20,000 seeds: counts match weights (chi-square, 4 degrees of freedom, p > 0.001)."""
    weights = {b"a": 1, b"b": 2, b"c": 3, b"d": 10, b"e": 34}
    runs = 20_000
    counts = dict.fromkeys(weights, 0)
    for i in range(runs):
        counts[sample(seed(i), list(weights.items()), 1)[0]] += 1
    total = sum(weights.values())
    statistic = chi_square([counts[c] for c in weights], [runs * w / total for w in weights.values()])
    assert statistic < 18.47, (statistic, counts)


def test_splitting_stake_does_not_change_the_odds_of_being_drawn():
    """P(an entity holds at least one of k seats) is the same whole or split into 5 accounts."""
    others = [(bytes([i]), 10 + i) for i in range(1, 9)]
    whole = others + [(b"me", 60)]
    split = others + [(b"me" + bytes([j]), 12) for j in range(5)]
    runs, k = 8_000, 3
    hits_whole = sum(b"me" in sample(seed(i), whole, k) for i in range(runs))
    hits_split = sum(any(c.startswith(b"me") for c in sample(seed(runs + i), split, k)) for i in range(runs))
    p_whole, p_split = hits_whole / runs, hits_split / runs
    standard_error = ((p_whole * (1 - p_whole) + p_split * (1 - p_split)) / runs) ** 0.5
    assert abs(p_whole - p_split) < 4 * standard_error, (p_whole, p_split)
    seats_split = sum(sum(c.startswith(b"me") for c in sample(seed(i), split, k)) for i in range(2_000))
    assert seats_split / 2_000 > p_split, "split accounts may hold several seats, one each (documented)"


def test_same_draw_in_another_process():
    code = ("from runtime.sampling import sample; import hashlib;"
            "print(sample(hashlib.sha256(b'x').digest(), [(bytes([i]), i * 7 + 1) for i in range(50)], 10).__repr__())")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    here = repr(sample(hashlib.sha256(b"x").digest(), [(bytes([i]), i * 7 + 1) for i in range(50)], 10))
    assert other == here


def test_bad_candidates_are_refused():
    with pytest.raises(ValueError):
        sample(b"", [(b"a", 1), (b"a", 2)], 1)
    with pytest.raises(ValueError):
        sample(b"", [(b"a", -1)], 1)
