"""consensus: the primary threshold against exact arithmetic, authority rotation under random stake,
slot claims as header rules, and equivocation reports verified, deduplicated and slashed."""

import copy
from dataclasses import replace
from decimal import Decimal, localcontext

import pytest
from eth_abi import decode as abi_decode
from hypothesis import given, settings
from hypothesis import strategies as st

from genesis.builder import ChainSpecError, build_genesis
from runtime import finality
from runtime.blocks import Block
from runtime.exceptions import DispatchError, InvalidBlock
from runtime.executive import apply_block, build_block
from runtime.module import CallEnv
from runtime.modules import balances, consensus, randomness, slashing, staking, system
from runtime.state import MemoryBackend, State
from runtime.storage import compute_prefix
from runtime.transactions import decode_transaction

from .harness import (ACCOUNTS, AUTHORITY, CHAIN_ID, LOCAL_VALIDATORS, SPEC, VALIDATOR_KEYS, MemoryChain, local_spec,
                      module_call, seal, signed_header, signed_vote)

UNIT = balances.UNIT
TWO_128 = 2**128
VALIDATORS = LOCAL_VALIDATORS
STAKE = 10_000 * UNIT
KEYS = VALIDATOR_KEYS
REPORTER = 5
OUTSIDER = 6
"""Funded but neither bonded nor an authority."""


def hex_address(i: int) -> str:
    return "0x" + ACCOUNTS[i].address.hex()


def address(i: int) -> bytes:
    return ACCOUNTS[i].address


# The primary threshold

def exact_threshold(per_million: int, weight: int, total: int) -> Decimal:
    """2^128 · (1 − (1 − c)^(w/T)) in 80-digit decimal arithmetic."""
    with localcontext() as context:
        context.prec = 80
        p = 1 - (1 - Decimal(per_million) / Decimal(10**6)) ** (Decimal(weight) / Decimal(total))
        return p * Decimal(TWO_128)


probabilities = st.one_of(st.integers(1, 999_999), st.sampled_from([1, 2, 250_000, 500_000, 999_998, 999_999]))
totals = st.one_of(st.integers(1, 1_000), st.integers(1, 2**100))


@settings(max_examples=400)
@given(probabilities, totals, st.data())
def test_threshold_agrees_with_80_digit_decimal_and_rounds_down(per_million, total, data):
    weight = data.draw(st.integers(1, total))
    got = consensus.compute_primary_threshold(per_million, weight, total)
    exact = exact_threshold(per_million, weight, total)
    floor = int(exact)
    assert got <= floor, "never above the exact threshold"
    assert got == floor or (got == floor - 1 and exact - floor < Decimal(2) ** -60), \
        "one below only when the exact value sits just above an integer"


@settings(max_examples=300)
@given(probabilities, totals, st.data())
def test_threshold_is_monotone_in_weight_and_at_most_c(per_million, total, data):
    low = data.draw(st.integers(1, total))
    high = data.draw(st.one_of(st.integers(low, total), st.just(min(low + 1, total))))
    bound = per_million * TWO_128 // 10**6
    thresholds = [consensus.compute_primary_threshold(per_million, w, total) for w in (low, high)]
    assert thresholds[0] <= thresholds[1] <= bound


@settings(max_examples=200)
@given(probabilities, st.integers(1, 2**60), st.integers(0, 100))
def test_threshold_is_positive_down_to_a_share_of_2_to_the_minus_100(per_million, weight, log_share):
    total = weight << log_share
    assert consensus.compute_primary_threshold(per_million, weight, total) > 0


@given(probabilities)
def test_a_sole_authority_wins_exactly_c(per_million):
    assert consensus.compute_primary_threshold(per_million, 7, 7) == per_million * TWO_128 // 10**6


@pytest.mark.parametrize("arguments", [(0, 1, 1), (10**6, 1, 1), (250_000, 0, 1), (250_000, 2, 1)])
def test_threshold_refuses_arguments_outside_its_domain(arguments):
    with pytest.raises(ValueError):
        consensus.compute_primary_threshold(*arguments)


