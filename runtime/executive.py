"""The executive: how a block changes state, in Substrate's order.

    validate header → initialize (hooks, in module order) → transactions in block order
    → finalize (hooks) → roots (state, transactions, receipts, logs bloom) → compare to header

A transaction is first *validated* (chain id, shape, gas, fee cap, nonce, balance): if it
fails, it is invalid and the whole block carrying it is invalid. Once valid, the nonce
is bumped and the fee paid outside the call's storage layer; the call then runs in a
checkpoint, and a dispatch error rolls back everything it did (status 0) but not the fee.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from coincurve import PublicKey
from eth_abi.exceptions import EncodingError

from .abi import abi_encode

from .blocks import Block, Header, Receipt, compute_logs_bloom, merge_blooms, recover_seal_key
from .crypto import ecvrf, keccak256, private_key_to_address, public_key_to_address, sign_hash
from .exceptions import (ContractCreationNotSupported, DispatchError, FeeCapTooLow, GasLimitExceeded, InsufficientFunds,
                         IntrinsicGasTooLow, InvalidBlock, InvalidTransaction, NonceMax, NonceTooHigh, NonceTooLow,
                         NotUnsignedCall, StorageOverflow, UnsignedCallRefused, UnsignedProofInvalid,
                         WrongChainId)
from .fees import compute_base_fee, compute_intrinsic_gas
from .module import BlockEnv, CallDecl, CallEnv, CallResult, ErrorDecl, Log, Module
from .modules import balances, consensus, randomness, system
from .state import State, StateBackend
from .transactions import NO_SENDER, UNSIGNED, Transaction, decode_transaction
from .trie import Trie, compute_ordered_trie_root

# Dispatch errors of the framework itself (revert data like any module's)
UnknownCall = ErrorDecl("UnknownCall(bytes4 selector)")
MalformedCallData = ErrorDecl("MalformedCallData(bytes4 selector)")
NotPayable = ErrorDecl("NotPayable(uint256 value)")
OutOfGas = ErrorDecl("OutOfGas(uint256 required,uint256 limit)")
ModuleFault = ErrorDecl("ModuleFault()")
"""A module handler raised a logic error instead of a dispatch error: a module bug, contained as a failed
call so that one transaction cannot stop block production."""
MODULE_BUGS = (ArithmeticError, LookupError, TypeError, ValueError, AttributeError, AssertionError, EncodingError,
               StorageOverflow)
"""Errors a handler's own code raises the same way on every machine. Storage I/O, memory and recursion
errors are the machine's, not the block's: they propagate, so a node never commits or rejects a block
because of them."""


@dataclass(frozen=True)
class Migration:
    """A change to state that a runtime version needs from states an earlier version wrote (Substrate's
    `OnRuntimeUpgrade`), run once, in the first block the new version executes."""

    from_version: int
    """It migrates a state written by this version to the next."""
    name: str
    apply: Callable[[State], None]


@dataclass(frozen=True)
class Runtime:
    """A composed runtime: its modules in hook order, with their addresses, and the migrations that
    bring a state from any earlier version up to this one (in order)."""

    modules: tuple[Module, ...]
    spec_name: str = "flockchain"
    spec_version: int = 1
    migrations: tuple[Migration, ...] = ()

    def __post_init__(self):
        names = [m.name for m in self.modules]
        addresses = [m.address for m in self.modules]
        if len(set(names)) != len(names) or len(set(addresses)) != len(addresses):
            raise ValueError("module names and addresses must be unique")
        if names[:4] != ["system", "balances", "randomness", "consensus"]:
            raise ValueError("system, balances, randomness and consensus come first: every other module relies on "
                             "them, and consensus rotates its authorities on randomness's new epoch")

    @cached_property
    def by_address(self) -> dict[bytes, Module]:
        return {m.address: m for m in self.modules}

    def module(self, name: str) -> Module:
        return next(m for m in self.modules if m.name == name)


@dataclass(frozen=True)
class AppliedTransaction:
    """A transaction as included: its receipt and what the RPC reports besides."""

    transaction: Transaction
    receipt: Receipt
    gas_used: int
    effective_gas_price: int
    return_data: bytes = b""
    revert_data: bytes = b""


@dataclass(frozen=True)
class BlockOutcome:
    block: Block
    applied: tuple[AppliedTransaction, ...]
    changes: dict[bytes, bytes | None]
    trie_nodes: dict[bytes, bytes]


def compute_call_gas(runtime: Runtime, tx_to: bytes | None, data: bytes, inner: bool = True) -> int:
    """Declared weight of the module call a transaction makes (0 for plain transfers); a call that
    dispatches others adds their weights (one level: `inner` is False for them)."""
    module = runtime.by_address.get(tx_to)
    if module is None or len(data) < 4:
        return 0
    call = module.find_call(data[:4])
    if call is None:
        return 0
    gas = call.weight + call.weight_per_byte * len(data)
    if inner and call.inner_calls is not None:
        try:
            args = call.decode_args(data[4:])
        except Exception:
            return gas
        gas += sum(compute_call_gas(runtime, to, payload, inner=False) for to, payload in call.inner_calls(*args))
    return gas


def check_chain_id(state: State, tx: Transaction) -> None:
    chain_id = system.ChainId.get(state)
    if tx.chain_id != chain_id:
        raise WrongChainId(f"transaction is for chain {tx.chain_id}, this is chain {chain_id}")


def check_transaction(state: State, env: BlockEnv, tx: Transaction, gas_available: int) -> int:
    """The checks that do not depend on the sender's account; returns the intrinsic gas."""
    check_chain_id(state, tx)
    if tx.to is None:
        raise ContractCreationNotSupported("contract creation is not supported: this chain runs no EVM bytecode")
    intrinsic = compute_intrinsic_gas(tx.data, tx.access_list)
    if tx.gas_limit < intrinsic:
        raise IntrinsicGasTooLow(f"gas limit {tx.gas_limit} is below the intrinsic gas {intrinsic}")
    if tx.gas_limit > gas_available:
        raise GasLimitExceeded(f"gas limit {tx.gas_limit} exceeds the block's available gas {gas_available}")
    if tx.max_fee_per_gas < env.base_fee_per_gas:
        raise FeeCapTooLow(f"max fee per gas {tx.max_fee_per_gas} is below the base fee {env.base_fee_per_gas}")
    return intrinsic


