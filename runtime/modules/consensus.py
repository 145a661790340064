"""consensus: BABE-style slot claims over a stake-weighted authority set, and equivocation proofs.

Authorities change only at epoch boundaries. At the first block of a new epoch (after
randomness has rotated `EpochIndex`), the set elected one epoch ago takes over and a new
next set is elected from staking: validators by own + delegated stake. So a stake change
reaches block production one epoch after the epoch in which it was made, and every author
of an epoch is known before the epoch starts (as the epoch's randomness is).

A block at `slot` of epoch e is checked against the set of e (read from its parent's
state: `Authorities` if e is the current epoch, else `NextAuthorities`, as randomness picks
its randomness). Its author may claim the slot

- as **primary** when its VRF output (over randomness.vrf_input) is below
  `2^128 · (1 − (1 − c)^(w/T))`, w its weight and T the set's total: a share-θ author wins
  a slot with probability 1 − (1 − c)^θ, so splitting stake over keys gains nothing;
- as **secondary** when it is the slot's round-robin author
  `set[keccak256(R ‖ u64(slot)) mod n]`, so no slot needs to stay empty.

Signing two headers for one slot, or two different votes in one finality round, is an
equivocation: anyone may prove it with the two signed messages, and the offender is slashed
through the slashing module (kind EQUIVOCATION), the reporter taking the reporter's share.

Everything here is integer arithmetic: the threshold's logarithm and exponential are
series in 256-bit fixed point (see `compute_primary_threshold`).
"""

from dataclasses import dataclass
from functools import lru_cache

import rlp

from .. import finality
from ..blocks import Header, is_sealed_by_author
from ..crypto import ecvrf, keccak256, private_key_to_address, rlp_encode
from ..exceptions import InvalidBlock
from ..module import BlockEnv, CallDecl, CallEnv, ErrorDecl, EventDecl, Module, Parameter, ViewDecl, fail, module_address
from ..state import State
from ..storage import U64, Codec, FixedUint, RawBytes, StorageMap, StorageValue, Uint, encode_rlp_uint
from . import randomness, slashing, staking, system

NAME = "consensus"
ADDRESS_ = module_address(9)
PER_MILLION = 1_000_000
SET_HISTORY = 16
"""Authority sets kept by id (the current one and 15 before it): a vote equivocation in a recent set stays provable."""
BLOCK, VOTE = 0, 1
"""Equivocation kinds in the EquivocationReported event."""

Authority = tuple[bytes, int]
"""(address, weight); a set is a tuple of them, weight descending then address ascending."""


@dataclass(frozen=True)
class AuthorityList(Codec):
    """[(address, weight), …] as `rlp([[address, weight], …])`, weights minimal big-endian."""

    def encode(self, value: tuple[Authority, ...]) -> bytes:
        return rlp_encode([[address, encode_rlp_uint(weight)] for address, weight in value])

    def decode(self, data: bytes) -> tuple[Authority, ...]:
        return tuple((bytes(address), int.from_bytes(weight, "big")) for address, weight in rlp.decode(data))


AUTHORITIES = AuthorityList()

# Parameters
SlotDuration = StorageValue(NAME, "SlotDuration", U64, 1_000)
"""Milliseconds per slot. The node reads it to map time to slots; the runtime only stores it."""
PrimaryProbability = StorageValue(NAME, "PrimaryProbability", Uint(32), 250_000)
"""c, parts per million: the chance that somebody wins a primary claim to a slot (BABE's 1/4)."""
MaxAuthorities = StorageValue(NAME, "MaxAuthorities", Uint(32), 100)
ElectFromStake = StorageValue(NAME, "ElectFromStake", FixedUint(1), 1)
"""1: staking elects the next set each epoch. 0: the genesis set stays (a dev chain, whose one
authority key must keep authoring while its users bond validators for FL voting)."""

