"""marketplace: a versioned model registry fed by FL Alliance and AI Arena results, staked hosts with
prices, a stake-based free tier, voucher payments over one-way channels, and emissions by usage
(spec/modules/marketplace.md).

    registry   a model (owner, name, kind) has versions 1, 2, …; a version is a weights hash with its
               provenance, checked here: an FL Alliance task's final global model (published by the
               task's creator), a ranked AI Arena submission (by its trainer), or an unverified upload
    hosts      stake (held, at least MinHostStake) to serve a model at a price per request, a fixed
               version or the latest; leaving starts HostUnbondingBlocks before the stake is released
    channels   a user deposits FLOCK for (host, model); each paid request carries a Voucher signed by the
               user naming the cumulative amount; the host redeems the newest when it likes (one
               transaction for any number of requests); the user takes back what is unredeemed
               DisputeBlocks after asking, and the host may still redeem until then
    free tier  each user has compute_free_allowance(effective stake) free requests per epoch across all
               hosts; a host settles the users' signed FreeRequests receipts (in their epoch or the next),
               counted up to it
    revenue    each redemption pays the host HostSharePerMillion, the version's creators
               CreatorSharePerMillion (by their weights), and the treasury the rest and the dust
    usage      redeemed and settled requests are recorded per version; at the next epoch's first block the
               Marketplace pool (rewards' share of emissions) goes to the versions by the FLOCK they were
               paid in the epoch, each at most EmissionCapPerMillion of it, and each part to its creators

    monitoring staking validators probe the hosts and report each epoch (up with a latency, down, or stale:
               serving an old version StaleBlocks after a new `latest`); at the next epoch's first block,
               with reports from at least ProbeQuorumPerMillion of validator stake, a host reported down
               or stale by more than 2/3 of the reporting stake is delisted (its unbonding starts) and
               loses HostSlashPerMillion of its stake to the treasury

A version's creators: for an Alliance model, the proposers whose updates went into a global model,
weighted by how many; for an Arena model, its trainer; for an upload, the model's owner.
"""

from dataclasses import dataclass, replace

from arena import module as arena
from fl_module import alliance
from fl_module.formats import NO_ACCURACY
from runtime.exceptions import DispatchError
from runtime.module import BlockEnv, CallDecl, CallEnv, ErrorDecl, EventDecl, Module, Parameter, ViewDecl
from runtime.modules import balances, gmflock, randomness, rewards, staking, system, treasury
from runtime.modules.randomness import u64
from runtime.records import Address, Bool, Hash32, RecordCodec, RecordList, Uint8, Uint32, Uint64, Uint256
from runtime.state import State
from runtime.storage import ADDRESS, U64, U256, BytesList, FixedUint, RawBytes, StorageMap, StorageValue, UintTupleList

from .formats import (ALLIANCE, ARENA, SERVE_LATEST, UNIT, UNVERIFIED, FreeRequests, Voucher,
                      compute_free_allowance, recover_signer)
from .formats import ADDRESS as ADDRESS_

NAME = "marketplace"
PER_MILLION = 1_000_000
HOLD = b"marketplace"
MAX_SETTLEMENTS = 128
"""Receipts one settleFreeRequests call may carry (each is a signature recovery, paid per byte)."""

# Parameters
MinHostStake = StorageValue(NAME, "MinHostStake", U256, 1_000 * UNIT)
HostUnbondingBlocks = StorageValue(NAME, "HostUnbondingBlocks", U64, 100)
DisputeBlocks = StorageValue(NAME, "DisputeBlocks", U64, 100)
"""Blocks between a user's withdrawal request and the refund: the host's time to redeem what it holds."""
MaxVersions = StorageValue(NAME, "MaxVersions", U64, 1_024)
MaxHostsPerModel = StorageValue(NAME, "MaxHostsPerModel", U64, 32)
MaxNameLength = StorageValue(NAME, "MaxNameLength", U64, 64)
MaxEndpointLength = StorageValue(NAME, "MaxEndpointLength", U64, 256)
MaxUsedVersions = StorageValue(NAME, "MaxUsedVersions", U64, 64)
"""Versions one epoch's emission can pay (those paid the most); the others still count in TotalUsage."""
EmissionCapPerMillion = StorageValue(NAME, "EmissionCapPerMillion", FixedUint(4), 50_000)
"""A version's emission in an epoch is at most this share of what it was paid in it. At the treasury's
share (the default), paying oneself for fake requests can at best win back the fee it cost."""
StaleBlocks = StorageValue(NAME, "StaleBlocks", U64, 50)
"""Blocks a host serving `latest` has to switch to a new version before it may be reported stale."""
ProbeQuorumPerMillion = StorageValue(NAME, "ProbeQuorumPerMillion", FixedUint(4), 500_000)
"""Reports count only when they come from at least this share of all validators' bonded stake."""
HostSlashPerMillion = StorageValue(NAME, "HostSlashPerMillion", FixedUint(4), 100_000)
MaxProbedModels = StorageValue(NAME, "MaxProbedModels", U64, 256)
"""Models one epoch's reports may name: the hook's work is bounded by this × MaxHostsPerModel."""
FreeRequestsPerKiloFlock = StorageValue(NAME, "FreeRequestsPerKiloFlock", U64, 100)
FreeTierMax = StorageValue(NAME, "FreeTierMax", U64, 100_000)
HostSharePerMillion = StorageValue(NAME, "HostSharePerMillion", FixedUint(4), 700_000)
CreatorSharePerMillion = StorageValue(NAME, "CreatorSharePerMillion", FixedUint(4), 250_000)
"""At most 10^6 − HostSharePerMillion counts (the treasury's share is never negative)."""


@dataclass(frozen=True)
class ModelRecord:
    owner: Address
    versions: Uint32
    """The newest version's number: `latest` (0 before the first)."""


@dataclass(frozen=True)
class Version:
    weights: Hash32
    """The hash of the model's canonical bytes (the blob a host loads and checks)."""
    provenance: Uint8
    source_task: Uint64
    source_index: Uint32
    """The Arena submission's index (0 otherwise)."""
    loss: Uint64
    """The source's loss × 10⁹ (an Arena submission's consensus loss; an Alliance task creator's evaluation of
    its final model); 0 where the source reports none."""
    published_at: Uint64
    accuracy: Uint32
    """Parts per million (an Alliance task creator's evaluation of its final model); NO_ACCURACY where the
    source reports none."""


