"""Conformance cases for FL Alliance commitments (spec/modules/fl_alliance.md): the bytes a worker commits
and the module checks a reveal against, from one definition (fl_module/formats.py)."""

from dataclasses import dataclass

from eth_hash.auto import keccak

from fl_module import alliance, formats

PROPOSER = bytes.fromhex("f39fd6e51aad88f6f4ce6ab8827279cfffb92266")
VOTER = bytes.fromhex("0000000000000000000000000000000000c0ffee")


@dataclass(frozen=True)
class CommitmentVector:
    name: str
    description: str
    inputs: dict
    commitment: bytes
    folder = "fl_commitments"

    def to_json(self) -> dict:
        return {"kind": "fl_commitment", "name": self.name, "description": self.description, **self.inputs,
                "commitment": "0x" + self.commitment.hex()}


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _update(name: str, description: str, update_hash: bytes, salt: bytes, proposer: bytes) -> CommitmentVector:
    commitment = formats.compute_update_commitment(update_hash, salt, proposer)
    assert commitment == keccak(update_hash + salt + proposer), "the spec's preimage, hashed independently"
    assert alliance.compute_update_commitment is formats.compute_update_commitment, "the module checks with it"
    return CommitmentVector(name, description, {"commits": "update", "updateHash": _hex(update_hash),
                                                "salt": _hex(salt), "proposer": _hex(proposer)}, commitment)


def _scores(name: str, description: str, scores: list[int], salt: bytes, voter: bytes) -> CommitmentVector:
    commitment = formats.compute_score_commitment(scores, salt, voter)
    assert commitment == keccak(b"".join(score.to_bytes(4, "big") for score in scores) + salt + voter)
    assert alliance.compute_score_commitment is formats.compute_score_commitment, "the module checks with it"
    return CommitmentVector(name, description, {"commits": "scores", "scores": scores, "salt": _hex(salt),
                                                "voter": _hex(voter)}, commitment)


def case_fl_commitment_update() -> CommitmentVector:
    return _update("fl_commitment_update", "keccak256(updateHash ‖ salt ‖ proposer)", bytes(range(32)),
                   b"\x5a" * 32, PROPOSER)


def case_fl_commitment_scores() -> CommitmentVector:
    return _scores("fl_commitment_scores", "keccak256(u32 score₀ ‖ u32 score₁ ‖ u32 score₂ ‖ salt ‖ voter): an "
                   "improvement (0.9), a free rider (1.0) and an unusable update", [900_000, 1_000_000, 2**32 - 1],
                   bytes(range(100, 132)), VOTER)


def case_fl_commitment_scores_many() -> CommitmentVector:
    return _scores("fl_commitment_scores_many", "256 updates scored 0 … 255 (a voter address with leading zero "
                   "bytes)", list(range(256)), bytes(32), VOTER)


FL_COMMITMENT_CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]
