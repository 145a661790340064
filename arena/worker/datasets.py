"""Datasets as blobs: the public training data and the hidden evaluation set of an Arena task.

A dataset blob is a canonical tensor file (fl_module/worker/tensors.py) with exactly two tensors:
`x` [N, features] and `y` [N] (float32; class labels as whole numbers). Its keccak256 is what a
task names on chain (training data) or commits to (evaluation set)."""

from dataclasses import dataclass

import torch

from fl_module.worker import data, models, tensors


class DatasetFormatError(ValueError):
    """Bytes that are not a dataset blob for the task's model kind."""


@dataclass(frozen=True)
class ArenaSplits:
    """One dataset cut three ways: what trainers get, what validators score on, what nobody sees."""
    public_x: torch.Tensor
    public_y: torch.Tensor
    evaluation_x: torch.Tensor
    evaluation_y: torch.Tensor
    unseen_x: torch.Tensor
    unseen_y: torch.Tensor


def encode_dataset(x: torch.Tensor, y: torch.Tensor) -> bytes:
    return tensors.encode_model({"x": x.to(torch.float32), "y": y.to(torch.float32)})


def decode_dataset(blob: bytes, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, y) of a dataset blob for `kind`'s inputs and targets; DatasetFormatError for anything else."""
    try:
        found = tensors.decode_model(blob)
    except tensors.ModelFormatError as error:
        raise DatasetFormatError(f"not a dataset blob: {error}") from None
    spec = models.model_spec(kind)
    x, y = found.get("x"), found.get("y")
    if set(found) != {"x", "y"} or x.dim() != 2 or y.dim() != 1 or len(x) != len(y) or len(x) == 0 \
            or x.shape[1] != spec.n_features:
        raise DatasetFormatError(f"not a {kind!r} dataset: tensors {({k: tuple(v.shape) for k, v in found.items()})}")
    if not spec.classification:
        return x, y
    if not torch.equal(y, y.round()) or y.min() < 0 or y.max() >= spec.n_outputs:
        raise DatasetFormatError(f"labels are not whole numbers in 0 … {spec.n_outputs - 1}")
    return x, y.to(torch.long)


def split(dataset: str, seed: int) -> ArenaSplits:
    """The dataset's training split is public; its test split is halved into the evaluation set and
    data nobody sees (to measure each model's true loss)."""
    loaded = data.load(dataset, seed)
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(loaded.test_x), generator=generator)
    half = len(order) // 2
    evaluation, unseen = order[:half], order[half:]
    return ArenaSplits(loaded.train_x, loaded.train_y, loaded.test_x[evaluation], loaded.test_y[evaluation],
                       loaded.test_x[unseen], loaded.test_y[unseen])
