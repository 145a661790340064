"""Write the conformance vectors from the case functions: `make vectors`."""

import json

from .cases import CASES
from .runner import VECTOR_DIR


def main() -> None:
    directory = VECTOR_DIR / "executive"
    directory.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        vector = case()
        (directory / f"{vector.name}.json").write_text(json.dumps(vector.to_json(), indent=1) + "\n")
        print(f"wrote {vector.name}")


if __name__ == "__main__":
    main()
