"""The runtime API: the one door through which a node, its RPC server and its command line use a
composed runtime, in the spirit of FRAME's runtime APIs (`Core`, `BlockBuilder`,
`TaggedTransactionQueue`, `AccountNonceApi`, `Metadata`). As there, every question is asked at a
state: the runtime version that wrote the state answers it (spec/upgrades.md).

Everything outside runtime/ asks this object and never reads a module's storage items or calls the
executive's internals itself, so the state transition can change behind it without its callers
changing. It works on any composed runtime versions (the composition is one list above runtime/).
"""

from dataclasses import dataclass, replace

from .abi import abi_encode
from .blocks import Block, Header
from .executive import (BlockOutcome, Runtime, apply_block, block_env, block_template, build_block, call_readonly,
                        UnsignedCall, check_unsigned, compute_call_gas, seal_header, validate_transaction,
                        validate_unsigned)
from .fees import compute_base_fee, compute_intrinsic_gas
from .module import BlockEnv, Module
from .modules import balances, consensus, randomness, system
from .state import State, StateBackend
from .transactions import UNSIGNED, Transaction
from .trie import Trie
from .versions import RuntimeVersions


@dataclass(frozen=True)
class ValidTransaction:
    """What a pool needs to hold and order a transaction (Substrate's `ValidTransaction`)."""

    sender: bytes
    nonce: int
    ahead: int
    """How many of the sender's transactions must be included before this one (0: ready now)."""
    priority: int
    """The tip per gas it pays at the pending block's base fee."""

    @property
    def provides(self) -> tuple[bytes, int]:
        return (self.sender, self.nonce)

    @property
    def requires(self) -> tuple[tuple[bytes, int], ...]:
        return () if self.ahead == 0 else ((self.sender, self.nonce - 1),)


@dataclass(frozen=True)
class RuntimeVersion:
    spec_name: str
    spec_version: int


@dataclass(frozen=True)
class ModuleMetadata:
    """A module as clients see it: a contract at an address with a Solidity ABI."""

    name: str
    address: bytes
    abi: tuple[dict, ...]


@dataclass(frozen=True)
class ModuleCall:
    """A module call as a transaction carries it."""

    to: bytes
    data: bytes
    weight: int
    """The call's declared gas, beyond the transaction's intrinsic gas."""


@dataclass(frozen=True)
class EpochRandomness:
    epoch: int
    randomness: bytes
    epoch_length: int
    current: bool


def compute_metadata(runtime: Runtime) -> tuple[ModuleMetadata, ...]:
    return tuple(ModuleMetadata(m.name, m.address, tuple(m.abi())) for m in runtime.modules)


