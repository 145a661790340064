"""marketplace (spec/modules/marketplace.md): provenance checked against finished Alliance and Arena tasks,
hosts, channels and vouchers with every refusal, the free tier, the revenue split, emissions by usage, and
the channel rules as a property over random sequences."""

from eth_abi import decode as abi_decode
from hypothesis import given, settings
from hypothesis import strategies as st

from arena import module as arena
from fl_module import alliance
from marketplace import formats
from marketplace import module as marketplace
from runtime.crypto import SECP256K1_N
from runtime.executive import block_env, call_readonly
from runtime.modules import balances, gmflock, randomness, rewards, staking, treasury
from tests.arena.arena_driver import model_hash
from tests.fl.alliance_driver import STAKE, UNIT, address
from tests.runtime.harness import ACCOUNTS, MemoryChain, call_data

from .market_driver import (FAR_FUTURE, HOST, HOST_STAKE, KIND, OTHER_HOST, OTHER_USER, OWNER, PRICE, USER,
                            WEIGHTS, MarketDriver)


def statuses(applied):
    return [(a.receipt.status, a.revert_data[:4]) for a in applied]


def ok(applied):
    assert applied.receipt.status == 1, statuses([applied])
    return applied


def fails(applied, error, *args):
    assert statuses([applied]) == [(0, error.selector)], statuses([applied])
    if args:
        assert applied.revert_data == error.encode(*args)


def returned(applied) -> int:
    return int.from_bytes(applied.return_data[-32:], "big")


def hosted(deposit=100 * PRICE) -> MarketDriver:
    """Model 0 of OWNER with an unverified version 1, served by HOST; USER's channel holds `deposit`."""
    d = MarketDriver(MemoryChain())
    ok(d.model())
    ok(d.act(OWNER, "publishVersion", 0, WEIGHTS, formats.UNVERIFIED, 0, 0))
    ok(d.register())
    if deposit:
        ok(d.act(USER, "deposit", address(HOST), 0, value=deposit))
    return d


# Registry and provenance

def test_models_and_unverified_versions():
    d = MarketDriver(MemoryChain())
    assert returned(ok(d.model())) == 0
    assert returned(ok(d.model(name="second"))) == 1
    fails(d.model(name=""), marketplace.BadName, 0, 64)
    fails(d.model(name="x" * 65), marketplace.BadName, 65, 64)
    fails(d.act(USER, "publishVersion", 0, WEIGHTS, formats.UNVERIFIED, 0, 0), marketplace.NotModelOwner, 0,
          address(OWNER))
    fails(d.act(OWNER, "publishVersion", 0, WEIGHTS, formats.UNVERIFIED, 3, 0), marketplace.UnverifiedSource)
    fails(d.act(OWNER, "publishVersion", 0, WEIGHTS, 7, 0, 0), marketplace.UnknownProvenance, 7)
    fails(d.act(OWNER, "publishVersion", 9, WEIGHTS, formats.UNVERIFIED, 0, 0), marketplace.UnknownModel, 9)
    assert returned(ok(d.act(OWNER, "publishVersion", 0, WEIGHTS, formats.UNVERIFIED, 0, 0))) == 1
    assert returned(ok(d.act(OWNER, "publishVersion", 0, model_hash(5), formats.UNVERIFIED, 0, 0))) == 2
    state = d.state()
    assert marketplace.get_model(state, 0).versions == 2, "latest follows the newest version"
    assert marketplace.get_version(state, 0, 1).weights == WEIGHTS
    assert marketplace.Creators.get(state, marketplace.version_key(0, 1)) == (marketplace.Creator(address(OWNER), 1),)


