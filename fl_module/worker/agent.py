"""`flockchain worker`: one participant of an FL Alliance task, acting in whatever role it is drawn.

The worker keeps no state the chain does not also hold, except the secrets of its open
commitments (update hash or scores, and salt), which it writes to `--state-dir` before it
commits, so a restarted worker can still reveal. At every new head it reads the task's status,
its roles and its own commitments, and does the one thing still missing:

    COMMIT       (proposer)  train from the global model, upload the update, commit
    REVEAL       (committed) reveal the update
    VOTE_COMMIT  (voter)     score every revealed update in one batched pass on its own held-out
                             data: its loss ÷ the global model's, × 10⁶ (validate.compute_scores);
                             an update it cannot use at all (missing, not a model, NaN) scores
                             SCORE_UNUSABLE: a hostile blob is a poisoned update, never a reason to
                             stop; so does a distance outlier (validate.compute_votes); commit the
                             scores
    VOTE_REVEAL  (committed) reveal the scores
    AGGREGATE    (member)    FedAvg of the accepted updates that decode (deterministic), upload, submit
                             its hash with this member's score of it (the aggregate check)
    any phase past its deadline → `advance`
"""

import asyncio
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import numpy as np
import torch
from web3.exceptions import Web3Exception

from ..formats import (ACCEPTED, AGGREGATE, COMMIT, FINISHED, NO_ROLE, REVEAL, SCORE_SCALE, SCORE_UNUSABLE,
                       VOTE_COMMIT, VOTE_REVEAL, WAITING,
                       ZERO_HASH, compute_score_commitment, compute_update_commitment)
from . import aggregate, attacks, flower, models, tensors, train, validate
from .chain import BlobMissing, ChainClient, ChainError, NodeConnection

LOG = logging.getLogger("flockchain.worker")
ADVANCERS_PER_BLOCK = 4
NON_MEMBER_ADVANCE_DELAY = 64
"""Past a deadline the round's members try `advance` four a block in draw order (proposers, then voters) and
everyone else NON_MEMBER_ADVANCE_DELAY blocks later: with hundreds of participants a deadline costs a few
transactions rather than one per participant, and a round whose members are all gone still moves on."""


def compute_advance_delay(position: int | None) -> int:
    """Blocks past a deadline before a worker tries `advance`: by its position among the round's members
    (None: not a member)."""
    return NON_MEMBER_ADVANCE_DELAY if position is None else position // ADVANCERS_PER_BLOCK


@dataclass(frozen=True)
class LocalData:
    """A participant's private data (an .npz file): what it trains on and what it votes with."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor

    @classmethod
    def load(cls, path: str, kind: str) -> "LocalData":
        label = torch.long if models.is_classification(kind) else torch.float32
        with np.load(path) as arrays:
            return cls(torch.as_tensor(arrays["train_x"], dtype=torch.float32),
                       torch.as_tensor(arrays["train_y"], dtype=label),
                       torch.as_tensor(arrays["val_x"], dtype=torch.float32),
                       torch.as_tensor(arrays["val_y"], dtype=label))

    def save(self, path: str) -> None:
        np.savez(path, train_x=self.train_x.numpy(), train_y=self.train_y.numpy(), val_x=self.val_x.numpy(),
                 val_y=self.val_y.numpy())


@dataclass(frozen=True)
class WorkerConfig:
    url: str
    private_key: str
    task: int
    data: str | None
    """The .npz of local data; None with a Flower client, which holds its own."""
    state_dir: str
    attack: str | None = None
    colluders: tuple[str, ...] = ()
    """With an attack, vote as an adversary: accept these addresses' updates, reject everyone else's."""
    stake: int = 3_000 * 10**18
    staking_role: int = 1
    training: train.TrainConfig | None = None
    """None: the model kind's default (train.DEFAULT_TRAINING)."""
    seed: int = 0
    threads: int = 1
    flower_client: str | None = None
    """module:attribute of a Flower NumPyClient that trains and scores instead of the built-in code."""
    pace: float = 0.0
    """Seconds a proposer waits before training each round's update, so that people can watch a demo's rounds."""


