"""The worker's harmful-flag rule (validate.decide_harmful): what gets a proposer slashed if 2/3 agree."""

import math

from hypothesis import given
from hypothesis import strategies as st

from fl_module.worker.validate import HARM_FACTOR, MEDIAN_FACTOR, decide_harmful, decide_votes

losses = st.floats(0.0, 1e6, allow_nan=False)


def test_examples():
    assert decide_harmful(1.0, [0.9, 1.0, 3.0, 4.0]) == [False, False, True, True]
    assert decide_harmful(1.0, [2.0, 2.0, 2.1]) == [False] * 3, "worse than the global, but not than its peers"
    assert decide_harmful(1.0, [1.4, 1.0, 1.0]) == [False] * 3, "above its peers, but not far above the global"
    assert decide_harmful(1.0, [math.nan, 0.5]) == [True, False]
    assert decide_harmful(0.0, [0.0, 0.0]) == [False, False], "as good as a perfect global model is not harmful"


@given(losses, st.lists(losses, min_size=1, max_size=16))
def test_a_flag_is_always_a_rejection_and_far_above_both_references(global_loss, candidates):
    flags = decide_harmful(global_loss, candidates)
    accepts = decide_votes(global_loss, candidates)
    median = sorted(candidates)[len(candidates) // 2] if len(candidates) % 2 else \
        sum(sorted(candidates)[len(candidates) // 2 - 1:len(candidates) // 2 + 1]) / 2
    for loss, flag, accept in zip(candidates, flags, accepts):
        assert not (flag and accept)
        assert flag == (loss > global_loss and loss >= HARM_FACTOR * global_loss and loss >= MEDIAN_FACTOR * median)
