"""Transaction decoding: agrees with eth_account, and hostile bytes only ever raise InvalidTransaction."""

import pytest
import rlp
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.crypto import SECP256K1_N, keccak256
from runtime.exceptions import InvalidTransaction
from runtime.transactions import (ACCESS_LIST, DYNAMIC_FEE, LEGACY, MAX_TRANSACTION_SIZE, NO_SENDER, UNSIGNED,
                                  AccessListEntry, decode_transaction, encode_unsigned_call, sign_transaction)

KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")

fields = st.fixed_dictionaries({
    "tx_type": st.sampled_from([LEGACY, ACCESS_LIST, DYNAMIC_FEE]),
    "chain_id": st.integers(1, 2**32),
    "nonce": st.integers(0, 2**64 - 1),
    "gas_limit": st.integers(0, 2**64 - 1),
    "to": st.binary(min_size=20, max_size=20),
    "value": st.integers(0, 2**256 - 1),
    "data": st.binary(max_size=64),
    "max_fee_per_gas": st.integers(0, 2**256 - 1),
    "tip": st.integers(0, 2**256 - 1),
    "access": st.lists(st.tuples(st.binary(min_size=20, max_size=20),
                                 st.lists(st.binary(min_size=32, max_size=32), max_size=2)), max_size=2),
})


def signed(f: dict) -> bytes:
    tip = min(f["tip"], f["max_fee_per_gas"])
    access = tuple(AccessListEntry(a, tuple(k)) for a, k in f["access"]) if f["tx_type"] != LEGACY else ()
    return sign_transaction(KEY, f["tx_type"], chain_id=f["chain_id"], nonce=f["nonce"], gas_limit=f["gas_limit"],
                            to=f["to"], value=f["value"], data=f["data"], max_fee_per_gas=f["max_fee_per_gas"],
                            max_priority_fee_per_gas=tip, access_list=access)


@settings(max_examples=60)
@given(fields)
def test_round_trip_and_eth_account_agree(f):
    raw = signed(f)
    tx = decode_transaction(raw)
    assert tx.sender.hex() == Account.from_key(KEY).address[2:].lower()
    assert (tx.nonce, tx.gas_limit, tx.to, tx.value, tx.data, tx.chain_id) == (
        f["nonce"], f["gas_limit"], f["to"], f["value"], f["data"], f["chain_id"])
    recovered = Account.recover_transaction(raw)
    assert recovered[2:].lower() == tx.sender.hex()


@settings(max_examples=200)
@given(fields, st.data())
def test_any_mutation_is_rejected_cleanly_or_changes_the_sender(f, data):
    raw = bytearray(signed(f))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= data.draw(st.integers(1, 255))
    try:
        tx = decode_transaction(bytes(raw))
    except InvalidTransaction:
        return
    original = decode_transaction(signed(f))
    assert tx.hash != original.hash
    assert authorised(tx) != authorised(original), "a changed transaction must not keep the original signer's authority"


def authorised(tx) -> tuple:
    """What a signature authorises: the signer and every signed field."""
    return (tx.sender, tx.tx_type, tx.chain_id, tx.nonce, tx.gas_limit, tx.to, tx.value, tx.data,
            tx.max_fee_per_gas, tx.max_priority_fee_per_gas, tx.access_list)


@given(st.binary(max_size=300))
def test_random_bytes_never_raise_anything_else(raw):
    try:
        decode_transaction(raw)
    except InvalidTransaction:
        pass


def test_specific_rejections_name_the_reason():
    good = sign_transaction(KEY, DYNAMIC_FEE, chain_id=1, nonce=0, gas_limit=21000, to=b"\x01" * 20, value=1,
                            max_fee_per_gas=10, max_priority_fee_per_gas=1)
    cases = {
        b"": "MalformedTransaction",
        b"\x03" + good[1:]: "UnsupportedTransactionType",
        good + b"\x00": "MalformedTransaction",
        b"\x02" + b"\xc1\x80": "MalformedTransaction",
        b"\x02" + b"\x00" * (MAX_TRANSACTION_SIZE): "OversizedTransaction",
    }
    fields_ = rlp.decode(good[1:])
    high_s = fields_[:-1] + [(SECP256K1_N - int.from_bytes(fields_[-1], "big")).to_bytes(32, "big")]
    cases[b"\x02" + rlp.encode(high_s)] = "InvalidSignature"
    zero_r = fields_[:-2] + [b"", fields_[-1]]
    cases[b"\x02" + rlp.encode(zero_r)] = "InvalidSignature"
    leading_zero = [b"\x00\x01"] + fields_[1:]
    cases[b"\x02" + rlp.encode(leading_zero)] = "MalformedTransaction"
    tip_above = fields_[:2] + [b"\x64", b"\x0a"] + fields_[4:]
    cases[b"\x02" + rlp.encode(tip_above)] = "TipAboveFeeCap"
    legacy = rlp.decode(sign_transaction(KEY, LEGACY, chain_id=1, nonce=0, gas_limit=21000, to=b"\x01" * 20, value=1,
                                         max_fee_per_gas=10))
    cases[rlp.encode(legacy[:6] + [b"\x1b"] + legacy[7:])] = "MissingChainId"
    for raw, reason in cases.items():
        try:
            decode_transaction(raw)
        except InvalidTransaction as error:
            assert error.reason == reason, (raw[:8], error)
        else:
            raise AssertionError(f"accepted {raw[:16]!r}, expected {reason}")


@given(st.integers(0, 2**64), st.binary(min_size=20, max_size=20), st.binary(max_size=200))
def test_an_unsigned_call_round_trips_with_no_sender_nonce_or_fee(chain_id, to, data):
    raw = encode_unsigned_call(chain_id, to, data)
    tx = decode_transaction(raw)
    assert (tx.tx_type, tx.chain_id, tx.to, tx.data) == (UNSIGNED, chain_id, to, data)
    assert (tx.sender, tx.nonce, tx.value, tx.gas_limit, tx.max_fee_per_gas) == (NO_SENDER, 0, 0, 0, 0)
    assert tx.hash == keccak256(raw)


def test_malformed_unsigned_calls_name_the_reason():
    good = encode_unsigned_call(1, b"\x01" * 20, b"\xab")
    fields_ = rlp.decode(good[1:])
    cases = {
        b"\x46" + rlp.encode(fields_ + [b""]): "MalformedTransaction",
        b"\x46" + rlp.encode([fields_[0], b"", fields_[2]]): "MalformedTransaction",
        b"\x46" + rlp.encode([fields_[0], b"\x01" * 19, fields_[2]]): "MalformedTransaction",
        b"\x46" + rlp.encode([b"\x00\x01", fields_[1], fields_[2]]): "MalformedTransaction",
        b"\x46" + rlp.encode([fields_[0], fields_[1], [b"\xab"]]): "MalformedTransaction",
        good + b"\x00": "MalformedTransaction",
    }
    for raw, reason in cases.items():
        with pytest.raises(InvalidTransaction) as caught:
            decode_transaction(raw)
        assert caught.value.reason == reason, (raw, caught.value)
