"""The Arena's duties against a real dev node. The validator duty advances closed windows, scores an
honest model, gives the worst loss to a submission that is not a model and to one whose blob was never
published, commits and reveals, and never stops on them (two real ValidatorDuty objects over JSON-RPC,
stepped in turn while the test mines blocks). `flockchain arena train` joins, commits and reveals."""

import os
import subprocess
import sys
import time

import pytest
from eth_hash.auto import keccak

from arena.formats import WORST_LOSS, compute_evaluation_commitment
from arena.worker import datasets, trainer, validator
from fl_module.worker import tensors
from fl_module.worker.demo import Rpc
from tests.rpc.devchain import ROOT, dev_account, start_dev_chain, stop_dev_chain

pytestmark = pytest.mark.slow
UNIT = 10**18
WINDOWS = [30, 30, 30, 30]


def mine_to(rpc: Rpc, number: int) -> None:
    head = rpc.w3.eth.block_number
    if number > head:
        rpc.call("evm_mine", {"blocks": number - head})


def open_task(rpc: Rpc, trainers: list, validators: list, seed: int):
    """Bond the trainers (role 0) and validators (role 1), create task 0 (dev account 0 commits to a hidden
    evaluation set), join everyone; returns (splits, the evaluation blob, its salt)."""
    creator = dev_account(0)
    for role, accounts in ((0, trainers), (1, validators)):
        for account in accounts:
            rpc.send(account, "staking", "bond", role, value=3_000 * UNIT)
    splits = datasets.split("digits", seed)
    evaluation = datasets.encode_dataset(splits.evaluation_x, splits.evaluation_y)
    salt = os.urandom(32)
    public_hash = rpc.put_blob(datasets.encode_dataset(splits.public_x, splits.public_y))
    commitment = compute_evaluation_commitment(tensors.model_hash(evaluation), salt,
                                               bytes.fromhex(creator.address[2:]))
    rpc.send(creator, "arena", "createTask", "mlp", public_hash, commitment, WINDOWS, 3, 3_000 * UNIT,
             value=200 * UNIT)
    for account in trainers + validators:
        rpc.send(account, "arena", "join", 0)
    return splits, evaluation, salt


def test_the_duty_scores_hostile_submissions_worst_and_carries_on(tmp_path):
    chain = start_dev_chain(tmp_path)
    try:
        rpc = Rpc(chain.url)
        creator, trainers, validators = dev_account(0), [dev_account(i) for i in (1, 2, 3)], \
            [dev_account(i) for i in (4, 5)]
        splits, evaluation, salt = open_task(rpc, trainers, validators, seed=1)
        honest = tensors.encode_model(trainer.train_model("mlp", splits.public_x, splits.public_y,
                                                          trainer.TrainerConfig(epochs=3)))
        blobs = [honest, b"definitely not a model", tensors.encode_model(trainer.train_model(
            "mlp", splits.public_x, splits.public_y, trainer.TrainerConfig(epochs=1, seed=3)))]
        submitters = [trainer.Submitter(rpc, account, 0, blob) for account, blob in zip(trainers, blobs)]
        for submitter in submitters:
            submitter.commit()
        ends = {k: int(v, 16) for k, v in rpc.call("flock_getArenaTask", "0x0")["windowEnds"].items()}
        mine_to(rpc, ends["submit"] - 1)
        submitters[0].reveal()
        submitters[1].reveal()
        rpc.send(trainers[2], "arena", "revealSubmission", 0, submitters[2].model_hash, submitters[2].salt)
        rpc.put_blob(evaluation)
        rpc.send(creator, "arena", "revealEvaluationSet", 0, tensors.model_hash(evaluation), salt)

        duties = [validator.ValidatorDuty(rpc, account) for account in validators]
        for target in (ends["reveal"] - 1, ends["scoreCommit"] - 1, ends["scoreReveal"] - 1):
            mine_to(rpc, target)
            for duty in duties:
                duty.step()
        shown = rpc.call("flock_getArenaTask", "0x0")
        assert shown["phase"] == "finished", shown["phase"]
        by_trainer = {s["trainer"]: s for s in shown["submissions"]}
        assert by_trainer[trainers[0].address]["rank"] == "0x1"
        assert int(by_trainer[trainers[0].address]["consensusLoss"], 16) < WORST_LOSS
        for hostile in trainers[1:]:
            assert by_trainer[hostile.address]["consensusLoss"] is None, "worst loss: shown as no score"
        assert all(v["losses"] is not None and int(v["agreement"], 16) == 1_000_000 for v in shown["validators"])
    finally:
        stop_dev_chain(chain.process)


def bonded_trainer(chain):
    """(rpc, creator, a bonded training node, the public digits blob) on a fresh dev chain."""
    rpc = Rpc(chain.url)
    creator, trainer_account = dev_account(0), dev_account(1)
    rpc.send(trainer_account, "staking", "bond", 0, value=3_000 * UNIT)
    splits = datasets.split("digits", 2)
    return rpc, creator, trainer_account, rpc.put_blob(datasets.encode_dataset(splits.public_x, splits.public_y))


