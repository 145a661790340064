"""`flockchain dev` runs a sample FL task by default (fl_module/worker/sample.py): four hospitals with
their own keys train on diabetes, the creator reports each round's test loss on chain, the banner's ten
accounts are never touched, a restart on the same data dir carries on with the same task, stopping the
node stops every worker, and --no-sample-task runs none."""

import subprocess
import time

import pytest

from fl_module.formats import EVALUATION_SCALE
from fl_module.worker import data, demo, models, sample
from tests.rpc.devchain import dev_account, start_dev_chain, stop_dev_chain

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
ROUNDS = 3
"""Rounds with an evaluation to wait for: about ten seconds of a sample task."""


def reported_losses(chain, task: int) -> list[float]:
    info = chain.result("flock_getTask", hex(task))
    rounds = [chain.result("flock_getRound", hex(task), hex(r)) for r in range(int(info["round"], 16))]
    return [int(r["evaluation"]["loss"], 16) / EVALUATION_SCALE for r in rounds if r and r["evaluation"]]


def wait_for_losses(chain, task: int, count: int, timeout: float = 120) -> list[float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        losses = reported_losses(chain, task)
        if len(losses) >= count:
            return losses
        assert chain.process.poll() is None, chain.log()
        time.sleep(1)
    raise AssertionError(f"fewer than {count} evaluations after {timeout} s: {reported_losses(chain, task)}")


def sample_processes(directory) -> list[str]:
    found = subprocess.run(["pgrep", "-f", str(directory)], capture_output=True, text=True)
    return found.stdout.split()


def test_the_sample_task_trains_reports_falling_loss_and_leaves_the_dev_accounts_alone(tmp_path):
    chain = start_dev_chain(tmp_path, sample_task=True)
    sample_dir = tmp_path / "data" / "sample-task"
    try:
        assert "Sample FL task:" in chain.log() and f"Explorer:          {chain.url}/" in chain.log()
        deadline = time.monotonic() + 60
        while not chain.result("flock_listTasks") and time.monotonic() < deadline:
            time.sleep(0.5)
        [task] = chain.result("flock_listTasks")
        assert (task["model"], task["dataset"], task["creator"]) == ("linear", "sklearn:diabetes", sample.CREATOR.address)
        losses = wait_for_losses(chain, 0, ROUNDS)
        kind = models.default_model_kind(sample.DATASET)
        initial_loss, _ = demo.evaluate(kind, demo.Rpc(chain.url).get_blob(task["initialModel"]),
                                        data.load(sample.DATASET, sample.SEED))
        assert min(losses) < initial_loss, (initial_loss, losses)
        assert sorted(chain.result("flock_listTasks")[0]["participants"]) == sorted(sample.HOSPITAL_ADDRESSES)
        for index in range(10):
            who = dev_account(index).address
            assert chain.result("eth_getTransactionCount", who, "latest") == "0x0", f"dev account {index} was used"
            assert int(chain.result("eth_getBalance", who, "latest"), 16) == 10_000 * 10**18
    finally:
        stop_dev_chain(chain.process)
    assert not sample_processes(sample_dir), "stopping the node stops the sample task and its workers"

    again = start_dev_chain(tmp_path, sample_task=True)
    try:
        before = len(reported_losses(again, 0))
        wait_for_losses(again, 0, before + 1)
        assert len(again.result("flock_listTasks")) == 1, "a restart carries on with the task it created"
    finally:
        stop_dev_chain(again.process)


def test_no_sample_task_runs_none(tmp_path):
    chain = start_dev_chain(tmp_path)
    try:
        time.sleep(5)
        assert chain.result("flock_listTasks") == [] and chain.result("eth_blockNumber") == "0x0"
        assert "Sample FL task" not in chain.log()
    finally:
        stop_dev_chain(chain.process)
