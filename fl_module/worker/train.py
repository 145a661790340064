"""Local training of a proposer: from the global model, a few epochs on its own data.

One code path for every device: tensors move to `device` (cuda when present, else cpu)
and the result comes back as float32 CPU tensors, ready for tensors.encode_model.
Training need not be bit-identical across machines (consensus is on the votes and on
aggregate.fedavg), but it is a function of its arguments on one machine: minibatch order
comes from a private generator seeded with `seed`, not from torch's global RNG.
"""

from dataclasses import dataclass

import torch

from .models import forward, loss_fn


@dataclass(frozen=True)
class TrainConfig:
    """Local training settings for one round."""
    epochs: int
    lr: float
    batch_size: int
    optimizer: str = "sgd"  # "sgd" (plain) or "adam" (fresh moments every round)


# Tuned on the chain-free simulations (baselines.py): without attack, 10 digits participants
# pass 0.88 test accuracy within 10 rounds and level off near 0.95 by 30 (weaker local
# training leaves vote_on_loss still climbing at 30 rounds, so runs with fewer honest
# proposers look worse than they end up); 8 diabetes hospitals come within a few percent of
# least squares' test MSE in 10 rounds. A local round of either model takes milliseconds.
DEFAULT_TRAINING: dict[str, TrainConfig] = {
    "linear": TrainConfig(epochs=2, lr=0.02, batch_size=16),
    "mlp": TrainConfig(epochs=3, lr=0.1, batch_size=16),
    "mlp-wine": TrainConfig(epochs=5, lr=0.05, batch_size=16),
    "mlp-cancer": TrainConfig(epochs=3, lr=0.05, batch_size=16),
}


def pick_device() -> torch.device:
    """cuda when a GPU is visible to torch, otherwise cpu."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class PlainSGD:
    """p ← p − lr·∇p: the arithmetic of torch.optim.SGD without momentum or weight decay (bit for bit, a test
    checks), without its first use importing torch._dynamo (and sympy): 2.7 s of CPU in every worker process,
    which on two cores shared by eight workers held each proposer's first round back by about 11 s."""

    def __init__(self, params: list[torch.Tensor], lr: float):
        self.params, self.lr = params, lr

    def zero_grad(self) -> None:
        for param in self.params:
            param.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for param in self.params:
            if param.grad is not None:
                param.add_(param.grad, alpha=-self.lr)


def _optimizer(name: str, params: list[torch.Tensor], lr: float) -> "PlainSGD | torch.optim.Optimizer":
    if name == "sgd":
        return PlainSGD(params, lr)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}: 'sgd' or 'adam'")


def train_local(kind: str, global_params: dict[str, torch.Tensor], train_x: torch.Tensor, train_y: torch.Tensor,
                epochs: int, lr: float, batch_size: int, seed: int, device: torch.device | str | None = None,
                optimizer: str = "sgd") -> dict[str, torch.Tensor]:
    """The model after `epochs` passes of minibatch training over (train_x, train_y), float32 on CPU."""
    device = torch.device(device) if device is not None else pick_device()
    params = {name: tensor.detach().to(device=device, dtype=torch.float32).clone().requires_grad_(True)
              for name, tensor in global_params.items()}
    x, y = train_x.to(device), train_y.to(device)
    step = _optimizer(optimizer, list(params.values()), lr)
    loss = loss_fn(kind)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator).to(device)
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            step.zero_grad()
            loss(forward(kind, params, x[batch]), y[batch]).backward()
            step.step()
    return {name: tensor.detach().to("cpu").contiguous() for name, tensor in params.items()}


def train_with(kind: str, global_params: dict[str, torch.Tensor], train_x: torch.Tensor, train_y: torch.Tensor,
               config: TrainConfig, seed: int, device: torch.device | str | None = None) -> dict[str, torch.Tensor]:
    """train_local with the settings of a TrainConfig."""
    return train_local(kind, global_params, train_x, train_y, config.epochs, config.lr, config.batch_size,
                       seed, device, config.optimizer)