@dataclass(frozen=True)
class Creator:
    who: Address
    weight: Uint64


@dataclass(frozen=True)
class Host:
    stake: Uint256
    price: Uint256
    """Wei per request beyond the free tier."""
    version: Uint32
    """The version served; SERVE_LATEST (0) follows the newest."""
    unbonding_until: Uint64
    """0 while serving; else the block from which the stake may be withdrawn."""
    penalised: Bool = False
    """Delisted by the probes' tally: slashed once per registration, leaving or not."""


@dataclass(frozen=True)
class Channel:
    deposit: Uint256
    """What the user has here and the host has not redeemed."""
    redeemed: Uint256
    """The amount of the newest redeemed voucher (cumulative over the channel's life)."""
    requests: Uint64
    """… and its request count."""
    closes_at: Uint64
    """0 while open; else the block from which the user may withdraw the deposit."""


@dataclass(frozen=True)
class Usage:
    paid_requests: Uint256
    free_requests: Uint256
    revenue: Uint256
    """Σ FLOCK redeemed for the version."""
    emission: Uint256
    """Σ paid to its creators from the Marketplace pool."""


@dataclass(frozen=True)
class VersionUsage:
    model: Uint64
    version: Uint32
    revenue: Uint256
    """FLOCK redeemed for the version in the epoch: what its share of the epoch's emission weighs."""


UP, DOWN, STALE = range(3)
"""A validator's verdict on a host in a probe report."""


@dataclass(frozen=True)
class ProbeTally:
    host: Address
    up_stake: Uint256
    down_stake: Uint256
    stale_stake: Uint256
    latency_stake: Uint256
    """Σ stake · latency (ms) of the up reports: their stake-weighted mean latency is this // up_stake."""


@dataclass(frozen=True)
class ProbeStakes:
    reporting: Uint256
    """Σ bonded stake of the validators that reported on the model this epoch."""
    validators: Uint256
    """All validators' bonded stake at the epoch's first report on it: what the quorum is measured against
    (so unbonding after reporting does not make the quorum easier)."""


@dataclass(frozen=True)
class HostHealth:
    """A host's last tallied epoch of probes."""
    epoch: Uint64
    up_stake: Uint256
    reporting_stake: Uint256
    latency_ms: Uint32
    slashed: Uint256
    """What that epoch's tally took from its stake (0: kept)."""


@dataclass(frozen=True)
class TwoEpochCounts:
    """Counts of an epoch and the one before it (receipts are settled in their epoch or the next); any
    other epoch reads 0, and a count for a later epoch moves the window."""
    epoch: Uint64
    current: Uint64
    previous: Uint64

    def in_epoch(self, epoch: int) -> int:
        return self.current if epoch == self.epoch else self.previous if epoch + 1 == self.epoch else 0

    def with_count(self, epoch: int, count: int) -> "TwoEpochCounts":
        """For `epoch ≥ self.epoch − 1` (settlement refuses older epochs)."""
        if epoch == self.epoch:
            return TwoEpochCounts(epoch, count, self.previous)
        if epoch + 1 == self.epoch:
            return TwoEpochCounts(self.epoch, self.current, count)
        return TwoEpochCounts(epoch, count, self.in_epoch(epoch - 1))


# Storage (model keys: u64 model; version keys: u64 model ‖ u32 version; host keys: u64 model ‖ host;
# channel keys: user ‖ host ‖ u64 model)
ModelCount = StorageValue(NAME, "ModelCount", U64, 0)
Models = StorageMap(NAME, "Models", FixedUint(8), RecordCodec(ModelRecord), None)
ModelName = StorageMap(NAME, "ModelName", FixedUint(8), RawBytes(), b"")
ModelKind = StorageMap(NAME, "ModelKind", FixedUint(8), RawBytes(), b"")
"""The architecture descriptor workers and hosts understand (as FL Alliance and Arena tasks name it)."""
Versions = StorageMap(NAME, "Versions", RawBytes(), RecordCodec(Version), None)
Creators = StorageMap(NAME, "Creators", RawBytes(), RecordList(Creator), ())
Hosts = StorageMap(NAME, "Hosts", RawBytes(), RecordCodec(Host), None)
HostEndpoint = StorageMap(NAME, "HostEndpoint", RawBytes(), RawBytes(), b"")
HostList = StorageMap(NAME, "HostList", FixedUint(8), BytesList(), ())
"""model → its hosts' addresses, in order of registration (withdrawn hosts removed)."""
Channels = StorageMap(NAME, "Channels", RawBytes(), RecordCodec(Channel), None)
TotalEscrow = StorageValue(NAME, "TotalEscrow", U256, 0)
"""Σ channel deposits: what this module's account holds for users."""
FreeSettled = StorageMap(NAME, "FreeSettled", RawBytes(), RecordCodec(TwoEpochCounts), TwoEpochCounts(0, 0, 0))
"""user ‖ host ‖ u64 model → the highest receipt settled in the last two epochs (one entry per channel)."""
FreeUsed = StorageMap(NAME, "FreeUsed", ADDRESS, RecordCodec(TwoEpochCounts), TwoEpochCounts(0, 0, 0))
"""user → free requests credited in the last two epochs, across hosts (each ≤ the user's allowance)."""
TotalUsage = StorageMap(NAME, "TotalUsage", RawBytes(), RecordCodec(Usage), Usage(0, 0, 0, 0))
EpochUsage = StorageMap(NAME, "EpochUsage", FixedUint(8), RecordList(VersionUsage), ())
"""epoch → revenue per version redeemed in it (at most MaxUsedVersions, the largest kept): the next epoch's
emission weights."""
ProbeTallies = StorageMap(NAME, "ProbeTallies", RawBytes(), RecordList(ProbeTally), ())
"""u64 epoch ‖ u64 model → the verdicts on its hosts, by stake."""
ProbeStake = StorageMap(NAME, "ProbeStake", RawBytes(), RecordCodec(ProbeStakes), None)
"""u64 epoch ‖ u64 model → who reported on it, by bonded stake, against all validators' at the first report."""
ProbedModels = StorageMap(NAME, "ProbedModels", FixedUint(8), UintTupleList(1), ())
LastReport = StorageMap(NAME, "LastReport", RawBytes(), U64, None)
"""validator ‖ u64 model → the epoch of its last report: one report per epoch, one entry per pair."""
ProbeEpoch = StorageValue(NAME, "ProbeEpoch", U64, None)
"""The epoch whose reports wait for the next epoch's first block."""
Health = StorageMap(NAME, "Health", RawBytes(), RecordCodec(HostHealth), None)
"""host key → its last tallied probes."""
UsageEpoch = StorageValue(NAME, "UsageEpoch", U64, None)
"""The epoch whose usage waits for the next epoch's first block (none: nothing used since the last payout)."""

