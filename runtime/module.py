"""The module framework: what a runtime module declares, in one place.

A module is FRAME's pallet seen through Ethereum's eyes: it lives at a reserved
"precompile" address, and its calls, read-only views, events and errors are declared with
Solidity signatures, so any ABI-aware client (web3.py, ethers, a wallet) can use it as a
contract. Handlers are plain functions over state.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from eth_abi import decode as abi_decode
from .abi import abi_encode

from .crypto import keccak256
from .exceptions import DispatchError
from .state import State
from .storage import StorageMap, StorageValue


@dataclass(frozen=True)
class Param:
    """One `type name` of a Solidity signature."""

    type: str
    name: str
    indexed: bool = False

    def to_abi(self) -> dict:
        item = {"name": self.name, "type": self.type, "internalType": self.type}
        return item


def split_params(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += (char == "(") - (char == ")")
        current += char
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts]


def parse_signature(signature: str) -> tuple[str, tuple[Param, ...]]:
    """`name(type a,type indexed b)` → (name, params). Tuples are not used by modules."""
    name, _, rest = signature.partition("(")
    if not rest.endswith(")"):
        raise ValueError(f"malformed signature {signature!r}")
    params = []
    for index, part in enumerate(split_params(rest[:-1])):
        words = part.split()
        indexed = "indexed" in words
        words = [w for w in words if w != "indexed"]
        params.append(Param(words[0], words[1] if len(words) > 1 else f"arg{index}", indexed))
    return name.strip(), tuple(params)


def canonical(name: str, params: tuple[Param, ...]) -> str:
    return f"{name}({','.join(p.type for p in params)})"


class Signed:
    """A declaration named by a Solidity signature; name, params and selector derive from it."""

    signature: str

    @cached_property
    def name(self) -> str:
        return parse_signature(self.signature)[0]

    @cached_property
    def params(self) -> tuple[Param, ...]:
        return parse_signature(self.signature)[1]

    @cached_property
    def selector(self) -> bytes:
        return keccak256(canonical(self.name, self.params).encode())[:4]

    def decode_args(self, data: bytes) -> tuple:
        """ABI-decode call data; addresses (also in address[]) come back as 20 raw bytes, as storage keys them."""
        types = [p.type for p in self.params]
        values = abi_decode(types, data, strict=True)
        return tuple(_raw_addresses(t, v) for t, v in zip(types, values))


def _raw_addresses(abi_type: str, value):
    if abi_type == "address":
        return bytes.fromhex(value[2:])
    if abi_type == "address[]":
        return tuple(bytes.fromhex(v[2:]) for v in value)
    return value


@dataclass(frozen=True)
class ErrorDecl(Signed):
    """A Solidity custom error; its encoding is the revert data of a failed call."""

    signature: str

    def encode(self, *args) -> bytes:
        return self.selector + abi_encode([p.type for p in self.params], list(args))

    def to_abi(self) -> dict:
        return {"type": "error", "name": self.name, "inputs": [p.to_abi() for p in self.params]}


@dataclass(frozen=True)
class Log:
    """An Ethereum log: what a module event becomes in a receipt."""

    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class EventDecl(Signed):
    signature: str
    anonymous: bool = False
    in_abi: bool = True
    """False for an event declared for block hooks, which have no receipt yet (executive.md): no client
    can see it, so the module's ABI leaves it out."""

    @cached_property
    def topic(self) -> bytes:
        return keccak256(canonical(self.name, self.params).encode())

    def to_log(self, address: bytes, *args) -> Log:
        """Indexed static values become topics, the rest ABI-encoded data (Solidity's rule)."""
        topics, data_types, data_values = [self.topic], [], []
        for param, value in zip(self.params, args, strict=True):
            if param.indexed:
                topics.append(abi_encode([param.type], [value]))
            else:
                data_types.append(param.type)
                data_values.append(value)
        return Log(address, tuple(topics), abi_encode(data_types, data_values))

    def to_abi(self) -> dict:
        inputs = [dict(p.to_abi(), indexed=p.indexed) for p in self.params]
        return {"type": "event", "name": self.name, "inputs": inputs, "anonymous": self.anonymous}


@dataclass(frozen=True)
class CallEnv:
    """Everything a dispatched call may read besides state."""

    sender: bytes
    value: int
    block_number: int
    timestamp: int
    author: bytes
    emit: Callable[[Log], None]
    dispatch: Callable[[bytes, bytes, int, bytes], "CallResult"] | None = None
    """dispatch(origin, to, value, data): run another call as `origin`, in its own storage layer
    (governance executing a proposal). Given by the executive; absent in isolated tests."""
    check_call: Callable[[bytes, bytes], str | None] | None = None
    """check_call(to, data): why a call could never be dispatched (no module there, no such call,
    arguments that do not decode), or None."""