def check_can_pay(state: State, tx: Transaction) -> None:
    """Ethereum's rule: the sender must afford gas limit × max fee + value before anything runs."""
    cost = tx.gas_limit * tx.max_fee_per_gas + tx.value
    usable = balances.get_account(state, tx.sender).usable
    if usable < cost:
        raise InsufficientFunds(f"balance {usable} cannot pay gas limit × max fee + value = {cost}")


def validate_transaction(state: State, env: BlockEnv, tx: Transaction, gas_available: int,
                         allow_future_nonce: bool = False) -> int:
    """Raise InvalidTransaction unless `tx` may be included now (or, with `allow_future_nonce`, after
    the sender's earlier transactions, as a pool holds it); return its intrinsic gas."""
    intrinsic = check_transaction(state, env, tx, gas_available)
    nonce = system.get_nonce(state, tx.sender)
    if tx.nonce < nonce or (tx.nonce > nonce and not allow_future_nonce):
        kind = NonceTooLow if tx.nonce < nonce else NonceTooHigh
        raise kind(f"nonce {tx.nonce}, account nonce is {nonce}")
    if nonce >= 2**64 - 1:
        raise NonceMax("account nonce reached 2**64 - 1 (EIP-2681)")
    check_can_pay(state, tx)
    return intrinsic


@dataclass(frozen=True)
class UnsignedCall:
    """An unsigned transaction's call, checked short of running it."""

    declaration: CallDecl
    key: bytes
    """Where a pool holds it: the module's address ‖ the key its declaration names."""
    sequence: int
    gas: int

    def is_stale(self, state: State) -> bool:
        """The chain has moved past its sequence: it can never be included."""
        return self.sequence < self.declaration.unsigned.next_sequence(state, self.key[20:])