# Events
ModelCreated = EventDecl("ModelCreated(uint64 indexed model,address indexed owner,string name,string kind)")
VersionPublished = EventDecl("VersionPublished(uint64 indexed model,uint32 indexed version,bytes32 weights,"
                             "uint8 provenance,uint64 sourceTask,uint32 sourceIndex,uint64 loss,uint32 accuracy)")
HostRegistered = EventDecl("HostRegistered(uint64 indexed model,address indexed host,uint32 version,uint256 price,"
                           "uint256 stake,string endpoint)")
HostUpdated = EventDecl("HostUpdated(uint64 indexed model,address indexed host,uint32 version,uint256 price,"
                        "string endpoint)")
HostLeaving = EventDecl("HostLeaving(uint64 indexed model,address indexed host,uint64 withdrawableAt)")
HostWithdrawn = EventDecl("HostWithdrawn(uint64 indexed model,address indexed host,uint256 stake)")
Deposited = EventDecl("Deposited(address indexed user,address indexed host,uint64 indexed model,uint256 amount,"
                      "uint256 deposit)")
WithdrawalRequested = EventDecl("WithdrawalRequested(address indexed user,address indexed host,uint64 indexed model,"
                                "uint64 withdrawableAt)")
Withdrawn = EventDecl("Withdrawn(address indexed user,address indexed host,uint64 indexed model,uint256 amount)")
Redeemed = EventDecl("Redeemed(address indexed user,address indexed host,uint64 indexed model,uint32 version,"
                     "uint64 requests,uint256 amount,uint256 hostShare,uint256 creatorShare,uint256 treasuryShare)")
HostsReported = EventDecl("HostsReported(uint64 indexed epoch,uint64 indexed model,address indexed validator,"
                          "uint256 stake)")
FreeRequestsSettled = EventDecl("FreeRequestsSettled(address indexed user,address indexed host,uint64 indexed model,"
                                "uint32 version,uint64 epoch,uint64 counted)")

# Errors
UnknownModel = ErrorDecl("UnknownModel(uint64 model)")
UnknownVersion = ErrorDecl("UnknownVersion(uint64 model,uint32 version)")
NotModelOwner = ErrorDecl("NotModelOwner(uint64 model,address owner)")
BadName = ErrorDecl("BadName(uint256 length,uint256 maximum)")
TooManyVersions = ErrorDecl("TooManyVersions(uint64 maximum)")
UnknownProvenance = ErrorDecl("UnknownProvenance(uint8 provenance)")
UnverifiedSource = ErrorDecl("UnverifiedSource()")
"""An unverified upload names no source task."""
NoVersion = ErrorDecl("NoVersion(uint64 model)")
"""A host cannot serve `latest` of a model with no version yet."""
ZeroPrice = ErrorDecl("ZeroPrice()")
"""A paid request costs something: a request count is bounded by what the voucher pays."""
RequestsNotPaid = ErrorDecl("RequestsNotPaid(uint256 requests,uint256 owed,uint256 price)")
SourceNotFinal = ErrorDecl("SourceNotFinal(uint64 task)")
NotSourceCreator = ErrorDecl("NotSourceCreator(address creator)")
WeightsMismatch = ErrorDecl("WeightsMismatch(bytes32 expected)")
KindMismatch = ErrorDecl("KindMismatch(string expected)")
BelowMinimumStake = ErrorDecl("BelowMinimumStake(uint256 stake,uint256 minimum)")
AlreadyHost = ErrorDecl("AlreadyHost(uint64 model)")
NotHost = ErrorDecl("NotHost(uint64 model,address host)")
HostIsLeaving = ErrorDecl("HostIsLeaving(uint64 withdrawableAt)")
TooManyHosts = ErrorDecl("TooManyHosts(uint64 maximum)")
StillUnbonding = ErrorDecl("StillUnbonding(uint64 withdrawableAt)")
ZeroAmount = ErrorDecl("ZeroAmount()")
NoChannel = ErrorDecl("NoChannel()")
DisputeWindowOpen = ErrorDecl("DisputeWindowOpen(uint64 withdrawableAt)")
WithdrawalNotRequested = ErrorDecl("WithdrawalNotRequested()")
BadSignature = ErrorDecl("BadSignature()")
"""The signature is malformed or not the named user's over this chain's message for this host."""
VoucherExpired = ErrorDecl("VoucherExpired(uint64 expiry,uint64 now)")
VoucherNotNewer = ErrorDecl("VoucherNotNewer(uint256 amount,uint256 redeemed)")
VoucherExceedsEscrow = ErrorDecl("VoucherExceedsEscrow(uint256 owed,uint256 deposit)")
EpochNotSettleable = ErrorDecl("EpochNotSettleable(uint64 epoch,uint64 current)")
"""A receipt is settled in its own epoch or the next."""
LengthMismatch = ErrorDecl("LengthMismatch()")
NotValidator = ErrorDecl("NotValidator(address who)")
AlreadyReported = ErrorDecl("AlreadyReported(uint64 epoch,uint64 model)")
EpochNotReportable = ErrorDecl("EpochNotReportable(uint64 epoch,uint64 current)")
UnknownVerdict = ErrorDecl("UnknownVerdict(uint8 verdict)")
StaleNotDue = ErrorDecl("StaleNotDue(address host)")
"""Only a host serving `latest` can be stale, and only StaleBlocks after the newest version."""
TooManyProbedModels = ErrorDecl("TooManyProbedModels(uint64 maximum)")
EmptyReport = ErrorDecl("EmptyReport()")
TooManyReceipts = ErrorDecl("TooManyReceipts(uint256 maximum)")


def version_key(model: int, version: int) -> bytes:
    return u64(model) + version.to_bytes(4, "big")


