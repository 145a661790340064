"""An in-memory chain for runtime tests: genesis, authoring and import over dict storage.

It drives the same executive functions as the node, without LevelDB, so property tests
can run thousands of blocks quickly.
"""

from dataclasses import replace

from chain.composition import RUNTIME
from chain.devkeys import dev_keys
from genesis.builder import build_genesis, compute_genesis_spec_version, load_spec
from genesis.local import build_local_spec
from runtime import finality
from runtime.blocks import ZERO_HASH, Block, Header
from runtime.crypto import keccak256
from runtime.executive import BlockOutcome, Runtime, apply_block, block_template, build_block, seal_header
from runtime.modules import consensus, system
from runtime.state import MemoryBackend, State
from runtime.transactions import DYNAMIC_FEE, sign_transaction
from runtime.trie import Trie
from runtime.versions import RuntimeVersions

SPEC = load_spec("dev")
ACCOUNTS, AUTHORITY = dev_keys(SPEC)
CHAIN_ID = 31337
LOCAL_VALIDATORS = 4
"""Dev accounts 0 … 3 are the validators of `local_spec()`."""
VALIDATOR_KEYS = [a.private_key for a in ACCOUNTS[:LOCAL_VALIDATORS]]


def local_spec(**options) -> dict:
    """genesis/local.py's testnet spec for validators 0 … 3 (the rest of the dev accounts endowed), on the
    dev chain id so the transaction helpers here sign for it."""
    hex_addresses = ["0x" + a.address.hex() for a in ACCOUNTS]
    return build_local_spec(hex_addresses[:LOCAL_VALIDATORS], chain_id=CHAIN_ID,
                            endowed=hex_addresses[LOCAL_VALIDATORS:], **options)


class MemoryChain:
    def __init__(self, spec: dict = SPEC, runtime: Runtime | RuntimeVersions = RUNTIME):
        self.versions = runtime if isinstance(runtime, RuntimeVersions) else RuntimeVersions((runtime,))
        genesis = build_genesis(spec, self.versions.get(compute_genesis_spec_version(spec)))
        self.backend = MemoryBackend(genesis.state)
        self.nodes = dict(genesis.trie_nodes)
        self.head: Header = genesis.header
        self.outcomes: list[BlockOutcome] = []

    def state(self) -> State:
        return State(self.backend)

    @property
    def runtime(self) -> Runtime:
        """The runtime the next block runs (a scheduled upgrade switches it)."""
        return self.versions.for_block(self.state(), self.head.number + 1)

    def trie(self) -> Trie:
        return Trie(self.nodes, self.head.state_root)

    def template(self, timestamp: int | None = None, slot: int | None = None,
                 key: bytes = AUTHORITY.private_key) -> Header:
        parent = self.head
        return block_template(self.state(), parent, key, parent.timestamp + 1 if timestamp is None else timestamp,
                              parent.slot + 1 if slot is None else slot)

    def author(self, transactions, timestamp: int | None = None, slot: int | None = None,
               key: bytes = AUTHORITY.private_key):
        """Build and seal a block from decoded transactions; returns (outcome, rejected). Commits it
        without checking the header (the dev authority may author any slot)."""
        outcome, rejected = build_block(self.runtime, self.backend, self.trie(), self.head,
                                        self.template(timestamp, slot, key), transactions)
        header = seal(outcome.block.header, key, self.chain_id)
        outcome = replace(outcome, block=Block(header, outcome.block.transactions))
        self.commit(outcome)
        return outcome, rejected

    def produce(self, transactions, keys, slot: int | None = None, timestamp: int | None = None):
        """As a network of validators holding `keys` would: from `slot` (default: the parent's + 1) on,
        the first slot one of them may claim (consensus.compute_slot_claim, the first key that can)
        gets a block by that key, imported through every header rule. Returns (outcome, rejected)."""
        slot = self.head.slot + 1 if slot is None else slot
        state = self.state()
        while True:
            claims = ((key, consensus.compute_slot_claim(state, slot, key)) for key in keys)
            found = next(((key, claim) for key, claim in claims if claim is not None), None)
            if found is not None:
                break
            slot += 1
        key, claim = found
        parent = self.head
        template = block_template(state, parent, key, parent.timestamp + 1 if timestamp is None else timestamp, slot,
                                  claim)
        built, rejected = build_block(self.runtime, self.backend, self.trie(), parent, template, transactions)
        block = Block(seal(built.block.header, key, self.chain_id), built.block.transactions)
        return self.import_block(block), rejected

    def import_block(self, block: Block) -> BlockOutcome:
        outcome = apply_block(self.runtime, self.backend, self.trie(), self.head, block)
        self.commit(outcome)
        return outcome

    @property
    def chain_id(self) -> int:
        return system.ChainId.get(self.state())

    def commit(self, outcome: BlockOutcome) -> None:
        self.outcomes.append(outcome)
        self.backend.apply(outcome.changes)
        self.nodes.update(outcome.trie_nodes)
        self.head = outcome.block.header

    def check_invariants(self) -> None:
        state = self.state()
        for module in self.versions.at_state(state).modules:
            module.check_invariants(state)


def seal(header: Header, key: bytes = AUTHORITY.private_key, chain_id: int = CHAIN_ID) -> Header:
    return seal_header(header, key, chain_id)


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


def signed_header(signer: int, slot: int, salt: int = 0, author: int | None = None, chain_id: int = CHAIN_ID) -> Header:
    """Evidence for equivocation reports: a header sealed by dev account `signer`, naming `author`
    (default: the signer) at `slot`; `salt` makes headers differ. Not a valid block, only a signed one."""
    header = Header(parent_hash=keccak256(bytes([salt])), number=3, timestamp=salt,
                    author=ACCOUNTS[signer if author is None else author].address, state_root=ZERO_HASH,
                    transactions_root=ZERO_HASH, receipts_root=ZERO_HASH, logs_bloom=bytes(256), gas_limit=30_000_000,
                    gas_used=0, base_fee_per_gas=10**9, slot=slot, vrf_output=ZERO_HASH, vrf_proof=bytes(81))
    return seal(header, ACCOUNTS[signer].private_key, chain_id)


def signed_vote(signer: int, round_: int = 1, stage: int = finality.PREVOTE, target: int = 1, set_id: int = 0,
                chain_id: int = CHAIN_ID) -> finality.SignedVote:
    """A finality vote by dev account `signer` for a made-up block numbered `target`."""
    return finality.sign_vote(ACCOUNTS[signer].private_key, chain_id, set_id, round_, stage,
                              keccak256(bytes([target])), target)
