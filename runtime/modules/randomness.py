"""randomness: epochs of slots, VRF outputs folded into epoch randomness (BABE's scheme).

Every block carries its author's VRF output and proof over
`vrf_input = randomness(epoch) ‖ uint64(slot) ‖ uint64(epoch)`, epoch = slot // EpochLength.
The outputs of epoch N are folded into the randomness of epoch N + 2, fixed when epoch N
ends: an author who could bias epoch N's outputs can no longer change the draw of the
epoch they already know (the current and the next are fixed).

    at the first block of a new epoch e (after epoch p):
        Randomness     ← NextRandomness                       (fixed one epoch ago)
        NextRandomness ← keccak256(NextRandomness ‖ uint64(e + 1) ‖ Accumulator)
        Accumulator    ← 0
    every block:  Accumulator ← keccak256(Accumulator ‖ vrf_output)

Skipped epochs (no blocks) contribute nothing; the rotation happens once. Epochs 0 and 1
use the genesis randomness.
"""

from ..crypto import keccak256
from ..crypto.ecvrf import verify
from ..exceptions import InvalidBlock
from ..module import BlockEnv, Module, Parameter, ViewDecl, module_address
from ..state import State
from . import system
from ..storage import HASH32, U64, StorageMap, StorageValue

NAME = "randomness"
ADDRESS_ = module_address(2)
ZERO = b"\x00" * 32

# Parameters
EpochLength = StorageValue(NAME, "EpochLength", U64, 100)

# Storage
EpochIndex = StorageValue(NAME, "EpochIndex", U64, 0)
Randomness = StorageValue(NAME, "Randomness", HASH32, ZERO)
NextRandomness = StorageValue(NAME, "NextRandomness", HASH32, ZERO)
Accumulator = StorageValue(NAME, "Accumulator", HASH32, ZERO)
RandomnessOf = StorageMap(NAME, "RandomnessOf", U64, HASH32, None)
"""The randomness of every epoch that has had a block, for anyone to check a draw later."""


def u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def compute_epoch(state: State, slot: int) -> int:
    return slot // EpochLength.get(state)


def get_epoch_randomness(state: State, epoch: int) -> bytes:
    """The randomness a block in `epoch` uses, read from its parent's state (before any rotation)."""
    return Randomness.get(state) if epoch == EpochIndex.get(state) else NextRandomness.get(state)


def compute_vrf_input(state: State, slot: int) -> bytes:
    """What the author of a block at `slot` proves its VRF over (given the parent's state)."""
    epoch = compute_epoch(state, slot)
    return get_epoch_randomness(state, epoch) + u64(slot) + u64(epoch)


def verify_block_vrf(state: State, slot: int, public_key: bytes, vrf_output: bytes, vrf_proof: bytes) -> None:
    """Header rule: the proof verifies for the author over the slot's VRF input and yields vrf_output."""
    if compute_epoch(state, slot) < EpochIndex.get(state):
        raise InvalidBlock("slot belongs to an epoch before the current one")
    output = verify(public_key, vrf_proof, compute_vrf_input(state, slot))
    if output is None:
        raise InvalidBlock("VRF proof does not verify for the block's author")
    if output != vrf_output:
        raise InvalidBlock("vrfOutput is not the output of vrfProof")


def compute_role_seed(randomness: bytes, task_id: int, round_: int, role: bytes) -> bytes:
    """Seed for drawing an FL task's roles: keccak256(randomness ‖ uint64 task ‖ uint64 round ‖ role)."""
    return keccak256(randomness + u64(task_id) + u64(round_) + role)


def on_initialize(state: State, env: BlockEnv) -> None:
    epoch = compute_epoch(state, env.slot)
    if epoch > EpochIndex.get(state):
        current = NextRandomness.get(state)
        Randomness.set(state, current)
        NextRandomness.set(state, keccak256(current + u64(epoch + 1) + Accumulator.get(state)))
        Accumulator.set(state, ZERO)
        EpochIndex.set(state, epoch)
        RandomnessOf.set(state, epoch, current)
    Accumulator.set(state, keccak256(Accumulator.get(state) + env.vrf_output))


def genesis(state: State, config: dict) -> None:
    """config: epochLength (slots, default 100), genesisRandomness (32 bytes hex, default zero)."""
    EpochLength.set(state, int(config.get("epochLength", EpochLength.default)))
    seed = bytes.fromhex(config.get("genesisRandomness", "00" * 32).removeprefix("0x"))
    if len(seed) != 32:
        raise ValueError("genesisRandomness must be 32 bytes")
    Randomness.set(state, seed)
    NextRandomness.set(state, seed)
    RandomnessOf.set(state, 0, seed)


def check_invariants(state: State) -> None:
    assert EpochLength.get(state) > 0, "epochs have at least one slot"
    epoch = EpochIndex.get(state)
    assert RandomnessOf.get(state, epoch) == Randomness.get(state), "the current epoch's randomness is recorded"


def randomness_view(state: State, epoch: int) -> tuple:
    return (RandomnessOf.get(state, epoch) or ZERO,)


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    views=(
        ViewDecl("currentEpoch()", lambda state: (EpochIndex.get(state),), ("uint64",)),
        ViewDecl("epochLength()", lambda state: (EpochLength.get(state),), ("uint64",)),
        ViewDecl("randomness(uint64 epoch)", randomness_view, ("bytes32",)),
    ),
    parameters={"EpochLength": Parameter(EpochLength)},
    authorize=system.ensure_root,
    raises=(system.NotRoot,),
    on_initialize=on_initialize,
    genesis=genesis,
    check_invariants=check_invariants,
)