def host_key(model: int, host: bytes) -> bytes:
    return u64(model) + host


def channel_key(user: bytes, host: bytes, model: int) -> bytes:
    return user + host + u64(model)


def get_model(state: State, model: int) -> ModelRecord:
    record = Models.get(state, model)
    if record is None:
        raise DispatchError(UnknownModel, model)
    return record


def get_version(state: State, model: int, version: int) -> Version:
    record = Versions.get(state, version_key(model, version)) if version else None
    if record is None:
        raise DispatchError(UnknownVersion, model, version)
    return record


def get_host(state: State, model: int, host: bytes) -> Host:
    record = Hosts.get(state, host_key(model, host))
    if record is None:
        raise DispatchError(NotHost, model, host)
    return record


def get_served_version(state: State, model: int, host: Host) -> int:
    """The version a host serves now: its fixed one, or the model's newest."""
    return host.version if host.version != SERVE_LATEST else get_model(state, model).versions


def get_effective_stake(state: State, user: bytes) -> int:
    """What the free tier weighs: FLOCK bonded in staking plus gmFLOCK held."""
    return staking.Bonded.get(state, user) + gmflock.balance_of(state, user)


def get_free_allowance(state: State, user: bytes) -> int:
    return compute_free_allowance(get_effective_stake(state, user), FreeRequestsPerKiloFlock.get(state),
                                  FreeTierMax.get(state))


def compute_revenue_split(amount: int, host_share: int, creator_share: int) -> tuple[int, int, int]:
    """(host, creators, treasury): each share floored; the creators' capped at what the host leaves."""
    host = amount * host_share // PER_MILLION
    creators = amount * min(creator_share, PER_MILLION - host_share) // PER_MILLION
    return host, creators, amount - host - creators


def current_epoch(state: State) -> int:
    return randomness.EpochIndex.get(state)


def record_usage(state: State, model: int, version: int, paid: int, free: int, revenue: int) -> None:
    key = version_key(model, version)
    usage = TotalUsage.get(state, key)
    TotalUsage.set(state, key, Usage(usage.paid_requests + paid, usage.free_requests + free,
                                     usage.revenue + revenue, usage.emission))
    if revenue:
        record_epoch_revenue(state, model, version, revenue)


def record_epoch_revenue(state: State, model: int, version: int, revenue: int) -> None:
    """Add to the version's revenue this epoch. The list holds MaxUsedVersions entries: a version not in a
    full list takes the place of the least paid one only if it was paid more (so filling the list with
    dust shuts nobody out)."""
    epoch = current_epoch(state)
    UsageEpoch.set(state, epoch)
    entries = list(EpochUsage.get(state, epoch))
    index = next((i for i, e in enumerate(entries) if (e.model, e.version) == (model, version)), None)
    if index is not None:
        entries[index] = VersionUsage(model, version, entries[index].revenue + revenue)
    elif len(entries) < MaxUsedVersions.get(state):
        entries.append(VersionUsage(model, version, revenue))
    else:
        smallest = min(range(len(entries)), key=lambda i: entries[i].revenue)
        if entries[smallest].revenue >= revenue:
            return
        entries[smallest] = VersionUsage(model, version, revenue)
    EpochUsage.set(state, epoch, tuple(entries))


def pay_creators(state: State, source: bytes, model: int, version: int, amount: int) -> int:
    """A version's creators get `amount` by weight, from `source`'s free balance; returns what was paid."""
    creators = Creators.get(state, version_key(model, version))
    parts = arena.compute_shares(amount, [c.weight for c in creators])
    for creator, part in zip(creators, parts):
        if part:
            balances.transfer(state, source, creator.who, part)
    return sum(parts)


# Registry

def call_create_model(state: State, env: CallEnv, name: str, kind: str) -> tuple:
    maximum = MaxNameLength.get(state)
    for text in (name, kind):
        if not 0 < len(text.encode()) <= maximum:
            raise DispatchError(BadName, len(text.encode()), maximum)
    model = ModelCount.get(state)
    ModelCount.set(state, model + 1)
    Models.set(state, model, ModelRecord(env.sender, 0))
    ModelName.set(state, model, name.encode())
    ModelKind.set(state, model, kind.encode())
    env.emit(ModelCreated.to_log(ADDRESS_, model, env.sender, name, kind))
    return (model,)


def check_source(state: State, env: CallEnv, model: int, weights: bytes, provenance: int, task: int,
                 index: int) -> tuple[int, int, list[Creator]]:
    """(loss, accuracy, creators) of a version whose provenance checks out; raises why not."""
    kind = ModelKind.get(state, model)
    if provenance == UNVERIFIED:
        if task or index:
            raise DispatchError(UnverifiedSource)
        return 0, NO_ACCURACY, [Creator(env.sender, 1)]
    if provenance == ALLIANCE:
        finished = alliance.get_final_model(state, task)
        if finished is None or index:
            raise DispatchError(SourceNotFinal, task)
        creator, final, expected_kind = finished
        creators = [Creator(who, count) for who, count in alliance.get_accepted_updates(state, task)]
        evaluation = alliance.get_final_evaluation(state, task)
        loss, accuracy = (evaluation.loss, evaluation.accuracy) if evaluation else (0, NO_ACCURACY)
    elif provenance == ARENA:
        ranked = arena.get_ranked_submission(state, task, index)
        if ranked is None:
            raise DispatchError(SourceNotFinal, task)
        submission, result = ranked
        creator, final, expected_kind = submission.trainer, submission.model_hash, arena.get_model_kind(state, task)
        creators, loss, accuracy = [Creator(creator, 1)], result.consensus_loss, NO_ACCURACY
    else:
        raise DispatchError(UnknownProvenance, provenance)
    if env.sender != creator:
        raise DispatchError(NotSourceCreator, creator)
    if weights != final:
        raise DispatchError(WeightsMismatch, final)
    if kind.decode() != expected_kind:
        raise DispatchError(KindMismatch, expected_kind)
    return loss, accuracy, creators


