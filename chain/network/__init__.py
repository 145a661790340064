"""The peer-to-peer network: transport and protocol (spec/network.md). The node layer drives it
through NetworkService and answers it by implementing NetworkHandler."""

from .errors import BadPeerData, InvalidResponse, MessageDecodeError, NetworkError, PeerDisconnected, RequestTimeout
from .handler import ChainStatus, NetworkHandler
from .handshake import node_id_of
from .messages import PROTOCOL_VERSION
from .peer import Peer
from .service import NetworkConfig, NetworkService

__all__ = ["BadPeerData", "ChainStatus", "InvalidResponse", "MessageDecodeError", "NetworkConfig", "NetworkError",
           "NetworkHandler", "NetworkService", "Peer", "PeerDisconnected", "PROTOCOL_VERSION", "RequestTimeout",
           "node_id_of"]