def test_ln2_constant():
    with localcontext() as context:
        context.prec = 90
        assert abs(Decimal(consensus.LN2) / Decimal(2) ** 256 - Decimal(2).ln()) < Decimal(2) ** -247


# A dev chain: one authority, every slot

def test_the_dev_authority_may_author_every_slot_about_a_quarter_as_primary():
    chain = MemoryChain()
    state = chain.state()
    claims = [consensus.compute_slot_claim(state, slot, AUTHORITY.private_key) for slot in range(1, 401)]
    assert all(claim is not None for claim in claims)
    primaries = sum(claim.is_primary for claim in claims)
    assert 60 <= primaries <= 140, f"c = 1/4 of 400 slots, got {primaries}"
    assert consensus.compute_slot_claim(state, 5, ACCOUNTS[0].private_key) is None, "not an authority"


def test_dev_chain_blocks_keep_importing_across_epochs():
    chain = MemoryChain()
    for slot in (1, 2, 99, 100, 101, 450, 451):
        chain.produce([], [AUTHORITY.private_key], slot=slot)
        assert chain.head.slot == slot
    state = chain.state()
    assert consensus.get_voter_set(state) == (0, {AUTHORITY.address: 1})
    assert consensus.RotationEpoch.get(state) == 4
    chain.check_invariants()


# Header rules on a four-validator chain

def find(state, slots, predicate):
    """The first (slot, key index, claim) in `slots` × validators with predicate(key index, claim, slot)."""
    for slot in slots:
        for index, key in enumerate(KEYS):
            claim = consensus.compute_slot_claim(state, slot, key)
            if predicate(index, claim, slot):
                return slot, index, claim
    raise AssertionError("no such slot")


def forged_block(chain: MemoryChain, slot: int, key: bytes) -> Block:
    """A block at `slot` by `key`, built without asking whether the key may author it."""
    built, _ = build_block(chain.runtime, chain.backend, chain.trie(), chain.head, chain.template(slot=slot, key=key),
                           [])
    return Block(seal(built.block.header, key), built.block.transactions)


def secondary_of(state, slot) -> bytes:
    return consensus.compute_secondary_author(state, slot, consensus.get_epoch_authorities(state, slot))


def test_a_primary_claim_is_accepted_even_when_another_is_the_secondary_author():
    chain = MemoryChain(local_spec())
    state = chain.state()
    slot, index, claim = find(state, range(1, 200), lambda i, c, s: c is not None and c.is_primary
                              and secondary_of(state, s) != address(i))
    outcome, _ = chain.produce([], [KEYS[index]], slot=slot)
    assert outcome.block.header.author == address(index)
    assert int.from_bytes(outcome.block.header.vrf_output[:16], "big") < consensus.compute_primary_threshold(
        250_000, STAKE, VALIDATORS * STAKE)


def test_a_secondary_claim_is_accepted_for_the_slots_author():
    chain = MemoryChain(local_spec())
    state = chain.state()
    slot, index, claim = find(state, range(1, 200), lambda i, c, s: c is not None and not c.is_primary)
    assert secondary_of(state, slot) == address(index)
    outcome, _ = chain.produce([], [KEYS[index]], slot=slot)
    assert outcome.block.header.author == address(index)


def test_an_authority_without_a_claim_is_refused_and_nothing_changes():
    chain = MemoryChain(local_spec())
    state = chain.state()
    slot, index, _ = find(state, range(1, 200), lambda i, c, s: c is None)
    before = dict(chain.backend.items)
    with pytest.raises(InvalidBlock, match="not below the author's primary threshold, and the secondary author is"):
        chain.import_block(forged_block(chain, slot, KEYS[index]))
    assert chain.backend.items == before


def test_an_unknown_author_is_refused():
    chain = MemoryChain(local_spec())
    with pytest.raises(InvalidBlock, match="is not an authority of epoch 0"):
        chain.import_block(forged_block(chain, 1, ACCOUNTS[OUTSIDER].private_key))