def call_publish_version(state: State, env: CallEnv, model: int, weights: bytes, provenance: int, task: int,
                         index: int) -> tuple:
    record = get_model(state, model)
    if env.sender != record.owner:
        raise DispatchError(NotModelOwner, model, record.owner)
    if record.versions >= MaxVersions.get(state):
        raise DispatchError(TooManyVersions, MaxVersions.get(state))
    loss, accuracy, creators = check_source(state, env, model, weights, provenance, task, index)
    version = record.versions + 1
    Models.set(state, model, ModelRecord(record.owner, version))
    Versions.set(state, version_key(model, version),
                 Version(weights, provenance, task, index, loss, env.block_number, accuracy))
    Creators.set(state, version_key(model, version), tuple(creators))
    env.emit(VersionPublished.to_log(ADDRESS_, model, version, weights, provenance, task, index, loss, accuracy))
    return (version,)


# Hosts

def check_offer(state: State, model: int, version: int, price: int, endpoint: str) -> None:
    if version != SERVE_LATEST:
        get_version(state, model, version)
    elif get_model(state, model).versions == 0:
        raise DispatchError(NoVersion, model)
    if price == 0:
        raise DispatchError(ZeroPrice)
    maximum = MaxEndpointLength.get(state)
    if not 0 < len(endpoint.encode()) <= maximum:
        raise DispatchError(BadName, len(endpoint.encode()), maximum)


def call_register_host(state: State, env: CallEnv, model: int, version: int, price: int, endpoint: str) -> tuple:
    check_offer(state, model, version, price, endpoint)
    key = host_key(model, env.sender)
    if Hosts.get(state, key) is not None:
        raise DispatchError(AlreadyHost, model)
    if env.value < MinHostStake.get(state):
        raise DispatchError(BelowMinimumStake, env.value, MinHostStake.get(state))
    hosts = HostList.get(state, model)
    if len(hosts) >= MaxHostsPerModel.get(state):
        raise DispatchError(TooManyHosts, MaxHostsPerModel.get(state))
    balances.transfer(state, ADDRESS_, env.sender, env.value)
    balances.hold(state, env.sender, HOLD, env.value)
    Hosts.set(state, key, Host(env.value, price, version, 0))
    HostEndpoint.set(state, key, endpoint.encode())
    HostList.set(state, model, hosts + (env.sender,))
    env.emit(HostRegistered.to_log(ADDRESS_, model, env.sender, version, price, env.value, endpoint))
    return ()


def get_serving_host(state: State, model: int, host: bytes) -> Host:
    record = get_host(state, model, host)
    if record.unbonding_until:
        raise DispatchError(HostIsLeaving, record.unbonding_until)
    return record


def call_update_host(state: State, env: CallEnv, model: int, version: int, price: int, endpoint: str) -> tuple:
    """A new price applies to vouchers signed after it: the voucher names the amount, not the price."""
    record = get_serving_host(state, model, env.sender)
    check_offer(state, model, version, price, endpoint)
    Hosts.set(state, host_key(model, env.sender), replace(record, price=price, version=version))
    HostEndpoint.set(state, host_key(model, env.sender), endpoint.encode())
    env.emit(HostUpdated.to_log(ADDRESS_, model, env.sender, version, price, endpoint))
    return ()


def call_leave_host(state: State, env: CallEnv, model: int) -> tuple:
    record = get_serving_host(state, model, env.sender)
    until = env.block_number + HostUnbondingBlocks.get(state)
    Hosts.set(state, host_key(model, env.sender), replace(record, unbonding_until=until))
    env.emit(HostLeaving.to_log(ADDRESS_, model, env.sender, until))
    return ()


def call_withdraw_host(state: State, env: CallEnv, model: int) -> tuple:
    record = get_host(state, model, env.sender)
    if not record.unbonding_until or env.block_number < record.unbonding_until:
        raise DispatchError(StillUnbonding, record.unbonding_until)
    balances.release(state, env.sender, HOLD, record.stake)
    Hosts.remove(state, host_key(model, env.sender))
    HostEndpoint.remove(state, host_key(model, env.sender))
    Health.remove(state, host_key(model, env.sender))
    HostList.set(state, model, tuple(h for h in HostList.get(state, model) if h != env.sender))
    env.emit(HostWithdrawn.to_log(ADDRESS_, model, env.sender, record.stake))
    return ()


# Channels

def call_deposit(state: State, env: CallEnv, host: bytes, model: int) -> tuple:
    """Add to the channel (the value stays in this module's account); a pending withdrawal is cancelled."""
    if env.value == 0:
        raise DispatchError(ZeroAmount)
    get_serving_host(state, model, host)
    key = channel_key(env.sender, host, model)
    channel = Channels.get(state, key) or Channel(0, 0, 0, 0)
    Channels.set(state, key, Channel(channel.deposit + env.value, channel.redeemed, channel.requests, 0))
    TotalEscrow.set(state, TotalEscrow.get(state) + env.value)
    env.emit(Deposited.to_log(ADDRESS_, env.sender, host, model, env.value, channel.deposit + env.value))
    return ()


def get_channel(state: State, user: bytes, host: bytes, model: int) -> Channel:
    channel = Channels.get(state, channel_key(user, host, model))
    if channel is None:
        raise DispatchError(NoChannel)
    return channel


def call_request_withdrawal(state: State, env: CallEnv, host: bytes, model: int) -> tuple:
    channel = get_channel(state, env.sender, host, model)
    if channel.deposit == 0:
        raise DispatchError(ZeroAmount)
    at = env.block_number + DisputeBlocks.get(state)
    Channels.set(state, channel_key(env.sender, host, model),
                 Channel(channel.deposit, channel.redeemed, channel.requests, at))
    env.emit(WithdrawalRequested.to_log(ADDRESS_, env.sender, host, model, at))
    return ()


def call_withdraw(state: State, env: CallEnv, host: bytes, model: int) -> tuple:
    """The unredeemed deposit back to the user; the channel keeps its redeemed totals, so an old voucher
    stays spent."""
    channel = get_channel(state, env.sender, host, model)
    if not channel.closes_at:
        raise DispatchError(WithdrawalNotRequested)
    if env.block_number < channel.closes_at:
        raise DispatchError(DisputeWindowOpen, channel.closes_at)
    Channels.set(state, channel_key(env.sender, host, model), Channel(0, channel.redeemed, channel.requests, 0))
    TotalEscrow.set(state, TotalEscrow.get(state) - channel.deposit)
    balances.transfer(state, ADDRESS_, env.sender, channel.deposit)
    env.emit(Withdrawn.to_log(ADDRESS_, env.sender, host, model, channel.deposit))
    return ()