def test_an_arena_version_is_its_ranked_submission_published_by_its_trainer():
    d = MarketDriver(MemoryChain())
    ok(d.model(owner=2))
    d.act(2, "publishVersion", 0, model_hash(2), formats.ARENA, 0, 1)
    fails(d.act(2, "publishVersion", 0, model_hash(2), formats.ARENA, 0, 1), marketplace.SourceNotFinal, 0)
    d.finished_arena_task()
    state = d.state()
    submissions, results = arena.Submissions.get(state, 0), arena.Results.get(state, 0)
    index = next(i for i, s in enumerate(submissions) if s.trainer == address(2))
    fails(d.act(2, "publishVersion", 0, model_hash(3), formats.ARENA, 0, index), marketplace.WeightsMismatch,
          model_hash(2))
    fails(d.act(2, "publishVersion", 0, model_hash(2), formats.ARENA, 0, 9), marketplace.SourceNotFinal, 0)
    other = next(i for i, s in enumerate(submissions) if s.trainer == address(3))
    fails(d.act(2, "publishVersion", 0, model_hash(3), formats.ARENA, 0, other), marketplace.NotSourceCreator,
          address(3))
    ok(d.model(owner=2, name="wrong kind", kind="linear"))
    fails(d.act(2, "publishVersion", 1, model_hash(2), formats.ARENA, 0, index), marketplace.KindMismatch, KIND)
    ok(d.act(2, "publishVersion", 0, model_hash(2), formats.ARENA, 0, index))
    version = marketplace.get_version(d.state(), 0, 1)
    assert (version.provenance, version.source_task, version.source_index) == (formats.ARENA, 0, index)
    assert version.loss == results[index].consensus_loss > 0, "the version carries its consensus loss"


def test_an_alliance_version_is_the_final_model_and_its_creators_the_accepted_proposers():
    d = MarketDriver(MemoryChain())
    ok(d.model(owner=0))
    rounds = d.finished_alliance_task(rounds=2)
    state = d.state()
    assert alliance.get_progress(state, 0).status == alliance.FINISHED
    final = alliance.GlobalModel.get(state, 0)
    ok(d.model(owner=3))
    fails(d.act(3, "publishVersion", 1, final, formats.ALLIANCE, 0, 0), marketplace.NotSourceCreator, address(0))
    fails(d.act(0, "publishVersion", 0, WEIGHTS, formats.ALLIANCE, 0, 0), marketplace.WeightsMismatch, final)
    fails(d.act(0, "publishVersion", 0, final, formats.ALLIANCE, 5, 0), marketplace.SourceNotFinal, 5)
    ok(d.act(0, "publishVersion", 0, final, formats.ALLIANCE, 0, 0))
    counts = {}
    for proposers in rounds:
        for index in proposers:
            counts[address(index)] = counts.get(address(index), 0) + 1
    creators = marketplace.Creators.get(d.state(), marketplace.version_key(0, 1))
    assert {c.who: c.weight for c in creators} == counts, "one weight per accepted update"


def test_an_alliance_version_carries_the_creators_evaluation_of_the_final_model_only():
    """Round 0's evaluation measured a model that round 1 replaced: it is not the published model's."""
    d = MarketDriver(MemoryChain())
    ok(d.model(owner=0))
    d.finished_alliance_task(rounds=2)
    final = alliance.GlobalModel.get(d.state(), 0)

    def published() -> tuple[int, int]:
        version = returned(ok(d.act(0, "publishVersion", 0, final, formats.ALLIANCE, 0, 0)))
        record = marketplace.view_version(d.state(), 0, version)
        return record[4], record[8]
    assert published() == (0, alliance.NO_ACCURACY), "nothing reported"
    ok(d.act(0, "reportEvaluation", 0, 0, 7 * 10**8, 800_000, module=alliance.MODULE))
    assert published() == (0, alliance.NO_ACCURACY), "round 0 measured the model before round 1's"
    ok(d.act(0, "reportEvaluation", 0, 1, 4 * 10**8, 912_345, module=alliance.MODULE))
    assert published() == (4 * 10**8, 912_345)


# Hosts

