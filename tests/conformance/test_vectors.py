"""The case functions hold as tests, agree with the checked-in vectors, and the runner accepts them."""

import json

import pytest

from .generate import ALL_CASES
from .runner import VECTOR_DIR, load_vectors, run_vector


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.__name__)
def test_case_matches_checked_in_vector(case):
    vector = case()
    path = VECTOR_DIR / vector.folder / f"{vector.name}.json"
    assert path.exists(), f"missing vector {path}: run `make vectors`"
    assert json.loads(path.read_text()) == vector.to_json(), "consensus output changed: if intended, `make vectors`"


@pytest.mark.parametrize("vector", load_vectors(), ids=lambda v: v["name"])
def test_runner_accepts_vector(vector):
    run_vector(vector)


def test_runner_detects_a_wrong_post_state():
    vector = next(v for v in load_vectors() if v.get("post") is not None)
    tampered = dict(vector, post=dict(vector["post"], stateRoot="0x" + "00" * 32))
    with pytest.raises(AssertionError):
        run_vector(tampered)


def test_runner_detects_an_accepted_invalid_block():
    vector = next(v for v in load_vectors() if "post" in v and v["post"] is None)
    valid = next(v for v in load_vectors() if v.get("post") is not None)
    with pytest.raises(AssertionError):
        run_vector(dict(valid, post=None))
    assert vector["blocks"]


def test_runner_detects_a_wrong_selection():
    vector = next(v for v in load_vectors() if v.get("kind") == "sampling")
    with pytest.raises(AssertionError):
        run_vector(dict(vector, selection=list(reversed(vector["selection"]))))


def test_runner_detects_a_wrong_commitment():
    for vector in (v for v in load_vectors() if v.get("kind") == "fl_commitment"):
        with pytest.raises(AssertionError):
            run_vector(dict(vector, salt="0x" + "00" * 31 + "01"))
