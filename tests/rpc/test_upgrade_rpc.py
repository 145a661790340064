"""Runtime upgrades as a user sees them through a real dev node: a proposal passed by gmFLOCK vote
schedules version 2; `state_getRuntimeVersion`, `system_version` and `flock_modules` switch at exactly
the scheduled block (and still answer version 1 for earlier blocks); version 2's utility.batchAll then
works from web3.py; a node that ships only version 1 stops there with one line and a non-zero exit."""

from web3 import Web3
from web3.logs import DISCARD

from .devchain import dev_account, module_contract, start_dev_chain, stop_dev_chain, wait_receipt
from .test_governance_rpc import mine_to

UNIT = 10**18
ROOT = dev_account(10)
"""The dev chain's authority, which its spec also names Root."""


def spec_version(chain, block_hash: str | None = None) -> int:
    return chain.result("state_getRuntimeVersion", *([block_hash] if block_hash else []))["specVersion"]


def send_as_root(chain, function) -> dict:
    tx = function.build_transaction({"from": ROOT.address, "chainId": chain.w3.eth.chain_id,
                                     "nonce": chain.w3.eth.get_transaction_count(ROOT.address, "pending")})
    return wait_receipt(chain, chain.w3.eth.send_raw_transaction(ROOT.sign_transaction(tx).raw_transaction))


def test_an_upgrade_passed_by_vote_switches_the_runtime_at_its_block(chain):
    gov, gm, system = (module_contract(chain, name) for name in ("governance", "gmflock", "system"))
    voter = dev_account(6).address
    wait_receipt(chain, gm.functions.lock(365).transact({"from": voter, "value": 1_000 * UNIT}))
    chain.result("evm_mine")
    at = chain.w3.eth.block_number + 60
    description = "runtime version 2"
    actions = ([system.address], [0], [system.encode_abi("scheduleUpgrade", [2, at])])
    receipt = wait_receipt(chain, gov.functions.propose(*actions, description).transact({"from": voter}))
    proposal_id = gov.functions.hashProposal(*actions, Web3.keccak(text=description)).call()
    assert receipt.status == 1
    mine_to(chain, gov.functions.proposalSnapshot(proposal_id).call() + 1)
    wait_receipt(chain, gov.functions.castVote(proposal_id, 1).transact({"from": voter}))
    mine_to(chain, gov.functions.proposalDeadline(proposal_id).call() + 1)
    args = (*actions, Web3.keccak(text=description))
    wait_receipt(chain, gov.functions.queue(*args).transact({"from": voter}))
    chain.result("evm_increaseTime", 61)
    chain.result("evm_mine")
    assert wait_receipt(chain, gov.functions.execute(*args).transact({"from": voter})).status == 1
    assert system.functions.scheduledUpgrade().call() == [2, at]

    mine_to(chain, at - 1)
    before = chain.w3.eth.get_block("latest")["hash"].to_0x_hex()
    assert spec_version(chain) == 1 and chain.result("system_version").endswith("+spec1")
    assert "utility" not in [m["name"] for m in chain.result("flock_modules")]
    mine_to(chain, at)
    assert spec_version(chain) == 2 and chain.result("system_version").endswith("+spec2")
    assert spec_version(chain, before) == 1, "earlier blocks keep the version that made them"
    assert system.functions.specVersion().call() == 2 and system.functions.scheduledUpgrade().call() == [0, 0]

    utility = module_contract(chain, "utility")
    assert utility.functions.getParameter("MaxCalls").call() == 16, "the migration ran"
    sender, first, second = dev_account(5).address, dev_account(11).address, dev_account(12).address
    balances_before = [chain.w3.eth.get_balance(a) for a in (first, second)]
    receipt = wait_receipt(chain, utility.functions.batchAll([first, second], [3, 4], [b"", b""]).transact(
        {"from": sender}))
    assert receipt.status == 1
    assert [chain.w3.eth.get_balance(a) - b for a, b in zip((first, second), balances_before)] == [3, 4]
    (completed,) = utility.events.BatchCompleted().process_receipt(receipt, errors=DISCARD)
    assert completed.args.sender == sender and completed.args.calls == 2


def test_a_node_without_the_scheduled_version_stops_with_one_line(tmp_path):
    held = start_dev_chain(tmp_path, extra_args=("--max-spec-version", "1"))
    try:
        system = module_contract(held, "system")
        at = held.w3.eth.block_number + 3
        assert send_as_root(held, system.functions.scheduleUpgrade(2, at)).status == 1
        mine_to(held, at - 1)
        assert spec_version(held) == 1
        response = held.rpc("evm_mine")
        assert "error" in response
        assert held.process.wait(timeout=20) == 3
    finally:
        stop_dev_chain(held.process)
    lines = held.log().strip().splitlines()
    assert lines[-1] == f"flockchain dev: block {at} needs runtime spec_version 2; this node knows up to 1: " \
                        f"upgrade the node"
    assert "Traceback" not in held.log()
