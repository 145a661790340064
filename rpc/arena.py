"""flock_ methods for the AI Arena (spec/modules/arena.md): tasks, submissions, assignments, scores,
consensus and rewards — read through the arena module's views, as a contract library would."""

from arena.formats import CLAIM, FINISHED, PHASE_NAMES, WORST_LOSS

from .params import QUANTITY, to_checksum, to_data, to_hex
from .registry import Param, Registry

registry = Registry()
ARENA = "arena"
ZERO_HASH = b"\x00" * 32
WINDOWS = ("submit", "reveal", "scoreCommit", "scoreReveal")


class ArenaReader:
    """The arena module's views at one state."""

    def __init__(self, ctx):
        self.api, self.state = ctx.node.api, ctx.node.state()

    def view(self, name: str, *args) -> tuple:
        return self.api.view(self.state, ARENA, name, *args)

    def task_count(self) -> int:
        return self.view("taskCount")[0]

    def summary(self, task: int) -> dict:
        creator, model, training_data, commitment, deadlines, k, min_stake, deposit, pot = self.view("taskOf", task)
        phase, bounty, pot_balance, evaluation, verified = self.view("taskStatus", task)
        blind, register_end, claim_end, _, _ = self.view("blindOf", task)
        window_ends = dict(zip(WINDOWS, (to_hex(d) for d in deadlines)))
        if blind:
            window_ends = {"register": to_hex(register_end), **window_ends, "claim": to_hex(claim_end)}
        return {"id": to_hex(task), "creator": to_checksum(creator), "model": model,
                "trainingData": to_data(training_data), "evaluationCommitment": to_data(commitment),
                "evaluationSet": None if evaluation == ZERO_HASH else to_data(evaluation),
                "blind": blind, "windowEnds": window_ends,
                "validatorsPerSubmission": to_hex(k), "minStake": to_hex(min_stake), "deposit": to_hex(deposit),
                "bounty": to_hex(bounty), "pot": to_checksum(pot), "potBalance": to_hex(pot_balance),
                "phase": PHASE_NAMES[phase], "verified": verified}

    def task_json(self, task: int) -> dict | None:
        if task >= self.task_count():
            return None
        trainers, trainer_weights, validators, validator_weights = self.view("participantsOf", task)
        owners, models, losses, ranks, rewards_ = self.view("submissionsOf", task)
        assigned: dict[int, list[str]] = {}
        validator_json = []
        for who, weight in zip(validators, validator_weights):
            assignment, commitment, reported, agreement, far, reward = self.view("validatorOf", task, who)
            for index in assignment:
                assigned.setdefault(index, []).append(to_checksum(who))
            validator_json.append({
                "address": to_checksum(who), "weight": to_hex(weight), "assignment": [to_hex(i) for i in assignment],
                "scoresCommitted": commitment != ZERO_HASH, "losses": [to_hex(loss) for loss in reported] or None,
                "agreement": to_hex(agreement), "far": to_hex(far), "reward": to_hex(reward)})
        final = self.view("taskStatus", task)[0] in (CLAIM, FINISHED)
        images = self.view("submissionImagesOf", task)[0]
        submissions = [{
            "index": to_hex(i), "trainer": to_checksum(owner), "modelHash": to_data(model),
            "keyImage": to_data(image) if image else None, "validators": assigned.get(i, []),
            "consensusLoss": to_hex(loss) if final and loss != WORST_LOSS else None,
            "rank": to_hex(rank) if rank else None, "reward": to_hex(reward)}
            for i, (owner, model, loss, rank, reward, image) in enumerate(zip(owners, models, losses, ranks,
                                                                               rewards_, images))]
        trainer_json = []
        for who, weight in zip(trainers, trainer_weights):
            total, released, releasable = self.view("vestingOf", task, who)
            trainer_json.append({"address": to_checksum(who), "weight": to_hex(weight),
                                 "vesting": {"total": to_hex(total), "released": to_hex(released),
                                             "releasable": to_hex(releasable)}})
        return dict(self.summary(task), trainers=trainer_json, validators=validator_json, submissions=submissions)


@registry.method("flock_listArenaTasks", result="tasks")
def flock_list_arena_tasks(ctx):
    """Every AI Arena task: configuration, window ends, phase, pot and whether it is verified."""
    reader = ArenaReader(ctx)
    return [reader.summary(task) for task in range(reader.task_count())]


@registry.method("flock_getArenaTask", (Param("task", QUANTITY),), "task or null")
def flock_get_arena_task(ctx, task):
    """One AI Arena task in full: trainers with their vesting, validators with their assignment, losses,
    agreement and reward, and the submissions with their validators, consensus loss (null until the scores
    are final, or when nobody scored it), rank and reward. A blind task's submissions carry their key image
    and show trainer 0x0 until claimed."""
    return ArenaReader(ctx).task_json(task)

