"""A blind AI Arena task through a real dev node, played from the observer's seat: trainers submit through
eth_sendRawTransaction as unsigned, ring-signed calls; from everything the JSON-RPC shows before the scores
are final (blocks, transactions, receipts, logs, views, flock_getArenaTask, balances, nonces) no field
ties a submission to its trainer; after the claims, the link is there. The refusals come back as JSON-RPC
errors with their reason."""

import json

from web3 import Web3
from web3.logs import DISCARD

from arena import formats
from arena.blind import BlindIdentity
from runtime.transactions import encode_unsigned_call

from .devchain import CHAIN_ID, dev_account, module_contract
from .test_arena_rpc import CREATOR, TRAINERS, TRUE_LOSS, UNIT, VALIDATORS, mine_to, wait

WINDOWS = [20, 20, 20, 20, 20, 20]


def send_unsigned(chain, arena, name: str, args: list) -> str:
    data = bytes.fromhex(arena.encode_abi(name, args=args)[2:])
    raw = encode_unsigned_call(CHAIN_ID, bytes.fromhex(arena.address[2:]), data)
    return chain.result("eth_sendRawTransaction", "0x" + raw.hex())


def everything_observable(chain, arena, task: int, first_block: int) -> str:
    """All an observer can read about the submissions: blocks with their transactions, receipts, logs, the
    arena's views and flock_getArenaTask (bar the public list of ring members), as one JSON text."""
    seen = []
    for number in range(first_block, chain.w3.eth.block_number + 1):
        block = chain.result("eth_getBlockByNumber", hex(number), True)
        seen.append(block)
        seen += [chain.result("eth_getTransactionReceipt", tx["hash"]) for tx in block["transactions"]]
    seen.append(chain.result("eth_getLogs", {"fromBlock": hex(first_block), "toBlock": "latest"}))
    shown = chain.result("flock_getArenaTask", hex(task))
    seen += [shown["submissions"], shown["validators"], arena.functions.submissionsOf(task).call(),
             arena.functions.submissionImagesOf(task).call()]
    return json.dumps(seen, default=lambda v: v.hex() if isinstance(v, bytes) else str(v)).lower()


