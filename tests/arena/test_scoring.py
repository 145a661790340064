"""The validator's scoring and the dataset blobs: batched equals one at a time, anything that is not a
model of the task's kind scores the worst loss, and datasets decode strictly."""

import math
import struct

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from arena.formats import LOSS_SCALE, WORST_LOSS
from arena.worker import datasets, scoring, trainer
from fl_module.worker import models, tensors


@pytest.fixture(scope="module")
def splits():
    return datasets.split("digits", 0)


@pytest.fixture(scope="module")
def submissions(splits):
    configs = [trainer.TrainerConfig(data_fraction=f, epochs=e, seed=i)
               for i, (f, e) in enumerate(((1.0, 5), (0.3, 2), (0.1, 1)))] + [trainer.TrainerConfig(seed=9, bad=True)]
    return [trainer.train_model("mlp", splits.public_x, splits.public_y, c) for c in configs]


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_fixed_losses_are_bounded_and_bad_numbers_are_the_worst(loss):
    fixed = scoring.to_fixed_loss(loss)
    assert 0 <= fixed <= WORST_LOSS
    if math.isfinite(loss) and 0 <= loss < 1e9:
        assert abs(fixed - loss * LOSS_SCALE) <= 0.5 + abs(loss) * LOSS_SCALE * 1e-15
    elif not (math.isfinite(loss) and loss >= 0):
        assert fixed == WORST_LOSS


def test_batched_scores_agree_with_one_at_a_time_and_follow_quality(splits, submissions):
    x, y = splits.evaluation_x, splits.evaluation_y
    batched = scoring.score("mlp", submissions, x, y, batched=True, device="cpu")
    one = scoring.score("mlp", submissions, x, y, batched=False, device="cpu")
    # Both sum float64 totals of float32 per-sample losses, but through different kernels (bmm against mm), so
    # each per-sample loss may differ in its last float32 bits: the means agree to float32 rounding (2⁻²¹
    # relative, about 5e-7), not to a fixed 1e-8, which a run under load exceeded (12e-9 on a loss near 2).
    assert all(abs(a - b) <= max(a, b) * 2**-21 for a, b in zip(batched, one)), (batched, one)
    assert batched == sorted(batched), "more data and epochs: lower loss; untrained: highest"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_the_gpu_path_scores_as_the_cpu_does(splits, submissions):
    x, y = splits.evaluation_x, splits.evaluation_y
    cpu = scoring.score("mlp", submissions, x, y, device="cpu")
    gpu = scoring.score("mlp", submissions, x, y, device="cuda")
    assert max(abs(a - b) / a for a, b in zip(cpu, gpu)) < 1e-4


def test_what_is_not_a_model_of_the_kind_scores_the_worst_loss(splits, submissions):
    good = tensors.encode_model(submissions[0])
    header = struct.unpack_from("<Q", good)[0]
    poisoned = bytearray(good)
    poisoned[8 + header:8 + header + 4] = struct.pack("<f", float("nan"))
    wrong_kind = tensors.encode_model(models.init_model("linear", 0))
    cases = [(good, tensors.model_hash(good)), (good, b"\x01" * 32), (None, tensors.model_hash(good)),
             (b"not a model", tensors.model_hash(b"not a model")), (bytes(poisoned), tensors.model_hash(poisoned)),
             (wrong_kind, tensors.model_hash(wrong_kind))]
    decoded = [scoring.decode_submission("mlp", blob, expected) for blob, expected in cases]
    assert decoded[0] is not None and decoded[1:] == [None] * 5
    losses = scoring.score("mlp", decoded, splits.evaluation_x, splits.evaluation_y)
    assert losses[0] < WORST_LOSS and losses[1:] == [WORST_LOSS] * 5
    assert scoring.score("mlp", [None, None], splits.evaluation_x, splits.evaluation_y) == [WORST_LOSS] * 2


def test_dataset_blobs_round_trip_and_refuse_anything_else(splits):
    blob = datasets.encode_dataset(splits.evaluation_x, splits.evaluation_y)
    x, y = datasets.decode_dataset(blob, "mlp")
    assert torch.equal(x, splits.evaluation_x) and torch.equal(y, splits.evaluation_y) and y.dtype == torch.long
    bad = [b"garbage", tensors.encode_model({"x": splits.evaluation_x[:, :10], "y": splits.evaluation_y.float()}),
           tensors.encode_model({"x": splits.evaluation_x, "y": splits.evaluation_y.float() + 0.5}),
           tensors.encode_model({"x": splits.evaluation_x, "y": splits.evaluation_y.float() + 10}),
           tensors.encode_model({"x": splits.evaluation_x}),
           datasets.encode_dataset(splits.evaluation_x[:5], splits.evaluation_y[:4])]
    for blob in bad:
        with pytest.raises(datasets.DatasetFormatError):
            datasets.decode_dataset(blob, "mlp")


def test_the_splits_do_not_overlap(splits):
    rows = lambda t: {tuple(r.tolist()) for r in t}
    assert not rows(splits.evaluation_x) & rows(splits.unseen_x)
    assert len(splits.evaluation_x) + len(splits.unseen_x) == 360
