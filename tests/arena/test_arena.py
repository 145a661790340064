"""arena (spec/modules/arena.md): a task end to end, each missing reveal, every error, and the rules
(median, agreement, pots, rank factors, vesting) as properties."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena import formats
from arena import module as arena
from fl_module import alliance
from runtime.modules import balances, randomness, rewards, slashing
from tests.fl.alliance_driver import STAKE, UNIT, address, logs_of
from tests.runtime.harness import MemoryChain

from .arena_driver import (CREATOR, DEPOSIT, EVALUATION, TRAINERS, VALIDATORS, ArenaDriver, model_hash, salt)

TRUE_LOSS = {address(1): 300_000_000, address(2): 200_000_000, address(3): 500_000_000}
"""What honest validators measure for each trainer's model: trainer 2 is best."""


def statuses(applied):
    return [(a.receipt.status, a.revert_data[:4]) for a in applied]


def ok(applied):
    applied = list(applied) if isinstance(applied, (list, tuple)) else [applied]
    assert all(a.receipt.status == 1 for a in applied), statuses(applied)
    return applied


def fails(applied, error):
    assert statuses([applied]) == [(0, error.selector)], statuses([applied])


def staked(bounty=900 * UNIT, **create):
    d = ArenaDriver(MemoryChain())
    d.stake_all()
    ok(d.create(bounty=bounty, **create))
    return d


def honest(validator, trainer):
    return TRUE_LOSS[trainer]


