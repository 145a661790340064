"""The runtime API answers what the executive does: a transaction it validates as ready goes into
the next block, one it refuses is refused by block building for the same reason; its views are
the ones `eth_call` answers."""

from hypothesis import given, reject, settings
from hypothesis import strategies as st
import pytest
from eth_abi import decode

from chain.composition import RUNTIME
from runtime.api import RuntimeApi
from runtime.exceptions import InvalidTransaction, NonceTooHigh, NonceTooLow
from runtime.transactions import decode_transaction

from .harness import ACCOUNTS, MemoryChain, call_data, transfer

API = RuntimeApi(RUNTIME)
RECIPIENT = b"\x42" * 20


def advanced_chain() -> MemoryChain:
    """A dev chain whose account 0 has sent two transactions, so nonces below 2 are stale."""
    chain = MemoryChain()
    chain.author([decode_transaction(transfer(0, n, RECIPIENT, 1)) for n in range(2)])
    return chain


CHAIN = advanced_chain()

transactions = st.builds(
    transfer, sender_index=st.sampled_from([0, 1]), nonce=st.integers(0, 4), to=st.just(RECIPIENT),
    value=st.one_of(st.integers(0, 10**18), st.just(10**40)),
    max_fee=st.sampled_from([1, 10**8, 10**9, 10**10, 10**30]), tip=st.sampled_from([0, 10**9, 10**11]),
    gas=st.sampled_from([20_999, 21_000, 50_000, 10**9]), chain_id=st.sampled_from([31337, 1]))


@settings(max_examples=150, deadline=None)
@given(transactions)
def test_validate_transaction_agrees_with_block_building(raw):
    try:
        tx = decode_transaction(raw)
    except InvalidTransaction:
        reject()  # refused before the API sees it (a tip above the fee cap): tests/runtime/test_transactions.py
    state, parent = CHAIN.state(), CHAIN.head
    outcome, rejected = API.build_block(CHAIN.backend, CHAIN.trie(), parent, CHAIN.template(), [tx])
    refused = {id(t): error for t, error in rejected}
    try:
        valid = API.validate_transaction(state, API.pending_env(parent), tx)
    except InvalidTransaction as error:
        assert id(tx) in refused, f"the API refused ({error.reason}) what the block took"
        ahead = tx.nonce > API.account_nonce(state, tx.sender)
        after_nonce_check = error.reason in {"InsufficientFunds", "NonceMax"}
        assert refused[id(tx)].reason == ("NonceTooHigh" if ahead and after_nonce_check else error.reason)
        return
    assert valid.sender == tx.sender and valid.nonce == tx.nonce
    assert valid.ahead == tx.nonce - API.account_nonce(state, tx.sender) >= 0
    assert valid.priority == tx.effective_gas_price(API.next_base_fee(parent)) - API.next_base_fee(parent)
    if valid.ahead == 0:
        assert [a.transaction.hash for a in outcome.applied] == [tx.hash], "a ready transaction goes in"
        assert valid.requires == ()
    else:
        assert isinstance(refused[id(tx)], NonceTooHigh), "a future one waits"
        assert valid.requires == ((tx.sender, tx.nonce - 1),)
    assert valid.provides == (tx.sender, tx.nonce)


def test_stale_nonce_is_refused_with_its_type():
    tx = decode_transaction(transfer(0, 1, RECIPIENT, 1))
    with pytest.raises(NonceTooLow) as raised:
        API.validate_transaction(CHAIN.state(), API.pending_env(CHAIN.head), tx)
    assert raised.value.reason == "NonceTooLow" and "account nonce is 2" in str(raised.value)


def test_views_are_what_eth_call_answers():
    state, env = CHAIN.state(), API.call_env(CHAIN.head)
    for module, view, args in [("randomness", "currentEpoch", ()), ("randomness", "epochLength", ()),
                               ("bridge", "supply", ()), ("fl_alliance", "taskCount", ())]:
        declaration = next(v for v in API.module_named(state, module).views if v.name == view)
        ok, data = API.call(CHAIN.backend, env, ACCOUNTS[0].address, API.module_address(state, module), 0,
                            call_data(API.module_named(state, module), view, *args))
        assert ok and decode(list(declaration.returns), data) == API.view(state, module, view, *args)
    with pytest.raises(KeyError):
        API.view(state, "bridge", "noSuchView")
    with pytest.raises(KeyError):
        API.query(state, "fl_alliance", "noSuchQuery")


def test_metadata_lists_every_module_with_its_abi():
    state = CHAIN.state()
    names = [m.name for m in API.metadata(state)]
    assert names[:4] == ["system", "balances", "randomness", "consensus"]
    assert names == [m.name for m in RUNTIME.modules]
    assert all(API.is_module_address(state, m.address) for m in API.metadata(state))
    call = API.encode_call(state, "balances", "transfer", [RECIPIENT, 5])
    assert call.to == API.module_address(state, "balances") and call.weight > 0
    assert call.data[:4] == next(c for c in API.module_named(state, "balances").calls
                                 if c.name == "transfer").selector
    assert API.account_balance(CHAIN.state(), RECIPIENT) == 2 and API.account_nonce(CHAIN.state(),
                                                                                   ACCOUNTS[0].address) == 2
