"""The transaction pool under random admissions: queues, order, replacement and limits hold."""

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.pool import PoolLimits, TransactionPool
from runtime.api import ValidTransaction
from runtime.exceptions import InvalidTransaction
from runtime.transactions import decode_transaction, sign_transaction

KEYS = [bytes([i + 1]) * 32 for i in range(3)]


@cache
def tx(sender: int, nonce: int, fee: int, tip: int):
    return decode_transaction(sign_transaction(KEYS[sender], chain_id=1, nonce=nonce, gas_limit=21_000, to=b"\x01" * 20,
                                               value=1, max_fee_per_gas=fee, max_priority_fee_per_gas=tip))


def valid(candidate, account_nonce: int) -> ValidTransaction:
    """What the runtime API answers for a transaction at or above the account nonce (it refuses
    lower ones itself: tests/runtime/test_api.py)."""
    return ValidTransaction(candidate.sender, candidate.nonce, candidate.nonce - account_nonce, 0)


admissions = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 6), st.sampled_from([100, 105, 110, 130, 200]),
                                st.sampled_from([10, 11, 20])), max_size=40)


@settings(max_examples=80, deadline=None)
@given(admissions, st.lists(st.integers(0, 3), min_size=3, max_size=3))
def test_pool_invariants(sequence, account_nonces):
    limits = PoolLimits(max_transactions=8, max_per_sender=4, max_nonce_gap=5)
    pool = TransactionPool(limits)
    senders = [tx(i, 0, 100, 10).sender for i in range(3)]
    nonce_of = {s: n for s, n in zip(senders, account_nonces)}
    for sender, nonce, fee, tip in sequence:
        candidate = tx(sender, nonce, fee, tip)
        existing = pool.by_sender.get(candidate.sender, {}).get(nonce)
        if nonce < nonce_of[candidate.sender]:
            continue
        try:
            replaced = pool.add(candidate, valid(candidate, nonce_of[candidate.sender]))
        except InvalidTransaction as error:
            assert error.reason in {"AlreadyKnown", "NonceTooHigh", "ReplacementUnderpriced",
                                    "SenderQueueFull", "PoolFull"}
            if error.reason == "ReplacementUnderpriced":
                assert existing is not None
                assert fee * 100 < existing.max_fee_per_gas * 110 or tip * 100 < existing.max_priority_fee_per_gas * 110
            continue
        assert replaced is existing
        if existing is not None:
            assert fee * 100 >= existing.max_fee_per_gas * 110 and tip * 100 >= existing.max_priority_fee_per_gas * 110
        assert nonce_of[candidate.sender] <= nonce < nonce_of[candidate.sender] + limits.max_nonce_gap

        assert len(pool) <= limits.max_transactions
        assert len(pool) == sum(len(q) for q in pool.by_sender.values()) == len(pool.by_hash)
        assert all(len(q) <= limits.max_per_sender for q in pool.by_sender.values())

    ready = pool.ready(nonce_of.__getitem__)
    for sender in senders:
        mine = [t.nonce for t in ready if t.sender == sender]
        expected = []
        while nonce_of[sender] + len(expected) in pool.by_sender.get(sender, {}):
            expected.append(nonce_of[sender] + len(expected))
        assert mine == expected, "each sender's ready run is contiguous from its account nonce"
        assert pool.pending_nonce(sender, nonce_of[sender]) == nonce_of[sender] + len(expected)

    advanced = {s: n + 2 for s, n in nonce_of.items()}
    pool.prune(advanced.__getitem__)
    assert all(t.nonce >= advanced[t.sender] for t in pool.by_hash.values())


def test_ready_is_oldest_first_across_senders():
    pool = TransactionPool()
    order = [tx(1, 0, 100, 10), tx(0, 0, 100, 10), tx(1, 1, 100, 10), tx(0, 1, 100, 10)]
    for t in order:
        pool.add(t, valid(t, 0))
    assert pool.ready(lambda sender: 0) == order


def test_rejections_name_the_reason():
    pool = TransactionPool(PoolLimits(max_transactions=2, max_per_sender=2, max_nonce_gap=3))
    pool.add(tx(0, 0, 100, 10), valid(tx(0, 0, 100, 10), 0))
    cases = [
        (tx(0, 0, 100, 10), "AlreadyKnown"),
        (tx(0, 0, 105, 11), "ReplacementUnderpriced"),
        (tx(0, 5, 100, 10), "NonceTooHigh"),
    ]
    for candidate, reason in cases:
        with pytest.raises(InvalidTransaction) as raised:
            pool.add(candidate, valid(candidate, 0))
        assert raised.value.reason == reason
    pool.add(tx(0, 1, 100, 10), valid(tx(0, 1, 100, 10), 0))
    with pytest.raises(InvalidTransaction) as raised:
        pool.add(tx(0, 2, 100, 10), valid(tx(0, 2, 100, 10), 0))
    assert raised.value.reason == "SenderQueueFull"
    with pytest.raises(InvalidTransaction) as raised:
        pool.add(tx(1, 0, 100, 10), valid(tx(1, 0, 100, 10), 0))
    assert raised.value.reason == "PoolFull"


def test_unsigned_calls_are_held_one_per_key_beside_the_nonce_queues_and_leave_when_applied():
    from chain.pool import UnsignedKeyPending
    from runtime.transactions import encode_unsigned_call
    pool = TransactionPool(PoolLimits(max_unsigned=2))
    calls = [decode_transaction(encode_unsigned_call(1, b"\x08" * 20, bytes([i]) * 8)) for i in range(4)]
    signed = tx(0, 0, 100, 10)
    pool.add(signed, valid(signed, 0))
    pool.add(calls[0], ValidTransaction(b"key a", 0, 0, 0))
    with pytest.raises(UnsignedKeyPending):
        pool.add(calls[1], ValidTransaction(b"key a", 1, 0, 0))
    pool.add(calls[2], ValidTransaction(b"key b", 0, 0, 0))
    with pytest.raises(InvalidTransaction, match="unsigned"):
        pool.add(calls[3], ValidTransaction(b"key c", 0, 0, 0))
    assert pool.ready(lambda sender: 0) == [signed, calls[0], calls[2]], "in arrival order"
    pool.prune(lambda sender: 1)
    assert pool.ready(lambda sender: 1) == [calls[0], calls[2]], "nonces do not move unsigned calls"
    pool.remove(calls[0])
    pool.add(calls[1], ValidTransaction(b"key a", 1, 0, 0))
    assert len(pool) == 2 and pool.unsigned == {b"key b": calls[2], b"key a": calls[1]}