def check_unsigned(runtime: Runtime, state: State, tx: Transaction) -> UnsignedCall:
    """The cheap checks of an unsigned call: chain id, a call its module declares unsigned, arguments that
    decode and name a key."""
    check_chain_id(state, tx)
    module = runtime.by_address.get(tx.to)
    declaration = module.find_call(tx.data[:4]) if module is not None and len(tx.data) >= 4 else None
    if declaration is None or declaration.unsigned is None:
        raise NotUnsignedCall(f"0x{tx.data[:4].hex()} at 0x{tx.to.hex()} is no call a module accepts unsigned")
    try:
        key, sequence = declaration.unsigned.key(*declaration.decode_args(tx.data[4:]))
    except Exception:
        raise UnsignedCallRefused(f"the arguments of {module.name}.{declaration.name} do not decode "
                                  "or name no pool key") from None
    gas = compute_intrinsic_gas(tx.data, ()) + compute_call_gas(runtime, tx.to, tx.data)
    return UnsignedCall(declaration, module.address + key, sequence, gas)


def dispatch_unsigned(runtime: Runtime, state: State, env: BlockEnv, tx: Transaction, call: UnsignedCall,
                      gas_available: int) -> CallResult:
    """Run the call as no account; a refusal is an invalid transaction, with nothing written."""
    if call.gas > gas_available:
        raise GasLimitExceeded(f"the call's gas {call.gas} exceeds the block's available gas {gas_available}")
    result = dispatch(runtime, state, env, NO_SENDER, tx.to, 0, tx.data)
    if not result.success:
        proof_failed = result.revert_data[:4] in {error.selector for error in call.declaration.unsigned.proof_errors}
        raise (UnsignedProofInvalid if proof_failed else UnsignedCallRefused)(
            f"the module refuses it: {result.error}")
    return result


def validate_unsigned(runtime: Runtime, state: State, env: BlockEnv, tx: Transaction, gas_available: int,
                      call: UnsignedCall | None = None) -> UnsignedCall:
    """Whether an unsigned call may be included now: its cheap checks (unless `call` is their result already),
    then the call itself run and thrown away (its own proof is checked there, once)."""
    call = call or check_unsigned(runtime, state, tx)
    state.checkpoint()
    try:
        dispatch_unsigned(runtime, state, env, tx, call, gas_available)
    finally:
        state.rollback()
    return call


def apply_unsigned(runtime: Runtime, state: State, env: BlockEnv, tx: Transaction,
                   cumulative_gas_used: int) -> AppliedTransaction:
    """No nonce, no fee; its gas (intrinsic + call weight) counts against the block's gas limit."""
    call = check_unsigned(runtime, state, tx)
    gas = call.gas
    result = dispatch_unsigned(runtime, state, env, tx, call, env.gas_limit - cumulative_gas_used)
    receipt = Receipt(UNSIGNED, 1, cumulative_gas_used + gas, tuple(result.logs), compute_logs_bloom(result.logs))
    return AppliedTransaction(tx, receipt, gas, 0, result.return_data)


def apply_transaction(runtime: Runtime, state: State, env: BlockEnv, tx: Transaction,
                      cumulative_gas_used: int) -> AppliedTransaction:
    """Validate, charge, dispatch. Raises InvalidTransaction (nothing written) or returns the receipt."""
    if tx.tx_type == UNSIGNED:
        return apply_unsigned(runtime, state, env, tx, cumulative_gas_used)
    intrinsic = validate_transaction(state, env, tx, env.gas_limit - cumulative_gas_used)
    required = intrinsic + compute_call_gas(runtime, tx.to, tx.data)
    gas_used = min(required, tx.gas_limit)
    price = tx.effective_gas_price(env.base_fee_per_gas)

    system.increment_nonce(state, tx.sender)
    balances.withdraw(state, tx.sender, gas_used * price)
    balances.deposit(state, env.author, gas_used * (price - env.base_fee_per_gas))
    balances.burn_withdrawn(state, gas_used * env.base_fee_per_gas)

    if required > tx.gas_limit:
        result = CallResult(False, revert_data=OutOfGas.encode(required, tx.gas_limit))
    else:
        result = dispatch(runtime, state, env, tx.sender, tx.to, tx.value, tx.data)
    receipt = Receipt(tx.tx_type, int(result.success), cumulative_gas_used + gas_used, tuple(result.logs),
                      compute_logs_bloom(result.logs))
    return AppliedTransaction(tx, receipt, gas_used, price, result.return_data, result.revert_data)


