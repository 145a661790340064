"""Scoring submissions: every assigned model in batched passes (stacked parameters, one code path for
CUDA and the CPU), turned into the fixed-point losses the chain takes (spec/modules/arena.md)."""

import math

import torch

from fl_module.worker import tensors, validate

from ..formats import LOSS_SCALE, WORST_LOSS


def to_fixed_loss(loss: float) -> int:
    """round(loss · 10^9); NaN, infinite, negative or beyond uint64 → WORST_LOSS."""
    if not math.isfinite(loss) or loss < 0 or loss * LOSS_SCALE >= WORST_LOSS:
        return WORST_LOSS
    return round(loss * LOSS_SCALE)


def decode_submission(kind: str, blob: bytes | None, expected_hash: bytes) -> dict[str, torch.Tensor] | None:
    """The model, or None when it cannot be scored: missing, not its hash, not a canonical `kind` model."""
    if blob is None or tensors.model_hash(blob) != expected_hash:
        return None
    try:
        return tensors.decode_model(blob, kind)
    except tensors.ModelFormatError:
        return None


def score(kind: str, models: list[dict[str, torch.Tensor] | None], x: torch.Tensor, y: torch.Tensor,
          batched: bool = True, device: torch.device | str | None = None) -> list[int]:
    """The fixed-point mean loss of each model on (x, y); WORST_LOSS for None (a model that cannot be scored)."""
    valid = [m for m in models if m is not None]
    if not valid:
        return [WORST_LOSS] * len(models)
    measure = validate.losses_batched if batched else validate.losses_one_by_one
    losses = iter(measure(kind, valid, x, y, device=device))
    return [WORST_LOSS if m is None else to_fixed_loss(next(losses)) for m in models]
