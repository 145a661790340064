"""marketplace properties (spec/modules/marketplace.md) beyond test_marketplace.py's: every wei of random channel
traffic between several users, hosts and weighted FL Alliance creators accounted for; each Alliance proposer paid
by its updates accepted in completed rounds; and the EIP-712 messages agreeing with eth_account, which is what
wallets sign with."""

import struct
from copy import copy
from dataclasses import dataclass
from functools import cache
from itertools import product

from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils import keccak, to_checksum_address
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
import torch

from fl_module import alliance
from hosting.inputs import compute_inputs_hash
from marketplace import formats
from marketplace import module as marketplace
from runtime.crypto import SECP256K1_N
from runtime.executive import block_env, call_readonly
from runtime.modules import balances, randomness, rewards, treasury
from runtime.state import MemoryBackend
from tests.fl.alliance_driver import BAD, GOOD, AllianceDriver, address
from tests.runtime.harness import ACCOUNTS, CHAIN_ID, MemoryChain, call_data

from .market_driver import FAR_FUTURE, HOST_STAKE, KIND, PRICE, MarketDriver
from .test_marketplace import ok

MILLION = 10**6
DISPUTE_BLOCKS = 4
"""Lowered from 100 so that a withdrawal fits in a short random run."""
HOSTS = (8, 7, 0)
USERS = (9, 6, 5, 3)
"""Users 6, 5 and 3 are also creators of the version: a user's balance must move only by its own calls and its
creator shares."""
ROUND_PLAN = ("all", ("reject", 1), "aggregate rejected", "all")
"""The Alliance task's four rounds: every update accepted; the second revealed update rejected; every update
accepted but the aggregate rejected (the round does not complete); every update accepted."""
TRACKED = tuple(a.address for a in ACCOUNTS) + (formats.ADDRESS, treasury.ADDRESS_)
"""Every dev account, the escrow (the module's account) and the treasury: the author (the dev authority, who
takes the tips) is not among them."""


def view(chain: MemoryChain, name: str, *args) -> tuple:
    """A marketplace view as `eth_call` answers it (the public interface: storage encodings may change)."""
    declaration = next(v for v in marketplace.MODULE.views if v.name == name)
    success, output = call_readonly(chain.runtime, chain.backend, block_env(chain.head), ACCOUNTS[0].address,
                                    marketplace.MODULE.address, 0, call_data(marketplace.MODULE, name, *args))
    assert success, output.hex()
    return abi_decode(list(declaration.returns), output)


def creators_of(chain: MemoryChain, model: int, version: int) -> dict[bytes, int]:
    """The `version` view's creators and their weights (found by type, so new fields elsewhere do not matter)."""
    returns = list(next(v for v in marketplace.MODULE.views if v.name == "version").returns)
    values = view(chain, "version", model, version)
    at = returns.index("address[]")
    assert returns[at + 1] == "uint64[]"
    return {bytes.fromhex(who[2:]): weight for who, weight in zip(values[at], values[at + 1])}


def fork(chain: MemoryChain) -> MemoryChain:
    """An independent copy of a chain, so each example starts from the same prepared state without rebuilding it."""
    clone = copy(chain)
    clone.backend = MemoryBackend(chain.backend.items)
    clone.nodes = dict(chain.nodes)
    clone.outcomes = list(chain.outcomes)
    return clone


@cache
def alliance_market() -> tuple[MemoryChain, dict[bytes, int]]:
    """Model 0 of account 0 whose version 1 is FL Alliance task 0's final model after ROUND_PLAN; returns the chain
    and each proposer's weight as the plan says it should be (updates accepted in rounds that completed)."""
    d = MarketDriver(MemoryChain())
    ok(d.model(owner=0))
    driver = AllianceDriver(d.chain)
    driver.bond(range(1, 8))
    driver.create_task(creator=0, rounds=len(ROUND_PLAN), proposers=3, voters=3, model=KIND)
    driver.join(0, range(1, 8))
    expected = {}
    for plan in ROUND_PLAN:
        if plan == "all":
            proposers, _, _ = driver.run_round(0)
            accepted = proposers
        elif plan == "aggregate rejected":
            proposers, _, _ = driver.run_round(0, aggregate_score=BAD)
            accepted = []
        else:
            rejected = plan[1]
            proposers, _, _ = driver.run_round(0, scores_for=lambda voter, n: [BAD if i == rejected else GOOD
                                                                                for i in range(n)])
            accepted = [p for i, p in enumerate(proposers) if i != rejected]
        for index in accepted:
            expected[address(index)] = expected.get(address(index), 0) + 1
    assert alliance.get_progress(d.state(), 0).status == alliance.FINISHED
    ok(d.act(0, "publishVersion", 0, alliance.GlobalModel.get(d.state(), 0), formats.ALLIANCE, 0, 0))
    ok(*d.root_block("setParameter", "DisputeBlocks", DISPUTE_BLOCKS))
    return d.chain, expected


