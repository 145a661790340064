"""Node ids and addresses refused for a while after misbehaving."""

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

MAX_BANS = 10_000
"""Misbehaving is free (a fresh node key costs nothing): bound what bans can hold."""


class BanList:
    """Keys with an expiry; with one ban period for all, insertion order is expiry order, so the
    entries dropped at capacity are those closest to expiring anyway."""

    def __init__(self, capacity: int = MAX_BANS, clock: Callable[[], float] = time.monotonic):
        self.capacity = capacity
        self.clock = clock
        self._until: OrderedDict[Hashable, float] = OrderedDict()

    def ban(self, key: Hashable, seconds: float) -> None:
        self._until[key] = self.clock() + seconds
        self._until.move_to_end(key)
        while len(self._until) > self.capacity:
            self._until.popitem(last=False)

    def banned(self, key: Hashable) -> bool:
        until = self._until.get(key)
        if until is None:
            return False
        if self.clock() >= until:
            del self._until[key]
            return False
        return True

    def lift(self, key: Hashable) -> None:
        self._until.pop(key, None)
