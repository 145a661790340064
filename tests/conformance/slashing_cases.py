"""Conformance cases for the slashing module (spec/modules/slashing.md): each call, each error, the hook."""

from dataclasses import dataclass

from runtime.modules import balances, slashing, staking, system
from tests.runtime.harness import ACCOUNTS, module_call, root_call

from .cases import CaseBuilder, Vector
from .staking_cases import expect, staking_call

UNIT = balances.UNIT
EPOCH = 100
NODE, DELEGATOR, REPORTER = (ACCOUNTS[i].address for i in (0, 1, 7))


@dataclass(frozen=True)
class SlashingVector(Vector):
    folder = "slashing"


def slashing_root_call(nonce: int, name: str, *args) -> bytes:
    return root_call(nonce, slashing.MODULE, name, *args)


def slashing_call(sender: int, nonce: int, name: str, *args) -> bytes:
    return module_call(sender, nonce, slashing.MODULE, name, *args)


def bond_node_with_delegator(b: CaseBuilder, own: int = 4_000 * UNIT, delegated: int = 1_000 * UNIT) -> None:
    expect(b.author(staking_call(0, 0, "bond", 0, value=own), staking_call(1, 0, "delegate", NODE, value=delegated)),
           None, None)


def finish(b: CaseBuilder, name: str, description: str) -> SlashingVector:
    return SlashingVector(**vars(b.valid(name, description)))


def case_slashing_report_and_apply() -> SlashingVector:
    b = CaseBuilder()
    bond_node_with_delegator(b)
    expect(b.author(slashing_root_call(0, "reportOffence", slashing.POISONED_UPDATE, NODE, REPORTER)), None)
    b.author(slot=EPOCH)
    assert slashing.get_slash(b.chain.state(), 0).status == slashing.PENDING
    b.author(slot=2 * EPOCH)
    state = b.chain.state()
    record = slashing.get_slash(state, 0)
    assert (record.status, record.amount, record.at_stake) == (slashing.APPLIED, 500 * UNIT, 5_000 * UNIT)
    assert staking.get_exposure(state, NODE) == (3_600 * UNIT, 900 * UNIT)
    assert balances.free_balance(state, REPORTER) == 10_000 * UNIT + 50 * UNIT
    return finish(b, "slashing_report_and_apply", "a poisoned update (10%) reported at epoch 0 applies at the first "
                  "block of epoch 2: own stake and the delegation lose 10%, 10% to the reporter, 90% to the treasury")


def case_slashing_report_errors() -> SlashingVector:
    b = CaseBuilder()
    expect(b.author(staking_call(0, 0, "bond", 1, value=3_000 * UNIT),
                    slashing_call(2, 0, "reportOffence", 0, NODE, REPORTER),
                    slashing_root_call(0, "reportOffence", 4, NODE, REPORTER),
                    slashing_root_call(1, "reportOffence", 0, DELEGATOR, REPORTER),
                    slashing_call(2, 1, "slashOf", 0),
                    slashing_call(2, 2, "slashFraction", 4),
                    slashing_root_call(2, "reportOffence", slashing.UNAVAILABILITY, NODE, REPORTER),
                    slashing_call(2, 3, "slashOf", 0)),
           None, system.NotRoot, slashing.InvalidOffence, slashing.NothingAtStake, slashing.UnknownSlash,
           slashing.InvalidOffence, None, None)
    return finish(b, "slashing_report_errors", "reportOffence by a non-root, of an unknown kind, against an account "
                  "with nothing at stake; views of an unknown slash and kind; then a valid report and its view")


def case_slashing_cancel() -> SlashingVector:
    b = CaseBuilder()
    bond_node_with_delegator(b)
    expect(b.author(slashing_root_call(0, "reportOffence", slashing.EQUIVOCATION, NODE, REPORTER),
                    slashing_root_call(1, "reportOffence", slashing.UNAVAILABILITY, NODE, REPORTER),
                    slashing_call(2, 0, "cancelSlash", 0)),
           None, None, system.NotRoot)
    expect(b.author(slashing_root_call(2, "cancelSlash", 0), slashing_root_call(3, "cancelSlash", 0), slashing_root_call(4, "cancelSlash", 7),
                    slot=EPOCH + 1),
           None, slashing.UnknownSlash, slashing.UnknownSlash)
    b.author(slot=2 * EPOCH)
    expect(b.author(slashing_root_call(5, "cancelSlash", 1)), slashing.UnknownSlash)
    state = b.chain.state()
    assert slashing.get_slash(state, 0).status == slashing.CANCELLED
    assert slashing.get_slash(state, 1).amount == 50 * UNIT
    return finish(b, "slashing_cancel", "the root cancels a pending slash within the deferral; the other applies "
                  "and can no longer be cancelled; cancelling twice or an unknown id fails UnknownSlash")


def case_slashing_span_pays_the_larger() -> SlashingVector:
    b = CaseBuilder()
    bond_node_with_delegator(b, own=5_000 * UNIT)
    expect(b.author(slashing_root_call(0, "reportOffence", slashing.UNAVAILABILITY, NODE, REPORTER)), None)
    b.author(slot=2 * EPOCH)
    expect(b.author(slashing_root_call(1, "reportOffence", slashing.POISONED_UPDATE, NODE, REPORTER),
                    slashing_root_call(2, "reportOffence", slashing.FALSE_VALIDATION, NODE, REPORTER)), None, None)
    b.author(slot=4 * EPOCH)
    state = b.chain.state()
    assert [slashing.get_slash(state, i).applied_fraction for i in range(3)] == [10_000, 90_000, 0]
    return finish(b, "slashing_span_pays_the_larger", "1%, then 10% and 5% in the same span: the offender pays "
                  "10% in all (the second applies 9%, the third nothing)")


def case_slashing_below_minimum() -> SlashingVector:
    b = CaseBuilder()
    bond_node_with_delegator(b, own=3_200 * UNIT, delegated=100 * UNIT)
    expect(b.author(staking_call(0, 1, "unbond", 200 * UNIT),
                    slashing_root_call(0, "reportOffence", slashing.POISONED_UPDATE, NODE, REPORTER)), None, None)
    b.author(slot=2 * EPOCH)
    state = b.chain.state()
    assert staking.Role.get(state, NODE) == staking.NO_ROLE
    assert staking.Unlocking.get(state, NODE) == (staking.UnlockChunk(200 * UNIT, 7), staking.UnlockChunk(2_680 * UNIT, 9))
    return finish(b, "slashing_below_minimum", "a node left below the minimum by a slash loses its role and its "
                  "remaining stake moves to unlocking")


SLASHING_CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]
