"""An in-memory chain for runtime tests: genesis, authoring and import over dict storage.

It drives the same executive functions as the node, without LevelDB, so property tests
can run thousands of blocks quickly.
"""

from dataclasses import replace

from chain.composition import RUNTIME
from chain.devkeys import dev_keys
from genesis.builder import build_genesis, load_spec
from runtime.blocks import Block, Header
from runtime.executive import BlockOutcome, apply_block, block_template, build_block, seal_header
from runtime.state import MemoryBackend, State
from runtime.transactions import DYNAMIC_FEE, sign_transaction
from runtime.trie import Trie

SPEC = load_spec("dev")
ACCOUNTS, AUTHORITY = dev_keys(SPEC)
CHAIN_ID = 31337


class MemoryChain:
    def __init__(self, spec: dict = SPEC, runtime=RUNTIME):
        self.runtime = runtime
        genesis = build_genesis(spec, runtime)
        self.backend = MemoryBackend(genesis.state)
        self.nodes = dict(genesis.trie_nodes)
        self.head: Header = genesis.header
        self.outcomes: list[BlockOutcome] = []

    def state(self) -> State:
        return State(self.backend)

    def trie(self) -> Trie:
        return Trie(self.nodes, self.head.state_root)

    def template(self, timestamp: int | None = None, slot: int | None = None) -> Header:
        parent = self.head
        return block_template(self.state(), parent, AUTHORITY.private_key,
                              parent.timestamp + 1 if timestamp is None else timestamp,
                              parent.slot + 1 if slot is None else slot)

    def author(self, transactions, timestamp: int | None = None, slot: int | None = None):
        """Build and seal a block from decoded transactions; returns (outcome, rejected). Commits it."""
        outcome, rejected = build_block(self.runtime, self.backend, self.trie(), self.head, self.template(timestamp, slot),
                                        transactions)
        header = seal(outcome.block.header)
        outcome = replace(outcome, block=Block(header, outcome.block.transactions))
        self.commit(outcome)
        return outcome, rejected

    def import_block(self, block: Block) -> BlockOutcome:
        outcome = apply_block(self.runtime, self.backend, self.trie(), self.head, block)
        self.commit(outcome)
        return outcome

    def commit(self, outcome: BlockOutcome) -> None:
        self.outcomes.append(outcome)
        self.backend.apply(outcome.changes)
        self.nodes.update(outcome.trie_nodes)
        self.head = outcome.block.header

    def check_invariants(self) -> None:
        state = self.state()
        for module in self.runtime.modules:
            module.check_invariants(state)


def seal(header: Header, key: bytes = AUTHORITY.private_key) -> Header:
    return seal_header(header, key)


def transfer(sender_index: int, nonce: int, to: bytes, value: int, max_fee: int = 10**10, tip: int = 10**9,
             gas: int = 21_000, data: bytes = b"", tx_type: int = DYNAMIC_FEE, chain_id: int = CHAIN_ID) -> bytes:
    return sign_transaction(ACCOUNTS[sender_index].private_key, tx_type, chain_id=chain_id, nonce=nonce, gas_limit=gas,
                            to=to, value=value, data=data, max_fee_per_gas=max_fee, max_priority_fee_per_gas=tip)


def call_data(module, name: str, *args) -> bytes:
    """ABI call data for a module's call or view by name."""
    from eth_abi import encode
    declaration = next(d for d in (*module.calls, *module.views) if d.name == name)
    return declaration.selector + encode([p.type for p in declaration.params], list(args))


def module_call(sender: int, nonce: int, module, name: str, *args, value: int = 0, gas: int = 200_000) -> bytes:
    """A dev account's signed call to a runtime module (`module` is the module's Module value)."""
    return transfer(sender, nonce, module.address, value, gas=gas, data=call_data(module, name, *args))


def root_call(nonce: int, module, name: str, *args, value: int = 0, gas: int = 200_000) -> bytes:
    """The same, signed by the dev chain's root (its authority key)."""
    return sign_transaction(AUTHORITY.private_key, DYNAMIC_FEE, chain_id=CHAIN_ID, nonce=nonce, gas_limit=gas,
                            to=module.address, value=value, data=call_data(module, name, *args),
                            max_fee_per_gas=10**10, max_priority_fee_per_gas=10**9)
