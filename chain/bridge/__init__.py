"""FLOCK <-> Base bridge.

Part 1 (this package so far): the Base-side Vyper contracts in ``contracts/`` and
:mod:`chain.bridge.compile`, which compiles them at build/test time.
See spec/bridge_contracts.md.
"""

__all__ = ["CompiledContract", "compile_all", "compile_contract"]


def __getattr__(name):  # lazy, so ``python -m chain.bridge.compile`` runs cleanly
    if name in __all__:
        from . import compile as _compile

        return getattr(_compile, name)
    raise AttributeError(name)
