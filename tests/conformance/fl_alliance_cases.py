"""Conformance cases for fl_alliance (spec/modules/fl_alliance.md): a round, each offence, a timeout."""

from dataclasses import dataclass

from fl_module import alliance
from runtime.modules import slashing
from tests.fl.alliance_driver import AllianceDriver

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
                  "a verified task, two rounds: draw, commit, reveal, votes, tally, payouts, aggregate; the task finishes and sweeps")


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
    d.run_round(0, votes_for=lambda voter, n: 0b11 if voter == voters[0] else (0b10, 0b01),
                labels={proposers[0]: "poisoned"})
    kinds = sorted(slashing.get_slash(b.chain.state(), i).kind for i in range(2))
    assert kinds == [slashing.POISONED_UPDATE, slashing.FALSE_VALIDATION]
    return finish(b, "fl_alliance_poisoned_update",
                  "an update flagged harmful by 2/3: its proposer and the voter who accepted it are reported")


def case_fl_alliance_peer_review_two_passes() -> AllianceVector:
    b = CaseBuilder()
    d = AllianceDriver(b.chain, author=b.author)
    d.bond(range(6))
    d.create_task(rounds=1, proposers=6, voters=0)
    d.join(0, range(6))
    proposers, _ = d.roles(0)
    colluders = proposers[:2]
    colluder_bits = sum(1 << proposers.index(c) for c in colluders)
    honest_bits = 0b111111 & ~colluder_bits

    def votes(voter, n):
        if voter in colluders:
            return colluder_bits
        mine = honest_bits & ~(1 << proposers.index(voter))
        return mine if voter == proposers[2] else (mine, colluder_bits)
    d.run_round(0, votes_for=votes)
    tally = alliance.Tally.get(b.chain.state(), alliance.round_key(0, 0))
    assert [t.outcome for t in tally] == [alliance.POISONED] * 2 + [alliance.ACCEPTED] * 4
    return finish(b, "fl_alliance_peer_review_two_passes",
                  "peer review (0 voters): six proposers vote on each other's updates; two colluders are left out by "
                  "the second pass, so 3 flags of 4 poison their updates and both are reported twice")


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
                  "a committer that does not reveal is reported; no vote commitments: the round times out")


FL_ALLIANCE_CASES = [case_fl_alliance_rounds_to_the_end, case_fl_alliance_poisoned_update, case_fl_alliance_peer_review_two_passes,
                     case_fl_alliance_timeouts_and_unavailability, case_fl_alliance_creator_reports_evaluation]