def market(*hosts_and_prices) -> MarketDriver:
    """A fork of alliance_market() with these (host, price) pairs serving model 0's latest version."""
    d = MarketDriver(fork(alliance_market()[0]))
    applied = d.block(*((host, d.MODULE, "registerHost", (0, 0, price, "http://127.0.0.1:9000"), HOST_STAKE)
                        for host, price in hosts_and_prices))
    for a in applied:
        ok(a)
    return d


def balances_of(state) -> dict[bytes, int]:
    return {who: balances.free_balance(state, who) for who in TRACKED}


def fee(applied) -> int:
    return applied.gas_used * applied.effective_gas_price


def split(owed: int, state, creators: dict[bytes, int]) -> tuple[int, dict[bytes, int], int]:
    """The spec's split of `owed`, computed here: (host, each creator, treasury)."""
    h = marketplace.HostSharePerMillion.get(state)
    c = min(marketplace.CreatorSharePerMillion.get(state), MILLION - h)
    part = owed * c // MILLION
    total = sum(creators.values())
    shares = {who: part * w // total for who, w in creators.items()}
    host = owed * h // MILLION
    return host, shares, owed - host - sum(shares.values())


def statuses(applied) -> tuple:
    return applied.receipt.status, applied.revert_data.hex()


def same_epoch(d: MarketDriver) -> None:
    """An empty block first if the next one would open an epoch: its hooks (emissions, the usage payout) move
    balances, and the exact accounting below is of one marketplace call per block."""
    state = d.state()
    if randomness.compute_epoch(state, d.chain.head.slot + 1) != randomness.EpochIndex.get(state):
        d.block()


# 1. Conservation with several users, hosts and creators

@dataclass
class Shadow:
    """A channel as the spec says it should be, plus what the test saw flow through it."""
    deposit: int = 0
    redeemed: int = 0
    requests: int = 0
    closes_at: int = 0
    deposited_since_refund: int = 0
    redeemed_since_refund: int = 0
    newest_signed: int = 0
    """The largest amount the user signed a voucher for on this channel."""
    paid_out: int = 0
    """Σ of what left the escrow in this channel's redemptions, measured by balances."""


INDEX = st.integers(0, 3)
AMOUNTS = st.one_of(
    st.tuples(st.just("paid"), st.integers(-1, 1)),      # owed = new requests · price (+ −1, 0, 1)
    st.tuples(st.just("escrow"), st.integers(-1, 1)),    # owed = deposit (+ −1, 0, 1)
    st.tuples(st.just("between"), st.integers(0, MILLION)),  # owed between the two
    st.tuples(st.just("between"), st.integers(0, MILLION)),
    st.tuples(st.just("raw"), st.integers(0, 2**256 - 1)),   # any uint256 amount
)
DEPOSIT = st.tuples(st.just("deposit"), INDEX, INDEX, st.integers(0, 40 * PRICE))
REDEEM = st.tuples(st.just("redeem"), INDEX, INDEX, st.booleans(),  # True: a channel with a deposit
                   st.sampled_from(("user", "user", "user", "stranger", "other host", "not host")),
                   st.integers(-2, 12), AMOUNTS, st.sampled_from((-1, 0, 1, None, None)))
STEPS = st.one_of(DEPOSIT, REDEEM, REDEEM, REDEEM,
                  st.tuples(st.just("request"), INDEX, INDEX, st.booleans()),  # True: a channel with a deposit
                  st.tuples(st.just("withdraw"), INDEX, INDEX, st.booleans()),  # True: one asked to close
                  st.tuples(st.just("advance"), st.integers(1, DISPUTE_BLOCKS + 1), st.booleans()))


def voucher_amount(shape, channel: Shadow, new_requests: int, price: int) -> int:
    kind, value = shape
    if kind == "raw":
        return value
    paid = max(new_requests, 0) * price
    owed = {"paid": paid + value, "escrow": channel.deposit + value,
            "between": paid + max(channel.deposit - paid, 0) * value // MILLION}[kind]
    return min(max(channel.redeemed + owed, 0), 2**256 - 1)


def expected_redeem_error(channel: Shadow | None, is_host: bool, signed_by_user: bool, expiry: int, now: int,
                          requests: int, amount: int, price: int):
    """The spec's checks in its order; None when the voucher pays."""
    if not is_host:
        return marketplace.NotHost
    if channel is None:
        return marketplace.NoChannel
    if not signed_by_user:
        return marketplace.BadSignature
    if expiry < now:
        return marketplace.VoucherExpired
    if amount <= channel.redeemed or requests < channel.requests:
        return marketplace.VoucherNotNewer
    if amount - channel.redeemed > channel.deposit:
        return marketplace.VoucherExceedsEscrow
    if (requests - channel.requests) * price > amount - channel.redeemed:
        return marketplace.RequestsNotPaid
    return None


def check_outcome(action: str, applied, error) -> None:
    event(f"{action}: {'done' if error is None else error.signature.split('(')[0]}")
    if error is None:
        assert applied.receipt.status == 1, applied.revert_data.hex()
    else:
        assert (applied.receipt.status, applied.revert_data[:4]) == (0, error.selector), \
            (error.signature, applied.revert_data.hex())


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 4), st.lists(st.integers(1, 3 * PRICE), min_size=1, max_size=3, unique=True),
       st.lists(st.integers(0, 40 * PRICE), min_size=12, max_size=12), st.lists(STEPS, min_size=6, max_size=24))
