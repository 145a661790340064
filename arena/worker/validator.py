"""The validator duty: for every Arena task this account validates, score the assigned submissions on
the revealed evaluation set once assigned, commit the losses, reveal them in the reveal window.

Deadlines are block numbers and the chain moves a task on in the first call after one; the duty calls
`advance` itself when a window it waits on has closed. A model that cannot be fetched, does not match
its hash or is not a canonical model of the task's kind gets WORST_LOSS; an evaluation set that does
not match what the creator revealed, or does not decode, is left unscored (the duty does not commit,
and says why). Modes: `honest`; `lazy` (random losses, nothing downloaded) and `colluding` (honest
but the favoured trainer's loss reported as 0) exist for demos and tests of the consensus. In a blind task
a colluder cannot find its favoured trainer (every submission shows trainer 0x0) and so reports honestly.
"""

import logging
import os
import random
import time
from dataclasses import dataclass, field

from eth_account import Account

from fl_module.worker.demo import Rpc

from ..formats import LOSS_SCALE, compute_scores_commitment
from . import datasets, scoring

log = logging.getLogger("flockchain.arena.validator")
MODES = ("honest", "lazy", "colluding")
WINDOW_ORDER = ("submit", "reveal", "scoreCommit", "scoreReveal", "claim")


@dataclass(frozen=True)
class ValidatorConfig:
    mode: str = "honest"
    favoured: str | None = None
    """The trainer address a colluding validator reports as best."""
    seed: int = 0
    batched: bool = True
    device: str | None = None


@dataclass
class ValidatorDuty:
    rpc: Rpc
    account: object
    config: ValidatorConfig = ValidatorConfig()
    pending: dict[int, tuple[list[int], bytes]] = field(default_factory=dict)
    """task → (losses, salt) committed and not yet revealed."""

    def step(self) -> None:
        """One pass over the tasks; every failure is logged and retried on the next pass."""
        for summary in self.rpc.call("flock_listArenaTasks"):
            if summary["phase"] in ("finished", "cancelled"):
                continue
            task = int(summary["id"], 16)
            try:
                self.serve(task)
            except Exception as error:  # a hostile or broken task must not stop the duty
                log.warning("task %d: %s", task, error)

    def serve(self, task: int) -> None:
        shown = self.rpc.call("flock_getArenaTask", hex(task))
        me = next((v for v in shown["validators"] if v["address"].lower() == self.account.address.lower()), None)
        if me is None:
            return
        if self.window_closed(shown):
            self.rpc.send(self.account, "arena", "advance", task)
            shown = self.rpc.call("flock_getArenaTask", hex(task))
            me = next(v for v in shown["validators"] if v["address"].lower() == self.account.address.lower())
        if shown["phase"] == "scoreCommit" and me["assignment"] and not me["scoresCommitted"]:
            losses = self.measure(shown, [int(i, 16) for i in me["assignment"]])
            if losses is None:
                return
            salt = os.urandom(32)
            commitment = compute_scores_commitment(losses, salt, bytes.fromhex(self.account.address[2:]))
            self.rpc.send(self.account, "arena", "commitScores", task, commitment)
            self.pending[task] = (losses, salt)
            log.info("task %d: committed %d losses", task, len(losses))
        elif shown["phase"] == "scoreReveal" and task in self.pending and me["losses"] is None:
            losses, salt = self.pending.pop(task)
            self.rpc.send(self.account, "arena", "revealScores", task, losses, salt)
            log.info("task %d: revealed", task)

    def window_closed(self, shown: dict) -> bool:
        """The task's recorded phase is a window whose deadline the next block reaches."""
        if shown["phase"] not in WINDOW_ORDER:
            return False
        end = int(shown["windowEnds"][shown["phase"]], 16)
        return self.rpc.w3.eth.block_number + 1 >= end

    def measure(self, shown: dict, assignment: list[int]) -> list[int] | None:
        submissions = [shown["submissions"][i] for i in assignment]
        if self.config.mode == "lazy":
            generator = random.Random(f"{self.config.seed} {shown['id']} {self.account.address}")
            return [generator.randrange(5 * LOSS_SCALE) for _ in submissions]
        kind = shown["model"]
        try:
            x, y = datasets.decode_dataset(self.fetch(shown["evaluationSet"]), kind)
        except (datasets.DatasetFormatError, RuntimeError, OSError) as error:
            log.warning("task %s: evaluation set unusable (%s); not scoring", shown["id"], error)
            return None
        models = [scoring.decode_submission(kind, self.fetch_or_none(s["modelHash"]), bytes.fromhex(s["modelHash"][2:]))
                  for s in submissions]
        losses = scoring.score(kind, models, x, y, batched=self.config.batched, device=self.config.device)
        if self.config.mode == "colluding" and self.config.favoured:
            losses = [0 if s["trainer"].lower() == self.config.favoured.lower() else loss
                      for s, loss in zip(submissions, losses)]
        return losses

    def fetch(self, blob_hash: str | None) -> bytes:
        if blob_hash is None:
            raise RuntimeError("no evaluation set revealed")
        return self.rpc.get_blob(blob_hash)

    def fetch_or_none(self, blob_hash: str) -> bytes | None:
        try:
            return self.rpc.get_blob(blob_hash)
        except Exception as error:
            log.info("blob %s unavailable (%s): worst loss", blob_hash, error)
            return None


def run(url: str, key: str, config: ValidatorConfig, stop, interval: float = 0.5) -> None:
    """The duty until `stop()` is true."""
    duty = ValidatorDuty(Rpc(url), Account.from_key(key), config)
    while not stop():
        duty.step()
        time.sleep(interval)

