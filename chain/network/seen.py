"""Gossip already seen, and which peers have it: what stops a message being delivered twice or
relayed in circles."""

from collections import OrderedDict

DEFAULT_CAPACITY = 16_384


class SeenMessages:
    """A bounded LRU of gossip ids, each with the node ids known to hold the message (those that sent
    it to us, or that we sent it to), so a relay skips them."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        self.capacity = capacity
        self._holders: OrderedDict[bytes, set[bytes]] = OrderedDict()

    def record(self, message_id: bytes, holder: bytes | None = None) -> bool:
        """Note that `holder` (None: only this node) has the message; True the first time the id is seen."""
        holders = self._holders.get(message_id)
        first = holders is None
        if first:
            holders = self._holders[message_id] = set()
            while len(self._holders) > self.capacity:
                self._holders.popitem(last=False)
        else:
            self._holders.move_to_end(message_id)
        if holder is not None:
            holders.add(holder)
        return first

    def forget_holder(self, holder: bytes) -> None:
        """`holder` is known to hold nothing: a node that connects again may have restarted and lost every
        message it had (a finality voter's votes sent again at a round's timeout must reach it)."""
        for holders in self._holders.values():
            holders.discard(holder)

    def holders(self, message_id: bytes) -> frozenset[bytes]:
        return frozenset(self._holders.get(message_id, ()))

    def __contains__(self, message_id: bytes) -> bool:
        return message_id in self._holders

    def __len__(self) -> int:
        return len(self._holders)
