"""Staking as a user does it: web3.py with the published ABI against a real dev node."""

from web3.exceptions import ContractCustomError
from web3.logs import DISCARD

from runtime.modules.staking import BelowMinimumStake

from .devchain import dev_account, module_contract, wait_receipt


def test_bond_delegate_unbond_and_withdraw_after_epochs(chain):
    w3, unit = chain.w3, 10**18
    staking = module_contract(chain, "staking")
    node, delegator = dev_account(0).address, dev_account(1).address

    receipt = wait_receipt(chain, staking.functions.bond(0).transact({"from": node, "value": 3_500 * unit}))
    (bonded,) = staking.events.Bonded().process_receipt(receipt, errors=DISCARD)
    assert (bonded.args.who, bonded.args.role, bonded.args.amount) == (node, 0, 3_500 * unit)
    wait_receipt(chain, staking.functions.delegate(node).transact({"from": delegator, "value": 40 * unit}))
    assert staking.functions.exposureOf(node).call() == [3_500 * unit, 40 * unit]
    assert staking.functions.roleOf(node).call() == 0 and staking.functions.roleOf(delegator).call() == 255
    assert staking.functions.commissionOf(node).call()[0] == 180_000

    balances = module_contract(chain, "balances")
    free, reserved, _ = balances.functions.accountOf(delegator).call()
    assert reserved == 40 * unit

    receipt = wait_receipt(chain, staking.functions.unbond(500 * unit).transact({"from": node}))
    (unbonded,) = staking.events.Unbonded().process_receipt(receipt, errors=DISCARD)
    assert staking.functions.unlockingOf(node).call() == [500 * unit, 0]

    randomness = module_contract(chain, "randomness")
    epoch_length = randomness.functions.epochLength().call()
    target = unbonded.args.unlockEpoch * epoch_length
    chain.rpc("evm_mine", {"blocks": target - w3.eth.get_block("latest").number})
    assert randomness.functions.currentEpoch().call() >= unbonded.args.unlockEpoch
    assert staking.functions.unlockingOf(node).call() == [500 * unit, 500 * unit]
    free_before = w3.eth.get_balance(node)
    receipt = wait_receipt(chain, staking.functions.withdrawUnbonded().transact({"from": node}))
    fee = receipt.gasUsed * receipt.effectiveGasPrice
    assert w3.eth.get_balance(node) == free_before + 500 * unit - fee
    assert staking.functions.exposureOf(node).call() == [3_000 * unit, 40 * unit]


def test_staking_errors_come_back_as_custom_errors(chain):
    staking = module_contract(chain, "staking")
    try:
        staking.functions.bond(0).call({"from": dev_account(5).address, "value": 10**18})
    except ContractCustomError as error:
        assert error.data[:10] == "0x" + BelowMinimumStake.selector.hex()
    else:
        raise AssertionError("bonding below the minimum must revert")
