"""The trainer: train on a task's public data, publish the model as a blob, commit, then reveal.

Quality knobs (how much of the data, how many epochs) exist so a demo can field trainers of
different strength; `bad` publishes an untrained model."""

import os
from dataclasses import dataclass

import torch

from fl_module.worker import models, tensors, train
from fl_module.worker.demo import Rpc

from ..formats import compute_submission_commitment


@dataclass(frozen=True)
class TrainerConfig:
    data_fraction: float = 1.0
    epochs: int = 10
    seed: int = 0
    bad: bool = False


def train_model(kind: str, x: torch.Tensor, y: torch.Tensor, config: TrainerConfig) -> dict[str, torch.Tensor]:
    params = models.init_model(kind, config.seed)
    if config.bad:
        return params
    generator = torch.Generator().manual_seed(config.seed)
    count = max(8, int(len(x) * config.data_fraction))
    chosen = torch.randperm(len(x), generator=generator)[:count]
    defaults = train.DEFAULT_TRAINING[kind]
    return train.train_local(kind, params, x[chosen], y[chosen], config.epochs, defaults.lr, defaults.batch_size,
                             config.seed)


@dataclass
class Submitter:
    """One trainer's submission to one task: `commit` in the submit window, `reveal` after it."""
    rpc: Rpc
    account: object
    task: int
    blob: bytes

    def __post_init__(self):
        self.model_hash = tensors.model_hash(self.blob)
        self.salt = os.urandom(32)

    def commit(self) -> None:
        """Only the commitment: the model itself is published at reveal, when nobody can copy it any more."""
        commitment = compute_submission_commitment(self.model_hash, self.salt, bytes.fromhex(self.account.address[2:]))
        self.rpc.send(self.account, "arena", "commitSubmission", self.task, commitment)

    def reveal(self) -> None:
        self.rpc.put_blob(self.blob)
        self.rpc.send(self.account, "arena", "revealSubmission", self.task, self.model_hash, self.salt)
