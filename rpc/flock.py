"""flock_ methods: the runtime modules as contracts (name, address, ABI), and FL chain state.

Everything here is read through the runtime API's module views (the ones `eth_call` answers),
so these methods report exactly what a contract library would read."""

from fl_module.formats import NO_ACCURACY, ROUND_RUNNING, RUNNING, ZERO_HASH
from runtime.api import ModuleMetadata

from .params import QUANTITY, to_checksum, to_data, to_hex
from .registry import Param, Registry

registry = Registry()
ALLIANCE, BRIDGE = "fl_alliance", "bridge"


def describe_modules(metadata: tuple[ModuleMetadata, ...]) -> list[dict]:
    """Each module's name, precompile address and Solidity ABI — what `flockchain abi` prints too."""
    return [{"name": m.name, "address": to_checksum(m.address), "abi": list(m.abi)} for m in metadata]


@registry.method("flock_modules", result="modules")
def flock_modules(ctx):
    """Every runtime module as {name, address, abi}: use them with any contract library."""
    return describe_modules(ctx.node.api.metadata(ctx.node.state()))


@registry.method("flock_getRandomness", (Param("epoch", QUANTITY, None),), "epoch randomness or null")
def flock_get_randomness(ctx, epoch):
    """An epoch's randomness (the current epoch by default), as roles and draws use it; null if never reached."""
    found = ctx.node.api.epoch_randomness(ctx.node.state(), epoch)
    if found is None:
        return None
    return {"epoch": to_hex(found.epoch), "randomness": to_data(found.randomness),
            "epochLength": to_hex(found.epoch_length), "firstSlot": to_hex(found.epoch * found.epoch_length),
            "current": found.current}


# FL Alliance (spec/modules/fl_alliance.md)

TASK_STATUS = ("waiting", "running", "finished")
PHASES = ("commit", "reveal", "voteCommit", "voteReveal", "aggregate")
ROUND_STATUS = ("running", "completed", "noneAccepted", "timedOut", "aggregateRejected")
OUTCOMES = ("rejected", "accepted", "poisoned")


