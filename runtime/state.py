"""State as a block sees it: a flat key/value overlay on a read-only parent state.

Writes are journaled, so a call (and any nested call) runs in a checkpoint that either
commits into the enclosing layer or rolls back to byte-identical state, as FRAME's
storage layers. `changes()` is what the block wrote, for the trie and the database.
"""

from collections.abc import Iterator
from typing import Protocol

_ABSENT = object()


class StateBackend(Protocol):
    """A read-only parent state: point reads and ordered prefix iteration."""

    def get(self, key: bytes) -> bytes | None: ...

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]: ...


class MemoryBackend:
    """A StateBackend over a dict, for genesis building and tests."""

    def __init__(self, items: dict[bytes, bytes] | None = None):
        self.items = dict(items or {})

    def get(self, key: bytes) -> bytes | None:
        return self.items.get(key)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for key in sorted(k for k in self.items if k.startswith(prefix)):
            yield key, self.items[key]

    def apply(self, changes: dict[bytes, bytes | None]) -> None:
        for key, value in changes.items():
            if value is None:
                self.items.pop(key, None)
            else:
                self.items[key] = value


class State:
    """Overlay of pending writes (None = deleted) with nested checkpoints."""

    def __init__(self, backend: StateBackend):
        self.backend = backend
        self._changes: dict[bytes, bytes | None] = {}
        self._journal: list[tuple[bytes, object]] = []
        self._checkpoints: list[int] = []

    def get(self, key: bytes) -> bytes | None:
        if key in self._changes:
            return self._changes[key]
        return self.backend.get(key)

    def set(self, key: bytes, value: bytes | None) -> None:
        """Write a value; None or b"" deletes (empty values are never stored)."""
        if not value:
            value = None
        if self._checkpoints:
            self._journal.append((key, self._changes.get(key, _ABSENT)))
        self._changes[key] = value

    def delete(self, key: bytes) -> None:
        self.set(key, None)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Every live (key, value) under a prefix in key order, pending writes included."""
        pending = sorted((k, v) for k, v in self._changes.items() if k.startswith(prefix))
        merged = dict(self.backend.iter_prefix(prefix))
        for key, value in pending:
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        yield from sorted(merged.items())

    def checkpoint(self) -> None:
        self._checkpoints.append(len(self._journal))

    def commit(self) -> None:
        """Keep the writes since the last checkpoint, in the enclosing layer."""
        self._checkpoints.pop()
        if not self._checkpoints:
            self._journal.clear()

    def rollback(self) -> None:
        """Undo every write since the last checkpoint."""
        mark = self._checkpoints.pop()
        journal = self._journal
        while len(journal) > mark:
            key, previous = journal.pop()
            if previous is _ABSENT:
                del self._changes[key]
            else:
                self._changes[key] = previous

    @property
    def depth(self) -> int:
        return len(self._checkpoints)

    def changes(self) -> dict[bytes, bytes | None]:
        """Net writes against the backend (unchanged rewrites dropped)."""
        if self._checkpoints:
            raise RuntimeError("changes() inside an open checkpoint")
        backend_get = self.backend.get
        return {k: v for k, v in self._changes.items() if backend_get(k) != v}
