"""bridge: attested Base blocks, receipt-proven deposits minted once, burns and > 2/3-signed withdrawals.

Base blocks here are synthetic but exact: headers and receipts are encoded from JSON the way a
Base node serves them (chain.bridge.proofs), including typed and 0x7E deposit receipts; the
agreement with real py-evm blocks and the deployed contract is in tests/bridge/.
"""

import copy

import pytest
import rlp
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.bridge.proofs import ProofError, build_receipt_proof, encode_receipt
from runtime.base_chain import BaseDataError, decode_receipt
from runtime.crypto import keccak256
from runtime.modules import balances, bridge, consensus, staking, system
from runtime.transactions import DYNAMIC_FEE, decode_transaction, sign_transaction

from .base_fixtures import (BRIDGE, TOKEN, base_block, deposit_log, prove, receipt, release_log, sign_rotation,
                            sign_withdrawal, typed_withdrawal)
from .harness import ACCOUNTS, AUTHORITY, CHAIN_ID, SPEC, VALIDATOR_KEYS, MemoryChain, call_data, local_spec

OTHER_CONTRACT = bytes.fromhex("00" * 19 + "42")
UNIT = 10**18


def send_module(chain, key: bytes, module, name: str, *args, value: int = 0, gas: int = 2_000_000):
    """One module call by `key` in its own block: (success, return data or revert data)."""
    nonce = system.get_nonce(chain.state(), bytes.fromhex(Account.from_key(key).address[2:]))
    raw = sign_transaction(key, DYNAMIC_FEE, chain_id=CHAIN_ID, nonce=nonce, gas_limit=gas, to=module.address,
                           value=value, data=call_data(module, name, *args), max_fee_per_gas=10**10,
                           max_priority_fee_per_gas=10**9)
    outcome, rejected = chain.author([decode_transaction(raw)])
    assert not rejected, rejected
    chain.check_invariants()
    applied = outcome.applied[0]
    return applied.receipt.status == 1, applied.return_data if applied.receipt.status == 1 else applied.revert_data


def send(chain, key: bytes, name: str, *args, **options):
    """A bridge call, as send_module."""
    return send_module(chain, key, bridge.MODULE, name, *args, **options)


def refused(result, error) -> bool:
    ok, data = result
    return not ok and data[:4] == error.selector


def view(chain, name, *args):
    declaration = next(v for v in bridge.MODULE.views if v.name == name)
    return declaration.handler(chain.state(), *args)


def attest(chain, block, keys=(AUTHORITY.private_key,)):
    for key in keys:
        assert send(chain, key, "attestBaseBlock", bytes.fromhex(block["hash"][2:]))[0]


def supply_of(chain) -> tuple[int, int, int]:
    return view(chain, "supply")


def balance(chain, who: bytes) -> int:
    return balances.free_balance(chain.state(), who)


# ---------------------------------------------------------------- deposits

def test_a_proven_deposit_in_an_attested_block_is_minted_once():
    chain = MemoryChain()
    recipient = b"\x22" * 20
    block, receipts = base_block([receipt([]), receipt([deposit_log(0, recipient, 5 * UNIT)])])
    assert refused(send(chain, ACCOUNTS[0].private_key, "proveDeposit", *prove(block, receipts, 1)),
                   bridge.BlockNotAccepted)
    assert refused(send(chain, ACCOUNTS[0].private_key, "attestBaseBlock", bytes.fromhex(block["hash"][2:])),
                   bridge.NotAValidator)
    attest(chain, block)
    assert view(chain, "baseBlock", bytes.fromhex(block["hash"][2:]))[0] is True
    assert view(chain, "latestBaseBlock") == (0, bytes(32)), "a block's number is known once a proof shows its header"
    ok, data = send(chain, ACCOUNTS[0].private_key, "proveDeposit", *prove(block, receipts, 1))
    assert ok and abi_decode(["uint256"], data) == (1,)
    assert balance(chain, recipient) == 5 * UNIT
    assert view(chain, "latestBaseBlock") == (100, bytes.fromhex(block["hash"][2:]))
    assert view(chain, "depositOf", 0)[:4] == (True, recipient, 5 * UNIT, 100)
    assert view(chain, "nextUnmintedDeposit") == (1,)
    assert supply_of(chain) == (5 * UNIT, 0, 5 * UNIT)
    assert refused(send(chain, ACCOUNTS[1].private_key, "proveDeposit", *prove(block, receipts, 1)),
                   bridge.DepositAlreadyMinted)
    assert balance(chain, recipient) == 5 * UNIT
    assert refused(send(chain, ACCOUNTS[0].private_key, "proveDeposit", *prove(block, receipts, 0)),
                   bridge.NoDepositInReceipt)