def check_signed_by(state: State, user: bytes, message: Voucher | FreeRequests, signature: bytes) -> None:
    if recover_signer(message.digest(system.ChainId.get(state)), signature) != user:
        raise DispatchError(BadSignature)


def call_redeem(state: State, env: CallEnv, user: bytes, model: int, requests: int, amount: int, expiry: int,
                inputs: bytes, signature: bytes) -> tuple:
    """The host (the sender) is paid `amount − redeemed` from the channel and split; its usage is recorded
    for the version it serves now."""
    host = get_host(state, model, env.sender)
    channel = get_channel(state, user, env.sender, model)
    check_signed_by(state, user, Voucher(user, env.sender, model, requests, amount, expiry, inputs), signature)
    if expiry < env.timestamp:
        raise DispatchError(VoucherExpired, expiry, env.timestamp)
    if amount <= channel.redeemed or requests < channel.requests:
        raise DispatchError(VoucherNotNewer, amount, channel.redeemed)
    owed = amount - channel.redeemed
    if owed > channel.deposit:
        raise DispatchError(VoucherExceedsEscrow, owed, channel.deposit)
    if (requests - channel.requests) * host.price > owed:
        raise DispatchError(RequestsNotPaid, requests - channel.requests, owed, host.price)
    Channels.set(state, channel_key(user, env.sender, model),
                 Channel(channel.deposit - owed, amount, requests, channel.closes_at))
    TotalEscrow.set(state, TotalEscrow.get(state) - owed)
    version = get_served_version(state, model, host)
    host_part, creator_part, treasury_part = compute_revenue_split(owed, HostSharePerMillion.get(state),
                                                                   CreatorSharePerMillion.get(state))
    balances.transfer(state, ADDRESS_, env.sender, host_part)
    paid = pay_creators(state, ADDRESS_, model, version, creator_part)
    treasury.deposit_from(state, ADDRESS_, treasury_part + creator_part - paid)
    record_usage(state, model, version, requests - channel.requests, 0, owed)
    env.emit(Redeemed.to_log(ADDRESS_, user, env.sender, model, version, requests - channel.requests, owed,
                             host_part, paid, treasury_part + creator_part - paid))
    return ()


def call_settle_free_requests(state: State, env: CallEnv, model: int, epoch: int, users: tuple, counts: tuple,
                              inputs: tuple, signatures: tuple) -> tuple:
    """Each user's newest FreeRequests receipt of `epoch` (this one or the last) for this host: the part above
    what was settled before, up to what the user's allowance has left that epoch, counts as the served
    version's free usage.
    A receipt that does not verify fails the call (the host sent it; nothing is half-settled)."""
    host = get_host(state, model, env.sender)
    if not len(users) == len(counts) == len(inputs) == len(signatures):
        raise DispatchError(LengthMismatch)
    if len(users) > MAX_SETTLEMENTS:
        raise DispatchError(TooManyReceipts, MAX_SETTLEMENTS)
    now = current_epoch(state)
    if not now - 1 <= epoch <= now:
        raise DispatchError(EpochNotSettleable, epoch, now)
    version = get_served_version(state, model, host)
    total = 0
    for user, count, hashed, signature in zip(users, counts, inputs, signatures):
        check_signed_by(state, user, FreeRequests(user, env.sender, model, epoch, count, hashed), signature)
        settled_key = user + env.sender + u64(model)
        settled_record, used_record = FreeSettled.get(state, settled_key), FreeUsed.get(state, user)
        settled, used = settled_record.in_epoch(epoch), used_record.in_epoch(epoch)
        counted = min(max(count - settled, 0), max(get_free_allowance(state, user) - used, 0))
        FreeSettled.set(state, settled_key, settled_record.with_count(epoch, max(count, settled)))
        FreeUsed.set(state, user, used_record.with_count(epoch, used + counted))
        total += counted
        env.emit(FreeRequestsSettled.to_log(ADDRESS_, user, env.sender, model, version, epoch, counted))
    if total:
        record_usage(state, model, version, 0, total, 0)
    return ()


# Monitoring

def call_report_hosts(state: State, env: CallEnv, epoch: int, model: int, hosts: tuple, verdicts: tuple,
                      latencies: tuple) -> tuple:
    """A staking validator's verdicts on a model's hosts this epoch, weighed by its bonded stake."""
    stake = staking.Bonded.get(state, env.sender)
    if staking.Role.get(state, env.sender) != staking.VALIDATOR or stake == 0:
        raise DispatchError(NotValidator, env.sender)
    now = current_epoch(state)
    if epoch != now:
        raise DispatchError(EpochNotReportable, epoch, now)
    record = get_model(state, model)
    if not len(hosts) == len(verdicts) == len(latencies) or len(set(hosts)) != len(hosts):
        raise DispatchError(LengthMismatch)
    if not hosts:
        raise DispatchError(EmptyReport)
    report_key = env.sender + u64(model)
    if LastReport.get(state, report_key) == epoch:
        raise DispatchError(AlreadyReported, epoch, model)
    key = u64(epoch) + u64(model)
    tallies = {t.host: t for t in ProbeTallies.get(state, key)}
    stale_due = record.versions and \
        get_version(state, model, record.versions).published_at + StaleBlocks.get(state) <= env.block_number
    for host, verdict, latency in zip(hosts, verdicts, latencies):
        served = get_host(state, model, host)
        if verdict not in (UP, DOWN, STALE):
            raise DispatchError(UnknownVerdict, verdict)
        if verdict == STALE and (served.version != SERVE_LATEST or not stale_due):
            raise DispatchError(StaleNotDue, host)
        t = tallies.get(host, ProbeTally(host, 0, 0, 0, 0))
        tallies[host] = ProbeTally(host, t.up_stake + stake * (verdict == UP), t.down_stake + stake * (verdict == DOWN),
                                   t.stale_stake + stake * (verdict == STALE),
                                   t.latency_stake + stake * latency * (verdict == UP))
    probed = ProbedModels.get(state, epoch)
    if (model,) not in probed:
        if len(probed) >= MaxProbedModels.get(state):
            raise DispatchError(TooManyProbedModels, MaxProbedModels.get(state))
        ProbedModels.set(state, epoch, probed + ((model,),))
    ProbeTallies.set(state, key, tuple(tallies.values()))
    stakes = ProbeStake.get(state, key) or ProbeStakes(0, staking.TotalBonded.get(state, staking.VALIDATOR))
    ProbeStake.set(state, key, ProbeStakes(stakes.reporting + stake, stakes.validators))
    LastReport.set(state, report_key, epoch)
    ProbeEpoch.set(state, epoch)
    env.emit(HostsReported.to_log(ADDRESS_, epoch, model, env.sender, stake))
    return ()


