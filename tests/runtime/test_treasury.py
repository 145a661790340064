"""treasury: donations in, Root-only spending out, every wei accounted for."""

from eth_abi import decode as abi_decode

from runtime.modules import balances, system, treasury
from runtime.transactions import decode_transaction

from .harness import ACCOUNTS, AUTHORITY, MemoryChain, call_data, transfer

TREASURY = treasury.ADDRESS_


def send(chain, sender_index_or_key, name, *args, value=0):
    from runtime.transactions import sign_transaction
    data = call_data(treasury.MODULE, name, *args)
    if sender_index_or_key == "root":
        nonce = system.get_nonce(chain.state(), AUTHORITY.address)
        raw = sign_transaction(AUTHORITY.private_key, chain_id=31337, nonce=nonce, gas_limit=100_000, to=TREASURY,
                               value=value, data=data, max_fee_per_gas=10**10, max_priority_fee_per_gas=10**9)
    else:
        nonce = system.get_nonce(chain.state(), ACCOUNTS[sender_index_or_key].address)
        raw = transfer(sender_index_or_key, nonce, TREASURY, value, gas=100_000, data=data)
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
