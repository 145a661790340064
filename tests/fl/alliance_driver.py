"""Drives fl_alliance through signed transactions on an in-memory chain (tests and conformance cases)."""

from fl_module import alliance
from runtime.crypto import keccak256
from runtime.modules import balances, staking, system
from runtime.transactions import decode_transaction
from tests.runtime.harness import ACCOUNTS, AUTHORITY, MemoryChain, module_call, root_call

UNIT = balances.UNIT
STAKE = 3_000 * UNIT
GAS = 3_000_000
GOOD, BAD, POISON = 900_000, 1_600_000, 3_000_000
"""Scores (loss ratio × 10⁶) under the default parameters: accepted (< 1.3·10⁶), rejected (≥ 1.56·10⁶, beyond
what AcceptWithin widens acceptance to), poisoned (≥ 3·10⁶)."""


def address(index: int) -> bytes:
    return ACCOUNTS[index].address


def index_of(who: bytes) -> int:
    return next(i for i, account in enumerate(ACCOUNTS) if account.address == who)


def update_hash(index: int, round_: int, label: str = "honest") -> bytes:
    return keccak256(f"update {label} {index} {round_}".encode())


def salt(index: int, round_: int) -> bytes:
    return keccak256(f"salt {index} {round_}".encode())


class AllianceDriver:
    """Calls are (sender index, module, name, args, value); `author` is a MemoryChain or a CaseBuilder's
    `author(*raws)`; every block checks every module's invariants."""

    MODULE = alliance.MODULE
    """The module `call` and `root_block` address (the Arena's driver sets its own)."""

    def __init__(self, chain: MemoryChain, author=None):
        self.chain = chain
        self._author = author

    def state(self):
        return self.chain.state()

    def block(self, *calls, slot=None):
        raws, pending = [], {}
        for sender, module, name, args, value in calls:
            who = address(sender)
            nonce = system.get_nonce(self.state(), who) + pending.get(who, 0)
            pending[who] = pending.get(who, 0) + 1
            raws.append(module_call(sender, nonce, module, name, *args, value=value, gas=GAS))
        return self.raw_block(*raws, slot=slot)

    def raw_block(self, *raws, slot=None):
        """A block of these raw transactions (signed or unsigned), each of which must be valid."""
        if self._author is not None:
            outcome = self._author(*raws, slot=slot)
        else:
            outcome, rejected = self.chain.author([decode_transaction(r) for r in raws], slot=slot)
            assert not rejected, rejected
        self.chain.check_invariants()
        return outcome.applied

    def call(self, sender, name, *args, value=0):
        return (sender, self.MODULE, name, args, value)

    def empty_blocks(self, count: int):
        for _ in range(count):
            self.block()

    def until(self, block_number: int):
        """Empty blocks until the next block is `block_number`."""
        while self.chain.head.number + 1 < block_number:
            self.block()

    def pass_deadline(self, task):
        """Author empty blocks until the next block is at or past the phase's deadline."""
        while self.chain.head.number + 1 < self.progress(task).phase_end:
            self.block()

    # Set-up

    def bond(self, indices, role=staking.TRAINING_NODE, amount=STAKE):
        return self.block(*((i, staking.MODULE, "bond", (role,), amount) for i in indices))

    def create_task(self, creator=0, rounds=3, proposers=2, voters=3, phases=(4, 4, 4, 4, 4), min_stake=STAKE,
                    bounty=90 * UNIT, model="linear", dataset="sklearn:diabetes", initial=None):
        initial = initial or keccak256(b"initial model")
        return self.block(self.call(creator, "createTask", model, dataset, initial, rounds, proposers, voters,
                                    list(phases), min_stake, value=bounty))

    def join(self, task, indices):
        return self.block(*(self.call(i, "join", task) for i in indices))

    def root_block(self, name, *args):
        """A block with one call to the module from the dev chain's Root (verifyTask, unverifyTask)."""
        raw = root_call(system.get_nonce(self.state(), AUTHORITY.address), self.MODULE, name, *args, gas=GAS)
        if self._author is not None:
            outcome = self._author(raw)
        else:
            outcome, rejected = self.chain.author([decode_transaction(raw)])
            assert not rejected, rejected
        self.chain.check_invariants()
        return outcome.applied

    # A round

    def progress(self, task) -> alliance.TaskProgress:
        return alliance.get_progress(self.state(), task)

    def roles(self, task, round_=None):
        round_ = self.progress(task).round if round_ is None else round_
        proposers, voters = alliance.get_members(self.state(), task, round_)
        return [index_of(w) for w, _ in proposers], [index_of(w) for w, _ in voters]

    def commit_updates(self, task, proposers, labels=None):
        round_ = self.progress(task).round
        labels = labels or {}
        return self.block(*(self.call(i, "commitUpdate", task, alliance.compute_update_commitment(
            update_hash(i, round_, labels.get(i, "honest")), salt(i, round_), address(i))) for i in proposers))

    def reveal_updates(self, task, proposers, labels=None):
        round_ = self.progress(task).round
        labels = labels or {}
        return self.block(*(self.call(i, "revealUpdate", task, update_hash(i, round_, labels.get(i, "honest")),
                                      salt(i, round_)) for i in proposers))

    def commit_scores(self, task, scores: dict[int, list[int]]):
        """scores: voter → one score per revealed update (GOOD, BAD, POISON or any uint32)."""
        round_ = self.progress(task).round
        return self.block(*(self.call(i, "commitScores", task, alliance.compute_score_commitment(
            v, salt(i, round_), address(i))) for i, v in scores.items()))

    def reveal_scores(self, task, scores: dict[int, list[int]]):
        round_ = self.progress(task).round
        return self.block(*(self.call(i, "revealScores", task, list(v), salt(i, round_)) for i, v in scores.items()))

    def submit_aggregate(self, task, indices, model: bytes, score: int = GOOD):
        """Each member of `indices` submits `model` with `score` (its score of the aggregate)."""
        return self.block(*(self.call(i, "submitAggregate", task, model, score) for i in indices))

    def vote_to_aggregate(self, task):
        """Every proposer commits and reveals, every voter scores everything GOOD: the round reaches AGGREGATE."""
        proposers, voters = self.roles(task)
        self.commit_updates(task, proposers)
        self.reveal_updates(task, proposers)
        scores = {v: [GOOD] * len(proposers) for v in voters}
        self.commit_scores(task, scores)
        self.reveal_scores(task, scores)
        return proposers, voters

    def run_round(self, task, scores_for=lambda voter, updates: [GOOD] * updates, labels=None,
                  aggregate=b"\x42" * 32, aggregate_score=GOOD):
        """One round where everyone acts; `scores_for(voter, n)` gives each voter's n scores."""
        proposers, voters = self.roles(task)
        self.commit_updates(task, proposers, labels)
        self.reveal_updates(task, proposers, labels)
        count = len(alliance.RevealedUpdates.get(self.state(), alliance.round_key(task, self.progress(task).round)))
        scores = {v: scores_for(v, count) for v in voters or proposers}  # no voters: peer review
        self.commit_scores(task, scores)
        applied = self.reveal_scores(task, scores)
        if self.progress(task).phase == alliance.AGGREGATE:
            applied += self.submit_aggregate(task, proposers + voters, aggregate, aggregate_score)
        return proposers, voters, applied


def logs_of(applied, event):
    """Decoded-topic view: the logs of `event` among the applied transactions."""
    return [log for a in applied for log in a.receipt.logs if log.topics[0] == event.topic]
