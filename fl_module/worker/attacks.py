"""What a malicious participant does instead of its honest part, as pure functions.

Proposer-side attacks turn the honest inputs of a round into a poisoned model; each is a
function of its arguments only (noise comes from a generator seeded with `seed`).
Voter-side behaviours return the scores a malicious voter reveals.

    sign-flip   global - 4 * (trained - global): the honest step, reversed and scaled
    label-flip  honest training on inverted labels (digits y -> 9 - y; diabetes y -> -y)
    noise       global + N(0, 1) on every parameter
    free-rider  the global model unchanged (no training, hoping to be paid)
    lazy-voter  score every update as perfect (0) without evaluating any (proposes honestly)
    alie        "a little is enough" (Baruch et al., 2019): μ − z·σ per coordinate, μ and σ over updates
                trained on bootstrap resamples of the attacker's own data — a shift inside the spread
                honest updates show, which distance-based defences do not single out
    scaled      global + 10·(trained − global): a boosted honest step (model replacement)

Blob attacks reveal the hash of something that is not a usable model, to stop or mislead voters:

    malformed-blob  bytes that are not a model (uploaded)
    missing-blob    the hash of bytes never uploaded
    nan             the honest update's bytes with a NaN in its first weight (uploaded)
"""

import torch

from ..formats import SCORE_UNUSABLE
from .models import is_classification
from .train import TrainConfig, train_with

BLOB_ATTACKS = ("malformed-blob", "missing-blob", "nan")
ATTACKS = ("sign-flip", "label-flip", "noise", "free-rider", "lazy-voter", "alie", "scaled", *BLOB_ATTACKS)
PROPOSER_ATTACKS = ("sign-flip", "label-flip", "noise", "free-rider", "alie", "scaled", *BLOB_ATTACKS)
ALIE_Z = 1.0
ALIE_SAMPLES = 4
SCALE_BOOST = 10.0
NAN_FLOAT32 = b"\x00\x00\xc0\x7f"
SIGN_FLIP_SCALE = 4.0
NOISE_STD = 1.0


def sign_flip(global_params: dict[str, torch.Tensor], trained_params: dict[str, torch.Tensor],
              scale: float = SIGN_FLIP_SCALE) -> dict[str, torch.Tensor]:
    """global - scale * (trained - global)."""
    return {name: global_params[name] - scale * (trained_params[name] - global_params[name]) for name in global_params}


def flip_labels(kind: str, train_y: torch.Tensor) -> torch.Tensor:
    """digits: class c -> 9 - c; regression (standardized target): y -> -y."""
    if is_classification(kind):
        return 9 - train_y
    return -train_y


def label_flip(kind: str, global_params: dict[str, torch.Tensor], train_x: torch.Tensor, train_y: torch.Tensor,
               config: TrainConfig, seed: int, device: torch.device | str | None = None) -> dict[str, torch.Tensor]:
    """Honest training, on flipped labels."""
    return train_with(kind, global_params, train_x, flip_labels(kind, train_y), config, seed, device)


def scaled(global_params: dict[str, torch.Tensor], trained_params: dict[str, torch.Tensor],
           boost: float = SCALE_BOOST) -> dict[str, torch.Tensor]:
    """global + boost · (trained − global)."""
    return {name: global_params[name] + boost * (trained_params[name] - global_params[name]) for name in global_params}


def alie(kind: str, global_params: dict[str, torch.Tensor], train_x: torch.Tensor, train_y: torch.Tensor,
         config: TrainConfig, seed: int, device: torch.device | str | None = None, z: float = ALIE_Z,
         samples: int = ALIE_SAMPLES) -> dict[str, torch.Tensor]:
    """μ − z·σ per coordinate over `samples` updates, each trained on a bootstrap resample (seeded) of the
    attacker's data: its estimate of where honest updates lie and how far they spread."""
    generator = torch.Generator().manual_seed(seed)
    updates = []
    for sample in range(samples):
        chosen = torch.randint(0, len(train_x), (len(train_x),), generator=generator)
        updates.append(train_with(kind, global_params, train_x[chosen], train_y[chosen], config, seed + sample, device))
    result = {}
    for name in sorted(global_params):
        stacked = torch.stack([update[name] for update in updates])
        result[name] = stacked.mean(dim=0) - z * stacked.std(dim=0, unbiased=False)
    return result


