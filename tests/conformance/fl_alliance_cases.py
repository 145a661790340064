"""Conformance cases for fl_alliance (spec/modules/fl_alliance.md): a round, each offence, a timeout."""

from dataclasses import dataclass

from fl_module import alliance
from runtime.modules import slashing
from tests.fl.alliance_driver import BAD, GOOD, POISON, AllianceDriver

from .cases import CaseBuilder, Vector


@dataclass(frozen=True)
class AllianceVector(Vector):
    folder = "fl_alliance"


def running_task(b: CaseBuilder) -> AllianceDriver:
    d = AllianceDriver(b.chain, author=b.author)
    d.bond(range(6))
    d.create_task(rounds=2, proposers=2, voters=3)
    d.join(0, range(6))
    return d


def finish(b: CaseBuilder, name: str, description: str) -> AllianceVector:
    return AllianceVector(**vars(b.valid(name, description)))


def case_fl_alliance_rounds_to_the_end() -> AllianceVector:
    b = CaseBuilder()
    d = running_task(b)
    d.root_block("verifyTask", 0)
    d.run_round(0)
    d.run_round(0, aggregate=b"\x43" * 32)
    assert d.progress(0).status == alliance.FINISHED
    return finish(b, "fl_alliance_rounds_to_the_end",
                  "a verified task, two rounds: draw, commit, reveal, scores, tally, payouts, aggregate; the task finishes and sweeps")


def case_fl_alliance_creator_reports_evaluation() -> AllianceVector:
    b = CaseBuilder()
    d = running_task(b)
    d.run_round(0)
    d.block(d.call(0, "reportEvaluation", 0, 0, 123_456_789, 987_654))
    assert alliance.view_evaluation(b.chain.state(), 0, 0)[:3] == (True, 123_456_789, 987_654)
    return finish(b, "fl_alliance_creator_reports_evaluation",
                  "after the first round the task's creator records its loss and accuracy of the round's global model")


def case_fl_alliance_poisoned_update() -> AllianceVector:
    b = CaseBuilder()
    d = running_task(b)
    proposers, voters = d.roles(0)
    d.run_round(0, scores_for=lambda voter, n: [0, 0] if voter == voters[0] else [POISON, GOOD],
                labels={proposers[0]: "poisoned"})
    kinds = sorted(slashing.get_slash(b.chain.state(), i).kind for i in range(2))
    assert kinds == [slashing.POISONED_UPDATE, slashing.FALSE_VALIDATION]
    return finish(b, "fl_alliance_poisoned_update",
                  "two voters of three score an update at 3× the global model's loss: it is poisoned and its proposer "
                  "reported; the voter who scored everything 0 is far from both medians and reported")


def peer_review_task(b: CaseBuilder, proposers: int, rounds: int) -> AllianceDriver:
    """Six bonded participants joined to a peer-review task (0 voters)."""
    d = AllianceDriver(b.chain, author=b.author)
    d.bond(range(6))
    d.create_task(rounds=rounds, proposers=proposers, voters=0)
    d.join(0, range(6))
    return d


def case_fl_alliance_peer_review_two_passes() -> AllianceVector:
    b = CaseBuilder()
    d = peer_review_task(b, proposers=6, rounds=1)
    proposers, _ = d.roles(0)
    colluders, lazy, soft = proposers[:2], proposers[2], proposers[3]

    def scores(voter, n):
        if voter in colluders:
            return [0 if p in colluders else alliance.SCORE_UNUSABLE for p in proposers]
        if voter == lazy:
            return [0] * n
        return [(BAD if voter == soft else POISON) if p in colluders else GOOD for p in proposers]
    d.run_round(0, scores_for=scores)
    tally = alliance.Tally.get(b.chain.state(), alliance.round_key(0, 0))
    assert [t.outcome for t in tally] == [alliance.POISONED] * 2 + [alliance.ACCEPTED] * 4
    return finish(b, "fl_alliance_peer_review_two_passes",
                  "peer review (0 voters): six proposers score each other's updates; two colluders and a lazy member "
                  "hold the first medians of the colluders' updates below poison, the second pass leaves them out: "
                  "the colluders' updates are poisoned, the three are reported for false validation")