def dispatch(runtime: Runtime, state: State, env: BlockEnv, sender: bytes, to: bytes, value: int,
             data: bytes) -> CallResult:
    """Run a transfer or module call in its own storage layer; roll back on a dispatch error."""
    logs: list[Log] = []
    state.checkpoint()
    try:
        return_data = _dispatch(runtime, state, env, sender, to, value, data, logs.append)
    except DispatchError as error:
        state.rollback()
        return CallResult(False, revert_data=error.revert_data, error=str(error))
    except MODULE_BUGS:
        state.rollback()
        return CallResult(False, revert_data=ModuleFault.encode(), error="ModuleFault()")
    state.commit()
    return CallResult(True, tuple(logs), return_data)


def check_call(runtime: Runtime, to: bytes, data: bytes) -> str | None:
    """Why `data` to `to` could never be dispatched as a module call, or None."""
    module = runtime.by_address.get(to)
    if module is None:
        return f"no module at 0x{to.hex()}"
    declaration = module.find_call(data[:4]) if len(data) >= 4 else None
    if declaration is None:
        return f"module {module.name} has no call with selector 0x{data[:4].hex()}"
    try:
        declaration.decode_args(data[4:])
    except Exception:
        return f"the arguments of {module.name}.{declaration.name} do not decode"
    return None


def _dispatch(runtime, state, env, sender, to, value, data, emit: Callable[[Log], None]) -> bytes:
    if value:
        balances.transfer(state, sender, to, value)
        emit(balances.Transfer.to_log(balances.ADDRESS_, sender, to, value))
    module = runtime.by_address.get(to)
    if module is None:
        return b""
    selector = data[:4]
    if len(selector) < 4:
        raise DispatchError(UnknownCall, selector.ljust(4, b"\x00"))
    declaration = module.find_call(selector) or module.find_view(selector)
    if declaration is None:
        raise DispatchError(UnknownCall, selector)
    try:
        args = declaration.decode_args(data[4:])
    except Exception:
        raise DispatchError(MalformedCallData, selector) from None
    if value and not getattr(declaration, "payable", False):
        raise DispatchError(NotPayable, value)
    if declaration in module.views:
        return declaration.encode_result(declaration.handler(state, *args))
    call_env = CallEnv(sender, value, env.number, env.timestamp, env.author, emit,
                       dispatch=lambda origin, target, amount, payload: dispatch(runtime, state, env, origin, target,
                                                                                 amount, payload),
                       check_call=lambda target, payload: check_call(runtime, target, payload))
    outputs = declaration.handler(state, call_env, *args)
    return abi_encode(list(declaration.returns), list(outputs or ())) if declaration.returns else b""


def call_readonly(runtime: Runtime, backend: StateBackend, env: BlockEnv, sender: bytes, to: bytes, value: int,
                  data: bytes) -> tuple[bool, bytes]:
    """`eth_call`: run a call against a state and throw the writes away. Returns (success, output)."""
    state = State(backend)
    result = dispatch(runtime, state, env, sender, to, value, data)
    return result.success, (result.return_data if result.success else result.revert_data)


def upgrade_state(runtime: Runtime, state: State) -> None:
    """The first block `runtime` executes on a state an earlier version wrote: run the migrations since
    that version, record the new version, forget the scheduled upgrade (spec/upgrades.md)."""
    stored = system.SpecVersion.get(state)
    if stored == runtime.spec_version:
        return
    if stored > runtime.spec_version:
        raise ValueError(f"runtime spec_version {runtime.spec_version} cannot run a state of version {stored}")
    for migration in runtime.migrations:
        if migration.from_version >= stored:
            migration.apply(state)
    system.SpecVersion.set(state, runtime.spec_version)
    system.ScheduledUpgrade.set(state, None)


def initialize_block(runtime: Runtime, state: State, env: BlockEnv) -> None:
    upgrade_state(runtime, state)
    for module in runtime.modules:
        module.on_initialize(state, env)