def test_claims_and_header_validity_agree():
    """For each slot and key: a block imports exactly when compute_slot_claim gives a claim."""
    chain = MemoryChain(local_spec(epoch_length=5))
    keys = KEYS + [ACCOUNTS[OUTSIDER].private_key]
    kinds = set()
    for slot in range(1, 13):
        state = chain.state()
        for key in keys:
            claim = consensus.compute_slot_claim(state, slot, key)
            block = forged_block(chain, slot, key)
            if claim is None:
                with pytest.raises(InvalidBlock):
                    apply_block(chain.runtime, chain.backend, chain.trie(), chain.head, block)
            else:
                kinds.add(claim.is_primary)
                assert block.header.vrf_output == claim.vrf_output and block.header.vrf_proof == claim.vrf_proof
                apply_block(chain.runtime, chain.backend, chain.trie(), chain.head, block)
        # Move on with the slot's secondary author.
        chain.produce([], keys, slot=slot)
    assert kinds == {True, False}


def test_a_stake_change_reaches_block_production_one_epoch_later():
    chain = MemoryChain(local_spec(epoch_length=10))
    newcomer = ACCOUNTS[4]
    bond = module_call(4, 0, staking.MODULE, "bond", staking.VALIDATOR, value=2 * STAKE)
    chain.produce([decode_transaction(bond)], KEYS, slot=1)
    assert consensus.compute_slot_claim(chain.state(), 15, newcomer.private_key) is None
    chain.produce([], KEYS, slot=10)  # epoch 1: the newcomer is elected into the next set
    state = chain.state()
    assert consensus.NextAuthorities.get(state)[0] == (newcomer.address, 2 * STAKE)
    assert newcomer.address not in dict(consensus.Authorities.get(state)) and consensus.SetId.get(state) == 0
    assert all(consensus.compute_slot_claim(state, s, newcomer.private_key) is None for s in range(11, 20))
    assert any(consensus.compute_slot_claim(state, s, newcomer.private_key) for s in range(20, 40)), \
        "from the parent in epoch 1, slots of epoch 2 belong to the next set"
    chain.produce([], KEYS + [newcomer.private_key], slot=20)
    state = chain.state()
    voters = {newcomer.address: 2 * STAKE, **{address(i): STAKE for i in range(VALIDATORS)}}
    assert consensus.get_voter_set(state) == (1, voters)
    assert consensus.get_authority_set(state, 0) == {address(i): STAKE for i in range(VALIDATORS)}, "kept by id"
    chain.check_invariants()


# Rotation under random stake

def model_election(state: State) -> tuple:
    """spec/modules/consensus.md's elect(), written out again from staking's storage."""
    minimum = max(1, staking.MinValidatorStake.get(state))
    weighted = [(who, staking.Bonded.get(state, who) + staking.DelegatedTo.get(state, who))
                for who, role in staking.Role.items(state) if role == staking.VALIDATOR]
    eligible = sorted(((who, w) for who, w in weighted if w >= minimum), key=lambda a: (-a[1], a[0]))
    return tuple(eligible[:consensus.MaxAuthorities.get(state)])


stake_operations = st.tuples(
    st.integers(0, 6),
    st.sampled_from(["bond", "bondExtra", "unbond", "unbondAll"]),
    st.sampled_from([1_000 * UNIT, 3_000 * UNIT, 5_000 * UNIT, 12_000 * UNIT]),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.lists(stake_operations, max_size=3), st.integers(1, 14)), min_size=1, max_size=14))
