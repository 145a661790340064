"""Conformance cases for the staking module (spec/modules/staking.md): each call, and each error."""

from dataclasses import dataclass

from runtime.modules import balances, staking
from tests.runtime.harness import ACCOUNTS, module_call

from .cases import CaseBuilder, Vector

UNIT = balances.UNIT


@dataclass(frozen=True)
class StakingVector(Vector):
    folder = "staking"


def staking_call(sender: int, nonce: int, name: str, *args, value: int = 0) -> bytes:
    return module_call(sender, nonce, staking.MODULE, name, *args, value=value)


def expect(outcome, *statuses_and_errors):
    got = [(a.receipt.status, a.revert_data[:4]) for a in outcome.applied]
    want = [(1, b"") if e is None else (0, e.selector) for e in statuses_and_errors]
    assert got == want, (got, want)


def finish(builder: CaseBuilder, name: str, description: str) -> StakingVector:
    return StakingVector(**vars(builder.valid(name, description)))


def case_staking_bond_and_extra() -> StakingVector:
    b = CaseBuilder()
    expect(b.author(staking_call(0, 0, "bond", 0, value=3_000 * UNIT), staking_call(0, 1, "bondExtra", value=UNIT),
                    staking_call(1, 0, "bond", 1, value=5_000 * UNIT)), None, None, None)
    assert staking.get_exposure(b.chain.state(), ACCOUNTS[0].address) == (3_001 * UNIT, 0)
    return finish(b, "staking_bond_and_extra", "a training node and a validator bond; the node bonds extra")


def case_staking_bond_errors() -> StakingVector:
    b = CaseBuilder()
    expect(b.author(staking_call(0, 0, "bond", 2, value=3_000 * UNIT), staking_call(0, 1, "bond", 0, value=UNIT),
                    staking_call(0, 2, "bond", 0, value=0), staking_call(0, 3, "bondExtra", value=UNIT),
                    staking_call(0, 4, "bond", 0, value=3_000 * UNIT), staking_call(0, 5, "bond", 1, value=3_000 * UNIT)),
           staking.InvalidRole, staking.BelowMinimumStake, staking.BelowMinimumStake, staking.NotBonded, None,
           staking.AlreadyBonded)
    return finish(b, "staking_bond_errors", "invalid role, below minimum, zero value, bondExtra unbonded, bonding twice")


def case_staking_unbond_and_withdraw() -> StakingVector:
    b = CaseBuilder()
    b.author(staking_call(0, 0, "bond", 1, value=3_500 * UNIT))
    expect(b.author(staking_call(0, 1, "unbond", 600 * UNIT), staking_call(0, 2, "unbond", 9_000 * UNIT),
                    staking_call(0, 3, "unbond", 0), staking_call(0, 4, "unbond", 500 * UNIT),
                    staking_call(0, 5, "withdrawUnbonded")),
           staking.BelowMinimumStake, staking.InsufficientStake, staking.ZeroAmount, None, staking.NothingToWithdraw)
    expect(b.author(staking_call(0, 6, "withdrawUnbonded"), slot=7 * 100), None)
    return finish(b, "staking_unbond_and_withdraw", "unbond rules, then withdrawal after the unbonding period")


def case_staking_delegation_and_commission() -> StakingVector:
    b = CaseBuilder()
    node, validator = ACCOUNTS[0].address, ACCOUNTS[1].address
    b.author(staking_call(0, 0, "bond", 0, value=3_000 * UNIT), staking_call(1, 0, "bond", 1, value=3_000 * UNIT))
    expect(b.author(staking_call(2, 0, "delegate", node, value=5 * UNIT),
                    staking_call(2, 1, "delegate", validator, value=5 * UNIT),
                    staking_call(2, 2, "undelegate", node, 2 * UNIT),
                    staking_call(2, 3, "undelegate", node, 2_500_000_000_000_000_000),
                    staking_call(0, 1, "setCommission", 100_000), staking_call(0, 2, "setCommission", 90_000),
                    staking_call(0, 3, "setCommission", 1_000_001), staking_call(1, 1, "setCommission", 1)),
           None, staking.NotATrainingNode, None, staking.BelowMinimumStake, None, staking.CommissionCooldownActive,
           staking.CommissionTooHigh, staking.NotATrainingNode)
    return finish(b, "staking_delegation_and_commission", "delegate, undelegate and commission rules")


STAKING_CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]