def test_forged_tampered_and_misplaced_proofs_are_refused_and_change_nothing():
    chain = MemoryChain()
    recipient = b"\x33" * 20
    block, receipts = base_block([receipt([deposit_log(0, recipient, UNIT)]), receipt([]), receipt([])])
    attest(chain, block)
    block_hash, header, index, proof = prove(block, receipts, 0)
    sender = ACCOUNTS[0].private_key

    forged_block, forged_receipts = base_block([receipt([deposit_log(0, recipient, 10**6 * UNIT)]), receipt([]),
                                                receipt([])])
    forged = prove(forged_block, forged_receipts, 0)
    assert refused(send(chain, sender, "proveDeposit", block_hash, forged[1], 0, forged[3]),
                   bridge.HeaderHashMismatch)
    assert refused(send(chain, sender, "proveDeposit", block_hash, header, 0, forged[3]), bridge.InvalidReceiptProof)
    tampered = [bytearray(node) for node in proof]
    tampered[-1][-1] ^= 1
    assert refused(send(chain, sender, "proveDeposit", block_hash, header, 0, [bytes(n) for n in tampered]),
                   bridge.InvalidReceiptProof)
    assert refused(send(chain, sender, "proveDeposit", block_hash, header, 1, proof), bridge.InvalidReceiptProof)
    assert refused(send(chain, sender, "proveDeposit", block_hash, header, 0, proof[:-1]), bridge.InvalidReceiptProof)
    assert refused(send(chain, sender, "proveDeposit", block_hash, header, 0, []), bridge.InvalidReceiptProof)
    assert refused(send(chain, sender, "proveDeposit", block_hash, b"\xc0", 0, proof), bridge.HeaderHashMismatch)
    unattested = keccak256(b"\xc0")
    assert refused(send(chain, sender, "proveDeposit", unattested, b"\xc0", 0, proof), bridge.BlockNotAccepted)
    assert balance(chain, recipient) == 0 and supply_of(chain) == (0, 0, 0)
    assert send(chain, sender, "proveDeposit", block_hash, header, 0, proof)[0]
    assert balance(chain, recipient) == UNIT


def test_receipt_kinds_other_contracts_and_failed_receipts():
    chain = MemoryChain()
    a, b, c = b"\x44" * 20, b"\x55" * 20, b"\x66" * 20
    base_deposit = receipt([deposit_log(1, a, 2 * UNIT)], receipt_type=0x7E, depositNonce=hex(7),
                           depositReceiptVersion="0x1")
    legacy_two = receipt([deposit_log(2, b, 3 * UNIT), deposit_log(3, c, 4 * UNIT)], receipt_type=0)
    other = receipt([deposit_log(4, a, UNIT, address=OTHER_CONTRACT)])
    failed = receipt([deposit_log(5, a, UNIT)], status=0)
    blob_tx = receipt([deposit_log(0, c, UNIT)], receipt_type=3)
    block, receipts = base_block([base_deposit, legacy_two, other, failed, blob_tx])
    attest(chain, block)
    sender = ACCOUNTS[0].private_key
    assert send(chain, sender, "proveDeposit", *prove(block, receipts, 0))[0]
    assert balance(chain, a) == 2 * UNIT
    ok, data = send(chain, sender, "proveDeposit", *prove(block, receipts, 1))
    assert ok and abi_decode(["uint256"], data) == (2,)
    assert (balance(chain, b), balance(chain, c)) == (3 * UNIT, 4 * UNIT)
    assert view(chain, "nextUnmintedDeposit") == (0,)
    assert refused(send(chain, sender, "proveDeposit", *prove(block, receipts, 2)), bridge.NoDepositInReceipt)
    assert refused(send(chain, sender, "proveDeposit", *prove(block, receipts, 3)), bridge.FailedReceipt)
    assert send(chain, sender, "proveDeposit", *prove(block, receipts, 4))[0]
    assert view(chain, "nextUnmintedDeposit") == (4,)
    assert supply_of(chain)[0] == 10 * UNIT