def test_rotation_follows_the_rule_under_random_stake(blocks):
    chain = MemoryChain(local_spec(epoch_length=5, max_authorities=4))
    keys = [a.private_key for a in ACCOUNTS[:7]]
    for operations, gap in blocks:
        parent = chain.state()
        nonces: dict[int, int] = {}
        raws = []
        for sender, name, amount in operations:
            nonce = system.get_nonce(parent, address(sender)) + nonces.get(sender, 0)
            nonces[sender] = nonces.get(sender, 0) + 1
            bonded = staking.Bonded.get(parent, address(sender))
            call = {"bond": ("bond", (staking.VALIDATOR,), amount), "bondExtra": ("bondExtra", (), amount),
                    "unbond": ("unbond", (amount,), 0), "unbondAll": ("unbond", (max(bonded, 1),), 0)}[name]
            raws.append(module_call(sender, nonce, staking.MODULE, call[0], *call[1], value=call[2]))
        before = {item: item.get(parent) for item in (consensus.Authorities, consensus.NextAuthorities,
                                                       consensus.SetId)}
        elected = model_election(parent)
        epoch_before = randomness.EpochIndex.get(parent)
        outcome, _ = chain.produce([decode_transaction(r) for r in raws], keys, slot=chain.head.slot + gap)
        state = chain.state()
        authorities = consensus.Authorities.get(state)
        if randomness.EpochIndex.get(state) > epoch_before:
            changed = before[consensus.NextAuthorities] != before[consensus.Authorities]
            assert authorities == before[consensus.NextAuthorities]
            assert consensus.NextAuthorities.get(state) == (elected or before[consensus.NextAuthorities])
            assert consensus.SetId.get(state) == before[consensus.SetId] + changed
        else:
            assert all(item.get(state) == value for item, value in before.items())
        assert outcome.block.header.author in dict(authorities)
        assert consensus.get_voter_set(state) == (consensus.SetId.get(state), dict(authorities))
        chain.check_invariants()


# Equivocation reports

def block_evidence(kind: str, who: int, slot: int) -> tuple[bytes, bytes, object]:
    """(header1, header2, the error expected if it is not a fresh valid proof)."""
    first, second = signed_header(who, slot, 1), signed_header(who, slot, 2)
    if kind == "same":
        second, error = first, consensus.SameHeader
    elif kind == "tampered":
        second, error = replace(second, timestamp=99), consensus.InvalidSeal
    elif kind == "forged":
        second, error = signed_header((who + 1) % 7, slot, 2, author=who), consensus.InvalidSeal
    elif kind == "unsealed":
        first, error = first.with_seal(b""), consensus.InvalidSeal
    elif kind == "other_slot":
        second, error = signed_header(who, slot + 1, 2), consensus.DifferentSlots
    elif kind == "other_author":
        second, error = signed_header((who + 1) % 7, slot, 2), consensus.DifferentAuthors
    elif kind == "malformed":
        second, error = b"\xc0", consensus.MalformedHeader
    elif kind == "other_chain":  # the same key sealing on another chain is no evidence here
        second, error = signed_header(who, slot, 2, chain_id=CHAIN_ID + 1), consensus.InvalidSeal
    else:
        error = None
    encode = lambda h: h if isinstance(h, bytes) else h.encode()  # noqa: E731
    return encode(first), encode(second), error


def module_state(chain: MemoryChain) -> dict:
    prefixes = (compute_prefix(consensus.NAME), compute_prefix(slashing.NAME))
    return {k: v for k, v in chain.backend.items.items() if k[:16] in prefixes}


def send(chain: MemoryChain, *calls):
    """calls: (name, args) from the reporter, in one block; returns the applied transactions."""
    nonce = system.get_nonce(chain.state(), address(REPORTER))
    raws = [module_call(REPORTER, nonce + i, consensus.MODULE, name, *args, gas=300_000)
            for i, (name, args) in enumerate(calls)]
    outcome, rejected = chain.produce([decode_transaction(r) for r in raws], KEYS)
    assert not rejected, rejected
    chain.check_invariants()
    return outcome.applied


def slash_id_of(applied) -> int:
    assert applied.receipt.status == 1, applied.revert_data
    return abi_decode(["uint256"], applied.return_data)[0]


