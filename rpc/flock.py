"""flock_ methods: the runtime modules as contracts (name, address, ABI)."""

from .params import to_checksum
from .registry import Registry

registry = Registry()


def describe_modules(runtime) -> list[dict]:
    """Each module's name, precompile address and Solidity ABI — what `flockchain abi` prints too."""
    return [{"name": m.name, "address": to_checksum(m.address), "abi": m.abi()} for m in runtime.modules]


@registry.method("flock_modules", result="modules")
def flock_modules(ctx):
    """Every runtime module as {name, address, abi}: use them with any contract library."""
    return describe_modules(ctx.node.runtime)