def test_a_task_end_to_end_ranks_by_consensus_and_pays_by_rank_and_agreement():
    d = staked()
    account = arena.compute_task_account(0)
    before = balances.free_balance(d.state(), account)
    assert before == DEPOSIT + 900 * UNIT
    models = {i: model_hash(i) for i in TRAINERS}
    lazy = VALIDATORS[-1]
    losses = d.run_task(0, models, lambda v, t: 999_000_000_000 if v == lazy else honest(v, t))
    state = d.state()
    assert d.phase() == formats.FINISHED
    submissions = arena.Submissions.get(state, 0)
    results = arena.Results.get(state, 0)
    assert [s.trainer for s in submissions] == [address(i) for i in TRAINERS], "commitment order"
    assert [r.consensus_loss for r in results] == [TRUE_LOSS[s.trainer] for s in submissions], \
        "the honest 3/4 of stake decide every median"
    assert [r.rank for r in results] == [2, 1, 3]

    pot = before - DEPOSIT
    trainer_pot = pot * (100_000 * 7 + 800_000 * 3) // (1_000_000 * 7)
    g = [10**18, 7 * 10**17, 49 * 10**16]
    weights = [STAKE * g[r.rank - 1] for r in results]
    parts = [trainer_pot * w // sum(weights) for w in weights]
    assert [r.reward for r in results] == parts
    for trainer, part in zip(TRAINERS, parts):
        vested = part * 900_000 // 1_000_000
        assert rewards.PendingRewards.get(state, address(trainer)) == part - vested
        assert arena.Vesting.get(state, arena.participant_key(0, address(trainer))).total == vested

    outcomes = {v: arena.ValidatorOutcome.get(state, arena.participant_key(0, address(v))) for v in losses}
    assert outcomes[lazy].agreement == 0 and outcomes[lazy].reward == 0
    honest_validators = [v for v in losses if v != lazy]
    assert all(outcomes[v].agreement == 1_000_000 for v in honest_validators)
    validator_pot = pot - trainer_pot
    total = sum(STAKE * 1_000_000 * len(losses[v]) // len(losses[v]) for v in honest_validators)
    for v in honest_validators:
        assert outcomes[v].reward == validator_pot * STAKE * 1_000_000 // total
    [report] = [r for r in slashes(d) if r.offender == address(lazy)]
    assert report.kind == slashing.FALSE_VALIDATION, "far on most assignments: reported"

    [finished] = logs_of([d.finished], arena.TaskFinished)
    paid, vesting, refunded = (int.from_bytes(finished.data[i:i + 32], "big") for i in (32, 64, 96))
    assert vesting == sum(p * 900_000 // 1_000_000 for p in parts) == balances.free_balance(state, account)
    assert paid == sum(parts) - vesting + sum(o.reward for o in outcomes.values())
    assert paid + vesting + refunded == before and refunded >= DEPOSIT, "the rest, deposit included, goes back"


def test_the_second_pass_drops_validators_far_from_the_first_medians():
    """Six validators score everything: three honest, two lazy reporting 1, one colluder reporting 0 for
    trainer 3. With the colluder the dishonest half pulls trainer 3's first median to 1; the lazy pair is
    far from the first medians on most reports, so the second pass, without them, gives the honest loss."""
    d = ArenaDriver(MemoryChain())
    validators = (4, 5, 6, 7, 8, 9)
    d.stake_all(validators=validators)
    ok(d.create(k=6))
    favoured = address(3)

    def report(v, t):
        if v in (7, 8):
            return 1
        return 0 if v == 9 and t == favoured else TRUE_LOSS[t]
    d.run_task(0, {i: model_hash(i) for i in TRAINERS}, report, validators=validators)
    results = arena.Results.get(d.state(), 0)
    assert [r.consensus_loss for r in results] == [TRUE_LOSS[address(i)] for i in TRAINERS]
    assert [r.rank for r in results] == [2, 1, 3]
    outcome = lambda v: arena.ValidatorOutcome.get(d.state(), arena.participant_key(0, address(v)))
    assert outcome(7).reward == outcome(8).reward == 0
    assert outcome(9).far == 1 and 0 < outcome(9).reward < outcome(4).reward


def slashes(d):
    return [slashing.get_slash(d.state(), i) for i in range(slashing.SlashCount.get(d.state()))]


def test_an_identical_model_counts_only_for_its_earliest_commitment():
    d = staked()
    d.block(*(d.call(i, "join", 0) for i in TRAINERS + VALIDATORS))
    copied = model_hash(1)
    ok(d.commit_models(0, {1: copied}))
    ok(d.commit_models(0, {3: copied, 2: model_hash(2)}))
    d.to_deadline(0, formats.SUBMIT)
    ok(d.reveal_models(0, {3: copied, 1: copied, 2: model_hash(2)}))
    ok(d.reveal_evaluation(0))
    d.to_deadline(0, formats.REVEAL)
    applied = ok(d.act(CREATOR, "advance", 0))
    assert [s.trainer for s in arena.Submissions.get(d.state(), 0)] == [address(1), address(2)]
    [dropped] = logs_of(applied, arena.SubmissionDropped)
    assert dropped.topics[2][12:] == address(3)


def test_a_later_commitment_replaces_the_earlier_and_loses_its_place():
    d = staked(windows=(8, 4, 4, 4))
    d.block(*(d.call(i, "join", 0) for i in (1, 2) + VALIDATORS))
    same = model_hash(9)
    ok(d.commit_models(0, {1: same}))
    ok(d.commit_models(0, {2: same}))
    ok(d.commit_models(0, {1: same}))
    d.to_deadline(0, formats.SUBMIT)
    ok(d.reveal_models(0, {1: same, 2: same}))
    ok(d.reveal_evaluation(0))
    d.to_deadline(0, formats.REVEAL)
    ok(d.act(CREATOR, "advance", 0))
    assert [s.trainer for s in arena.Submissions.get(d.state(), 0)] == [address(2)]


def test_a_trainer_who_never_reveals_is_dropped_and_reported():
    d = staked()
    d.run_task(0, {i: model_hash(i) for i in TRAINERS}, honest, reveal_models={1: model_hash(1), 2: model_hash(2)})
    assert [s.trainer for s in arena.Submissions.get(d.state(), 0)] == [address(1), address(2)]
    [report] = slashes(d)
    assert (report.kind, report.offender) == (slashing.UNAVAILABILITY, address(3))


def test_a_validator_who_commits_and_never_reveals_is_reported_and_unpaid():
    d = staked()
    d.block(*(d.call(i, "join", 0) for i in TRAINERS + VALIDATORS))
    models = {i: model_hash(i) for i in TRAINERS}
    d.commit_models(0, models)
    d.to_deadline(0, formats.SUBMIT)
    d.reveal_models(0, models)
    d.reveal_evaluation(0)
    d.to_deadline(0, formats.REVEAL)
    ok(d.act(CREATOR, "advance", 0))
    trainers = [s.trainer for s in arena.Submissions.get(d.state(), 0)]
    losses = {v: [TRUE_LOSS[trainers[i]] for i in d.assignment(0, v)] for v in VALIDATORS if d.assignment(0, v)}
    silent = sorted(losses)[0]
    ok(d.commit_scores(0, losses))
    d.to_deadline(0, formats.SCORE_COMMIT)
    ok(d.reveal_scores(0, {v: l for v, l in losses.items() if v != silent}))
    d.to_deadline(0, formats.SCORE_REVEAL)
    ok(d.act(CREATOR, "advance", 0))
    assert [(r.kind, r.offender) for r in slashes(d)] == [(slashing.UNAVAILABILITY, address(silent))]
    assert arena.ValidatorOutcome.get(d.state(), arena.participant_key(0, address(silent))).reward == 0


def test_without_the_evaluation_set_the_task_is_cancelled_the_deposit_pays_revealed_trainers():
    d = staked(bounty=500 * UNIT)
    d.block(*(d.call(i, "join", 0) for i in TRAINERS + VALIDATORS), d.call(8, "fund", 0, value=50 * UNIT))
    d.commit_models(0, {1: model_hash(1)})
    d.to_deadline(0, formats.SUBMIT)
    d.reveal_models(0, {1: model_hash(1)})
    creator_before, fund_before = balances.free_balance(d.state(), address(CREATOR)), \
        balances.free_balance(d.state(), arena.treasury.ADDRESS_)
    funder_before, trainer_before = (balances.free_balance(d.state(), address(i)) for i in (8, 1))
    d.to_deadline(0, formats.REVEAL)
    [applied] = ok(d.act(9, "advance", 0))
    state = d.state()
    assert d.phase() == formats.CANCELLED and arena.ActiveTasks.get(state) == ()
    assert balances.free_balance(state, address(CREATOR)) == creator_before + 500 * UNIT, "the creator's bounty"
    assert balances.free_balance(state, address(8)) == funder_before + 50 * UNIT, "a funder's money goes back"
    assert balances.free_balance(state, address(1)) == trainer_before + DEPOSIT, "the deposit pays the wasted work"
    assert balances.free_balance(state, arena.treasury.ADDRESS_) == fund_before
    [cancelled] = logs_of([applied], arena.TaskCancelled)
    fails(d.act(1, "advance", 0), arena.NothingToAdvance)


def test_every_call_refuses_bad_input_with_its_error():
    d = ArenaDriver(MemoryChain())
    d.stake_all(trainers=(1,), validators=(4,))
    d.bond((8,), amount=3_000 * UNIT)
    commitment = formats.compute_evaluation_commitment(EVALUATION, salt(0), address(0))
    create = lambda *args, value=DEPOSIT: d.act(0, "createTask", *args, value=value)
    fails(create("", b"\x01" * 32, commitment, [4] * 4, 1, STAKE), arena.InvalidTaskConfig)
    fails(create("mlp", b"\x00" * 32, commitment, [4] * 4, 1, STAKE), arena.InvalidTaskConfig)
    fails(create("mlp", b"\x01" * 32, b"\x00" * 32, [4] * 4, 1, STAKE), arena.InvalidTaskConfig)
    fails(create("mlp", b"\x01" * 32, commitment, [4, 0, 4, 4], 1, STAKE), arena.InvalidTaskConfig)
    fails(create("mlp", b"\x01" * 32, commitment, [4] * 4, 2, STAKE), arena.InvalidTaskConfig)
    fails(create("mlp", b"\x01" * 32, commitment, [4] * 4, 3, STAKE, value=DEPOSIT - 1), arena.DepositRequired)
    fails(d.act(0, "join", 7), arena.UnknownTask)
    ok(d.create(bounty=0, min_stake=4_000 * UNIT))
    fails(d.act(0, "join", 0), arena.CreatorCannotJoin)
    fails(d.act(9, "join", 0), arena.NoStakingRole)
    fails(d.act(1, "join", 0), arena.NotEnoughStake)
    ok(d.create(bounty=0, windows=(12, 12, 6, 6)))
    ok(d.act(1, "join", 1))
    fails(d.act(1, "join", 1), arena.AlreadyJoined)
    ok(d.act(4, "join", 1))
    fails(d.act(4, "commitSubmission", 1, b"\x01" * 32), arena.NotInRole)
    fails(d.act(0, "fund", 1), arena.ZeroAmount)
    ok(d.commit_models(1, {1: model_hash(1)}))
    fails(d.act(1, "revealSubmission", 1, model_hash(1), salt(1)), arena.WrongPhase)
    fails(d.act(4, "commitScores", 1, b"\x01" * 32), arena.WrongPhase)
    d.to_deadline(1, formats.SUBMIT)
    fails(d.act(8, "join", 1), arena.WrongPhase)
    fails(d.act(1, "commitSubmission", 1, b"\x01" * 32), arena.WrongPhase)
    fails(d.act(1, "revealSubmission", 1, model_hash(2), salt(1)), arena.CommitmentMismatch)
    fails(d.act(4, "revealSubmission", 1, model_hash(1), salt(1)), arena.NotCommitted)
    ok(d.reveal_models(1, {1: model_hash(1)}))
    fails(d.act(1, "revealSubmission", 1, model_hash(1), salt(1)), arena.AlreadyRevealed)
    fails(d.act(1, "revealEvaluationSet", 1, EVALUATION, salt(0)), arena.NotCreator)
    fails(d.act(0, "revealEvaluationSet", 1, EVALUATION, salt(5)), arena.CommitmentMismatch)
    ok(d.reveal_evaluation(1))
    fails(d.act(0, "advance", 1), arena.NothingToAdvance)
    d.to_deadline(1, formats.REVEAL)
    fails(d.act(4, "commitScores", 1, b"\x01" * 32), arena.WrongPhase)
    ok(d.act(0, "advance", 1))
    fails(d.act(1, "commitScores", 1, b"\x01" * 32), arena.NotAssigned)
    ok(d.act(4, "commitScores", 1, formats.compute_scores_commitment([5], salt(104), address(4))))
    fails(d.act(4, "commitScores", 1, b"\x01" * 32), arena.AlreadyCommitted)
    d.to_deadline(1, formats.SCORE_COMMIT)
    fails(d.act(4, "revealScores", 1, [5, 6], salt(104)), arena.WrongScoreCount)
    fails(d.act(4, "revealScores", 1, [6], salt(104)), arena.CommitmentMismatch)
    ok(d.act(4, "revealScores", 1, [5], salt(104)))
    fails(d.act(1, "releaseVested", 1), arena.NothingToRelease)
    fails(d.act(1, "verifyTask", 1), arena.system.NotRoot)


def test_a_finished_tasks_winner_seeds_an_fl_alliance_task():
    d = staked()
    fails(d.act(0, "createAllianceTask", 0, "sklearn:digits", 2, 1, 1, [4] * 5, STAKE), arena.NoWinner)
    d.run_task(0, {i: model_hash(i) for i in TRAINERS}, honest)
    assert arena.get_winner(d.state(), 0) == model_hash(2)
    applied = d.act(8, "createAllianceTask", 0, "sklearn:digits", 2, 1, 1, [4] * 5, STAKE, value=50 * UNIT)
    ok(applied)
    [seeded] = logs_of([applied], arena.AllianceSeeded)
    [created] = logs_of([applied], alliance.TaskCreated)
    state = d.state()
    spec = alliance.get_spec(state, 0)
    assert (spec.initial_model, spec.creator) == (model_hash(2), address(8))
    assert alliance.GlobalModel.get(state, 0) == model_hash(2) and alliance.TaskModelKind.get(state, 0) == b"mlp:digits"
    assert balances.free_balance(state, alliance.compute_task_account(0)) == 50 * UNIT
    assert arena.view_alliance_seed(state, 0) == (True, 0) and arena.view_alliance_seed(state, 1) == (False, 0)
    fails(d.act(8, "createAllianceTask", 0, "", 2, 1, 1, [4] * 5, STAKE), alliance.InvalidTaskConfig)


def test_a_model_nobody_can_score_is_not_ranked_or_paid_and_silent_validators_are_reported():
    d = staked()
    junk = address(3)
    d.run_task(0, {i: model_hash(i) for i in TRAINERS},
               lambda v, t: arena.WORST_LOSS if t == junk else TRUE_LOSS[t])
    results = {s.trainer: r for s, r in zip(arena.Submissions.get(d.state(), 0), arena.Results.get(d.state(), 0))}
    assert (results[junk].rank, results[junk].reward) == (0, 0), "the worst loss is no rank"
    assert results[address(2)].rank == 1 and arena.get_winner(d.state(), 0) == model_hash(2)

    d2 = staked()
    d2.block(*(d2.call(i, "join", 0) for i in TRAINERS + VALIDATORS))
    d2.commit_models(0, {1: model_hash(1)})
    d2.to_deadline(0, formats.SUBMIT)
    d2.reveal_models(0, {1: model_hash(1)})
    d2.reveal_evaluation(0)
    d2.to_deadline(0, formats.REVEAL)
    ok(d2.act(CREATOR, "advance", 0))
    assigned = [v for v in VALIDATORS if d2.assignment(0, v)]
    d2.to_deadline(0, formats.SCORE_REVEAL)
    ok(d2.act(CREATOR, "advance", 0))
    assert sorted(r.offender for r in slashes(d2)) == sorted(address(v) for v in assigned), \
        "assigned and never committed: unavailable"


def test_vesting_keeps_its_period_when_governance_changes_the_parameter():
    d = staked()
    d.run_task(0, {i: model_hash(i) for i in TRAINERS}, honest)
    record = arena.Vesting.get(d.state(), arena.participant_key(0, address(2)))
    d.chain.author([], timestamp=record.start + 20 * 86_400)
    ok(d.act(2, "releaseVested", 0))
    ok(d.root_block("setParameter", "VestingSeconds", 4 * 365 * 86_400))
    assert arena.view_vesting(d.state(), 0, address(2))[2] >= 0
    d.chain.author([], timestamp=record.start + 31 * 86_400)
    ok(d.act(2, "releaseVested", 0))
    assert arena.Vesting.get(d.state(), arena.participant_key(0, address(2))).released == record.total


def test_vesting_releases_linearly_after_the_end():
    d = staked()
    d.run_task(0, {i: model_hash(i) for i in TRAINERS}, honest)
    record = arena.Vesting.get(d.state(), arena.participant_key(0, address(2)))
    pending = rewards.PendingRewards.get(d.state(), address(2))
    half = record.start + 15 * 86_400
    outcome, _ = d.chain.author([], timestamp=half)
    [applied] = d.block(d.call(2, "releaseVested", 0))
    assert applied.receipt.status == 1
    released = arena.Vesting.get(d.state(), arena.participant_key(0, address(2))).released
    elapsed = d.chain.head.timestamp - record.start
    assert released == record.total * elapsed // (30 * 86_400)
    assert rewards.PendingRewards.get(d.state(), address(2)) == pending + released
    d.chain.author([], timestamp=record.start + 31 * 86_400)
    ok(d.act(2, "releaseVested", 0))
    assert arena.Vesting.get(d.state(), arena.participant_key(0, address(2))).released == record.total
    fails(d.act(2, "releaseVested", 0), arena.NothingToRelease)


def test_verified_tasks_take_the_arena_share_of_emissions():
    d = staked()
    d.block(*(d.call(i, "join", 0) for i in TRAINERS + VALIDATORS))
    assert not rewards.is_pool_managed(d.state(), rewards.AI_ARENA), "unverified: no emission"
    ok(d.root_block("verifyTask", 0))
    assert rewards.get_pool_stake(d.state(), rewards.AI_ARENA) == 7 * STAKE
    account = arena.compute_task_account(0)
    before = balances.free_balance(d.state(), account)
    d.block(slot=randomness.EpochLength.get(d.state()))
    state = d.state()
    emitted = rewards.EmissionOf.get(state, 1)
    gained = balances.free_balance(state, account) - before
    assert 0 < gained <= emitted.amount - emitted.protocol_fee
    ok(d.root_block("unverifyTask", 0))
    assert not rewards.is_pool_managed(d.state(), rewards.AI_ARENA)


# The rules as properties

@given(st.integers(0, 10**30), st.integers(0, 10**30), st.integers(0, 10**30), st.integers(0, 500_000))
def test_the_trainer_pot_follows_the_published_split(pot, trainers, validators, gamma):
    n = arena.compute_trainer_pot(pot, trainers, validators, gamma)
    if trainers + validators == 0:
        assert n == 0
        return
    exact = Fraction(pot) * (Fraction(gamma, 10**6) + Fraction(10**6 - 2 * gamma, 10**6) * Fraction(trainers, trainers + validators))
    assert exact - 1 < n <= exact <= pot


@given(st.integers(1, 64), st.integers(1, 10**6))
def test_rank_factors_never_increase(count, ratio):
    factors = arena.compute_rank_factors(count, ratio)
    assert len(factors) == count and factors[0] == 10**18
    assert all(b <= a for a, b in zip(factors, factors[1:]))


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 2**40), min_size=3, max_size=3), st.lists(st.integers(0, 2**40), min_size=4, max_size=4),
       st.integers(0, 2_000 * UNIT))
def test_random_reports_conserve_the_pot(true_losses, noise, bounty):
    """Payouts never exceed the pot; paid + vesting + refund is exactly what the task held."""
    d = staked(bounty=bounty)
    account = arena.compute_task_account(0)
    held = balances.free_balance(d.state(), account)
    losses = dict(zip((address(i) for i in TRAINERS), true_losses))
    d.run_task(0, {i: model_hash(i) for i in TRAINERS},
               lambda v, t: losses[t] + (noise[VALIDATORS.index(v)] if v == VALIDATORS[0] else 0))
    state = d.state()
    paid_trainers = sum(r.reward for r in arena.Results.get(state, 0))
    paid_validators = sum(arena.ValidatorOutcome.get(state, arena.participant_key(0, address(v))).reward
                          for v in VALIDATORS if arena.ValidatorOutcome.get(state, arena.participant_key(0, address(v))))
    [finished] = logs_of([d.finished], arena.TaskFinished)
    paid, vesting, refunded = (int.from_bytes(finished.data[i:i + 32], "big") for i in (32, 64, 96))
    assert paid_trainers + paid_validators == paid + vesting <= held - DEPOSIT, "payouts never exceed the pot"
    assert paid + vesting + refunded == held and balances.free_balance(state, account) == vesting