def test_random_channel_traffic_accounts_for_every_wei_between_users_hosts_creators_and_the_treasury(
        user_count, prices, opening, steps):
    """Each step is checked against the spec's rules (which call pays, with which refusal) and against every
    tracked balance to the wei: a deposit moves the value into escrow, a redemption moves exactly
    `amount − redeemed` out of it split host / creators by weight / treasury, a withdrawal refunds what is left of
    the deposits since the last refund, and each sender pays only its fee."""
    users, hosts = USERS[:user_count], HOSTS[:len(prices)]
    price_of = dict(zip(hosts, prices))
    d = market(*price_of.items())
    creators = creators_of(d.chain, 0, 1)
    assert not set(map(address, hosts)) & set(creators), "a host's balance shows its share alone"
    assert len(set(creators.values())) > 1, "creators of different weights"
    start = d.state()
    issued, emitted, first_block = balances.TotalIssuance.get(start), rewards.TotalEmitted.get(start), \
        len(d.chain.outcomes)
    channels: dict[tuple[int, int], Shadow] = {}
    host_income = dict.fromkeys(hosts, 0)

    pairs = product(range(len(users)), range(len(hosts)))
    for step in [("deposit", u, h, value) for (u, h), value in zip(pairs, opening)] + steps:
        action = step[0]
        if action == "advance":
            _, count, new_epoch = step
            if new_epoch:  # an epoch's first block: the usage payout to creators from the Marketplace pool
                state = d.state()
                d.block(slot=(randomness.EpochIndex.get(state) + 1) * randomness.EpochLength.get(state))
            d.until(d.chain.head.number + 1 + count)
        else:
            same_epoch(d)
            user, host = users[step[1] % len(users)], hosts[step[2] % len(hosts)]
            if action != "deposit" and step[3]:
                targets = sorted(pair for pair, c in channels.items() if (c.closes_at if action == "withdraw" else
                                                                          c.deposit))
                user, host = targets[step[1] % len(targets)] if targets else (user, host)
            channel = channels.get((user, host))
            before, block_number, now = balances_of(d.state()), d.chain.head.number + 1, d.chain.head.timestamp + 1
            expected = dict.fromkeys(TRACKED, 0)
            if action == "deposit":
                value = step[3]
                applied = d.act(user, "deposit", address(host), 0, value=value)
                check_outcome(action, applied, None if value else marketplace.ZeroAmount)
                sender = user
                if value:
                    channel = channels.setdefault((user, host), Shadow())
                    channel.deposit += value
                    channel.deposited_since_refund += value
                    channel.closes_at = 0
                    expected[address(user)] -= value
                    expected[formats.ADDRESS] += value
            elif action == "request":
                applied = d.act(user, "requestWithdrawal", address(host), 0)
                error = marketplace.NoChannel if channel is None else marketplace.ZeroAmount \
                    if channel.deposit == 0 else None
                check_outcome(action, applied, error)
                sender = user
                if error is None:
                    channel.closes_at = block_number + DISPUTE_BLOCKS
            elif action == "withdraw":
                applied = d.act(user, "withdraw", address(host), 0)
                error = marketplace.NoChannel if channel is None else marketplace.WithdrawalNotRequested \
                    if channel.closes_at == 0 else marketplace.DisputeWindowOpen \
                    if block_number < channel.closes_at else None
                check_outcome(action, applied, error)
                sender = user
                if error is None:
                    refund = balances.free_balance(d.state(), address(user)) - before[address(user)] + fee(applied)
                    assert refund == channel.deposit == \
                        channel.deposited_since_refund - channel.redeemed_since_refund, \
                        "the refund is what was deposited since the last refund less what was redeemed since"
                    expected[address(user)] += channel.deposit
                    expected[formats.ADDRESS] -= channel.deposit
                    channel.deposit = channel.closes_at = 0
                    channel.deposited_since_refund = channel.redeemed_since_refund = 0
            else:
                _, _, _, _, kind, request_delta, shape, expiry_offset = step
                current = channel or Shadow()
                requests = min(max(current.requests + request_delta, 0), 2**64 - 1)
                amount = voucher_amount(shape, current, requests - current.requests, price_of[host])
                expiry = FAR_FUTURE if expiry_offset is None else now + expiry_offset
                sender, named, signer = host, host, user
                if kind == "stranger":
                    signer = next(i for i in range(10) if i != user)
                elif kind == "other host":
                    named = next((h for h in hosts if h != host), 1)
                elif kind == "not host":
                    sender = named = user
                applied = d.act(sender, "redeem",
                                *d.voucher(requests, amount, user=user, host=named, expiry=expiry, signer=signer))
                error = expected_redeem_error(channel, sender in hosts, signer == user and named == sender,
                                              expiry, now, requests, amount, price_of.get(sender, 0))
                check_outcome(action, applied, error)
                if channel is not None and signer == user and named == host:
                    channel.newest_signed = max(channel.newest_signed, amount)
                if error is None:
                    owed = amount - channel.redeemed
                    host_part, shares, treasury_part = split(owed, d.state(), creators)
                    state = d.state()
                    got = {who: balances.free_balance(state, who) - before[who] for who in TRACKED}
                    host_got = got[address(host)] + fee(applied)
                    assert host_got + sum(got[who] for who in creators) + got[treasury.ADDRESS_] == owed == \
                        -got[formats.ADDRESS], "what leaves the escrow is exactly owed and all of it is paid out"
                    assert host_got == host_part, "the host: owed · h // 10^6"
                    assert {who: got[who] for who in creators} == shares, "each creator: part · w // Σw"
                    assert got[treasury.ADDRESS_] == treasury_part, "the treasury: the rest"
                    expected[address(host)] += host_part
                    for who, share in shares.items():
                        expected[who] += share
                    expected[treasury.ADDRESS_] += treasury_part
                    expected[formats.ADDRESS] -= owed
                    channel.paid_out -= got[formats.ADDRESS]
                    channel.redeemed_since_refund += owed
                    channel.deposit -= owed
                    channel.redeemed, channel.requests = amount, requests
                    host_income[host] += host_got
            expected[address(sender)] -= fee(applied)
            after = balances_of(d.state())
            assert {who: after[who] - before[who] for who in TRACKED} == expected, (step, statuses(applied))

        state = d.state()
        for user in users:
            for host in hosts:
                channel = channels.get((user, host), Shadow())
                deposit, redeemed, requests, closes_at = view(d.chain, "channel", address(user), address(host), 0)
                assert 0 <= deposit == channel.deposit, (user, host)
                assert (redeemed, requests, closes_at) == (channel.redeemed, channel.requests, channel.closes_at)
                assert channel.paid_out == redeemed <= channel.newest_signed, \
                    "a channel pays out no more than the newest voucher its user signed"
        for host in hosts:
            allowed = sum(channels.get((user, host), Shadow()).redeemed for user in users) * \
                marketplace.HostSharePerMillion.get(state) // MILLION
            assert host_income[host] <= allowed, "a host takes at most its share of the newest vouchers"
        escrow = marketplace.TotalEscrow.get(state)
        assert sum(c.deposit for c in channels.values()) == escrow <= balances.free_balance(state, formats.ADDRESS)
        burned = sum(a.gas_used * o.block.header.base_fee_per_gas for o in d.chain.outcomes[first_block:]
                     for a in o.applied)
        assert balances.TotalIssuance.get(state) == issued + rewards.TotalEmitted.get(state) - emitted - burned, \
            "marketplace calls neither mint nor burn: only the schedule mints and base fees burn"