# Storage
Authorities = StorageValue(NAME, "Authorities", AUTHORITIES, ())
NextAuthorities = StorageValue(NAME, "NextAuthorities", AUTHORITIES, ())
SetId = StorageValue(NAME, "SetId", U64, 0)
"""+1 whenever the current set changes (addresses or weights): finality votes name it."""
AuthoritySetOf = StorageMap(NAME, "AuthoritySetOf", U64, AUTHORITIES, None)
"""setId → set, for the last SET_HISTORY ids."""
RotationEpoch = StorageValue(NAME, "RotationEpoch", U64, 0)
"""The epoch of the last rotation: a new epoch rotates once, however many epochs were skipped."""
BlockEquivocation = StorageMap(NAME, "BlockEquivocation", RawBytes(), U64, None)
"""author ‖ u64(slot) → slash id of its reported equivocation."""
VoteEquivocation = StorageMap(NAME, "VoteEquivocation", RawBytes(), U64, None)
"""voter ‖ u64(setId) ‖ u64(round) ‖ u8(stage) → slash id of its reported equivocation."""

# Events
EquivocationReported = EventDecl("EquivocationReported(address indexed offender,uint8 kind,uint64 slotOrRound,"
                                 "uint256 slashId)")

# Errors
MalformedHeader = ErrorDecl("MalformedHeader(uint8 index)")
MalformedVote = ErrorDecl("MalformedVote(uint8 index)")
DifferentSlots = ErrorDecl("DifferentSlots(uint64 slot1,uint64 slot2)")
DifferentAuthors = ErrorDecl("DifferentAuthors(address author1,address author2)")
SameHeader = ErrorDecl("SameHeader(bytes32 hash)")
InvalidSeal = ErrorDecl("InvalidSeal(uint8 index)")
DifferentRounds = ErrorDecl("DifferentRounds(uint64 setId1,uint64 round1,uint8 stage1,uint64 setId2,uint64 round2,"
                            "uint8 stage2)")
SameVoteTarget = ErrorDecl("SameVoteTarget(bytes32 targetHash,uint64 targetNumber)")
InvalidVoteSignature = ErrorDecl("InvalidVoteSignature(uint8 index)")
DifferentVoters = ErrorDecl("DifferentVoters(address voter1,address voter2)")
UnknownAuthoritySet = ErrorDecl("UnknownAuthoritySet(uint64 setId)")
NotAVoter = ErrorDecl("NotAVoter(address voter,uint64 setId)")
BlockEquivocationAlreadyReported = ErrorDecl("BlockEquivocationAlreadyReported(address author,uint64 slot)")
VoteEquivocationAlreadyReported = ErrorDecl("VoteEquivocationAlreadyReported(address voter,uint64 setId,"
                                            "uint64 round,uint8 stage)")


u64 = randomness.u64


# The primary threshold, in integer fixed point.

FRACTION_BITS = 256
ONE = 1 << FRACTION_BITS
THRESHOLD_BITS = 128
ERROR_BITS = 200
"""The fixed-point p̃ below is within 2^-200 of p (the analysis finds < 2^-241: 41 bits spare)."""
_MARGIN = 1 << (FRACTION_BITS - ERROR_BITS)


def _atanh(numerator: int, denominator: int) -> int:
    """ONE · atanh(n/d) for 0 ≤ n/d ≤ 1/3: Σ z^(2i+1)/(2i+1), every power and quotient floored.

    Each floor loses < 1 unit of 2^-256, and the powers' floors do not compound (z² < 1/9), so
    the sum is below the true value by less than 2 units per term (≤ 90 terms).
    """
    power = ONE * numerator // denominator
    square_n, square_d = numerator * numerator, denominator * denominator
    total, odd = 0, 1
    while power:
        total += power // odd
        power = power * square_n // square_d
        odd += 2
    return total


LN2 = 2 * _atanh(1, 3)
"""ln 2 = 2·atanh(1/3), to within 2^-247 (82 terms, under 2 units each, doubled)."""


@lru_cache(maxsize=64)
def _neg_ln_one_minus(per_million: int) -> int:
    """ONE · (−ln(1 − c)), c = per_million / 10⁶, 0 < c < 1.

    Range reduction: y = 1 − c = a/b; m = y·2^k ∈ [1/√2, √2) for the least such k ≥ 0
    (k ≤ 20 since y ≥ 10⁻⁶); ln m = 2·atanh((m − 1)/(m + 1)) with |z| ≤ 0.172; −ln y = k·ln 2 − ln m.
    """
    a, b = PER_MILLION - per_million, PER_MILLION
    k = 0
    while 2 * (a << k) ** 2 < b * b:
        k += 1
    top, bottom = (a << k) - b, (a << k) + b
    ln_m = 2 * _atanh(top, bottom) if top >= 0 else -2 * _atanh(-top, bottom)
    return k * LN2 - ln_m