def test_hosts_stake_serve_update_leave_and_withdraw():
    d = hosted(deposit=0)
    state = d.state()
    assert balances.get_held(state, address(HOST), marketplace.HOLD) == HOST_STAKE
    assert marketplace.HostList.get(state, 0) == (address(HOST),)
    fails(d.register(), marketplace.AlreadyHost, 0)
    fails(d.register(host=OTHER_HOST, stake=HOST_STAKE - 1), marketplace.BelowMinimumStake, HOST_STAKE - 1, HOST_STAKE)
    fails(d.register(host=OTHER_HOST, version=2), marketplace.UnknownVersion, 0, 2)
    fails(d.register(host=OTHER_HOST, endpoint=""), marketplace.BadName, 0, 256)
    fails(d.register(host=OTHER_HOST, model=4), marketplace.UnknownModel, 4)
    ok(d.act(HOST, "updateHost", 0, 1, 2 * PRICE, "http://127.0.0.1:9001"))
    assert marketplace.Hosts.get(d.state(), marketplace.host_key(0, address(HOST))).price == 2 * PRICE
    fails(d.act(HOST, "withdrawHost", 0), marketplace.StillUnbonding, 0)
    leave = ok(d.act(HOST, "leaveHost", 0))
    until = leave.receipt.logs[0].data
    at = marketplace.Hosts.get(d.state(), marketplace.host_key(0, address(HOST))).unbonding_until
    assert at == d.chain.head.number + 100 and int.from_bytes(until, "big") == at
    fails(d.act(HOST, "leaveHost", 0), marketplace.HostIsLeaving, at)
    fails(d.act(USER, "deposit", address(HOST), 0, value=PRICE), marketplace.HostIsLeaving, at)
    fails(d.act(HOST, "withdrawHost", 0), marketplace.StillUnbonding, at)
    d.until(at)
    free = balances.free_balance(d.state(), address(HOST))
    ok(d.act(HOST, "withdrawHost", 0))
    state = d.state()
    assert balances.get_held(state, address(HOST), marketplace.HOLD) == 0
    assert balances.free_balance(state, address(HOST)) > free + HOST_STAKE - 10**16, "the stake is back (less gas)"
    assert marketplace.HostList.get(state, 0) == ()


# Channels and vouchers

def test_a_voucher_pays_the_host_the_creators_and_the_treasury_once():
    d = hosted()
    host_before = balances.free_balance(d.state(), address(HOST))
    owner_before = balances.free_balance(d.state(), address(OWNER))
    treasury_before = treasury.get_balance(d.state())
    amount = 37 * PRICE + 1
    redeem = ok(d.act(HOST, "redeem", *d.voucher(37, amount)))
    state = d.state()
    host_part, creator_part = amount * 700_000 // 10**6, amount * 250_000 // 10**6
    (log,) = redeem.receipt.logs
    assert abi_decode(["uint32", "uint64", "uint256", "uint256", "uint256", "uint256"], log.data) == \
        (1, 37, amount, host_part, creator_part, amount - host_part - creator_part)
    assert host_part - 10**16 < balances.free_balance(state, address(HOST)) - host_before < host_part, "less its fee"
    assert balances.free_balance(state, address(OWNER)) - owner_before == creator_part
    assert treasury.get_balance(state) - treasury_before == amount - host_part - creator_part
    assert marketplace.Channels.get(state, marketplace.channel_key(address(USER), address(HOST), 0)) == \
        marketplace.Channel(100 * PRICE - amount, amount, 37, 0)
    assert marketplace.TotalUsage.get(state, marketplace.version_key(0, 1)) == marketplace.Usage(37, 0, amount, 0)
    fails(d.act(HOST, "redeem", *d.voucher(37, amount)), marketplace.VoucherNotNewer, amount, amount)
    fails(d.act(HOST, "redeem", *d.voucher(30, 20 * PRICE)), marketplace.VoucherNotNewer, 20 * PRICE, amount)
    fails(d.act(HOST, "redeem", *d.voucher(38, amount + PRICE - 1)), marketplace.RequestsNotPaid, 1, PRICE - 1, PRICE)
    ok(d.act(USER, "deposit", address(HOST), 0, value=10_000 * PRICE))
    ok(d.act(HOST, "redeem", *d.voucher(10_037, amount + 10_000 * PRICE)))
    assert marketplace.TotalUsage.get(d.state(), marketplace.version_key(0, 1)).paid_requests == 10_037, \
        "10,000 requests redeemed in one transaction"


