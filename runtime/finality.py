"""Finality votes and justifications: what a GRANDPA-style vote signs and when a set of
precommits proves a block final (spec/finality.md).

Pure: the node's voter (chain/finality.py) builds and gossips these; the runtime checks
two of them for equivocation; any node checks a justification with `verify_justification`
and nothing but its bytes and the voter set, because it carries the headers linking each
precommit's target back to the finalized block.
"""

from dataclasses import dataclass

import rlp

from .blocks import Header, decode_fixed, decode_uint, encode_uint
from .crypto import RlpShapeError, check_rlp_depth, keccak256, recover_address, rlp_encode, sign_hash
from .modules.randomness import u64

PREVOTE, PRECOMMIT = 0, 1
STAGES = (PREVOTE, PRECOMMIT)
VOTE_DOMAIN = b"flockchain/grandpa/v1"
MAX_JUSTIFICATION_VOTES = 1_000
MAX_ANCESTRY_HEADERS = 10_000


class InvalidFinalityMessage(ValueError):
    """A vote or justification that is malformed, wrongly signed, or does not prove what it claims."""


def compute_vote_hash(chain_id: int, set_id: int, round_: int, stage: int, target_hash: bytes,
                      target_number: int) -> bytes:
    """What a voter signs: the chain, the voter set and round it votes in, the stage, and the target block."""
    return keccak256(VOTE_DOMAIN + u64(chain_id) + u64(set_id) + u64(round_) + bytes((stage,)) + target_hash
                     + u64(target_number))


def compute_threshold(total_weight: int) -> int:
    """Weight a supermajority needs: `total − ⌊(total − 1) / 3⌋`, more than two thirds of `total`."""
    return total_weight - (total_weight - 1) // 3


@dataclass(frozen=True)
class SignedVote:
    set_id: int
    round: int
    stage: int
    target_hash: bytes
    target_number: int
    signature: bytes
    """65 bytes r ‖ s ‖ yParity, low s."""

    def message_hash(self, chain_id: int) -> bytes:
        return compute_vote_hash(chain_id, self.set_id, self.round, self.stage, self.target_hash, self.target_number)

    def voter(self, chain_id: int) -> bytes | None:
        """The signer's address, or None for an invalid signature."""
        sig = self.signature
        if len(sig) != 65:
            return None
        return recover_address(self.message_hash(chain_id), sig[64], int.from_bytes(sig[:32], "big"),
                               int.from_bytes(sig[32:64], "big"))

    def fields(self) -> list:
        return [encode_uint(self.set_id), encode_uint(self.round), encode_uint(self.stage), self.target_hash,
                encode_uint(self.target_number), self.signature]

    def encode(self) -> bytes:
        return rlp_encode(self.fields())

    @classmethod
    def from_fields(cls, fields) -> "SignedVote":
        if not isinstance(fields, list) or len(fields) != 6 or not all(isinstance(f, bytes) for f in fields):
            raise InvalidFinalityMessage("a vote is an RLP list of 6 byte strings")
        try:
            vote = cls(decode_uint(fields[0], "setId", 64), decode_uint(fields[1], "round", 64),
                       decode_uint(fields[2], "stage", 8), decode_fixed(fields[3], "targetHash", 32),
                       decode_uint(fields[4], "targetNumber", 64), decode_fixed(fields[5], "signature", 65))
        except Exception as error:
            raise InvalidFinalityMessage(f"malformed vote: {error}") from None
        if vote.stage not in STAGES:
            raise InvalidFinalityMessage(f"unknown vote stage {vote.stage}")
        return vote

    @classmethod
    def decode(cls, data: bytes) -> "SignedVote":
        return cls.from_fields(_decode_rlp(data, 1, "vote"))


def sign_vote(secret: bytes, chain_id: int, set_id: int, round_: int, stage: int, target_hash: bytes,
              target_number: int) -> SignedVote:
    y_parity, r, s = sign_hash(secret, compute_vote_hash(chain_id, set_id, round_, stage, target_hash, target_number))
    return SignedVote(set_id, round_, stage, target_hash, target_number,
                      r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((y_parity,)))


def is_equivocation(chain_id: int, first: SignedVote, second: SignedVote) -> bytes | None:
    """The voter who signed two different targets in one (set, round, stage), or None if these two do not show it."""
    if (first.set_id, first.round, first.stage) != (second.set_id, second.round, second.stage):
        return None
    if (first.target_hash, first.target_number) == (second.target_hash, second.target_number):
        return None
    voter = first.voter(chain_id)
    return voter if voter is not None and voter == second.voter(chain_id) else None


