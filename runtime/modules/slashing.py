"""slashing: offences reported by other modules (or the root) take a fraction of the offender's stake.

An offence has a kind — 0 poisoned update, 1 false validation, 2 equivocation,
3 unavailability — and each kind a governable `SlashFraction` in parts per million. FLock
publishes no rates; the defaults (10%, 5%, 10%, 1%) are this chain's.

    report (epoch e)   → a pending slash, due at epoch e + DeferralEpochs; the Root may cancel it
    first block of an epoch ≥ the due epoch (this hook, after randomness rotated the epoch)
                       → applied: staking.slash takes the fraction from the offender's own stake
                         (Bonded, then its unlocking chunks) and pro rata from the delegations to
                         it; ReporterShare (10%) goes to the reporter, the rest to the beneficiary
                         (a task's reward pool, or the treasury), as free balance.

Spans (Substrate's slashing spans, simplified): an offender's span starts at its first
applied slash and lasts `SlashSpanEpochs`; within it the offender pays the largest
fraction reported, not the sum — a slash applies `max(0, fraction − largest already applied)`
of the stake at stake when it is applied. Slashes move FLOCK between accounts: they never
mint or burn.

Hooks have no receipt, so an applied slash cannot emit a log: its outcome (amount taken,
stake at stake) is kept in its record, which `slashOf(id)` answers. `Slashed` is declared
for the day the executive gives hooks events; it is not yet in the ABI.
"""

from dataclasses import dataclass, replace

from ..module import BlockEnv, CallDecl, CallEnv, ErrorDecl, EventDecl, Module, Parameter, ViewDecl, fail, module_address
from ..records import Address, RecordCodec, RecordList, Uint8, Uint32, Uint64, Uint256
from ..state import State
from ..storage import ADDRESS, U64, FixedUint, StorageMap, StorageValue
from . import balances, randomness, staking, system, treasury

NAME = "slashing"
ADDRESS_ = module_address(6)
PER_MILLION = 1_000_000
POISONED_UPDATE, FALSE_VALIDATION, EQUIVOCATION, UNAVAILABILITY = 0, 1, 2, 3
KINDS = (POISONED_UPDATE, FALSE_VALIDATION, EQUIVOCATION, UNAVAILABILITY)
PENDING, CANCELLED, APPLIED = 0, 1, 2

# Parameters
# Fixed-width codecs, so a governed 0 is stored (a minimal-bytes 0 is empty, i.e. the default).
PER_MILLION_CODEC, EPOCHS_CODEC = FixedUint(4), FixedUint(8)
SlashFraction = (
    StorageValue(NAME, "SlashFractionPoisonedUpdate", PER_MILLION_CODEC, 100_000),
    StorageValue(NAME, "SlashFractionFalseValidation", PER_MILLION_CODEC, 50_000),
    StorageValue(NAME, "SlashFractionEquivocation", PER_MILLION_CODEC, 100_000),
    StorageValue(NAME, "SlashFractionUnavailability", PER_MILLION_CODEC, 10_000),
)
"""Per offence kind (indexed by kind), parts per million of the stake at stake."""
DeferralEpochs = StorageValue(NAME, "DeferralEpochs", EPOCHS_CODEC, 2)
SlashSpanEpochs = StorageValue(NAME, "SlashSpanEpochs", EPOCHS_CODEC, 28)
ReporterShare = StorageValue(NAME, "ReporterShare", PER_MILLION_CODEC, 100_000)
"""The reporter's part of a slash, per million (FLock: 10% to the slasher, 90% back to the pool)."""



@dataclass(frozen=True)
class SlashRecord:
    """A reported slash; kept after it is applied or cancelled."""

    kind: Uint8
    offender: Address
    reporter: Address
    beneficiary: Address
    fraction: Uint32
    """Parts per million, as reported."""
    report_epoch: Uint64
    apply_epoch: Uint256
    """The report's epoch plus the governed deferral: no narrower."""
    status: Uint8 = PENDING
    applied_fraction: Uint32 = 0
    """What the span rule left of `fraction` when it was applied."""
    amount: Uint256 = 0
    at_stake: Uint256 = 0