def test_vouchers_that_must_not_pay():
    d = hosted()
    fails(d.act(HOST, "redeem", *d.voucher(1, PRICE, signer=OTHER_USER)), marketplace.BadSignature)
    fails(d.act(HOST, "redeem", *d.voucher(1, PRICE, chain_id=1)), marketplace.BadSignature)
    fails(d.act(HOST, "redeem", *d.voucher(1, PRICE, host=OTHER_HOST)), marketplace.BadSignature)
    user, model, requests, amount, expiry, inputs, signature = d.voucher(1, PRICE)
    fails(d.act(HOST, "redeem", user, model, requests, amount + 1, expiry, inputs, signature), marketplace.BadSignature)
    fails(d.act(HOST, "redeem", user, model, requests, amount, expiry, bytes(32), signature), marketplace.BadSignature)
    fails(d.act(HOST, "redeem", user, model, requests, amount, expiry, inputs, signature[:64]), marketplace.BadSignature)
    high_s = signature[:32] + (SECP256K1_N - int.from_bytes(signature[32:64], "big")).to_bytes(32, "big") + \
        bytes((55 - signature[64],))
    fails(d.act(HOST, "redeem", user, model, requests, amount, expiry, inputs, high_s), marketplace.BadSignature)
    now = d.chain.head.timestamp
    fails(d.act(HOST, "redeem", *d.voucher(1, PRICE, expiry=now)), marketplace.VoucherExpired)
    fails(d.act(HOST, "redeem", *d.voucher(1, 101 * PRICE)), marketplace.VoucherExceedsEscrow, 101 * PRICE, 100 * PRICE)
    fails(d.act(OTHER_HOST, "redeem", *d.voucher(1, PRICE, host=OTHER_HOST)), marketplace.NotHost, 0,
          address(OTHER_HOST))
    fails(d.act(HOST, "redeem", *d.voucher(1, PRICE, user=OTHER_USER)), marketplace.NoChannel)
    assert marketplace.TotalEscrow.get(d.state()) == 100 * PRICE, "nothing moved"


def test_withdrawal_waits_for_the_dispute_window_and_a_spent_voucher_stays_spent():
    d = hosted()
    fails(d.act(USER, "withdraw", address(HOST), 0), marketplace.WithdrawalNotRequested)
    ok(d.act(USER, "requestWithdrawal", address(HOST), 0))
    at = d.chain.head.number + 100
    fails(d.act(USER, "withdraw", address(HOST), 0), marketplace.DisputeWindowOpen, at)
    ok(d.act(HOST, "redeem", *d.voucher(5, 5 * PRICE)))  # the host may still redeem inside the window
    d.until(at)
    before = balances.free_balance(d.state(), address(USER))
    withdraw = ok(d.act(USER, "withdraw", address(HOST), 0))
    assert int.from_bytes(withdraw.receipt.logs[0].data, "big") == 95 * PRICE
    assert 95 * PRICE - 10**16 < balances.free_balance(d.state(), address(USER)) - before < 95 * PRICE, "less its fee"
    assert marketplace.TotalEscrow.get(d.state()) == 0
    ok(d.act(USER, "deposit", address(HOST), 0, value=10 * PRICE))
    fails(d.act(HOST, "redeem", *d.voucher(5, 5 * PRICE)), marketplace.VoucherNotNewer, 5 * PRICE, 5 * PRICE)
    ok(d.act(HOST, "redeem", *d.voucher(6, 6 * PRICE)))
    assert marketplace.Channels.get(d.state(), marketplace.channel_key(address(USER), address(HOST), 0)).deposit == \
        9 * PRICE


# The free tier