class AllianceReader:
    """The alliance module's views at one state."""

    def __init__(self, ctx):
        self.api, self.state = ctx.node.api, ctx.node.state()

    def view(self, name: str, *args) -> tuple:
        return self.api.view(self.state, ALLIANCE, name, *args)

    def task_count(self) -> int:
        return self.view("taskCount")[0]

    def exists(self, task: int) -> bool:
        return task < self.task_count()

    def task_json(self, task: int) -> dict | None:
        if not self.exists(task):
            return None
        spec = self.api.query(self.state, ALLIANCE, "spec", task)
        _, model, dataset, *_, pool = self.view("taskOf", task)
        status, round_, phase, phase_end, global_model, pool_balance, accepted = self.view("taskStatus", task)
        return {
            "id": to_hex(task), "creator": to_checksum(spec.creator), "model": model, "dataset": dataset,
            "initialModel": to_data(spec.initial_model), "rounds": to_hex(spec.rounds),
            "proposersPerRound": to_hex(spec.proposers), "votersPerRound": to_hex(spec.voters),
            "phaseBlocks": dict(zip(PHASES, (to_hex(b) for b in spec.phase_blocks))),
            "minStake": to_hex(spec.min_stake), "createdAt": to_hex(spec.created_at), "pool": to_checksum(pool),
            "poolBalance": to_hex(pool_balance), "status": TASK_STATUS[status],
            "round": to_hex(round_), "phase": PHASES[phase] if status == RUNNING else None,
            "phaseEnd": to_hex(phase_end), "globalModel": to_data(global_model),
            "roundsWithNewModel": to_hex(accepted), "verified": self.view("isVerified", task)[0],
            "participants": [to_checksum(who) for who in self.view("participantsOf", task)[0]],
        }

    def current_round(self, task: int) -> int:
        return self.view("taskStatus", task)[1]

    def round_json(self, task: int, round_: int) -> dict | None:
        if not self.exists(task) or round_ > self.current_round(task):
            return None
        proposers, proposer_stakes, voters, voter_stakes = self.view("rolesOf", task, round_)
        if not proposers and not voters:
            return None

        def member(who: bytes, stake: int) -> dict:
            commit, update, score_commit, revealed, scores, aggregate, aggregate_score = \
                self.view("memberOf", task, round_, who)
            empty = lambda value: None if value == ZERO_HASH else to_data(value)
            return {"address": to_checksum(who), "stake": to_hex(stake), "updateCommitment": empty(commit),
                    "updateHash": empty(update), "scoreCommitment": empty(score_commit),
                    "scores": [to_hex(score) for score in scores] if revealed else None,
                    "aggregate": empty(aggregate),
                    "aggregateScore": to_hex(aggregate_score) if aggregate != ZERO_HASH else None}

        status, model, reward, ended, outcomes, low, high, voting_stakes = self.view("roundResult", task, round_)
        updaters, update_hashes = self.view("roundUpdates", task, round_)
        at = lambda values, i: to_hex(values[i]) if i < len(values) else None
        tally = [{"proposer": to_checksum(who), "updateHash": to_data(update_hash),
                  "outcome": OUTCOMES[outcomes[i]] if i < len(outcomes) else None,
                  "lowScore": at(low, i), "highScore": at(high, i), "votingStake": at(voting_stakes, i)}
                 for i, (who, update_hash) in enumerate(zip(updaters, update_hashes))]
        return {"task": to_hex(task), "round": to_hex(round_), "status": ROUND_STATUS[status],
                "proposers": [member(w, s) for w, s in zip(proposers, proposer_stakes)],
                "voters": [member(w, s) for w, s in zip(voters, voter_stakes)],
                "updates": tally, "globalModel": to_data(model) if status != ROUND_RUNNING else None,
                "reward": to_hex(reward), "endBlock": to_hex(ended) if status else None,
                "evaluation": self.evaluation_json(task, round_)}

    def evaluation_json(self, task: int, round_: int) -> dict | None:
        """The creator's reported loss (× 10⁹) and accuracy (ppm, null for a kind without one) of the round's model."""
        reported, loss, accuracy, block = self.view("evaluationOf", task, round_)
        if not reported:
            return None
        return {"loss": to_hex(loss), "accuracy": None if accuracy == NO_ACCURACY else to_hex(accuracy),
                "block": to_hex(block)}


@registry.method("flock_listTasks", result="tasks")
def flock_list_tasks(ctx):
    """Every FL Alliance task with its configuration, status, round and phase."""
    reader = AllianceReader(ctx)
    return [reader.task_json(task) for task in range(reader.task_count())]


@registry.method("flock_getTask", (Param("task", QUANTITY),), "task or null")
def flock_get_task(ctx, task):
    """One FL Alliance task: configuration, pool, status, current round and phase, participants, and
    whether governance verified it (only verified tasks earn emissions)."""
    return AllianceReader(ctx).task_json(task)


@registry.method("flock_getRound", (Param("task", QUANTITY), Param("round", QUANTITY, None)), "round or null")
def flock_get_round(ctx, task, round_):
    """A round (the current one by default): roles with stakes, each member's commitments, votes and
    aggregate, the revealed updates with their tally, and the outcome (globalModel: the model the round
    ended with, the previous one kept when it accepted nothing), and the creator's evaluation of that model
    (loss × 10⁹, accuracy in parts per million or null) once reported."""
    reader = AllianceReader(ctx)
    if not reader.exists(task):
        return None
    round_ = reader.current_round(task) if round_ is None else round_
    return reader.round_json(task, round_) if round_ < 2**32 else None


# Bridge (spec/modules/bridge.md)

ZERO_ADDRESS = b"\x00" * 20


def bridge_info(api, state) -> dict:
    """Where the Base side lives and the ABIs to talk to it: what a wallet or relayer needs first."""
    from chain.bridge.compile import compile_contract

    base_chain_id, bridge_address, token, set_id = api.view(state, BRIDGE, "config")
    return {"baseChainId": to_hex(base_chain_id), "bridgeAddress": to_checksum(bridge_address),
            "tokenAddress": to_checksum(token), "validatorSetId": to_hex(set_id),
            "configured": bridge_address != ZERO_ADDRESS, "module": to_checksum(api.module_address(state, BRIDGE)),
            "bridgeAbi": compile_contract("FlockBridge").abi, "tokenAbi": compile_contract("MockFLOCK").abi}