@dataclass(frozen=True, order=True)
class QueuedSlash:
    apply_epoch: Uint256
    slash_id: Uint64


@dataclass(frozen=True)
class SlashSpan:
    start_epoch: Uint64
    largest_fraction: Uint32
    """The largest fraction applied in the span, per million."""


# Storage
SlashCount = StorageValue(NAME, "SlashCount", U64, 0)
"""Slashes ever reported; their ids are 0 … SlashCount − 1."""
Slash = StorageMap(NAME, "Slash", FixedUint(8), RecordCodec(SlashRecord), None)
Queue = StorageValue(NAME, "Queue", RecordList(QueuedSlash), ())
"""Every pending slash, ascending by (applyEpoch, id)."""
PendingCount = StorageMap(NAME, "PendingCount", ADDRESS, U64, 0)
Span = StorageMap(NAME, "Span", ADDRESS, RecordCodec(SlashSpan), None)

# Events
OffenceReported = EventDecl("OffenceReported(uint256 indexed id,uint8 kind,address indexed offender,address reporter,"
                            "uint64 applyEpoch)")
SlashCancelled = EventDecl("SlashCancelled(uint256 indexed id)")
Slashed = EventDecl("Slashed(uint256 indexed id,address indexed offender,uint256 amount)", in_abi=False)
"""Not emitted yet: slashes apply in a block hook, which has no receipt (see the module docstring)."""

# Errors
InvalidOffence = ErrorDecl("InvalidOffence(uint8 kind)")
UnknownSlash = ErrorDecl("UnknownSlash(uint256 id)")
NothingAtStake = ErrorDecl("NothingAtStake(address offender)")


def get_slash(state: State, slash_id: int) -> SlashRecord:
    """The record, or the call fails with UnknownSlash."""
    record = Slash.get(state, slash_id) if slash_id < SlashCount.get(state) else None
    if record is None:
        fail(UnknownSlash, slash_id)
    return record


def get_fraction(state: State, kind: int) -> int:
    if kind not in KINDS:
        fail(InvalidOffence, kind)
    return SlashFraction[kind].get(state)


def _set_pending_count(state: State, who: bytes, delta: int) -> None:
    PendingCount.set(state, who, PendingCount.get(state, who) + delta)


# The offence API other modules call.

def report_offence(state: State, kind: int, offender: bytes, reporter: bytes, beneficiary: bytes | None = None,
                   emit=None) -> int:
    """Record an offence; its slash is pending until epoch + DeferralEpochs. Returns the slash id.

    `beneficiary` receives the slash less the reporter's share (a task's reward pool; None: the
    treasury). `emit`, when given (a call's `env.emit`), receives the OffenceReported log. Fails
    InvalidOffence for an unknown kind and NothingAtStake when nothing is at stake with `offender`
    (a caller in a hook should check `staking.get_slashable` first).
    """
    fraction = min(get_fraction(state, kind), PER_MILLION)
    if sum(staking.get_slashable(state, offender)) == 0:
        fail(NothingAtStake, offender)
    epoch = randomness.EpochIndex.get(state)
    apply_epoch = epoch + DeferralEpochs.get(state)
    slash_id = SlashCount.get(state)
    record = SlashRecord(kind, offender, reporter, treasury.ADDRESS_ if beneficiary is None else beneficiary,
                         fraction, epoch, apply_epoch)
    Slash.set(state, slash_id, record)
    SlashCount.set(state, slash_id + 1)
    Queue.set(state, tuple(sorted(Queue.get(state) + (QueuedSlash(apply_epoch, slash_id),))))
    _set_pending_count(state, offender, 1)
    if emit is not None:
        emit(OffenceReported.to_log(ADDRESS_, slash_id, kind, offender, reporter, apply_epoch))
    return slash_id


