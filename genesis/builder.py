"""Turn a chain spec into genesis state, its root and the genesis header.

The runtime's module list is an argument (the node decides which runtime it runs).
Each module's `genesis` hook receives `spec["genesis"]["runtime"][module name]`.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from runtime.blocks import ZERO_ADDRESS, ZERO_HASH, Header
from runtime.crypto import keccak256
from runtime.executive import Runtime, compute_state_root
from runtime.modules import system
from runtime.state import MemoryBackend, State
from runtime.trie import EMPTY_ROOT

SPEC_DIR = Path(__file__).parent


class ChainSpecError(ValueError):
    """The chain spec is not usable (missing or malformed fields)."""


@dataclass(frozen=True)
class Genesis:
    header: Header
    state: dict[bytes, bytes]
    trie_nodes: dict[bytes, bytes]

    @property
    def hash(self) -> bytes:
        return self.header.hash


def load_spec(name_or_path: str) -> dict:
    """A spec by name (`dev` → genesis/dev.json) or by path."""
    path = Path(name_or_path)
    if not path.exists():
        path = SPEC_DIR / f"{name_or_path}.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ChainSpecError(f"no chain spec {name_or_path!r}") from None
    except json.JSONDecodeError as error:
        raise ChainSpecError(f"{path}: not JSON ({error})") from None


def compute_spec_fingerprint(spec: dict) -> bytes:
    """keccak256 of the spec's genesis section in canonical JSON: names the chain a data dir holds.

    Lets a node reopen a data dir without rebuilding genesis state (slow for large specs).
    """
    canonical = json.dumps(spec["genesis"], sort_keys=True, separators=(",", ":"))
    return keccak256(canonical.encode())


def compute_genesis_spec_version(spec: dict) -> int:
    """The runtime version a chain starts at: its genesis `system.specVersion`, 1 when absent."""
    try:
        version = spec["genesis"]["runtime"].get("system", {}).get("specVersion", 1)
    except (KeyError, TypeError, AttributeError):
        raise ChainSpecError("chain spec: genesis.runtime is missing") from None
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version < 2**32:
        raise ChainSpecError(f"chain spec: genesis.runtime.system.specVersion {version!r} is not a version number")
    return version


def build_genesis(spec: dict, runtime: Runtime) -> Genesis:
    try:
        genesis = spec["genesis"]
        configs = genesis["runtime"]
        unknown = set(configs) - {m.name for m in runtime.modules}
        if unknown:
            raise ChainSpecError(f"genesis configures modules this runtime lacks: {sorted(unknown)}")
        backend = MemoryBackend()
        state = State(backend)
        for module in runtime.modules:
            module.genesis(state, configs.get(module.name, {}))
        if system.SpecVersion.get(state) != runtime.spec_version:
            raise ChainSpecError(f"genesis is for runtime spec_version {system.SpecVersion.get(state)}, "
                                 f"built with {runtime.spec_version}")
        changes = state.changes()
        for module in runtime.modules:
            module.check_invariants(state)
        root, nodes = compute_state_root({}, EMPTY_ROOT, changes)
        header = Header(
            parent_hash=ZERO_HASH, number=0, timestamp=int(genesis.get("timestamp", 0)), author=ZERO_ADDRESS,
            state_root=root, transactions_root=EMPTY_ROOT, receipts_root=EMPTY_ROOT, logs_bloom=b"\x00" * 256,
            gas_limit=system.BlockGasLimit.get(state), gas_used=0, base_fee_per_gas=int(genesis["baseFeePerGas"]),
            extra_data=spec.get("id", "").encode()[:32])
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, ChainSpecError):
            raise
        raise ChainSpecError(f"malformed chain spec: {error!r}") from None
    return Genesis(header, {k: v for k, v in changes.items() if v is not None}, nodes)
