"""Conformance cases for the bridge (spec/modules/bridge.md): attest, prove, replay, withdraw, sign."""

from dataclasses import dataclass

from runtime.modules import bridge
from tests.runtime.base_fixtures import base_block, deposit_log, prove, receipt, sign_withdrawal
from tests.runtime.harness import ACCOUNTS, AUTHORITY, module_call, root_call

from .cases import CaseBuilder, Vector
from .staking_cases import expect

UNIT = 10**18


@dataclass(frozen=True)
class BridgeVector(Vector):
    folder = "bridge"


def bridge_call(sender: int, nonce: int, name: str, *args, value: int = 0) -> bytes:
    return module_call(sender, nonce, bridge.MODULE, name, *args, value=value, gas=1_000_000)


def authority_call(nonce: int, name: str, *args) -> bytes:
    return root_call(nonce, bridge.MODULE, name, *args, gas=1_000_000)


def case_bridge_deposit_minted_once() -> BridgeVector:
    b = CaseBuilder()
    recipient = ACCOUNTS[4].address
    block, receipts = base_block([receipt([]), receipt([deposit_log(0, recipient, 7 * UNIT)])])
    block_hash, proof = bytes.fromhex(block["hash"][2:]), prove(block, receipts, 1)
    expect(b.author(bridge_call(0, 0, "proveDeposit", *proof), bridge_call(0, 1, "attestBaseBlock", block_hash),
                    authority_call(0, "attestBaseBlock", block_hash), bridge_call(0, 2, "proveDeposit", *proof),
                    bridge_call(1, 0, "proveDeposit", *proof), bridge_call(1, 1, "proveDeposit", *prove(block, receipts, 0)),
                    bridge_call(1, 2, "proveDeposit", proof[0], proof[1], 0, proof[3])),
           bridge.BlockNotAccepted, bridge.NotAValidator, None, None, bridge.DepositAlreadyMinted,
           bridge.NoDepositInReceipt, bridge.InvalidReceiptProof)
    return BridgeVector(**vars(b.valid("bridge_deposit_minted_once",
                                       "an attested block's proven deposit is minted once; replays and bad proofs fail")))


def case_bridge_withdraw_and_sign() -> BridgeVector:
    b = CaseBuilder()
    user, recipient = ACCOUNTS[2], b"\x5a" * 20
    block, receipts = base_block([receipt([deposit_log(0, user.address, 4 * UNIT)])])
    signature = sign_withdrawal(AUTHORITY.private_key, nonce=0, recipient=recipient, amount=3 * UNIT)
    expect(b.author(bridge_call(2, 0, "withdraw", recipient, value=UNIT),
                    authority_call(0, "attestBaseBlock", bytes.fromhex(block["hash"][2:])),
                    bridge_call(3, 0, "proveDeposit", *prove(block, receipts, 0)),
                    bridge_call(2, 1, "withdraw", recipient, value=3 * UNIT),
                    bridge_call(3, 1, "submitWithdrawalSignature", 0, signature[:64] + b"\x01"),
                    bridge_call(3, 2, "submitWithdrawalSignature", 0, signature),
                    bridge_call(3, 3, "submitWithdrawalSignature", 0, signature)),
           bridge.ExceedsBridgedSupply, None, None, None, bridge.InvalidSignature, None, bridge.DuplicateSignature)
    return BridgeVector(**vars(b.valid("bridge_withdraw_and_sign",
                                       "a withdrawal burns bridged FLOCK and is signed by > 2/3 of the set")))


BRIDGE_CASES = [case_bridge_deposit_minted_once, case_bridge_withdraw_and_sign]