def case_fl_alliance_peer_review_accepts_within_the_round_s_tolerance() -> AllianceVector:
    b = CaseBuilder()
    d = peer_review_task(b, proposers=5, rounds=2)
    for round_, scored in ((0, [GOOD, 1_250_000, 1_450_000, 1_550_000, BAD]),
                           (1, [GOOD, 950_000, 1_000_000, 1_350_000, BAD])):
        d.run_round(0, scores_for=lambda voter, n: scored)
        tally = alliance.Tally.get(b.chain.state(), alliance.round_key(0, round_))
        assert [t.high_score for t in tally] == scored
    outcomes = lambda round_: [t.outcome for t in alliance.Tally.get(b.chain.state(), alliance.round_key(0, round_))]
    assert outcomes(0) == [alliance.ACCEPTED] * 4 + [alliance.REJECTED]
    assert outcomes(1) == [alliance.ACCEPTED] * 3 + [alliance.REJECTED] * 2
    return finish(b, "fl_alliance_peer_review_accepts_within_the_round_s_tolerance",
                  "peer review, five proposers each scored the same by every peer: round 0's median 1.45 gives the "
                  "bound 1.2 x min(1.45, 1.3) = 1.56, so 1.45 and 1.55 are accepted and 1.6 is not; round 1's median "
                  "1.0 leaves the bound at AcceptBelow 1.3, so 1.35 is rejected")


def case_fl_alliance_peer_review_raises_the_poison_line_with_the_bound() -> AllianceVector:
    b = CaseBuilder()
    d = peer_review_task(b, proposers=5, rounds=1)
    scored = [GOOD, 1_450_000, 1_500_000, 3_300_000, 3_700_000]
    d.run_round(0, scores_for=lambda voter, n: scored)
    state = b.chain.state()
    assert [t.outcome for t in alliance.Tally.get(state, alliance.round_key(0, 0))] == [alliance.ACCEPTED] * 3 + [
        alliance.REJECTED, alliance.POISONED]
    slashes = [slashing.get_slash(state, i) for i in range(slashing.SlashCount.get(state))]
    last = alliance.RevealedUpdates.get(state, alliance.round_key(0, 0))[4].proposer
    assert [(slash.offender, slash.kind) for slash in slashes] == [(last, slashing.POISONED_UPDATE)]
    return finish(b, "fl_alliance_peer_review_raises_the_poison_line_with_the_bound",
                  "peer review, five proposers each scored the same by every peer: the median 1.5 widens the bound "
                  "to 1.56, which raises the poison line from 3.0 to 3.0 x 1.56 / 1.3 = 3.6: the update at 3.3 is "
                  "rejected without a slash, the one at 3.7 is poisoned and its proposer reported")


def case_fl_alliance_aggregate_check_keeps_the_model() -> AllianceVector:
    b = CaseBuilder()
    d = running_task(b)
    model = alliance.GlobalModel.get(b.chain.state(), 0)
    d.run_round(0, aggregate_score=BAD)
    state = b.chain.state()
    assert alliance.RoundOutcome.get(state, alliance.round_key(0, 0)).status == alliance.ROUND_AGGREGATE_REJECTED
    assert alliance.GlobalModel.get(state, 0) == model
    return finish(b, "fl_alliance_aggregate_check_keeps_the_model",
                  "both updates accepted, every member submits the same aggregate but scores it 1.6x the global "
                  "model's loss: the aggregate check fails and the global model is kept (status 4)")


def case_fl_alliance_timeouts_and_unavailability() -> AllianceVector:
    b = CaseBuilder()
    d = running_task(b)
    proposers, _ = d.roles(0)
    d.commit_updates(0, proposers)
    d.reveal_updates(0, proposers[:1])
    d.pass_deadline(0)
    d.block(d.call(5, "advance", 0))
    d.pass_deadline(0)
    d.block(d.call(5, "advance", 0))
    assert alliance.RoundOutcome.get(b.chain.state(), alliance.round_key(0, 0)).status == alliance.ROUND_TIMED_OUT
    return finish(b, "fl_alliance_timeouts_and_unavailability",
                  "a committer that does not reveal is reported; no score commitments: the round times out")


FL_ALLIANCE_CASES = [case_fl_alliance_rounds_to_the_end, case_fl_alliance_poisoned_update, case_fl_alliance_peer_review_two_passes,
                     case_fl_alliance_timeouts_and_unavailability, case_fl_alliance_creator_reports_evaluation,
                     case_fl_alliance_aggregate_check_keeps_the_model,
                     case_fl_alliance_peer_review_accepts_within_the_round_s_tolerance,
                     case_fl_alliance_peer_review_raises_the_poison_line_with_the_bound]
