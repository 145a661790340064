"""balances and the executive under random transaction sequences (hypothesis).

Invariants after every block: each module's check_invariants (issuance = Σ balances ≤ cap,
no empty or overflowing accounts), issuance changes only by the burned base fee unless the
root forced a balance, only the root's forceSetBalance succeeds, nonces only grow, and a
failed call changes nothing but nonce and fee.
"""

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from hypothesis import event, given, settings
from hypothesis import strategies as st

from runtime.exceptions import DispatchError
from runtime.executive import NotPayable, OutOfGas, UnknownCall
from runtime.modules import balances, system
from runtime.transactions import ACCESS_LIST, DYNAMIC_FEE, LEGACY, decode_transaction, sign_transaction

from .harness import ACCOUNTS, AUTHORITY, CHAIN_ID, MemoryChain, transfer

BALANCES = balances.ADDRESS_
TRANSFER_SELECTOR = balances.MODULE.find_call(bytes.fromhex("a9059cbb")).selector
FORCE_SET_BALANCE_SELECTOR = next(c for c in balances.MODULE.calls if c.name == "forceSetBalance").selector
OUTSIDER = b"\x77" * 20
ROOT = "root"
"""The dev genesis makes its authority the root."""


def address_of(who) -> bytes:
    return {ROOT: AUTHORITY.address, "outsider": OUTSIDER, "balances": BALANCES}.get(who) or ACCOUNTS[who].address


tx_spec = st.fixed_dictionaries({
    "sender": st.sampled_from([0, 1, 2, 3, ROOT]),
    "nonce_offset": st.sampled_from([0, 0, 0, 0, 1, -1]),
    "to": st.sampled_from([0, 1, 2, "outsider", "balances"]),
    "value": st.one_of(st.integers(0, 10**18), st.just(10**40), st.just(2**256 - 1)),
    "tip": st.integers(0, 3 * 10**9),
    "max_fee": st.sampled_from([10**8, 10**9, 5 * 10**9, 10**11]),
    "gas": st.sampled_from([21_000, 20_999, 30_000, 60_000]),
    "tx_type": st.sampled_from([LEGACY, ACCESS_LIST, DYNAMIC_FEE]),
    "call": st.sampled_from([None, "transfer", "transfer_too_much", "unknown", "garbage", "force_set_balance"]),
    "set_who": st.sampled_from([0, 1, "outsider", ROOT]),
    "set_free": st.sampled_from([0, 1, 10**18, 10**22, 10**27, 2**256 - 1]),
})
force_set_balance_spec = tx_spec.map(lambda spec: dict(
    spec, to="balances", call="force_set_balance", value=0, gas=60_000, max_fee=10**11, nonce_offset=0))
"""A forceSetBalance that reaches its handler, by root or not (random ones rarely do)."""


def build(chain: MemoryChain, spec: dict, pending: dict) -> bytes:
    sender = spec["sender"]
    address = address_of(sender)
    nonce = max(0, system.get_nonce(chain.state(), address) + pending.get(sender, 0) + spec["nonce_offset"])
    to = address_of(spec["to"])
    data = b""
    if to == BALANCES and spec["call"]:
        data = {
            "transfer": TRANSFER_SELECTOR + abi_encode(["address", "uint256"], [OUTSIDER, 10**17]),
            "transfer_too_much": TRANSFER_SELECTOR + abi_encode(["address", "uint256"], [OUTSIDER, 10**30]),
            "unknown": b"\xde\xad\xbe\xef",
            "garbage": TRANSFER_SELECTOR + b"\x01\x02",
            "force_set_balance": FORCE_SET_BALANCE_SELECTOR + abi_encode(
                ["address", "uint256"], [address_of(spec["set_who"]), spec["set_free"]]),
        }[spec["call"]]
    tip = min(spec["tip"], spec["max_fee"])
    if sender == ROOT:
        return sign_transaction(AUTHORITY.private_key, spec["tx_type"], chain_id=CHAIN_ID, nonce=nonce,
                                gas_limit=spec["gas"], to=to, value=spec["value"], data=data,
                                max_fee_per_gas=spec["max_fee"], max_priority_fee_per_gas=tip)
    return transfer(sender, nonce, to, spec["value"], max_fee=spec["max_fee"], tip=tip, gas=spec["gas"], data=data,
                    tx_type=spec["tx_type"])


def totals(chain: MemoryChain) -> tuple[int, dict]:
    state = chain.state()
    nonces = {a: system.get_nonce(state, a) for a in [a.address for a in ACCOUNTS[:4]] + [AUTHORITY.address]}
    return balances.TotalIssuance.get(state), nonces


