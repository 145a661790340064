"""Conformance cases for marketplace (spec/modules/marketplace.md): an Arena winner published and paid for
through a voucher channel, with a refund; an Alliance model with its evaluation, paid to its proposers; the free tier settled across hosts and the Marketplace pool paid
to the used version's creators."""

from dataclasses import dataclass

from arena import module as arena
from fl_module import alliance
from marketplace import formats
from marketplace import module as marketplace
from runtime.modules import gmflock, randomness, staking
from tests.arena.arena_driver import model_hash
from tests.fl.alliance_driver import address
from tests.marketplace.market_driver import HOST, OTHER_HOST, PRICE, USER, WEIGHTS, MarketDriver

from .cases import CaseBuilder, Vector


@dataclass(frozen=True)
class MarketplaceVector(Vector):
    folder = "marketplace"


def case_marketplace_arena_version_paid_by_voucher_and_refunded() -> MarketplaceVector:
    b = CaseBuilder()
    d = MarketDriver(b.chain, author=b.author)
    d.finished_arena_task()
    submissions = arena.Submissions.get(b.chain.state(), 0)
    index = next(i for i, s in enumerate(submissions) if s.trainer == address(2))
    d.block(d.call(2, "createModel", "digits", "mlp:digits"))
    d.block(d.call(2, "publishVersion", 0, model_hash(2), formats.ARENA, 0, index))
    d.block(d.call(HOST, "registerHost", 0, 0, PRICE, "http://127.0.0.1:9000", value=1_000 * 10**18))
    d.block(d.call(USER, "deposit", address(HOST), 0, value=100 * PRICE))
    d.block(d.call(HOST, "redeem", *d.voucher(40, 40 * PRICE)))
    d.block(d.call(HOST, "redeem", *d.voucher(40, 40 * PRICE)))
    d.block(d.call(USER, "requestWithdrawal", address(HOST), 0))
    d.until(d.chain.head.number + 100)
    d.block(d.call(USER, "withdraw", address(HOST), 0))
    channel = marketplace.Channels.get(b.chain.state(), marketplace.channel_key(address(USER), address(HOST), 0))
    assert channel == marketplace.Channel(0, 40 * PRICE, 40, 0)
    return MarketplaceVector(**vars(b.valid(
        "marketplace_arena_version_paid_by_voucher_and_refunded",
        "a ranked Arena submission published by its trainer, a host staked on latest, a channel, a voucher "
        "redeemed (split host / trainer / treasury) and replayed (refused), a withdrawal after the dispute window")))


def case_marketplace_alliance_version_carries_its_evaluation_and_pays_its_proposers() -> MarketplaceVector:
    b = CaseBuilder()
    d = MarketDriver(b.chain, author=b.author)
    d.block(d.call(0, "createModel", "digits", "mlp:digits"))
    d.finished_alliance_task(rounds=2)
    d.block((0, alliance.MODULE, "reportEvaluation", (0, 1, 4 * 10**8, 912_345), 0))
    final = alliance.GlobalModel.get(b.chain.state(), 0)
    d.block(d.call(0, "publishVersion", 0, final, formats.ALLIANCE, 0, 0))
    d.block(d.call(HOST, "registerHost", 0, 0, PRICE, "http://127.0.0.1:9000", value=1_000 * 10**18))
    d.block(d.call(USER, "deposit", address(HOST), 0, value=100 * PRICE))
    d.block(d.call(HOST, "redeem", *d.voucher(33, 33 * PRICE)))
    version = marketplace.Versions.get(b.chain.state(), marketplace.version_key(0, 1))
    assert (version.loss, version.accuracy) == (4 * 10**8, 912_345)
    return MarketplaceVector(**vars(b.valid(
        "marketplace_alliance_version_carries_its_evaluation_and_pays_its_proposers",
        "an FL Alliance task's final model published by its creator with the creator's evaluation of it (loss, "
        "accuracy); a voucher redeemed: the creators' share split among the proposers by accepted updates, "
        "with the dust to the treasury")))


