"""system: chain identity, account nonces, recent block hashes, the root origin.

Block authorities live in the consensus module (weighted, per epoch).

Two origins are privileged: the governance origin (the governance module's address, which
the calls of a passed proposal carry) and, where a genesis names one, Root (Substrate's sudo
key, a dev chain's shortcut). The few calls that bypass the ordinary rules (a forced balance,
a parameter change, a treasury spend) check `ensure_root` first, so they still reach state
only through signed, included transactions that anyone re-executing the block can verify.

Events are not kept in state: each call's events become logs in its receipt, which the
receipts root commits to (Substrate keeps them in storage for one block; Ethereum clients
read them from receipts).
"""

from ..exceptions import DispatchError
from ..module import BlockEnv, ErrorDecl, Module, Parameter, ViewDecl, module_address
from ..state import State
from ..storage import ADDRESS, HASH32, U64, StorageMap, StorageValue

NAME = "system"
ADDRESS_ = module_address(0)
GOVERNANCE_ORIGIN = module_address(11)
"""The governance module's address: the origin of every call a passed proposal executes."""
BLOCK_HASH_COUNT = 256
"""How many recent block hashes stay readable (Ethereum's BLOCKHASH window)."""

# Parameters
ChainId = StorageValue(NAME, "ChainId", U64, 0)
BlockGasLimit = StorageValue(NAME, "BlockGasLimit", U64, 30_000_000)

# Storage
AccountNonce = StorageMap(NAME, "AccountNonce", ADDRESS, U64, 0)
BlockHash = StorageMap(NAME, "BlockHash", U64, HASH32, None)
Root = StorageValue(NAME, "Root", ADDRESS, None)
BlockNumber = StorageValue(NAME, "BlockNumber", U64, 0)
"""The block being executed (between blocks, the head's): what `block.number` is to a view."""
Timestamp = StorageValue(NAME, "Timestamp", U64, 0)
"""That block's timestamp (Substrate's `Timestamp::Now`): what `block.timestamp` is to a view."""

# Errors
NotRoot = ErrorDecl("NotRoot(address caller)")


def get_nonce(state: State, account: bytes) -> int:
    return AccountNonce.get(state, account)


def increment_nonce(state: State, account: bytes) -> None:
    """Nonces only grow; EIP-2681 caps them below 2**64 - 1."""
    nonce = AccountNonce.get(state, account)
    AccountNonce.set(state, account, nonce + 1)


def ensure_root(state: State, sender: bytes) -> None:
    """Fail the call unless the sender is privileged: the governance origin, or Root where one is set."""
    if sender != GOVERNANCE_ORIGIN and (Root.get(state) is None or sender != Root.get(state)):
        raise DispatchError(NotRoot, sender)


def current_block(state: State) -> int:
    return BlockNumber.get(state)


def current_time(state: State) -> int:
    return Timestamp.get(state)


def on_initialize(state: State, env: BlockEnv) -> None:
    BlockNumber.set(state, env.number)
    Timestamp.set(state, env.timestamp)
    if env.number >= 1:
        BlockHash.set(state, env.number - 1, env.parent_hash)
    if env.number > BLOCK_HASH_COUNT:
        BlockHash.remove(state, env.number - 1 - BLOCK_HASH_COUNT)


def parse_address(text: str) -> bytes:
    address = bytes.fromhex(text.removeprefix("0x"))
    if len(address) != 20:
        raise ValueError(f"{text!r} is not a 20-byte address")
    return address


def genesis(state: State, config: dict) -> None:
    """config: chainId, blockGasLimit (optional), root (optional hex address)."""
    if "authorities" in config:
        raise ValueError("system.authorities moved: block authorities are consensus.authorities")
    ChainId.set(state, int(config["chainId"]))
    BlockGasLimit.set(state, int(config.get("blockGasLimit", BlockGasLimit.default)))
    if config.get("root"):
        Root.set(state, parse_address(config["root"]))


def check_invariants(state: State) -> None:
    assert ChainId.get(state) > 0, "chain id is set"
    assert sum(1 for _ in BlockHash.items(state)) <= BLOCK_HASH_COUNT, "at most 256 block hashes kept"
    for account, nonce in AccountNonce.items(state):
        assert len(account) == 20 and 0 < nonce < 2**64 - 1
    root = Root.get(state)
    assert root is None or len(root) == 20, "root, when set, is an address"


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    views=(
        ViewDecl("chainId()", lambda state: (ChainId.get(state),), ("uint64",)),
        ViewDecl("nonceOf(address account)", lambda state, a: (get_nonce(state, a),), ("uint64",)),
        ViewDecl("blockHash(uint64 number)", lambda state, n: (BlockHash.get(state, n) or b"\x00" * 32,), ("bytes32",)),
        ViewDecl("root()", lambda state: (Root.get(state) or b"\x00" * 20,), ("address",)),
    ),
    parameters={"ChainId": Parameter(ChainId), "BlockGasLimit": Parameter(BlockGasLimit, 1_000_000, 100_000_000)},
    authorize=ensure_root,
    on_initialize=on_initialize,
    genesis=genesis,
    check_invariants=check_invariants,
)
