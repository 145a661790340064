"""Write the conformance vectors from the case functions: `make vectors`."""

import json

from .arena_cases import ARENA_CASES
from .bridge_cases import BRIDGE_CASES
from .cases import CASES
from .consensus_cases import CONSENSUS_CASES
from .fl_alliance_cases import FL_ALLIANCE_CASES
from .fl_commitment_cases import FL_COMMITMENT_CASES
from .governance_cases import GOVERNANCE_CASES
from .marketplace_cases import MARKETPLACE_CASES
from .rewards_cases import REWARDS_CASES
from .ring_cases import RING_CASES
from .runner import VECTOR_DIR
from .sampling_cases import SAMPLING_CASES
from .slashing_cases import SLASHING_CASES
from .staking_cases import STAKING_CASES
from .treasury_cases import TREASURY_CASES

ALL_CASES = (CASES + SAMPLING_CASES + STAKING_CASES + REWARDS_CASES + SLASHING_CASES + TREASURY_CASES + FL_ALLIANCE_CASES
             + FL_COMMITMENT_CASES + CONSENSUS_CASES + BRIDGE_CASES + GOVERNANCE_CASES + ARENA_CASES
             + RING_CASES + MARKETPLACE_CASES)


def main() -> None:
    for case in ALL_CASES:
        vector = case()
        directory = VECTOR_DIR / vector.folder
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{vector.name}.json").write_text(json.dumps(vector.to_json(), indent=1) + "\n")
        print(f"wrote {vector.folder}/{vector.name}")


if __name__ == "__main__":
    main()
