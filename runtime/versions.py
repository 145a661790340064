"""The runtime versions a node ships, and which one runs a given block (spec/upgrades.md).

Substrate keeps the runtime's code in state and every node runs what the chain says. Here a
runtime is Python that ships with the node, so a node carries a registry of versions; the chain
only stores the version number that wrote the state and the upgrade a passed proposal scheduled.
A node asked to run a version it does not ship stops (`UnknownRuntimeVersion`) rather than execute
the block under rules the chain has left behind and fork off silently.
"""

from dataclasses import dataclass

from .executive import Runtime
from .modules import system
from .state import State


class UnknownRuntimeVersion(Exception):
    """This node does not ship the runtime version a block needs: the node must be upgraded. Not
    InvalidBlock: the block may be perfectly valid, the node is out of date."""

    def __init__(self, number: int, needed: int, known: int):
        super().__init__(f"block {number} needs runtime spec_version {needed}; this node knows up to {known}: "
                         f"upgrade the node")
        self.number, self.needed, self.known = number, needed, known


@dataclass(frozen=True)
class RuntimeVersions:
    """Consecutive runtime versions of one spec name, oldest first."""

    runtimes: tuple[Runtime, ...]

    def __post_init__(self):
        versions = [r.spec_version for r in self.runtimes]
        if not versions or versions != list(range(versions[0], versions[0] + len(versions))):
            raise ValueError(f"runtime versions must be consecutive, oldest first: {versions}")
        if len({r.spec_name for r in self.runtimes}) != 1:
            raise ValueError("every runtime version has the same spec name")

    @property
    def latest(self) -> Runtime:
        return self.runtimes[-1]

    def get(self, spec_version: int, number: int = 0) -> Runtime:
        """The runtime of `spec_version`; UnknownRuntimeVersion (naming block `number`) if not shipped."""
        for runtime in self.runtimes:
            if runtime.spec_version == spec_version:
                return runtime
        raise UnknownRuntimeVersion(number, spec_version, self.latest.spec_version)

    def up_to(self, spec_version: int) -> "RuntimeVersions":
        """The versions an older release of this node would ship (to rehearse an upgrade)."""
        return RuntimeVersions(tuple(r for r in self.runtimes if r.spec_version <= spec_version))

    def at_state(self, state: State) -> Runtime:
        """The runtime that wrote `state`: the one that answers views and calls against it."""
        return self.get(system.SpecVersion.get(state), system.BlockNumber.get(state))

    def for_block(self, parent_state: State, number: int) -> Runtime:
        """The runtime that executes block `number` on its parent's state (a scheduled upgrade applies
        from its block on)."""
        return self.get(system.compute_block_spec_version(parent_state, number), number)
