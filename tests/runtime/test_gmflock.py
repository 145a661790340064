"""gmflock through real blocks: the formula at its boundaries, every error, huge amounts, and
random sequences of locks, unlocks and time jumps checked against a model after every block
(each module's check_invariants, balances, holds, locks, and balanceOfAt / totalSupplyAt at
every past block)."""

import copy
from fractions import Fraction

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from hypothesis import event, given, settings
from hypothesis import strategies as st

from runtime.executive import UnknownCall, block_env, call_readonly
from runtime.modules import balances, gmflock, system
from runtime.transactions import decode_transaction

from .harness import ACCOUNTS, SPEC, MemoryChain, transfer

GMFLOCK = gmflock.ADDRESS_
UNIT = 10**18
DAY = 86_400
GAS = 200_000
LOCK = next(c for c in gmflock.MODULE.calls if c.name == "lock")
UNLOCK = next(c for c in gmflock.MODULE.calls if c.name == "unlock")


def declaration(name: str):
    return next(d for d in (*gmflock.MODULE.calls, *gmflock.MODULE.views) if d.name == name)


def call_data(name: str, *args) -> bytes:
    decl = declaration(name)
    return decl.selector + abi_encode([p.type for p in decl.params], list(args))


def lock_tx(sender: int, nonce: int, value: int, days: int) -> bytes:
    return transfer(sender, nonce, GMFLOCK, value, gas=GAS, data=call_data("lock", days))


def unlock_tx(sender: int, nonce: int, lock_id: int) -> bytes:
    return transfer(sender, nonce, GMFLOCK, 0, gas=GAS, data=call_data("unlock", lock_id))


def view(chain: MemoryChain, name: str, *args):
    """A view through the executive's dispatch and the ABI, as eth_call runs it."""
    decl = declaration(name)
    ok, output = call_readonly(chain.runtime, chain.backend, block_env(chain.head), ACCOUNTS[0].address, GMFLOCK, 0,
                               call_data(name, *args))
    assert ok, output.hex()
    values = abi_decode(list(decl.returns), output)
    return values[0] if len(values) == 1 else values


def exact_gm(amount: int, days: int) -> Fraction:
    """FLock's published formula in exact rationals: n·(1 + 2.19·(t − 30)/365) above 30 days."""
    if days <= 30:
        return Fraction(amount)
    return amount * (1 + Fraction(219, 100) * (days - 30) / 365)


def author(chain: MemoryChain, *raws: bytes, timestamp: int | None = None):
    outcome, rejected = chain.author([decode_transaction(raw) for raw in raws], timestamp=timestamp)
    assert not rejected, rejected
    chain.check_invariants()
    return outcome


def nonce_of(chain: MemoryChain, index: int) -> int:
    return system.get_nonce(chain.state(), ACCOUNTS[index].address)


# The formula

