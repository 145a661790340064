"""treasury: the chain's own FLOCK — protocol fees and slashes flow in; only the root spends.

The treasury's funds are the free balance of its module address, so they are counted in
total issuance like any account's. Spending is a Root call (later: a governance decision),
so every payment is a signed, included transaction with an event.
"""

from ..exceptions import DispatchError
from ..module import CallDecl, CallEnv, ErrorDecl, EventDecl, Module, ViewDecl, module_address
from ..state import State
from . import balances, system

NAME = "treasury"
ADDRESS_ = module_address(7)

# Events
Deposited = EventDecl("Deposited(address indexed source,uint256 amount)")
Spent = EventDecl("Spent(address indexed to,uint256 amount)")

# Errors
ZeroAmount = ErrorDecl("ZeroAmount()")


def get_balance(state: State) -> int:
    return balances.free_balance(state, ADDRESS_)


def deposit_from(state: State, source: bytes, amount: int) -> None:
    """Move `amount` of `source`'s usable balance into the treasury (a module's fee or slash)."""
    balances.transfer(state, source, ADDRESS_, amount)


def call_spend(state: State, env: CallEnv, to: bytes, amount: int) -> tuple:
    system.ensure_root(state, env.sender)
    if amount == 0:
        raise DispatchError(ZeroAmount)
    balances.transfer(state, ADDRESS_, to, amount)
    env.emit(Spent.to_log(ADDRESS_, to, amount))
    return ()


def call_donate(state: State, env: CallEnv) -> tuple:
    """Anyone may fund the treasury: the call's value stays at the treasury's address."""
    if env.value == 0:
        raise DispatchError(ZeroAmount)
    env.emit(Deposited.to_log(ADDRESS_, env.sender, env.value))
    return ()


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    raises=(system.NotRoot, balances.InsufficientBalance),
    calls=(
        CallDecl("spend(address to,uint256 amount)", call_spend, weight=15_000),
        CallDecl("donate()", call_donate, weight=5_000, payable=True),
    ),
    views=(ViewDecl("balance()", lambda state: (get_balance(state),), ("uint256",)),),
)