def cancel_slash(state: State, slash_id: int, emit=None) -> None:
    """Drop a pending slash (a privileged origin's decision). Fails UnknownSlash unless it is pending."""
    record = get_slash(state, slash_id)
    if record.status != PENDING:
        fail(UnknownSlash, slash_id)
    Queue.set(state, tuple(entry for entry in Queue.get(state) if entry.slash_id != slash_id))
    Slash.set(state, slash_id, replace(record, status=CANCELLED))
    _set_pending_count(state, record.offender, -1)
    if emit is not None:
        emit(SlashCancelled.to_log(ADDRESS_, slash_id))


def compute_span_fraction(state: State, offender: bytes, fraction: int, epoch: int) -> tuple[int, SlashSpan]:
    """(fraction to apply now, the offender's span afterwards): the span rule of the module docstring."""
    span = Span.get(state, offender)
    if span is None or epoch >= span.start_epoch + SlashSpanEpochs.get(state):
        span = SlashSpan(epoch, 0)
    return max(0, fraction - span.largest_fraction), replace(span, largest_fraction=max(span.largest_fraction,
                                                                                          fraction))


def apply_slash(state: State, slash_id: int, epoch: int) -> SlashRecord:
    """Apply a due slash: take it through staking into this module's account, then pay it out."""
    record = get_slash(state, slash_id)
    applied_fraction, span = compute_span_fraction(state, record.offender, record.fraction, epoch)
    Span.set(state, record.offender, span)
    outcome = staking.slash(state, record.offender, applied_fraction, ADDRESS_)
    reporter_cut = 0 if record.reporter == record.offender else \
        outcome.total * ReporterShare.get(state) // PER_MILLION
    for dest, amount in ((record.reporter, reporter_cut), (record.beneficiary, outcome.total - reporter_cut)):
        if amount:
            balances.transfer(state, ADDRESS_, dest, amount)
    applied = replace(record, status=APPLIED, applied_fraction=applied_fraction, amount=outcome.total,
                      at_stake=outcome.at_stake)
    Slash.set(state, slash_id, applied)
    _set_pending_count(state, record.offender, -1)
    return applied


def on_initialize(state: State, env: BlockEnv) -> None:
    """Apply every pending slash due at or before the current epoch, in (applyEpoch, id) order."""
    queue = Queue.get(state)
    epoch = randomness.EpochIndex.get(state)
    if not queue or queue[0].apply_epoch > epoch:
        return
    due = [entry for entry in queue if entry.apply_epoch <= epoch]
    Queue.set(state, tuple(entry for entry in queue if entry.apply_epoch > epoch))
    for entry in due:
        apply_slash(state, entry.slash_id, epoch)


# Calls

def call_report_offence(state: State, env: CallEnv, kind: int, offender: bytes, reporter: bytes) -> tuple:
    """Root only (later: governance and proof-checking modules); the treasury is the beneficiary."""
    system.ensure_root(state, env.sender)
    return (report_offence(state, kind, offender, reporter, None, env.emit),)


def call_cancel_slash(state: State, env: CallEnv, slash_id: int) -> tuple:
    system.ensure_root(state, env.sender)
    cancel_slash(state, slash_id, env.emit)
    return ()


# Views

def view_slash_of(state: State, slash_id: int) -> tuple:
    r = get_slash(state, slash_id)
    return (r.kind, r.offender, r.reporter, r.beneficiary, r.fraction, r.apply_epoch, r.status, r.applied_fraction,
            r.amount, r.at_stake)


def view_span_of(state: State, who: bytes) -> tuple:
    span = Span.get(state, who)
    return (0, 0) if span is None else (span.start_epoch, span.largest_fraction)


# Genesis and invariants

