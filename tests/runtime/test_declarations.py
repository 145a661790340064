"""A module's storage items, events and errors are written once, in its file, and collected from there."""

import sys

import runtime.module as framework
from chain.composition import RUNTIME_VERSIONS
from runtime.module import ErrorDecl, EventDecl, Module, module_address
from runtime.storage import U64, StorageMap, StorageValue

MODULES = tuple({m.name: m for r in RUNTIME_VERSIONS.runtimes for m in r.modules}.values())
"""Every module any shipped runtime version has."""


def files() -> dict[str, dict]:
    """Each module's name → the namespace of the file that declares it."""
    found = {}
    for python_module in list(sys.modules.values()):
        module = getattr(python_module, "MODULE", None)
        if isinstance(module, Module) and module in MODULES:
            found[module.name] = vars(python_module)
    assert set(found) == {m.name for m in MODULES}
    return found


FILES = files()
PARAMETER_EVENTS = (framework.ParameterChanged,)
PARAMETER_ERRORS = (framework.UnknownParameter, framework.ParameterNotGovernable, framework.ParameterOutOfBounds)
"""Every module with parameters gets these with getParameter/setParameter, from runtime/module.py."""


def bound(namespace: dict, kinds: tuple) -> list:
    values = []
    for value in namespace.values():
        values += list(value) if isinstance(value, tuple) else [value]
    return [v for v in values if isinstance(v, kinds)]


def test_every_storage_item_of_a_module_wherever_it_is_bound_is_in_the_module():
    by_name = {m.name: m for m in MODULES}
    for namespace in FILES.values():
        for item in bound(namespace, (StorageValue, StorageMap)):
            assert item in by_name[item.module].storage, f"{item.module}.{item.name} is not collected"


def test_storage_keys_are_unique():
    items = [item for m in MODULES for item in m.storage]
    prefixes = [item.key if isinstance(item, StorageValue) else item.prefix for item in items]
    assert len(set(prefixes)) == len(prefixes) == len({(i.module, i.name) for i in items})


def test_every_event_and_error_is_declared_by_exactly_one_module_file():
    owners: dict[int, list[str]] = {}
    for name, namespace in FILES.items():
        for declaration in {id(d): d for d in bound(namespace, (EventDecl, ErrorDecl))}.values():
            owners.setdefault(id(declaration), []).append(name)
    assert all(len(names) == 1 for names in owners.values()), "a declaration is imported by name somewhere"
    for declaration in bound(vars(framework), (EventDecl, ErrorDecl)):
        owners.setdefault(id(declaration), []).append("runtime/module.py")
    for module in MODULES:
        for declaration in module.events + module.errors:
            assert id(declaration) in owners, f"{module.name}: {declaration.signature} is declared nowhere"


def test_a_module_lists_its_own_declarations_and_then_what_it_raises_of_others():
    for module in MODULES:
        namespace = FILES[module.name]
        own_events = [d for d in {id(d): d for d in bound(namespace, (EventDecl,))}.values() if d.in_abi]
        own_errors = list({id(d): d for d in bound(namespace, (ErrorDecl,))}.values())
        shared_events, shared_errors = (PARAMETER_EVENTS, PARAMETER_ERRORS) if module.parameters else ((), ())
        assert list(module.events) == own_events + list(shared_events)
        assert list(module.errors[:len(own_errors)]) == own_errors
        assert list(module.errors[len(module.errors) - len(shared_errors):]) == list(shared_errors)
        assert not set(map(id, module.errors[len(own_errors):])) & set(map(id, own_errors))


def test_an_event_left_out_of_the_abi_is_not_published():
    names = {item["name"] for m in MODULES for item in m.abi() if item["type"] == "event"}
    assert "Slashed" not in names and "Emitted" not in names and "Transfer" in names


def test_declare_collects_in_order_once_flattening_item_tuples_and_appending_raises():
    other = ErrorDecl("Other()")
    first, second = StorageValue("demo", "First", U64, 0), StorageMap("demo", "Second", U64, U64, 0)
    by_kind = (StorageValue("demo", "KindA", U64, 0), StorageValue("demo", "KindB", U64, 0))
    hidden = EventDecl("Hidden()", in_abi=False)
    shown, failed = EventDecl("Shown(uint256 value)"), ErrorDecl("Failed(uint256 value)")
    namespace = {"First": first, "ByKind": by_kind, "Foreign": StorageValue("elsewhere", "X", U64, 0),
                 "Hidden": hidden, "Shown": shown, "Alias": shown, "Failed": failed, "Second": second,
                 "Pairs": (("key", first),), "NAME": "demo"}
    module = Module.declare(namespace, name="demo", address=module_address(99), raises=(other,))
    assert module.storage == (first, *by_kind, second)
    assert module.events == (shown,)
    assert module.errors == (failed, other)
