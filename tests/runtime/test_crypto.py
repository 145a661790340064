"""The fast primitives agree with the reference libraries they replace on the hot path."""

import pytest
import rlp
from Crypto.Hash import keccak
from hypothesis import given
from hypothesis import strategies as st

from runtime.crypto import SECP256K1_N, RlpShapeError, check_rlp_depth, keccak256, private_key_to_address, recover_address, rlp_encode, sign_hash

nested = st.recursive(st.binary(max_size=70), lambda inner: st.lists(inner, max_size=5), max_leaves=20)


@given(st.binary(max_size=400))
def test_keccak256_matches_pycryptodome(data):
    assert keccak256(data) == keccak.new(data=data, digest_bits=256).digest()


@given(nested)
def test_rlp_encode_matches_pyrlp(item):
    assert rlp_encode(item) == rlp.encode(item)


@given(st.binary(min_size=32, max_size=32), st.integers(1, 2**255))
def test_sign_then_recover(message_hash, secret):
    key = (secret % (SECP256K1_N - 1) + 1).to_bytes(32, "big")
    y, r, s = sign_hash(key, message_hash)
    assert recover_address(message_hash, y, r, s) == private_key_to_address(key)


def depth(item) -> int:
    return 0 if isinstance(item, bytes) else 1 + max((depth(x) for x in item), default=0)


@given(nested, st.integers(0, 5))
def test_rlp_depth_check_accepts_exactly_the_shallow_items(item, limit):
    encoded = rlp_encode(item)
    try:
        check_rlp_depth(encoded, limit)
    except RlpShapeError:
        assert depth(item) > limit
    else:
        assert depth(item) <= limit


@given(st.binary(max_size=200))
def test_rlp_depth_check_terminates_on_any_bytes(data):
    try:
        check_rlp_depth(data, 3)
    except RlpShapeError:
        pass


def test_hostile_nesting_is_refused_without_recursion():
    payload = b"\xc0"
    for _ in range(60_000):
        n = len(payload)
        length = n.to_bytes((n.bit_length() + 7) // 8, "big")
        payload = (bytes((0xC0 + n,)) if n < 56 else bytes((0xF7 + len(length),)) + length) + payload
    with pytest.raises(RlpShapeError):
        check_rlp_depth(payload, 3)


@pytest.mark.parametrize("data, reason", [
    ("c301c201", "runs past the end of its list"),      # rusty-rlp decodes it to [01]
    ("c400b80105", "not in its canonical form"),       # long form for a 1-byte string: rusty-rlp gives [00]
    ("c500f9000105", "not in its canonical form"),     # long-form list length with a leading zero
    ("b8020102", "not in its canonical form"),
    ("c28105", "canonical single-byte form"),           # 0x05 written as a one-byte string
])
def test_non_canonical_rlp_is_refused(data, reason):
    """Each of these decodes (to something else) in rusty-rlp; the scan refuses them first."""
    with pytest.raises(RlpShapeError, match=reason):
        check_rlp_depth(bytes.fromhex(data), 3)


def test_a_transaction_with_a_padded_list_is_refused():
    """The malleability these rules close: a signed transaction with `b8 00` appended inside its list."""
    from runtime.exceptions import MalformedTransaction
    from runtime.transactions import DYNAMIC_FEE, decode_transaction, sign_transaction
    raw = sign_transaction(b"\x01" * 32, DYNAMIC_FEE, chain_id=1, nonce=0, gas_limit=21_000, to=b"\x02" * 20,
                           value=1, max_fee_per_gas=10, max_priority_fee_per_gas=1)
    payload = raw[1 + _header_size(raw[1:]):]
    padded = raw[:1] + _relist(payload + b"\xb8\x00")
    assert rlp.decode(padded[1:]) == rlp.decode(raw[1:]), "rusty-rlp alone would take it as the same transaction"
    with pytest.raises(MalformedTransaction):
        decode_transaction(padded)


def _header_size(encoded: bytes) -> int:
    return 1 if encoded[0] < 0xF8 else 1 + encoded[0] - 0xF7


def _relist(payload: bytes) -> bytes:
    if len(payload) < 56:
        return bytes((0xC0 + len(payload),)) + payload
    size = (len(payload).bit_length() + 7) // 8
    return bytes((0xF7 + size,)) + len(payload).to_bytes(size, "big") + payload


@given(st.one_of(st.binary(max_size=64), st.recursive(st.binary(max_size=8), lambda c: st.lists(c, max_size=4),
                                                      max_leaves=12).map(rlp_encode).flatmap(
    lambda encoded: st.integers(0, len(encoded) - 1).flatmap(
        lambda i: st.integers(0, 255).map(lambda b: encoded[:i] + bytes((b,)) + encoded[i + 1:])))))
def test_what_passes_the_scan_and_decodes_is_the_one_canonical_encoding(data):
    """So a payload (a transaction, say) has exactly one encoding, hence one hash."""
    try:
        check_rlp_depth(data, 8)
        decoded = rlp.decode(data, strict=True)
    except (RlpShapeError, rlp.exceptions.DecodingError):
        return
    assert rlp_encode(decoded) == data
