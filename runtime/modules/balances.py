"""balances: the native FLOCK currency (18 decimals), with free, reserved and frozen parts.

- free: spendable unless frozen; fees, transfers and `value` come from here.
- reserved: held by modules (stake, locks), the sum of the account's holds, one per reason;
  not spendable, still owned.
- frozen: the part of free that may not go below (locks); usable = free − frozen.

TotalIssuance is the sum of every account's free + reserved and changes only through
`mint`, `burn` and the root's `forceSetBalance` (the EIP-1559 base fee is burned). The
module also answers as an ERC-20 at its address (name, symbol, decimals, totalSupply,
balanceOf, transfer), so wallets and indexers can track FLOCK with the tools they already have.
"""

from dataclasses import dataclass

from ..exceptions import DispatchError
from ..module import CallDecl, CallEnv, ErrorDecl, EventDecl, Module, Parameter, ViewDecl, module_address
from ..records import RecordCodec, Uint256
from ..state import State
from ..storage import ADDRESS, U256, RawBytes, StorageMap, StorageValue
from . import system

NAME = "balances"
ADDRESS_ = module_address(1)
DECIMALS = 18
UNIT = 10**DECIMALS
UINT256_MAX = 2**256 - 1

# Parameters
SupplyCap = StorageValue(NAME, "SupplyCap", U256, 1_000_000_000 * UNIT)



@dataclass(frozen=True)
class AccountData:
    free: Uint256 = 0
    reserved: Uint256 = 0
    frozen: Uint256 = 0

    @property
    def usable(self) -> int:
        return max(self.free - self.frozen, 0)

    @property
    def total(self) -> int:
        return self.free + self.reserved


# Storage
Account = StorageMap(NAME, "Account", ADDRESS, RecordCodec(AccountData), AccountData())
TotalIssuance = StorageValue(NAME, "TotalIssuance", U256, 0)
Hold = StorageMap(NAME, "Hold", RawBytes(), U256, 0)
"""(account ‖ reason) → amount held for that reason; an account's reserved balance is the sum of its holds."""

# Events
Transfer = EventDecl("Transfer(address indexed from,address indexed to,uint256 value)")
BalanceSet = EventDecl("BalanceSet(address indexed who,uint256 free)")

# Errors
InsufficientBalance = ErrorDecl("InsufficientBalance(uint256 available,uint256 required)")
InsufficientHold = ErrorDecl("InsufficientHold(uint256 held,uint256 required)")
SupplyCapExceeded = ErrorDecl("SupplyCapExceeded(uint256 supply,uint256 cap)")


def get_account(state: State, who: bytes) -> AccountData:
    return Account.get(state, who)


def set_account(state: State, who: bytes, account: AccountData) -> None:
    Account.set(state, who, account)


def free_balance(state: State, who: bytes) -> int:
    return Account.get(state, who).free


def withdraw(state: State, who: bytes, amount: int) -> None:
    """Take `amount` from usable free balance; issuance is unchanged until it is burned or deposited."""
    account = get_account(state, who)
    if account.usable < amount:
        raise DispatchError(InsufficientBalance, account.usable, amount)
    set_account(state, who, AccountData(account.free - amount, account.reserved, account.frozen))


def deposit(state: State, who: bytes, amount: int) -> None:
    """Credit `amount` that was withdrawn elsewhere in the same call (issuance unchanged)."""
    account = get_account(state, who)
    set_account(state, who, AccountData(account.free + amount, account.reserved, account.frozen))


def transfer(state: State, source: bytes, dest: bytes, amount: int) -> None:
    withdraw(state, source, amount)
    deposit(state, dest, amount)


def issue(state: State, amount: int) -> None:
    """Raise TotalIssuance, never beyond the supply cap; the error reports the would-be supply, saturated
    at uint256 so it always encodes."""
    supply, cap = TotalIssuance.get(state), SupplyCap.get(state)
    if supply + amount > cap:
        raise DispatchError(SupplyCapExceeded, min(supply + amount, UINT256_MAX), cap)
    TotalIssuance.set(state, supply + amount)


def mint(state: State, who: bytes, amount: int) -> None:
    """New FLOCK, never beyond the supply cap."""
    issue(state, amount)
    deposit(state, who, amount)


def burn(state: State, who: bytes, amount: int) -> None:
    withdraw(state, who, amount)
    TotalIssuance.set(state, TotalIssuance.get(state) - amount)


def burn_withdrawn(state: State, amount: int) -> None:
    """Burn an amount already withdrawn from an account (the base fee)."""
    TotalIssuance.set(state, TotalIssuance.get(state) - amount)


def get_held(state: State, who: bytes, reason: bytes) -> int:
    return Hold.get(state, who + reason)


