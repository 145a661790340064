"""gmFLOCK as a user does it: web3.py with the ABI from flock_modules against a real dev node —
lock with value, read balances and the lock, wait out the lock with evm_increaseTime, unlock."""

from web3.logs import DISCARD

from runtime.modules.gmflock import InvalidDuration, LockNotExpired

from .devchain import dev_account, module_contract, reverts_with, wait_receipt

UNIT = 10**18


def test_lock_wait_and_unlock(chain):
    w3 = chain.w3
    gmflock, balances = module_contract(chain, "gmflock"), module_contract(chain, "balances")
    owner, long_term = dev_account(2).address, dev_account(3).address
    seconds_per_day = gmflock.functions.secondsPerDay().call()
    assert gmflock.functions.symbol().call() == "gmFLOCK" and gmflock.functions.decimals().call() == 18

    receipt = wait_receipt(chain, gmflock.functions.lock(1).transact({"from": owner, "value": 2 * UNIT}))
    assert receipt.status == 1
    (locked,) = gmflock.events.Locked().process_receipt(receipt, errors=DISCARD)
    unlock_at = w3.eth.get_block(receipt.blockNumber).timestamp + seconds_per_day
    assert dict(locked.args) == {"owner": owner, "lockId": 0, "amount": 2 * UNIT, "gmAmount": 2 * UNIT,
                                 "unlockAt": unlock_at}
    wait_receipt(chain, gmflock.functions.lock(365).transact({"from": long_term, "value": UNIT}))
    assert gmflock.functions.balanceOf(owner).call() == 2 * UNIT
    assert gmflock.functions.balanceOf(long_term).call() == 3_010 * 10**15, "3.01× at 365 days"
    assert gmflock.functions.totalSupply().call() == 5_010 * 10**15
    assert gmflock.functions.lockOf(owner, 0).call() == [2 * UNIT, 2 * UNIT, unlock_at, False]
    assert balances.functions.accountOf(owner).call()[1] == 2 * UNIT, "the locked FLOCK is held (reserved)"

    reverts_with(lambda: gmflock.functions.unlock(0).call({"from": owner}), LockNotExpired.encode(unlock_at))
    reverts_with(lambda: gmflock.functions.lock(366).call({"from": owner, "value": 1}), InvalidDuration.encode(366))

    chain.result("evm_increaseTime", seconds_per_day + 1)
    chain.result("evm_mine")
    assert w3.eth.get_block("latest").timestamp >= unlock_at
    free_before = w3.eth.get_balance(owner)
    receipt = wait_receipt(chain, gmflock.functions.unlock(0).transact({"from": owner}))
    assert receipt.status == 1
    (unlocked,) = gmflock.events.Unlocked().process_receipt(receipt, errors=DISCARD)
    assert (unlocked.args.owner, unlocked.args.lockId, unlocked.args.amount) == (owner, 0, 2 * UNIT)
    fee = receipt.gasUsed * receipt.effectiveGasPrice
    assert w3.eth.get_balance(owner) == free_before + 2 * UNIT - fee
    assert balances.functions.accountOf(owner).call() == [free_before + 2 * UNIT - fee, 0, 0], "hold released"
    assert gmflock.functions.balanceOf(owner).call() == 0
    assert gmflock.functions.totalSupply().call() == 3_010 * 10**15
    assert gmflock.functions.lockOf(owner, 0).call()[3] is True

    lock_block = locked.blockNumber
    assert gmflock.functions.balanceOfAt(owner, lock_block - 1).call() == 0
    assert gmflock.functions.balanceOfAt(owner, lock_block).call() == 2 * UNIT, "a snapshot at a past block"
    assert gmflock.functions.totalSupplyAt(receipt.blockNumber - 1).call() == 5_010 * 10**15
