"""flock_ methods: the runtime modules as contracts (name, address, ABI), and FL chain state."""

from fl_module import alliance
from runtime.modules import balances, bridge, randomness

from .params import QUANTITY, to_checksum, to_data, to_hex
from .registry import Param, Registry

registry = Registry()


def describe_modules(runtime) -> list[dict]:
    """Each module's name, precompile address and Solidity ABI — what `flockchain abi` prints too."""
    return [{"name": m.name, "address": to_checksum(m.address), "abi": m.abi()} for m in runtime.modules]


@registry.method("flock_modules", result="modules")
def flock_modules(ctx):
    """Every runtime module as {name, address, abi}: use them with any contract library."""
    return describe_modules(ctx.node.runtime)


@registry.method("flock_getRandomness", (Param("epoch", QUANTITY, None),), "epoch randomness or null")
def flock_get_randomness(ctx, epoch):
    """An epoch's randomness (the current epoch by default), as roles and draws use it; null if never reached."""
    state = ctx.node.state()
    current = randomness.EpochIndex.get(state)
    epoch = current if epoch is None else epoch
    if epoch >= 2**64:
        return None
    value = randomness.RandomnessOf.get(state, epoch)
    if value is None:
        return None
    length = randomness.EpochLength.get(state)
    return {"epoch": to_hex(epoch), "randomness": to_data(value), "epochLength": to_hex(length),
            "firstSlot": to_hex(epoch * length), "current": epoch == current}


# FL Alliance (spec/modules/fl_alliance.md)

TASK_STATUS = ("waiting", "running", "finished")
PHASES = ("commit", "reveal", "voteCommit", "voteReveal", "aggregate")
ROUND_STATUS = ("running", "completed", "noneAccepted", "timedOut")
OUTCOMES = ("rejected", "accepted", "poisoned")


def task_json(state, task: int) -> dict | None:
    if alliance.TaskConfig.get(state, task) is None:
        return None
    spec, progress = alliance.get_spec(state, task), alliance.get_progress(state, task)
    pool = alliance.compute_task_account(task)
    return {
        "id": to_hex(task), "creator": to_checksum(spec.creator),
        "model": alliance.TaskModelKind.get(state, task).decode(errors="replace"),
        "dataset": alliance.TaskDataset.get(state, task).decode(errors="replace"),
        "initialModel": to_data(spec.initial_model), "rounds": to_hex(spec.rounds),
        "proposersPerRound": to_hex(spec.proposers), "votersPerRound": to_hex(spec.voters),
        "phaseBlocks": dict(zip(PHASES, (to_hex(b) for b in spec.phase_blocks))), "minStake": to_hex(spec.min_stake),
        "createdAt": to_hex(spec.created_at), "pool": to_checksum(pool),
        "poolBalance": to_hex(balances.free_balance(state, pool)), "status": TASK_STATUS[progress.status],
        "round": to_hex(progress.round), "phase": PHASES[progress.phase] if progress.status == alliance.RUNNING else None,
        "phaseEnd": to_hex(progress.phase_end), "globalModel": to_data(alliance.GlobalModel.get(state, task)),
        "roundsWithNewModel": to_hex(progress.models_accepted),
        "participants": [to_checksum(who) for who in alliance.Participants.get(state, task)],
    }


def round_json(state, task: int, round_: int) -> dict | None:
    if alliance.TaskConfig.get(state, task) is None or round_ > alliance.get_progress(state, task).round:
        return None
    proposers, voters = alliance.get_members(state, task, round_)
    if not proposers and not voters:
        return None

    def member(who: bytes, stake: int) -> dict:
        commit, update, vote_commit, revealed, accepts, harmful, aggregate = alliance.view_member(state, task, round_,
                                                                                                  who)
        empty = lambda value: None if value == alliance.ZERO_HASH else to_data(value)
        return {"address": to_checksum(who), "stake": to_hex(stake), "updateCommitment": empty(commit),
                "updateHash": empty(update), "voteCommitment": empty(vote_commit),
                "accepts": to_hex(accepts) if revealed else None, "harmful": to_hex(harmful) if revealed else None,
                "aggregate": empty(aggregate)}

    status, model, reward, ended, outcomes, accepts, rejects, harmful = alliance.view_round_result(state, task, round_)
    updates = alliance.RevealedUpdates.get(state, alliance.round_key(task, round_))
    tally = [{"proposer": to_checksum(u.proposer), "updateHash": to_data(u.update_hash),
              "outcome": OUTCOMES[outcomes[i]] if i < len(outcomes) else None,
              "acceptStake": to_hex(accepts[i]) if i < len(accepts) else None,
              "rejectStake": to_hex(rejects[i]) if i < len(rejects) else None,
              "harmfulStake": to_hex(harmful[i]) if i < len(harmful) else None}
             for i, u in enumerate(updates)]
    return {"task": to_hex(task), "round": to_hex(round_), "status": ROUND_STATUS[status],
            "proposers": [member(w, s) for w, s in proposers], "voters": [member(w, s) for w, s in voters],
            "updates": tally, "globalModel": to_data(model) if status != alliance.ROUND_RUNNING else None,
            "reward": to_hex(reward), "endBlock": to_hex(ended) if status else None}


@registry.method("flock_listTasks", result="tasks")
def flock_list_tasks(ctx):
    """Every FL Alliance task with its configuration, status, round and phase."""
    state = ctx.node.state()
    return [task_json(state, task) for task in range(alliance.TaskCount.get(state))]


