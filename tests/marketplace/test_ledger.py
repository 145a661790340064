"""hosting/ledger.py: what a host was promised survives a restart, a torn last line is skipped, and loading
keeps only what can still be redeemed or settled."""

from hypothesis import given, settings
from hypothesis import strategies as st

from hosting.ledger import Ledger, SignedReceipt, SignedVoucher

USERS = [bytes([i]) * 20 for i in range(1, 4)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(USERS), st.integers(1, 10**6)), min_size=1, max_size=40))
def test_the_newest_voucher_of_each_user_survives_a_restart(tmp_path_factory, vouchers):
    path = tmp_path_factory.mktemp("ledger") / "ledger.jsonl"
    ledger = Ledger(path)
    for count, (user, amount) in enumerate(vouchers, 1):
        ledger.record_voucher(user, SignedVoucher(count, amount, 99, b"\x03" * 32, b"\x01" * 65))
    ledger.close()
    with open(path, "ab") as file:
        file.write(b'{"kind":"voucher","user":"01')
    reopened = Ledger(path)
    expected = {}
    for user, amount in vouchers:
        expected[user] = max(expected.get(user, 0), amount)
    assert {user: v.amount for user, v in reopened.vouchers.items()} == expected
    assert len(path.read_bytes().splitlines()) == len(expected), "compacted to one line per user"


def test_loading_keeps_the_receipts_of_the_two_newest_epochs(tmp_path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.record_receipt(3, USERS[0], SignedReceipt(7, b"\x03" * 32, b"\x02" * 65))
    ledger.record_receipt(4, USERS[2], SignedReceipt(1, b"\x03" * 32, b"\x02" * 65))
    ledger.record_receipt(5, USERS[0], SignedReceipt(2, b"\x03" * 32, b"\x02" * 65))
    ledger.record_receipt(5, USERS[1], SignedReceipt(3, b"\x03" * 32, b"\x02" * 65))
    ledger.close()
    reopened = Ledger(tmp_path / "ledger.jsonl")
    assert (reopened.free_used(5, USERS[0]), reopened.free_used(5, USERS[1]), reopened.free_used(4, USERS[2]),
            reopened.free_used(3, USERS[0])) == (2, 3, 1, 0), "epochs 5 and 4 are kept, 3 is not"
