"""Substrate-flavoured namespaces: chain_, state_, system_, author_ — for tools in that ecosystem.

Blocks are final as soon as they are sealed on a dev chain, so there the finalized head is the head;
on a network, the last block a justification finalized (its justification is in chain_getBlock).
"""

from runtime.crypto import keccak256

from .errors import RpcError, invalid_params
from .eth import CLIENT_VERSION, SUBSCRIPTION_ID, submit, subscribe
from .params import DATA, HASH, QUANTITY, ParamType, parse_data, to_data
from .registry import Param, Registry
from .views import resolve_header, substrate_header_json

registry = Registry()
MAX_PROOF_KEYS = 256


def _header(ctx, block_hash):
    return resolve_header(ctx.node, block_hash if block_hash is not None else "latest")


@registry.method("chain_getHeader", (Param("hash", HASH, None),), "header or null")
def chain_get_header(ctx, block_hash):
    """A header (the head by default) in Substrate's shape."""
    try:
        return substrate_header_json(_header(ctx, block_hash))
    except RpcError:
        return None


@registry.method("chain_getBlock", (Param("hash", HASH, None),), "signed block or null")
def chain_get_block(ctx, block_hash):
    """A block (the head by default): header and extrinsics (raw transactions)."""
    try:
        header = _header(ctx, block_hash)
    except RpcError:
        return None
    block = ctx.node.db.get_block(header.hash)
    return {"block": {"header": substrate_header_json(header), "extrinsics": [to_data(tx) for tx in block.transactions]},
            "justifications": _justifications(ctx, header.hash)}


FINALITY_ENGINE_ID = "0x46524e4b"
"""b"FRNK", the engine id Substrate gives GRANDPA justifications."""


def _justifications(ctx, block_hash: bytes):
    justification = ctx.node.db.get_justification(block_hash)
    return None if justification is None else [[FINALITY_ENGINE_ID, to_data(justification)]]


@registry.method("chain_getBlockHash", (Param("number", QUANTITY, None),), "hash or null")
def chain_get_block_hash(ctx, number):
    """The canonical hash at a height (the head by default)."""
    block_hash = ctx.node.head.hash if number is None else ctx.node.db.get_canonical_hash(number)
    return to_data(block_hash) if block_hash else None


@registry.method("chain_getFinalizedHead", result="hash")
def chain_get_finalized_head(ctx):
    """The last finalized block."""
    return to_data(ctx.node.finalized.hash)


@registry.method("chain_subscribeNewHeads", result="subscription id")
def chain_subscribe_new_heads(ctx):
    """Push each new header (as chain_newHead notifications) over this WebSocket."""
    return subscribe(ctx, "chain_newHead", method="chain_newHead")


@registry.method("chain_unsubscribeNewHeads", (Param("id", SUBSCRIPTION_ID),), "boolean")
def chain_unsubscribe_new_heads(ctx, subscription_id):
    """Stop a chain_subscribeNewHeads subscription."""
    return ctx.connection is not None and ctx.hub.unsubscribe(ctx.connection, subscription_id)


@registry.method("state_getStorage", (Param("key", DATA), Param("at", HASH, None)), "data or null")
def state_get_storage(ctx, key, at):
    """A raw storage value (keys as in spec/state.md) at a block, the head by default."""
    value = ctx.node.state_at(_header(ctx, at)).get(key)
    return to_data(value) if value is not None else None


def parse_keys(value) -> list[bytes]:
    if not isinstance(value, list) or not value or len(value) > MAX_PROOF_KEYS:
        raise invalid_params(f"keys must be a non-empty array of at most {MAX_PROOF_KEYS} storage keys")
    return [parse_data(k, "storage key") for k in value]


@registry.method("state_getReadProof", (Param("keys", ParamType("storageKeys", parse_keys)), Param("at", HASH, None)),
                 "read proof")
def state_get_read_proof(ctx, keys, at):
    """Merkle proof of storage values against the block's state root: the trie nodes on each keccak256(key) path."""
    header = _header(ctx, at)
    nodes: dict[bytes, None] = {}
    for key in keys:
        _, proof = ctx.node.tree.prove_storage(key, header)
        nodes.update(dict.fromkeys(proof))
    return {"at": to_data(header.hash), "stateRoot": to_data(header.state_root),
            "proof": [to_data(node) for node in nodes]}


@registry.method("state_getRuntimeVersion", (Param("at", HASH, None),), "runtime version")
def state_get_runtime_version(ctx, at):
    """The runtime's name and spec version (bumped by runtime upgrades)."""
    state, api = ctx.node.state_at(_header(ctx, at)), ctx.node.api
    version = api.version(state)
    return {"specName": version.spec_name, "implName": "flockchain-python", "specVersion": version.spec_version,
            "implVersion": 1, "transactionVersion": 1, "stateVersion": 0,
            "apis": [[to_data(keccak256(m.name.encode())[:8]), 1] for m in api.metadata(state)]}


@registry.method("system_health", result="health")
def system_health(ctx):
    """Peers, whether syncing, whether peers are expected."""
    network = ctx.network
    return {"peers": 0 if network is None else len(network.peers_json()),
            "isSyncing": network is not None and network.sync_progress() is not None, "shouldHavePeers": not ctx.dev}


@registry.method("system_name", result="string")
def system_name(ctx):
    """The node implementation's name."""
    return "flockchain"


@registry.method("system_version", result="string")
def system_version(ctx):
    """The node implementation's version, with the runtime version the head runs as semver build
    metadata (`0.1.0+spec2`)."""
    return f"{CLIENT_VERSION.split('/')[1]}+spec{ctx.node.api.version(ctx.node.state()).spec_version}"


@registry.method("system_chain", result="string")
def system_chain(ctx):
    """The chain spec's name."""
    return ctx.node.spec.get("name", "")


@registry.method("system_properties", result="properties")
def system_properties(ctx):
    """Token symbol and decimals from the chain spec."""
    return ctx.node.spec.get("properties", {})


@registry.method("system_peers", result="peers")
def system_peers(ctx):
    """Connected peers (a dev node has none): node id, addresses, best and finalized block."""
    return [] if ctx.network is None else ctx.network.peers_json()


@registry.method("system_localPeerId", result="string")
def system_local_peer_id(ctx):
    """This node's network identity (its compressed public key); empty on a dev chain."""
    return "" if ctx.network is None else ctx.network.local_peer_id()


@registry.method("author_submitExtrinsic", (Param("extrinsic", DATA),), "hash")
def author_submit_extrinsic(ctx, raw):
    """Same as eth_sendRawTransaction: a signed Ethereum transaction is this chain's extrinsic."""
    return to_data(submit(ctx, raw).hash)
