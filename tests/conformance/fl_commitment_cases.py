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


def _votes(name: str, description: str, accepts: int, harmful: int, salt: bytes, voter: bytes) -> CommitmentVector:
    commitment = formats.compute_vote_commitment(accepts, harmful, salt, voter)
    assert commitment == keccak(accepts.to_bytes(32, "big") + harmful.to_bytes(32, "big") + salt + voter)
    assert alliance.compute_vote_commitment is formats.compute_vote_commitment, "the module checks with it"
    return CommitmentVector(name, description, {"commits": "votes", "accepts": hex(accepts), "harmful": hex(harmful),
                                                "salt": _hex(salt), "voter": _hex(voter)}, commitment)


def case_fl_commitment_update() -> CommitmentVector:
    return _update("fl_commitment_update", "keccak256(updateHash ‖ salt ‖ proposer)", bytes(range(32)),
                   b"\x5a" * 32, PROPOSER)


def case_fl_commitment_votes() -> CommitmentVector:
    return _votes("fl_commitment_votes", "keccak256(uint256 accepts ‖ uint256 harmful ‖ salt ‖ voter): updates 0 and "
                  "2 accepted, 1 flagged harmful", 0b101, 0b010, bytes(range(100, 132)), VOTER)


def case_fl_commitment_votes_full_bitmaps() -> CommitmentVector:
    return _votes("fl_commitment_votes_full_bitmaps", "256 updates: every bit of accepts set, none of harmful; a voter "
                  "address with leading zero bytes", 2**256 - 1, 0, bytes(32), VOTER)


FL_COMMITMENT_CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]
