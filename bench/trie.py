"""The state trie's batch commit against py-trie's HexaryTrie doing the same updates (same run)."""

import time

from trie import HexaryTrie

from runtime.crypto import keccak256
from runtime.trie import Trie

KEYS, BATCH = 100_000, 3_000


def _entry(i: int, salt: bytes = b"") -> tuple[bytes, bytes]:
    key = keccak256(salt + i.to_bytes(8, "big"))
    return key, (keccak256(key) * 4)[: 1 + i % 100]


def _block(b: int) -> list[tuple[bytes, bytes]]:
    """2/3 overwrites of existing keys, 1/3 new keys; values 1..100 bytes (a block of transfers' shape)."""
    old = [_entry((b * 7919 + j * 31) % KEYS)[0] for j in range(2 * BATCH // 3)]
    writes = [(k, keccak256(k + bytes([b % 256]))[: 1 + j % 60]) for j, k in enumerate(old)]
    return writes + [_entry(j, salt=b"new%d" % b) for j in range(BATCH - len(old))]


def measure(blocks: int = 5) -> dict:
    store: dict[bytes, bytes] = {}
    trie = Trie(store)
    for start in range(0, KEYS, 20_000):
        trie.update(_entry(i) for i in range(start, start + 20_000))
        store.update(trie.commit()[1])
    ours = []
    for b in range(blocks):
        writes = _block(b)
        started = time.perf_counter()
        trie.update(writes)
        _, nodes = trie.commit()
        ours.append(time.perf_counter() - started)
        store.update(nodes)
    writes = _block(blocks + 1000)
    reference = HexaryTrie(dict(store), root_hash=trie.root)
    started = time.perf_counter()
    for key, value in writes:
        reference[key] = value
    theirs = time.perf_counter() - started
    trie.update(writes)
    assert trie.commit()[0] == reference.root_hash, "root differs from py-trie"
    return {"ours": BATCH / min(ours), "theirs": BATCH / theirs}
