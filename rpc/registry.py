"""The method registry: each method's name, parameters, result and summary, declared once.

The dispatcher parses parameters from these declarations, and (later) the OpenRPC document
is generated from them, so the description cannot drift from the code.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import invalid_params
from .params import ParamType

REQUIRED = object()


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    default: object = REQUIRED


@dataclass(frozen=True)
class Method:
    name: str
    handler: Callable
    params: tuple[Param, ...]
    result: str
    summary: str
    dev_only: bool = False

    def parse(self, params) -> list:
        if params is None:
            params = []
        if isinstance(params, dict):
            unknown = set(params) - {p.name for p in self.params}
            if unknown:
                raise invalid_params(f"unknown parameters {sorted(unknown)}")
            params = [params.get(p.name) for p in self.params]
        if not isinstance(params, list):
            raise invalid_params("params must be an array")
        if len(params) > len(self.params):
            raise invalid_params(f"{self.name} takes at most {len(self.params)} parameters, got {len(params)}")
        parsed = []
        for index, param in enumerate(self.params):
            if index < len(params) and params[index] is not None:
                parsed.append(param.type.parse(params[index]))
            elif param.default is REQUIRED:
                raise invalid_params(f"missing parameter {index} ({param.name})")
            else:
                parsed.append(param.default)
        return parsed


@dataclass
class Registry:
    methods: dict[str, Method] = field(default_factory=dict)

    def method(self, name: str, params: tuple[Param, ...] = (), result: str = "", summary: str = "",
               dev_only: bool = False):
        def register(handler):
            if name in self.methods:
                raise ValueError(f"method {name} registered twice")
            self.methods[name] = Method(name, handler, params, result, summary or (handler.__doc__ or "").strip(), dev_only)
            return handler
        return register
