"""An AI Arena task through a real dev node with web3.py and only the ABIs from flock_modules: staked
trainers and validators join, commit and reveal models, the creator reveals the evaluation set, the
validators commit and reveal losses, and flock_getArenaTask shows the consensus, ranks and rewards;
a trainer's vested reward is released a month later."""

from web3 import Web3
from web3.logs import DISCARD

from arena import formats
from arena.module import WrongPhase

from .devchain import dev_account, module_contract, reverts_with, wait_receipt

UNIT = 10**18
TRAINERS, VALIDATORS, CREATOR = (1, 2, 3), (4, 5, 6), 0
TRUE_LOSS = {1: 400_000_000, 2: 150_000_000, 3: 900_000_000}


def wait(chain, tx_hash):
    receipt = wait_receipt(chain, tx_hash)
    assert receipt.status == 1
    return receipt


def mine_to(chain, block_number: int) -> None:
    head = chain.w3.eth.block_number
    if block_number > head:
        chain.rpc("evm_mine", {"blocks": block_number - head})


def test_an_arena_task_from_creation_to_vested_rewards(chain):
    arena, staking = module_contract(chain, "arena"), module_contract(chain, "staking")
    rewards = module_contract(chain, "rewards")
    who = {i: dev_account(i).address for i in (CREATOR,) + TRAINERS + VALIDATORS}
    for i in TRAINERS:
        wait(chain, staking.functions.bond(0).transact({"from": who[i], "value": 3_000 * UNIT}))
    for i in VALIDATORS:
        wait(chain, staking.functions.bond(1).transact({"from": who[i], "value": 3_000 * UNIT}))

    evaluation, evaluation_salt = Web3.keccak(text="held-out digits"), Web3.keccak(text="creator salt")
    commitment = formats.compute_evaluation_commitment(evaluation, evaluation_salt, bytes.fromhex(who[CREATOR][2:]))
    receipt = wait(chain, arena.functions.createTask("mlp:digits", Web3.keccak(text="public digits"), commitment,
                                                     [30, 30, 30, 30], 3, 3_000 * UNIT).transact(
        {"from": who[CREATOR], "value": 600 * UNIT}))
    (created,) = arena.events.TaskCreated().process_receipt(receipt, errors=DISCARD)
    task = created.args.task
    assert (created.args.bounty, created.args.deposit) == (500 * UNIT, 100 * UNIT)
    for i in TRAINERS + VALIDATORS:
        wait(chain, arena.functions.join(task).transact({"from": who[i]}))
    models = {i: Web3.keccak(text=f"model of trainer {i}") for i in TRAINERS}
    salts = {i: Web3.keccak(text=f"salt {i}") for i in TRAINERS + VALIDATORS}
    for i in TRAINERS:
        c = formats.compute_submission_commitment(models[i], salts[i], bytes.fromhex(who[i][2:]))
        wait(chain, arena.functions.commitSubmission(task, c).transact({"from": who[i]}))
    reverts_with(lambda: arena.functions.revealSubmission(task, models[1], salts[1]).call({"from": who[1]}),
                 WrongPhase.encode(formats.SUBMIT, formats.REVEAL))

    ends = {k: int(v, 16) for k, v in chain.result("flock_getArenaTask", hex(task))["windowEnds"].items()}
    mine_to(chain, ends["submit"] - 1)
    for i in TRAINERS:
        wait(chain, arena.functions.revealSubmission(task, models[i], salts[i]).transact({"from": who[i]}))
    wait(chain, arena.functions.revealEvaluationSet(task, evaluation, evaluation_salt).transact({"from": who[CREATOR]}))
    mine_to(chain, ends["reveal"] - 1)
    receipt = wait(chain, arena.functions.advance(task).transact({"from": who[VALIDATORS[0]]}))
    assigned = arena.events.ValidatorsAssigned().process_receipt(receipt, errors=DISCARD)
    assert [len(e.args.validators) for e in assigned] == [3, 3, 3]

    owners = arena.functions.submissionsOf(task).call()[0]
    trainer_of = {index: next(i for i in TRAINERS if who[i] == owner) for index, owner in enumerate(owners)}
    losses = {}
    for v in VALIDATORS:
        assignment = arena.functions.validatorOf(task, who[v]).call()[0]
        if not assignment:
            continue
        losses[v] = [TRUE_LOSS[trainer_of[index]] for index in assignment]
        c = formats.compute_scores_commitment(losses[v], salts[v], bytes.fromhex(who[v][2:]))
        wait(chain, arena.functions.commitScores(task, c).transact({"from": who[v]}))
    mine_to(chain, ends["scoreCommit"] - 1)
    for v, reported in losses.items():
        wait(chain, arena.functions.revealScores(task, reported, salts[v]).transact({"from": who[v]}))
    mine_to(chain, ends["scoreReveal"] - 1)
    receipt = wait(chain, arena.functions.advance(task).transact({"from": who[CREATOR]}))
    (finished,) = arena.events.TaskFinished().process_receipt(receipt, errors=DISCARD)
    assert finished.args.winner == models[2], "the lowest consensus loss wins"

    shown = chain.result("flock_getArenaTask", hex(task))
    assert shown["phase"] == "finished" and shown["evaluationSet"] == "0x" + evaluation.hex()
    by_trainer = {s["trainer"]: s for s in shown["submissions"]}
    assert [int(by_trainer[who[i]]["rank"], 16) for i in TRAINERS] == [2, 1, 3]
    assert [int(by_trainer[who[i]]["consensusLoss"], 16) for i in TRAINERS] == [TRUE_LOSS[i] for i in TRAINERS]
    rewards_by_rank = [int(by_trainer[who[i]]["reward"], 16) for i in (2, 1, 3)]
    assert rewards_by_rank[0] > rewards_by_rank[1] > rewards_by_rank[2] > 0
    assert all(int(v["agreement"], 16) == 1_000_000 and int(v["reward"], 16) > 0
               for v in shown["validators"] if v["assignment"])
    best = who[2]
    vesting_total = int(next(t for t in shown["trainers"] if t["address"] == best)["vesting"]["total"], 16)
    assert vesting_total == rewards_by_rank[0] * 9 // 10
    credited = {e.args.who: e.args.amount for e in rewards.events.Rewarded().process_receipt(receipt, errors=DISCARD)}
    assert credited[best] == rewards_by_rank[0] - vesting_total, "the rest is paid now, claimable from rewards"

    chain.result("evm_increaseTime", 31 * 86_400)
    chain.rpc("evm_mine", {})
    receipt = wait(chain, arena.functions.releaseVested(task).transact({"from": best}))
    (released,) = arena.events.VestingReleased().process_receipt(receipt, errors=DISCARD)
    assert released.args.amount == vesting_total
    credited = {e.args.who: e.args.amount for e in rewards.events.Rewarded().process_receipt(receipt, errors=DISCARD)}
    assert credited == {best: vesting_total}
    assert arena.functions.vestingOf(task, best).call() == [vesting_total, vesting_total, 0]
