"""treasury: donations in, Root-only spending out, every wei accounted for."""

from eth_abi import decode as abi_decode

from runtime.modules import balances, system, treasury
from runtime.transactions import decode_transaction

from .harness import ACCOUNTS, AUTHORITY, MemoryChain, module_call, root_call

TREASURY = treasury.ADDRESS_


def send(chain, sender, name, *args, value=0):
    """A treasury call from a dev account index, or from "root"."""
    if sender == "root":
        raw = root_call(system.get_nonce(chain.state(), AUTHORITY.address), treasury.MODULE, name, *args, value=value,
                        gas=100_000)
    else:
        nonce = system.get_nonce(chain.state(), ACCOUNTS[sender].address)
        raw = module_call(sender, nonce, treasury.MODULE, name, *args, value=value, gas=100_000)
    outcome, rejected = chain.author([decode_transaction(raw)])
    assert not rejected
    chain.check_invariants()
    return outcome.applied[0]


def test_donations_and_root_spending():
    chain = MemoryChain()
    assert send(chain, 0, "donate", value=5 * 10**18).receipt.status == 1
    assert treasury.get_balance(chain.state()) == 5 * 10**18
    outsider = send(chain, 1, "spend", ACCOUNTS[2].address, 10**18)
    assert outsider.receipt.status == 0 and outsider.revert_data[:4] == system.NotRoot.selector
    before = balances.free_balance(chain.state(), ACCOUNTS[2].address)
    assert send(chain, "root", "spend", ACCOUNTS[2].address, 2 * 10**18).receipt.status == 1
    assert balances.free_balance(chain.state(), ACCOUNTS[2].address) == before + 2 * 10**18
    assert treasury.get_balance(chain.state()) == 3 * 10**18
    too_much = send(chain, "root", "spend", ACCOUNTS[2].address, 10**19)
    assert too_much.revert_data[:4] == balances.InsufficientBalance.selector
    assert send(chain, 0, "donate").revert_data[:4] == treasury.ZeroAmount.selector
    view = send(chain, 0, "balance")
    assert abi_decode(["uint256"], view.return_data) == (3 * 10**18,)