# 2. FL Alliance creators are paid by accepted updates

def test_an_alliance_versions_creators_are_its_proposers_weighted_by_updates_accepted_in_completed_rounds():
    """The rejected update and the round whose aggregate was rejected add nothing; a proposer whose only update
    was in that round is no creator."""
    chain, expected = alliance_market()
    assert creators_of(chain, 0, 1) == expected
    assert len(set(expected.values())) > 1, "the plan gives different weights"
    state = chain.state()
    in_rejected_round = {u.proposer for u in alliance.RevealedUpdates.get(state, alliance.round_key(0, 2))}
    assert in_rejected_round - set(expected), "some proposer took part only in the rejected aggregate's round"


@settings(max_examples=100, deadline=None)
@given(st.integers(0, MILLION), st.integers(0, MILLION),
       st.lists(st.one_of(st.integers(1, MILLION), st.integers(MILLION, 10**21)), min_size=1, max_size=3))
@example(600_001, 700_000, [10**18 + 18])  # c capped at 10^6 − h, then floored: 1 wei less than owed − host share
def test_each_alliance_proposer_is_paid_by_its_accepted_updates_to_the_wei(host_share, creator_share, payments):
    """For any revenue split and any redeemed amounts, each proposer gets `owed·c // 10^6 · w // Σw` with `w` its
    updates accepted in completed rounds (from the task's plan, not from the module), and nobody else a creator's
    share."""
    _, weights = alliance_market()
    host, user = HOSTS[0], USERS[0]
    d = market((host, 1))
    ok(*d.root_block("setParameter", "HostSharePerMillion", host_share))
    ok(*d.root_block("setParameter", "CreatorSharePerMillion", creator_share))
    ok(d.act(user, "deposit", address(host), 0, value=sum(payments)))
    total, weight_sum = 0, sum(weights.values())
    for owed in payments:
        same_epoch(d)
        before = balances_of(d.state())
        total += owed
        ok(d.act(host, "redeem", *d.voucher(1, total, user=user, host=host)))
        got = {who: balances.free_balance(d.state(), who) - before[who] for who in TRACKED}
        part = owed * min(creator_share, MILLION - host_share) // MILLION
        for who in TRACKED:
            if who in weights:
                assert got[who] == part * weights[who] // weight_sum, (who.hex(), weights[who])
            elif who not in (address(host), treasury.ADDRESS_, formats.ADDRESS):
                assert got[who] == 0, who.hex()
        assert got[treasury.ADDRESS_] == owed - owed * host_share // MILLION - sum(got[who] for who in weights)