@pytest.mark.parametrize("amount, days, expected", [
    (UNIT, 1, UNIT), (UNIT, 30, UNIT), (UNIT, 31, UNIT + 6 * 10**15), (UNIT, 364, 3_004 * 10**15),
    (UNIT, 365, 3_010 * 10**15),
    (1, 1, 1), (1, 30, 1), (1, 31, 1), (1, 364, 3), (1, 365, 3),
    (7, 31, 7), (36_500, 31, 36_719), (12_345, 200, 12_345 + 12_345 * 219 * 170 // 36_500),
    (10**27, 365, 3_010 * 10**24),
])
def test_formula_at_its_boundaries(amount, days, expected):
    chain = MemoryChain()
    assert gmflock.compute_gm_amount(chain.state(), amount, days) == expected
    assert view(chain, "gmAmountFor", amount, days) == expected
    assert expected <= exact_gm(amount, days) < expected + 1, "floored, less than 1 wei below the exact value"


@given(st.integers(0, 2**200), st.integers(1, 365))
def test_formula_floors_the_exact_value(amount, days):
    m = gmflock.compute_gm_amount(MemoryChain().state(), amount, days)
    assert m == amount + (amount * 219 * (days - 30) // 36_500 if days > 30 else 0)
    assert m <= exact_gm(amount, days) < m + 1
    assert m >= amount


def test_formula_is_monotone_in_days():
    state = MemoryChain().state()
    values = [gmflock.compute_gm_amount(state, 10**24 + 1, days) for days in range(1, 366)]
    assert values[:30] == [10**24 + 1] * 30 and all(a < b for a, b in zip(values[29:], values[30:]))


# Calls and errors

def test_lock_holds_the_value_and_mints_gmflock():
    chain = MemoryChain()
    owner = ACCOUNTS[0].address
    before = balances.get_account(chain.state(), owner)
    outcome = author(chain, lock_tx(0, 0, 5 * UNIT, 365))
    (applied,) = outcome.applied
    assert applied.receipt.status == 1, applied.revert_data.hex()
    fee = applied.gas_used * applied.effective_gas_price
    state = chain.state()
    after = balances.get_account(state, owner)
    assert (after.free, after.reserved) == (before.free - 5 * UNIT - fee, 5 * UNIT)
    assert balances.get_held(state, owner, b"gmflock") == 5 * UNIT
    assert balances.get_account(state, GMFLOCK) == balances.AccountData(), "the module account keeps nothing"
    unlock_at = outcome.block.header.timestamp + 365 * DAY
    assert view(chain, "balanceOf", owner) == view(chain, "totalSupply") == 15_050 * 10**15
    assert view(chain, "lockOf", owner, 0) == (5 * UNIT, 15_050 * 10**15, unlock_at, False)
    assert view(chain, "lockCount", owner) == 1
    transfer_log, votes_log, locked_log = applied.receipt.logs
    assert votes_log.topics[0] == gmflock.DelegateVotesChanged.topic and votes_log.topics[1][-20:] == owner
    assert abi_decode(["uint256", "uint256"], votes_log.data) == (0, 15_050 * 10**15), "a lock votes for its owner"
    assert transfer_log.address == balances.ADDRESS_ and transfer_log.topics[1][-20:] == owner
    assert transfer_log.topics[2][-20:] == GMFLOCK
    assert locked_log.address == GMFLOCK and locked_log.topics[0] == gmflock.Locked.topic
    assert locked_log.topics[1][-20:] == owner and int.from_bytes(locked_log.topics[2], "big") == 0
    assert abi_decode(["uint256", "uint256", "uint64"], locked_log.data) == (5 * UNIT, 15_050 * 10**15, unlock_at)


def test_unlock_after_expiry_releases_and_burns():
    chain = MemoryChain()
    owner = ACCOUNTS[1].address
    first = author(chain, lock_tx(1, 0, 2 * UNIT, 1), lock_tx(1, 1, 3 * UNIT, 31))
    unlock_at = first.block.header.timestamp + DAY
    early = author(chain, unlock_tx(1, 2, 0), timestamp=unlock_at - 1)
    assert early.applied[0].revert_data == gmflock.LockNotExpired.encode(unlock_at)
    free_before = balances.get_account(chain.state(), owner).free
    outcome = author(chain, unlock_tx(1, 3, 0), timestamp=unlock_at)
    (applied,) = outcome.applied
    assert applied.receipt.status == 1, "unlockable exactly at unlockAt"
    fee = applied.gas_used * applied.effective_gas_price
    state = chain.state()
    assert balances.get_account(state, owner).free == free_before + 2 * UNIT - fee
    assert balances.get_held(state, owner, b"gmflock") == 3 * UNIT
    remaining = 3 * UNIT + 3 * UNIT * 219 // 36_500
    assert view(chain, "balanceOf", owner) == view(chain, "totalSupply") == remaining
    assert view(chain, "lockOf", owner, 0) == (2 * UNIT, 2 * UNIT, unlock_at, True)
    votes_log, released, unlocked = applied.receipt.logs
    assert votes_log.topics[0] == gmflock.DelegateVotesChanged.topic
    assert released.address == balances.ADDRESS_ and released.topics[1][-20:] == GMFLOCK
    assert released.topics[2][-20:] == owner and abi_decode(["uint256"], released.data) == (2 * UNIT,)
    assert unlocked.topics[0] == gmflock.Unlocked.topic
    assert abi_decode(["uint256", "uint256"], unlocked.data) == (2 * UNIT, 2 * UNIT)
    again = author(chain, unlock_tx(1, 4, 0))
    assert again.applied[0].revert_data == gmflock.AlreadyUnlocked.encode(0)
    first_block = first.block.header.number
    assert view(chain, "balanceOfAt", owner, first_block - 1) == 0
    assert view(chain, "balanceOfAt", owner, first_block) == 2 * UNIT + remaining
    assert view(chain, "totalSupplyAt", outcome.block.header.number) == remaining


@pytest.mark.parametrize("value, days, error, args", [
    (UNIT, 0, gmflock.InvalidDuration, (0,)),
    (UNIT, 366, gmflock.InvalidDuration, (366,)),
    (UNIT, 2**256 - 1, gmflock.InvalidDuration, (2**256 - 1,)),
    (0, 30, gmflock.ZeroAmount, ()),
    (0, 0, gmflock.InvalidDuration, (0,)),
])
def test_lock_errors(value, days, error, args):
    chain = MemoryChain()
    outcome = author(chain, lock_tx(2, 0, value, days))
    (applied,) = outcome.applied
    assert applied.receipt.status == 0 and applied.revert_data == error.encode(*args)
    state = chain.state()
    assert balances.get_account(state, ACCOUNTS[2].address).reserved == 0
    assert gmflock.total_supply(state) == 0 and gmflock.CheckpointCount.get(state, b"") == 0


def test_unknown_lock_and_other_owners_locks():
    chain = MemoryChain()
    author(chain, lock_tx(0, 0, UNIT, 1))
    outcome = author(chain, unlock_tx(0, 1, 1), unlock_tx(0, 2, 2**64), unlock_tx(3, 0, 0),
                     timestamp=chain.head.timestamp + 2 * DAY)
    assert [a.revert_data for a in outcome.applied] == [
        gmflock.UnknownLock.encode(1), gmflock.UnknownLock.encode(2**64), gmflock.UnknownLock.encode(0)]
    ok, output = call_readonly(chain.runtime, chain.backend, block_env(chain.head), ACCOUNTS[0].address, GMFLOCK, 0,
                               call_data("lockOf", ACCOUNTS[3].address, 0))
    assert not ok and output == gmflock.UnknownLock.encode(0)


def test_unlock_time_beyond_uint64_is_an_invalid_duration():
    chain = MemoryChain()
    timestamp = 2**64 - 1 - 10 * DAY
    outcome = author(chain, lock_tx(0, 0, UNIT, 10), lock_tx(0, 1, UNIT, 11), timestamp=timestamp)
    assert outcome.applied[0].receipt.status == 1
    assert outcome.applied[1].revert_data == gmflock.InvalidDuration.encode(11)


def test_gmflock_cannot_be_transferred():
    chain = MemoryChain()
    author(chain, lock_tx(0, 0, UNIT, 100))
    assert "transfer" not in {item.get("name") for item in gmflock.MODULE.abi()}
    data = balances.MODULE.calls[0].selector + abi_encode(["address", "uint256"], [ACCOUNTS[1].address, 1])
    outcome = author(chain, transfer(0, 1, GMFLOCK, 0, gas=GAS, data=data))
    assert outcome.applied[0].revert_data == UnknownCall.encode(data[:4])
    assert view(chain, "balanceOf", ACCOUNTS[1].address) == 0


def test_one_checkpoint_per_block_per_series():
    chain = MemoryChain()
    owner = ACCOUNTS[0].address
    author(chain, lock_tx(0, 0, UNIT, 1), lock_tx(0, 1, UNIT, 2), lock_tx(1, 0, UNIT, 40))
    state = chain.state()
    assert gmflock.CheckpointCount.get(state, owner) == 1 and gmflock.CheckpointCount.get(state, b"") == 1
    author(chain, unlock_tx(0, 2, 0), lock_tx(0, 3, UNIT, 1), timestamp=chain.head.timestamp + 3 * DAY)
    state = chain.state()
    assert gmflock.CheckpointCount.get(state, owner) == 2 and gmflock.CheckpointCount.get(state, b"") == 2
    assert view(chain, "balanceOfAt", owner, 1) == 2 * UNIT and view(chain, "balanceOfAt", owner, 2) == 2 * UNIT


def test_huge_amounts_near_the_supply_cap():
    spec = copy.deepcopy(SPEC)
    held = spec["genesis"]["runtime"]["balances"]["balances"]
    cap = int(spec["genesis"]["runtime"]["balances"]["supplyCap"])
    whale = ACCOUNTS[0].address
    whale_key = next(k for k in held if bytes.fromhex(k[2:]) == whale)
    held[whale_key] = str(cap - sum(int(v) for k, v in held.items() if k != whale_key))
    chain = MemoryChain(spec)
    amount = balances.free_balance(chain.state(), whale) - 2 * GAS * 10**10
    outcome = author(chain, lock_tx(0, 0, amount, 365))
    assert outcome.applied[0].receipt.status == 1
    expected = amount + amount * 219 * 335 // 36_500
    assert view(chain, "balanceOf", whale) == view(chain, "totalSupply") == expected
    assert expected > 3 * 10**27 and balances.get_held(chain.state(), whale, b"gmflock") == amount
    author(chain, unlock_tx(0, 1, 0), timestamp=chain.head.timestamp + 365 * DAY)
    assert view(chain, "totalSupply") == 0 and balances.get_held(chain.state(), whale, b"gmflock") == 0
    assert view(chain, "totalSupplyAt", 1) == expected


def test_genesis_shortens_days_and_rejects_bad_parameters():
    spec = copy.deepcopy(SPEC)
    spec["genesis"]["runtime"]["gmflock"] = {"secondsPerDay": 10}
    chain = MemoryChain(spec)
    assert view(chain, "secondsPerDay") == 10
    outcome = author(chain, lock_tx(0, 0, UNIT, 3))
    assert view(chain, "lockOf", ACCOUNTS[0].address, 0)[2] == outcome.block.header.timestamp + 30
    for bad in ({"secondsPerDay": 0}, {"maxLockDays": 0}, {"bonusFreeDays": 400}, {"epsilonPercent": -1}):
        spec["genesis"]["runtime"]["gmflock"] = bad
        with pytest.raises(ValueError):
            MemoryChain(spec)


# Random sequences against a model

SECONDS_PER_DAY = 60
"""A short day, so random time jumps reach expiries."""
SENDERS = (0, 1, 2)

op = st.one_of(
    st.tuples(st.just("lock"), st.sampled_from(SENDERS),
              st.one_of(st.just(0), st.just(1), st.integers(1, 10**20)),
              st.one_of(st.sampled_from([0, 1, 30, 31, 364, 365, 366]), st.integers(1, 365))),
    st.tuples(st.just("unlock"), st.sampled_from(SENDERS), st.integers(0, 6), st.just(0)),
)
blocks_strategy = st.lists(
    st.tuples(st.one_of(st.sampled_from([0, 1, 59, 60, 61, 30 * 60, 366 * 60]), st.integers(0, 400 * 60)),
              st.lists(op, max_size=5)),
    min_size=1, max_size=8)


class Model:
    """What the spec says gmflock holds, computed independently of the module."""

    def __init__(self):
        self.locks = {s: [] for s in SENDERS}     # [amount, gm, unlockAt, unlocked]
        self.history = [({s: 0 for s in SENDERS}, 0)]  # per block: (balances, supply) at its end

    def balance(self, sender: int) -> int:
        return sum(gm for _, gm, _, unlocked in self.locks[sender] if not unlocked)

    def held(self, sender: int) -> int:
        return sum(amount for amount, _, _, unlocked in self.locks[sender] if not unlocked)

    def apply(self, kind: str, sender: int, a: int, b: int, timestamp: int) -> bytes | None:
        """Revert data expected (None = success), updating the model on success."""
        if kind == "lock":
            value, days = a, b
            if not 1 <= days <= 365:
                return gmflock.InvalidDuration.encode(days)
            if value == 0:
                return gmflock.ZeroAmount.encode()
            gm = value if days <= 30 else value + value * 219 * (days - 30) // 36_500
            self.locks[sender].append([value, gm, timestamp + days * SECONDS_PER_DAY, False])
            return None
        lock_id = a
        if lock_id >= len(self.locks[sender]):
            return gmflock.UnknownLock.encode(lock_id)
        lock = self.locks[sender][lock_id]
        if lock[3]:
            return gmflock.AlreadyUnlocked.encode(lock_id)
        if timestamp < lock[2]:
            return gmflock.LockNotExpired.encode(lock[2])
        lock[3] = True
        return None

    def end_block(self):
        snapshot = {s: self.balance(s) for s in SENDERS}
        self.history.append((snapshot, sum(snapshot.values())))


@settings(max_examples=40, deadline=None)
@given(blocks_strategy)
def test_random_locks_unlocks_and_time_follow_the_model(blocks):
    spec = copy.deepcopy(SPEC)
    spec["genesis"]["runtime"]["gmflock"] = {"secondsPerDay": SECONDS_PER_DAY}
    chain = MemoryChain(spec)
    model = Model()
    changed_blocks = {s: 0 for s in SENDERS}
    for jump, ops in blocks:
        timestamp = chain.head.timestamp + jump
        nonces = {s: nonce_of(chain, s) for s in SENDERS}
        raws = []
        # an unlock names one of the sender's locks so far, or the next id (unknown)
        ops = [(kind, sender, a % (len(model.locks[sender]) + 1) if kind == "unlock" else a, b)
               for kind, sender, a, b in ops]
        for kind, sender, a, b in ops:
            nonce = nonces[sender]
            raws.append(lock_tx(sender, nonce, a, b) if kind == "lock" else unlock_tx(sender, nonce, a))
            nonces[sender] += 1
        outcome = author(chain, *raws, timestamp=timestamp)
        changed = set()
        for (kind, sender, a, b), applied in zip(ops, outcome.applied, strict=True):
            expected = model.apply(kind, sender, a, b, timestamp)
            if expected is None:
                assert applied.receipt.status == 1, applied.revert_data.hex()
                changed.add(sender)
            else:
                assert applied.receipt.status == 0 and applied.revert_data == expected
            event(f"{kind} {'succeeded' if expected is None else 'failed with ' + expected[:4].hex()}")
        model.end_block()
        for sender in changed:
            changed_blocks[sender] += 1

        state = chain.state()
        for sender in SENDERS:
            owner = ACCOUNTS[sender].address
            assert view(chain, "balanceOf", owner) == model.balance(sender)
            assert balances.get_held(state, owner, b"gmflock") == model.held(sender)
            assert view(chain, "lockCount", owner) == len(model.locks[sender])
            for lock_id, (amount, gm, unlock_at, unlocked) in enumerate(model.locks[sender]):
                assert view(chain, "lockOf", owner, lock_id) == (amount, gm, unlock_at, unlocked)
            assert gmflock.CheckpointCount.get(state, owner) <= changed_blocks[sender], "one checkpoint per block"
        assert view(chain, "totalSupply") == model.history[-1][1]

    head = chain.head.number
    assert len(model.history) == head + 1
    for number, (snapshot, supply) in enumerate(model.history):
        assert view(chain, "totalSupplyAt", number) == supply
        for sender in SENDERS:
            assert view(chain, "balanceOfAt", ACCOUNTS[sender].address, number) == snapshot[sender]
    final, supply = model.history[-1]
    assert view(chain, "totalSupplyAt", head + 10**6) == supply
    assert view(chain, "balanceOfAt", ACCOUNTS[0].address, 2**256 - 1) == final[0]
