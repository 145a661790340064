"""The static fast path of ABI encoding agrees with eth-abi (and falls back to it otherwise)."""

from eth_abi import encode as eth_abi_encode
from hypothesis import given
from hypothesis import strategies as st

from runtime.abi import abi_encode

static = st.one_of(
    st.tuples(st.just("uint256"), st.integers(0, 2**256 - 1)),
    st.tuples(st.just("uint64"), st.integers(0, 2**64 - 1)),
    st.tuples(st.just("uint8"), st.integers(0, 255)),
    st.tuples(st.just("address"), st.binary(min_size=20, max_size=20)),
    st.tuples(st.just("bool"), st.booleans()),
    st.tuples(st.just("bytes32"), st.binary(min_size=32, max_size=32)),
    st.tuples(st.just("bytes4"), st.binary(min_size=4, max_size=4)),
    st.tuples(st.just("string"), st.text(max_size=40)),
    st.tuples(st.just("bytes"), st.binary(max_size=70)),
    st.tuples(st.just("uint8[]"), st.lists(st.integers(0, 255), max_size=5)),
    st.tuples(st.just("uint256[]"), st.lists(st.integers(0, 2**256 - 1), max_size=5)),
    st.tuples(st.just("uint32[5]"), st.lists(st.integers(0, 2**32 - 1), min_size=5, max_size=5)),
    st.tuples(st.just("address[]"), st.lists(st.binary(min_size=20, max_size=20), max_size=3)),
)


@given(st.lists(static, max_size=6))
def test_matches_eth_abi(pairs):
    types, values = [t for t, _ in pairs], [v for _, v in pairs]
    assert abi_encode(types, values) == eth_abi_encode(types, values)