def test_a_blind_task_hides_its_trainers_from_every_rpc_view_until_they_claim(chain):
    arena, staking = module_contract(chain, "arena"), module_contract(chain, "staking")
    who = {i: dev_account(i).address for i in (CREATOR,) + TRAINERS + VALIDATORS}
    for i in TRAINERS + VALIDATORS:
        wait(chain, staking.functions.bond(0 if i in TRAINERS else 1).transact({"from": who[i], "value": 3_000 * UNIT}))
    evaluation, evaluation_salt = Web3.keccak(text="held-out digits"), Web3.keccak(text="creator salt")
    commitment = formats.compute_evaluation_commitment(evaluation, evaluation_salt, bytes.fromhex(who[CREATOR][2:]))
    receipt = wait(chain, arena.functions.createBlindTask("mlp:digits", Web3.keccak(text="public digits"), commitment,
                                                          WINDOWS, 3, 3_000 * UNIT).transact(
        {"from": who[CREATOR], "value": 600 * UNIT}))
    (created,) = arena.events.BlindTaskCreated().process_receipt(receipt, errors=DISCARD)
    task, register_end = created.args.task, created.args.registerEnd
    me = {i: BlindIdentity(bytes(dev_account(i).key), CHAIN_ID, task) for i in TRAINERS + VALIDATORS}
    for i in TRAINERS:
        wait(chain, arena.functions.joinBlind(*me[i].trainer_join_args()).transact({"from": who[i]}))
    for v in VALIDATORS:
        wait(chain, arena.functions.joinBlind(*me[v].validator_join_args()).transact({"from": who[v]}))
    refused = chain.rpc("eth_sendRawTransaction", "0x" + encode_unsigned_call(
        CHAIN_ID, bytes.fromhex(arena.address[2:]), bytes.fromhex(arena.encode_abi("commitBlind", args=[
            task, b"\x01" * 32, me[1].key_image, 0, b"\x00" * 128])[2:])).hex())
    assert "RingNotFrozen" in refused["error"]["message"] and refused["error"]["data"]["reason"] == \
        "UnsignedCallRefused"

    mine_to(chain, register_end - 1)
    first = chain.w3.eth.block_number + 1
    ring_keys = arena.functions.blindOf(task).call()[3]
    assert ring_keys == [me[i].public_key for i in TRAINERS]
    before = {i: (chain.w3.eth.get_balance(who[i]), chain.w3.eth.get_transaction_count(who[i])) for i in TRAINERS}
    models = {i: Web3.keccak(text=f"model of trainer {i}") for i in TRAINERS}
    salts = {i: Web3.keccak(text=f"salt {i}") for i in TRAINERS + VALIDATORS}
    for i in (3, 1, 2):
        c = formats.compute_submission_commitment(models[i], salts[i], me[i].key_image)
        wait(chain, send_unsigned(chain, arena, "commitBlind", me[i].commit_args(ring_keys, c, 0)))
    forged = me[1].commit_args(ring_keys, b"\x02" * 32, 1)
    forged[-1] = forged[-1][:-1] + bytes((forged[-1][-1] ^ 1,))
    refused = chain.rpc("eth_sendRawTransaction", "0x" + encode_unsigned_call(
        CHAIN_ID, bytes.fromhex(arena.address[2:]), bytes.fromhex(arena.encode_abi("commitBlind", args=forged)[2:])).hex())
    assert "InvalidRingSignature(3)" in refused["error"]["message"]

    ends = {k: int(v, 16) for k, v in chain.result("flock_getArenaTask", hex(task))["windowEnds"].items()}
    mine_to(chain, ends["submit"] - 1)
    for i in TRAINERS:
        wait(chain, send_unsigned(chain, arena, "revealBlind", me[i].reveal_args(ring_keys, models[i], salts[i], 1)))
    wait(chain, arena.functions.revealEvaluationSet(task, evaluation, evaluation_salt).transact({"from": who[CREATOR]}))
    mine_to(chain, ends["reveal"] - 1)
    wait(chain, arena.functions.advance(task).transact({"from": who[VALIDATORS[0]]}))
    model_of = {models[i]: i for i in TRAINERS}
    scored = arena.functions.submissionsOf(task).call()[1]
    losses = {}
    for v in VALIDATORS:
        assignment = arena.functions.validatorOf(task, who[v]).call()[0]
        losses[v] = [TRUE_LOSS[model_of[scored[index]]] for index in assignment]
        c = formats.compute_scores_commitment(losses[v], salts[v], bytes.fromhex(who[v][2:]))
        wait(chain, arena.functions.commitScores(task, c).transact({"from": who[v]}))
    mine_to(chain, ends["scoreCommit"] - 1)
    for v, reported in losses.items():
        wait(chain, arena.functions.revealScores(task, reported, salts[v]).transact({"from": who[v]}))

    # The observer, before the scores are final: no trainer's address or key in anything about submissions,
    # and no trainer paid a fee or used a nonce for them.
    assert chain.result("flock_getArenaTask", hex(task))["phase"] == "scoreReveal"
    observed = everything_observable(chain, arena, task, first)
    for i in TRAINERS:
        assert who[i][2:].lower() not in observed, f"trainer {i}'s address is visible"
        assert me[i].public_key.hex() not in observed, f"trainer {i}'s key is visible"
        assert (chain.w3.eth.get_balance(who[i]), chain.w3.eth.get_transaction_count(who[i])) == before[i]
    blind_txs = [tx for n in range(first, chain.w3.eth.block_number + 1)
                 for tx in chain.result("eth_getBlockByNumber", hex(n), True)["transactions"] if tx["type"] == "0x46"]
    assert len(blind_txs) == 6
    assert {tx["from"] for tx in blind_txs} == {"0x" + "00" * 20}
    assert {(tx["nonce"], tx["gasPrice"], tx["value"]) for tx in blind_txs} == {("0x0", "0x0", "0x0")}

    # The scores are final, the trainers claim: now the link is public.
    mine_to(chain, ends["scoreReveal"] - 1)
    wait(chain, arena.functions.advance(task).transact({"from": who[CREATOR]}))
    shown = chain.result("flock_getArenaTask", hex(task))
    assert shown["phase"] == "claim" and all(s["trainer"] == "0x" + "00" * 20 for s in shown["submissions"])
    assert [int(s["rank"], 16) for s in shown["submissions"]] == [3, 2, 1], "commit order 3, 1, 2"
    images = arena.functions.submissionImagesOf(task).call()
    for i in TRAINERS:
        receipt = wait(chain, arena.functions.claim(*me[i].claim_args(images.index(me[i].key_image))).transact(
            {"from": who[i]}))
        (claimed,) = arena.events.SubmissionClaimed().process_receipt(receipt, errors=DISCARD)
        assert claimed.args.trainer == who[i] and claimed.args.keyImage == me[i].key_image
    mine_to(chain, int(arena.functions.blindOf(task).call()[2]) - 1)
    receipt = wait(chain, arena.functions.advance(task).transact({"from": who[CREATOR]}))
    (finished,) = arena.events.TaskFinished().process_receipt(receipt, errors=DISCARD)
    assert finished.args.winner == models[2]
    shown = chain.result("flock_getArenaTask", hex(task))
    assert [s["trainer"] for s in shown["submissions"]] == [who[3], who[1], who[2]]
    rewards_by_rank = [int(shown["submissions"][index]["reward"], 16) for index in (2, 1, 0)]
    assert rewards_by_rank[0] > rewards_by_rank[1] > rewards_by_rank[2] > 0