def test_a_0x7e_receipt_decodes_with_and_without_its_deposit_fields():
    for extra in ({}, {"depositNonce": "0x5"}, {"depositNonce": "0x5", "depositReceiptVersion": "0x1"}):
        encoded = encode_receipt(receipt([deposit_log(0, b"\x01" * 20, 1)], receipt_type=0x7E, **extra))
        assert encoded[0] == 0x7E
        assert decode_receipt(encoded).type == 0x7E
    with pytest.raises(BaseDataError, match="unsupported receipt type 0x05"):
        decode_receipt(b"\x05" + encode_receipt(receipt([]))[1:])
    with pytest.raises(BaseDataError, match="must have 4 items"):
        decode_receipt(b"\x02" + rlp.encode([1, 2, bytes(256), [], 9]))


def test_attestations_need_more_than_two_thirds_of_the_stake():
    spec = local_spec()
    spec["genesis"]["runtime"]["bridge"] = {"bridge": "0x" + BRIDGE.hex()}
    chain = MemoryChain(spec)
    recipient = b"\x77" * 20
    block, receipts = base_block([receipt([deposit_log(0, recipient, UNIT)])])
    block_hash = bytes.fromhex(block["hash"][2:])
    attest(chain, block, VALIDATOR_KEYS[:2])
    assert view(chain, "baseBlock", block_hash)[0] is False
    assert refused(send(chain, VALIDATOR_KEYS[1], "attestBaseBlock", block_hash), bridge.AlreadyAttested)
    assert refused(send(chain, ACCOUNTS[5].private_key, "proveDeposit", *prove(block, receipts, 0)),
                   bridge.BlockNotAccepted)
    attest(chain, block, VALIDATOR_KEYS[2:3])
    assert view(chain, "baseBlock", block_hash)[0] is True
    assert refused(send(chain, VALIDATOR_KEYS[3], "attestBaseBlock", block_hash), bridge.AlreadyAccepted)
    assert send(chain, ACCOUNTS[5].private_key, "proveDeposit", *prove(block, receipts, 0))[0]
    assert balance(chain, recipient) == UNIT


# ---------------------------------------------------------------- withdrawals

def fund_bridge(chain, amount: int, recipient: bytes) -> None:
    block, receipts = base_block([receipt([deposit_log(view(chain, "nextUnmintedDeposit")[0], recipient, amount)])],
                                 number=200 + chain.head.number)
    attest(chain, block)
    assert send(chain, ACCOUNTS[9].private_key, "proveDeposit", *prove(block, receipts, 0))[0]


def test_withdrawals_burn_only_bridged_flock_and_are_signed_by_the_validators():
    chain = MemoryChain()
    user, base_recipient = ACCOUNTS[0], b"\x88" * 20
    assert refused(send(chain, user.private_key, "withdraw", base_recipient, value=UNIT), bridge.ExceedsBridgedSupply)
    fund_bridge(chain, 3 * UNIT, user.address)
    assert refused(send(chain, user.private_key, "withdraw", base_recipient), bridge.ZeroAmount)
    assert refused(send(chain, user.private_key, "withdraw", bytes(20), value=UNIT), bridge.ZeroRecipient)
    before = balance(chain, user.address)
    ok, data = send(chain, user.private_key, "withdraw", base_recipient, value=2 * UNIT)
    assert ok and abi_decode(["uint256"], data) == (0,)
    assert balance(chain, user.address) < before - 2 * UNIT
    assert balance(chain, bridge.ADDRESS_) == 0
    assert supply_of(chain) == (3 * UNIT, 2 * UNIT, UNIT)
    assert view(chain, "withdrawalOf", 0)[:5] == (user.address, base_recipient, 2 * UNIT, 0, bridge.REQUESTED)

    digest = view(chain, "withdrawalDigest", 0)[0]
    expected = encode_typed_data(full_message=typed_withdrawal(0, base_recipient, 2 * UNIT))
    assert digest == keccak256(b"\x19" + expected.version + expected.header + expected.body)
    for wrong in ({"home_chain_id": 1}, {"set_id": 1}, {"base_chain_id": 1}, {"bridge_address": TOKEN},
                  {"amount": 3 * UNIT}):
        fields = dict(nonce=0, recipient=base_recipient, amount=2 * UNIT) | wrong
        assert refused(send(chain, user.private_key, "submitWithdrawalSignature", 0,
                            sign_withdrawal(AUTHORITY.private_key, **fields)), bridge.NotAValidator)
    assert refused(send(chain, user.private_key, "submitWithdrawalSignature", 0,
                        sign_withdrawal(user.private_key, nonce=0, recipient=base_recipient, amount=2 * UNIT)),
                   bridge.NotAValidator)
    good = sign_withdrawal(AUTHORITY.private_key, nonce=0, recipient=base_recipient, amount=2 * UNIT)
    r, s, v = good[:32], int.from_bytes(good[32:64], "big"), good[64]
    high_s = r + (bridge.SECP256K1_HALF_N * 2 + 1 - s).to_bytes(32, "big") + bytes((55 - v,))
    for bad in (high_s, good[:64], good + b"\x00", good[:64] + b"\x01"):
        assert refused(send(chain, user.private_key, "submitWithdrawalSignature", 0, bad), bridge.InvalidSignature)
    assert refused(send(chain, user.private_key, "submitWithdrawalSignature", 1, good), bridge.UnknownWithdrawal)
    assert view(chain, "withdrawalOf", 0)[4] == bridge.REQUESTED
    assert send(chain, user.private_key, "submitWithdrawalSignature", 0, good)[0]
    assert view(chain, "withdrawalOf", 0)[4] == bridge.SIGNED
    assert view(chain, "withdrawalSignatures", 0) == ([good],)
    assert refused(send(chain, user.private_key, "submitWithdrawalSignature", 0, good), bridge.DuplicateSignature)