class RuntimeApi:
    def __init__(self, versions: RuntimeVersions | Runtime):
        self.versions = versions if isinstance(versions, RuntimeVersions) else RuntimeVersions((versions,))
        self._metadata: dict[int, tuple[ModuleMetadata, ...]] = {}

    def runtime_at(self, state: State) -> Runtime:
        """The runtime version that wrote `state`; UnknownRuntimeVersion if this node does not ship it."""
        return self.versions.at_state(state)

    # Metadata
    def version(self, state: State) -> RuntimeVersion:
        runtime = self.runtime_at(state)
        return RuntimeVersion(runtime.spec_name, runtime.spec_version)

    def metadata(self, state: State) -> tuple[ModuleMetadata, ...]:
        runtime = self.runtime_at(state)
        if runtime.spec_version not in self._metadata:
            self._metadata[runtime.spec_version] = compute_metadata(runtime)
        return self._metadata[runtime.spec_version]

    def is_module_address(self, state: State, address: bytes) -> bool:
        return address in self.runtime_at(state).by_address

    def module_named(self, state: State, name: str) -> Module:
        """A module's declarations (calls, views, events, errors), to encode calls to it."""
        return self.runtime_at(state).module(name)

    def module_address(self, state: State, name: str) -> bytes:
        return self.runtime_at(state).module(name).address

    def view(self, state: State, module: str, view: str, *args) -> tuple:
        """A module view (what `eth_call` answers ABI-encoded), with Python arguments and results.
        Raises DispatchError when the view refuses (an unknown task, say) and KeyError for a name
        the module does not declare."""
        declaration = next((v for v in self.module_named(state, module).views if v.name == view), None)
        if declaration is None:
            raise KeyError(f"module {module} has no view {view}")
        return declaration.handler(state, *args)

    def query(self, state: State, module: str, query: str, *args):
        """A module's named read beyond its ABI (see `Module.queries`), e.g. a task's `TaskSpec` record."""
        handler = self.module_named(state, module).queries.get(query)
        if handler is None:
            raise KeyError(f"module {module} has no query {query}")
        return handler(state, *args)

    def encode_call(self, state: State, module: str, call: str, args: list) -> ModuleCall:
        """The call data of `module.call(args)` (ABI-encoded, as any wallet would send it)."""
        runtime = self.runtime_at(state)
        target = runtime.module(module)
        declaration = next(c for c in target.calls if c.name == call)
        data = declaration.selector + abi_encode([p.type for p in declaration.params], args)
        return ModuleCall(target.address, data, compute_call_gas(runtime, target.address, data))

    # Chain parameters and accounts (AccountNonceApi)
    def chain_id(self, state: State) -> int:
        return system.ChainId.get(state)

    def account_nonce(self, state: State, address: bytes) -> int:
        return system.get_nonce(state, address)

    def account_balance(self, state: State, address: bytes) -> int:
        """Free FLOCK, what wallets show (eth_getBalance)."""
        return balances.free_balance(state, address)

    def known_authors(self, state: State) -> frozenset[bytes]:
        """Who may author a block near this state: the current epoch's authorities and the next's."""
        return frozenset(a for a, _ in consensus.Authorities.get(state)) | \
            frozenset(a for a, _ in consensus.NextAuthorities.get(state))

    def authorities_for_slot(self, state: State, slot: int) -> dict[bytes, int]:
        """{address: weight} of the set allowed to author `slot` after this state."""
        return dict(consensus.get_epoch_authorities(state, slot))

    def slot_duration_ms(self, state: State) -> int:
        return consensus.get_slot_duration(state)

    def voter_set(self, state: State):
        """The finality voters (address, weight) of this state's authority set."""
        return consensus.get_voter_set(state)

    def slot_claim(self, state: State, slot: int, author_secret: bytes):
        """This key's claim to author `slot` (a primary VRF claim or the secondary turn), or None."""
        return consensus.compute_slot_claim(state, slot, author_secret)

    def epoch_randomness(self, state: State, epoch: int | None = None) -> EpochRandomness | None:
        """An epoch's randomness (the current epoch's by default); None if the epoch was never reached."""
        current = randomness.EpochIndex.get(state)
        epoch = current if epoch is None else epoch
        value = randomness.RandomnessOf.get(state, epoch) if epoch < 2**64 else None
        if value is None:
            return None
        return EpochRandomness(epoch, value, randomness.EpochLength.get(state), epoch == current)

    # Transactions (TaggedTransactionQueue)
    def validate_transaction(self, state: State, env: BlockEnv, tx: Transaction,
                             call: UnsignedCall | None = None) -> ValidTransaction:
        """Whether `tx` may be included in the block `env` describes or, with `ahead` > 0, after the sender's
        earlier transactions; raises the InvalidTransaction that says why not. An unsigned call is held
        under the key and sequence its module names (one per key), never ahead."""
        if tx.tx_type == UNSIGNED:
            call = validate_unsigned(self.runtime_at(state), state, env, tx, env.gas_limit, call)
            return ValidTransaction(call.key, call.sequence, 0, 0)
        validate_transaction(state, env, tx, env.gas_limit, allow_future_nonce=True)
        account_nonce = system.get_nonce(state, tx.sender)
        return ValidTransaction(tx.sender, tx.nonce, tx.nonce - account_nonce,
                                tx.effective_gas_price(env.base_fee_per_gas) - env.base_fee_per_gas)

    def check_unsigned(self, state: State, tx: Transaction) -> UnsignedCall:
        """An unsigned call's cheap checks (no proof verified): its pool key, sequence and gas, and whether
        it has gone stale; raises the InvalidTransaction that says why it can never be valid."""
        return check_unsigned(self.runtime_at(state), state, tx)

    def estimate_gas(self, state: State, to: bytes | None, data: bytes, access_list=()) -> int:
        """The gas a transaction carrying this call declares: intrinsic plus the call's declared weight."""
        return compute_intrinsic_gas(data, access_list) + compute_call_gas(self.runtime_at(state), to, data)

    def call(self, backend: StateBackend, env: BlockEnv, sender: bytes, to: bytes, value: int,
             data: bytes) -> tuple[bool, bytes]:
        """`eth_call`: run a transfer or module call (or view) against a state; writes are thrown away.
        Returns (success, return data or revert data)."""
        return call_readonly(self.runtime_at(State(backend)), backend, env, sender, to, value, data)

    # Blocks (Core, BlockBuilder)
    def next_base_fee(self, parent: Header) -> int:
        return compute_base_fee(parent.gas_limit, parent.gas_used, parent.base_fee_per_gas)

    def pending_env(self, parent: Header) -> BlockEnv:
        """The next block as far as it is known before it is built: what the pool checks against."""
        return replace(block_env(parent), number=parent.number + 1, base_fee_per_gas=self.next_base_fee(parent))

    def call_env(self, header: Header) -> BlockEnv:
        """The environment a read-only call at `header` runs in: the block after it, at its base fee."""
        return replace(block_env(header), number=header.number + 1)

    def block_template(self, state: State, parent: Header, author_secret: bytes, timestamp: int, slot: int,
                       claim=None) -> Header:
        return block_template(state, parent, author_secret, timestamp, slot, claim)

    def build_block(self, backend: StateBackend, trie: Trie, parent: Header, template: Header, candidates):
        """Author a block of the candidates that apply: (outcome, [(refused transaction, why)]). Raises
        UnknownRuntimeVersion when the block must run a version this node does not ship."""
        runtime = self.versions.for_block(State(backend), template.number)
        return build_block(runtime, backend, trie, parent, template, candidates)

    def seal_header(self, header: Header, author_secret: bytes, chain_id: int) -> Header:
        return seal_header(header, author_secret, chain_id)

    def import_block(self, backend: StateBackend, trie: Trie, parent: Header, block: Block,
                     transactions: list[Transaction] | None = None) -> BlockOutcome:
        """Check every rule and execute; raises InvalidBlock and writes nothing when one fails, and
        UnknownRuntimeVersion when the block must run a version this node does not ship."""
        runtime = self.versions.for_block(State(backend), block.header.number)
        return apply_block(runtime, backend, trie, parent, block, transactions)
