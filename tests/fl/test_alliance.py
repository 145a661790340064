"""fl_alliance (spec/modules/fl_alliance.md): a round end to end, each offence, timeouts, every error,
and random rounds under every module's invariants."""

import copy

import pytest
from eth_abi import decode as abi_decode
from hypothesis import given, settings
from hypothesis import strategies as st

from fl_module import alliance
from runtime.crypto import keccak256
from runtime.modules import balances, gmflock, randomness, rewards, slashing, staking, system
from runtime.sampling import sample
from tests.runtime.harness import SPEC, MemoryChain

from .alliance_driver import BAD, GOOD, POISON, STAKE, UNIT, AllianceDriver, address, logs_of, salt, update_hash

PARTICIPANTS = range(6)


def running_task(rounds=3, proposers=2, voters=3, bounty=90 * UNIT, phases=(4, 4, 4, 4, 4)):
    d = AllianceDriver(MemoryChain())
    d.bond(PARTICIPANTS)
    d.create_task(rounds=rounds, proposers=proposers, voters=voters, bounty=bounty, phases=phases)
    d.join(0, PARTICIPANTS)
    assert d.progress(0).status == alliance.RUNNING
    return d


def statuses(applied):
    return [(a.receipt.status, a.revert_data[:4]) for a in applied]


def ok(applied):
    assert all(a.receipt.status == 1 for a in applied), statuses(applied)
    return applied


def fails(applied, error):
    assert statuses(applied) == [(0, error.selector)], statuses(applied)


def slashes(d):
    return [slashing.get_slash(d.state(), i) for i in range(slashing.SlashCount.get(d.state()))]


def test_task_waits_for_enough_participants_then_draws_roles_from_vrf_randomness():
    d = AllianceDriver(MemoryChain())
    d.bond(PARTICIPANTS)
    ok(d.create_task(proposers=2, voters=3))
    ok(d.join(0, range(4)))
    assert d.progress(0).status == alliance.WAITING
    applied = ok(d.join(0, [4]))
    assert d.progress(0) == alliance.TaskProgress(alliance.RUNNING, 0, alliance.COMMIT, d.chain.head.number + 4, 0)
    [started] = logs_of(applied, alliance.RoundStarted)
    state = d.state()
    candidates = [(address(i), STAKE) for i in range(5)]
    seed = randomness.Randomness.get(state)
    proposers = sample(randomness.compute_role_seed(seed, 0, 0, b"proposer"), candidates, 2)
    rest = [c for c in candidates if c[0] not in proposers]
    voters = sample(randomness.compute_role_seed(seed, 0, 0, b"voter"), rest, 3)
    assert [w for w, _ in alliance.get_members(state, 0, 0)[0]] == proposers
    assert [w for w, _ in alliance.get_members(state, 0, 0)[1]] == voters
    assert abi_decode(["address[]", "address[]", "uint64"], started.data)[:2] == \
        (tuple("0x" + w.hex() for w in proposers), tuple("0x" + w.hex() for w in voters))
    assert rewards.PoolStake.get(state, rewards.FL_ALLIANCE) is None, "an unverified task earns no emission"
    [verified] = ok(d.root_block("verifyTask", 0))
    assert logs_of([verified], alliance.TaskVerified)
    assert rewards.get_pool_stake(d.state(), rewards.FL_ALLIANCE) == 5 * STAKE


def test_a_365_day_lock_is_drawn_3_01_times_as_often_as_a_30_day_lock_of_the_same_flock():
    """Three bonded participants: 3,000 FLOCK locked 365 days, 3,000 locked 30 days, no lock. The draw
    weighs 9,030 : 3,000 : 3,000 (staking.md, Weight); over 20,000 role seeds the proposer counts match
    (chi-square, 2 degrees of freedom, p > 0.001) and the 365/30 ratio is 3.01 within 4 standard errors."""
    d = AllianceDriver(MemoryChain())
    d.bond(range(3))
    ok(d.block((0, gmflock.MODULE, "lock", (365,), STAKE), (1, gmflock.MODULE, "lock", (30,), STAKE)))
    ok(d.create_task(proposers=1, voters=2))
    joined = logs_of(ok(d.join(0, range(3))), alliance.Joined)
    weights = [9_030 * UNIT, STAKE, STAKE]
    assert [int.from_bytes(log.data, "big") for log in joined] == weights
    state = d.state()
    drawn = dict(alliance.get_members(state, 0, 0)[0] + alliance.get_members(state, 0, 0)[1])
    assert drawn == {address(i): weights[i] for i in range(3)}, "the round's draw weighed the same stakes"
    candidates = [(who, alliance.get_stake(state, who, STAKE)) for who in alliance.Participants.get(state, 0)]
    runs = 20_000
    counts = dict.fromkeys(map(address, range(3)), 0)
    for i in range(runs):
        seed = randomness.compute_role_seed(keccak256(i.to_bytes(8, "big")), 0, 0, b"proposer")
        counts[sample(seed, candidates, 1)[0]] += 1
    observed = [counts[address(i)] for i in range(3)]
    expected = [runs * w / sum(weights) for w in weights]
    statistic = sum((o - e) ** 2 / e for o, e in zip(observed, expected))
    assert statistic < 13.82, (statistic, observed)
    ratio = observed[0] / observed[1]
    standard_error = ratio * (1 / observed[0] + 1 / observed[1]) ** 0.5
    assert abs(ratio - 3.01) < 4 * standard_error, (ratio, standard_error, observed)
    print(f"365-day / 30-day draw frequency over {runs:,} seeds: {ratio:.3f} (± {standard_error:.3f}); {observed}")


