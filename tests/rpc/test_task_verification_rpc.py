"""Task verification as a user sees it through a real dev node: a new FL Alliance task is unverified
(`flock_getTask` says so), nobody but the privileged origin can verify it, Root's verifyTask flips it.
The passed-proposal path is tested in tests/runtime/test_governance.py."""

from web3 import Web3
from web3.logs import DISCARD

from runtime.modules.system import NotRoot

from .devchain import dev_account, module_contract, reverts_with, wait_receipt
from .test_upgrade_rpc import send_as_root

UNIT = 10**18


def test_a_task_is_unverified_until_the_privileged_origin_verifies_it(chain):
    alliance = module_contract(chain, "fl_alliance")
    creator = dev_account(9).address
    receipt = wait_receipt(chain, alliance.functions.createTask(
        "linear", "sklearn:diabetes", Web3.keccak(text="initial model"), 2, 2, 3, [4] * 5, 0).transact(
        {"from": creator, "value": 10 * UNIT}))
    (created,) = alliance.events.TaskCreated().process_receipt(receipt, errors=DISCARD)
    task = created.args.task
    assert chain.result("flock_getTask", hex(task))["verified"] is False
    reverts_with(lambda: alliance.functions.verifyTask(task).call({"from": creator}),
                 NotRoot.encode(bytes.fromhex(creator[2:])))

    receipt = send_as_root(chain, alliance.functions.verifyTask(task))
    assert [event.args.task for event in alliance.events.TaskVerified().process_receipt(receipt, errors=DISCARD)] \
        == [task]
    assert alliance.functions.isVerified(task).call() is True
    assert chain.result("flock_getTask", hex(task))["verified"] is True
    send_as_root(chain, alliance.functions.unverifyTask(task))
    assert chain.result("flock_getTask", hex(task))["verified"] is False
