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

from dataclasses import dataclass

from ..exceptions import DispatchError
from ..module import BlockEnv, CallDecl, CallEnv, ErrorDecl, EventDecl, Module, Parameter, ViewDecl, module_address
from ..records import RecordCodec, Uint32, Uint64
from ..state import State
from ..storage import ADDRESS, HASH32, U32, U64, StorageMap, StorageValue

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

SpecVersion = StorageValue(NAME, "SpecVersion", U32, 1)
"""The runtime version that wrote this state (spec/upgrades.md); a chain starts at 1 unless its genesis
says otherwise."""


@dataclass(frozen=True)
class UpgradeRecord:
    spec_version: Uint32
    at_block: Uint64


ScheduledUpgrade = StorageValue(NAME, "ScheduledUpgrade", RecordCodec(UpgradeRecord), None)
"""The runtime version every node switches to at the start of block `at_block`."""

# Events
UpgradeScheduled = EventDecl("UpgradeScheduled(uint32 specVersion,uint64 atBlock)")
UpgradeCanceled = EventDecl("UpgradeCanceled(uint32 specVersion,uint64 atBlock)")

# Errors
NotRoot = ErrorDecl("NotRoot(address caller)")
UpgradeNotNewer = ErrorDecl("UpgradeNotNewer(uint32 specVersion,uint32 current)")
UpgradeNotInFuture = ErrorDecl("UpgradeNotInFuture(uint64 atBlock,uint64 current)")
NoUpgradeScheduled = ErrorDecl("NoUpgradeScheduled()")


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


def compute_block_spec_version(state: State, number: int) -> int:
    """The runtime version block `number` runs after this (its parent's) state."""
    scheduled = ScheduledUpgrade.get(state)
    if scheduled is not None and number >= scheduled.at_block:
        return scheduled.spec_version
    return SpecVersion.get(state)


def call_schedule_upgrade(state: State, env: CallEnv, spec_version: int, at_block: int) -> None:
    """Privileged: from block `at_block` on, blocks run runtime `spec_version` (replacing any scheduled
    upgrade). The chain does not know which versions nodes ship: one that lacks it stops at that block."""
    ensure_root(state, env.sender)
    current = SpecVersion.get(state)
    if spec_version <= current:
        raise DispatchError(UpgradeNotNewer, spec_version, current)
    if at_block <= env.block_number:
        raise DispatchError(UpgradeNotInFuture, at_block, env.block_number)
    ScheduledUpgrade.set(state, UpgradeRecord(spec_version, at_block))
    env.emit(UpgradeScheduled.to_log(ADDRESS_, spec_version, at_block))


def call_cancel_upgrade(state: State, env: CallEnv) -> None:
    ensure_root(state, env.sender)
    scheduled = ScheduledUpgrade.get(state)
    if scheduled is None:
        raise DispatchError(NoUpgradeScheduled)
    ScheduledUpgrade.set(state, None)
    env.emit(UpgradeCanceled.to_log(ADDRESS_, scheduled.spec_version, scheduled.at_block))


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
    """config: chainId, blockGasLimit (optional), root (optional hex address), specVersion (optional, 1)."""
    if "authorities" in config:
        raise ValueError("system.authorities moved: block authorities are consensus.authorities")
    ChainId.set(state, int(config["chainId"]))
    BlockGasLimit.set(state, int(config.get("blockGasLimit", BlockGasLimit.default)))
    if config.get("root"):
        Root.set(state, parse_address(config["root"]))
    SpecVersion.set(state, int(config.get("specVersion", 1)))


def check_invariants(state: State) -> None:
    assert ChainId.get(state) > 0, "chain id is set"
    assert sum(1 for _ in BlockHash.items(state)) <= BLOCK_HASH_COUNT, "at most 256 block hashes kept"
    for account, nonce in AccountNonce.items(state):
        assert len(account) == 20 and 0 < nonce < 2**64 - 1
    root = Root.get(state)
    assert root is None or len(root) == 20, "root, when set, is an address"
    scheduled = ScheduledUpgrade.get(state)
    assert scheduled is None or scheduled.spec_version > SpecVersion.get(state), "an upgrade only goes forward"


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    views=(
        ViewDecl("chainId()", lambda state: (ChainId.get(state),), ("uint64",)),
        ViewDecl("nonceOf(address account)", lambda state, a: (get_nonce(state, a),), ("uint64",)),
        ViewDecl("blockHash(uint64 number)", lambda state, n: (BlockHash.get(state, n) or b"\x00" * 32,), ("bytes32",)),
        ViewDecl("root()", lambda state: (Root.get(state) or b"\x00" * 20,), ("address",)),
        ViewDecl("specVersion()", lambda state: (SpecVersion.get(state),), ("uint32",)),
        ViewDecl("scheduledUpgrade()", lambda state: (lambda u: (u.spec_version, u.at_block) if u else (0, 0))(
            ScheduledUpgrade.get(state)), ("uint32", "uint64")),
    ),
    calls=(
        CallDecl("scheduleUpgrade(uint32 specVersion,uint64 atBlock)", call_schedule_upgrade, weight=10_000),
        CallDecl("cancelUpgrade()", call_cancel_upgrade, weight=10_000),
    ),
    parameters={"ChainId": Parameter(ChainId), "BlockGasLimit": Parameter(BlockGasLimit, 1_000_000, 100_000_000)},
    authorize=ensure_root,
    on_initialize=on_initialize,
    genesis=genesis,
    check_invariants=check_invariants,
)