def two_hosts() -> tuple[CaseBuilder, MarketDriver]:
    """An uploaded model with one version, served by HOST and OTHER_HOST on latest."""
    b = CaseBuilder()
    d = MarketDriver(b.chain, author=b.author)
    d.block(d.call(1, "createModel", "digits", "mlp:digits"))
    d.block(d.call(1, "publishVersion", 0, WEIGHTS, formats.UNVERIFIED, 0, 0))
    for host in (HOST, OTHER_HOST):
        d.block(d.call(host, "registerHost", 0, 0, PRICE, "http://127.0.0.1:9000", value=1_000 * 10**18))
    return b, d


def case_marketplace_free_tier_and_usage_emission() -> MarketplaceVector:
    b, d = two_hosts()
    d.block((USER, gmflock.MODULE, "lock", (30,), 100 * 10**18))
    epoch = randomness.EpochIndex.get(b.chain.state())
    d.block(d.call(HOST, "settleFreeRequests", 0, epoch, *map(list, zip(d.receipt(7, epoch)))))
    receipt = d.receipt(7, epoch, host=OTHER_HOST)
    d.block(d.call(OTHER_HOST, "settleFreeRequests", 0, epoch, *map(list, zip(receipt))))
    d.block(d.call(USER, "deposit", address(HOST), 0, value=100 * PRICE))
    d.block(d.call(HOST, "redeem", *d.voucher(4, 4 * PRICE)))
    d.block(slot=randomness.EpochLength.get(b.chain.state()))
    usage = marketplace.TotalUsage.get(b.chain.state(), marketplace.version_key(0, 1))
    assert (usage.free_requests, usage.paid_requests) == (10, 4)
    assert usage.emission == 4 * PRICE * 50_000 // 10**6
    return MarketplaceVector(**vars(b.valid(
        "marketplace_free_tier_and_usage_emission",
        "a user's gmFLOCK gives it 10 free requests an epoch; signed receipts settled by two hosts count up to "
        "that across them; a voucher redeemed; at the next epoch the Marketplace pool pays the version's creator "
        "by revenue, capped at the treasury's share of it")))


def case_marketplace_host_reported_down_is_delisted_and_slashed() -> MarketplaceVector:
    b, d = two_hosts()
    d.bond((2, 3, 4), staking.VALIDATOR)
    epoch = randomness.EpochIndex.get(b.chain.state())
    hosts = [address(HOST), address(OTHER_HOST)]
    d.block(*(d.call(v, "reportHosts", epoch, 0, hosts, [marketplace.DOWN, marketplace.UP], [0, 30]) for v in (2, 3)),
            d.call(4, "reportHosts", epoch, 0, hosts, [marketplace.UP, marketplace.UP], [45, 35]))
    d.block(slot=randomness.EpochLength.get(b.chain.state()))
    state = b.chain.state()
    assert marketplace.Hosts.get(state, marketplace.host_key(0, address(HOST))).unbonding_until == 0, "2/3 is not enough"
    epoch = randomness.EpochIndex.get(state)
    d.block(*(d.call(v, "reportHosts", epoch, 0, hosts, [marketplace.DOWN, marketplace.UP], [0, 30])
              for v in (2, 3, 4)))
    d.block(slot=2 * randomness.EpochLength.get(b.chain.state()))
    state = b.chain.state()
    assert marketplace.Hosts.get(state, marketplace.host_key(0, address(HOST))).stake == 900 * 10**18
    assert marketplace.Hosts.get(state, marketplace.host_key(0, address(OTHER_HOST))).unbonding_until == 0
    return MarketplaceVector(**vars(b.valid(
        "marketplace_host_reported_down_is_delisted_and_slashed",
        "three validators probe two hosts: down by exactly 2/3 of the reporting stake keeps a host; down by all "
        "of it delists the host and takes 10% of its stake at the next epoch; latencies tallied by stake")))


MARKETPLACE_CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]
