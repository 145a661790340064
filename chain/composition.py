"""The runtime this node runs: which modules, in what order (the hook order), at which addresses.

This is the one place the module list is written down; the genesis builder, the
conformance runner and the tests receive it from here.
"""

from fl_module import alliance
from runtime.executive import Runtime
from runtime.modules import (balances, bridge, consensus, gmflock, governance, randomness, rewards, slashing, staking,
                             system, treasury)

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
    ),
    spec_name="flockchain",
    spec_version=1,
)
