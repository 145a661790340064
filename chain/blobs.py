"""The node's content-addressed blob store: model updates and other payloads too large for the chain,
named by the keccak256 of their bytes (spec/blobs.md).

Layout under the store's directory (`<data-dir>/blobs`):

    <first 2 hex>/<64 hex>                   the blob's bytes; the name is their keccak256
    <first 2 hex>/<64 hex>.tags              JSON {"<task id>": newest round}: the rounds that keep it
    <first 2 hex>/.<name>.<random>.tmp       a write in progress; at open, a crash's leftover (removed)

Every write goes to a temporary file in the same directory, is fsynced, then renamed over the final
name, so a crash never leaves part of a blob under its name. Every read re-hashes the bytes: a file that
was corrupted on disk is deleted (with a warning) and treated as missing, so a wrong blob is never served.

Retention: a blob uploaded with a tag (task id, round) is kept until `prune` passes that round for the
task (the newest round per task counts, so a model that several rounds reuse stays while any needs it);
tagged blobs are never evicted. Untagged blobs are kept until the total-size limit needs their room:
then the oldest stored go first. When evicting every untagged blob still would not make room, the write
is refused with BlobStoreFull (and nothing is evicted).

On a local miss `fetch` asks each peer in turn (`GET {peer}/blobs/<hash>`, with a timeout and the size
limit), verifies the bytes against the hash, keeps them and returns them. It asks with the
PEER_FETCH_HEADER, so a node asked by a peer answers from its own disk only: peers that list each other
never send a request round in circles.
"""

import asyncio
import json
import logging
import os
import re
import tempfile
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from runtime.crypto import keccak256

log = logging.getLogger("flockchain.blobs")

HASH_BYTES = 32
MAX_TAG_VALUE = 2**64 - 1
MAX_TASKS_PER_BLOB = 256
"""Tags are unauthenticated input: bound how many tasks may pin one blob (and its sidecar's size)."""
PEER_FETCH_HEADER = "Flockchain-Blob-Fetch"
"""Sent on fetches from peers; a node receiving it answers from its own store and does not ask its peers."""
DEFAULT_MAX_BLOB_SIZE = 16 * 1024 * 1024
DEFAULT_MAX_TOTAL_SIZE = 1024 * 1024 * 1024
DEFAULT_RETENTION_ROUNDS = 10
DEFAULT_PEER_TIMEOUT = 10.0
MAX_PROVIDERS = 8
"""Peers remembered per announced blob (asked before the configured peers)."""
MAX_ANNOUNCED = 10_000
"""Announced blobs remembered; the oldest are forgotten first."""
FETCH_CHUNK = 64 * 1024

_HEX_NAME = re.compile(r"[0-9a-f]{64}")
_HASH_TEXT = re.compile(r"0x[0-9a-fA-F]{64}")


class BlobError(Exception):
    """A blob operation was refused; the message says precisely why."""


class InvalidBlobHash(BlobError, ValueError):
    """Not a blob hash: 32 bytes, written 0x and 64 hex digits."""


class InvalidBlobTag(BlobError, ValueError):
    """A retention tag out of range, or one task too many pinning the same blob."""


class BlobTooLarge(BlobError):
    """The blob is bigger than the store's per-blob limit."""


class BlobHashMismatch(BlobError):
    """The bytes do not hash to the hash they were sent under."""


class BlobStoreFull(BlobError):
    """No room: evicting every untagged blob would still leave the store over its total-size limit."""


def blob_hash(data: bytes) -> bytes:
    """A blob's content address."""
    return keccak256(data)


def format_blob_hash(hash_: bytes) -> str:
    """The 0x-prefixed lowercase hex used in URLs and JSON."""
    return "0x" + hash_.hex()


def parse_blob_hash(text: str) -> bytes:
    """0x and 64 hex digits (either case) → 32 bytes; anything else raises InvalidBlobHash."""
    if not isinstance(text, str) or not _HASH_TEXT.fullmatch(text):
        shown = text if isinstance(text, str) and len(text) <= 80 else f"{str(text)[:80]}…"
        raise InvalidBlobHash(f"malformed blob hash {shown!r}: expected 0x followed by 64 hex digits")
    return bytes.fromhex(text[2:])


