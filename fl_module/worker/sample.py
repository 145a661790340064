"""The sample FL Alliance task `flockchain dev` runs by default, so a newcomer sees the chain's job.

Four "hospitals" train a linear model on scikit-learn's diabetes data, split by age as in the demo,
each a `worker` process with its own key; a coordinator (the task's creator, with a key of its own)
creates the task and, after each round, reports the new global model's loss on a held-out split
(`reportEvaluation`), which the explorer charts. None of these keys is one of the ten dev accounts of
the banner: a script using those never meets a nonce the sample task took. Their balances come from
`flock_setBalance`, a dev-chain control, not from a transaction.

Started again on the same data dir, it carries on with the task it created rather than making another.
Run as `python -m fl_module.worker sample --rpc URL --dir DIR`; it stops its workers when it is stopped
or when the node that started it goes away.
"""

import logging
import os
import signal
import subprocess
import time
from pathlib import Path

import requests
from eth_account import Account
from eth_hash.auto import keccak
from web3.logs import DISCARD

from . import data, models, tensors
from .demo import MIN_STAKE, STAKE, UNIT, Rpc, evaluate, report_evaluation, start_worker

DATASET = "diabetes"
HOSPITALS = 4
PROPOSERS, VOTERS = 2, 2
ROUNDS = 10_000
"""As many as the module allows: the task runs as long as the dev chain does."""
PHASE_BLOCKS = [100] * 5
"""Deadlines only matter when a hospital does not act: a phase ends as soon as everyone has."""
FUNDS = 10_000 * UNIT
BOUNTY = 1_000 * UNIT
SEED = 0
PACE_SECONDS = 2.0
"""Each proposer waits this long before training: a round every two or three seconds, not as fast as the CPU allows."""
POLL_SECONDS = 0.5
LOG = logging.getLogger("flockchain.sample")


def sample_key(name: str) -> str:
    """The sample task's keys: derived from their names, public like the dev mnemonic, and not among its accounts."""
    return "0x" + keccak(f"flockchain dev sample task {name}".encode()).hex()


CREATOR = Account.from_key(sample_key("coordinator"))
HOSPITAL_KEYS = [sample_key(f"hospital {i}") for i in range(HOSPITALS)]
HOSPITAL_ADDRESSES = [Account.from_key(key).address for key in HOSPITAL_KEYS]


def find_task(rpc: Rpc) -> int | None:
    """The newest unfinished task the sample's coordinator created, if any."""
    mine = [int(t["id"], 16) for t in rpc.call("flock_listTasks")
            if t["creator"] == CREATOR.address and t["status"] != "finished"]
    return max(mine, default=None)


def fund(rpc: Rpc) -> None:
    for address in (CREATOR.address, *HOSPITAL_ADDRESSES):
        if int(rpc.call("eth_getBalance", address, "latest"), 16) == 0:
            rpc.call("flock_setBalance", address, hex(FUNDS))


def create_task(rpc: Rpc, kind: str) -> int:
    initial = rpc.put_blob(tensors.encode_model(models.init_model(kind, SEED)))
    receipt = rpc.send(CREATOR, "fl_alliance", "createTask", kind, models.dataset_descriptor(DATASET), initial,
                       ROUNDS, PROPOSERS, VOTERS, PHASE_BLOCKS, MIN_STAKE, value=BOUNTY)
    created = rpc.contract("fl_alliance").events.TaskCreated().process_receipt(receipt, errors=DISCARD)
    return int(created[0]["args"]["task"])


def report_evaluations(rpc: Rpc, task: int, kind: str, test, reported: set[int]) -> None:
    """Evaluate each ended round's global model not reported yet, and report it."""
    info = rpc.call("flock_getTask", hex(task))
    ended = int(info["round"], 16) + (info["status"] == "finished")
    for round_ in range(ended):
        if round_ in reported:
            continue
        details = rpc.call("flock_getRound", hex(task), hex(round_))
        if details is not None and details["evaluation"] is None and details["globalModel"] is not None:
            try:
                blob = rpc.get_blob(details["globalModel"])
            except requests.HTTPError as error:
                if error.response.status_code != 404:
                    raise
                LOG.warning("round %d: its model's blob is gone (pruned), so it gets no evaluation", round_)
                reported.add(round_)
                continue
            loss, accuracy = evaluate(kind, blob, test)
            if report_evaluation(rpc, CREATOR, task, round_, loss, accuracy):
                LOG.info("round %d: test loss %.4f", round_, loss)
            else:
                LOG.warning("round %d: test loss %s cannot be reported", round_, loss)
        reported.add(round_)


def run(url: str, directory: Path, parent: int | None = None) -> None:
    """Until stopped (SIGTERM) or until `parent` (the node's pid) is gone."""
    directory.mkdir(parents=True, exist_ok=True)
    rpc = Rpc(url)
    kind = models.default_model_kind(DATASET)
    fund(rpc)
    task = find_task(rpc)
    if task is None:
        task = create_task(rpc, kind)
    LOG.info("sample task %d: %s, %d hospitals", task, DATASET, HOSPITALS)
    shares = data.split_non_iid(DATASET, HOSPITALS, SEED)
    workers = [start_worker(url, key, task, directory / f"hospital{i}", share, STAKE, ["--pace", str(PACE_SECONDS)],
                            new_session=False)
               for i, (key, share) in enumerate(zip(HOSPITAL_KEYS, shares))]
    test, reported = data.load(DATASET, SEED), set()
    try:
        while parent is None or os.getppid() == parent:
            try:
                report_evaluations(rpc, task, kind, test, reported)
            except Exception as error:  # a busy or restarting node: the next poll retries
                LOG.warning("reporting an evaluation failed (retrying): %s", error)
            time.sleep(POLL_SECONDS)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)
