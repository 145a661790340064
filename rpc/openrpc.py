"""The OpenRPC document (`rpc.discover`), generated from the registered methods themselves."""

from dataclasses import asdict, dataclass

from .registry import REQUIRED, Method

OPENRPC_VERSION = "1.2.6"


def method_json(method: Method) -> dict:
    return {
        "name": method.name,
        "summary": method.summary,
        "params": [{"name": p.name, "required": p.default is REQUIRED, "schema": p.type.json_schema()}
                   for p in method.params],
        "result": {"name": "result", "schema": {"title": method.result or "null"}},
    }


@dataclass(frozen=True)
class OpenRpcInfo:
    """The document's `info`: which server answers (the node, the Base devnet)."""

    title: str
    version: str
    description: str


def openrpc_document(methods: dict[str, Method], info: OpenRpcInfo) -> dict:
    return {
        "openrpc": OPENRPC_VERSION,
        "info": asdict(info),
        "methods": [method_json(m) for _, m in sorted(methods.items())],
    }