@registry.method("flock_getTask", (Param("task", QUANTITY),), "task or null")
def flock_get_task(ctx, task):
    """One FL Alliance task: configuration, pool, status, current round and phase, participants."""
    state = ctx.node.state()
    return task_json(state, task) if task < 2**64 else None


@registry.method("flock_getRound", (Param("task", QUANTITY), Param("round", QUANTITY, None)), "round or null")
def flock_get_round(ctx, task, round_):
    """A round (the current one by default): roles with stakes, each member's commitments, votes and
    aggregate, the revealed updates with their tally, and the outcome (globalModel: the model the round
    ended with, the previous one kept when it accepted nothing)."""
    state = ctx.node.state()
    if task >= 2**64 or alliance.TaskConfig.get(state, task) is None:
        return None
    round_ = alliance.get_progress(state, task).round if round_ is None else round_
    return round_json(state, task, round_) if round_ < 2**32 else None


# Bridge (spec/modules/bridge.md)

def bridge_info(state) -> dict:
    """Where the Base side lives and the ABIs to talk to it: what a wallet or relayer needs first."""
    from chain.bridge.compile import compile_contract

    base_chain_id, bridge_address, token, set_id = bridge.view_config(state)
    return {"baseChainId": to_hex(base_chain_id), "bridgeAddress": to_checksum(bridge_address),
            "tokenAddress": to_checksum(token), "validatorSetId": to_hex(set_id),
            "configured": bridge_address != bridge.ZERO_ADDRESS, "module": to_checksum(bridge.ADDRESS_),
            "bridgeAbi": compile_contract("FlockBridge").abi, "tokenAbi": compile_contract("MockFLOCK").abi}


@registry.method("flock_bridgeInfo", result="bridge")
def flock_bridge_info(ctx):
    """{baseChainId, bridgeAddress, tokenAddress, validatorSetId, bridgeAbi, tokenAbi} of the Base side, plus
    `configured` and the home `module` address. The ABIs come from compiling the Vyper sources once per
    process (about 1.5 s, at start when the node runs the bridge duty, else at the first call)."""
    return bridge_info(ctx.node.state())


WITHDRAWAL_STATUS = {bridge.REQUESTED: "requested", bridge.SIGNED: "signed", bridge.RELEASED: "released"}
MAX_TRANSFERS = 1_000


def withdrawal_json(state, nonce: int) -> dict:
    sender, recipient, amount, set_id, status, weight, requested_at, released_in, floor = \
        bridge.view_withdrawal(state, nonce)
    return {"nonce": to_hex(nonce), "sender": to_checksum(sender), "baseRecipient": to_checksum(recipient),
            "amount": to_hex(amount), "validatorSetId": to_hex(set_id), "status": WITHDRAWAL_STATUS[status],
            "signedWeight": to_hex(weight), "requestedAt": to_hex(requested_at),
            "releasedInBaseBlock": to_hex(released_in) if status == bridge.RELEASED else None,
            "baseFloor": to_hex(floor),
            "signatures": [to_data(s) for s in bridge.view_withdrawal_signatures(state, nonce)[0]]}


def deposit_json(state, nonce: int) -> dict | None:
    minted, recipient, amount, base_block, sender = bridge.view_deposit(state, nonce)
    if not minted:
        return None
    return {"nonce": to_hex(nonce), "sender": to_checksum(sender), "recipient": to_checksum(recipient),
            "amount": to_hex(amount), "baseBlockNumber": to_hex(base_block)}


@registry.method("flock_bridgeDeposit", (Param("nonce", QUANTITY),), "deposit or null")
def flock_bridge_deposit(ctx, nonce):
    """A Base deposit nonce as minted here ({nonce, sender, recipient, amount, baseBlockNumber}), or null
    while it is not minted."""
    return deposit_json(ctx.node.state(), nonce) if nonce < 2**256 else None


@registry.method("flock_bridgeWithdrawals", (Param("fromNonce", QUANTITY, None), Param("limit", QUANTITY, None)),
                 "withdrawals")
def flock_bridge_withdrawals(ctx, from_nonce, limit):
    """Withdrawals from `fromNonce` (default: the oldest not yet released, so every pending one comes first),
    each with status requested | signed | released and the signatures collected for it."""
    state = ctx.node.state()
    limit = MAX_TRANSFERS if limit is None else min(limit, MAX_TRANSFERS)
    count = bridge.WithdrawalCount.get(state)
    start = bridge.NextUnreleasedWithdrawal.get(state) if from_nonce is None else min(from_nonce, count)
    return [withdrawal_json(state, n) for n in range(start, min(count, start + limit))]


@registry.method("flock_bridgeStatus", result="status")
def flock_bridge_status(ctx):
    """The bridged supply (minted, burned, outstanding), the highest accepted Base block, and where the
    deposit and withdrawal nonces stand: what a relayer resumes from."""
    state = ctx.node.state()
    minted, burned, outstanding = bridge.view_supply(state)
    latest_number, latest_hash = bridge.view_latest_base_block(state)
    return {"minted": to_hex(minted), "burned": to_hex(burned), "outstanding": to_hex(outstanding),
            "latestBaseBlock": {"number": to_hex(latest_number), "hash": to_data(latest_hash)},
            "nextUnmintedDeposit": to_hex(bridge.NextUnmintedDeposit.get(state)),
            "withdrawalCount": to_hex(bridge.WithdrawalCount.get(state)),
            "nextUnreleasedWithdrawal": to_hex(bridge.NextUnreleasedWithdrawal.get(state))}
