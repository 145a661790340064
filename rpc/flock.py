"""flock_ methods: the runtime modules as contracts (name, address, ABI), and FL chain state."""

from runtime.modules import randomness

from .params import QUANTITY, to_checksum, to_data, to_hex
from .registry import Param, Registry

registry = Registry()


def describe_modules(runtime) -> list[dict]:
    """Each module's name, precompile address and Solidity ABI — what `flockchain abi` prints too."""
    return [{"name": m.name, "address": to_checksum(m.address), "abi": m.abi()} for m in runtime.modules]


@registry.method("flock_modules", result="modules")
def flock_modules(ctx):
    """Every runtime module as {name, address, abi}: use them with any contract library."""
    return describe_modules(ctx.node.runtime)


@registry.method("flock_getRandomness", (Param("epoch", QUANTITY, None),), "epoch randomness or null")
def flock_get_randomness(ctx, epoch):
    """An epoch's randomness (the current epoch by default), as roles and draws use it; null if never reached."""
    state = ctx.node.state()
    current = randomness.EpochIndex.get(state)
    epoch = current if epoch is None else epoch
    if epoch >= 2**64:
        return None
    value = randomness.RandomnessOf.get(state, epoch)
    if value is None:
        return None
    length = randomness.EpochLength.get(state)
    return {"epoch": to_hex(epoch), "randomness": to_data(value), "epochLength": to_hex(length),
            "firstSlot": to_hex(epoch * length), "current": epoch == current}