block_reports = st.tuples(
    st.sampled_from(["valid", "valid", "valid", "same", "tampered", "forged", "unsealed", "other_slot",
                     "other_author", "malformed", "other_chain"]),
    st.sampled_from([0, 1, 2, 3, OUTSIDER]),
    st.sampled_from([5, 6, 1_000]),
    st.booleans(),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(block_reports, min_size=1, max_size=4), min_size=1, max_size=4))
def test_block_equivocations_are_verified_deduplicated_and_slashed(batches):
    chain = MemoryChain(local_spec())
    reported: set[tuple[int, int]] = set()
    for batch in batches:
        count = slashing.SlashCount.get(chain.state())
        calls, expected = [], []
        for kind, who, slot, swap in batch:
            first, second, error = block_evidence(kind, who, slot)
            calls.append(("reportBlockEquivocation", (second, first) if swap else (first, second)))
            if error is None and who == OUTSIDER:
                error = slashing.NothingAtStake
            elif error is None and (who, slot) in reported:
                error = consensus.BlockEquivocationAlreadyReported
            elif error is None:
                reported.add((who, slot))
            expected.append(error)
        applied = send(chain, *calls)
        got = [None if a.receipt.status else a.revert_data[:4] for a in applied]
        assert got == [None if e is None else e.selector for e in expected]
        state = chain.state()
        new_ids = [slash_id_of(a) for a in applied if a.receipt.status]
        assert new_ids == list(range(count, count + len(new_ids)))
        for a, slash_id in zip([a for a in applied if a.receipt.status], new_ids):
            record = slashing.get_slash(state, slash_id)
            assert (record.kind, record.reporter) == (slashing.EQUIVOCATION, address(REPORTER))
            events = [log for log in a.receipt.logs if log.topics[0] == consensus.EquivocationReported.topic]
            assert [log.topics[1][12:] for log in events] == [record.offender]
    state = chain.state()
    for who, slot in reported:
        assert consensus.view_block_reported(state, address(who), slot)[0]