class Worker:
    def __init__(self, config: WorkerConfig, connection: NodeConnection | None = None,
                 data: LocalData | None = None):
        """With `connection`, the worker shares that node connection (a simulation actor hosting many
        participants) instead of opening its own; with `data`, it holds its data already (config.data unread)."""
        self.config = config
        self.connection = connection
        self.data = data
        self.device = train.pick_device()
        self.secrets_path = Path(config.state_dir) / "secrets.json"
        self.secrets = json.loads(self.secrets_path.read_text()) if self.secrets_path.exists() else {}
        self.client: ChainClient | None = None
        self.kind = None
        self.colluders = {c.lower() for c in config.colluders}
        self.flower: flower.FlowerParticipant | None = None

    # Lifecycle

    async def start(self) -> None:
        """Connect, and read the task's model kind and the local data."""
        torch.set_num_threads(self.config.threads)
        self.client = (ChainClient.sharing(self.connection, self.config.private_key) if self.connection
                       else await ChainClient.connect(self.config.url, self.config.private_key))
        self.kind = (await self.client.view("fl_alliance", "taskOf", self.config.task))[1]
        if self.config.flower_client:
            self.flower = flower.FlowerParticipant(flower.load_client(self.config.flower_client), self.kind)
        elif self.data is None:
            self.data = LocalData.load(self.config.data, self.kind)

    async def run(self) -> None:
        await self.start()
        try:
            await self.ensure_joined()
            heads = await self.client.subscribe_heads()
            stepped = await self.client.block_number()
            if await self.step(stepped):
                return
            async for head in heads:
                if head <= stepped:  # queued while the last step ran, which saw a state at least as new
                    continue
                stepped = await self.client.block_number()
                if await self.step(stepped):
                    return
        finally:
            await self.client.close()

    async def ensure_joined(self) -> None:
        me = self.client.address
        role = await self.client.view("staking", "roleOf", me)
        if role == NO_ROLE:
            await self.client.send("staking", "bond", self.config.staking_role, value=self.config.stake)
            LOG.info("%s bonded %d FLOCK", me, self.config.stake // 10**18)
        participants = await self.client.view("fl_alliance", "participantsOf", self.config.task)
        if me not in participants:
            await self.client.send("fl_alliance", "join", self.config.task)
            LOG.info("%s joined task %d", me, self.config.task)

    def save_secret(self, key: str, value: dict) -> None:
        self.secrets[key] = value
        self.secrets_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.secrets_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.secrets))
        os.replace(tmp, self.secrets_path)

    # One look at the chain

    async def step(self, head: int | None = None) -> bool:
        """Act on the state at `head` (default: the newest block); True once the task is finished."""
        task = self.config.task
        head = await self.client.block_number() if head is None else head
        status = await self.client.task_status(task, block=head)
        if status.status == FINISHED:
            return True
        if status.status == WAITING:
            return False
        try:
            position = await self.act(status, head)
        except (ChainError, Web3Exception, aiohttp.ClientError, asyncio.TimeoutError, tensors.ModelFormatError) as error:
            LOG.warning("%s round %d phase %d: %s (retried at the next head)", self.client.address, status.round,
                        status.phase, error)
            position = 0
        if head + 1 >= status.phase_end + compute_advance_delay(position):
            await self.advance_if_due(status)
        return False

    async def act(self, status, head: int) -> int | None:
        """Do what this member still owes the round's phase; its position among the members (None: none)."""
        task, round_, me = self.config.task, status.round, self.client.address
        proposers, _, voters, _ = await self.client.view("fl_alliance", "rolesOf", task, round_, block=head)
        voters = voters or proposers  # peer review (a task with 0 voters): the proposers vote on each other
        members = list(dict.fromkeys(proposers + voters))
        if me not in members:
            return None
        position = members.index(me)
        update_commit, update_hash, score_commit, scores_revealed, _, aggregate_choice, _ = \
            await self.client.view("fl_alliance", "memberOf", task, round_, me, block=head)
        key = f"{task}:{round_}"
        if head + 1 >= status.phase_end:
            return position
        if status.phase == COMMIT and me in proposers and update_commit == ZERO_HASH:
            await self.propose(status, key)
        elif status.phase == REVEAL and update_commit != ZERO_HASH and update_hash == ZERO_HASH and key in self.secrets:
            secret = self.secrets[key]
            await self.client.send("fl_alliance", "revealUpdate", task, bytes.fromhex(secret["update"]),
                                   bytes.fromhex(secret["salt"]))
        elif status.phase == VOTE_COMMIT and me in voters and score_commit == ZERO_HASH:
            await self.vote(status, key)
        elif (status.phase == VOTE_REVEAL and score_commit != ZERO_HASH and not scores_revealed
              and f"{key}:scores" in self.secrets):
            secret = self.secrets[f"{key}:scores"]
            await self.client.send("fl_alliance", "revealScores", task, secret["scores"],
                                   bytes.fromhex(secret["salt"]))
        elif status.phase == AGGREGATE and aggregate_choice == ZERO_HASH:
            await self.submit_aggregate(status)
        return position

    async def advance_if_due(self, status) -> None:
        """Close a phase past its deadline; a dry run first, so only one of many workers pays for it."""
        try:
            await self.client.contracts["fl_alliance"].functions.advance(self.config.task).call(
                {"from": self.client.address})
            await self.client.send("fl_alliance", "advance", self.config.task)
        except Exception:
            return

    # Roles

    async def fetch_model(self, model_hash: bytes) -> dict[str, torch.Tensor]:
        return tensors.decode_model(await self.client.get_blob(model_hash), self.kind)

    async def fetch_update(self, model_hash: bytes) -> dict[str, torch.Tensor] | None:
        """A revealed update, or None when it cannot be used: not on the network, not a canonical model of
        the task's kind, NaN or infinite, oversized. Transient failures (the node unreachable) still raise,
        and the step is retried."""
        try:
            return await self.fetch_model(model_hash)
        except (BlobMissing, tensors.ModelFormatError) as error:
            LOG.warning("%s: update 0x%s unusable (%s): scored unusable", self.client.address,
                        model_hash.hex()[:12], error)
            return None

    async def propose(self, status, key: str) -> None:
        await asyncio.sleep(self.config.pace)
        glob = await self.fetch_model(status.global_model)
        seed = self.config.seed * 1_000_003 + status.round
        update = await asyncio.to_thread(self.compute_update, glob, seed, status.round)
        data, upload = tensors.encode_model(update), True
        if self.config.attack in attacks.BLOB_ATTACKS:
            data, upload = attacks.hostile_blob(self.config.attack, data, seed)
        update_hash = (await self.client.put_blob(data, self.config.task, status.round) if upload
                       else tensors.model_hash(data))
        salt = os.urandom(32)
        self.save_secret(key, {"update": update_hash.hex(), "salt": salt.hex()})
        commitment = compute_update_commitment(update_hash, salt, bytes.fromhex(self.client.address[2:]))
        await self.client.send("fl_alliance", "commitUpdate", self.config.task, commitment)
        LOG.info("%s round %d: committed update 0x%s", self.client.address, status.round, update_hash.hex()[:12])

    def compute_update(self, glob: dict, seed: int, round_: int) -> dict:
        if self.flower is not None:
            return self.flower.train(glob, seed, round_)
        config = self.config.training or train.DEFAULT_TRAINING[self.kind]
        d = self.data
        if self.config.attack:
            return attacks.malicious_update(self.config.attack, self.kind, glob, d.train_x, d.train_y, config, seed,
                                            self.device)
        return train.train_with(self.kind, glob, d.train_x, d.train_y, config, seed, self.device)

    async def vote(self, status, key: str) -> None:
        task, round_ = self.config.task, status.round
        owners, hashes = await self.client.view("fl_alliance", "roundUpdates", task, round_)
        if self.config.attack == "lazy-voter":
            scores = attacks.lazy_scores(len(hashes))
        elif self.config.attack and self.colluders:
            scores = attacks.collude_scores([owner.lower() for owner in owners], self.colluders)
        else:
            glob = await self.fetch_model(status.global_model)
            candidates = [await self.fetch_update(h) for h in hashes]
            usable = [c for c in candidates if c is not None]
            losses = await asyncio.to_thread(self.score, [glob] + usable, round_)
            scores = validate.compute_votes(losses[0], losses[1:], candidates)
        salt = os.urandom(32)
        self.save_secret(f"{key}:scores", {"scores": scores, "salt": salt.hex()})
        commitment = compute_score_commitment(scores, salt, bytes.fromhex(self.client.address[2:]))
        await self.client.send("fl_alliance", "commitScores", task, commitment)
        LOG.info("%s round %d: scored %s", self.client.address, round_,
                 " ".join(f"{score / SCORE_SCALE:.3f}" if score != SCORE_UNUSABLE else "unusable" for score in scores))

    def score(self, candidates: list[dict], round_: int) -> list[float]:
        """Each model's loss on this participant's held-out data: one batched pass, or the Flower client's
        evaluate per model."""
        if self.flower is not None:
            return [self.flower.loss(params, round_) for params in candidates]
        return validate.losses_batched(self.kind, candidates, self.data.val_x, self.data.val_y, self.device)

    async def submit_aggregate(self, status) -> None:
        """FedAvg of the accepted updates that decode, and this member's score of it against the global model
        (the aggregate check)."""
        task, round_ = self.config.task, status.round
        owners, hashes = await self.client.view("fl_alliance", "roundUpdates", task, round_)
        outcomes = (await self.client.view("fl_alliance", "roundResult", task, round_))[4]
        chosen = [(owner, h) for owner, h, outcome in zip(owners, hashes, outcomes) if outcome == ACCEPTED]
        accepted = [model for _, h in chosen if (model := await self.fetch_update(h)) is not None]
        combined = aggregate.fedavg(accepted)
        data = tensors.encode_model(combined)
        model_hash = await self.client.put_blob(data, task, round_)
        if self.config.attack == "lazy-voter":
            score = attacks.lazy_scores(1)[0]
        elif self.config.attack and self.colluders:
            score = attacks.collude_aggregate_score([owner.lower() for owner, _ in chosen], self.colluders)
        else:
            glob = await self.fetch_model(status.global_model)
            losses = await asyncio.to_thread(self.score, [glob, combined], round_)
            score = validate.compute_scores(losses[0], losses[1:])[0]
        await self.client.send("fl_alliance", "submitAggregate", task, model_hash, score)
        LOG.info("%s round %d: aggregate 0x%s scored %.3f", self.client.address, round_, model_hash.hex()[:12],
                 score / SCORE_SCALE)
