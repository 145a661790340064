"""Conformance cases for the consensus module (spec/modules/consensus.md): slot claims on a four-validator
chain, rotation by stake, equivocation reports, and headers refused for their claim."""

from dataclasses import dataclass, replace

from runtime.blocks import Block
from runtime.executive import build_block
from runtime.modules import balances, consensus, slashing, staking
from runtime.transactions import decode_transaction
from tests.runtime.harness import (ACCOUNTS, LOCAL_VALIDATORS, VALIDATOR_KEYS, local_spec, module_call, seal,
                                   signed_header, signed_vote)

from .cases import CaseBuilder, Vector
from .staking_cases import expect

UNIT = balances.UNIT
STAKE = 10_000 * UNIT
EPOCH = 5
NEWCOMER, REPORTER, OUTSIDER = 4, 5, 6


@dataclass(frozen=True)
class ConsensusVector(Vector):
    folder = "consensus"


class ValidatorsCaseBuilder(CaseBuilder):
    """On the local testnet's genesis (validators 0 … 3, epochs of 5 slots): each block is authored by
    the first of `keys` that may claim the slot, from the parent's slot + 1 on, as a network would."""

    def __init__(self, keys=tuple(VALIDATOR_KEYS), spec: dict | None = None):
        super().__init__(spec or local_spec(epoch_length=EPOCH))
        self.keys = list(keys)

    def author(self, *raws: bytes, slot: int | None = None):
        outcome, rejected = self.chain.produce([decode_transaction(raw) for raw in raws], self.keys, slot=slot)
        assert not rejected, rejected
        self.blocks.append(outcome.block.encode())
        self.receipts.append(tuple(a.receipt.encode() for a in outcome.applied))
        return outcome

    def unclaimed_block(self, slot: int, key: bytes) -> Block:
        """A sealed block at `slot` by `key`, built without asking whether the key may claim it."""
        template = self.chain.template(slot=slot, key=key)
        built, _ = build_block(self.chain.runtime, self.chain.backend, self.chain.trie(), self.chain.head, template, [])
        return Block(seal(built.block.header, key), built.block.transactions)


def finish(b: CaseBuilder, name: str, description: str) -> ConsensusVector:
    return ConsensusVector(**vars(b.valid(name, description)))


def invalid(b: CaseBuilder, name: str, description: str, block: Block) -> ConsensusVector:
    return ConsensusVector(**vars(b.invalid(name, description, block)))


def consensus_call(sender: int, nonce: int, name: str, *args) -> bytes:
    return module_call(sender, nonce, consensus.MODULE, name, *args, gas=300_000)


def case_consensus_slot_claims() -> ConsensusVector:
    b = ValidatorsCaseBuilder()
    key_of = {a.address: a.private_key for a in ACCOUNTS[:LOCAL_VALIDATORS]}
    primary = []
    for _ in range(14):
        state = b.chain.state()
        header = b.author().block.header
        primary.append(consensus.compute_slot_claim(state, header.slot, key_of[header.author]).is_primary)
    assert set(primary) == {True, False}, "primary and secondary claims both appear"
    assert len({o.block.header.author for o in b.chain.outcomes}) == LOCAL_VALIDATORS
    return finish(b, "consensus_slot_claims", "four equally staked validators author 14 blocks through three "
                  "epochs, by primary (VRF below the threshold) and secondary (round-robin) claims")


def case_consensus_rotation_by_stake() -> ConsensusVector:
    b = ValidatorsCaseBuilder(keys=VALIDATOR_KEYS + [ACCOUNTS[NEWCOMER].private_key])
    expect(b.author(module_call(NEWCOMER, 0, staking.MODULE, "bond", staking.VALIDATOR, value=2 * STAKE),
                    module_call(0, 0, staking.MODULE, "unbond", STAKE)), None, None)
    b.author(slot=EPOCH)
    state = b.chain.state()
    assert consensus.SetId.get(state) == 0 and len(consensus.Authorities.get(state)) == LOCAL_VALIDATORS
    assert consensus.NextAuthorities.get(state)[0] == (ACCOUNTS[NEWCOMER].address, 2 * STAKE)
    b.author(slot=2 * EPOCH)
    b.author(slot=4 * EPOCH + 2)
    state = b.chain.state()
    assert consensus.get_voter_set(state) == (1, {ACCOUNTS[NEWCOMER].address: 2 * STAKE,
                                                  **{ACCOUNTS[i].address: STAKE for i in (1, 2, 3)}})
    return finish(b, "consensus_rotation_by_stake", "a validator bonds and another unbonds in epoch 0: elected at "
                  "epoch 1's first block, the new set authors from epoch 2 (set id 1); skipped epochs rotate once")