def _exp_neg(r: int) -> int:
    """ONE · e^(−r/ONE) for 0 ≤ r < ONE·ln 2: Taylor series Σ (−x)^i / i!, each term floored.

    The terms fall below one unit after ~60 steps; the floors cost < 1 unit per term.
    """
    term, total, index = ONE, ONE, 1
    while term:
        term = term * r // (ONE * index)
        total += -term if index % 2 else term
        index += 1
    return total


@lru_cache(maxsize=4096)
def compute_primary_threshold(per_million: int, weight: int, total: int) -> int:
    """⌊2^128 · (1 − (1 − c)^(w/T))⌋, rounded down: a VRF output (first 16 bytes) below it wins.

    Exact for w = T (then p = c: ⌊2^128·c⌋). Otherwise, with 256 fraction bits:
        X = ⌊w · (−ln(1 − c)) / T⌋                                  (floor)
        X = k·ln 2 + r, 0 ≤ r < ln 2;   E = ⌊e^(−r) / 2^k⌋           ((1 − c)^θ = e^(−X))
        p̃ = 1 − E,  |p̃ − p| < 2^-200
        threshold = ⌊2^128 · (p̃ − 2^-200)⌋, and 0 if that is negative
    so the threshold never exceeds the exact ⌊2^128·p⌋, and is one less only when 2^128·p lies
    within 2^-71 above an integer. Positive whenever w/T ≥ 2^-100 (any stake below the supply cap).
    Memoised: a pure function, asked the same question for every block of an epoch.
    """
    if not (0 < per_million < PER_MILLION) or not (0 < weight <= total):
        raise ValueError("need 0 < c < 10⁶ parts per million and 0 < weight ≤ total")
    if weight == total:
        return (per_million << THRESHOLD_BITS) // PER_MILLION
    x = weight * _neg_ln_one_minus(per_million) // total
    halvings, r = divmod(x, LN2)
    p = ONE - (_exp_neg(r) >> halvings)
    return max(0, p - _MARGIN) >> (FRACTION_BITS - THRESHOLD_BITS)


# Authority sets

def get_epoch_authorities(state: State, slot: int) -> tuple[Authority, ...]:
    """The set allowed to author `slot`, from its parent's state (before any rotation): the current
    set for the current epoch, the next set for any later one. InvalidBlock for an earlier epoch."""
    epoch, current = randomness.compute_epoch(state, slot), randomness.EpochIndex.get(state)
    if epoch < current:
        raise InvalidBlock("slot belongs to an epoch before the current one")
    return Authorities.get(state) if epoch == current else NextAuthorities.get(state)


def get_voter_set(state: State) -> tuple[int, dict[bytes, int]]:
    """(SetId, {address: weight}) of the current set: who votes for finality, and with what weight."""
    return SetId.get(state), dict(Authorities.get(state))


def get_authority_set(state: State, set_id: int) -> dict[bytes, int] | None:
    """A recent set by id ({address: weight}), or None when it is unknown or no longer kept."""
    members = AuthoritySetOf.get(state, set_id)
    return None if members is None else dict(members)


def get_slot_duration(state: State) -> int:
    """Milliseconds per slot."""
    return SlotDuration.get(state)


def compute_secondary_author(state: State, slot: int, authorities: tuple[Authority, ...]) -> bytes:
    """The slot's round-robin author: set[keccak256(R ‖ u64(slot)) mod n], R the slot epoch's randomness."""
    seed = randomness.get_epoch_randomness(state, randomness.compute_epoch(state, slot))
    index = int.from_bytes(keccak256(seed + u64(slot)), "big") % len(authorities)
    return authorities[index][0]


def is_primary(state: State, authorities: tuple[Authority, ...], author: bytes, vrf_output: bytes) -> bool:
    weight, total = dict(authorities)[author], sum(w for _, w in authorities)
    threshold = compute_primary_threshold(PrimaryProbability.get(state), weight, total)
    return int.from_bytes(vrf_output[:16], "big") < threshold