def test_withdrawal_signatures_need_more_than_two_thirds_and_each_signer_once():
    spec = local_spec()
    spec["genesis"]["runtime"]["bridge"] = {"bridge": "0x" + BRIDGE.hex(), "initialLocked": str(100 * UNIT)}
    chain = MemoryChain(spec)
    user, recipient = ACCOUNTS[6], b"\x99" * 20
    assert send(chain, user.private_key, "withdraw", recipient, value=5 * UNIT)[0]
    signatures = {key: sign_withdrawal(key, nonce=0, recipient=recipient, amount=5 * UNIT) for key in VALIDATOR_KEYS}
    for key in VALIDATOR_KEYS[:2]:
        assert send(chain, user.private_key, "submitWithdrawalSignature", 0, signatures[key])[0]
    assert refused(send(chain, user.private_key, "submitWithdrawalSignature", 0, signatures[VALIDATOR_KEYS[1]]),
                   bridge.DuplicateSignature)
    assert view(chain, "withdrawalOf", 0)[4] == bridge.REQUESTED
    assert send(chain, user.private_key, "submitWithdrawalSignature", 0, signatures[VALIDATOR_KEYS[3]])[0]
    state = view(chain, "withdrawalOf", 0)
    assert state[4] == bridge.SIGNED and state[5] == 3 * dict(chain_authorities(chain))[ACCOUNTS[0].address]
    assert send(chain, user.private_key, "submitWithdrawalSignature", 0, signatures[VALIDATOR_KEYS[2]])[0], \
        "signatures are kept past > 2/3 until the release"
    kept = view(chain, "withdrawalSignatures", 0)[0]
    signers = [Account._recover_hash(view(chain, "withdrawalDigest", 0)[0], signature=s) for s in kept]
    assert signers == sorted(signers, key=lambda a: int(a, 16)) and len(kept) == 4