def test_a_block_equivocation_report_slashes_the_author_at_the_next_block():
    chain = MemoryChain(local_spec())
    first, second, _ = block_evidence("valid", 2, 7)
    (applied,) = send(chain, ("reportBlockEquivocation", (first, second)))
    slash_id = slash_id_of(applied)
    logs = {log.topics[0]: log for log in applied.receipt.logs}
    event = logs[consensus.EquivocationReported.topic]
    assert event.address == consensus.ADDRESS_ and event.topics[1][12:] == address(2)
    assert abi_decode(["uint8", "uint64", "uint256"], event.data) == (consensus.BLOCK, 7, slash_id)
    assert slashing.OffenceReported.topic in logs
    send(chain)
    record = slashing.get_slash(chain.state(), slash_id)
    assert (record.status, record.amount) == (slashing.APPLIED, STAKE // 10), "deferral 0: applied at the next block"
    assert consensus.view_block_reported(chain.state(), address(2), 7) == (True, slash_id)
    assert consensus.view_block_reported(chain.state(), address(2), 8) == (False, 0)


@pytest.mark.parametrize("kind", ["same", "tampered", "forged", "unsealed", "other_slot", "other_author", "other_chain",
                                  "malformed"])
def test_a_refused_block_report_changes_nothing(kind):
    chain = MemoryChain(local_spec())
    first, second, error = block_evidence(kind, 1, 9)
    before = module_state(chain)
    (applied,) = send(chain, ("reportBlockEquivocation", (first, second)))
    assert applied.receipt.status == 0 and applied.revert_data[:4] == error.selector
    assert module_state(chain) == before


def test_refusals_name_the_offending_header():
    chain = MemoryChain(local_spec())
    good, _, _ = block_evidence("valid", 1, 9)
    tampered = replace(signed_header(1, 9, 2), timestamp=99).encode()
    applied = send(chain, ("reportBlockEquivocation", (good, tampered)), ("reportBlockEquivocation", (tampered, good)),
                   ("reportBlockEquivocation", (b"\x01", good)))
    assert [a.revert_data for a in applied] == [consensus.InvalidSeal.encode(2), consensus.InvalidSeal.encode(1),
                                                consensus.MalformedHeader.encode(1)]


def vote_evidence(kind: str, who: int, round_: int, stage: int) -> tuple[bytes, bytes, object]:
    first, second = signed_vote(who, round_, stage, 1), signed_vote(who, round_, stage, 2)
    if kind == "same":
        second, error = first, consensus.SameVoteTarget
    elif kind == "other_round":
        second, error = signed_vote(who, round_ + 1, stage, 2), consensus.DifferentRounds
    elif kind == "other_stage":
        second, error = signed_vote(who, round_, 1 - stage, 2), consensus.DifferentRounds
    elif kind == "other_voter":
        second, error = signed_vote((who + 1) % 7, round_, stage, 2), consensus.DifferentVoters
    elif kind == "tampered":
        second, error = replace(second, target_number=3), consensus.DifferentVoters
    elif kind == "bad_signature":
        second, error = replace(second, signature=bytes(65)), consensus.InvalidVoteSignature
    elif kind == "other_chain":
        second, error = signed_vote(who, round_, stage, 2, chain_id=CHAIN_ID + 1), consensus.DifferentVoters
    elif kind == "unknown_set":
        first, second = signed_vote(who, round_, stage, 1, set_id=3), signed_vote(who, round_, stage, 2, set_id=3)
        error = consensus.UnknownAuthoritySet
    elif kind == "malformed":
        first, error = b"\x80", consensus.MalformedVote
    else:
        error = consensus.NotAVoter if who == OUTSIDER else None
    encode = lambda v: v if isinstance(v, bytes) else v.encode()  # noqa: E731
    return encode(first), encode(second), error


vote_reports = st.tuples(
    st.sampled_from(["valid", "valid", "valid", "same", "other_round", "other_stage", "other_voter", "tampered",
                     "bad_signature", "other_chain", "unknown_set", "malformed"]),
    st.sampled_from([0, 1, 2, 3, OUTSIDER]),
    st.sampled_from([1, 2]),
    st.sampled_from(finality.STAGES),
    st.booleans(),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(vote_reports, min_size=1, max_size=4), min_size=1, max_size=4))
def test_vote_equivocations_are_verified_deduplicated_and_slashed(batches):
    chain = MemoryChain(local_spec())
    reported: set[tuple[int, int, int]] = set()
    for batch in batches:
        count = slashing.SlashCount.get(chain.state())
        calls, expected = [], []
        for kind, who, round_, stage, swap in batch:
            first, second, error = vote_evidence(kind, who, round_, stage)
            calls.append(("reportVoteEquivocation", (second, first) if swap else (first, second)))
            if error is None and (who, round_, stage) in reported:
                error = consensus.VoteEquivocationAlreadyReported
            elif error is None:
                reported.add((who, round_, stage))
            expected.append(error)
        applied = send(chain, *calls)
        got = [None if a.receipt.status else a.revert_data[:4] for a in applied]
        assert got == [None if e is None else e.selector for e in expected]
        assert slashing.SlashCount.get(chain.state()) == count + expected.count(None)
    state = chain.state()
    assert {(who, r, s) for who in range(7) for r in (1, 2) for s in finality.STAGES
            if consensus.view_vote_reported(state, address(who), 0, r, s)[0]} == reported


@pytest.mark.parametrize("kind", ["same", "other_round", "other_stage", "other_voter", "tampered", "bad_signature",
                                  "other_chain", "unknown_set", "malformed", "non_voter"])
def test_a_refused_vote_report_changes_nothing(kind):
    chain = MemoryChain(local_spec())
    first, second, error = vote_evidence("valid" if kind == "non_voter" else kind, OUTSIDER if kind == "non_voter"
                                         else 2, 1, finality.PRECOMMIT)
    before = module_state(chain)
    (applied,) = send(chain, ("reportVoteEquivocation", (first, second)))
    assert applied.receipt.status == 0 and applied.revert_data[:4] == error.selector
    assert module_state(chain) == before