def check_slot_claim(state: State, slot: int, author: bytes, vrf_output: bytes) -> None:
    """Header rule: `author` (with a verified `vrf_output`) may author `slot`, as primary or secondary."""
    authorities = get_epoch_authorities(state, slot)
    if author not in dict(authorities):
        epoch = randomness.compute_epoch(state, slot)
        raise InvalidBlock(f"author 0x{author.hex()} is not an authority of epoch {epoch}")
    if is_primary(state, authorities, author, vrf_output):
        return
    secondary = compute_secondary_author(state, slot, authorities)
    if secondary != author:
        raise InvalidBlock(f"slot {slot}: the VRF output is not below the author's primary threshold, and the "
                           f"secondary author is 0x{secondary.hex()}, not 0x{author.hex()}")


@dataclass(frozen=True)
class SlotClaim:
    """An authority's right to author a slot, with the VRF output and proof its header carries."""

    slot: int
    is_primary: bool
    vrf_output: bytes
    vrf_proof: bytes


def compute_slot_claim(state: State, slot: int, author_secret: bytes) -> SlotClaim | None:
    """The claim the key may make on `slot` on top of the state (the parent's), or None if it may not author it."""
    author = private_key_to_address(author_secret)
    try:
        authorities = get_epoch_authorities(state, slot)
    except InvalidBlock:
        return None
    if author not in dict(authorities):
        return None
    proof = ecvrf.prove(author_secret, randomness.compute_vrf_input(state, slot))
    output = ecvrf.proof_to_hash(proof)
    if is_primary(state, authorities, author, output):
        return SlotClaim(slot, True, output, proof)
    if compute_secondary_author(state, slot, authorities) == author:
        return SlotClaim(slot, False, output, proof)
    return None


def canonical_order(authorities) -> tuple[Authority, ...]:
    """Weight descending, then address ascending: the order the secondary index counts in."""
    return tuple(sorted(authorities, key=lambda a: (-a[1], a[0])))


def elect(state: State) -> tuple[Authority, ...] | None:
    """Validators (staking role 1) weighted by own + delegated stake, at least MinValidatorStake, the
    MaxAuthorities heaviest; None when nobody qualifies or election is off (the next set then stays)."""
    if not ElectFromStake.get(state):
        return None
    minimum = max(1, staking.MinValidatorStake.get(state))
    candidates = []
    for who, role in staking.Role.items(state):
        if role == staking.VALIDATOR:
            weight = sum(staking.get_exposure(state, who))
            if weight >= minimum:
                candidates.append((who, weight))
    return canonical_order(candidates)[:MaxAuthorities.get(state)] or None


def _record_set(state: State, set_id: int, authorities: tuple[Authority, ...]) -> None:
    SetId.set(state, set_id)
    AuthoritySetOf.set(state, set_id, authorities)
    if set_id >= SET_HISTORY:
        AuthoritySetOf.remove(state, set_id - SET_HISTORY)


def on_initialize(state: State, env: BlockEnv) -> None:
    """At the first block of a new epoch (randomness has just set EpochIndex): rotate once."""
    epoch = randomness.EpochIndex.get(state)
    if epoch <= RotationEpoch.get(state):
        return
    RotationEpoch.set(state, epoch)
    previous, current = Authorities.get(state), NextAuthorities.get(state)
    Authorities.set(state, current)
    elected = elect(state)
    if elected is not None:
        NextAuthorities.set(state, elected)
    if current != previous:
        _record_set(state, SetId.get(state) + 1, current)


# Equivocation reports

def _decode_header(data: bytes, index: int) -> Header:
    try:
        return Header.decode(bytes(data))
    except InvalidBlock:
        fail(MalformedHeader, index)


def _check_seal(state: State, header: Header, index: int) -> None:
    if not is_sealed_by_author(header, system.ChainId.get(state)):
        fail(InvalidSeal, index)


def _report(state: State, env: CallEnv, offender: bytes, kind: int, slot_or_round: int) -> int:
    slash_id = slashing.report_offence(state, slashing.EQUIVOCATION, offender, env.sender, emit=env.emit)
    env.emit(EquivocationReported.to_log(ADDRESS_, offender, kind, slot_or_round, slash_id))
    return slash_id