def test_a_set_change_is_signed_by_the_outgoing_set_and_open_withdrawals_are_signed_again():
    spec = local_spec(epoch_length=10)
    spec["genesis"]["runtime"]["bridge"] = {"bridge": "0x" + BRIDGE.hex(), "initialLocked": str(100 * UNIT)}
    chain = MemoryChain(spec)
    user, recipient, newcomer = ACCOUNTS[6], b"\x99" * 20, ACCOUNTS[4]
    assert send(chain, user.private_key, "withdraw", recipient, value=5 * UNIT)[0]
    for key in VALIDATOR_KEYS[:3]:
        signature = sign_withdrawal(key, nonce=0, recipient=recipient, amount=5 * UNIT)
        assert send(chain, user.private_key, "submitWithdrawalSignature", 0, signature)[0]
    assert view(chain, "withdrawalOf", 0)[4] == bridge.SIGNED
    assert refused(send(chain, user.private_key, "submitRotationSignature", 0, bytes(65)), bridge.UnknownRotation)

    stake = dict(chain_authorities(chain))[ACCOUNTS[0].address]
    assert send_module(chain, newcomer.private_key, staking.MODULE, "bond", staking.VALIDATOR, value=2 * stake)[0]
    chain.author([], slot=10)
    chain.author([], slot=20)
    assert consensus.SetId.get(chain.state()) == 1
    validators, weights, kept, signed = view(chain, "rotation", 0)
    assert (validators[0], weights[0], kept, signed) == (newcomer.address, 2 * stake, [], False)
    incoming = tuple(zip(validators, weights))
    digest = view(chain, "rotationDigest", 0)[0]
    rotation = {key: sign_rotation(key, 0, incoming) for key in VALIDATOR_KEYS}
    assert bytes.fromhex(Account._recover_hash(digest, signature=rotation[VALIDATOR_KEYS[0]])[2:]) == ACCOUNTS[0].address
    assert refused(send(chain, user.private_key, "submitRotationSignature", 0,
                        sign_rotation(newcomer.private_key, 0, incoming)), bridge.NotAValidator)
    assert refused(send(chain, user.private_key, "submitRotationSignature", 0,
                        sign_rotation(VALIDATOR_KEYS[0], 1, incoming)), bridge.NotAValidator)
    for key in VALIDATOR_KEYS[:3]:
        assert send(chain, user.private_key, "submitRotationSignature", 0, rotation[key])[0]
    assert refused(send(chain, user.private_key, "submitRotationSignature", 0, rotation[VALIDATOR_KEYS[0]]),
                   bridge.DuplicateRotationSignature)
    assert view(chain, "rotation", 0)[3] is True and len(view(chain, "rotation", 0)[2]) == 3
    assert refused(send(chain, user.private_key, "submitRotationSignature", 1, rotation[VALIDATOR_KEYS[0]]),
                   bridge.UnknownRotation)

    assert view(chain, "hasSigned", 0, ACCOUNTS[0].address) == (False,), "set 0's signatures do not count in set 1"
    old = sign_withdrawal(VALIDATOR_KEYS[3], nonce=0, recipient=recipient, amount=5 * UNIT)
    assert refused(send(chain, user.private_key, "submitWithdrawalSignature", 0, old), bridge.NotAValidator)
    assert view(chain, "withdrawalOf", 0)[3:5] == (0, bridge.SIGNED), "a refused signature changes nothing"
    for index, key in enumerate(VALIDATOR_KEYS[:3] + [newcomer.private_key]):
        again = sign_withdrawal(key, nonce=0, recipient=recipient, amount=5 * UNIT, set_id=1)
        assert send(chain, user.private_key, "submitWithdrawalSignature", 0, again)[0]
        record = view(chain, "withdrawalOf", 0)
        assert record[3] == 1 and record[4] == (bridge.SIGNED if index == 3 else bridge.REQUESTED)
        assert len(view(chain, "withdrawalSignatures", 0)[0]) == index + 1


def chain_authorities(chain):
    return consensus.Authorities.get(chain.state())


def test_a_release_on_base_is_confirmed_by_proof():
    chain = MemoryChain()
    user, recipient = ACCOUNTS[1], b"\xaa" * 20
    fund_bridge(chain, 4 * UNIT, user.address)
    assert send(chain, user.private_key, "withdraw", recipient, value=UNIT)[0]
    assert send(chain, user.private_key, "withdraw", recipient, value=UNIT)[0]
    wrong_block, wrong_receipts = base_block([receipt([release_log(0, recipient, 2 * UNIT)])], number=300)
    attest(chain, wrong_block)
    assert refused(send(chain, user.private_key, "confirmRelease", *prove(wrong_block, wrong_receipts, 0)),
                   bridge.ReleaseMismatch)
    block, receipts = base_block([receipt([release_log(1, recipient, UNIT)]), receipt([])], number=301)
    attest(chain, block)
    assert refused(send(chain, user.private_key, "confirmRelease", *prove(block, receipts, 1)),
                   bridge.NoReleaseInReceipt)
    assert send(chain, user.private_key, "confirmRelease", *prove(block, receipts, 0))[0]
    assert view(chain, "withdrawalOf", 1)[4] == bridge.RELEASED and view(chain, "withdrawalOf", 1)[7] == 301
    assert view(chain, "nextUnreleasedWithdrawal") == (0,)
    assert refused(send(chain, user.private_key, "confirmRelease", *prove(block, receipts, 0)), bridge.AlreadyReleased)