@dataclass(frozen=True)
class CallResult:
    """What a dispatched call did: success, its logs, and its return or revert data."""

    success: bool
    logs: tuple[Log, ...] = ()
    return_data: bytes = b""
    revert_data: bytes = b""
    error: str = ""
    """The failure as `ErrorName(args)`, for messages (the revert data is what clients decode)."""


@dataclass(frozen=True)
class CallDecl(Signed):
    """A state-changing call. Its declared gas on top of the intrinsic cost is `weight` plus
    `weight_per_byte` per byte of call data, for calls whose work grows with what they are given,
    plus, for a call that dispatches others on its caller's behalf, their own declared weights."""

    signature: str
    handler: Callable[..., None]
    weight: int
    payable: bool = False
    returns: tuple[str, ...] = ()
    weight_per_byte: int = 0
    inner_calls: Callable[..., Iterable[tuple[bytes, bytes]]] | None = None
    """inner_calls(*args) → the (to, data) it will dispatch, charged one level deep."""
    unsigned: "Unsigned | None" = None
    """For a call that authorises itself (a proof among its arguments): it may come as an unsigned
    transaction (spec/executive.md)."""

    def to_abi(self) -> dict:
        return {"type": "function", "name": self.name, "inputs": [p.to_abi() for p in self.params],
                "outputs": [Param(t, "").to_abi() for t in self.returns],
                "stateMutability": "payable" if self.payable else "nonpayable"}


@dataclass(frozen=True)
class Unsigned:
    """How a self-authorising call travels without a sender (Substrate's `ValidateUnsigned`): the key a pool
    holds it under, its sequence, and which of its failures mean its proof is false."""

    key: Callable[..., tuple[bytes, int]]
    """key(*args) → (key, sequence): one pending call per key; calls of a key carry sequences 0, 1, …"""
    next_sequence: Callable[[State, bytes], int]
    """The sequence the chain expects next from a key: a held call below it is stale."""
    proof_errors: tuple["ErrorDecl", ...] = ()
    """Failures that only a false proof causes (not a state a relay could have seen differently)."""


@dataclass(frozen=True)
class ViewDecl(Signed):
    """A read-only query answered by `eth_call`; handler(state, *args) returns a tuple."""

    signature: str
    handler: Callable[..., tuple]
    returns: tuple[str, ...]

    def encode_result(self, values: tuple) -> bytes:
        return abi_encode(list(self.returns), list(values))

    def to_abi(self) -> dict:
        return {"type": "function", "name": self.name, "inputs": [p.to_abi() for p in self.params],
                "outputs": [Param(t, "").to_abi() for t in self.returns], "stateMutability": "view"}


@dataclass(frozen=True)
class Parameter:
    """A module parameter as governance sees it: its storage item and, when governance may change it,
    the closed range [minimum, maximum] a new value must lie in. Without bounds it is fixed at genesis
    (a chain id, a contract address) and only readable."""

    item: StorageValue
    minimum: int | None = None
    maximum: int | None = None

    @property
    def governable(self) -> bool:
        return self.minimum is not None

    def get(self, state: State) -> int:
        """As getParameter reports it: a uint256 (an address as its number, a flag as 0 or 1)."""
        value = self.item.get(state)
        return int.from_bytes(value, "big") if isinstance(value, bytes) else int(value or 0)


UnknownParameter = ErrorDecl("UnknownParameter(string name)")
ParameterNotGovernable = ErrorDecl("ParameterNotGovernable(string name)")
ParameterOutOfBounds = ErrorDecl("ParameterOutOfBounds(string name,uint256 value,uint256 minimum,uint256 maximum)")
ParameterChanged = EventDecl("ParameterChanged(string name,uint256 previousValue,uint256 newValue)")


def _parameter_declarations(address: bytes, parameters: Mapping[str, Parameter],
                            authorize: Callable[[State, bytes], None]) -> tuple[CallDecl, ViewDecl]:
    """setParameter (privileged origin only, within bounds) and getParameter, the same on every module."""

    def find(name: str) -> Parameter:
        parameter = parameters.get(name)
        if parameter is None:
            raise DispatchError(UnknownParameter, name)
        return parameter

    def set_parameter(state: State, env: CallEnv, name: str, value: int) -> None:
        authorize(state, env.sender)
        parameter = find(name)
        if not parameter.governable:
            raise DispatchError(ParameterNotGovernable, name)
        if not parameter.minimum <= value <= parameter.maximum:
            raise DispatchError(ParameterOutOfBounds, name, value, parameter.minimum, parameter.maximum)
        previous = parameter.get(state)
        parameter.item.set(state, bool(value) if isinstance(parameter.item.default, bool) else value)
        env.emit(ParameterChanged.to_log(address, name, previous, value))

    return (CallDecl("setParameter(string name,uint256 value)", set_parameter, weight=10_000),
            ViewDecl("getParameter(string name)", lambda state, name: (find(name).get(state),), ("uint256",)))


def _no_hook(state: State, env: "BlockEnv") -> None:
    return None


