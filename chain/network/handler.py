"""What the network asks of the node: the layer above (block import, fork choice, finality)
implements NetworkHandler, and the network calls it for everything peers send."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .peer import Peer


@dataclass(frozen=True)
class ChainStatus:
    """Where a node's chain stands: what peers compare in the handshake and sync from."""

    chain_id: int
    genesis_hash: bytes
    best_number: int
    best_hash: bytes
    finalized_number: int
    finalized_hash: bytes


class NetworkHandler(Protocol):
    """Calls for one peer come one at a time, in the order its messages arrived, in a task apart from
    the connection's reader: a handler may await `peer.request_blocks` without blocking the answer.

    Raising BadPeerData disconnects and bans the peer; any other exception is logged and ignored.
    The gossip calls see each message once, whichever peer sent it first; a True (or, for
    transactions, the returned ones) relays it to the peers that have not sent it.
    """

    def get_status(self) -> ChainStatus: ...

    async def on_peer_status(self, peer: "Peer", status: ChainStatus) -> None:
        """After the handshake and on every STATUS the peer sends (sync starts here)."""

    async def on_transactions(self, peer: "Peer", raws: list[bytes]) -> list[bytes]:
        """Returns the transactions to relay (those admitted to the pool)."""

    async def on_block(self, peer: "Peer", block_rlp: bytes) -> bool: ...

    async def on_vote(self, peer: "Peer", vote: bytes) -> bool: ...

    async def on_commit(self, peer: "Peer", justification: bytes) -> bool: ...

    async def on_blob(self, peer: "Peer", blob_hash: bytes, size: int) -> None:
        """The peer holds this blob (at peer.rpc_url + "/blobs/0x<hash>"). Announcements are not relayed:
        a node that fetched the blob announces it itself with broadcast_blob."""

    def get_blocks(self, start: int, count: int) -> list[tuple[bytes, bytes | None]]:
        """Canonical blocks start, start + 1, ... (at most count), each with its justification or None."""