def test_round_rewards_weigh_the_gmflock_lock_bonus():
    d = AllianceDriver(MemoryChain())
    d.bond(PARTICIPANTS)
    ok(d.block((0, gmflock.MODULE, "lock", (365,), STAKE), (1, gmflock.MODULE, "lock", (200,), 1_000 * UNIT)))
    ok(d.create_task(proposers=2, voters=3, bounty=90 * UNIT))
    d.join(0, PARTICIPANTS)
    proposers, voters, _ = d.run_round(0)
    state = d.state()
    weight = {address(0): 9_030 * UNIT, address(1): STAKE + 1_000 * UNIT * 219 * 170 // 36_500}
    reward = 30 * UNIT
    proposer_part = reward * alliance.ProposerSharePerMillion.get(state) // 1_000_000
    drawn_proposers, drawn_voters = alliance.get_members(state, 0, 0)
    for members, drawn, part in ((proposers, drawn_proposers, proposer_part),
                                 (voters, drawn_voters, reward - proposer_part)):
        stakes = [weight.get(address(i), STAKE) for i in members]
        assert [w for _, w in drawn] == stakes, "drawn at their weights"
        for i, stake in zip(members, stakes):
            assert rewards.PendingRewards.get(state, address(i)) == part * stake // sum(stakes)


def test_a_round_end_to_end_accepts_updates_sets_the_model_and_pays():
    d = running_task()
    pool = alliance.compute_task_account(0)
    assert balances.free_balance(d.state(), pool) == 90 * UNIT
    proposers, voters, applied = d.run_round(0)
    state = d.state()
    assert alliance.GlobalModel.get(state, 0) == b"\x42" * 32
    result = alliance.RoundOutcome.get(state, alliance.round_key(0, 0))
    assert (result.status, result.reward) == (alliance.ROUND_COMPLETED, 30 * UNIT)
    assert [t.outcome for t in alliance.Tally.get(state, alliance.round_key(0, 0))] == [alliance.ACCEPTED] * 2
    assert balances.free_balance(state, pool) == 60 * UNIT
    assert [rewards.PendingRewards.get(state, address(i)) for i in proposers + voters] == \
        [15 * UNIT // 2] * 2 + [5 * UNIT] * 3
    assert d.progress(0).round == 1 and d.progress(0).phase == alliance.COMMIT
    assert logs_of(applied, alliance.RoundStarted)
    assert not slashes(d)


def test_reward_split_follows_the_proposer_share():
    d = running_task(bounty=120 * UNIT)
    proposers, voters, _ = d.run_round(0)
    state = d.state()
    round_reward = 40 * UNIT
    for i in proposers:
        assert rewards.PendingRewards.get(state, address(i)) == round_reward // 2 // 2
    for i in voters:
        assert rewards.PendingRewards.get(state, address(i)) == round_reward // 2 // 3


def test_a_poisoned_update_slashes_its_proposer_and_a_lazy_voter_far_from_the_medians():
    """Two voters score update 0 at 3× the global model's loss, the lazy one scores everything 0: the median is
    3×, so the update is poisoned; the lazy voter is far from the median on both updates (false validation)."""
    d = running_task()
    proposers, voters = d.roles(0)
    bad = proposers[0]
    lazy = voters[0]
    scores = lambda voter, n: [0, 0] if voter == lazy else [POISON, GOOD]
    _, _, applied = d.run_round(0, scores_for=scores, labels={bad: "poisoned"})
    state = d.state()
    tally = alliance.Tally.get(state, alliance.round_key(0, 0))
    assert tally == (alliance.UpdateTally(POISON, POISON, 2 * STAKE, alliance.POISONED),
                     alliance.UpdateTally(GOOD, GOOD, 2 * STAKE, alliance.ACCEPTED)), "the second pass leaves the lazy out"
    reported = {(s.offender, s.kind) for s in slashes(d)}
    assert reported == {(address(bad), slashing.POISONED_UPDATE), (address(lazy), slashing.FALSE_VALIDATION)}
    pool = alliance.compute_task_account(0)
    assert all(s.beneficiary == pool and s.reporter == pool for s in slashes(d))
    assert {log.topics[3][12:] for log in logs_of(applied, alliance.Penalized)} == {address(bad), address(lazy)}
    assert rewards.PendingRewards.get(state, address(bad)) == 0
    assert rewards.PendingRewards.get(state, address(lazy)) == 0, "an outlier earns nothing"
    assert all(rewards.PendingRewards.get(state, address(v)) == 15 * UNIT // 2 for v in voters[1:])
    before = balances.free_balance(state, pool)
    epoch_length = randomness.EpochLength.get(state)
    d.block(slot=(slashing.DeferralEpochs.get(state) + 1) * epoch_length)
    state = d.state()
    assert staking.Bonded.get(state, address(bad)) < STAKE
    assert balances.free_balance(state, pool) > before, "slashes go back to the task's pool"


def test_a_rejection_is_never_slashed_and_one_dissent_is_no_outlier():
    d = running_task(voters=3)
    d.run_round(0, scores_for=lambda voter, n: [BAD, GOOD])
    tally = alliance.Tally.get(d.state(), alliance.round_key(0, 0))
    assert [t.outcome for t in tally] == [alliance.REJECTED, alliance.ACCEPTED], "worse than the global model"
    assert not slashes(d)
    d2 = running_task(voters=3)
    _, voters2 = d2.roles(0)
    d2.run_round(0, scores_for=lambda voter, n: [POISON, GOOD] if voter == voters2[0] else [BAD, GOOD])
    tally2 = alliance.Tally.get(d2.state(), alliance.round_key(0, 0))
    assert [t.outcome for t in tally2] == [alliance.REJECTED, alliance.ACCEPTED], "one poison score of three"
    assert not slashes(d2), "far from the median on one update of two: not an outlier"


def test_acceptance_and_poison_each_need_more_than_half_of_the_stake():
    d = running_task(voters=3, proposers=1)
    _, voters = d.roles(0)
    d.run_round(0, scores_for=lambda voter, n: [BAD] if voter == voters[0] else [GOOD])
    assert [t.outcome for t in alliance.Tally.get(d.state(), alliance.round_key(0, 0))] == [alliance.ACCEPTED]
    d2 = running_task(voters=4, proposers=1)
    _, voters2 = d2.roles(0)
    d2.run_round(0, scores_for=lambda voter, n: [GOOD] if voter in voters2[:2] else [BAD])
    tally2 = alliance.Tally.get(d2.state(), alliance.round_key(0, 0))
    assert [t.outcome for t in tally2] == [alliance.REJECTED], "half below 1: not accepted"
    assert alliance.RoundOutcome.get(d2.state(), alliance.round_key(0, 0)).status == alliance.ROUND_NONE_ACCEPTED
    d3 = running_task(voters=4, proposers=1)
    _, voters3 = d3.roles(0)
    d3.run_round(0, scores_for=lambda voter, n: [POISON] if voter in voters3[:2] else [BAD])
    assert [t.outcome for t in alliance.Tally.get(d3.state(), alliance.round_key(0, 0))] == [alliance.REJECTED]
    assert not slashes(d3), "half found it poisonous: nobody is slashed"
    d4 = running_task(voters=3, proposers=1)
    _, voters4 = d4.roles(0)
    d4.run_round(0, scores_for=lambda voter, n: [BAD] if voter == voters4[0] else [POISON])
    assert [t.outcome for t in alliance.Tally.get(d4.state(), alliance.round_key(0, 0))] == [alliance.POISONED]


def test_under_peer_review_an_update_within_the_round_s_tolerance_is_accepted():
    """Updates scored 1.40, 1.50 and 1.559999 (above AcceptBelow, 1.3): under peer review, within 1.2 × the round's
    median (taken at most 1.3, so 1.56) they are accepted; not in a classic round (voters drawn apart from proposers),
    nor on a chain whose genesis sets acceptWithinPerMillion 0."""
    def play(voters, spec=SPEC):
        d = AllianceDriver(MemoryChain(spec))
        d.bond(PARTICIPANTS)
        d.create_task(rounds=3, proposers=3, voters=voters, bounty=90 * UNIT)
        d.join(0, PARTICIPANTS)
        d.run_round(0, scores_for=lambda voter, n: [1_400_000, 1_500_000, 1_559_999][:n])
        return [t.outcome for t in alliance.Tally.get(d.state(), alliance.round_key(0, 0))]

    assert play(voters=0) == [alliance.ACCEPTED] * 3
    assert play(voters=3) == [alliance.REJECTED] * 3
    off = copy.deepcopy(SPEC)
    off["genesis"]["runtime"].setdefault(alliance.NAME, {})["acceptWithinPerMillion"] = 0
    assert play(voters=0, spec=off) == [alliance.REJECTED] * 3


def test_commit_without_reveal_is_slashed_for_unavailability_and_the_deadline_needs_advance():
    d = running_task()
    proposers, voters = d.roles(0)
    ok(d.commit_updates(0, proposers))
    ok(d.reveal_updates(0, proposers[:1]))
    fails(d.block(d.call(5, "advance", 0)), alliance.NothingToAdvance)
    d.pass_deadline(0)
    applied = ok(d.block(d.call(5, "advance", 0)))
    assert d.progress(0).phase == alliance.VOTE_COMMIT
    assert [(s.offender, s.kind) for s in slashes(d)] == [(address(proposers[1]), slashing.UNAVAILABILITY)]
    assert logs_of(applied, alliance.PhaseChanged)
    assert [u.proposer for u in alliance.RevealedUpdates.get(d.state(), alliance.round_key(0, 0))] == \
        [address(proposers[0])]


def test_a_round_nobody_acts_in_times_out_and_keeps_the_model():
    d = running_task()
    model = alliance.GlobalModel.get(d.state(), 0)
    d.pass_deadline(0)
    applied = ok(d.block(d.call(5, "advance", 0)))
    state = d.state()
    assert alliance.RoundOutcome.get(state, alliance.round_key(0, 0)).status == alliance.ROUND_TIMED_OUT
    assert alliance.GlobalModel.get(state, 0) == model and d.progress(0).round == 1
    assert logs_of(applied, alliance.RoundCompleted) and logs_of(applied, alliance.RoundStarted)
    assert rewards.PendingRewards.get(state, address(0)) == 0


def test_too_few_vote_reveals_time_out_without_a_tally():
    d = running_task()
    proposers, voters = d.roles(0)
    d.commit_updates(0, proposers)
    d.reveal_updates(0, proposers)
    d.commit_scores(0, {v: [GOOD, GOOD] for v in voters})
    d.reveal_scores(0, {voters[0]: [GOOD, GOOD]})
    d.pass_deadline(0)
    ok(d.block(d.call(5, "advance", 0)))
    state = d.state()
    assert alliance.RoundOutcome.get(state, alliance.round_key(0, 0)).status == alliance.ROUND_TIMED_OUT
    assert not alliance.Tally.get(state, alliance.round_key(0, 0))
    assert sorted(s.offender for s in slashes(d)) == sorted(address(v) for v in voters[1:])


def test_aggregate_deadline_takes_the_most_staked_hash_or_times_out():
    d = running_task()
    proposers, voters = d.vote_to_aggregate(0)
    members = proposers + voters
    d.submit_aggregate(0, members[:2], b"\x01" * 32)
    d.submit_aggregate(0, members[2:3], b"\x02" * 32)
    assert d.progress(0).phase == alliance.AGGREGATE
    fails(d.block(d.call(members[0], "submitAggregate", 0, b"\x03" * 32, GOOD)), alliance.AlreadySubmitted)
    d.pass_deadline(0)
    ok(d.block(d.call(5, "advance", 0)))
    assert alliance.GlobalModel.get(d.state(), 0) == b"\x01" * 32


def test_the_aggregate_check_keeps_the_global_model_unless_most_of_its_stake_finds_the_aggregate_better():
    """The winning hash becomes the global model only when more than half of the stake that submitted it scored
    it below 10⁶; the scores of members who submitted another hash do not count."""
    for scores, adopted in (([GOOD, GOOD, BAD, BAD, BAD], False), ([GOOD, GOOD, GOOD, BAD, BAD], True),
                            ([GOOD, GOOD, BAD, BAD], False), ([GOOD, GOOD, GOOD, BAD], True),
                            ([0, GOOD, GOOD, POISON, alliance.SCORE_UNUSABLE], True)):
        d = running_task()
        model = alliance.GlobalModel.get(d.state(), 0)
        proposers, voters = d.vote_to_aggregate(0)
        members = proposers + voters
        reward = alliance.RoundOutcome.get(d.state(), alliance.round_key(0, 0)).reward
        ok(d.block(*(d.call(member, "submitAggregate", 0, b"\x09" * 32, score)
                      for member, score in zip(members, scores)),
                   *(d.call(member, "submitAggregate", 0, b"\x0a" * 32, 0) for member in members[len(scores):])))
        result = alliance.RoundOutcome.get(d.state(), alliance.round_key(0, 0))
        expected = alliance.ROUND_COMPLETED if adopted else alliance.ROUND_AGGREGATE_REJECTED
        assert (result.status, result.reward) == (expected, reward), scores
        assert alliance.GlobalModel.get(d.state(), 0) == (b"\x09" * 32 if adopted else model)
        assert alliance.view_member(d.state(), 0, 0, address(members[0]))[5:] == (b"\x09" * 32, scores[0])


def test_members_reported_for_false_validation_do_not_count_in_the_aggregate_check():
    """A lazy voter (every update scored 0) is far from the medians and reported; its unusable score of the
    aggregate is then left out: 3 GOOD and 2 BAD of the 5 counted members adopt the model, where 3 of all 6
    would not be more than half."""
    for lazy_counts in (False, True):
        d = running_task(voters=4)
        proposers, voters = d.roles(0)
        lazy, dissenters = voters[0], {voters[1], proposers[0]}
        d.commit_updates(0, proposers)
        d.reveal_updates(0, proposers)
        cards = {v: ([0, 0] if v == lazy and not lazy_counts else [GOOD, GOOD]) for v in voters}
        d.commit_scores(0, cards)
        d.reveal_scores(0, cards)
        assert alliance.get_false_validators(d.state(), 0, 0) == (set() if lazy_counts else {address(lazy)})
        aggregate_scores = {m: alliance.SCORE_UNUSABLE if m == lazy else BAD if m in dissenters else GOOD
                            for m in proposers + voters}
        ok(d.block(*(d.call(m, "submitAggregate", 0, b"\x09" * 32, score) for m, score in aggregate_scores.items())))
        status = alliance.RoundOutcome.get(d.state(), alliance.round_key(0, 0)).status
        assert status == (alliance.ROUND_AGGREGATE_REJECTED if lazy_counts else alliance.ROUND_COMPLETED)


def test_the_last_round_finishes_the_task_and_sweeps_the_pool():
    d = running_task(rounds=2, bounty=91 * UNIT)
    d.run_round(0)
    _, _, applied = d.run_round(0, aggregate=b"\x43" * 32)
    state = d.state()
    assert d.progress(0).status == alliance.FINISHED
    assert alliance.ActiveTasks.get(state) == ()
    assert balances.free_balance(state, alliance.compute_task_account(0)) == 0
    [finished] = logs_of(applied, alliance.TaskFinished)
    assert abi_decode(["bytes32", "uint256"], finished.data)[0] == b"\x43" * 32
    assert rewards.PoolStake.get(state, rewards.FL_ALLIANCE) is None, "no active task: the pool goes back"
    fails(d.block(d.call(0, "join", 0)), alliance.TaskNotActive)


def test_emission_reaches_verified_tasks_pools_at_the_epoch_boundary():
    d = running_task()
    ok(d.root_block("verifyTask", 0))
    pool = alliance.compute_task_account(0)
    before = balances.free_balance(d.state(), pool)
    d.block(slot=randomness.EpochLength.get(d.state()))
    state = d.state()
    emitted = rewards.EmissionOf.get(state, 1)
    assert emitted and emitted.amount > 0
    gained = balances.free_balance(state, pool) - before
    net = emitted.amount - emitted.protocol_fee
    task_pools = net - net * rewards.MarketplacePerMillion.default // 1_000_000
    assert 0 < gained <= task_pools
    assert rewards.PoolBalance.get(state, rewards.FL_ALLIANCE) == task_pools - gained


def test_only_verified_tasks_earn_emission_and_the_bounty_pays_either_way():
    d = running_task()
    d.run_round(0)
    result = alliance.RoundOutcome.get(d.state(), alliance.round_key(0, 0))
    assert result.status == alliance.ROUND_COMPLETED and result.reward > 0, "the bounty pays unverified"
    pool, epoch_length = alliance.compute_task_account(0), randomness.EpochLength.get(d.state())
    before = balances.free_balance(d.state(), pool)
    d.block(slot=epoch_length)
    assert balances.free_balance(d.state(), pool) == before, "unverified: no emission"
    assert rewards.PoolBalance.get(d.state(), rewards.FL_ALLIANCE) < 100, "the share went to stakers (but dust)"
    fails(d.block(d.call(1, "verifyTask", 0)), system.NotRoot)
    fails(d.root_block("unverifyTask", 0), alliance.TaskNotVerified)
    fails(d.root_block("verifyTask", 7), alliance.UnknownTask)
    ok(d.root_block("verifyTask", 0))
    fails(d.root_block("verifyTask", 0), alliance.TaskAlreadyVerified)
    assert alliance.get_earning_tasks(d.state()) == [0]
    d.block(slot=2 * epoch_length)
    verified = balances.free_balance(d.state(), pool)
    assert verified > before
    [unverified] = ok(d.root_block("unverifyTask", 0))
    assert logs_of([unverified], alliance.TaskUnverified)
    d.block(slot=3 * epoch_length)
    assert balances.free_balance(d.state(), pool) == verified


def test_errors_of_every_call():
    d = running_task(phases=(30, 30, 30, 30, 30))
    proposers, voters = d.roles(0)
    p, v = proposers[0], voters[0]
    h, s = update_hash(p, 0), keccak256(b"s")
    fails(d.block(d.call(0, "createTask", "", "sklearn:digits", b"\x01" * 32, 1, 1, 1, [1] * 5, 0)),
          alliance.InvalidTaskConfig)
    fails(d.block(d.call(0, "createTask", "mlp", "sklearn:digits", b"\x00" * 32, 1, 1, 1, [1] * 5, 0)),
          alliance.InvalidTaskConfig)
    fails(d.block(d.call(0, "createTask", "mlp", "d", b"\x01" * 32, 1, 1, 1, [0, 1, 1, 1, 1], 0)),
          alliance.InvalidTaskConfig)
    fails(d.block(d.call(0, "join", 7)), alliance.UnknownTask)
    fails(d.block(d.call(0, "join", 0)), alliance.AlreadyJoined)
    fails(d.block(d.call(7, "join", 0)), alliance.NotEnoughStake)
    fails(d.block(d.call(7, "leave", 0)), alliance.NotParticipant)
    fails(d.block(d.call(0, "fund", 0)), alliance.ZeroAmount)
    fails(d.block(d.call(v, "commitUpdate", 0, h)), alliance.NotInRole)
    fails(d.block(d.call(p, "revealUpdate", 0, h, s)), alliance.WrongPhase)
    fails(d.block(d.call(v, "commitScores", 0, h)), alliance.WrongPhase)
    fails(d.block(d.call(p, "submitAggregate", 0, h, GOOD)), alliance.WrongPhase)
    fails(d.block(d.call(0, "sweep", 0)), alliance.TaskNotFinished)
    ok(d.block(d.call(p, "commitUpdate", 0, alliance.compute_update_commitment(h, s, address(p)))))
    fails(d.block(d.call(p, "commitUpdate", 0, h)), alliance.AlreadyCommitted)
    d.pass_deadline(0)
    fails(d.block(d.call(proposers[1], "commitUpdate", 0, h)), alliance.PhaseClosed)
    ok(d.block(d.call(5, "advance", 0)))
    fails(d.block(d.call(p, "revealUpdate", 0, update_hash(p, 1), s)), alliance.CommitmentMismatch)
    fails(d.block(d.call(proposers[1], "revealUpdate", 0, h, s)), alliance.NotCommitted)
    ok(d.block(d.call(p, "revealUpdate", 0, h, s)))
    assert d.progress(0).phase == alliance.VOTE_COMMIT, "the only committer revealed: the phase ended early"
    fails(d.block(d.call(p, "commitScores", 0, h)), alliance.NotInRole)
    ok(d.commit_scores(0, {x: [BAD] for x in voters[:1]}))
    d.pass_deadline(0)
    ok(d.block(d.call(5, "advance", 0)))
    fails(d.block(d.call(v, "revealScores", 0, [BAD, BAD], salt(v, 0))), alliance.InvalidScores)
    fails(d.block(d.call(v, "revealScores", 0, [], salt(v, 0))), alliance.InvalidScores)
    fails(d.block(d.call(v, "revealScores", 0, [GOOD], salt(v, 0))), alliance.CommitmentMismatch)
    fails(d.block(d.call(v, "revealScores", 0, [BAD], keccak256(b"other"))), alliance.CommitmentMismatch)
    fails(d.block(d.call(p, "submitAggregate", 0, h, GOOD)), alliance.WrongPhase)
    fails(d.block(d.call(8, "submitAggregate", 0, h, GOOD)), alliance.WrongPhase)


def test_leave_takes_effect_at_the_next_draw_and_too_few_participants_wait():
    d = running_task(rounds=3)
    ok(d.block(d.call(5, "leave", 0)))
    ok(d.block(d.call(4, "leave", 0)))
    d.pass_deadline(0)
    ok(d.block(d.call(0, "advance", 0)))
    assert d.progress(0).status == alliance.WAITING and d.progress(0).round == 1
    fails(d.block(d.call(0, "advance", 0)), alliance.NothingToAdvance)
    ok(d.join(0, [5]))
    assert d.progress(0).status == alliance.RUNNING and d.progress(0).round == 1


SCORES = st.sampled_from([0, GOOD, 999_999, 1_000_000, BAD, 1_999_999, 2_000_000, POISON, alliance.SCORE_UNUSABLE])


@given(st.lists(st.tuples(SCORES, st.integers(1, 10**30)), min_size=1, max_size=8), SCORES)
def test_a_majority_of_the_stake_decides_whatever_the_rest_report(others, agreed):
    """Voters holding more than half of an update's voting stake and agreeing on a score fix its outcome,
    in both passes, whatever the others (a minority) report — and the proposer's own score never counts."""
    proposer = bytes([0xEE]) * 20
    cards = [(bytes([i + 1]) * 20, stake, (score,)) for i, (score, stake) in enumerate(others)]
    cards.append((bytes([0x50]) * 20, sum(stake for _, stake in others) + 1, (agreed,)))
    cards.append((proposer, 10**40, (0,)))
    [entry] = alliance.compute_tally((alliance.RevealedUpdate(proposer, bytes(32)),), cards, 10**6, 0, 2 * 10**6,
                                     3 * 10**6)
    expected = (alliance.ACCEPTED if agreed < 10**6 else alliance.POISONED if agreed >= 2 * 10**6
                else alliance.REJECTED)
    assert entry.outcome == expected and entry.low_score == entry.high_score == agreed


@given(st.lists(st.lists(SCORES, min_size=3, max_size=3), min_size=1, max_size=6),
       st.lists(st.integers(1, 10**24), min_size=6, max_size=6))
def test_the_tally_orders_outcomes_by_score_and_pays_only_members_near_it(score_rows, stakes):
    updates = tuple(alliance.RevealedUpdate(bytes([0xE0 + i]) * 20, bytes(32)) for i in range(3))
    cards = [(bytes([i + 1]) * 20, stakes[i], tuple(row)) for i, row in enumerate(score_rows)]
    tally = alliance.compute_tally(updates, cards, 10**6, 0, 2 * 10**6, 3 * 10**6)
    for entry in tally:
        reported = {s for row in score_rows for s in row}
        assert entry.voting_stake > 0 and entry.low_score in reported and entry.high_score in reported
        assert entry.low_score <= entry.high_score
        assert (entry.outcome == alliance.ACCEPTED) == (entry.high_score < 10**6)
        assert (entry.outcome == alliance.POISONED) == (entry.low_score >= 2 * 10**6)
    weights = alliance.compute_voter_weights(updates, cards, tally, 3 * 10**6, 10**6)
    assert [who for who, _ in weights] == [who for who, _, _ in cards]
    for (who, stake, row), (_, weight) in zip(cards, weights):
        if all(entry.low_score <= score <= entry.high_score for score, entry in zip(row, tally)):
            assert weight == 3 * stake, "a member who reported every consensus score is paid in full"
        assert weight is None or 0 <= weight <= 3 * stake


def test_a_voter_who_also_rejects_a_bad_update_is_not_far_however_much_milder_its_score():
    """The round of diabetes, noise, seed 3 (this voter's scores and the consensus, read from a real run): it
    scored the three noise updates 1.97 against a consensus of 6.34 (3.2×) — both reject them — and was an
    outlier by magnitude alone. A lazy voter (all 0) and a colluder (accomplices 0, honest work unusable) stay
    outliers."""
    honest = [bytes([0xA0 + i]) * 20 for i in range(5)]
    bad = [bytes([0xB0 + i]) * 20 for i in range(3)]
    updates = tuple(alliance.RevealedUpdate(who, bytes(32)) for who in honest + bad)
    consensus = [650_000, 430_000, 570_000, 630_000, 680_000] + [6_342_000] * 3
    voter = bytes([0xA2]) * 20
    mild = (648_000, 92_000, 0, 651_000, 674_000, 1_972_000, 1_972_000, 1_972_000)
    lazy, colluder = bytes([0xB0]) * 20, bytes([0xB1]) * 20
    cards = [(who, 1, tuple(consensus)) for who in honest if who != voter] + [
        (voter, 1, mild), (lazy, 1, (0,) * 8), (colluder, 1, (alliance.SCORE_UNUSABLE,) * 5 + (0,) * 3)]
    tally = alliance.compute_tally(updates, cards, 1_300_000, 1_200_000, 3_000_000, 3_000_000)
    weights = dict(alliance.compute_voter_weights(updates, cards, tally, 3_000_000, 1_300_000))
    assert weights[voter] == 6, "far only on update 1 (0.092 against 0.43)"
    assert weights[lazy] is None and weights[colluder] is None
    assert alliance.is_far(1_972_000, 6_342_000, 6_342_000, 3_000_000, 7_000_000), "below the bound: magnitude"


ROUND_UPPERS = st.lists(st.integers(0, alliance.SCORE_UNUSABLE), min_size=1, max_size=12)


@given(ROUND_UPPERS, st.integers(1, 2_000_000), st.integers(0, 2 * 10**6), st.integers(0, 2**32 - 1))
def test_the_accept_bound_only_widens_acceptbelow_and_never_past_its_cap(uppers, accept_below, within, poison_at):
    poison_at = max(poison_at, accept_below)
    bound = alliance.compute_accept_bound(uppers, accept_below, within, poison_at)
    assert accept_below <= bound <= max(accept_below, min(poison_at, accept_below * within // 10**6))
    assert alliance.compute_accept_bound([], accept_below, within, poison_at) == accept_below


@given(st.lists(st.integers(1_084_000, 1_300_000), min_size=1, max_size=12),
       st.lists(st.integers(0, alliance.SCORE_UNUSABLE), max_size=11))
def test_the_bound_follows_the_lower_median_of_the_round_s_upper_scores(honest, hostile):
    """Where 1.2 × M lies above AcceptBelow the bound is exactly ⌊1.2 · M⌋, M the ⌈k/2⌉-th smallest of the k
    upper scores (checked by counting, not by sorting); fewer hostile updates than honest ones, whatever they
    score, leave it between the bounds with the hostile ones all 0 and all 2³²−1, and never above 1.56."""
    hostile = hostile[:len(honest) - 1]
    uppers = honest + hostile
    bound = lambda values: alliance.compute_accept_bound(values, 1_300_000, 1_200_000, 3_000_000)
    half = (len(uppers) + 1) // 2
    [middle] = [m for m in set(uppers) if sum(u <= m for u in uppers) >= half > sum(u < m for u in uppers)]
    if 1_084_000 <= middle <= 1_300_000:
        assert bound(uppers) == middle * 12 // 10
    low, high = bound(honest + [0] * len(hostile)), bound(honest + [alliance.SCORE_UNUSABLE] * len(hostile))
    assert 1_300_000 <= low <= bound(uppers) <= high <= 1_560_000


def test_an_even_round_takes_the_lower_median_and_an_update_without_reports_does_not_count():
    """Two updates with reports (1.1 and 1.35) and one whose only scorer is its own proposer: M is 1.1 (the lower
    of the two), so the bound is 1.32 and 1.35 is rejected; counting the unscored update (2³²−1) or taking the
    upper median would accept it."""
    a, b, c = (bytes([0xE0 + i]) * 20 for i in range(3))
    updates = tuple(alliance.RevealedUpdate(who, bytes(32)) for who in (a, b, c))
    cards = [(a, 1, (0, 1_100_000, 1_350_000))]
    tally = alliance.compute_tally(updates, cards, 1_300_000, 1_200_000, 3_000_000, 3_000_000)
    assert [entry.outcome for entry in tally] == [alliance.REJECTED, alliance.ACCEPTED, alliance.REJECTED]
    assert tally[0].voting_stake == 0 and alliance.compute_accept_bound([1_100_000, 1_350_000], 1_300_000,
                                                                        1_200_000, 3_000_000) == 1_320_000


@given(st.lists(st.lists(SCORES, min_size=3, max_size=3), min_size=1, max_size=6),
       st.sampled_from([1_560_000, 1_999_999, POISON]))
def test_an_update_every_voter_scores_at_the_cap_is_never_accepted(score_rows, agreed):
    """Whatever the round's other updates score, an update scored at or above 1.2 × AcceptBelow (the most the
    round's tolerance reaches) stays out of the aggregate, and one below AcceptBelow is always in."""
    updates = tuple(alliance.RevealedUpdate(bytes([0xE0 + i]) * 20, bytes(32)) for i in range(4))
    cards = [(bytes([i + 1]) * 20, 1, (agreed, *row)) for i, row in enumerate(score_rows)]
    tally = alliance.compute_tally(updates, cards, 1_300_000, 1_200_000, 3_000_000, 3_000_000)
    assert tally[0].outcome != alliance.ACCEPTED
    assert all(entry.outcome == alliance.ACCEPTED for entry in tally if entry.high_score < 1_300_000)


ROUND_PLAN = st.lists(st.tuples(
    st.lists(st.booleans(), min_size=2, max_size=2),   # proposer i commits
    st.lists(st.booleans(), min_size=2, max_size=2),   # … and reveals
    st.lists(st.lists(SCORES, min_size=2, max_size=2), min_size=3, max_size=3),  # voter j's scores
    st.lists(st.booleans(), min_size=3, max_size=3),   # voter j reveals
    st.booleans(),                                     # members agree on the aggregate
), min_size=1, max_size=3)


@settings(max_examples=10)
@given(ROUND_PLAN)
def test_random_rounds_keep_every_invariant_and_conserve_the_pool(plan):
    d = running_task(rounds=3)
    pool = alliance.compute_task_account(0)
    paid = 0
    for commits, reveals, score_rows, score_reveals, agree in plan:
        if d.progress(0).status != alliance.RUNNING:
            break
        round_ = d.progress(0).round
        proposers, voters = d.roles(0)
        reported_before = len(slashes(d))
        committing = [p for p, c in zip(proposers, commits) if c]
        d.commit_updates(0, committing)
        if d.progress(0).phase == alliance.COMMIT:
            d.pass_deadline(0)
            d.block(d.call(5, "advance", 0))
        if d.progress(0).round == round_ and d.progress(0).phase == alliance.REVEAL:
            d.reveal_updates(0, [p for p, r in zip(committing, reveals) if r])
            if d.progress(0).phase == alliance.REVEAL:
                d.pass_deadline(0)
                d.block(d.call(5, "advance", 0))
        if d.progress(0).round == round_ and d.progress(0).phase == alliance.VOTE_COMMIT:
            n = len(alliance.RevealedUpdates.get(d.state(), alliance.round_key(0, round_)))
            scores = {v: row[:n] for v, row in zip(voters, score_rows)}
            d.commit_scores(0, scores)
            d.reveal_scores(0, {v: row for (v, row), r in zip(scores.items(), score_reveals) if r})
            if d.progress(0).round == round_ and d.progress(0).phase == alliance.VOTE_REVEAL:
                d.pass_deadline(0)
                d.block(d.call(5, "advance", 0))
        if d.progress(0).round == round_ and d.progress(0).phase == alliance.AGGREGATE:
            members = proposers + voters
            if agree:
                d.submit_aggregate(0, members, b"\x07" * 32)
            else:
                d.pass_deadline(0)
                d.block(d.call(5, "advance", 0))
        outcome = alliance.RoundOutcome.get(d.state(), alliance.round_key(0, round_))
        assert outcome is not None and outcome.status != alliance.ROUND_RUNNING
        paid += outcome.reward
        if outcome.status == alliance.ROUND_COMPLETED:
            assert alliance.GlobalModel.get(d.state(), 0) == b"\x07" * 32
        for s in slashes(d)[reported_before:]:
            assert s.offender in {address(i) for i in proposers + voters}, "only this round's members"
    state = d.state()
    assert balances.free_balance(state, pool) + paid == 90 * UNIT or d.progress(0).status == alliance.FINISHED


def test_an_aggregate_phase_nobody_submits_to_times_out_but_records_what_the_tally_paid():
    d = running_task()
    proposers, voters = d.vote_to_aggregate(0)
    model = alliance.GlobalModel.get(d.state(), 0)
    d.pass_deadline(0)
    ok(d.block(d.call(5, "advance", 0)))
    result = alliance.RoundOutcome.get(d.state(), alliance.round_key(0, 0))
    assert (result.status, result.reward) == (alliance.ROUND_TIMED_OUT, 30 * UNIT)
    assert alliance.GlobalModel.get(d.state(), 0) == model
    assert balances.free_balance(d.state(), alliance.compute_task_account(0)) == 60 * UNIT


def test_peer_review_members_score_each_other_and_the_second_pass_undoes_what_colluders_and_a_lazy_hold():
    """A task with 0 voters: every proposer scores the others' updates (its score of its own counts for nothing).
    Of six, two colluders score each other 0 and everyone else unusable, a lazy member scores everything 0, one
    honest member finds the colluders' updates only slightly worse (BAD) and two find them poisonous. First
    pass: a colluder's update has [0, 0, BAD, POISON, POISON], median BAD: not poisoned. The colluders and the
    lazy member are far from the first medians on every update, so the second pass leaves them out: the
    colluders' updates are poisoned, every honestly trained one (the lazy member's too) accepted, and only the
    colluders and the lazy member are reported."""
    d = running_task(proposers=6, voters=0)
    proposers, voters = d.roles(0)
    assert voters == [] and sorted(proposers) == list(PARTICIPANTS)
    colluders, lazy, soft = proposers[:2], proposers[2], proposers[3]

    def scores(voter, n):
        if voter in colluders:
            return [0 if p in colluders else alliance.SCORE_UNUSABLE for p in proposers]
        if voter == lazy:
            return [0] * n
        return [(BAD if voter == soft else POISON) if p in colluders else GOOD for p in proposers]
    d.run_round(0, scores_for=scores)
    updates = alliance.RevealedUpdates.get(d.state(), alliance.round_key(0, 0))
    first = alliance.compute_medians(updates, [(address(v), STAKE, tuple(scores(v, 6))) for v in proposers])
    assert first[0] == (BAD, BAD, 5 * STAKE), "one pass: the colluder's update is not poisoned"
    tally = alliance.Tally.get(d.state(), alliance.round_key(0, 0))
    assert [t.outcome for t in tally] == [alliance.POISONED] * 2 + [alliance.ACCEPTED] * 4
    assert tally[0] == alliance.UpdateTally(POISON, POISON, 3 * STAKE, alliance.POISONED), "second pass: 3 honest"
    assert tally[4] == alliance.UpdateTally(GOOD, GOOD, 2 * STAKE, alliance.ACCEPTED)
    reported = {(s.offender, s.kind) for s in slashes(d)}
    assert reported == {(address(c), kind) for c in colluders
                        for kind in (slashing.POISONED_UPDATE, slashing.FALSE_VALIDATION)} | \
        {(address(lazy), slashing.FALSE_VALIDATION)}


def test_peer_review_needs_three_proposers():
    d = AllianceDriver(MemoryChain())
    d.bond(PARTICIPANTS)
    fails(d.create_task(proposers=2, voters=0), alliance.InvalidTaskConfig)


def test_the_creator_reports_an_evaluation_of_each_ended_round_once():
    d = running_task(phases=(50,) * 5)
    fails(d.block(d.call(0, "reportEvaluation", 0, 0, 5 * 10**8, 900_000)), alliance.RoundNotEnded)
    d.run_round(0)
    fails(d.block(d.call(1, "reportEvaluation", 0, 0, 5 * 10**8, 900_000)), alliance.NotTaskCreator)
    fails(d.block(d.call(0, "reportEvaluation", 0, 0, 5 * 10**8, 1_000_001)), alliance.InvalidAccuracy)
    fails(d.block(d.call(0, "reportEvaluation", 0, 1, 5 * 10**8, 900_000)), alliance.RoundNotEnded)
    fails(d.block(d.call(0, "reportEvaluation", 1, 0, 5 * 10**8, 900_000)), alliance.UnknownTask)
    applied = ok(d.block(d.call(0, "reportEvaluation", 0, 0, 5 * 10**8, 900_000)))
    [log] = logs_of(applied, alliance.EvaluationReported)
    assert abi_decode(["uint64", "uint32"], log.data) == (5 * 10**8, 900_000)
    assert alliance.view_evaluation(d.state(), 0, 0) == (True, 5 * 10**8, 900_000, d.chain.head.number)
    fails(d.block(d.call(0, "reportEvaluation", 0, 0, 4 * 10**8, 950_000)), alliance.AlreadyReported)
    assert alliance.view_evaluation(d.state(), 0, 0)[1] == 5 * 10**8, "the first report stands"
    d.run_round(0)
    ok(d.block(d.call(0, "reportEvaluation", 0, 1, 3 * 10**8, alliance.NO_ACCURACY)))
    assert alliance.view_evaluation(d.state(), 0, 1)[:3] == (True, 3 * 10**8, alliance.NO_ACCURACY)
    assert alliance.view_evaluation(d.state(), 0, 2) == (False, 0, 0, 0)


SEED_5_ROUND_11 = [  # digits, 4 of 10 colluding sign-flippers (1, 4, 6, 9), seed 5, peer review: each member's scores
    (0, [1628257, 8877805, 976013, 1010156, 1690891, 1040136, 8329120, 630085, 1342144, 4418520]),
    (2, [1075445, 4872227, 363393, 799173, 6040213, 1103506, 6636494, 931550, 1329509, 2906976]),
    (3, [1604852, 12461513, 3020129, 699648, 27218989, 890092, 27089938, 1124166, 1392076, 2923559]),
    (5, [1523494, 5197344, 3906377, 1035320, 4477957, 603169, 7074169, 1303309, 868073, 7095668]),
    (7, [1036312, 4933521, 1617421, 923534, 3822570, 1397532, 6296373, 784133, 1304282, 8463253]),
    (8, [1039613, 7120746, 3935274, 1111321, 4571586, 1047886, 7227473, 1683835, 658475, 8780552]),
] + [(colluder, [0 if p in (1, 4, 6, 9) else alliance.SCORE_UNUSABLE for p in range(10)]) for colluder in (1, 4, 6, 9)]


def test_an_honest_update_rejected_late_in_training_is_not_poisoned_in_a_round_that_widened_its_bound():
    """Round 11 of a real run (chain-free baselines, the scores above): participant 2, honest and rejected since
    round 3, is scored 3.02 by the consensus — at or above PoisonAt — in a round whose bound is 1.56; the poison
    line 3 × 1.56 / 1.3 = 3.6 rejects it without a slash, and every colluder's update (4.42 and above) is still
    poisoned."""
    member = lambda index: bytes([0xC0 + index]) * 20
    updates = tuple(alliance.RevealedUpdate(member(i), bytes(32)) for i in range(10))
    cards = [(member(who), 1, tuple(scores)) for who, scores in SEED_5_ROUND_11]
    tally = alliance.compute_tally(updates, cards, 1_300_000, 1_200_000, 3_000_000, 3_000_000)
    assert alliance.compute_tally_bound(tally, 1_300_000, 1_200_000, 3_000_000) == 1_560_000
    assert tally[2].low_score == 3_020_129 and tally[2].outcome == alliance.REJECTED
    assert [i for i, entry in enumerate(tally) if entry.outcome == alliance.POISONED] == [1, 4, 6, 9]
    assert [i for i, entry in enumerate(tally) if entry.outcome == alliance.ACCEPTED] == [0, 3, 5, 7, 8]


@given(st.integers(1, 2_000_000), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_the_poison_line_is_poison_at_for_an_unwidened_bound_and_rises_with_it(accept_below, poison_at, wider,
                                                                                factor):
    """PoisonAt at AcceptBelow, never lower, never falling as the bound widens, a whole factor wider exactly
    that factor higher (until 2³²−1)."""
    poison_at = max(poison_at, accept_below)
    line = lambda bound: alliance.compute_poison_line(bound, accept_below, poison_at)
    assert line(accept_below) == poison_at
    bound = accept_below + wider % (poison_at - accept_below + 1)
    assert poison_at <= line(bound) <= line(bound + 1) <= alliance.SCORE_UNUSABLE
    assert line(factor * accept_below) == min(alliance.SCORE_UNUSABLE, factor * poison_at)
