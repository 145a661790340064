"""Conformance cases for the bridge (spec/modules/bridge.md): attest, prove, replay, withdraw, sign."""

from dataclasses import dataclass

from runtime.modules import bridge, consensus, staking
from tests.runtime.base_fixtures import BRIDGE, base_block, deposit_log, prove, receipt, sign_rotation, sign_withdrawal
from tests.runtime.harness import ACCOUNTS, AUTHORITY, VALIDATOR_KEYS, local_spec, module_call, root_call

from .cases import CaseBuilder, Vector
from .consensus_cases import EPOCH, ValidatorsCaseBuilder
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



def case_bridge_rotation_signed_by_the_outgoing_set() -> BridgeVector:
    spec = local_spec(epoch_length=EPOCH)
    spec["genesis"]["runtime"]["bridge"] = {"bridge": "0x" + BRIDGE.hex()}
    b = ValidatorsCaseBuilder(keys=VALIDATOR_KEYS + [ACCOUNTS[4].private_key], spec=spec)
    stake = dict(consensus.Authorities.get(b.chain.state()))[ACCOUNTS[0].address]
    expect(b.author(module_call(4, 0, staking.MODULE, "bond", staking.VALIDATOR, value=2 * stake)), None)
    b.author(slot=EPOCH)
    b.author(slot=2 * EPOCH)
    assert consensus.SetId.get(b.chain.state()) == 1
    incoming = consensus.AuthoritySetOf.get(b.chain.state(), 1)
    signatures = [sign_rotation(ACCOUNTS[i].private_key, 0, incoming) for i in range(4)]
    expect(b.author(bridge_call(5, 0, "submitRotationSignature", 1, signatures[0]),
                    *(bridge_call(5, 1 + i, "submitRotationSignature", 0, signatures[i]) for i in range(3)),
                    bridge_call(5, 4, "submitRotationSignature", 0, signatures[0]),
                    bridge_call(5, 5, "submitRotationSignature", 0,
                                sign_rotation(ACCOUNTS[4].private_key, 0, incoming))),
           bridge.UnknownRotation, None, None, None, bridge.DuplicateRotationSignature, bridge.NotAValidator)
    assert bridge.view_rotation(b.chain.state(), 0)[3] is True
    return BridgeVector(**vars(b.valid("bridge_rotation_signed_by_the_outgoing_set",
                                       "after a set change, > 2/3 of the outgoing set signs the Base contract's "
                                       "rotation; unknown rotations, duplicates and incoming signers fail")))


BRIDGE_CASES = [case_bridge_deposit_minted_once, case_bridge_withdraw_and_sign,
                case_bridge_rotation_signed_by_the_outgoing_set]
