"""genesis/local.json: what `python -m genesis.local -n 4` writes, a genesis that builds, validators bonded
from genesis, and a chain its four validators keep producing."""

import json

import pytest

from genesis.builder import SPEC_DIR, ChainSpecError, build_genesis, load_spec
from genesis.local import build_dev_local_spec, local_boot_nodes, render
from runtime.modules import balances, consensus, randomness, slashing, staking

from .harness import ACCOUNTS, VALIDATOR_KEYS, MemoryChain, local_spec

UNIT = balances.UNIT


def test_committed_local_spec_is_the_generated_one():
    assert (SPEC_DIR / "local.json").read_text() == render(build_dev_local_spec(4, boot_nodes=local_boot_nodes(4))), \
        "regenerate: python -m genesis.local -n 4 > genesis/local.json"


def test_local_spec_builds_with_bonded_weighted_validators():
    chain = MemoryChain(load_spec("local"))
    assert chain.head.number == 0 and chain.head.extra_data == b"local"
    state = chain.state()
    validators = [a.address for a in ACCOUNTS[:4]]
    for who in validators:
        assert staking.Role.get(state, who) == staking.VALIDATOR and staking.Bonded.get(state, who) == 10_000 * UNIT
        assert balances.get_account(state, who) == balances.AccountData(990_000 * UNIT, 10_000 * UNIT, 0)
    assert consensus.get_voter_set(state) == (0, {who: 10_000 * UNIT for who in validators})
    assert consensus.elect(state) == consensus.Authorities.get(state), "the first election keeps the genesis set"
    assert randomness.EpochLength.get(state) == 20 and slashing.DeferralEpochs.get(state) == 0
    chain.check_invariants()


def test_four_validators_keep_producing_across_epochs():
    chain = MemoryChain(load_spec("local"))
    for _ in range(45):
        chain.produce([], VALIDATOR_KEYS)
        chain.check_invariants()
    state = chain.state()
    assert {o.block.header.author for o in chain.outcomes} == {a.address for a in ACCOUNTS[:4]}
    assert randomness.EpochIndex.get(state) >= 2 and consensus.SetId.get(state) == 0, "equal stakes: the set stays"


@pytest.mark.parametrize("bond", [
    {"who": "0x" + ACCOUNTS[0].address.hex(), "role": 1, "amount": str(2_000 * UNIT)},
    {"who": "0x" + ACCOUNTS[0].address.hex(), "role": 2, "amount": str(5_000 * UNIT)},
    {"who": "0x" + ACCOUNTS[0].address.hex(), "role": 1, "amount": str(2_000_000 * UNIT)},
    {"who": "0x" + ACCOUNTS[0].address.hex(), "role": 0, "amount": str(5_000 * UNIT)},
])
def test_genesis_bonds_are_checked_like_bond(bond):
    """Below the minimum, an unknown role, more than the balance, a second bond of one account."""
    spec = local_spec()
    spec["genesis"]["runtime"]["staking"]["bonds"].append(bond)
    with pytest.raises(ChainSpecError):
        build_genesis(spec, MemoryChain().runtime)


def test_a_training_node_bonded_at_genesis_gets_the_default_commission():
    spec = local_spec()
    spec["genesis"]["runtime"]["staking"]["bonds"].append(
        {"who": "0x" + ACCOUNTS[5].address.hex(), "role": 0, "amount": str(4_000 * UNIT)})
    state = MemoryChain(spec).state()
    assert staking.get_commission(state, ACCOUNTS[5].address) == staking.DefaultCommission.default
    assert staking.TotalBonded.get(state, staking.TRAINING_NODE) == 4_000 * UNIT


def test_the_generated_spec_is_plain_json():
    spec = json.loads(render(build_dev_local_spec(2, epoch_length=7)))
    assert spec["id"] == "local" and spec["chainType"] == "Local" and spec["bootNodes"] == []
    assert len(spec["genesis"]["runtime"]["consensus"]["authorities"]) == 2
    assert "authorityIndex" not in spec["devAccounts"]