def test_a_vote_equivocation_of_an_old_set_is_provable_while_the_set_is_kept():
    chain = MemoryChain(local_spec())
    state = State(MemoryBackend(dict(chain.backend.items)))
    authorities = consensus.Authorities.get(state)
    for set_id in range(1, consensus.SET_HISTORY):
        consensus._record_set(state, set_id, authorities)
    env = CallEnv(address(REPORTER), 0, 1, 1, b"\x00" * 20, lambda log: None)

    def report(set_id):
        return consensus.call_report_vote_equivocation(state, env, signed_vote(1, set_id=set_id).encode(),
                                                       signed_vote(1, target=2, set_id=set_id).encode())

    assert report(0) == (0,), "set 0 is the oldest of the 16 kept"
    consensus._record_set(state, consensus.SET_HISTORY, authorities)
    with pytest.raises(DispatchError) as refused:
        report(0)
    assert refused.value.revert_data == consensus.UnknownAuthoritySet.encode(0)
    assert report(1) == (1,)
    consensus.check_invariants(state)


def test_views():
    chain = MemoryChain(local_spec(slot_duration_ms=2_000))
    state = chain.state()
    module = consensus.MODULE
    view = {v.name: v for v in module.views}
    ordered = sorted(address(i) for i in range(VALIDATORS))
    for name in ("authorities", "nextAuthorities"):
        encoded = view[name].encode_result(view[name].handler(state))
        addresses, weights = abi_decode(["address[]", "uint256[]"], encoded)
        assert [bytes.fromhex(a[2:]) for a in addresses] == ordered and list(weights) == [STAKE] * VALIDATORS
    assert view["setId"].handler(state) == (0,)
    assert view["slotDuration"].handler(state) == (2_000,) and consensus.get_slot_duration(state) == 2_000
    assert view["primaryProbability"].handler(state) == (250_000,)
    with pytest.raises(DispatchError):
        view["authoritySet"].handler(state, 1)
    assert view["isVoteEquivocationReported"].handler(state, address(0), 0, 1, 0) == (False, 0)


# Genesis

def spec_with_consensus(**config) -> dict:
    spec = copy.deepcopy(SPEC)
    spec["genesis"]["runtime"]["consensus"] = config
    return spec


@pytest.mark.parametrize("config", [
    {},
    {"authorities": []},
    {"authorities": [hex_address(0), hex_address(0)]},
    {"authorities": [{"address": hex_address(0), "weight": "0"}]},
    {"authorities": [hex_address(0), hex_address(1)], "maxAuthorities": 1},
    {"authorities": [hex_address(0)], "primaryProbability": 0},
    {"authorities": [hex_address(0)], "primaryProbability": 1_000_000},
    {"authorities": [hex_address(0)], "slotDuration": 0},
])
def test_genesis_refuses_bad_consensus_configs(config):
    with pytest.raises(ChainSpecError):
        build_genesis(spec_with_consensus(**config), MemoryChain().runtime)


def test_genesis_authorities_take_weights_and_the_canonical_order():
    spec = spec_with_consensus(authorities=[hex_address(0), {"address": hex_address(1), "weight": "5"},
                                            {"address": hex_address(2), "weight": 5}])
    state = MemoryChain(spec).state()
    heavy = sorted([address(1), address(2)])
    assert consensus.Authorities.get(state) == ((heavy[0], 5), (heavy[1], 5), (address(0), 1))
    assert consensus.AuthoritySetOf.get(state, 0) == consensus.NextAuthorities.get(state) == \
        consensus.Authorities.get(state)


def test_system_authorities_are_refused_now_that_consensus_holds_them():
    spec = copy.deepcopy(SPEC)
    spec["genesis"]["runtime"]["system"]["authorities"] = [hex_address(0)]
    with pytest.raises(ChainSpecError, match="consensus.authorities"):
        build_genesis(spec, MemoryChain().runtime)
