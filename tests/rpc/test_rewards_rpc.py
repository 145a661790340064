"""Rewards end to end: web3.py with the ABI from flock_modules against a real dev node — stake in
both roles, delegate, lock FLOCK in gmflock, let a day pass (evm_increaseTime) and an epoch end
(evm_mine), then read the emission, the pending rewards (weighed with the validator's gmFLOCK lock
bonus) and claim them: exact numbers from spec/modules/rewards.md, balances and events."""

from web3.logs import DISCARD

from runtime.modules.rewards import NothingToClaim, UnknownPool

from .devchain import dev_account, module_contract, reverts_with, wait_receipt

UNIT = 10**18
DAY = 86_400
D0 = 1_074 * UNIT
PER_MILLION = 1_000_000


def wait(chain, tx_hash):
    receipt = wait_receipt(chain, tx_hash)
    assert receipt.status == 1
    return receipt


def mine_to_next_epoch(chain, randomness) -> int:
    """Seal empty blocks up to the first block of the next epoch; returns that block's number."""
    epoch_length = randomness.functions.epochLength().call()
    head = chain.w3.eth.get_block("latest").number
    target = (head // epoch_length + 1) * epoch_length
    chain.rpc("evm_mine", {"blocks": target - head})
    assert chain.w3.eth.get_block("latest").number == target
    return target


def test_stake_delegate_lock_advance_epochs_and_claim(chain):
    w3 = chain.w3
    staking, gmflock, rewards = module_contract(chain, "staking"), module_contract(chain, "gmflock"), module_contract(chain, "rewards")
    balances, treasury = module_contract(chain, "balances"), module_contract(chain, "treasury")
    randomness = module_contract(chain, "randomness")
    node, validator, delegator, locker = (dev_account(i).address for i in (0, 1, 2, 3))

    wait(chain, staking.functions.bond(0).transact({"from": node, "value": 3_000 * UNIT}))
    wait(chain, staking.functions.bond(1).transact({"from": validator, "value": 5_000 * UNIT}))
    wait(chain, staking.functions.delegate(node).transact({"from": delegator, "value": 1_000 * UNIT}))
    wait(chain, gmflock.functions.lock(30).transact({"from": locker, "value": 2_000 * UNIT}))
    wait(chain, gmflock.functions.lock(365).transact({"from": validator, "value": 3_000 * UNIT}))
    assert staking.functions.weightOf(validator).call() == [11_030 * UNIT, 6_030 * UNIT], \
        "5,000 bonded + the 365-day bonus of 3,000 locked (spec/modules/staking.md, Weight)"
    assert staking.functions.weightOf(locker).call() == [0, 0], "a lock without a bond weighs nothing"
    assert rewards.functions.emissionRate().call() == D0
    assert rewards.functions.poolStake(0).call() == 9_000 * UNIT, "default FL stake: both roles + delegations"
    assert rewards.functions.poolStake(1).call() == 0
    reverts_with(lambda: rewards.functions.claim().call({"from": delegator}), NothingToClaim.encode())
    reverts_with(lambda: rewards.functions.poolBalance(3).call(), UnknownPool.encode(3))

    start = rewards.functions.lastEmissionTime().call()
    assert start == rewards.functions.clockStart().call() > 0, "the first block started the clock"
    supply, fund = balances.functions.totalSupply().call(), treasury.functions.balance().call()
    pool = rewards.functions.poolBalance(0).call()
    chain.result("evm_increaseTime", DAY)
    boundary = mine_to_next_epoch(chain, randomness)
    epoch = randomness.functions.currentEpoch().call()
    elapsed = w3.eth.get_block(boundary).timestamp - start
    assert elapsed >= DAY
    minted, fee = rewards.functions.emissionOf(epoch).call()
    assert minted == D0 * elapsed // DAY and fee == minted * 50_000 // PER_MILLION
    assert rewards.functions.totalEmitted().call() == minted
    assert rewards.functions.lastEmissionTime().call() == w3.eth.get_block(boundary).timestamp
    assert balances.functions.totalSupply().call() == supply + minted, "empty blocks: only the emission changed it"
    assert treasury.functions.balance().call() == fund + fee

    net = pool + (minted - fee) - (minted - fee) * 100_000 // PER_MILLION  # less the Marketplace pool's 10%
    node_reward, validator_reward = net * 4_000 // 15_030, net * 11_030 // 15_030
    delegator_share = node_reward * (PER_MILLION - 180_000) * 1_000 // (PER_MILLION * 4_000)
    assert rewards.functions.pendingRewards(validator).call() == validator_reward
    assert rewards.functions.pendingRewards(delegator).call() == delegator_share
    assert rewards.functions.pendingRewards(node).call() == node_reward - delegator_share
    assert rewards.functions.pendingRewards(locker).call() == 0, "gmFLOCK locks are not stake"
    assert rewards.functions.poolBalance(0).call() == net - node_reward - validator_reward
    assert balances.functions.balanceOf(rewards.address).call() == \
        sum(rewards.functions.pendingRewards(a).call() for a in (node, validator, delegator)) + \
        rewards.functions.poolBalance(0).call() + rewards.functions.poolBalance(2).call()

    free = w3.eth.get_balance(delegator)
    receipt = wait(chain, rewards.functions.claim().transact({"from": delegator}))
    (claimed,) = rewards.events.Claimed().process_receipt(receipt, errors=DISCARD)
    assert (claimed.args.who, claimed.args.amount) == (delegator, delegator_share)
    (moved,) = balances.events.Transfer().process_receipt(receipt, errors=DISCARD)
    assert (moved.args["from"], moved.args.to, moved.args.value) == (rewards.address, delegator, delegator_share)
    assert w3.eth.get_balance(delegator) == free + delegator_share - receipt.gasUsed * receipt.effectiveGasPrice
    assert rewards.functions.pendingRewards(delegator).call() == 0
    reverts_with(lambda: rewards.functions.claim().call({"from": delegator}), NothingToClaim.encode())

    # The next epoch: the node now takes all of its delegators' part (100%, set in this epoch, in force
    # from the next), but this epoch is still paid at 18%.
    wait(chain, staking.functions.setCommission(PER_MILLION).transact({"from": node}))
    leftover = rewards.functions.poolBalance(0).call()
    chain.result("evm_increaseTime", DAY)
    mine_to_next_epoch(chain, randomness)
    minted, fee = rewards.functions.emissionOf(randomness.functions.currentEpoch().call()).call()
    node_reward = (leftover + (minted - fee) - (minted - fee) * 100_000 // PER_MILLION) * 4_000 // 15_030
    assert rewards.functions.pendingRewards(delegator).call() == \
        node_reward * (PER_MILLION - 180_000) * 1_000 // (PER_MILLION * 4_000)
    before = rewards.functions.pendingRewards(delegator).call()
    mine_to_next_epoch(chain, randomness)
    assert rewards.functions.pendingRewards(delegator).call() == before, "paid at 100%: nothing for delegators"
    assert rewards.functions.pendingRewards(node).call() > 0
    receipt = wait(chain, rewards.functions.claim().transact({"from": node}))
    (claimed,) = rewards.events.Claimed().process_receipt(receipt, errors=DISCARD)
    assert claimed.args.who == node and rewards.functions.pendingRewards(node).call() == 0