def is_failing(tally: ProbeTally, reporting: int) -> bool:
    """Down or stale in the eyes of more than 2/3 of the reporting stake (down and stale count together:
    either way users do not get the model they pay for)."""
    return 3 * (tally.down_stake + tally.stale_stake) > 2 * reporting


def process_probes(state: State, epoch: int, block_number: int) -> None:
    """Tally `epoch`'s reports: with quorum, each failing host not yet penalised in this registration is
    delisted and slashed, whether or not it started leaving after the reports came in."""
    for (model,) in ProbedModels.get(state, epoch):
        key = u64(epoch) + u64(model)
        stakes = ProbeStake.get(state, key)
        reporting = stakes.reporting
        quorate = reporting * PER_MILLION >= ProbeQuorumPerMillion.get(state) * stakes.validators
        for tally in ProbeTallies.get(state, key):
            host_key_ = host_key(model, tally.host)
            host = Hosts.get(state, host_key_)
            slashed = 0
            if host is not None and quorate and is_failing(tally, reporting) and not host.penalised:
                slashed = host.stake * HostSlashPerMillion.get(state) // PER_MILLION
                balances.transfer_held(state, tally.host, HOLD, treasury.ADDRESS_, slashed)
                until = host.unbonding_until or block_number + HostUnbondingBlocks.get(state)
                Hosts.set(state, host_key_, Host(host.stake - slashed, host.price, host.version, until, True))
            latency = tally.latency_stake // tally.up_stake if tally.up_stake else 0
            Health.set(state, host_key_, HostHealth(epoch, tally.up_stake, reporting, min(latency, 2**32 - 1),
                                                    slashed))
        ProbeTallies.remove(state, key)
        ProbeStake.remove(state, key)
    ProbedModels.remove(state, epoch)


# Emissions by usage

