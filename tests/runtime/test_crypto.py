"""The fast primitives agree with the reference libraries they replace on the hot path."""

import rlp
from Crypto.Hash import keccak
from hypothesis import given
from hypothesis import strategies as st

from runtime.crypto import SECP256K1_N, keccak256, private_key_to_address, recover_address, rlp_encode, sign_hash

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
