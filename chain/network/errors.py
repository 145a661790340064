"""What goes wrong between peers, as exceptions the node layer can tell apart."""


class BadPeerData(Exception):
    """Raised by a NetworkHandler: the peer sent data that is provably invalid (a bad block, a bad
    vote). The service disconnects the peer and bans its node id and address."""


class MessageDecodeError(ValueError):
    """Bytes that are not a message of this protocol (spec/network.md); the sender is banned."""


class NetworkError(Exception):
    """A request to a peer did not produce an answer."""


class RequestTimeout(NetworkError, TimeoutError):
    """The peer did not answer within the request timeout (it stays connected: it may just be slow)."""


class PeerDisconnected(NetworkError, ConnectionError):
    """The connection to the peer ended before, or while, waiting for its answer."""


class InvalidResponse(NetworkError, BadPeerData):
    """The peer answered with something it must not (more blocks than asked, wrong numbers). It is banned
    already; a handler that lets this propagate changes nothing more."""
