"""Scoring candidate models on a voter's private data, and the score a voter reveals for each.

A voter scores every revealed update of a round. `losses_batched` stacks the M candidates'
parameters along a new leading dimension and runs all M models in one pass per batch of
data (models.forward_stacked: one GEMM for the first layer of all M, one bmm per later
layer), which is the hot loop a GPU serves; `losses_one_by_one` is the plain loop it
replaces, kept as the reference it must agree with. Both return the mean per-sample loss,
summed in float64 over the same data batches.
"""

import torch

from ..formats import SCORE_SCALE, SCORE_UNUSABLE
from .aggregate import flatten
from .models import forward, forward_stacked, is_classification
from .train import pick_device

EVAL_BATCH_SIZE = 512  # stacked activations of 16 MLPs stay ~1 MB: in cache, fastest on a CPU


def per_sample_losses(kind: str, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Loss of each sample, over any leading model dimensions of `outputs`: regression outputs [..., N] ->
    squared errors [..., N]; classification logits [..., N, C] -> cross-entropy -log softmax[label], [..., N]."""
    if not is_classification(kind):
        return (outputs - targets) ** 2
    labels = targets.expand(outputs.shape[:-1]).unsqueeze(-1)
    return -torch.log_softmax(outputs, dim=-1).gather(-1, labels).squeeze(-1)


def summed_losses(kind: str, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Each of M stacked models' loss summed over the batch, float64 [M], from forward_stacked's features-major
    outputs ([M, N], or [M, classes, N] logits, classes before samples): per_sample_losses summed, without
    laying the logits out samples-major first."""
    if not is_classification(kind):
        return ((outputs - targets) ** 2).sum(dim=-1, dtype=torch.float64)
    labels = targets.view(1, 1, -1).expand(outputs.shape[0], 1, -1)
    return -torch.log_softmax(outputs, dim=1).gather(1, labels).sum(dim=(1, 2), dtype=torch.float64)


def _batches(x: torch.Tensor, y: torch.Tensor, device: torch.device, batch_size: int):
    for start in range(0, len(x), batch_size):
        yield x[start:start + batch_size].to(device), y[start:start + batch_size].to(device)


def losses_one_by_one(kind: str, models: list[dict[str, torch.Tensor]], x: torch.Tensor, y: torch.Tensor,
                      device: torch.device | str | None = None, batch_size: int = EVAL_BATCH_SIZE) -> list[float]:
    """Mean loss of each model on (x, y), one model at a time."""
    device = torch.device(device) if device is not None else pick_device()
    losses = []
    with torch.inference_mode():
        for model in models:
            params = {name: tensor.to(device=device, dtype=torch.float32) for name, tensor in model.items()}
            total = 0.0
            for xb, yb in _batches(x, y, device, batch_size):
                total += per_sample_losses(kind, forward(kind, params, xb), yb).sum(dtype=torch.float64).item()
            losses.append(total / len(x))
    return losses


def stack_models(models: list[dict[str, torch.Tensor]], device: torch.device) -> dict[str, torch.Tensor]:
    """One dict whose tensors are [M, ...]: the M models' parameters stacked in list order."""
    return {name: torch.stack([model[name] for model in models]).to(device=device, dtype=torch.float32)
            for name in models[0]}


def losses_batched(kind: str, models: list[dict[str, torch.Tensor]], x: torch.Tensor, y: torch.Tensor,
                   device: torch.device | str | None = None, batch_size: int = EVAL_BATCH_SIZE) -> list[float]:
    """Mean loss of each model on (x, y), all models in one pass per data batch."""
    if not models:
        return []
    device = torch.device(device) if device is not None else pick_device()
    with torch.inference_mode():
        stacked = stack_models(models, device)
        totals = torch.zeros(len(models), dtype=torch.float64, device=device)
        for xb, yb in _batches(x, y, device, batch_size):
            totals += summed_losses(kind, forward_stacked(kind, stacked, xb), yb)
    return (totals / len(x)).tolist()


def score_candidates(kind: str, global_params: dict[str, torch.Tensor], candidates: list[dict[str, torch.Tensor]],
                     x: torch.Tensor, y: torch.Tensor, device: torch.device | str | None = None
                     ) -> tuple[float, list[float]]:
    """(global model's loss, each candidate's loss) on a voter's data, in one batched pass."""
    losses = losses_batched(kind, [global_params, *candidates], x, y, device)
    return losses[0], losses[1:]


def compute_scores(global_loss: float, candidate_losses: list[float]) -> list[int]:
    """What a voter reveals for each candidate: its loss ÷ the global model's loss × 10⁶, floored, capped at
    SCORE_UNUSABLE (also the score of a NaN loss). The chain accepts an update whose upper median score is
    below AcceptBelowPerMillion (1.3·10⁶: within 30% of the global model's loss) — under peer review also below
    AcceptWithinPerMillion (1.2) times the round's median upper score — and slashes one whose lower median reaches
    PoisonAtPerMillion (3·10⁶; raised with the round's bound, so at most 3.6·10⁶ under peer review).

    Why loss and not accuracy: accuracy only sees the arg-max. A sign-flipped update moves the model a few
    local steps uphill in loss; one such step flips few arg-max decisions on a voter's small held-out set, so
    an accuracy rule with a tolerance lets it through (and ties on accuracy accept it), while its loss rises
    measurably. Accepted round after round, those steps compound (REFERENCE.md: vote on accuracy .54-.58
    under sign-flip, vote on loss .88). Why a ratio: it is comparable across voters whose data give the
    global model different losses, so a median of ratios means something. A free rider's copy of the global
    model scores exactly 10⁶: inside the tolerance, so it is accepted (and adds nothing to the aggregate).
    """
    scores = []
    for loss in candidate_losses:
        if not loss == loss:
            scores.append(SCORE_UNUSABLE)
        elif global_loss > 0:
            scores.append(int(min(loss / global_loss * SCORE_SCALE, SCORE_UNUSABLE)))
        else:
            scores.append(SCORE_SCALE if loss <= 0 else SCORE_UNUSABLE)
    return scores


DISTANCE_OUTLIER_RATIO = 8.0
"""An update whose Krum score is at least this many times the round's median Krum score is a distance outlier.
Chain-free, peer review, colluding voters, seeds 0-9 (digits: 10 participants, 12 rounds; diabetes: 8, 10 rounds):
the highest ratio of an honest update a voter would also reject on loss was 6.7 (diabetes, no attack; on digits
5.7, label-flip at 2), and 85-91% of digits sign-flipped updates reach 8 at 2-4 attackers of 10; 7 would add 3-4
points of those for a 4% margin over the honest 6.7."""
OUTLIER_MIN_SCORE = 13 * SCORE_SCALE // 10
"""A distance outlier is reported unusable only when its score on the voter's data is already this bad (the
module's AcceptBelowPerMillion default, so an update the voter would reject anyway): an honest update on unusual
data can sit far from the others (ratios up to 6.5 on diabetes) and still help, and then its loss says so."""
MIN_UPDATES_FOR_DISTANCE = 5
"""Fewer usable updates than this and no update is a distance outlier: a median of four or fewer Krum scores, over one
or two neighbours each, says little about what an honest update looks like."""


def compute_krum_scores(updates: list[dict[str, torch.Tensor]], neighbours: int) -> list[float]:
    """Each update's Krum score (Blanchard et al., 2017): the sum of its squared distances to its `neighbours`
    nearest other updates (all of them when there are fewer), in float64; 0 for a lone update."""
    n = len(updates)
    if n < 2:
        return [0.0] * n
    vectors = torch.stack([flatten(update).to(torch.float64) for update in updates])
    distances = torch.cdist(vectors, vectors, compute_mode="donot_use_mm_for_euclid_dist") ** 2  # not |x|²+|y|²-2xy
    others = distances.masked_fill(torch.eye(n, dtype=torch.bool), float("inf"))
    return others.sort(dim=1).values[:, :min(neighbours, n - 1)].sum(dim=1).tolist()


def compute_krum_ratios(updates: list[dict[str, torch.Tensor]]) -> list[float]:
    """Each update's Krum score over its k = ceil(n/2) - 1 nearest others ÷ the round's lower median Krum score (0
    for all when that median is 0).

    Honest updates sit near each other, and one pushed somewhere else (flipped, boosted, noise) is far from every
    honest one. k is the size of the largest minority (Krum's n - f - 2 for even n, one more for odd n), so a
    coalition below half cannot fill an update's k neighbours with accomplices, nor, with copies of one update,
    make the median 0. Distances between models are distances between updates (the global model cancels), so
    every voter computes the same ratios from the same public blobs, whatever its data."""
    n = len(updates)
    krum = compute_krum_scores(updates, max(1, (n + 1) // 2 - 1))
    median = sorted(krum)[(n + 1) // 2 - 1] if n else 0.0
    return [score / median if median > 0 else 0.0 for score in krum]


def mark_distance_outliers(scores: list[int], updates: list[dict[str, torch.Tensor]]) -> list[int]:
    """`scores` (one per update, compute_scores) with the score of each update that is both a distance outlier and
    at least OUTLIER_MIN_SCORE raised to SCORE_UNUSABLE: the voter reports it as an update nobody should use, so
    when more than half of the stake does, its proposer is slashed for a poisoned update.

    Why: a loss ratio cannot tell an update flipped from a still-random model (it scores like an honest update on
    unusual data) from an honest one, so the scores alone slashed 38-48% of sign-flipped updates without slashing
    honest ones; the distance from the other updates tells them apart, and every honest voter measures the same
    distance. Loss says whether an update hurts, distance whether it is an honest step on unusual data."""
    if len(updates) < MIN_UPDATES_FOR_DISTANCE:
        return list(scores)
    ratios = compute_krum_ratios(updates)
    return [SCORE_UNUSABLE if ratio >= DISTANCE_OUTLIER_RATIO and score >= OUTLIER_MIN_SCORE else score
            for score, ratio in zip(scores, ratios)]


def compute_votes(global_loss: float, usable_losses: list[float], candidates: list[dict | None]) -> list[int]:
    """What an honest voter reveals for each candidate: compute_scores of the usable ones (`usable_losses`, in
    order), with the distance outliers among them marked (mark_distance_outliers); SCORE_UNUSABLE for a candidate
    it could not use at all (None: missing, not a model, NaN)."""
    usable = [candidate for candidate in candidates if candidate is not None]
    scores = iter(mark_distance_outliers(compute_scores(global_loss, usable_losses), usable))
    return [next(scores) if candidate is not None else SCORE_UNUSABLE for candidate in candidates]


def accuracy(kind: str, params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> float | None:
    """Share of samples whose arg-max class is the label; None for regression kinds."""
    if not is_classification(kind):
        return None
    with torch.no_grad():
        predicted = forward(kind, {name: tensor.to(x.device) for name, tensor in params.items()}, x).argmax(dim=-1)
    return float((predicted == y).to(torch.float64).mean().item())


def mean_loss(kind: str, params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean loss of one model on (x, y), on the CPU."""
    return losses_one_by_one(kind, [params], x, y, device="cpu")[0]