def process_epoch(state: State, epoch: int) -> None:
    """The Marketplace pool to the versions paid in `epoch` by their revenue, each part at most
    EmissionCapPerMillion of that revenue, and each to its creators by weight (floored at every step;
    what is not paid stays in the pool). No revenue: the pool waits."""
    entries = EpochUsage.get(state, epoch)
    EpochUsage.remove(state, epoch)
    pool, cap = rewards.PoolBalance.get(state, rewards.MARKETPLACE), EmissionCapPerMillion.get(state)
    for entry, part in zip(entries, arena.compute_shares(pool, [e.revenue for e in entries])):
        part = min(part, entry.revenue * cap // PER_MILLION)
        key = version_key(entry.model, entry.version)
        creators = Creators.get(state, key)
        shares = arena.compute_shares(part, [c.weight for c in creators])
        for creator, share in zip(creators, shares):
            if share:
                rewards.withdraw_pool(state, rewards.MARKETPLACE, share, creator.who)
        usage = TotalUsage.get(state, key)
        TotalUsage.set(state, key, Usage(usage.paid_requests, usage.free_requests, usage.revenue,
                                         usage.emission + sum(shares)))


def on_initialize(state: State, env: BlockEnv) -> None:
    """Runs after rewards' hook, so at an epoch's first block the pool already holds that epoch's share: the
    usage payout, then the probe tally. Writes nothing unless usage or reports wait."""
    used, probed = UsageEpoch.get(state), ProbeEpoch.get(state)
    if used is not None and used != current_epoch(state):
        process_epoch(state, used)
        UsageEpoch.set(state, None)
    if probed is not None and probed != current_epoch(state):
        process_probes(state, probed, env.number)
        ProbeEpoch.set(state, None)


# Views

def view_model(state: State, model: int) -> tuple:
    record = get_model(state, model)
    return (record.owner, ModelName.get(state, model).decode(), ModelKind.get(state, model).decode(),
            record.versions)


def view_version(state: State, model: int, version: int) -> tuple:
    version = version or get_model(state, model).versions
    record = get_version(state, model, version)
    creators = Creators.get(state, version_key(model, version))
    return (record.weights, record.provenance, record.source_task, record.source_index, record.loss,
            record.published_at, [c.who for c in creators], [c.weight for c in creators], record.accuracy)


def view_host(state: State, model: int, host: bytes) -> tuple:
    record = get_host(state, model, host)
    return (record.stake, record.price, record.version, get_served_version(state, model, record),
            record.unbonding_until, HostEndpoint.get(state, host_key(model, host)).decode())


def view_health(state: State, model: int, host: bytes) -> tuple:
    record = Health.get(state, host_key(model, host)) or HostHealth(0, 0, 0, 0, 0)
    return (record.epoch, record.up_stake, record.reporting_stake, record.latency_ms, record.slashed,
            get_host(state, model, host).penalised)


def view_channel(state: State, user: bytes, host: bytes, model: int) -> tuple:
    channel = Channels.get(state, channel_key(user, host, model)) or Channel(0, 0, 0, 0)
    return channel.deposit, channel.redeemed, channel.requests, channel.closes_at


def view_usage(state: State, model: int, version: int) -> tuple:
    get_version(state, model, version)
    usage = TotalUsage.get(state, version_key(model, version))
    return usage.paid_requests, usage.free_requests, usage.revenue, usage.emission


def view_free_tier(state: State, user: bytes, epoch: int) -> tuple:
    return get_free_allowance(state, user), FreeUsed.get(state, user).in_epoch(epoch)


def view_voucher_digest(state: State, user: bytes, host: bytes, model: int, requests: int, amount: int,
                        expiry: int, inputs: bytes) -> tuple:
    return (Voucher(user, host, model, requests, amount, expiry, inputs).digest(system.ChainId.get(state)),)


def view_free_requests_digest(state: State, user: bytes, host: bytes, model: int, epoch: int,
                              requests: int, inputs: bytes) -> tuple:
    return (FreeRequests(user, host, model, epoch, requests, inputs).digest(system.ChainId.get(state)),)


def check_invariants(state: State) -> None:
    channels = [channel for _, channel in Channels.items(state)]
    assert sum(c.deposit for c in channels) == TotalEscrow.get(state), "the escrow total is Σ channel deposits"
    assert balances.free_balance(state, ADDRESS_) >= TotalEscrow.get(state), "this account covers every deposit"
    held = {}
    for key, host in Hosts.items(state):
        assert key[8:] in HostList.get(state, int.from_bytes(key[:8], "big")), "every host is listed"
        assert host.price > 0
        held[key[8:]] = held.get(key[8:], 0) + host.stake
    for who, amount in held.items():
        assert balances.get_held(state, who, HOLD) == amount, "a host's hold is Σ its stakes"
    for key, record in Models.items(state):
        assert all(Versions.get(state, version_key(key, v)) is not None for v in range(1, record.versions + 1))


def address_list(values) -> tuple:
    return (list(values),)


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    raises=(balances.InsufficientBalance, balances.InsufficientHold, system.NotRoot),
    calls=(
        CallDecl("createModel(string name,string kind)", call_create_model, weight=40_000, returns=("uint64",),
                 weight_per_byte=16),
        CallDecl("publishVersion(uint64 model,bytes32 weights,uint8 provenance,uint64 sourceTask,uint32 sourceIndex)",
                 call_publish_version, weight=120_000, returns=("uint32",)),
        CallDecl("registerHost(uint64 model,uint32 version,uint256 price,string endpoint)", call_register_host,
                 weight=50_000, payable=True, weight_per_byte=16),
        CallDecl("updateHost(uint64 model,uint32 version,uint256 price,string endpoint)", call_update_host,
                 weight=30_000, weight_per_byte=16),
        CallDecl("leaveHost(uint64 model)", call_leave_host, weight=20_000),
        CallDecl("withdrawHost(uint64 model)", call_withdraw_host, weight=30_000),
        CallDecl("deposit(address host,uint64 model)", call_deposit, weight=20_000, payable=True),
        CallDecl("requestWithdrawal(address host,uint64 model)", call_request_withdrawal, weight=15_000),
        CallDecl("withdraw(address host,uint64 model)", call_withdraw, weight=20_000),
        CallDecl("redeem(address user,uint64 model,uint64 requests,uint256 amount,uint64 expiry,bytes32 inputs,"
                 "bytes signature)", call_redeem, weight=80_000),
        CallDecl("settleFreeRequests(uint64 model,uint64 epoch,address[] users,uint64[] counts,bytes32[] inputs,"
                 "bytes[] signatures)", call_settle_free_requests, weight=30_000, weight_per_byte=40),
        CallDecl("reportHosts(uint64 epoch,uint64 model,address[] hosts,uint8[] verdicts,uint32[] latencies)",
                 call_report_hosts, weight=40_000, weight_per_byte=20),
    ),
    views=(
        ViewDecl("modelCount()", lambda state: (ModelCount.get(state),), ("uint64",)),
        ViewDecl("model(uint64 model)", view_model, ("address", "string", "string", "uint32")),
        ViewDecl("version(uint64 model,uint32 version)", view_version,
                 ("bytes32", "uint8", "uint64", "uint32", "uint64", "uint64", "address[]", "uint64[]", "uint32")),
        ViewDecl("hosts(uint64 model)", lambda state, model: address_list(HostList.get(state, model)),
                 ("address[]",)),
        ViewDecl("host(uint64 model,address host)", view_host,
                 ("uint256", "uint256", "uint32", "uint32", "uint64", "string")),
        ViewDecl("health(uint64 model,address host)", view_health,
                 ("uint64", "uint256", "uint256", "uint32", "uint256", "bool")),
        ViewDecl("channel(address user,address host,uint64 model)", view_channel,
                 ("uint256", "uint256", "uint64", "uint64")),
        ViewDecl("usage(uint64 model,uint32 version)", view_usage, ("uint256", "uint256", "uint256", "uint256")),
        ViewDecl("freeTier(address user,uint64 epoch)", view_free_tier, ("uint64", "uint64")),
        ViewDecl("currentEpoch()", lambda state: (current_epoch(state),), ("uint64",)),
        ViewDecl("voucherDigest(address user,address host,uint64 model,uint64 requests,uint256 amount,"
                 "uint64 expiry,bytes32 inputs)", view_voucher_digest, ("bytes32",)),
        ViewDecl("freeRequestsDigest(address user,address host,uint64 model,uint64 epoch,uint64 requests,"
                 "bytes32 inputs)", view_free_requests_digest, ("bytes32",)),
    ),
    parameters={
        "MinHostStake": Parameter(MinHostStake, 0, 10**9 * UNIT),
        "HostUnbondingBlocks": Parameter(HostUnbondingBlocks, 1, 1_000_000),
        "DisputeBlocks": Parameter(DisputeBlocks, 1, 1_000_000),
        "MaxVersions": Parameter(MaxVersions, 1, 1_000_000),
        "MaxHostsPerModel": Parameter(MaxHostsPerModel, 1, 1_024),
        "MaxNameLength": Parameter(MaxNameLength, 8, 1_024),
        "MaxEndpointLength": Parameter(MaxEndpointLength, 16, 2_048),
        "MaxUsedVersions": Parameter(MaxUsedVersions, 1, 1_024),
        "EmissionCapPerMillion": Parameter(EmissionCapPerMillion, 0, PER_MILLION),
        "StaleBlocks": Parameter(StaleBlocks, 1, 1_000_000),
        "ProbeQuorumPerMillion": Parameter(ProbeQuorumPerMillion, 0, PER_MILLION),
        "HostSlashPerMillion": Parameter(HostSlashPerMillion, 0, PER_MILLION),
        "MaxProbedModels": Parameter(MaxProbedModels, 1, 4_096),
        "FreeRequestsPerKiloFlock": Parameter(FreeRequestsPerKiloFlock, 0, 10**9),
        "FreeTierMax": Parameter(FreeTierMax, 0, 10**9),
        "HostSharePerMillion": Parameter(HostSharePerMillion, 0, PER_MILLION),
        "CreatorSharePerMillion": Parameter(CreatorSharePerMillion, 0, PER_MILLION),
    },
    authorize=system.ensure_root,
    queries={"version": get_version},
    on_initialize=on_initialize,
    check_invariants=check_invariants,
)
