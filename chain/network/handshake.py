"""Who a peer is and whether it follows our chain: the HELLO/AUTH exchange (spec/network.md).

Each side signs the other's fresh nonce with its node key, so a HELLO copied from another
connection proves nothing; the node id is the signer's compressed public key.
"""

from coincurve import PrivateKey

from runtime.crypto import keccak256, recover_public_key, sign_hash

from .handler import ChainStatus
from .messages import PROTOCOL_VERSION, SIGNATURE_BYTES, Hello

AUTH_DOMAIN = b"flockchain/p2p/v1"


def node_id_of(node_key: bytes) -> bytes:
    """The 33-byte compressed public key of a 32-byte secp256k1 secret."""
    return PrivateKey(node_key).public_key.format(compressed=True)


def auth_digest(nonce: bytes, signer_id: bytes) -> bytes:
    return keccak256(AUTH_DOMAIN + nonce + signer_id)


def sign_auth(node_key: bytes, their_nonce: bytes) -> bytes:
    y_parity, r, s = sign_hash(node_key, auth_digest(their_nonce, node_id_of(node_key)))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((y_parity,))


def verify_auth(signature: bytes, our_nonce: bytes, their_id: bytes) -> bool:
    if len(signature) != SIGNATURE_BYTES:
        return False
    r, s, y_parity = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
    return recover_public_key(auth_digest(our_nonce, their_id), y_parity, r, s) == their_id


def make_hello(status: ChainStatus, node_id: bytes, nonce: bytes, listen_url: str, rpc_url: str) -> Hello:
    return Hello(PROTOCOL_VERSION, status.chain_id, status.genesis_hash, status.best_number, status.best_hash,
                 status.finalized_number, status.finalized_hash, node_id, nonce, listen_url, rpc_url)


def status_of(hello: Hello) -> ChainStatus:
    return ChainStatus(hello.chain_id, hello.genesis_hash, hello.best_number, hello.best_hash,
                       hello.finalized_number, hello.finalized_hash)


def incompatibility(hello: Hello, local: ChainStatus) -> str | None:
    """Why a peer cannot be on our network at all, or None."""
    if hello.version != PROTOCOL_VERSION:
        return f"protocol version {hello.version}, this node speaks {PROTOCOL_VERSION}"
    if hello.chain_id != local.chain_id:
        return f"chain id {hello.chain_id}, this node is on chain {local.chain_id}"
    if hello.genesis_hash != local.genesis_hash:
        return f"genesis 0x{hello.genesis_hash.hex()}, this node's is 0x{local.genesis_hash.hex()}"
    return None