def call_report_block_equivocation(state: State, env: CallEnv, header1: bytes, header2: bytes) -> tuple:
    """Two different headers for one slot, both sealed by their author: slash the author once per slot."""
    first, second = _decode_header(header1, 1), _decode_header(header2, 2)
    if first.slot != second.slot:
        fail(DifferentSlots, first.slot, second.slot)
    if first.author != second.author:
        fail(DifferentAuthors, first.author, second.author)
    if first.hash == second.hash:
        fail(SameHeader, first.hash)
    _check_seal(state, first, 1)
    _check_seal(state, second, 2)
    key = first.author + u64(first.slot)
    if BlockEquivocation.get(state, key) is not None:
        fail(BlockEquivocationAlreadyReported, first.author, first.slot)
    slash_id = _report(state, env, first.author, BLOCK, first.slot)
    BlockEquivocation.set(state, key, slash_id)
    return (slash_id,)


def _decode_vote(data: bytes, index: int) -> finality.SignedVote:
    try:
        return finality.SignedVote.decode(bytes(data))
    except finality.InvalidFinalityMessage:
        fail(MalformedVote, index)


def _refuse_votes(chain_id: int, first: finality.SignedVote, second: finality.SignedVote) -> None:
    """Why `is_equivocation` found no equivocation in the two votes, as the call's error."""
    if (first.set_id, first.round, first.stage) != (second.set_id, second.round, second.stage):
        fail(DifferentRounds, first.set_id, first.round, first.stage, second.set_id, second.round, second.stage)
    if (first.target_hash, first.target_number) == (second.target_hash, second.target_number):
        fail(SameVoteTarget, first.target_hash, first.target_number)
    voters = first.voter(chain_id), second.voter(chain_id)
    for index, voter in enumerate(voters, start=1):
        if voter is None:
            fail(InvalidVoteSignature, index)
    fail(DifferentVoters, *voters)


def call_report_vote_equivocation(state: State, env: CallEnv, vote1: bytes, vote2: bytes) -> tuple:
    """Two votes for different blocks in one (set, round, stage), signed by one voter of that set."""
    first, second = _decode_vote(vote1, 1), _decode_vote(vote2, 2)
    chain_id = system.ChainId.get(state)
    voter = finality.is_equivocation(chain_id, first, second)
    if voter is None:
        _refuse_votes(chain_id, first, second)
    members = get_authority_set(state, first.set_id)
    if members is None:
        fail(UnknownAuthoritySet, first.set_id)
    if voter not in members:
        fail(NotAVoter, voter, first.set_id)
    key = voter + u64(first.set_id) + u64(first.round) + bytes((first.stage,))
    if VoteEquivocation.get(state, key) is not None:
        fail(VoteEquivocationAlreadyReported, voter, first.set_id, first.round, first.stage)
    slash_id = _report(state, env, voter, VOTE, first.round)
    VoteEquivocation.set(state, key, slash_id)
    return (slash_id,)


# Views

def _split(authorities: tuple[Authority, ...]) -> tuple:
    return [a for a, _ in authorities], [w for _, w in authorities]


def view_authority_set(state: State, set_id: int) -> tuple:
    members = AuthoritySetOf.get(state, set_id)
    if members is None:
        fail(UnknownAuthoritySet, set_id)
    return _split(members)


def view_block_reported(state: State, author: bytes, slot: int) -> tuple:
    slash_id = BlockEquivocation.get(state, author + u64(slot))
    return (slash_id is not None, slash_id or 0)


def view_vote_reported(state: State, voter: bytes, set_id: int, round_: int, stage: int) -> tuple:
    slash_id = VoteEquivocation.get(state, voter + u64(set_id) + u64(round_) + bytes((stage,)))
    return (slash_id is not None, slash_id or 0)


# Genesis and invariants

def parse_authority(entry) -> Authority:
    """A hex address (weight 1) or {"address": hex, "weight": decimal string or int}."""
    if isinstance(entry, str):
        return system.parse_address(entry), 1
    weight = int(entry.get("weight", 1))
    if weight <= 0:
        raise ValueError(f"authority {entry['address']} needs a positive weight")
    return system.parse_address(entry["address"]), weight


