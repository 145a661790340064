"""Conformance cases for stake-weighted sampling (spec/sampling.md): seed, weights, k → selection."""

import hashlib
from dataclasses import dataclass

from runtime.sampling import sample


@dataclass(frozen=True)
class SamplingVector:
    name: str
    description: str
    seed: bytes
    candidates: tuple[tuple[bytes, int], ...]
    k: int
    selection: tuple[bytes, ...]
    folder = "sampling"

    def to_json(self) -> dict:
        return {"kind": "sampling", "name": self.name, "description": self.description, "seed": "0x" + self.seed.hex(),
                "candidates": [["0x" + c.hex(), str(w)] for c, w in self.candidates], "k": self.k,
                "selection": ["0x" + c.hex() for c in self.selection]}


def _case(name: str, description: str, seed_text: bytes, candidates, k: int) -> SamplingVector:
    seed = hashlib.sha256(seed_text).digest()
    return SamplingVector(name, description, seed, tuple(candidates), k, tuple(sample(seed, list(candidates), k)))


def address(i: int) -> bytes:
    return (0x1000 + i).to_bytes(20, "big")


def case_sampling_equal_weights() -> SamplingVector:
    vector = _case("sampling_equal_weights", "ten equal stakes, three seats", b"equal", [(address(i), 100) for i in range(10)], 3)
    assert len(vector.selection) == 3
    return vector


def case_sampling_skewed_weights() -> SamplingVector:
    stakes = [(address(i), 3_000 * 10**18 * (i + 1) ** 2) for i in range(8)]
    return _case("sampling_skewed_weights", "FLOCK-sized stakes growing quadratically, four seats", b"skewed", stakes, 4)


def case_sampling_zero_weights_excluded() -> SamplingVector:
    vector = _case("sampling_zero_weights_excluded", "zero-weight candidates are never drawn", b"zero",
                   [(address(i), i % 2) for i in range(10)], 10)
    assert len(vector.selection) == 5 and all(int.from_bytes(c, "big") % 2 for c in vector.selection)
    return vector


def case_sampling_k_above_candidates() -> SamplingVector:
    vector = _case("sampling_k_above_candidates", "asking for more seats than candidates draws everyone once",
                   b"all", [(address(i), 7 * i + 1) for i in range(4)], 9)
    assert sorted(vector.selection) == [address(i) for i in range(4)]
    return vector


def case_sampling_huge_weights() -> SamplingVector:
    return _case("sampling_huge_weights", "weights near 2**255 (rejection sampling across the whole range)", b"huge",
                 [(address(0), 2**255 - 1), (address(1), 2**254 + 12345), (address(2), 1)], 2)


SAMPLING_CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]