# 3. EIP-712: what wallets sign

def typed_data(primary: str, fields: str, chain_id: int, message: dict) -> dict:
    members = [{"name": name, "type": kind} for kind, name in (f.split(" ") for f in fields.split(","))]
    return {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                             {"name": "chainId", "type": "uint256"},
                             {"name": "verifyingContract", "type": "address"}],
            primary: members,
        },
        "primaryType": primary,
        "domain": {"name": formats.DOMAIN_NAME, "version": formats.DOMAIN_VERSION, "chainId": chain_id,
                   "verifyingContract": to_checksum_address(formats.ADDRESS)},
        "message": message,
    }


def voucher_typed_data(v: formats.Voucher, chain_id: int) -> dict:
    return typed_data("Voucher", formats.VOUCHER_TYPE[len("Voucher("):-1], chain_id,
                      {"user": to_checksum_address(v.user), "host": to_checksum_address(v.host), "model": v.model,
                       "requests": v.requests, "amount": v.amount, "expiry": v.expiry, "inputs": v.inputs})


def free_requests_typed_data(r: formats.FreeRequests, chain_id: int) -> dict:
    return typed_data("FreeRequests", formats.FREE_REQUESTS_TYPE[len("FreeRequests("):-1], chain_id,
                      {"user": to_checksum_address(r.user), "host": to_checksum_address(r.host), "model": r.model,
                       "epoch": r.epoch, "requests": r.requests, "inputs": r.inputs})


def eth_account_digest(full_message: dict) -> bytes:
    signable = encode_typed_data(full_message=full_message)
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert digest == _hash_eip191_message(signable)
    return digest