def test_the_train_command_joins_commits_and_reveals_after_the_window(tmp_path):
    chain = start_dev_chain(tmp_path)
    try:
        rpc, creator, trainer_account, public_hash = bonded_trainer(chain)
        rpc.send(creator, "arena", "createTask", "mlp", public_hash, b"\x01" * 32, [40, 40, 40, 40], 3,
                 3_000 * UNIT, value=200 * UNIT)
        process = subprocess.Popen([sys.executable, "-m", "flockchain", "arena", "train", "--rpc", chain.url,
                                    "--key-file", "-", "--task", "0", "--epochs", "2"], cwd=ROOT, text=True,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        process.stdin.write(trainer_account.key.hex() + "\n")
        process.stdin.close()
        committed = "0x" + keccak(b"SubmissionCommitted(uint256,address,uint32)").hex()
        revealed = "0x" + keccak(b"SubmissionRevealed(uint256,address,bytes32)").hex()
        logs = lambda topic: rpc.w3.eth.get_logs({"address": rpc.modules["arena"]["address"], "fromBlock": 0,
                                                  "topics": [topic]})
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.3)
            if logs(committed):
                rpc.call("evm_mine", {})
        output = process.stdout.read()
        assert process.returncode == 0, output
        [log] = logs(revealed)
        model_hash = "0x" + bytes(log["data"]).hex()
        assert f"revealed model {model_hash}" in output
        assert tensors.decode_model(rpc.get_blob(model_hash), "mlp"), "the model is published with the reveal"
    finally:
        stop_dev_chain(chain.process)


def test_the_train_command_submits_blind_through_unsigned_calls_and_claims(tmp_path):
    """A blind task: the command joins the ring, commits and reveals by unsigned calls (its account's nonce
    moves only for the join and the claim), and claims its submission once the scores are final. --blob-rpc
    names the same node here: this shows the option is taken, not that uploads go elsewhere."""
    chain = start_dev_chain(tmp_path)
    try:
        rpc, creator, trainer_account, public_hash = bonded_trainer(chain)
        evaluation, salt = keccak(b"evaluation set"), keccak(b"creator salt")
        commitment = compute_evaluation_commitment(evaluation, salt, bytes.fromhex(creator.address[2:]))
        rpc.send(creator, "arena", "createBlindTask", "mlp", public_hash, commitment, [30, 30, 5, 5, 5, 30], 3,
                 3_000 * UNIT, value=200 * UNIT)
        nonce = rpc.w3.eth.get_transaction_count(trainer_account.address)
        process = subprocess.Popen([sys.executable, "-m", "flockchain", "arena", "train", "--rpc", chain.url,
                                    "--blob-rpc", chain.url, "--key-file", "-", "--task", "0", "--epochs", "2"],
                                   cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        process.stdin.write(trainer_account.key.hex() + "\n")
        process.stdin.close()
        arena_contract = rpc.contract("arena")
        deadline = time.monotonic() + 180
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.3)
            if arena_contract.functions.blindOf(0).call()[3]:
                rpc.call("evm_mine", {})
                if rpc.call("flock_getArenaTask", "0x0")["phase"] == "reveal" and \
                        arena_contract.functions.taskStatus(0).call()[3] == b"\x00" * 32:
                    rpc.send(creator, "arena", "revealEvaluationSet", 0, evaluation, salt)
                try:
                    rpc.send(creator, "arena", "advance", 0)
                except RuntimeError:
                    pass
        output = process.stdout.read()
        assert process.returncode == 0, output
        assert "claimed submission 0" in output, output
        [model_hash] = arena_contract.functions.submissionsOf(0).call()[1]
        assert arena_contract.functions.submissionsOf(0).call()[0] == [trainer_account.address]
        assert tensors.decode_model(rpc.get_blob("0x" + model_hash.hex()), "mlp")
        assert rpc.w3.eth.get_transaction_count(trainer_account.address) == nonce + 2, "joinBlind and claim only"
    finally:
        stop_dev_chain(chain.process)


def wait_until(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_flockchain_dev_with_arena_validates_inside_the_node(tmp_path):
    """`flockchain dev --arena 4`: the node runs dev account 4's duty; the test only mines blocks."""
    chain = start_dev_chain(tmp_path, extra_args=("--arena", "4"))
    try:
        rpc = Rpc(chain.url)
        creator, trainers = dev_account(0), [dev_account(i) for i in (1, 2)]
        splits, evaluation, salt = open_task(rpc, trainers, [dev_account(4)], seed=3)
        submitters = [trainer.Submitter(rpc, account, 0, tensors.encode_model(trainer.train_model(
            "mlp", splits.public_x, splits.public_y, trainer.TrainerConfig(epochs=epochs, seed=epochs))))
            for account, epochs in zip(trainers, (4, 1))]
        for submitter in submitters:
            submitter.commit()
        task = lambda: rpc.call("flock_getArenaTask", "0x0")
        ends = {k: int(v, 16) for k, v in task()["windowEnds"].items()}
        mine_to(rpc, ends["submit"] - 1)
        for submitter in submitters:
            submitter.reveal()
        rpc.put_blob(evaluation)
        rpc.send(creator, "arena", "revealEvaluationSet", 0, tensors.model_hash(evaluation), salt)
        mine_to(rpc, ends["reveal"] - 1)
        wait_until(lambda: task()["validators"][0]["scoresCommitted"], "the node's duty to commit")
        mine_to(rpc, ends["scoreCommit"] - 1)
        wait_until(lambda: task()["validators"][0]["losses"] is not None, "the node's duty to reveal")
        mine_to(rpc, ends["scoreReveal"] - 1)
        wait_until(lambda: task()["phase"] == "finished", "the node's duty to close the task")
        shown = task()
        assert [s["rank"] for s in shown["submissions"]] == ["0x1", "0x2"], "4 epochs beat 1"
        assert int(shown["validators"][0]["reward"], 16) > 0
        assert "committed" in (tmp_path / "data" / "arena-duty.log").read_text()
    finally:
        stop_dev_chain(chain.process)
