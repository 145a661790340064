"""Compile the Base-side bridge contracts with vyper at build/test time.

Bytecode is never checked in: callers get it from :func:`compile_contract`, which
compiles ``chain/bridge/contracts/<name>.vy`` with the vyper Python API and caches the
result in memory by the source's hash.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
CONTRACT_NAMES = ("MockFLOCK", "FlockBridge")
VYPER_VERSION = "0.4.3"


@dataclass(frozen=True)
class CompiledContract:
    name: str
    abi: list[dict]
    bytecode: bytes  # init code (deployment bytecode)
    source_hash: str  # sha256 of the source, hex


_cache: dict[str, CompiledContract] = {}
_lock = threading.Lock()


def contract_source(name: str) -> str:
    if name not in CONTRACT_NAMES:
        raise KeyError(f"unknown bridge contract {name!r}")
    return (CONTRACTS_DIR / f"{name}.vy").read_text()


def compile_source(name: str, source: str) -> CompiledContract:
    """Compile Vyper ``source`` (cached in memory by its sha256)."""
    digest = hashlib.sha256(source.encode()).hexdigest()
    with _lock:
        hit = _cache.get(digest)
        if hit is not None:
            return hit
        import vyper

        if vyper.__version__.split("+")[0] != VYPER_VERSION:
            raise RuntimeError(f"vyper {VYPER_VERSION} required, found {vyper.__version__}")
        out = vyper.compile_code(source, output_formats=["abi", "bytecode"])
        code = out["bytecode"]
        compiled = CompiledContract(
            name=name,
            abi=out["abi"],
            bytecode=bytes.fromhex(code[2:] if code.startswith("0x") else code),
            source_hash=digest,
        )
        _cache[digest] = compiled
        return compiled


def compile_contract(name: str) -> CompiledContract:
    """Compile ``contracts/<name>.vy`` (``MockFLOCK`` or ``FlockBridge``)."""
    return compile_source(name, contract_source(name))


def compile_all() -> dict[str, CompiledContract]:
    return {name: compile_contract(name) for name in CONTRACT_NAMES}


if __name__ == "__main__":  # python -m chain.bridge.compile: print sizes and hashes
    for c in compile_all().values():
        print(f"{c.name}: {len(c.bytecode)} bytes init code, source sha256 {c.source_hash}")