@dataclass(frozen=True)
class Justification:
    """Precommits of one round by more than two thirds of the voter set's weight for `target` or
    its descendants; `ancestry` holds the headers from each such descendant back to `target`."""

    set_id: int
    round: int
    target_hash: bytes
    target_number: int
    precommits: tuple[SignedVote, ...]
    ancestry: tuple[Header, ...] = ()

    def encode(self) -> bytes:
        return rlp_encode([encode_uint(self.set_id), encode_uint(self.round), self.target_hash,
                           encode_uint(self.target_number), [v.fields() for v in self.precommits],
                           [h.fields() for h in self.ancestry]])

    @classmethod
    def decode(cls, data: bytes) -> "Justification":
        fields = _decode_rlp(data, 3, "justification")
        if not isinstance(fields, list) or len(fields) != 6 or not all(isinstance(f, bytes) for f in fields[:4]) \
                or not isinstance(fields[4], list) or not isinstance(fields[5], list):
            raise InvalidFinalityMessage("a justification is [setId, round, targetHash, targetNumber, [votes], [headers]]")
        if len(fields[4]) > MAX_JUSTIFICATION_VOTES or len(fields[5]) > MAX_ANCESTRY_HEADERS:
            raise InvalidFinalityMessage("justification has too many votes or headers")
        try:
            ancestry = tuple(Header.from_fields(h) for h in fields[5])
            head = (decode_uint(fields[0], "setId", 64), decode_uint(fields[1], "round", 64),
                    decode_fixed(fields[2], "targetHash", 32), decode_uint(fields[3], "targetNumber", 64))
        except InvalidFinalityMessage:
            raise
        except Exception as error:
            raise InvalidFinalityMessage(f"malformed justification: {error}") from None
        return cls(*head, tuple(SignedVote.from_fields(v) for v in fields[4]), ancestry)


def verify_justification(justification: Justification, chain_id: int, set_id: int,
                         voters: dict[bytes, int]) -> None:
    """Raise InvalidFinalityMessage unless `justification` proves its target final under the
    voter set `set_id` with `voters` (address → weight).

    Every precommit is of the justification's set and round, signed by a distinct voter, and
    targets the justified block or a descendant reachable through `ancestry` (each header's
    parent is the justified block or another ancestry header); their weight reaches the threshold.
    """
    j = justification
    if j.set_id != set_id:
        raise InvalidFinalityMessage(f"justification is for voter set {j.set_id}, expected {set_id}")
    parents = {h.hash: (h.parent_hash, h.number) for h in j.ancestry}
    seen: set[bytes] = set()
    weight = 0
    for vote in j.precommits:
        if vote.stage != PRECOMMIT or vote.set_id != j.set_id or vote.round != j.round:
            raise InvalidFinalityMessage("justification holds a vote that is not a precommit of its set and round")
        voter = vote.voter(chain_id)
        if voter is None or voter not in voters:
            raise InvalidFinalityMessage("justification holds a precommit not signed by a voter of the set")
        if voter in seen:
            raise InvalidFinalityMessage(f"voter 0x{voter.hex()} precommits twice in the justification")
        seen.add(voter)
        if not _descends(parents, vote.target_hash, vote.target_number, j.target_hash, j.target_number):
            raise InvalidFinalityMessage("a precommit's target does not descend from the justified block")
        weight += voters[voter]
    needed = compute_threshold(sum(voters.values()))
    if weight < needed:
        raise InvalidFinalityMessage(f"precommits carry weight {weight}, finality needs {needed}")


def _descends(parents: dict, block_hash: bytes, number: int, ancestor_hash: bytes, ancestor_number: int) -> bool:
    while number > ancestor_number:
        if block_hash not in parents or parents[block_hash][1] != number:
            return False
        block_hash, number = parents[block_hash][0], number - 1
    return number == ancestor_number and block_hash == ancestor_hash


def _decode_rlp(data: bytes, depth: int, what: str):
    if not isinstance(data, bytes | bytearray) or not data:
        raise InvalidFinalityMessage(f"empty {what}")
    try:
        check_rlp_depth(bytes(data), depth)
        return rlp.decode(bytes(data), strict=True)
    except (rlp.exceptions.DecodingError, RlpShapeError) as error:
        raise InvalidFinalityMessage(f"{what} is not valid RLP ({error})") from None