def test_the_free_tier_is_linear_in_stake_and_shared_across_hosts():
    assert formats.compute_free_allowance(0, 100, 100_000) == 0, "nothing for nothing: sybils gain no tier"
    assert formats.compute_free_allowance(3_000 * UNIT, 100, 100_000) == 300
    assert formats.compute_free_allowance(10**40, 100, 100_000) == 100_000
    d = hosted(deposit=0)
    ok(d.register(host=OTHER_HOST))
    epoch = randomness.EpochIndex.get(d.state())
    assert marketplace.get_free_allowance(d.state(), address(USER)) == 0
    ok(d.act(USER, "lock", 30, value=100 * UNIT, module=gmflock.MODULE))
    assert marketplace.get_free_allowance(d.state(), address(USER)) == 10, "100 gmFLOCK: 10 requests an epoch"
    ok(d.settle(epoch, [d.receipt(6, epoch)]))
    ok(d.settle(epoch, [d.receipt(8, epoch, host=OTHER_HOST)], host=OTHER_HOST))
    state = d.state()
    assert marketplace.FreeUsed.get(state, address(USER)).in_epoch(epoch) == 10, "6 + 4: the allowance"
    assert marketplace.TotalUsage.get(state, marketplace.version_key(0, 1)).free_requests == 10
    ok(d.settle(epoch, [d.receipt(6, epoch)]))
    assert marketplace.FreeUsed.get(d.state(), address(USER)).in_epoch(epoch) == 10, "a receipt counts once"
    fails(d.settle(epoch + 1, [d.receipt(1, epoch + 1)]), marketplace.EpochNotSettleable, epoch + 1, epoch)
    user, count, inputs, signature = d.receipt(6, epoch)
    fails(d.settle(epoch, [(user, count + 1, inputs, signature)]), marketplace.BadSignature)
    fails(d.settle(epoch, [(user, count, bytes(32), signature)]), marketplace.BadSignature)
    fails(d.act(HOST, "settleFreeRequests", 0, epoch, [user], [count], [], [signature]), marketplace.LengthMismatch)
    fails(d.settle(epoch, [d.receipt(1, epoch)] * 129), marketplace.TooManyReceipts, 128)
    d.block(slot=randomness.EpochLength.get(d.state()))
    assert marketplace.FreeUsed.get(d.state(), address(USER)).in_epoch(epoch + 1) == 0, "a new epoch, a new tier"
    ok(d.settle(epoch + 1, [d.receipt(3, epoch + 1)]))
    ok(d.settle(epoch, [d.receipt(9, epoch, host=OTHER_HOST)], host=OTHER_HOST))  # late: last epoch's receipts
    assert marketplace.FreeUsed.get(d.state(), address(USER)) == marketplace.TwoEpochCounts(epoch + 1, 3, 10), \
        "one entry per user holding two epochs: storage does not grow with epochs"
    d.block(slot=2 * randomness.EpochLength.get(d.state()))
    fails(d.settle(epoch, [d.receipt(10, epoch)]), marketplace.EpochNotSettleable, epoch, epoch + 2)


def test_hosts_charge_something_and_serve_latest_only_once_there_is_a_version():
    d = MarketDriver(MemoryChain())
    ok(d.model())
    fails(d.register(), marketplace.NoVersion, 0)
    ok(d.act(OWNER, "publishVersion", 0, WEIGHTS, formats.UNVERIFIED, 0, 0))
    fails(d.register(price=0), marketplace.ZeroPrice)
    ok(d.register())
    fails(d.act(HOST, "updateHost", 0, 0, 0, "http://127.0.0.1:9000"), marketplace.ZeroPrice)


# Emissions by usage

def test_the_marketplace_pool_pays_creators_by_revenue_capped_at_the_treasury_share():
    d = hosted()
    length = randomness.EpochLength.get(d.state())
    d.block(slot=length)
    d.block(slot=2 * length)
    pool = rewards.PoolBalance.get(d.state(), rewards.MARKETPLACE)
    assert pool > 0, "no usage: the pool waits"
    ok(d.act(HOST, "redeem", *d.voucher(3, 3 * PRICE)))
    owner_before = balances.free_balance(d.state(), address(OWNER))
    d.block(slot=3 * length)
    state = d.state()
    earned = balances.free_balance(state, address(OWNER)) - owner_before
    assert earned == 3 * PRICE * 50_000 // 10**6, "at most 5% of what the version was paid: a wash trade cannot profit"
    assert rewards.PoolBalance.get(state, rewards.MARKETPLACE) > pool, "the rest waits in the pool"
    assert marketplace.TotalUsage.get(state, marketplace.version_key(0, 1)).emission == earned
    assert marketplace.UsageEpoch.get(state) is None