def genesis(state: State, config: dict) -> None:
    """config: authorities (hex addresses or {address, weight}, at least one), slotDuration (ms),
    primaryProbability (per million, 1 … 999,999), maxAuthorities, electFromStake (bool, default true)."""
    authorities = canonical_order(parse_authority(entry) for entry in config.get("authorities", ()))
    slot_duration = int(config.get("slotDuration", SlotDuration.default))
    probability = int(config.get("primaryProbability", PrimaryProbability.default))
    maximum = int(config.get("maxAuthorities", MaxAuthorities.default))
    if not authorities or len({a for a, _ in authorities}) != len(authorities) or len(authorities) > maximum:
        raise ValueError("consensus: genesis needs 1 … maxAuthorities distinct authorities")
    if slot_duration <= 0 or not (0 < probability < PER_MILLION):
        raise ValueError("consensus: slotDuration > 0 and primaryProbability in 1 … 999,999 per million")
    SlotDuration.set(state, slot_duration)
    PrimaryProbability.set(state, probability)
    MaxAuthorities.set(state, maximum)
    ElectFromStake.set(state, int(bool(config.get("electFromStake", True))))
    Authorities.set(state, authorities)
    NextAuthorities.set(state, authorities)
    _record_set(state, 0, authorities)


def _check_set(authorities: tuple[Authority, ...], maximum: int) -> None:
    assert 0 < len(authorities) <= maximum, "a set has 1 … MaxAuthorities members"
    assert all(weight > 0 and len(address) == 20 for address, weight in authorities), "positive weights"
    assert len({a for a, _ in authorities}) == len(authorities), "no address twice"
    assert canonical_order(authorities) == authorities, "weight descending, then address ascending"


def check_invariants(state: State) -> None:
    assert 0 < PrimaryProbability.get(state) < PER_MILLION and SlotDuration.get(state) > 0
    maximum = MaxAuthorities.get(state)
    _check_set(Authorities.get(state), maximum)
    _check_set(NextAuthorities.get(state), maximum)
    set_id = SetId.get(state)
    history = dict(AuthoritySetOf.items(state))
    assert sorted(history) == list(range(max(0, set_id - SET_HISTORY + 1), set_id + 1)), "the last 16 sets, by id"
    assert history[set_id] == Authorities.get(state), "the current set is recorded under SetId"
    for members in history.values():
        _check_set(members, max(maximum, len(members)))
    assert RotationEpoch.get(state) == randomness.EpochIndex.get(state), "every epoch that had a block rotated"
    for table in (BlockEquivocation, VoteEquivocation):
        assert all(slash_id < slashing.SlashCount.get(state) for _, slash_id in table.items(state))


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    raises=(slashing.NothingAtStake, system.NotRoot),
    calls=(
        # Two header decodes and seal recoveries (3,000 each, as ecrecover) on top of a slashing report.
        CallDecl("reportBlockEquivocation(bytes header1,bytes header2)", call_report_block_equivocation,
                 weight=45_000, returns=("uint256",)),
        CallDecl("reportVoteEquivocation(bytes vote1,bytes vote2)", call_report_vote_equivocation,
                 weight=45_000, returns=("uint256",)),
    ),
    views=(
        ViewDecl("authorities()", lambda state: _split(Authorities.get(state)), ("address[]", "uint256[]")),
        ViewDecl("nextAuthorities()", lambda state: _split(NextAuthorities.get(state)), ("address[]", "uint256[]")),
        ViewDecl("authoritySet(uint64 setId)", view_authority_set, ("address[]", "uint256[]")),
        ViewDecl("setId()", lambda state: (SetId.get(state),), ("uint64",)),
        ViewDecl("slotDuration()", lambda state: (SlotDuration.get(state),), ("uint64",)),
        ViewDecl("primaryProbability()", lambda state: (PrimaryProbability.get(state),), ("uint32",)),
        ViewDecl("isBlockEquivocationReported(address author,uint64 slot)", view_block_reported,
                 ("bool", "uint256")),
        ViewDecl("isVoteEquivocationReported(address voter,uint64 setId,uint64 round,uint8 stage)",
                 view_vote_reported, ("bool", "uint256")),
    ),
    parameters={"SlotDuration": Parameter(SlotDuration),
                "PrimaryProbability": Parameter(PrimaryProbability, 1, PER_MILLION - 1),
                "MaxAuthorities": Parameter(MaxAuthorities, 1, 1_000), "ElectFromStake": Parameter(ElectFromStake, 0, 1)},
    authorize=system.ensure_root,
    on_initialize=on_initialize,
    genesis=genesis,
    check_invariants=check_invariants,
)
