"""What a malicious participant does instead of its honest part, as pure functions.

Proposer-side attacks turn the honest inputs of a round into a poisoned model; each is a
function of its arguments only (noise comes from a generator seeded with `seed`).
Voter-side behaviours return the votes a malicious voter sends.

    sign-flip   global - 4 * (trained - global): the honest step, reversed and scaled
    label-flip  honest training on inverted labels (digits y -> 9 - y; diabetes y -> -y)
    noise       global + N(0, 1) on every parameter
    free-rider  the global model unchanged (no training, hoping to be paid)
    lazy-voter  accept every update without evaluating any (proposes honestly)
"""

import torch

from .models import is_classification
from .train import TrainConfig, train_with

ATTACKS = ("sign-flip", "label-flip", "noise", "free-rider", "lazy-voter")
PROPOSER_ATTACKS = ("sign-flip", "label-flip", "noise", "free-rider")
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
    if attack == "free-rider":
        return free_rider(global_params, seed)
    if attack == "lazy-voter":
        return train_with(kind, global_params, train_x, train_y, config, seed, device)
    raise ValueError(f"unknown attack {attack!r}; known: {ATTACKS}")


def lazy_votes(n_candidates: int) -> list[bool]:
    """A lazy voter accepts everything, having evaluated nothing."""
    return [True] * n_candidates


def collude_votes(candidate_owners: list, malicious_set: set | frozenset) -> list[bool]:
    """A colluding voter accepts the updates of its accomplices and rejects every honest one."""
    return [owner in malicious_set for owner in candidate_owners]


def pick_malicious(n_participants: int, n_malicious: int, seed: int) -> list[int]:
    """Which participant indices are malicious: a seeded choice, sorted."""
    if not 0 <= n_malicious <= n_participants:
        raise ValueError(f"{n_malicious} malicious out of {n_participants} participants")
    generator = torch.Generator().manual_seed(seed)
    return sorted(torch.randperm(n_participants, generator=generator)[:n_malicious].tolist())