def test_emission_splits_between_versions_by_revenue():
    d = hosted()
    ok(*d.root_block("setParameter", "EmissionCapPerMillion", 10**6))
    ok(d.act(OWNER, "publishVersion", 0, model_hash(9), formats.UNVERIFIED, 0, 0))
    ok(d.register(host=OTHER_HOST, version=1, price=PRICE))
    ok(d.act(OTHER_USER, "deposit", address(OTHER_HOST), 0, value=100 * PRICE))
    ok(d.act(HOST, "redeem", *d.voucher(30, 30 * PRICE)))
    ok(d.act(OTHER_HOST, "redeem", *d.voucher(10, 10 * PRICE, user=OTHER_USER, host=OTHER_HOST)))
    entries = marketplace.EpochUsage.get(d.state(), randomness.EpochIndex.get(d.state()))
    assert [(e.version, e.revenue) for e in entries] == [(2, 30 * PRICE), (1, 10 * PRICE)], \
        "latest is 2; the other host pins 1"
    d.block(slot=randomness.EpochLength.get(d.state()))
    state = d.state()
    first, second = (marketplace.TotalUsage.get(state, marketplace.version_key(0, v)).emission for v in (1, 2))
    assert second > 0 and abs(second - 3 * first) <= 3


def test_a_full_usage_list_keeps_the_best_paid_versions():
    d = hosted()
    ok(*d.root_block("setParameter", "MaxUsedVersions", 1))
    ok(d.act(OWNER, "publishVersion", 0, model_hash(9), formats.UNVERIFIED, 0, 0))
    ok(d.register(host=OTHER_HOST, version=1))
    ok(d.act(OTHER_USER, "deposit", address(OTHER_HOST), 0, value=100 * PRICE))
    epoch = randomness.EpochIndex.get(d.state())
    ok(d.act(HOST, "redeem", *d.voucher(2, 2 * PRICE)))
    ok(d.act(OTHER_HOST, "redeem", *d.voucher(1, PRICE, user=OTHER_USER, host=OTHER_HOST)))
    assert [(e.version, e.revenue) for e in marketplace.EpochUsage.get(d.state(), epoch)] == [(2, 2 * PRICE)], \
        "dust does not push a better paid version out"
    ok(d.act(OTHER_HOST, "redeem", *d.voucher(5, 5 * PRICE, user=OTHER_USER, host=OTHER_HOST)))
    assert [(e.version, e.revenue) for e in marketplace.EpochUsage.get(d.state(), epoch)] == [(1, 4 * PRICE)]


# The channel rules as a property

@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["redeem", "stale", "deposit", "request", "withdraw", "wait"]),
                          st.integers(1, 40)), min_size=1, max_size=12))
def test_escrow_is_never_negative_a_host_never_takes_more_than_its_newest_voucher_and_flock_is_conserved(actions):
    d = hosted(deposit=50 * PRICE)
    issued, emitted, blocks = balances.TotalIssuance.get(d.state()), rewards.TotalEmitted.get(d.state()), \
        len(d.chain.outcomes)
    signed, deposited = 0, 50 * PRICE
    for action, size in actions:
        state = d.state()
        channel = marketplace.Channels.get(state, marketplace.channel_key(address(USER), address(HOST), 0))
        if action in ("redeem", "stale"):
            amount = channel.redeemed + size * PRICE if action == "redeem" else max(channel.redeemed - size, 1)
            signed = max(signed, amount)
            applied = d.act(HOST, "redeem", *d.voucher(channel.requests + size, amount))
            assert applied.receipt.status == (channel.redeemed + size * PRICE <= amount <= channel.redeemed +
                                              channel.deposit), "paid iff newer, covering its requests, within escrow"
        elif action == "deposit":
            deposited += ok(d.act(USER, "deposit", address(HOST), 0, value=size * PRICE)) and size * PRICE
        elif action == "request":
            d.act(USER, "requestWithdrawal", address(HOST), 0)
        elif action == "withdraw":
            d.act(USER, "withdraw", address(HOST), 0)
        else:
            d.until(d.chain.head.number + size * 5)
        state = d.state()
        after = marketplace.Channels.get(state, marketplace.channel_key(address(USER), address(HOST), 0))
        assert after.deposit >= 0 and after.redeemed <= signed, "never more than the newest signed voucher"
        assert after.redeemed + after.deposit <= deposited
        burned = sum(a.gas_used * o.block.header.base_fee_per_gas for o in d.chain.outcomes[blocks:] for a in o.applied)
        assert balances.TotalIssuance.get(state) == issued + rewards.TotalEmitted.get(state) - emitted - burned, \
            "FLOCK is only minted by the schedule and burned as base fees: escrow, redemption and refunds move it"


