"""Conformance cases for arena (spec/modules/arena.md): a task to its payouts, a cancelled task, and a blind
task from its ring to its claims."""

from dataclasses import dataclass

from arena import formats
from arena import module as arena
from fl_module import alliance
from runtime.modules import slashing
from tests.arena.arena_driver import TRAINERS, VALIDATORS, ArenaDriver, model_hash
from tests.fl.alliance_driver import STAKE, UNIT, address

from .cases import CaseBuilder, Vector
from .ring_cases import deterministic_scalars


@dataclass(frozen=True)
class ArenaVector(Vector):
    folder = "arena"


def staked(b: CaseBuilder) -> ArenaDriver:
    d = ArenaDriver(b.chain, author=b.author)
    d.stake_all()
    d.create()
    return d


def finish(b: CaseBuilder, name: str, description: str) -> ArenaVector:
    return ArenaVector(**vars(b.valid(name, description)))


def case_arena_task_to_its_payouts() -> ArenaVector:
    b = CaseBuilder()
    d = staked(b)
    d.root_block("verifyTask", 0)
    true_loss = {address(1): 300_000_000, address(2): 200_000_000, address(3): 500_000_000}
    lazy = VALIDATORS[-1]
    d.run_task(0, {i: model_hash(i) for i in TRAINERS},
               lambda v, t: 7 * true_loss[t] if v == lazy else true_loss[t] + v)
    state = b.chain.state()
    assert arena.Phase.get(state, 0) == formats.FINISHED
    assert [r.rank for r in arena.Results.get(state, 0)] == [2, 1, 3]
    assert slashing.get_slash(state, 0).kind == slashing.FALSE_VALIDATION
    d.block(d.call(8, "createAllianceTask", 0, "sklearn:digits", 2, 1, 1, [4] * 5, STAKE, value=10 * UNIT))
    assert alliance.get_spec(b.chain.state(), 0).initial_model == model_hash(2)
    return finish(b, "arena_task_to_its_payouts",
                  "a verified task: join, commit, reveal, evaluation set, assignment, scores, weighted medians, "
                  "ranks, trainer and validator payouts with vesting, a lazy validator reported; the winner "
                  "seeds an FL Alliance task")


def case_arena_cancelled_without_the_evaluation_set() -> ArenaVector:
    b = CaseBuilder()
    d = staked(b)
    d.block(*(d.call(i, "join", 0) for i in TRAINERS + VALIDATORS))
    d.commit_models(0, {1: model_hash(1)})
    d.to_deadline(0, formats.SUBMIT)
    d.reveal_models(0, {1: model_hash(1)})
    d.to_deadline(0, formats.REVEAL)
    d.block(d.call(1, "advance", 0))
    assert arena.Phase.get(b.chain.state(), 0) == formats.CANCELLED
    return finish(b, "arena_cancelled_without_the_evaluation_set",
                  "the creator never reveals the evaluation set: the task is cancelled, the deposit goes to the "
                  "treasury and the bounty back to the creator")


def case_arena_blind_task_to_its_claims() -> ArenaVector:
    b = CaseBuilder()
    d = ArenaDriver(b.chain, author=b.author)
    d.draw = deterministic_scalars("arena blind task")
    d.stake_all()
    d.create_blind()
    loss = {model_hash(1): 300_000_000, model_hash(2): 200_000_000, model_hash(3): 500_000_000}
    d.run_blind_task(0, {i: model_hash(i) for i in TRAINERS}, lambda v, m: loss[m] + v)
    images = list(arena.view_submission_images(b.chain.state(), 0)[0])
    for i in (2, 3):
        d.block(d.call(i, "claim", *d.identity(i).claim_args(images.index(d.identity(i).key_image))))
    d.until_blind(0, "claim_end")
    d.block(d.call(8, "advance", 0))
    state = b.chain.state()
    assert arena.Phase.get(state, 0) == formats.FINISHED
    assert [s.trainer for s in arena.Submissions.get(state, 0)] == [arena.NO_TRAINER, address(2),
                                                                    address(3)]
    return finish(b, "arena_blind_task_to_its_claims",
                  "a blind task: ring registration, validators' images with proofs, unsigned ring-signed commits and "
                  "reveals, scores with trainers unnamed, claims by image proof (two of three), the claimed paid at "
                  "the claim window's end, the unclaimed nothing")


ARENA_CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]
