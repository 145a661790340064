"""Conformance cases for the treasury (spec/modules/treasury.md): each call and each error."""

from dataclasses import dataclass

from runtime.modules import balances, system, treasury
from tests.runtime.harness import ACCOUNTS, module_call, root_call

from .cases import CaseBuilder, Vector
from .staking_cases import expect

UNIT = balances.UNIT


@dataclass(frozen=True)
class TreasuryVector(Vector):
    folder = "treasury"


def treasury_root_call(nonce: int, name: str, *args) -> bytes:
    return root_call(nonce, treasury.MODULE, name, *args, gas=100_000)


def treasury_call(sender: int, nonce: int, name: str, *args, value: int = 0) -> bytes:
    return module_call(sender, nonce, treasury.MODULE, name, *args, value=value, gas=100_000)


def case_treasury_donate_and_spend() -> TreasuryVector:
    b = CaseBuilder()
    recipient = ACCOUNTS[5].address
    expect(b.author(treasury_call(0, 0, "donate", value=3 * UNIT), treasury_call(0, 1, "donate"),
                    treasury_call(1, 0, "spend", recipient, UNIT), treasury_root_call(0, "spend", recipient, UNIT),
                    treasury_root_call(1, "spend", recipient, 0), treasury_root_call(2, "spend", recipient, 10**6 * UNIT)),
           None, treasury.ZeroAmount, system.NotRoot, None, treasury.ZeroAmount, balances.InsufficientBalance)
    assert treasury.get_balance(b.chain.state()) >= 2 * UNIT
    return TreasuryVector(**vars(b.valid("treasury_donate_and_spend",
                                         "donations in; only the root spends; zero amounts and overdrafts fail")))


TREASURY_CASES = [case_treasury_donate_and_spend]