# Monitoring

VALIDATORS = (2, 3, 4)


def probed() -> MarketDriver:
    d = hosted(deposit=0)
    d.bond(VALIDATORS, staking.VALIDATOR)
    return d


def report(d, validator, verdicts, epoch=None, hosts=(HOST,), latencies=None):
    epoch = randomness.EpochIndex.get(d.state()) if epoch is None else epoch
    return d.act(validator, "reportHosts", epoch, 0, [address(h) for h in hosts], list(verdicts),
                 list(latencies or [40] * len(verdicts)))


def next_epoch(d):
    d.block(slot=(randomness.EpochIndex.get(d.state()) + 1) * randomness.EpochLength.get(d.state()))


def host_record(d, host=HOST):
    return marketplace.Hosts.get(d.state(), marketplace.host_key(0, address(host)))


def test_a_host_down_for_more_than_two_thirds_of_the_reporting_stake_is_delisted_and_slashed():
    d = probed()
    treasury_before = treasury.get_balance(d.state())
    ok(report(d, 2, [marketplace.DOWN]))
    ok(report(d, 3, [marketplace.DOWN]))
    assert host_record(d).unbonding_until == 0, "nothing happens before the epoch ends"
    next_epoch(d)
    host = host_record(d)
    slashed = HOST_STAKE // 10
    assert host.stake == HOST_STAKE - slashed and host.unbonding_until > 0, "delisted: its unbonding has begun"
    assert balances.get_held(d.state(), address(HOST), marketplace.HOLD) == HOST_STAKE - slashed
    fee = rewards.EmissionOf.get(d.state(), randomness.EpochIndex.get(d.state())).protocol_fee
    assert treasury.get_balance(d.state()) - treasury_before == slashed + fee, "the slash and the epoch's fee"
    health = marketplace.Health.get(d.state(), marketplace.host_key(0, address(HOST)))
    assert (health.up_stake, health.reporting_stake, health.slashed) == (0, 2 * STAKE, slashed)
    assert marketplace.ProbeEpoch.get(d.state()) is None and not list(marketplace.ProbedModels.items(d.state())), \
        "the epoch's reports are cleared once tallied"


def test_exactly_two_thirds_or_too_few_reporters_delist_nobody():
    d = probed()
    ok(report(d, 2, [marketplace.DOWN]))
    ok(report(d, 3, [marketplace.DOWN]))
    ok(report(d, 4, [marketplace.UP], latencies=[25]))
    next_epoch(d)
    assert host_record(d).unbonding_until == 0, "2/3 is not more than 2/3"
    health = marketplace.Health.get(d.state(), marketplace.host_key(0, address(HOST)))
    assert (health.up_stake, health.latency_ms) == (STAKE, 25)
    ok(report(d, 2, [marketplace.DOWN]))
    next_epoch(d)
    assert host_record(d).unbonding_until == 0, "one validator of three is below the reporting quorum"