def gaussian_noise(global_params: dict[str, torch.Tensor], seed: int, std: float = NOISE_STD) -> dict[str, torch.Tensor]:
    """global + N(0, std^2) independently on every parameter."""
    generator = torch.Generator().manual_seed(seed)
    return {name: tensor + std * torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype)
            for name, tensor in sorted(global_params.items())}


def free_rider(global_params: dict[str, torch.Tensor], seed: int, std: float = 0.0) -> dict[str, torch.Tensor]:
    """The global model again; with std > 0, disguised by negligible noise so its hash differs."""
    if std == 0.0:
        return {name: tensor.clone() for name, tensor in global_params.items()}
    return gaussian_noise(global_params, seed, std)


def malicious_update(attack: str, kind: str, global_params: dict[str, torch.Tensor], train_x: torch.Tensor,
                     train_y: torch.Tensor, config: TrainConfig, seed: int,
                     device: torch.device | str | None = None) -> dict[str, torch.Tensor]:
    """What a malicious proposer commits under `attack` (a lazy voter proposes honestly)."""
    if attack == "sign-flip":
        return sign_flip(global_params, train_with(kind, global_params, train_x, train_y, config, seed, device))
    if attack == "label-flip":
        return label_flip(kind, global_params, train_x, train_y, config, seed, device)
    if attack == "noise":
        return gaussian_noise(global_params, seed)
    if attack == "alie":
        return alie(kind, global_params, train_x, train_y, config, seed, device)
    if attack == "scaled":
        return scaled(global_params, train_with(kind, global_params, train_x, train_y, config, seed, device))
    if attack == "free-rider":
        return free_rider(global_params, seed)
    if attack == "lazy-voter" or attack in BLOB_ATTACKS:
        return train_with(kind, global_params, train_x, train_y, config, seed, device)
    raise ValueError(f"unknown attack {attack!r}; known: {ATTACKS}")


def hostile_blob(attack: str, honest: bytes, seed: int) -> tuple[bytes, bool]:
    """(the bytes whose hash a blob attacker reveals, whether it uploads them), from its honest update's
    canonical bytes."""
    noise = torch.randint(0, 256, (len(honest),), generator=torch.Generator().manual_seed(seed),
                          dtype=torch.uint8).numpy().tobytes()
    if attack == "malformed-blob":
        return b"\xff" * 8 + noise, True
    if attack == "missing-blob":
        return noise, False
    if attack == "nan":
        body = 8 + int.from_bytes(honest[:8], "little")
        return honest[:body] + NAN_FLOAT32 + honest[body + 4:], True
    raise ValueError(f"{attack!r} is not a blob attack; known: {BLOB_ATTACKS}")


def lazy_scores(n_candidates: int) -> list[int]:
    """A lazy voter calls every update perfect, having evaluated nothing."""
    return [0] * n_candidates


def collude_scores(candidate_owners: list, malicious_set: set | frozenset) -> list[int]:
    """A colluding voter scores its accomplices' updates perfect and every honest one unusable."""
    return [0 if owner in malicious_set else SCORE_UNUSABLE for owner in candidate_owners]


def collude_aggregate_score(included_owners: list, malicious_set: set | frozenset) -> int:
    """A colluder scores a round's aggregate perfect when it holds an accomplice's update, else unusable."""
    return 0 if any(owner in malicious_set for owner in included_owners) else SCORE_UNUSABLE


def pick_malicious(n_participants: int, n_malicious: int, seed: int) -> list[int]:
    """Which participant indices are malicious: a seeded choice, sorted."""
    if not 0 <= n_malicious <= n_participants:
        raise ValueError(f"{n_malicious} malicious out of {n_participants} participants")
    generator = torch.Generator().manual_seed(seed)
    return sorted(torch.randperm(n_participants, generator=generator)[:n_malicious].tolist())