@registry.method("flock_bridgeInfo", result="bridge")
def flock_bridge_info(ctx):
    """{baseChainId, bridgeAddress, tokenAddress, validatorSetId, bridgeAbi, tokenAbi} of the Base side, plus
    `configured` and the home `module` address. The ABIs come from compiling the Vyper sources once per
    process (about 1.5 s, at start when the node runs the bridge duty, else at the first call)."""
    return bridge_info(ctx.node.api, ctx.node.state())


WITHDRAWAL_STATUS = ("requested", "signed", "released")
MAX_TRANSFERS = 1_000


def withdrawal_json(api, state, nonce: int) -> dict:
    sender, recipient, amount, set_id, status, weight, requested_at, released_in, floor = \
        api.view(state, BRIDGE, "withdrawalOf", nonce)
    released = WITHDRAWAL_STATUS[status] == "released"
    return {"nonce": to_hex(nonce), "sender": to_checksum(sender), "baseRecipient": to_checksum(recipient),
            "amount": to_hex(amount), "validatorSetId": to_hex(set_id), "status": WITHDRAWAL_STATUS[status],
            "signedWeight": to_hex(weight), "requestedAt": to_hex(requested_at),
            "releasedInBaseBlock": to_hex(released_in) if released else None, "baseFloor": to_hex(floor),
            "signatures": [to_data(s) for s in api.view(state, BRIDGE, "withdrawalSignatures", nonce)[0]]}


@registry.method("flock_bridgeDeposit", (Param("nonce", QUANTITY),), "deposit or null")
def flock_bridge_deposit(ctx, nonce):
    """A Base deposit nonce as minted here ({nonce, sender, recipient, amount, baseBlockNumber}), or null
    while it is not minted."""
    if nonce >= 2**256:
        return None
    minted, recipient, amount, base_block, sender = ctx.node.api.view(ctx.node.state(), BRIDGE, "depositOf", nonce)
    if not minted:
        return None
    return {"nonce": to_hex(nonce), "sender": to_checksum(sender), "recipient": to_checksum(recipient),
            "amount": to_hex(amount), "baseBlockNumber": to_hex(base_block)}


@registry.method("flock_bridgeWithdrawals", (Param("fromNonce", QUANTITY, None), Param("limit", QUANTITY, None)),
                 "withdrawals")
def flock_bridge_withdrawals(ctx, from_nonce, limit):
    """Withdrawals from `fromNonce` (default: the oldest not yet released, so every pending one comes first),
    each with status requested | signed | released and the signatures collected for it."""
    api, state = ctx.node.api, ctx.node.state()
    limit = MAX_TRANSFERS if limit is None else min(limit, MAX_TRANSFERS)
    (count,) = api.view(state, BRIDGE, "withdrawalCount")
    start = api.view(state, BRIDGE, "nextUnreleasedWithdrawal")[0] if from_nonce is None else min(from_nonce, count)
    return [withdrawal_json(api, state, n) for n in range(start, min(count, start + limit))]


@registry.method("flock_bridgeStatus", result="status")
def flock_bridge_status(ctx):
    """The bridged supply (minted, burned, outstanding), the highest accepted Base block, and where the
    deposit and withdrawal nonces stand: what a relayer resumes from."""
    api, state = ctx.node.api, ctx.node.state()
    read = lambda view: api.view(state, BRIDGE, view)
    minted, burned, outstanding = read("supply")
    latest_number, latest_hash = read("latestBaseBlock")
    return {"minted": to_hex(minted), "burned": to_hex(burned), "outstanding": to_hex(outstanding),
            "latestBaseBlock": {"number": to_hex(latest_number), "hash": to_data(latest_hash)},
            "nextUnmintedDeposit": to_hex(read("nextUnmintedDeposit")[0]),
            "withdrawalCount": to_hex(read("withdrawalCount")[0]),
            "nextUnreleasedWithdrawal": to_hex(read("nextUnreleasedWithdrawal")[0])}