def is_force_set_balance(applied) -> bool:
    tx = applied.transaction
    return tx.to == BALANCES and tx.data[:4] == FORCE_SET_BALANCE_SELECTOR


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(tx_spec, force_set_balance_spec), max_size=6), min_size=1, max_size=5))
def test_random_blocks_keep_every_invariant(blocks):
    chain = MemoryChain()
    for block_specs in blocks:
        pending: dict = {}
        raws = []
        for spec in block_specs:
            raws.append(build(chain, spec, pending))
            pending[spec["sender"]] = pending.get(spec["sender"], 0) + 1
        issuance_before, nonces_before = totals(chain)
        outcome, rejected = chain.author([decode_transaction(raw) for raw in raws])
        chain.check_invariants()
        issuance_after, nonces_after = totals(chain)
        burned = sum(a.gas_used * outcome.block.header.base_fee_per_gas for a in outcome.applied)
        forced = [a for a in outcome.applied if is_force_set_balance(a) and a.receipt.status == 1]
        assert all(a.transaction.sender == AUTHORITY.address for a in forced), "only the root forces balances"
        assert all(a.receipt.logs[-1].topics[0] == balances.BalanceSet.topic for a in forced)
        for applied in outcome.applied:
            if is_force_set_balance(applied) and applied.transaction.sender != AUTHORITY.address \
                    and not applied.transaction.value and applied.revert_data[:4] != OutOfGas.selector:
                assert applied.revert_data == system.NotRoot.encode(applied.transaction.sender)
        if forced:
            event("the root forced a balance")
        else:
            assert issuance_after == issuance_before - burned
        assert all(nonces_after[a] >= nonces_before[a] for a in nonces_before)
        included = [a.transaction.hash for a in outcome.applied]
        assert len(set(included)) == len(included), "no transaction is included twice"
        for tx, error in rejected:
            assert tx.hash not in included or error.reason == "NonceTooLow", "only a repeat of an included one"
        for applied in outcome.applied:
            assert applied.receipt.status in (0, 1)
            assert applied.receipt.status == 1 or applied.revert_data


@pytest.mark.parametrize("value, error", [(0, balances.InsufficientBalance), (5, NotPayable)])
def test_failed_call_pays_fee_and_changes_nothing_else(value, error):
    chain = MemoryChain()
    state = chain.state()
    sender = ACCOUNTS[0].address
    before = {who: balances.get_account(state, who) for who in (sender, OUTSIDER, AUTHORITY.address)}
    data = TRANSFER_SELECTOR + abi_encode(["address", "uint256"], [OUTSIDER, 10**30])
    outcome, rejected = chain.author([decode_transaction(transfer(0, 0, BALANCES, value, gas=60_000, data=data))])
    assert not rejected
    (applied,) = outcome.applied
    assert applied.receipt.status == 0 and applied.receipt.logs == ()
    assert applied.revert_data[:4] == error.selector
    if error is balances.InsufficientBalance:
        assert abi_decode(["uint256", "uint256"], applied.revert_data[4:])[1] == 10**30
    state = chain.state()
    fee = applied.gas_used * applied.effective_gas_price
    assert balances.free_balance(state, sender) == before[sender].free - fee, "any value sent was rolled back too"
    assert balances.free_balance(state, OUTSIDER) == 0
    tip = applied.gas_used * (applied.effective_gas_price - outcome.block.header.base_fee_per_gas)
    assert balances.free_balance(state, AUTHORITY.address) == before[AUTHORITY.address].free + tip
    assert system.get_nonce(state, sender) == 1


def test_module_call_transfers_and_emits_erc20_log():
    chain = MemoryChain()
    data = TRANSFER_SELECTOR + abi_encode(["address", "uint256"], [OUTSIDER, 10**17])
    outcome, _ = chain.author([decode_transaction(transfer(0, 0, BALANCES, 0, gas=60_000, data=data))])
    (applied,) = outcome.applied
    assert applied.receipt.status == 1
    assert applied.gas_used == 21_000 + 16 * sum(1 for b in data if b) + 4 * data.count(0) + 5_000
    (log,) = applied.receipt.logs
    assert log.address == BALANCES and log.topics[0] == balances.Transfer.topic
    assert log.topics[2][-20:] == OUTSIDER and abi_decode(["uint256"], log.data) == (10**17,)
    assert balances.free_balance(chain.state(), OUTSIDER) == 10**17
    assert abi_decode(["bool"], applied.return_data) == (True,)


def test_unknown_selector_and_out_of_gas_fail_with_framework_errors():
    chain = MemoryChain()
    outcome, _ = chain.author([
        decode_transaction(transfer(0, 0, BALANCES, 0, gas=60_000, data=b"\xde\xad\xbe\xef")),
        decode_transaction(transfer(0, 1, BALANCES, 0, gas=21_700,
                                    data=TRANSFER_SELECTOR + abi_encode(["address", "uint256"], [OUTSIDER, 1]))),
    ])
    unknown, out_of_gas = outcome.applied
    assert unknown.receipt.status == 0 and unknown.revert_data == UnknownCall.encode(b"\xde\xad\xbe\xef")
    assert out_of_gas.receipt.status == 0 and out_of_gas.revert_data[:4] == OutOfGas.selector
    assert out_of_gas.gas_used == 21_700, "out of gas charges the whole gas limit"


hold_ops = st.lists(st.tuples(st.sampled_from(["hold", "release", "transfer_held", "burn_held"]),
                              st.integers(0, 2), st.sampled_from([b"test-hold-a", b"test-hold-b"]),
                              st.one_of(st.integers(0, 10**22), st.just(10**30))), max_size=25)


@given(hold_ops)
def test_holds_keep_reserved_equal_to_their_sum(ops):
    chain = MemoryChain()
    for op, who, reason, amount in ops:
        state = chain.state()
        account = ACCOUNTS[who].address
        before = balances.get_account(state, account), balances.TotalIssuance.get(state)
        state.checkpoint()
        try:
            if op == "transfer_held":
                balances.transfer_held(state, account, reason, OUTSIDER, amount)
            else:
                getattr(balances, op)(state, account, reason, amount)
        except DispatchError as error:
            state.rollback()
            assert error.error in (balances.InsufficientBalance, balances.InsufficientHold)
            assert (balances.get_account(state, account), balances.TotalIssuance.get(state)) == before
            continue
        state.commit()
        chain.backend.apply(state.changes())
        chain.check_invariants()
        issuance = balances.TotalIssuance.get(chain.state())
        assert issuance == before[1] - (amount if op == "burn_held" else 0)
