"""Conformance cases for the treasury (spec/modules/treasury.md): each call and each error."""

from dataclasses import dataclass

from runtime.modules import balances, system, treasury
from runtime.transactions import DYNAMIC_FEE, sign_transaction
from tests.runtime.harness import ACCOUNTS, AUTHORITY, CHAIN_ID, call_data, transfer

from .cases import CaseBuilder, Vector
from .staking_cases import expect

UNIT = balances.UNIT


@dataclass(frozen=True)
class TreasuryVector(Vector):
    folder = "treasury"


def root_call(nonce: int, name: str, *args) -> bytes:
    return sign_transaction(AUTHORITY.private_key, DYNAMIC_FEE, chain_id=CHAIN_ID, nonce=nonce, gas_limit=100_000,
                            to=treasury.ADDRESS_, value=0, data=call_data(treasury.MODULE, name, *args),
                            max_fee_per_gas=10**10, max_priority_fee_per_gas=10**9)


def treasury_call(sender: int, nonce: int, name: str, *args, value: int = 0) -> bytes:
    return transfer(sender, nonce, treasury.ADDRESS_, value, gas=100_000, data=call_data(treasury.MODULE, name, *args))


def case_treasury_donate_and_spend() -> TreasuryVector:
    b = CaseBuilder()
    recipient = ACCOUNTS[5].address
    expect(b.author(treasury_call(0, 0, "donate", value=3 * UNIT), treasury_call(0, 1, "donate"),
                    treasury_call(1, 0, "spend", recipient, UNIT), root_call(0, "spend", recipient, UNIT),
                    root_call(1, "spend", recipient, 0), root_call(2, "spend", recipient, 10**6 * UNIT)),
           None, treasury.ZeroAmount, system.NotRoot, None, treasury.ZeroAmount, balances.InsufficientBalance)
    assert treasury.get_balance(b.chain.state()) >= 2 * UNIT
    return TreasuryVector(**vars(b.valid("treasury_donate_and_spend",
                                         "donations in; only the root spends; zero amounts and overdrafts fail")))


TREASURY_CASES = [case_treasury_donate_and_spend]