def test_stale_reports_need_a_host_on_latest_and_a_version_older_than_stale_blocks():
    d = probed()
    ok(d.register(host=OTHER_HOST, version=1))
    fails(report(d, 2, [marketplace.STALE]), marketplace.StaleNotDue, address(HOST))
    ok(d.act(OWNER, "publishVersion", 0, model_hash(9), formats.UNVERIFIED, 0, 0))
    fails(report(d, 2, [marketplace.STALE]), marketplace.StaleNotDue, address(HOST))
    fails(report(d, 2, [marketplace.STALE], hosts=(OTHER_HOST,)), marketplace.StaleNotDue, address(OTHER_HOST))
    d.until(marketplace.get_version(d.state(), 0, 2).published_at + 50)
    for validator in VALIDATORS:
        ok(report(d, validator, [marketplace.STALE, marketplace.UP], hosts=(HOST, OTHER_HOST)))
    next_epoch(d)
    assert host_record(d).unbonding_until > 0 and host_record(d, OTHER_HOST).unbonding_until == 0


def test_reports_that_must_be_refused():
    d = probed()
    epoch = randomness.EpochIndex.get(d.state())
    fails(report(d, USER, [marketplace.DOWN]), marketplace.NotValidator, address(USER))
    fails(report(d, 2, [marketplace.DOWN], epoch=epoch + 1), marketplace.EpochNotReportable, epoch + 1, epoch)
    fails(report(d, 2, [7]), marketplace.UnknownVerdict, 7)
    fails(report(d, 2, [marketplace.DOWN], hosts=(OTHER_HOST,)), marketplace.NotHost, 0, address(OTHER_HOST))
    fails(d.act(2, "reportHosts", epoch, 0, [address(HOST)], [0, 1], [1]), marketplace.LengthMismatch)
    fails(d.act(2, "reportHosts", epoch, 0, [address(HOST)] * 2, [0, 1], [1, 1]), marketplace.LengthMismatch)
    ok(report(d, 2, [marketplace.UP]))
    fails(report(d, 2, [marketplace.DOWN]), marketplace.AlreadyReported, epoch, 0)
    next_epoch(d)
    ok(report(d, 2, [marketplace.UP]))  # a new epoch, a new report


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 100)), max_size=20))
def test_two_epoch_counts_remember_the_last_two_epochs_written_in_order(writes):
    record, model = marketplace.TwoEpochCounts(0, 0, 0), {}
    for epoch, count in writes:
        if epoch + 1 < record.epoch:
            continue  # the chain refuses these (EpochNotSettleable)
        record = record.with_count(epoch, count)
        model[epoch] = count
        newest = max(model)
        for e in range(8):
            expected = model.get(e, 0) if e in (newest, newest - 1) else 0
            assert record.in_epoch(e) == expected, (writes, e)


def test_leaving_after_the_reports_does_not_escape_the_slash_and_a_host_is_slashed_once():
    d = probed()
    for validator in VALIDATORS:
        ok(report(d, validator, [marketplace.DOWN]))
    ok(d.act(HOST, "leaveHost", 0))
    leaving = host_record(d).unbonding_until
    next_epoch(d)
    assert host_record(d) == marketplace.Host(HOST_STAKE - HOST_STAKE // 10, PRICE, 0, leaving, True)
    for validator in VALIDATORS:
        ok(report(d, validator, [marketplace.DOWN]))
    next_epoch(d)
    assert host_record(d).stake == HOST_STAKE - HOST_STAKE // 10, "penalised once per registration"
    fails(d.act(2, "reportHosts", randomness.EpochIndex.get(d.state()), 0, [], [], []), marketplace.EmptyReport)


def test_usage_counts_beyond_uint64_stay_readable():
    """Two channels of 2^64 − 1 one-wei requests (about 37 FLOCK) pass a uint64: the view answers uint256s."""
    d = MarketDriver(MemoryChain())
    ok(d.model())
    ok(d.act(OWNER, "publishVersion", 0, WEIGHTS, formats.UNVERIFIED, 0, 0))
    ok(d.register(price=1))
    most = 2**64 - 1
    for user in (USER, OTHER_USER):
        ok(d.act(user, "deposit", address(HOST), 0, value=most))
        ok(d.act(HOST, "redeem", *d.voucher(most, most, user=user)))
    success, output = call_readonly(d.chain.runtime, d.chain.backend, block_env(d.chain.head), ACCOUNTS[0].address,
                                    marketplace.MODULE.address, 0, call_data(marketplace.MODULE, "usage", 0, 1))
    assert success and int.from_bytes(output[:32], "big") == 2 * most
