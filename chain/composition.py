"""The runtime versions this node ships: which modules, in what order (the hook order), at which
addresses, and the migrations between versions (spec/upgrades.md).

This is the one place the module list is written down; the genesis builder, the
conformance runner and the tests receive it from here. A chain starts at the version its
genesis names (1 unless it says otherwise) and moves on by `system.scheduleUpgrade`.
"""

from arena import module as arena
from fl_module import alliance
from marketplace import module as marketplace
from runtime.executive import Migration, Runtime
from runtime.modules import (balances, bridge, consensus, gmflock, governance, randomness, rewards, slashing, staking,
                             system, treasury, utility)
from runtime.versions import RuntimeVersions

RUNTIME = Runtime(
    modules=(
        system.MODULE,
        balances.MODULE,
        randomness.MODULE,
        consensus.MODULE,
        staking.MODULE,
        slashing.MODULE,
        rewards.MODULE,
        gmflock.MODULE,
        treasury.MODULE,
        alliance.MODULE,
        bridge.MODULE,
        governance.MODULE,
        arena.MODULE,
        marketplace.MODULE,
    ),
    spec_name="flockchain",
    spec_version=1,
)
"""Version 1: what every chain spec of this repository starts at."""

RUNTIME_V2 = Runtime(
    modules=RUNTIME.modules + (utility.MODULE,),
    spec_name="flockchain",
    spec_version=2,
    migrations=(Migration(1, "utility: MaxCalls starts at its default", utility.migrate_from_version_1),),
)
"""Version 2 adds `utility.batchAll` (several calls, all or none)."""

RUNTIME_VERSIONS = RuntimeVersions((RUNTIME, RUNTIME_V2))