ADDRESSES = st.binary(min_size=20, max_size=20)
HASHES = st.binary(min_size=32, max_size=32)
U64 = st.integers(0, 2**64 - 1)
CHAIN_IDS = st.one_of(st.just(CHAIN_ID), st.integers(0, 2**64 - 1), st.integers(0, 2**256 - 1))
KEYS = st.integers(1, SECP256K1_N - 1).map(lambda k: k.to_bytes(32, "big"))


@settings(max_examples=60, deadline=None)
@given(ADDRESSES, ADDRESSES, U64, U64, st.integers(0, 2**256 - 1), U64, HASHES, CHAIN_IDS, KEYS)
def test_vouchers_hash_and_recover_as_eth_account_signs_them(user, host, model, requests, amount, expiry, inputs,
                                                             chain_id, key):
    """A voucher a wallet signs with eth_signTypedData_v4 (eth_account here) is the one the chain checks."""
    signer = Account.from_key(key)
    message = formats.Voucher(user, host, model, requests, amount, expiry, inputs)
    full = voucher_typed_data(message, chain_id)
    assert message.digest(chain_id) == eth_account_digest(full)
    signature = bytes(Account.sign_typed_data(key, full_message=full).signature)
    assert formats.recover_signer(message.digest(chain_id), signature) == bytes.fromhex(signer.address[2:])


@settings(max_examples=60, deadline=None)
@given(ADDRESSES, ADDRESSES, U64, U64, U64, HASHES, CHAIN_IDS, KEYS)
def test_free_request_receipts_hash_and_recover_as_eth_account_signs_them(user, host, model, epoch, requests, inputs,
                                                                         chain_id, key):
    """The same for a free-tier receipt: a wallet's signature counts the user's free requests."""
    signer = Account.from_key(key)
    message = formats.FreeRequests(user, host, model, epoch, requests, inputs)
    full = free_requests_typed_data(message, chain_id)
    assert message.digest(chain_id) == eth_account_digest(full)
    signature = bytes(Account.sign_typed_data(key, full_message=full).signature)
    assert formats.recover_signer(message.digest(chain_id), signature) == bytes.fromhex(signer.address[2:])


@settings(max_examples=20, deadline=None)
@given(ADDRESSES, ADDRESSES, U64, U64, st.integers(0, 2**256 - 1), U64, U64, HASHES)
def test_the_digest_views_answer_what_eth_account_signs_on_this_chain(user, host, model, requests, amount, expiry,
                                                                      epoch, inputs):
    """A client without this package asks the chain (voucherDigest, freeRequestsDigest) and gets the same bytes."""
    chain = alliance_market()[0]
    (voucher,) = view(chain, "voucherDigest", user, host, model, requests, amount, expiry, inputs)
    assert voucher == eth_account_digest(voucher_typed_data(
        formats.Voucher(user, host, model, requests, amount, expiry, inputs), CHAIN_ID))
    (receipt,) = view(chain, "freeRequestsDigest", user, host, model, epoch, requests, inputs)
    assert receipt == eth_account_digest(free_requests_typed_data(
        formats.FreeRequests(user, host, model, epoch, requests, inputs), CHAIN_ID))


# 4. What a request's signature binds: its inputs

def test_the_inputs_hash_of_a_known_request():
    """A known answer for clients in other languages: [[1, 2]] is u32 1 ‖ u32 2 ‖ 0x3f800000 ‖ 0x40000000."""
    expected = keccak(bytes.fromhex("00000001" "00000002" "3f800000" "40000000"))
    assert compute_inputs_hash([[1, 2.0]]) == expected


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4).flatmap(lambda width: st.lists(
    st.lists(st.floats(width=32, allow_nan=False, allow_infinity=False), min_size=width, max_size=width),
    min_size=1, max_size=5)))
def test_the_inputs_hash_is_the_same_from_json_numbers_numpy_and_torch(rows):
    """The client hashes the JSON numbers it sends, the host the float32 tensor it computes with: the same bytes."""
    packed = len(rows).to_bytes(4, "big") + len(rows[0]).to_bytes(4, "big") + \
        b"".join(struct.pack(">f", value) for row in rows for value in row)
    assert compute_inputs_hash(rows) == compute_inputs_hash(torch.tensor(rows, dtype=torch.float32).numpy()) \
        == keccak(packed)
    assert compute_inputs_hash(rows) != compute_inputs_hash([row + [1.0] for row in rows])
