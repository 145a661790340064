"""The OpenRPC document (`rpc.discover`), generated from the registered methods themselves."""

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


def openrpc_document(methods: dict[str, Method], version: str) -> dict:
    return {
        "openrpc": OPENRPC_VERSION,
        "info": {"title": "flockchain JSON-RPC", "version": version,
                 "description": "Ethereum JSON-RPC for wallets and scripts, Substrate-style chain_/state_/system_/"
                                "author_ namespaces, and flock_ methods for runtime modules and FL state."},
        "methods": [method_json(m) for _, m in sorted(methods.items())],
    }