def test_configuration_is_root_only():
    chain = MemoryChain()
    assert refused(send(chain, ACCOUNTS[0].private_key, "configure", 1, TOKEN, BRIDGE), system.NotRoot)
    assert send(chain, AUTHORITY.private_key, "configure", 84532, TOKEN, BRIDGE)[0]
    assert view(chain, "config") == (84532, TOKEN, BRIDGE, 0)
    spec = copy.deepcopy(SPEC)
    del spec["genesis"]["runtime"]["bridge"]
    unconfigured = MemoryChain(spec)
    assert refused(send(unconfigured, AUTHORITY.private_key, "attestBaseBlock", bytes(32)), bridge.NotConfigured)


def test_a_lying_base_node_is_caught_before_a_proof_is_sent():
    block, receipts = base_block([receipt([deposit_log(0, b"\x01" * 20, 1)])])
    with pytest.raises(ProofError, match="does not hash to its header"):
        build_receipt_proof(dict(block, gasUsed="0x1"), receipts, 0)
    with pytest.raises(ProofError, match="receiptsRoot"):
        build_receipt_proof(block, [receipt([deposit_log(0, b"\x01" * 20, 2)], transactionIndex="0x0")], 0)


# ---------------------------------------------------------------- properties

operation = st.one_of(
    st.tuples(st.just("deposit"), st.integers(0, 9), st.integers(1, 10**21)),
    st.tuples(st.just("withdraw"), st.integers(0, 9), st.integers(1, 10**21)),
    st.tuples(st.just("replay"), st.integers(0, 50), st.integers(0, 50)),
)


@settings(max_examples=15, deadline=None)
@given(st.lists(operation, min_size=1, max_size=8))
def test_bridged_supply_is_conserved_and_each_nonce_minted_once(operations):
    """Minted − burned = what the Base side locked minus what it may release, whatever the order."""
    chain = MemoryChain()
    proofs, locked, requested = [], 0, 0
    for kind, who, amount in operations:
        account = ACCOUNTS[who % len(ACCOUNTS)]
        if kind == "deposit":
            block, receipts = base_block([receipt([deposit_log(len(proofs), account.address, amount)])],
                                         number=1000 + len(proofs))
            attest(chain, block)
            proofs.append(prove(block, receipts, 0))
            assert send(chain, ACCOUNTS[9].private_key, "proveDeposit", *proofs[-1])[0]
            locked += amount
        elif kind == "replay" and proofs:
            assert refused(send(chain, ACCOUNTS[9].private_key, "proveDeposit", *proofs[who % len(proofs)]),
                           bridge.DepositAlreadyMinted)
        elif kind == "withdraw":
            ok, _ = send(chain, account.private_key, "withdraw", b"\x01" * 20, value=amount)
            assert ok == (amount <= locked - requested)
            requested += amount if ok else 0
    minted, burned, outstanding = supply_of(chain)
    assert (minted, burned, outstanding) == (locked, requested, locked - requested)
    assert view(chain, "nextUnmintedDeposit") == (len(proofs),)


def test_a_contract_many_sets_behind_can_still_be_rotated_set_by_set():
    """Consensus keeps 16 sets; the bridge keeps every set, so a Base contract that fell further behind
    (relayers down for many epochs) is still brought up to date, one signed rotation at a time."""
    spec = local_spec(epoch_length=10, root="0x" + ACCOUNTS[8].address.hex())
    spec["genesis"]["runtime"]["bridge"] = {"bridge": "0x" + BRIDGE.hex()}
    chain = MemoryChain(spec)
    for epoch in range(1, 21):
        assert send_module(chain, VALIDATOR_KEYS[epoch % 4], staking.MODULE, "bondExtra", value=UNIT)[0]
        chain.author([], slot=10 * epoch)
    set_id = consensus.SetId.get(chain.state())
    assert set_id > 16 and consensus.get_authority_set(chain.state(), 0) is None, "consensus pruned set 0"
    for old in (0, 1):
        validators, weights, _, _ = view(chain, "rotation", old)
        incoming = tuple(zip(validators, weights))
        assert incoming == bridge.SetOf.get(chain.state(), old + 1)
        for key in VALIDATOR_KEYS[:3]:
            assert send(chain, ACCOUNTS[9].private_key, "submitRotationSignature", old,
                        sign_rotation(key, old, incoming))[0]
        assert view(chain, "rotation", old)[3] is True
    assert refused(send(chain, ACCOUNTS[8].private_key, "configure", 1, TOKEN, BRIDGE), bridge.SetAlreadyChanged), \
        "a new contract would start at set 0, which this chain left"
