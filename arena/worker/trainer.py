"""The trainer: train on a task's public data, publish the model as a blob, commit, then reveal; in a blind
task through unsigned ring-signed calls that no account sends or pays for, and a claim once the scores
are final.

Quality knobs (how much of the data, how many epochs) exist so a demo can field trainers of
different strength; `bad` publishes an untrained model."""

import os
from dataclasses import dataclass

import torch

from fl_module.worker import models, tensors, train
from fl_module.worker.demo import Rpc

from runtime.transactions import encode_unsigned_call

from ..blind import BlindIdentity
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
    blob_rpc: Rpc | None = None
    """Where the model is uploaded at reveal (default: `rpc`); another node hides which node a blind trainer uses."""

    def __post_init__(self):
        self.model_hash = tensors.model_hash(self.blob)
        self.salt = os.urandom(32)

    def commit(self) -> None:
        """Only the commitment: the model itself is published at reveal, when nobody can copy it any more."""
        commitment = compute_submission_commitment(self.model_hash, self.salt, bytes.fromhex(self.account.address[2:]))
        self.rpc.send(self.account, "arena", "commitSubmission", self.task, commitment)

    def reveal(self) -> None:
        (self.blob_rpc or self.rpc).put_blob(self.blob)
        self.rpc.send(self.account, "arena", "revealSubmission", self.task, self.model_hash, self.salt)


def send_unsigned(rpc: Rpc, function: str, *args) -> dict:
    """A blind call as an unsigned transaction (eth_sendRawTransaction); the node's refusal is a RuntimeError
    with its reason."""
    contract = rpc.contract("arena")
    data = bytes.fromhex(contract.encode_abi(function, args=list(args))[2:])
    raw = encode_unsigned_call(rpc.w3.eth.chain_id, bytes.fromhex(contract.address[2:]), data)
    tx_hash = rpc.call("eth_sendRawTransaction", "0x" + raw.hex())
    receipt = rpc.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.05)
    if receipt["status"] != 1:
        raise RuntimeError(f"arena.{function} failed")
    return receipt


@dataclass
class BlindSubmitter(Submitter):
    """The same submission to a blind task: commit and reveal carry the key image and a ring signature over
    the task's ring (read from the chain once it is frozen); `claim` proves the image after the scores."""

    def __post_init__(self):
        super().__post_init__()
        self.identity = BlindIdentity(bytes.fromhex(self.account.key.hex().removeprefix("0x")),
                                      self.rpc.w3.eth.chain_id, self.task)

    def join(self) -> None:
        self.rpc.send(self.account, "arena", "joinBlind", *self.identity.trainer_join_args())

    def members(self) -> list[bytes]:
        return self.rpc.contract("arena").functions.blindOf(self.task).call()[3]

    def sequence(self) -> int:
        return self.rpc.contract("arena").functions.imageSequenceOf(self.task, self.identity.key_image).call()

    def commit(self) -> None:
        commitment = compute_submission_commitment(self.model_hash, self.salt, self.identity.key_image)
        send_unsigned(self.rpc, "commitBlind", *self.identity.commit_args(self.members(), commitment, self.sequence()))

    def reveal(self) -> None:
        (self.blob_rpc or self.rpc).put_blob(self.blob)
        send_unsigned(self.rpc, "revealBlind", *self.identity.reveal_args(self.members(), self.model_hash, self.salt,
                                                                         self.sequence()))

    def claim(self) -> int | None:
        """Claim the submission this image made, if it was scored; returns its index."""
        images = self.rpc.contract("arena").functions.submissionImagesOf(self.task).call()
        if self.identity.key_image not in images:
            return None
        index = images.index(self.identity.key_image)
        self.rpc.send(self.account, "arena", "claim", *self.identity.claim_args(index))
        return index