def genesis(state: State, config: dict) -> None:
    """config (all optional): slashFractions (list of 4 per-million values, by kind), deferralEpochs,
    slashSpanEpochs, reporterShare (per million)."""
    fractions = [int(f) for f in config.get("slashFractions", [item.default for item in SlashFraction])]
    share = int(config.get("reporterShare", ReporterShare.default))
    span = int(config.get("slashSpanEpochs", SlashSpanEpochs.default))
    if len(fractions) != len(KINDS) or not all(0 <= f <= PER_MILLION for f in fractions + [share]) or span < 1:
        raise ValueError("slashing: need 4 slashFractions and a reporterShare in 0 … 1,000,000, "
                         "slashSpanEpochs ≥ 1")
    for item, fraction in zip(SlashFraction, fractions):
        item.set(state, fraction)
    ReporterShare.set(state, share)
    SlashSpanEpochs.set(state, span)
    DeferralEpochs.set(state, int(config.get("deferralEpochs", DeferralEpochs.default)))


def check_invariants(state: State) -> None:
    assert all(item.get(state) <= PER_MILLION for item in SlashFraction) and ReporterShare.get(state) <= PER_MILLION
    assert SlashSpanEpochs.get(state) >= 1
    count = SlashCount.get(state)
    records = dict(Slash.items(state))
    assert set(records) == set(range(count)), "slash ids are 0 … SlashCount − 1"
    pending: dict[bytes, int] = {}
    for slash_id, r in records.items():
        assert r.kind in KINDS and r.fraction <= PER_MILLION and r.status in (PENDING, CANCELLED, APPLIED)
        assert r.report_epoch <= r.apply_epoch
        assert r.applied_fraction <= r.fraction, "a span never makes a slash larger than reported"
        assert r.amount <= r.at_stake * r.applied_fraction // PER_MILLION, "no slash takes more than was at stake"
        if r.status == PENDING:
            pending[r.offender] = pending.get(r.offender, 0) + 1
        else:
            assert r.status == APPLIED or (r.applied_fraction, r.amount, r.at_stake) == (0, 0, 0)
    queue = Queue.get(state)
    assert list(queue) == sorted(set(queue)), "the queue ascends, without repeats"
    assert sorted(e.slash_id for e in queue) == sorted(i for i, r in records.items() if r.status == PENDING)
    assert all(records[e.slash_id].apply_epoch == e.apply_epoch for e in queue)
    assert dict(PendingCount.items(state)) == pending, "PendingCount counts each offender's pending slashes"
    for who, span in Span.items(state):
        assert span.largest_fraction <= PER_MILLION


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    raises=(system.NotRoot,),
    calls=(
        CallDecl("reportOffence(uint8 kind,address offender,address reporter)", call_report_offence, weight=30_000,
                 returns=("uint256",)),
        CallDecl("cancelSlash(uint256 id)", call_cancel_slash, weight=20_000),
    ),
    views=(
        ViewDecl("slashOf(uint256 id)", view_slash_of,
                 ("uint8", "address", "address", "address", "uint32", "uint64", "uint8", "uint32", "uint256",
                  "uint256")),
        ViewDecl("slashCount()", lambda state: (SlashCount.get(state),), ("uint256",)),
        ViewDecl("pendingSlashesOf(address offender)", lambda state, who: (PendingCount.get(state, who),),
                 ("uint256",)),
        ViewDecl("slashFraction(uint8 kind)", lambda state, kind: (get_fraction(state, kind),), ("uint32",)),
        ViewDecl("slashSpanOf(address offender)", view_span_of, ("uint64", "uint32")),
        ViewDecl("deferralEpochs()", lambda state: (DeferralEpochs.get(state),), ("uint64",)),
    ),
    parameters={**{item.name: Parameter(item, 0, PER_MILLION) for item in SlashFraction},
                "DeferralEpochs": Parameter(DeferralEpochs, 1, 1_000),
                "SlashSpanEpochs": Parameter(SlashSpanEpochs, 1, 10_000),
                "ReporterShare": Parameter(ReporterShare, 0, PER_MILLION)},
    authorize=system.ensure_root,
    on_initialize=on_initialize,
    genesis=genesis,
    check_invariants=check_invariants,
)