def check_blob_hash(hash_) -> bytes:
    if not isinstance(hash_, bytes) or len(hash_) != HASH_BYTES:
        raise InvalidBlobHash(f"a blob hash is {HASH_BYTES} bytes, got {hash_!r:.80}")
    return hash_


@dataclass(frozen=True)
class BlobTag:
    """The task round that needs a blob: it is kept until `prune` passes this round for the task."""

    task_id: int
    round: int

    def __post_init__(self):
        for name in ("task_id", "round"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_TAG_VALUE:
                raise InvalidBlobTag(f"tag {name} must be an integer in [0, 2^64 - 1], got {value!r}")


@dataclass(frozen=True)
class BlobInfo:
    """What the store knows of a blob without reading it."""

    hash: bytes
    size: int
    stored_at_ns: int
    """When its bytes were last written (untagged blobs are evicted oldest first)."""
    rounds_by_task: tuple[tuple[int, int], ...] = ()
    """(task id, newest round) pairs, sorted by task: the tags that keep it; empty when untagged."""

    @property
    def tagged(self) -> bool:
        return bool(self.rounds_by_task)


@dataclass(frozen=True)
class StoredBlob:
    """The outcome of a write: `created` is False when the store already held these bytes."""

    hash: bytes
    size: int
    created: bool


def _write_atomically(path: Path, data: bytes) -> None:
    """Temporary file beside `path`, fsync, rename: `path` holds the old bytes or all the new ones."""
    temporary = _write_temporary(path, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


def _write_temporary(path: Path, data: bytes) -> str:
    """`data` durably in a temporary file in `path`'s directory (removed again if anything fails)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class BlobStore:
    """Content-addressed blobs on disk, size-limited, verified on every write and read, fetched from
    peers on a miss. Its sync methods do blocking disk I/O and are thread-safe (call them through
    asyncio.to_thread from the event loop); `fetch` is the async entry point."""

    def __init__(self, directory: str | Path, max_blob_size: int = DEFAULT_MAX_BLOB_SIZE,
                 max_total_size: int = DEFAULT_MAX_TOTAL_SIZE, peers: tuple[str, ...] = (),
                 retention_rounds: int = DEFAULT_RETENTION_ROUNDS, peer_timeout: float = DEFAULT_PEER_TIMEOUT):
        for name, value in (("max_blob_size", max_blob_size), ("max_total_size", max_total_size),
                            ("retention_rounds", retention_rounds)):
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if not peer_timeout > 0:
            raise ValueError(f"peer_timeout must be positive, got {peer_timeout!r}")
        for peer in peers:
            if not isinstance(peer, str) or not peer.startswith(("http://", "https://")):
                raise ValueError(f"a blob peer is an http:// or https:// base URL, got {peer!r}")
        self.directory = Path(directory)
        self.max_blob_size = max_blob_size
        self.max_total_size = max_total_size
        self.peers = tuple(peer.rstrip("/") for peer in peers)
        self.retention_rounds = retention_rounds
        """How many rounds back a task's blobs are kept; the FL side passes it to `prune`."""
        self.peer_timeout = peer_timeout
        self._lock = threading.Lock()
        self._index: dict[bytes, BlobInfo] = {}
        self._total_size = 0
        self._fetches: dict[bytes, asyncio.Future] = {}
        self._providers: dict[bytes, tuple[str, ...]] = {}
        """Blobs peers announced over the network (chain/network BLOB), by hash: their HTTP base URLs."""
        self.listeners: list = []
        """Called as listener(hash, size) after a blob new to this store is kept (from any thread)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._load()

    # what is stored
    @property
    def total_size(self) -> int:
        """Bytes of all stored blobs (what the total-size limit bounds)."""
        with self._lock:
            return self._total_size

    def __len__(self) -> int:
        with self._lock:
            return len(self._index)

    def has(self, hash_: bytes) -> bool:
        check_blob_hash(hash_)
        with self._lock:
            return hash_ in self._index

    def info(self, hash_: bytes) -> BlobInfo | None:
        check_blob_hash(hash_)
        with self._lock:
            return self._index.get(hash_)

    def hashes(self) -> list[bytes]:
        with self._lock:
            return sorted(self._index)

    # reads and writes
    def put(self, data: bytes, expected_hash: bytes | None = None, tag: BlobTag | None = None) -> bytes:
        """Store `data` (checked against `expected_hash` when given); returns its hash."""
        return self.add(data, expected_hash, tag).hash

    def add(self, data: bytes, expected_hash: bytes | None = None, tag: BlobTag | None = None) -> StoredBlob:
        """As `put`, and say whether the blob is new. Storing bytes again rewrites them (which heals a
        copy corrupted on disk) and adds the tag; refused writes leave the store as it was."""
        data = bytes(data)
        if expected_hash is not None:
            check_blob_hash(expected_hash)
        if tag is not None and not isinstance(tag, BlobTag):
            raise InvalidBlobTag(f"a tag is a BlobTag, got {tag!r:.80}")
        if len(data) > self.max_blob_size:
            raise BlobTooLarge(f"blob of {len(data)} bytes exceeds the limit of {self.max_blob_size} bytes")
        actual = blob_hash(data)
        if expected_hash is not None and actual != expected_hash:
            raise BlobHashMismatch(f"the bytes hash to {format_blob_hash(actual)}, "
                                   f"not to {format_blob_hash(expected_hash)}")
        path = self._path(actual)
        path.parent.mkdir(exist_ok=True)
        temporary = _write_temporary(path, data)
        try:
            with self._lock:
                existing = self._index.get(actual)
                rounds = dict(existing.rounds_by_task) if existing else {}
                if tag is not None:
                    rounds[tag.task_id] = max(rounds.get(tag.task_id, tag.round), tag.round)
                    if len(rounds) > MAX_TASKS_PER_BLOB:
                        raise InvalidBlobTag(f"blob {format_blob_hash(actual)} is already kept for "
                                             f"{MAX_TASKS_PER_BLOB} tasks, the most one blob may carry")
                self._make_room(len(data) - (existing.size if existing else 0), keep=actual)
                if existing is None or rounds != dict(existing.rounds_by_task):
                    self._write_tags(actual, rounds)
                os.replace(temporary, path)
                temporary = None
                _fsync_directory(path.parent)
                self._set(BlobInfo(actual, len(data), time.time_ns(), tuple(sorted(rounds.items()))))
        finally:
            if temporary is not None:
                with suppress(OSError):
                    os.unlink(temporary)
        if existing is None:
            for listener in self.listeners:
                try:
                    listener(actual, len(data))
                except Exception:
                    log.exception("blob listener failed")
        return StoredBlob(actual, len(data), existing is None)

    def get(self, hash_: bytes) -> bytes | None:
        """The blob's bytes, re-hashed; None when missing (or found corrupted on disk, then deleted)."""
        check_blob_hash(hash_)
        path = self._path(hash_)
        try:
            with open(path, "rb") as file:
                identity = _identity(os.fstat(file.fileno()))
                data = file.read()
        except FileNotFoundError:
            with self._lock:
                if hash_ in self._index and not path.exists():
                    log.warning("blob %s vanished from disk; forgetting it", format_blob_hash(hash_))
                    self._remove(hash_)
            return None
        actual = blob_hash(data)
        if actual == hash_:
            return data
        with self._lock:
            try:
                unchanged = _identity(os.stat(path)) == identity
            except FileNotFoundError:
                unchanged = False
            if unchanged:
                log.warning("blob %s is corrupted on disk (its %d bytes hash to %s); deleted it",
                            format_blob_hash(hash_), len(data), format_blob_hash(actual))
                self._remove(hash_)
        return None

    def delete(self, hash_: bytes) -> bool:
        """Remove a blob and its tags; False if it was not stored."""
        check_blob_hash(hash_)
        with self._lock:
            if hash_ not in self._index:
                return False
            self._remove(hash_)
            return True

    def prune(self, task_id: int, current_round: int, keep_rounds: int | None = None) -> list[bytes]:
        """Drop `task_id`'s tags for rounds before `current_round - keep_rounds` (default: the store's
        retention_rounds); blobs left with no tag are deleted. Returns the deleted hashes."""
        keep_rounds = self.retention_rounds if keep_rounds is None else keep_rounds
        if keep_rounds < 0:
            raise ValueError(f"keep_rounds must be non-negative, got {keep_rounds}")
        oldest_kept = current_round - keep_rounds
        deleted = []
        with self._lock:
            for info in list(self._index.values()):
                rounds = dict(info.rounds_by_task)
                if task_id not in rounds or rounds[task_id] >= oldest_kept:
                    continue
                del rounds[task_id]
                if rounds:
                    self._write_tags(info.hash, rounds)
                    self._set(BlobInfo(info.hash, info.size, info.stored_at_ns, tuple(sorted(rounds.items()))))
                else:
                    self._remove(info.hash)
                    deleted.append(info.hash)
        if deleted:
            log.info("pruned %d blobs of task %d (rounds before %d)", len(deleted), task_id, oldest_kept)
        return deleted

    # peers
    def note_provider(self, hash_: bytes, url: str) -> None:
        """A peer announced it holds this blob at `url` (its HTTP base URL): ask it first on a miss."""
        check_blob_hash(hash_)
        if not url.startswith(("http://", "https://")):
            return
        with self._lock:
            providers = self._providers.pop(hash_, ())
            if url.rstrip("/") not in providers:
                providers = (providers + (url.rstrip("/"),))[-MAX_PROVIDERS:]
            self._providers[hash_] = providers
            while len(self._providers) > MAX_ANNOUNCED:
                del self._providers[next(iter(self._providers))]

    def providers(self, hash_: bytes) -> tuple[str, ...]:
        """Who to ask for a blob: peers that announced it, then the configured peers."""
        with self._lock:
            announced = self._providers.get(hash_, ())
        return announced + tuple(peer for peer in self.peers if peer not in announced)

    async def fetch(self, hash_: bytes, from_peers: bool = True) -> bytes | None:
        """The blob from this store or, on a miss, from the first peer that serves the right bytes
        (which are then kept here). Concurrent fetches of one hash share one round of peer requests."""
        check_blob_hash(hash_)
        data = await asyncio.to_thread(self.get, hash_)
        if data is not None or not from_peers or not self.providers(hash_):
            return data
        pending = self._fetches.get(hash_)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch_from_peers(hash_))
            self._fetches[hash_] = pending
            pending.add_done_callback(lambda _: self._fetches.pop(hash_, None))
        return await asyncio.shield(pending)

    async def _fetch_from_peers(self, hash_: bytes) -> bytes | None:
        name = format_blob_hash(hash_)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.peer_timeout)) as session:
            for peer in self.providers(hash_):
                data = await self._fetch_from(session, peer, hash_)
                if data is None:
                    continue
                try:
                    await asyncio.to_thread(self.add, data, hash_)
                except BlobHashMismatch as error:
                    log.warning("peer %s served wrong bytes for blob %s (%s); skipping that peer", peer, name, error)
                    continue
                except (BlobError, OSError) as error:
                    log.warning("blob %s fetched from peer %s is served but not kept: %s", name, peer, error)
                log.info("fetched blob %s (%d bytes) from peer %s", name, len(data), peer)
                return data
        return None

    async def _fetch_from(self, session: aiohttp.ClientSession, peer: str, hash_: bytes) -> bytes | None:
        """One peer's bytes for the hash (unverified), or None: not there, an error, too large, too slow."""
        name = format_blob_hash(hash_)
        try:
            async with session.get(f"{peer}/blobs/{name}", headers={PEER_FETCH_HEADER: "1"}) as response:
                if response.status == 404:
                    return None
                if response.status != 200:
                    log.warning("peer %s answered HTTP %d for blob %s", peer, response.status, name)
                    return None
                if response.content_length is not None and response.content_length > self.max_blob_size:
                    log.warning("peer %s offers %d bytes for blob %s, over the limit of %d; skipping it",
                                peer, response.content_length, name, self.max_blob_size)
                    return None
                chunks, size = [], 0
                async for chunk in response.content.iter_chunked(FETCH_CHUNK):
                    size += len(chunk)
                    if size > self.max_blob_size:
                        log.warning("peer %s sent more than the limit of %d bytes for blob %s; skipping it",
                                    peer, self.max_blob_size, name)
                        return None
                    chunks.append(chunk)
                return b"".join(chunks)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as error:
            log.warning("cannot fetch blob %s from peer %s: %s", name, peer, error or type(error).__name__)
            return None

    # internals (the callers hold self._lock)
    def _path(self, hash_: bytes) -> Path:
        name = hash_.hex()
        return self.directory / name[:2] / name

    def _tags_path(self, hash_: bytes) -> Path:
        path = self._path(hash_)
        return path.with_name(path.name + ".tags")

    def _set(self, info: BlobInfo) -> None:
        previous = self._index.get(info.hash)
        self._total_size += info.size - (previous.size if previous else 0)
        self._index[info.hash] = info

    def _remove(self, hash_: bytes) -> None:
        """Blob first, then its tags: a crash between leaves a sidecar alone, which `_load` removes."""
        with suppress(FileNotFoundError):
            os.unlink(self._path(hash_))
        with suppress(FileNotFoundError):
            os.unlink(self._tags_path(hash_))
        info = self._index.pop(hash_, None)
        if info is not None:
            self._total_size -= info.size

    def _write_tags(self, hash_: bytes, rounds: dict[int, int]) -> None:
        """Written before the blob's rename, so a blob under its name always has its tags."""
        path = self._tags_path(hash_)
        if rounds:
            _write_atomically(path, json.dumps({str(task): r for task, r in sorted(rounds.items())}).encode())
        else:
            with suppress(FileNotFoundError):
                os.unlink(path)

    def _make_room(self, extra: int, keep: bytes) -> None:
        """Evict the oldest untagged blobs (never `keep`) until `extra` more bytes fit; if they cannot
        be made to fit, raise BlobStoreFull having evicted nothing."""
        excess = self._total_size + extra - self.max_total_size
        if excess <= 0:
            return
        evictable = sorted((info for info in self._index.values() if not info.tagged and info.hash != keep),
                           key=lambda info: (info.stored_at_ns, info.hash))
        chosen, freed = [], 0
        for info in evictable:
            if freed >= excess:
                break
            chosen.append(info)
            freed += info.size
        if freed < excess:
            raise BlobStoreFull(f"no room for {extra} more bytes: the store holds {self._total_size} of its "
                                f"{self.max_total_size} bytes, and evicting every untagged blob frees only {freed}")
        for info in chosen:
            log.info("evicting untagged blob %s (%d bytes) to make room", format_blob_hash(info.hash), info.size)
            self._remove(info.hash)

    def _load(self) -> None:
        """Index what is on disk; remove crash leftovers (temporary files, tags without their blob)."""
        tags: dict[bytes, Path] = {}
        for shard in sorted(self.directory.iterdir()):
            if not (shard.is_dir() and re.fullmatch(r"[0-9a-f]{2}", shard.name)):
                continue
            for entry in shard.iterdir():
                if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                    log.info("removing %s, a write cut short", entry)
                    with suppress(OSError):
                        entry.unlink()
                elif entry.name.endswith(".tags") and _HEX_NAME.fullmatch(entry.name[:-5]):
                    tags[bytes.fromhex(entry.name[:-5])] = entry
                elif _HEX_NAME.fullmatch(entry.name) and entry.name.startswith(shard.name) and entry.is_file():
                    stat = entry.stat()
                    self._set(BlobInfo(bytes.fromhex(entry.name), stat.st_size, stat.st_mtime_ns))
        for hash_, path in tags.items():
            info = self._index.get(hash_)
            if info is None:
                with suppress(OSError):
                    path.unlink()
                continue
            rounds = _read_tags(path)
            if rounds:
                self._set(BlobInfo(hash_, info.size, info.stored_at_ns, tuple(sorted(rounds.items()))))


def _read_tags(path: Path) -> dict[int, int]:
    try:
        raw = json.loads(path.read_bytes())
        rounds = {int(task): value for task, value in raw.items()}
        for task, value in rounds.items():
            BlobTag(task, value)
        return rounds
    except (OSError, ValueError, AttributeError, TypeError) as error:
        log.warning("ignoring unreadable retention tags in %s (%s); the blob is now untagged", path, error)
        return {}


def _identity(stat: os.stat_result) -> tuple[int, int, int, int]:
    """Whether a path still names the same file: a rewrite (by rename) changes the inode."""
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns
