"""The GRANDPA-style finality voter (spec/finality.md): rounds of prevotes and precommits over the
node's block tree; a block is final once voters holding more than two thirds of the weight
precommit it or its descendants in one round.

The voter has no I/O and no clock of its own, so it runs the same under a test's simulated
network as in a node: time comes in as `now`, votes leave through `send_vote`, and the node
stores and applies what `on_finalize` hands it. The callbacks must not call back into the voter.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from runtime.blocks import Header
from runtime.crypto import private_key_to_address
from runtime.finality import (PRECOMMIT, PREVOTE, STAGES, InvalidFinalityMessage, Justification, SignedVote,
                              compute_threshold, sign_vote, verify_justification)


class BlockTree(Protocol):
    """What the voter reads of the node's blocks."""

    def get_header(self, block_hash: bytes) -> Header | None:
        """Any known block, canonical or not."""

    def best_hash(self) -> bytes:
        """The fork-choice head; it always descends from the finalized block."""

    def finalized(self) -> Header: ...

    def is_descendant(self, block_hash: bytes, ancestor_hash: bytes) -> bool:
        """Inclusive (a block descends from itself); False when either is unknown."""

    def voter_set(self) -> tuple[int, dict[bytes, int]]:
        """(set id, address → weight) in force at the finalized block."""


@dataclass(frozen=True)
class FinalityConfig:
    prevote_delay: float = 0.5
    """Seconds from a round's start to its prevote: time for the newest blocks to spread."""
    round_timeout: float = 5.0
    """Seconds a round may run without completing before it is abandoned, or, when fewer than a
    supermajority of voters took part in it, before this voter sends its votes again."""
    max_future_rounds: int = 4
    """Rounds ahead of the current one whose votes are kept for when the voter gets there."""
    history_rounds: int = 3
    """Rounds behind the current one whose late votes still count (locks, finality, equivocations)."""
    equivocate: bool = False
    """Test switch: sign a second, different prevote each round, as a misbehaving validator would."""


@dataclass(frozen=True)
class FinalityStats:
    set_id: int
    round: int
    finalized_number: int
    last_finalized_round: int | None
    """The round whose precommits (this voter's tally or a justification) finalized the latest block."""
    equivocations: int
    """Equivocations by other voters reported through `on_equivocation`."""


class BlockId(NamedTuple):
    """Ordered by number, then hash: `max` picks the highest block, ties broken by hash."""

    number: int
    hash: bytes


@dataclass(frozen=True)
class Lock:
    """The block every prevote must descend from, and the round whose prevote-GHOST set it."""

    round: int
    block_hash: bytes


class VoteJournal(Protocol):
    """Where a voter keeps what it signed and its lock, so that after a restart it re-sends its own
    vote for a (set, round, stage) instead of signing a different one (an equivocation)."""

    def get_vote(self, set_id: int, round_: int, stage: int) -> SignedVote | None: ...

    def put_vote(self, vote: SignedVote) -> None: ...

    def get_last_round(self, set_id: int) -> int:
        """The highest round of `set_id` this voter signed in (0: none)."""
        ...

    def get_lock(self, set_id: int) -> Lock | None: ...

    def put_lock(self, set_id: int, lock: Lock) -> None: ...


class MemoryJournal:
    """A journal that forgets on restart (tests, observers)."""

    def __init__(self):
        self.votes: dict[tuple[int, int, int], SignedVote] = {}
        self.locks: dict[int, Lock] = {}

    def get_vote(self, set_id: int, round_: int, stage: int) -> SignedVote | None:
        return self.votes.get((set_id, round_, stage))

    def put_vote(self, vote: SignedVote) -> None:
        self.votes[(vote.set_id, vote.round, vote.stage)] = vote

    def get_last_round(self, set_id: int) -> int:
        return max((r for s, r, _ in self.votes if s == set_id), default=0)

    def get_lock(self, set_id: int) -> Lock | None:
        return self.locks.get(set_id)

    def put_lock(self, set_id: int, lock: Lock) -> None:
        self.locks[set_id] = lock