def case_consensus_block_equivocation() -> ConsensusVector:
    b = ValidatorsCaseBuilder()
    first, second = signed_header(2, 7, 1).encode(), signed_header(2, 7, 2).encode()
    tampered = replace(signed_header(2, 7, 3), timestamp=99).encode()
    outsider = signed_header(OUTSIDER, 7, 1).encode(), signed_header(OUTSIDER, 7, 2).encode()
    expect(b.author(consensus_call(REPORTER, 0, "reportBlockEquivocation", first, first),
                    consensus_call(REPORTER, 1, "reportBlockEquivocation", first, tampered),
                    consensus_call(REPORTER, 2, "reportBlockEquivocation", first, signed_header(2, 8, 2).encode()),
                    consensus_call(REPORTER, 3, "reportBlockEquivocation", first, signed_header(1, 7, 2).encode()),
                    consensus_call(REPORTER, 4, "reportBlockEquivocation", b"\x01", second),
                    consensus_call(REPORTER, 5, "reportBlockEquivocation", *outsider),
                    consensus_call(REPORTER, 6, "reportBlockEquivocation", first, second),
                    consensus_call(REPORTER, 7, "reportBlockEquivocation", second, first),
                    consensus_call(REPORTER, 8, "isBlockEquivocationReported", ACCOUNTS[2].address, 7)),
           consensus.SameHeader, consensus.InvalidSeal, consensus.DifferentSlots, consensus.DifferentAuthors,
           consensus.MalformedHeader, slashing.NothingAtStake, None, consensus.BlockEquivocationAlreadyReported, None)
    b.author()
    record = slashing.get_slash(b.chain.state(), 0)
    assert (record.kind, record.offender, record.status, record.amount) == \
        (slashing.EQUIVOCATION, ACCOUNTS[2].address, slashing.APPLIED, STAKE // 10)
    return finish(b, "consensus_block_equivocation", "two headers sealed by one validator for slot 7 slash it (10%, "
                  "applied at the next block: no deferral); the same header twice, a tampered seal, another slot, "
                  "another author, bad RLP, an unstaked author and a repeat are refused")


def case_consensus_vote_equivocation() -> ConsensusVector:
    b = ValidatorsCaseBuilder()
    first, second = signed_vote(1, target=1).encode(), signed_vote(1, target=2).encode()
    expect(b.author(consensus_call(REPORTER, 0, "reportVoteEquivocation", first, first),
                    consensus_call(REPORTER, 1, "reportVoteEquivocation", first, signed_vote(1, 2, target=2).encode()),
                    consensus_call(REPORTER, 2, "reportVoteEquivocation", first, signed_vote(2, target=2).encode()),
                    consensus_call(REPORTER, 3, "reportVoteEquivocation", signed_vote(1, set_id=1).encode(),
                                   signed_vote(1, target=2, set_id=1).encode()),
                    consensus_call(REPORTER, 4, "reportVoteEquivocation", signed_vote(OUTSIDER).encode(),
                                   signed_vote(OUTSIDER, target=2).encode()),
                    consensus_call(REPORTER, 5, "reportVoteEquivocation", first, b"\x80"),
                    consensus_call(REPORTER, 6, "reportVoteEquivocation", first, second),
                    consensus_call(REPORTER, 7, "reportVoteEquivocation", second, first)),
           consensus.SameVoteTarget, consensus.DifferentRounds, consensus.DifferentVoters,
           consensus.UnknownAuthoritySet, consensus.NotAVoter, consensus.MalformedVote, None,
           consensus.VoteEquivocationAlreadyReported)
    return finish(b, "consensus_vote_equivocation", "two prevotes for different blocks in one round by a voter of "
                  "set 0 are reported once; one vote twice, another round, another voter, an unknown set, a "
                  "non-voter and bad RLP are refused")


def _no_claim(b: ValidatorsCaseBuilder) -> tuple[int, int]:
    """The first (slot, validator) with no claim on it."""
    state = b.chain.state()
    return next((slot, i) for slot in range(b.chain.head.slot + 1, 100) for i, key in enumerate(VALIDATOR_KEYS)
                if consensus.compute_slot_claim(state, slot, key) is None)


def case_consensus_invalid_claim() -> ConsensusVector:
    b = ValidatorsCaseBuilder()
    b.author()
    slot, index = _no_claim(b)
    return invalid(b, "consensus_invalid_claim", "an authority whose VRF output is not below its threshold and who "
                   "is not the slot's secondary author may not author it", b.unclaimed_block(slot, VALIDATOR_KEYS[index]))


def case_consensus_invalid_unknown_author() -> ConsensusVector:
    b = ValidatorsCaseBuilder()
    return invalid(b, "consensus_invalid_unknown_author", "a block sealed by a key outside the epoch's set",
                   b.unclaimed_block(1, ACCOUNTS[OUTSIDER].private_key))


def case_consensus_invalid_next_set_too_early() -> ConsensusVector:
    b = ValidatorsCaseBuilder()
    b.author(module_call(NEWCOMER, 0, staking.MODULE, "bond", staking.VALIDATOR, value=2 * STAKE))
    b.author(slot=EPOCH)
    newcomer = ACCOUNTS[NEWCOMER].private_key
    assert ACCOUNTS[NEWCOMER].address in dict(consensus.NextAuthorities.get(b.chain.state()))
    return invalid(b, "consensus_invalid_next_set_too_early", "a validator elected into the next set may not "
                   "author a slot of the current epoch", b.unclaimed_block(EPOCH + 1, newcomer))


CONSENSUS_CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]