def finalize_block(runtime: Runtime, state: State, env: BlockEnv) -> None:
    for module in runtime.modules:
        module.on_finalize(state, env)


def validate_header(runtime: Runtime, state: State, parent: Header, header: Header) -> None:
    """Rules a header must meet before its transactions are run."""
    if header.parent_hash != parent.hash:
        raise InvalidBlock("parentHash does not match the parent")
    if header.number != parent.number + 1:
        raise InvalidBlock(f"number {header.number} does not follow {parent.number}")
    if header.timestamp < parent.timestamp:
        raise InvalidBlock("timestamp is before the parent's")
    if header.gas_limit != system.BlockGasLimit.get(state):
        raise InvalidBlock(f"gasLimit {header.gas_limit} is not the chain's {system.BlockGasLimit.get(state)}")
    expected_fee = compute_base_fee(parent.gas_limit, parent.gas_used, parent.base_fee_per_gas)
    if header.base_fee_per_gas != expected_fee:
        raise InvalidBlock(f"baseFeePerGas {header.base_fee_per_gas}, expected {expected_fee}")
    if header.slot <= parent.slot:
        raise InvalidBlock(f"slot {header.slot} does not follow the parent's slot {parent.slot}")
    if header.author not in dict(consensus.get_epoch_authorities(state, header.slot)):
        epoch = randomness.compute_epoch(state, header.slot)
        raise InvalidBlock(f"author 0x{header.author.hex()} is not an authority of epoch {epoch}")
    public_key = recover_seal_key(header, system.ChainId.get(state))
    if public_key is None or public_key_to_address(PublicKey(public_key)) != header.author:
        raise InvalidBlock("seal is not the author's signature over the header")
    randomness.verify_block_vrf(state, header.slot, public_key, header.vrf_output, header.vrf_proof)
    consensus.check_slot_claim(state, header.slot, header.author, header.vrf_output)


def seal_header(header: Header, secret: bytes, chain_id: int) -> Header:
    """The author's signature over the seal hash (bound to `chain_id`), as `r ‖ s ‖ yParity`."""
    y_parity, r, s = sign_hash(secret, header.seal_hash(chain_id))
    return header.with_seal(r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((y_parity,)))


def block_template(state: State, parent: Header, author_secret: bytes, timestamp: int, slot: int,
                   claim: consensus.SlotClaim | None = None) -> Header:
    """An unsealed header on `parent` for `build_block`: the chain's gas limit, the EIP-1559 base
    fee, and the author's VRF output and proof for the slot (from the parent's state; `claim`, from
    consensus.compute_slot_claim for this slot and key, saves proving it again)."""
    if claim is None:
        proof = ecvrf.prove(author_secret, randomness.compute_vrf_input(state, slot))
    elif claim.slot != slot:
        raise ValueError(f"the claim is for slot {claim.slot}, not {slot}")
    else:
        proof = claim.vrf_proof
    return Header(parent_hash=parent.hash, number=parent.number + 1, timestamp=max(timestamp, parent.timestamp),
                  author=private_key_to_address(author_secret), state_root=b"", transactions_root=b"",
                  receipts_root=b"", logs_bloom=b"", gas_limit=system.BlockGasLimit.get(state), gas_used=0,
                  base_fee_per_gas=compute_base_fee(parent.gas_limit, parent.gas_used, parent.base_fee_per_gas),
                  slot=slot, vrf_output=ecvrf.proof_to_hash(proof), vrf_proof=proof)


def commit_state(trie: Trie, changes: dict[bytes, bytes | None]) -> tuple[bytes, dict]:
    """State root: a Merkle Patricia trie over keccak256(storage key) → value (a "secure" trie).

    `trie` is at the parent's root and moves to the new one; returns (root, new trie nodes).
    """
    trie.update((keccak256(key), value) for key, value in changes.items())
    return trie.commit()


def compute_state_root(node_store, parent_root: bytes, changes: dict[bytes, bytes | None]) -> tuple[bytes, dict]:
    return commit_state(Trie(node_store, parent_root), changes)


def block_env(header: Header) -> BlockEnv:
    return BlockEnv(header.number, header.timestamp, header.author, header.parent_hash,
                    header.base_fee_per_gas, header.gas_limit, header.slot, header.vrf_output)