def _no_genesis(state: State, config: dict) -> None:
    return None


def _no_invariants(state: State) -> None:
    return None


@dataclass(frozen=True)
class Module:
    """A runtime module: address, parameters, storage, calls, views, events, errors, hooks.

    `parameters` maps a parameter name (the spec's) to its `Parameter`: storage item (read from
    state, with the declared default) and, when governable, bounds; `queries` maps a name to a read `handler(state, *args)` that the
    runtime API offers the node besides the ABI views (records a client library has no type
    for); `genesis(state, config)` writes the module's genesis
    config; `check_invariants(state)` raises AssertionError when a promise is broken.
    A module file builds its Module with `Module.declare(globals(), …)`, which collects the
    storage items, events and errors the file declares.
    """

    name: str
    address: bytes
    calls: tuple[CallDecl, ...] = ()
    views: tuple[ViewDecl, ...] = ()
    events: tuple[EventDecl, ...] = ()
    errors: tuple[ErrorDecl, ...] = ()
    storage: tuple[Any, ...] = ()
    parameters: dict[str, Parameter] = field(default_factory=dict)
    queries: dict[str, Callable[..., Any]] = field(default_factory=dict)
    on_initialize: Callable[[State, "BlockEnv"], None] = _no_hook
    on_finalize: Callable[[State, "BlockEnv"], None] = _no_hook
    genesis: Callable[[State, dict], None] = _no_genesis
    check_invariants: Callable[[State], None] = _no_invariants

    def __post_init__(self):
        selectors = [c.selector for c in self.calls] + [v.selector for v in self.views]
        if len(set(selectors)) != len(selectors):
            raise ValueError(f"module {self.name}: two calls or views share a selector")

    @classmethod
    def declare(cls, namespace: Mapping[str, Any], *, name: str, raises: tuple[ErrorDecl, ...] = (),
                parameters: Mapping[str, Parameter] | None = None,
                authorize: Callable[[State, bytes], None] | None = None, **fields) -> "Module":
        """The module whose storage items, events and errors are the ones its file declares, collected
        from `namespace` (the file's `globals()`) in the order written there, so each is written once.
        `raises` adds, after its own, the errors of other modules that its calls let through.
        With `parameters`, the module also gets getParameter and, for the governable ones,
        setParameter, which `authorize(state, sender)` guards (system.ensure_root: Root or governance)."""
        declared = list(_declarations(namespace))
        events = tuple(d for d in declared if isinstance(d, EventDecl) and d.in_abi)
        errors = tuple(d for d in declared if isinstance(d, ErrorDecl)) + tuple(raises)
        calls, views = fields.pop("calls", ()), fields.pop("views", ())
        if parameters:
            setter, getter = _parameter_declarations(fields["address"], parameters, authorize)
            calls, views = calls + (setter,), views + (getter,)
            events += (ParameterChanged,)
            errors += (UnknownParameter, ParameterNotGovernable, ParameterOutOfBounds)
        return cls(name=name, calls=calls, views=views, events=events, errors=errors,
                   storage=tuple(d for d in declared if isinstance(d, (StorageValue, StorageMap)) and d.module == name),
                   parameters=dict(parameters or {}), **fields)

    def find_call(self, selector: bytes) -> CallDecl | None:
        return next((c for c in self.calls if c.selector == selector), None)

    def find_view(self, selector: bytes) -> ViewDecl | None:
        return next((v for v in self.views if v.selector == selector), None)

    def abi(self) -> list[dict]:
        """The module's Solidity ABI JSON, as published to clients."""
        items = [c.to_abi() for c in self.calls] + [v.to_abi() for v in self.views]
        items += [e.to_abi() for e in self.events] + [e.to_abi() for e in self.errors]
        return items


def _declarations(namespace: Mapping[str, Any]) -> Iterator[Any]:
    """Each storage item, event and error bound in `namespace` once, in order; a tuple of storage items
    (one per kind, say) counts as its items."""
    seen = set()
    for value in namespace.values():
        items = value if isinstance(value, tuple) and value and \
            all(isinstance(v, (StorageValue, StorageMap)) for v in value) else (value,)
        for item in items:
            if isinstance(item, (StorageValue, StorageMap, EventDecl, ErrorDecl)) and id(item) not in seen:
                seen.add(id(item))
                yield item


def module_address(index: int) -> bytes:
    """Reserved precompile addresses: chain-specific modules from 0x…0800 upward (Moonbeam/Frontier)."""
    return (0x0800 + index).to_bytes(20, "big")


def fail(error: ErrorDecl, *args) -> None:
    raise DispatchError(error, *args)


@dataclass(frozen=True)
class BlockEnv:
    """The block being executed, as hooks and calls see it."""

    number: int
    timestamp: int
    author: bytes
    parent_hash: bytes
    base_fee_per_gas: int
    gas_limit: int
    slot: int = 0
    vrf_output: bytes = b""
