"""Epoch randomness under random slot sequences follows the rule of spec/modules/randomness.md."""

from dataclasses import replace

import pytest
from coincurve import PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.blocks import Block
from runtime.crypto import ecvrf, keccak256
from runtime.exceptions import InvalidBlock
from runtime.executive import build_block
from runtime.modules import randomness

from .harness import AUTHORITY, MemoryChain, seal

ZERO = b"\x00" * 32
AUTHORITY_PUBLIC_KEY = PrivateKey(AUTHORITY.private_key).public_key.format(compressed=True)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 180), min_size=1, max_size=12))
def test_randomness_follows_the_rule(gaps):
    chain = MemoryChain()
    length = randomness.EpochLength.get(chain.state())
    genesis = randomness.Randomness.get(chain.state())
    epoch, current, following, accumulator = 0, genesis, genesis, ZERO
    for gap in gaps:
        slot = chain.head.slot + gap
        expected_input = (current if slot // length == epoch else following) + slot.to_bytes(8, "big") \
            + (slot // length).to_bytes(8, "big")
        outcome, _ = chain.author([], slot=slot)
        header = outcome.block.header
        assert ecvrf.verify(AUTHORITY_PUBLIC_KEY, header.vrf_proof, expected_input) == header.vrf_output
        if slot // length > epoch:
            epoch = slot // length
            current, following = following, keccak256(following + (epoch + 1).to_bytes(8, "big") + accumulator)
            accumulator = ZERO
        accumulator = keccak256(accumulator + header.vrf_output)
        state = chain.state()
        assert (randomness.EpochIndex.get(state), randomness.Randomness.get(state),
                randomness.NextRandomness.get(state), randomness.Accumulator.get(state)) == \
            (epoch, current, following, accumulator)
        chain.check_invariants()


def test_next_epochs_randomness_is_fixed_once_it_starts():
    """Blocks inside epoch e+1 cannot change the randomness of epoch e+2 (no grinding the known draw)."""
    chain = MemoryChain()
    chain.author([], slot=100)
    fixed = randomness.NextRandomness.get(chain.state())
    for slot in (120, 150, 199):
        chain.author([], slot=slot)
        assert randomness.NextRandomness.get(chain.state()) == fixed
    chain.author([], slot=200)
    assert randomness.Randomness.get(chain.state()) == fixed


def test_a_vrf_from_another_key_is_refused():
    chain = MemoryChain()
    template = chain.template()
    stranger = bytes([7]) * 32
    forged_proof = ecvrf.prove(stranger, randomness.compute_vrf_input(chain.state(), template.slot))
    outcome, _ = build_block(chain.runtime, chain.backend, chain.trie(), chain.head, template, [])
    header = replace(outcome.block.header, vrf_proof=forged_proof, vrf_output=ecvrf.proof_to_hash(forged_proof))
    with pytest.raises(InvalidBlock, match="VRF"):
        chain.import_block(Block(seal(header), ()))


def test_role_seeds_separate_task_round_and_role():
    seeds = {randomness.compute_role_seed(ZERO, task, round_, role)
             for task in range(3) for round_ in range(3) for role in (b"proposer", b"voter")}
    assert len(seeds) == 18