def execute_transactions(runtime: Runtime, state: State, env: BlockEnv,
                         transactions: Iterable[Transaction]) -> tuple[list[AppliedTransaction], list[tuple[Transaction, InvalidTransaction]]]:
    """Apply transactions in order; an invalid one is skipped and reported, never included."""
    applied, rejected, gas = [], [], 0
    for tx in transactions:
        try:
            outcome = apply_transaction(runtime, state, env, tx, gas)
        except InvalidTransaction as error:
            rejected.append((tx, error))
            continue
        applied.append(outcome)
        gas = outcome.receipt.cumulative_gas_used
    return applied, rejected


def _seal_roots(runtime, state, env, trie, applied) -> tuple[dict, dict, dict]:
    """Finalize, then compute every root and total the header commits to."""
    finalize_block(runtime, state, env)
    changes = state.changes()
    state_root, nodes = commit_state(trie, changes)
    roots = {
        "state_root": state_root,
        "transactions_root": compute_ordered_trie_root([a.transaction.raw for a in applied]),
        "receipts_root": compute_ordered_trie_root([a.receipt.encode() for a in applied]),
        "logs_bloom": merge_blooms(a.receipt.logs_bloom for a in applied),
        "gas_used": applied[-1].receipt.cumulative_gas_used if applied else 0,
    }
    return changes, nodes, roots


def _check_trie(trie: Trie, parent: Header) -> None:
    if trie.root != parent.state_root:
        raise ValueError("the state trie is not at the parent's state root")


def build_block(runtime: Runtime, backend: StateBackend, trie: Trie, parent: Header, template: Header,
                candidates: Iterable[Transaction]) -> tuple[BlockOutcome, list[tuple[Transaction, InvalidTransaction]]]:
    """Author a block on `parent`: the template supplies timestamp, author and digest; roots are filled in.

    The result is unsealed; the author signs `seal_hash(chainId)` and sets `seal`. `trie` (at the
    parent's state root) moves to the new root.
    """
    _check_trie(trie, parent)
    state = State(backend)
    env = block_env(template)
    initialize_block(runtime, state, env)
    applied, rejected = execute_transactions(runtime, state, env, candidates)
    changes, nodes, roots = _seal_roots(runtime, state, env, trie, applied)
    header = Header(**{**template.__dict__, **roots})
    block = Block(header, tuple(a.transaction.raw for a in applied))
    return BlockOutcome(block, tuple(applied), changes, nodes), rejected


def apply_block(runtime: Runtime, backend: StateBackend, trie: Trie, parent: Header, block: Block,
                transactions: list[Transaction] | None = None) -> BlockOutcome:
    """Import a block: every rule checked; raises InvalidBlock and writes nothing when one fails.

    `transactions` may pass the block's transactions already decoded (signature recovery is
    the costliest step and a pool has usually done it); they must be the block's own bytes.
    `trie` is at the parent's state root; after an InvalidBlock it may not be, so reopen it.
    """
    _check_trie(trie, parent)
    header = block.header
    state = State(backend)
    validate_header(runtime, state, parent, header)
    if transactions is None:
        transactions = []
        for index, raw in enumerate(block.transactions):
            try:
                transactions.append(decode_transaction(raw))
            except InvalidTransaction as error:
                raise InvalidBlock(f"transaction {index}: {error}") from None
    elif [tx.raw for tx in transactions] != list(block.transactions):
        raise ValueError("decoded transactions do not match the block")
    env = block_env(header)
    initialize_block(runtime, state, env)
    applied, gas = [], 0
    for index, tx in enumerate(transactions):
        try:
            outcome = apply_transaction(runtime, state, env, tx, gas)
        except InvalidTransaction as error:
            raise InvalidBlock(f"transaction {index}: {error}") from None
        applied.append(outcome)
        gas = outcome.receipt.cumulative_gas_used
    changes, nodes, roots = _seal_roots(runtime, state, env, trie, applied)
    for name, value in roots.items():
        if getattr(header, name) != value:
            raise InvalidBlock(f"{name} does not match the block's execution")
    return BlockOutcome(block, tuple(applied), changes, nodes)
