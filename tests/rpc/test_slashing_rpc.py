"""Slashing end to end: web3.py with the ABI from flock_modules against a real dev node — stake and
delegate, the root (the dev authority, account 10) reports two offences and cancels one, epochs pass
with evm_mine, the other applies: stakes, balances and events as the spec says."""

from web3.logs import DISCARD

from runtime.modules.slashing import APPLIED, CANCELLED, UnknownSlash
from runtime.modules.system import NotRoot

from .devchain import CHAIN_ID, GWEI, dev_account, module_contract, reverts_with, wait_receipt

UNIT = 10**18


def as_root(chain, function):
    """The dev node signs only for accounts 0–9: the root signs its own transaction, as a wallet would."""
    root = dev_account(10)
    tx = function.build_transaction({"from": root.address, "chainId": CHAIN_ID, "gas": 200_000,
                                     "nonce": chain.w3.eth.get_transaction_count(root.address, "pending"),
                                     "maxFeePerGas": 2 * chain.w3.eth.gas_price, "maxPriorityFeePerGas": GWEI})
    return wait_receipt(chain, chain.w3.eth.send_raw_transaction(root.sign_transaction(tx).raw_transaction))


def test_report_cancel_and_apply_a_slash(chain):
    w3 = chain.w3
    staking, slashing = module_contract(chain, "staking"), module_contract(chain, "slashing")
    randomness, treasury = module_contract(chain, "randomness"), module_contract(chain, "treasury")
    node, delegator, validator, reporter = (dev_account(i).address for i in (0, 1, 2, 7))
    root = dev_account(10).address

    wait_receipt(chain, staking.functions.bond(0).transact({"from": node, "value": 4_000 * UNIT}))
    wait_receipt(chain, staking.functions.delegate(node).transact({"from": delegator, "value": 1_000 * UNIT}))
    wait_receipt(chain, staking.functions.bond(1).transact({"from": validator, "value": 3_500 * UNIT}))
    assert slashing.functions.slashFraction(0).call() == 100_000
    deferral = slashing.functions.deferralEpochs().call()

    reverts_with(lambda: slashing.functions.reportOffence(0, node, reporter).call({"from": node}),
                 NotRoot.encode(bytes.fromhex(node[2:])))
    assert slashing.functions.reportOffence(0, node, reporter).call({"from": root}) == 0
    receipt = as_root(chain, slashing.functions.reportOffence(0, node, reporter))
    (poisoned,) = slashing.events.OffenceReported().process_receipt(receipt, errors=DISCARD)
    epoch = randomness.functions.currentEpoch().call()
    assert dict(poisoned.args) == {"id": 0, "kind": 0, "offender": node, "reporter": reporter,
                                   "applyEpoch": epoch + deferral}
    receipt = as_root(chain, slashing.functions.reportOffence(2, validator, reporter))
    (equivocation,) = slashing.events.OffenceReported().process_receipt(receipt, errors=DISCARD)
    assert equivocation.args.id == 1 and slashing.functions.pendingSlashesOf(validator).call() == 1

    receipt = as_root(chain, slashing.functions.cancelSlash(1))
    (cancelled,) = slashing.events.SlashCancelled().process_receipt(receipt, errors=DISCARD)
    assert cancelled.args.id == 1 and slashing.functions.pendingSlashesOf(validator).call() == 0
    reverts_with(lambda: slashing.functions.cancelSlash(1).call({"from": root}), UnknownSlash.encode(1))

    reporter_before, treasury_before = w3.eth.get_balance(reporter), treasury.functions.balance().call()
    target = poisoned.args.applyEpoch * randomness.functions.epochLength().call()
    chain.result("evm_mine", {"blocks": target - w3.eth.get_block("latest").number})
    assert randomness.functions.currentEpoch().call() == poisoned.args.applyEpoch

    kind, offender, _, beneficiary, fraction, _, status, applied, amount, at_stake = \
        slashing.functions.slashOf(0).call()
    assert (kind, offender, beneficiary, status) == (0, node, treasury.address, APPLIED)
    assert (fraction, applied, amount, at_stake) == (100_000, 100_000, 500 * UNIT, 5_000 * UNIT)
    assert staking.functions.exposureOf(node).call() == [3_600 * UNIT, 900 * UNIT]
    assert staking.functions.delegationOf(delegator, node).call() == 900 * UNIT
    assert w3.eth.get_balance(reporter) == reporter_before + 50 * UNIT, "10% to the reporter"
    assert treasury.functions.balance().call() >= treasury_before + 450 * UNIT, "90% to the treasury"
    assert slashing.functions.slashOf(1).call()[6] == CANCELLED
    assert staking.functions.exposureOf(validator).call() == [3_500 * UNIT, 0], "a cancelled slash takes nothing"
    assert slashing.functions.slashSpanOf(node).call() == [poisoned.args.applyEpoch, 100_000]