def hold(state: State, who: bytes, reason: bytes, amount: int) -> None:
    """Move usable free balance into a hold for `reason` (a module's name): still owned, not spendable."""
    withdraw(state, who, amount)
    account = get_account(state, who)
    set_account(state, who, AccountData(account.free, account.reserved + amount, account.frozen))
    Hold.set(state, who + reason, Hold.get(state, who + reason) + amount)


def _take_held(state: State, who: bytes, reason: bytes, amount: int) -> None:
    held = Hold.get(state, who + reason)
    if held < amount:
        raise DispatchError(InsufficientHold, held, amount)
    Hold.set(state, who + reason, held - amount)
    account = get_account(state, who)
    set_account(state, who, AccountData(account.free, account.reserved - amount, account.frozen))


def release(state: State, who: bytes, reason: bytes, amount: int) -> None:
    """Return held funds to the owner's free balance."""
    _take_held(state, who, reason, amount)
    deposit(state, who, amount)


def transfer_held(state: State, who: bytes, reason: bytes, dest: bytes, amount: int) -> None:
    """Move held funds to another account's free balance (a slash paid to a reporter or a pool)."""
    _take_held(state, who, reason, amount)
    deposit(state, dest, amount)


def burn_held(state: State, who: bytes, reason: bytes, amount: int) -> None:
    _take_held(state, who, reason, amount)
    TotalIssuance.set(state, TotalIssuance.get(state) - amount)


def force_set_balance(state: State, who: bytes, free: int) -> None:
    """Set a free balance outright, minting or burning the difference so issuance stays Σ balances."""
    account = get_account(state, who)
    if free > account.free:
        issue(state, free - account.free)
    else:
        TotalIssuance.set(state, TotalIssuance.get(state) - (account.free - free))
    set_account(state, who, AccountData(free, account.reserved, account.frozen))


def call_force_set_balance(state: State, env: CallEnv, who: bytes, free: int) -> tuple:
    """Root only: what a dev chain's set-balance control (anvil_setBalance) is made of."""
    system.ensure_root(state, env.sender)
    force_set_balance(state, who, free)
    env.emit(BalanceSet.to_log(ADDRESS_, who, free))
    return ()


def call_transfer(state: State, env: CallEnv, to: bytes, value: int) -> tuple:
    transfer(state, env.sender, to, value)
    env.emit(Transfer.to_log(ADDRESS_, env.sender, to, value))
    return (True,)


def view_account_of(state: State, who: bytes) -> tuple:
    account = Account.get(state, who)
    return account.free, account.reserved, account.frozen


def genesis(state: State, config: dict) -> None:
    """config: {"balances": {address: amount}}; amounts are wei (decimal strings or ints)."""
    if "supplyCap" in config:
        SupplyCap.set(state, int(config["supplyCap"]))
    for address, amount in sorted(config.get("balances", {}).items()):
        mint(state, bytes.fromhex(address.removeprefix("0x")), int(amount))


def check_invariants(state: State) -> None:
    total = 0
    for who, account in Account.items(state):
        assert len(who) == 20
        assert account != AccountData(), "empty accounts are not stored"
        total += account.total
    assert total == TotalIssuance.get(state), f"issuance {TotalIssuance.get(state)} != sum of balances {total}"
    assert total <= SupplyCap.get(state), "supply within cap"
    held: dict[bytes, int] = {}
    for key, amount in Hold.items(state):
        assert amount > 0
        held[key[:20]] = held.get(key[:20], 0) + amount
    for who, account in Account.items(state):
        assert account.reserved == held.pop(who, 0), "an account's reserved balance is the sum of its holds"
    assert not held, "no hold without an account"


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    raises=(system.NotRoot,),
    calls=(
        CallDecl("transfer(address to,uint256 value)", call_transfer, weight=5_000, returns=("bool",)),
        CallDecl("forceSetBalance(address who,uint256 free)", call_force_set_balance, weight=10_000),
    ),
    views=(
        ViewDecl("name()", lambda state: ("Flock",), ("string",)),
        ViewDecl("symbol()", lambda state: ("FLOCK",), ("string",)),
        ViewDecl("decimals()", lambda state: (DECIMALS,), ("uint8",)),
        ViewDecl("totalSupply()", lambda state: (TotalIssuance.get(state),), ("uint256",)),
        ViewDecl("balanceOf(address account)", lambda state, who: (free_balance(state, who),), ("uint256",)),
        ViewDecl("accountOf(address account)", view_account_of, ("uint256", "uint256", "uint256")),
        ViewDecl("supplyCap()", lambda state: (SupplyCap.get(state),), ("uint256",)),
    ),
    parameters={"SupplyCap": Parameter(SupplyCap)},
    authorize=system.ensure_root,
    genesis=genesis,
    check_invariants=check_invariants,
)