@dataclass
class RoundVotes:
    number: int
    start: float | None = None
    deadline: float | None = None
    votes: tuple[dict[bytes, SignedVote], dict[bytes, SignedVote]] = field(default_factory=lambda: ({}, {}))
    """Per stage, each voter's first vote: an equivocator's weight counts once."""
    seen: set[SignedVote] = field(default_factory=set)
    """Votes already taken, so a relayed copy is dropped before its signature is checked."""
    equivocators: set[tuple[bytes, int]] = field(default_factory=set)
    dirty: bool = True
    """Votes, known blocks or the finalized block changed since the round was last tallied."""
    completed: bool = False
    """Its precommits have a GHOST: the voter moves on to the next round."""


class FinalityVoter:
    """One node's voter. With `secret` None, or a key outside the voter set, it only observes:
    it tallies votes and finalizes, but never signs."""

    def __init__(self, tree: BlockTree, chain_id: int, secret: bytes | None,
                 send_vote: Callable[[SignedVote], None], on_finalize: Callable[[Justification], None],
                 on_equivocation: Callable[[SignedVote, SignedVote], None], config: FinalityConfig = FinalityConfig(),
                 journal: VoteJournal | None = None):
        self.tree = tree
        self.journal = MemoryJournal() if journal is None else journal
        self.chain_id = chain_id
        self.secret = secret
        self.address = private_key_to_address(secret) if secret is not None else None
        self.send_vote = send_vote
        self.on_finalize = on_finalize
        self.on_equivocation = on_equivocation
        self.config = config
        self._finalized = self._block_id(tree.finalized())
        self._parents: dict[bytes, tuple[int, bytes]] = {}
        """Number and parent of blocks above the finalized one that votes reached: ancestry walks stay in memory."""
        self._last_finalized_round: int | None = None
        self._equivocations = 0
        self._start_set(*tree.voter_set(), None)

    @property
    def round(self) -> int:
        return self._round

    @property
    def set_id(self) -> int:
        return self._set_id

    @property
    def lock(self) -> Lock:
        return self._lock

    @property
    def stats(self) -> FinalityStats:
        return FinalityStats(self._set_id, self._round, self._finalized.number, self._last_finalized_round,
                             self._equivocations)

    # the node's calls
    def on_vote(self, vote: SignedVote, now: float) -> bool:
        """Take a gossiped vote; True when it was new and useful (relay it).

        Raises InvalidFinalityMessage for a vote of this set, in a round the voter keeps, that is not
        signed by one of the set's voters. Votes of other sets and of rounds too old or too far
        ahead are ignored.
        """
        self._sync(now)
        if vote.set_id != self._set_id or vote.round < max(1, self._round - self.config.history_rounds):
            return False
        if vote.stage not in STAGES:
            raise InvalidFinalityMessage(f"unknown vote stage {vote.stage}")
        far = vote.round > self._round + self.config.max_future_rounds
        state = None if far else self._rounds.get(vote.round)
        if state is not None and vote in state.seen:
            return False
        voter = vote.voter(self.chain_id)
        if voter is None or voter not in self._voters:
            if far:
                return False
            raise InvalidFinalityMessage(f"vote is not signed by a voter of set {self._set_id}")
        if far:
            self._hold_far(voter, vote)
            self._progress(now)
            return False
        useful = self._store(self._rounds.setdefault(vote.round, RoundVotes(vote.round)), voter, vote)
        if useful:
            self._progress(now)
        return useful

    def on_justification(self, justification: Justification, now: float) -> bool:
        """Finalize the justified block if it is above the finalized one; True when it was (or, its
        block still unknown, will be) applied: relay it.

        Raises InvalidFinalityMessage when the justification does not prove its block final under the
        current set, or proves a block that does not extend the finalized one.
        """
        self._sync(now)
        j = justification
        if j.set_id != self._set_id or j.target_number <= self._finalized.number:
            return False
        verify_justification(j, self.chain_id, self._set_id, self._voters)
        header = self.tree.get_header(j.target_hash)
        if header is None:
            if self._pending is not None and self._pending.target_number >= j.target_number:
                return False
            self._pending = j
            return True
        if header.number != j.target_number or not self.tree.is_descendant(j.target_hash, self._finalized.hash):
            raise InvalidFinalityMessage(f"justified block #{j.target_number} does not extend the finalized block")
        self._apply(j, now)
        return True

    def on_block_imported(self, now: float) -> None:
        """The best block or the tree changed: votes for blocks that were unknown may count now."""
        self._sync(now)
        for state in self._rounds.values():
            state.dirty = True
        pending = self._pending
        if pending is not None and self.tree.get_header(pending.target_hash) is not None:
            self._pending = None
            if pending.target_number > self._finalized.number \
                    and self.tree.is_descendant(pending.target_hash, self._finalized.hash):
                self._apply(pending, now)
        self._progress(now)

    def tick(self, now: float) -> None:
        self._sync(now)
        self._progress(now)

    # rounds
    def _start_set(self, set_id: int, voters: dict[bytes, int], now: float | None) -> None:
        self._set_id = set_id
        self._voters = dict(voters)
        total = sum(self._voters.values())
        self._threshold = compute_threshold(total)
        self._catch_up_weight = total - self._threshold + 1
        """More than a third: at least one honest voter is in a round this far."""
        self._round = max(1, self.journal.get_last_round(set_id))
        """A restarted voter resumes at the last round it signed in, never below it."""
        self._rounds = {self._round: self._fresh_round(self._round, now)}
        kept = self.journal.get_lock(set_id)
        self._lock = kept if kept is not None and self.tree.is_descendant(kept.block_hash, self._finalized.hash) \
            else Lock(0, self._finalized.hash)
        self._latest_round: dict[bytes, int] = {}
        self._far: dict[bytes, tuple[SignedVote, ...]] = {}
        """Each voter's votes at its latest round beyond the kept ones, for a catch-up jump there."""
        self._pending: Justification | None = None

    def _fresh_round(self, number: int, now: float | None) -> RoundVotes:
        return RoundVotes(number, now, None if now is None else now + self.config.round_timeout)

    def _enter(self, number: int, now: float) -> None:
        self._round = number
        oldest = number - self.config.history_rounds
        for old in [n for n in self._rounds if n < oldest]:
            del self._rounds[old]
        state = self._rounds.setdefault(number, RoundVotes(number))
        state.start, state.deadline, state.dirty = now, now + self.config.round_timeout, True
        horizon = number + self.config.max_future_rounds
        for voter, votes in list(self._far.items()):
            if votes[0].round <= horizon:
                del self._far[voter]
                if votes[0].round >= oldest:
                    for vote in votes:
                        self._store(self._rounds.setdefault(vote.round, RoundVotes(vote.round)), voter, vote)

    def _progress(self, now: float) -> None:
        """Apply the round rules (catch-up, tallies, prevote, completion, timeout) until none changes anything."""
        while True:
            set_id = self._set_id
            target = self._catch_up_round()
            if target > self._round:
                self._enter(target, now)
            for number in sorted(n for n in self._rounds if n <= self._round):
                self._evaluate(self._rounds[number], now)
                if self._set_id != set_id:
                    break
            if self._set_id != set_id:
                continue
            state = self._rounds[self._round]
            if state.start is None:
                state.start, state.deadline = now, now + self.config.round_timeout
            if self._can_vote and self.address not in state.votes[PREVOTE] \
                    and now >= state.start + self.config.prevote_delay:
                self._prevote(state)
                continue
            if state.completed:
                self._enter(self._round + 1, now)
                continue
            if now >= state.deadline:
                if self._participation(state) >= self._threshold:
                    self._enter(self._round + 1, now)
                    continue
                for stage in STAGES:
                    if self.address in state.votes[stage]:
                        self.send_vote(state.votes[stage][self.address])
                state.deadline = now + self.config.round_timeout
            return

    def _evaluate(self, state: RoundVotes, now: float) -> None:
        """Tally a round: move the lock, precommit (current round), finalize what its precommits prove."""
        if not state.dirty:
            return
        state.dirty = False
        prevote_ghost = self._ghost(state.votes[PREVOTE])
        if prevote_ghost is not None:
            self._move_lock(prevote_ghost, state.number)
            if state.number == self._round and self._can_vote and self.address in state.votes[PREVOTE] \
                    and self.address not in state.votes[PRECOMMIT]:
                self._cast(state, PRECOMMIT, prevote_ghost)
                state.dirty = False
        precommit_ghost = self._ghost(state.votes[PRECOMMIT])
        state.completed = precommit_ghost is not None
        if precommit_ghost is not None and precommit_ghost.number > self._finalized.number:
            self._finalize(state, precommit_ghost, now)

    def _catch_up_round(self) -> int:
        """The highest round that voters of more than a third of the weight have reached."""
        weight = 0
        for round_, voter in sorted(((r, v) for v, r in self._latest_round.items()), reverse=True):
            weight += self._voters[voter]
            if weight >= self._catch_up_weight:
                return round_
        return 0

    def _participation(self, state: RoundVotes) -> int:
        return sum(self._voters[v] for v in state.votes[PREVOTE].keys() | state.votes[PRECOMMIT].keys())

    @property
    def _can_vote(self) -> bool:
        return self.address is not None and self.address in self._voters

    # votes
    def _prevote(self, state: RoundVotes) -> None:
        best = self.tree.best_hash()
        target = best if self.tree.is_descendant(best, self._lock.block_hash) else self._lock.block_hash
        header = self.tree.get_header(target)
        self._cast(state, PREVOTE, BlockId(header.number, target))
        if self.config.equivocate and self.tree.get_header(header.parent_hash) is not None:
            self.send_vote(sign_vote(self.secret, self.chain_id, self._set_id, state.number, PREVOTE,
                                     header.parent_hash, header.number - 1))

    def _cast(self, state: RoundVotes, stage: int, target: BlockId) -> None:
        """Sign and send a vote, or re-send the one the journal holds for this round and stage."""
        vote = self.journal.get_vote(self._set_id, state.number, stage)
        if vote is None and state.number < self.journal.get_last_round(self._set_id):
            return
        if vote is None:
            vote = sign_vote(self.secret, self.chain_id, self._set_id, state.number, stage, target.hash, target.number)
            self.journal.put_vote(vote)
        self._store(state, self.address, vote)
        self.send_vote(vote)

    def _store(self, state: RoundVotes, voter: bytes, vote: SignedVote) -> bool:
        """Record a checked vote; True when it is a voter's first in its stage or newly shows an equivocation."""
        first = state.votes[vote.stage].get(voter)
        if first is None:
            state.votes[vote.stage][voter] = vote
            state.seen.add(vote)
            state.dirty = True
            self._latest_round[voter] = max(self._latest_round.get(voter, 0), vote.round)
            return True
        if (first.target_hash, first.target_number) == (vote.target_hash, vote.target_number) \
                or (voter, vote.stage) in state.equivocators:
            return False
        state.equivocators.add((voter, vote.stage))
        state.seen.add(vote)
        if voter != self.address:
            self._equivocations += 1
            self.on_equivocation(first, vote)
        return True

    def _hold_far(self, voter: bytes, vote: SignedVote) -> None:
        held = self._far.get(voter, ())
        if held and held[0].round > vote.round:
            return
        if held and held[0].round == vote.round:
            if any(v.stage == vote.stage for v in held):
                return
            self._far[voter] = held + (vote,)
        else:
            self._far[voter] = (vote,)
        self._latest_round[voter] = max(self._latest_round.get(voter, 0), vote.round)

    # the lock and finality
    def _move_lock(self, ghost: BlockId, round_: int) -> None:
        """Take a prevote-GHOST of round ≥ the lock's: the lock moves to it unless it is a strict
        ancestor of the locked block (then only the lock's round moves)."""
        if round_ < self._lock.round:
            return
        locked = self._lock.block_hash
        below = ghost.hash != locked and self.tree.is_descendant(locked, ghost.hash)
        self._set_lock(Lock(round_, locked if below else ghost.hash))

    def _set_lock(self, lock: Lock) -> None:
        if lock != self._lock:
            self._lock = lock
            self.journal.put_lock(self._set_id, lock)

    def _finalize(self, state: RoundVotes, ghost: BlockId, now: float) -> None:
        justification = self._justify(state, ghost)
        self._last_finalized_round = state.number
        if self._pending is not None and self._pending.target_number <= ghost.number:
            self._pending = None
        self.on_finalize(justification)
        self._sync(now)

    def _apply(self, justification: Justification, now: float) -> None:
        self._move_lock(BlockId(justification.target_number, justification.target_hash), justification.round)
        self._last_finalized_round = justification.round
        self.on_finalize(justification)
        self._sync(now)
        if self._set_id == justification.set_id and justification.round >= self._round:
            self._enter(justification.round + 1, now)
        self._progress(now)

    def _justify(self, state: RoundVotes, target: BlockId) -> Justification:
        precommits, ancestry = [], set()
        for _, vote in sorted(state.votes[PRECOMMIT].items()):
            path = self._path(BlockId(vote.target_number, vote.target_hash), target)
            if path is not None:
                precommits.append(vote)
                ancestry.update(path)
        headers = tuple(self.tree.get_header(block.hash) for block in sorted(ancestry))
        return Justification(self._set_id, state.number, target.hash, target.number, tuple(precommits), headers)

    def _sync(self, now: float) -> None:
        """Follow the tree's finalized block, however it moved (this voter, a justification, sync).
        It only ever moves up, so its number tells whether it moved."""
        header = self.tree.finalized()
        if header.number == self._finalized.number:
            return
        finalized = self._finalized = self._block_id(header)
        self._parents = {h: entry for h, entry in self._parents.items() if entry[0] > finalized.number}
        set_id, voters = self.tree.voter_set()
        if set_id != self._set_id:
            self._start_set(set_id, voters, now)
            return
        if not self.tree.is_descendant(self._lock.block_hash, finalized.hash):
            self._set_lock(Lock(self._lock.round, finalized.hash))
        for state in self._rounds.values():
            state.dirty = True

    # GHOST
    def _ghost(self, votes: dict[bytes, SignedVote]) -> BlockId | None:
        """The highest block, at or above the finalized one, that votes of threshold weight are for
        (for it or a descendant); only blocks the tree knows count."""
        weights = self._subtree_weights(votes)
        heavy = [block for block, weight in weights.items() if weight >= self._threshold]
        return max(heavy) if heavy else None

    def _subtree_weights(self, votes: dict[bytes, SignedVote]) -> dict[BlockId, int]:
        base = self._finalized
        parents: dict[BlockId, BlockId] = {}
        unreachable: set[BlockId] = set()
        weights = {base: 0}
        for voter, vote in votes.items():
            target = BlockId(vote.target_number, vote.target_hash)
            if self._reaches(target, base, parents, unreachable):
                weights[target] = weights.get(target, 0) + self._voters[voter]
        for block in sorted(parents, reverse=True):
            weights[parents[block]] = weights.get(parents[block], 0) + weights.get(block, 0)
            weights.setdefault(block, 0)
        return weights

    def _reaches(self, block: BlockId, base: BlockId, parents: dict, unreachable: set) -> bool:
        """Whether `block` is `base` or a known descendant; records the path's links in `parents`."""
        path = []
        while block != base and block not in parents:
            parent = None if block in unreachable or block.number <= base.number else self._parent(block)
            if parent is None:
                unreachable.update(b for b, _ in path)
                unreachable.add(block)
                return False
            path.append((block, parent))
            block = parent
        parents.update(path)
        return True

    def _path(self, block: BlockId, ancestor: BlockId) -> list[BlockId] | None:
        """The blocks from `block` down to, not including, `ancestor`; None unless it descends from it."""
        path = []
        while block.number > ancestor.number:
            parent = self._parent(block)
            if parent is None:
                return None
            path.append(block)
            block = parent
        return path if block == ancestor else None

    @staticmethod
    def _block_id(header: Header) -> BlockId:
        return BlockId(header.number, header.hash)

    def _parent(self, block: BlockId) -> BlockId | None:
        """None when the block is unknown or is not at the number the vote claims."""
        entry = self._parents.get(block.hash)
        if entry is None:
            header = self.tree.get_header(block.hash)
            if header is None:
                return None
            entry = (header.number, header.parent_hash)
            if header.number > self._finalized.number:
                self._parents[block.hash] = entry
        if entry[0] != block.number or block.number == 0:
            return None
        return BlockId(block.number - 1, entry[1])
