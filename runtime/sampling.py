"""Stake-weighted sampling without replacement, in integers only.

    sample(seed, candidates, k):
        pool ← candidates with weight > 0, in ascending order of id (ties impossible: ids are unique)
        repeat min(k, |pool|) times, for draw i = 0, 1, …:
            total ← Σ weights in pool
            r     ← uniform_below(seed, i, total)
            pick the first candidate whose cumulative weight (in pool order) exceeds r
            remove it from pool
    uniform_below(seed, i, total):
        for counter = 0, 1, …:
            x ← uint256(sha256(seed ‖ uint64(i) ‖ uint64(counter)))
            if x < 2^256 − (2^256 mod total): return x mod total      (rejection: no modulo bias)

Each draw picks a remaining candidate with probability weight / remaining total. So the
probability that an entity is drawn at least once does not depend on how it splits its
weight across accounts (until its first pick, the draws see the same total on its side);
splitting lets an entity win more than one seat, one per account, as separate stakers.
"""

import hashlib
from collections.abc import Sequence

_TWO_256 = 1 << 256


def uniform_below(seed: bytes, draw: int, total: int) -> int:
    if total <= 0:
        raise ValueError("total weight must be positive")
    limit = _TWO_256 - (_TWO_256 % total)
    counter = 0
    while True:
        digest = hashlib.sha256(seed + draw.to_bytes(8, "big") + counter.to_bytes(8, "big")).digest()
        value = int.from_bytes(digest, "big")
        if value < limit:
            return value % total
        counter += 1


def sample(seed: bytes, candidates: Sequence[tuple[bytes, int]], k: int) -> list[bytes]:
    """Up to k distinct ids, drawn in order; `candidates` are (id, weight ≥ 0) with unique ids."""
    ids = [candidate_id for candidate_id, _ in candidates]
    if len(set(ids)) != len(ids):
        raise ValueError("candidate ids must be unique")
    if any(weight < 0 for _, weight in candidates):
        raise ValueError("weights must be non-negative")
    pool = sorted((candidate_id, weight) for candidate_id, weight in candidates if weight > 0)
    chosen = []
    for draw in range(min(k, len(pool))):
        r = uniform_below(seed, draw, sum(weight for _, weight in pool))
        for index, (candidate_id, weight) in enumerate(pool):
            if r < weight:
                chosen.append(candidate_id)
                del pool[index]
                break
            r -= weight
    return chosen
