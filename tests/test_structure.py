"""Imports run one way (ARCHITECTURE.md): each package imports only the packages below it, py-evm
stays out of the node, and rpc/ and flockchain/ read modules through the runtime API only."""

import ast
import importlib
from pathlib import Path

import pytest

from runtime.storage import StorageMap, StorageValue

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"runtime": 0, "fl_module": 1, "genesis": 1, "arena": 2, "marketplace": 3, "chain": 4, "rpc": 5,
          "base_devnet": 6, "hosting": 6, "flockchain": 7, "bench": 8}
"""A package may import a package of a lower rank; equal ranks are independent of each other."""


def imported(path: Path):
    """(module name, imported name or None, line) of every absolute import, at any depth."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                yield node.module, alias.name, node.lineno


def files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", LAYERS)
def test_imports_point_down(package):
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for path in files(package) for module, _, line in imported(path)
             if module.split(".")[0] in LAYERS and module.split(".")[0] != package
             and LAYERS[module.split(".")[0]] >= LAYERS[package]]
    assert not wrong, wrong


@pytest.mark.parametrize("package", ["runtime", "fl_module", "arena", "marketplace", "chain"])
def test_py_evm_stays_out_of_the_node(package):
    wrong = [f"{path.relative_to(ROOT)}:{line}" for path in files(package) for module, _, line in imported(path)
             if module.split(".")[0] == "eth"]
    assert not wrong, wrong


def is_storage_item(module: str, name: str) -> bool:
    try:
        value = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return False
    return isinstance(value, (StorageValue, StorageMap))


def storage_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found, aliases = [], {}
    for module, name, line in imported(path):
        if name is None:
            continue
        if is_storage_item(module, name):
            found.append(f"{path.name}:{line} imports {module}.{name}")
        aliases[name] = f"{module}.{name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            if is_storage_item(aliases[node.value.id], node.attr):
                found.append(f"{path.name}:{node.lineno} reads {aliases[node.value.id]}.{node.attr}")
    return found


@pytest.mark.parametrize("package", ["rpc", "flockchain", "base_devnet"])
def test_interfaces_read_no_storage_item(package):
    wrong = [found for path in files(package) for found in storage_reads(path)]
    assert not wrong, wrong


def test_the_check_sees_a_storage_read(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from runtime.modules import system\nfrom runtime.modules.system import ChainId\n"
                     "def nonce(state):\n    return system.AccountNonce.get(state, b'')\n")
    assert storage_reads(probe) == ["probe.py:2 imports runtime.modules.system.ChainId",
                                    "probe.py:4 reads runtime.modules.system.AccountNonce"]
