"""Finality voters over in-memory block trees, joined by a simulated network that can drop,
delay, reorder and partition votes: they finalize what a supermajority agrees on, never two
conflicting blocks, and their justifications prove exactly what they claim."""

import random
from dataclasses import replace
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.finality import FinalityConfig, FinalityVoter
from runtime.blocks import Header
from runtime.crypto import private_key_to_address
from runtime.finality import (PRECOMMIT, PREVOTE, InvalidFinalityMessage, Justification, sign_vote,
                              verify_justification)

CHAIN_ID = 7
KEYS = [bytes([i + 1]) * 32 for i in range(6)]
ADDRESSES = [private_key_to_address(key) for key in KEYS]
FIRST_SET = (0, {address: 1 for address in ADDRESSES[:4]})
CONFIG = FinalityConfig(prevote_delay=0.2, round_timeout=2.0)


class Blocks:
    """Every block of a test: real headers, forks made by naming a parent (by index)."""

    def __init__(self):
        genesis = header_on(None, 0)
        self.headers, self.hashes, self.parents = [genesis], [genesis.hash], [0]
        self.index = {genesis.hash: 0}

    def add(self, parent: int, salt: int = 0) -> int:
        header = header_on(self.headers[parent], salt, self.hashes[parent])
        self.index[header.hash] = len(self.headers)
        self.headers.append(header)
        self.hashes.append(header.hash)
        self.parents.append(parent)
        return len(self.headers) - 1

    def chain(self, length: int, parent: int = 0, salt: int = 0) -> list[int]:
        indices = []
        for _ in range(length):
            parent = self.add(parent, salt)
            indices.append(parent)
        return indices

    def is_ancestor(self, ancestor: bytes, block: bytes) -> bool:
        a, b = self.index[ancestor], self.index[block]
        while self.headers[b].number > self.headers[a].number:
            b = self.parents[b]
        return a == b


def header_on(parent: Header | None, salt: int, parent_hash: bytes = bytes(32)) -> Header:
    return Header(parent_hash=parent_hash, number=parent.number + 1 if parent else 0, timestamp=0, author=bytes(20),
                  state_root=bytes(32), transactions_root=bytes(32), receipts_root=bytes(32), logs_bloom=bytes(256),
                  gas_limit=30_000_000, gas_used=0, base_fee_per_gas=0, extra_data=salt.to_bytes(4, "big"))


class MemoryTree:
    """One node's view of the blocks (a BlockTree): what it knows, its best block, its finalized block."""

    def __init__(self, blocks: Blocks, voter_sets=lambda final: FIRST_SET):
        self.blocks = blocks
        self.known = {blocks.hashes[0]: blocks.headers[0]}
        self.best = self.final = blocks.hashes[0]
        self.voter_sets = voter_sets
        self.finalized_log = [self.final]

    @property
    def final_header(self) -> Header:
        return self.known[self.final]

    def learn(self, *indices: int) -> None:
        for index in indices:
            assert self.blocks.hashes[self.blocks.parents[index]] in self.known
            self.known[self.blocks.hashes[index]] = self.blocks.headers[index]

    def choose_best(self, index: int) -> None:
        assert self.is_descendant(self.blocks.hashes[index], self.final)
        self.best = self.blocks.hashes[index]

    def get_header(self, block_hash):
        return self.known.get(block_hash)

    def best_hash(self):
        return self.best

    def finalized(self):
        return self.known[self.final]

    def is_descendant(self, block_hash, ancestor_hash):
        if block_hash not in self.known or ancestor_hash not in self.known:
            return False
        return self.blocks.is_ancestor(ancestor_hash, block_hash)

    def voter_set(self):
        return self.voter_sets(self.known[self.final])

    def finalize(self, justification: Justification) -> None:
        """What a node does with `on_finalize`: check the proof, then make the block final."""
        verify_justification(justification, CHAIN_ID, *self.voter_set())
        target = justification.target_hash
        assert self.known[target].number > self.final_header.number and self.is_descendant(target, self.final)
        self.final = target
        self.finalized_log.append(target)
        if not self.is_descendant(self.best, target):
            self.best = target


class Network:
    """Voters joined by a message queue: latency, loss, reordering and partitions on demand."""

    def __init__(self, blocks: Blocks, secrets: list[bytes | None], configs: dict[int, FinalityConfig] | None = None,
                 voter_sets=lambda final: FIRST_SET, rng: random.Random | None = None, loss: float = 0.0,
                 gossip_commits: bool = False):
        self.blocks = blocks
        self.rng = rng
        self.loss = loss
        self.gossip_commits = gossip_commits
        self.now = 0.0
        self.queue: list[tuple[float, int, int, object]] = []
        self.online = set(range(len(secrets)))
        self.cut: set[tuple[int, int]] = set()
        self.reports: list[tuple[int, object, object]] = []
        self.justifications: list[Justification] = []
        self.trees = [MemoryTree(blocks, voter_sets) for _ in secrets]
        self.voters = [FinalityVoter(tree, CHAIN_ID, secret, partial(self.broadcast, i), partial(self.finalized, i),
                                     partial(self.equivocation, i), (configs or {}).get(i, CONFIG))
                       for i, (tree, secret) in enumerate(zip(self.trees, secrets))]

    def broadcast(self, sender: int, message) -> None:
        for receiver in range(len(self.voters)):
            if receiver != sender:
                self.post(sender, receiver, message)

    def post(self, sender: int, receiver: int, message) -> None:
        stage = getattr(message, "stage", None)
        if (sender, receiver) in self.cut or (sender, receiver, stage) in self.cut or receiver not in self.online:
            return
        delay = 0.05
        if self.rng is not None:
            if self.rng.random() < self.loss:
                return
            delay = self.rng.choice([0.05, 0.05, 0.1, 0.3, 1.0])
        self.queue.append((self.now + delay, sender, receiver, message))

    def finalized(self, index: int, justification: Justification) -> None:
        self.trees[index].finalize(justification)
        self.justifications.append(justification)
        if self.gossip_commits:
            self.broadcast(index, justification)

    def equivocation(self, index: int, first, second) -> None:
        self.reports.append((index, first, second))

    def learn(self, indices, voters=None) -> None:
        for i in (range(len(self.voters)) if voters is None else voters):
            self.trees[i].learn(*indices)
            self.trees[i].choose_best(indices[-1])
            if i in self.online:
                self.voters[i].on_block_imported(self.now)

    def run(self, seconds: float, step: float = 0.05) -> None:
        end = self.now + seconds
        while self.now < end:
            self.now = round(self.now + step, 6)
            due = [m for m in self.queue if m[0] <= self.now]
            self.queue = [m for m in self.queue if m[0] > self.now]
            if self.rng is not None:
                self.rng.shuffle(due)
            for _, sender, receiver, message in due:
                self.deliver(sender, receiver, message)
            for i in sorted(self.online):
                self.voters[i].tick(self.now)

    def deliver(self, sender: int, receiver: int, message) -> None:
        if receiver not in self.online:
            return
        voter = self.voters[receiver]
        if isinstance(message, Justification):
            relay = voter.on_justification(message, self.now)
        else:
            relay = voter.on_vote(message, self.now)
        if relay:
            self.broadcast(receiver, message)

    def finalized_numbers(self) -> list[int]:
        return [tree.final_header.number for tree in self.trees]


def four_voters(**kwargs) -> tuple[Blocks, Network]:
    blocks = Blocks()
    return blocks, Network(blocks, KEYS[:4], **kwargs)


def test_four_voters_finalize_the_common_chain_and_agree():
    blocks, net = four_voters()
    net.learn(blocks.chain(5))
    net.run(3)
    assert net.finalized_numbers() == [5, 5, 5, 5]
    assert len({tree.final for tree in net.trees}) == 1
    net.learn(blocks.chain(3, parent=5))
    net.run(3)
    assert net.finalized_numbers() == [8, 8, 8, 8]
    for justification in net.justifications:
        verify_justification(justification, CHAIN_ID, *FIRST_SET)
    assert all(voter.stats.last_finalized_round is not None for voter in net.voters)


def test_three_of_four_still_finalize():
    blocks, net = four_voters()
    net.online.discard(3)
    net.learn(blocks.chain(4))
    net.run(3)
    assert net.finalized_numbers()[:3] == [4, 4, 4]
    assert net.trees[3].final_header.number == 0


def test_two_of_four_never_finalize_until_a_third_returns():
    blocks, net = four_voters()
    net.online -= {2, 3}
    net.learn(blocks.chain(4))
    net.run(20)
    assert net.finalized_numbers() == [0, 0, 0, 0]
    assert net.voters[0].round == net.voters[1].round, "without a supermajority taking part, rounds do not drift"
    net.online.add(2)
    net.run(CONFIG.round_timeout + 0.5)
    assert net.finalized_numbers()[:3] == [4, 4, 4], "within a timeout the others send their votes again"


def test_an_observer_follows_without_voting():
    blocks = Blocks()
    net = Network(blocks, KEYS[:4] + [None])
    sent = []
    net.voters[4].send_vote = sent.append
    net.learn(blocks.chain(3))
    net.run(3)
    assert net.finalized_numbers() == [3] * 5 and sent == []


def test_forked_bests_finalize_only_the_common_ancestor():
    blocks, net = four_voters()
    common = blocks.chain(3)
    fork_a = blocks.chain(2, parent=common[-1], salt=1)
    fork_b = blocks.chain(1, parent=common[-1], salt=2)
    for i in range(4):
        net.trees[i].learn(*common, *fork_a, *fork_b)
    net.learn(fork_a, voters=[0, 1])
    net.learn(fork_b, voters=[2, 3])
    net.run(6)
    assert net.finalized_numbers() == [3, 3, 3, 3]
    net.learn(fork_a)
    net.run(3)
    assert {tree.final for tree in net.trees} == {blocks.hashes[fork_a[-1]]}


def two_forks() -> tuple[Blocks, Network, bytes, bytes]:
    """Genesis with fork X (one block) and fork Y (two blocks), known to all; every best on X."""
    blocks, net = four_voters()
    x = blocks.chain(1, salt=1)
    y = blocks.chain(2, salt=2)
    for tree in net.trees:
        tree.learn(*x, *y)
    net.learn(x)
    return blocks, net, blocks.hashes[x[-1]], blocks.hashes[y[-1]]


def move_bests(net: Network, voters, block_hash: bytes) -> None:
    for i in voters:
        net.trees[i].best = block_hash
        net.voters[i].on_block_imported(net.now)


def precommits_to(receivers) -> set:
    return {(s, r, PRECOMMIT) for s in range(4) for r in receivers if s != r}


def test_voters_that_precommitted_a_block_stay_locked_on_it():
    """Only voter 0 sees the precommits that finalize X. The others precommitted X too, so when
    their bests move to the conflicting fork Y they keep prevoting X: Y never gets a supermajority."""
    blocks, net, x, y = two_forks()
    net.cut = precommits_to([1, 2, 3])
    net.run(1)
    assert net.trees[0].final == x and {tree.final for tree in net.trees[1:]} == {blocks.hashes[0]}
    assert all(voter.lock.block_hash == x for voter in net.voters)
    net.cut = set()
    move_bests(net, [1, 2, 3], y)
    net.run(4)
    assert {tree.final for tree in net.trees} == {x}


def test_a_lower_prevote_ghost_does_not_release_a_lock():
    """Voters 1 and 2 precommitted X, which voter 0 finalized; in the next round they see only their
    own prevotes for X and voter 3's for Y, whose GHOST is genesis. Their locks stay on X, so no
    later round finalizes Y, and once the network heals everyone finalizes X."""
    blocks, net, x, y = two_forks()
    net.cut = precommits_to([1, 2, 3]) | {(s, 3, PREVOTE) for s in range(3)}
    net.run(0.3)
    assert net.trees[0].final == x and [voter.lock.block_hash for voter in net.voters[1:]] == [x, x, blocks.hashes[0]]
    net.cut = {(0, r, PREVOTE) for r in (1, 2, 3)}
    move_bests(net, [1, 2, 3], y)
    net.run(4)
    net.cut = set()
    net.run(4)
    assert [voter.lock.block_hash for voter in net.voters[:3]] == [x, x, x]
    assert {tree.final for tree in net.trees} == {x}


def test_justifications_verify_and_tampered_ones_are_refused():
    blocks, net = four_voters()
    net.learn(blocks.chain(4))
    net.run(3)
    justification = net.justifications[0]
    verify_justification(justification, CHAIN_ID, *FIRST_SET)
    assert Justification.decode(justification.encode()) == justification

    other = fresh_voter(blocks, learn=4)
    tampered = [
        replace(justification, precommits=justification.precommits[:2]),
        replace(justification, round=justification.round + 1),
        replace(justification, target_hash=blocks.headers[3].hash, target_number=3),
        replace(justification, precommits=justification.precommits[:1] * 3),
    ]
    for bad in tampered:
        with pytest.raises(InvalidFinalityMessage):
            verify_justification(bad, CHAIN_ID, *FIRST_SET)
        with pytest.raises(InvalidFinalityMessage):
            other.on_justification(bad, 0.0)
    wrong_set = replace(justification, set_id=1)
    with pytest.raises(InvalidFinalityMessage):
        verify_justification(wrong_set, CHAIN_ID, *FIRST_SET)
    assert other.on_justification(wrong_set, 0.0) is False
    assert other.tree.final_header.number == 0

    assert other.on_justification(justification, 0.0) is True
    assert other.tree.final_header.number == 4 and other.round == justification.round + 1
    assert other.on_justification(justification, 0.0) is False


def test_a_justification_carries_the_ancestry_of_precommits_above_its_target():
    blocks = Blocks()
    chain = blocks.chain(6)
    fork = blocks.chain(1, parent=chain[3], salt=1)
    target = blocks.headers[chain[3]]
    targets = [chain[3], chain[5], fork[0]]
    precommits = tuple(sign_vote(KEYS[i], CHAIN_ID, 0, 1, PRECOMMIT, blocks.headers[t].hash, blocks.headers[t].number)
                       for i, t in enumerate(targets))
    ancestry = tuple(blocks.headers[i] for i in (chain[4], chain[5], fork[0]))
    justification = Justification(0, 1, target.hash, target.number, precommits, ancestry)
    verify_justification(justification, CHAIN_ID, *FIRST_SET)
    for cut in range(3):
        bad = replace(justification, ancestry=ancestry[:cut] + ancestry[cut + 1:])
        with pytest.raises(InvalidFinalityMessage):
            verify_justification(bad, CHAIN_ID, *FIRST_SET)

    voter = fresh_voter(blocks, learn=6)
    voter.tree.learn(*fork)
    assert voter.on_justification(justification, 0.0) is True
    assert voter.tree.final == target.hash


def test_a_justification_for_an_unknown_block_waits_for_the_block():
    blocks, net = four_voters()
    net.learn(blocks.chain(3))
    net.run(3)
    voter = fresh_voter(blocks, learn=2)
    assert voter.on_justification(net.justifications[-1], 0.0) is True
    assert voter.tree.final_header.number == 0
    voter.tree.learn(3)
    voter.on_block_imported(0.0)
    assert voter.tree.final_header.number == 3


def test_a_justification_for_a_block_off_the_finalized_chain_is_refused():
    blocks, net = four_voters()
    net.learn(blocks.chain(3))
    net.run(3)
    fork = blocks.chain(4, parent=1, salt=1)
    voter = fresh_voter(blocks, learn=3)
    voter.tree.learn(*fork)
    voter.tree.final = blocks.hashes[fork[0]]
    with pytest.raises(InvalidFinalityMessage):
        voter.on_justification(net.justifications[-1], 0.0)


def test_a_voter_catches_up_after_missing_many_rounds():
    blocks, net = four_voters()
    net.online.discard(3)
    parent = 0
    for _ in range(10):
        parent = blocks.chain(1, parent=parent)[-1]
        net.learn([parent], voters=[0, 1, 2])
        net.trees[3].learn(parent)
        net.run(1.5)
    assert net.finalized_numbers()[:3] == [10, 10, 10]
    assert net.voters[0].round > 10 + CONFIG.max_future_rounds
    net.online.add(3)
    net.online.discard(2)
    net.trees[3].choose_best(parent)
    parent = blocks.chain(1, parent=parent)[-1]
    net.learn([parent])
    net.run(3)
    assert net.voters[3].round >= net.voters[0].round - 1
    finals = [net.trees[i].final_header.number for i in (0, 1, 3)]
    assert finals == [11, 11, 11], "the returning voter completes a quorum"


def test_equivocation_is_reported_once_per_voter_round_and_stage():
    blocks, net = four_voters(configs={3: replace(CONFIG, equivocate=True)})
    net.learn(blocks.chain(4))
    net.run(5)
    assert net.finalized_numbers() == [4, 4, 4, 4]
    assert net.reports
    keys = [(reporter, first.voter(CHAIN_ID), first.round, first.stage) for reporter, first, _ in net.reports]
    assert len(keys) == len(set(keys))
    assert {key[1] for key in keys} == {ADDRESSES[3]} and {key[3] for key in keys} == {PREVOTE}
    assert {key[0] for key in keys} == {0, 1, 2}, "a voter does not report itself"
    for _, first, second in net.reports:
        assert first.round == second.round and first.target_hash != second.target_hash


def test_an_equivocators_weight_counts_once():
    blocks = Blocks()
    chain = blocks.chain(3)
    fork = blocks.chain(1, parent=chain[1], salt=1)
    reports = []
    voter = fresh_voter(blocks, learn=3, on_equivocation=lambda a, b: reports.append((a, b)))
    voter.tree.learn(*fork)
    x, y = blocks.headers[chain[2]], blocks.headers[fork[0]]

    def vote(key, stage, block):
        return sign_vote(KEYS[key], CHAIN_ID, 0, 1, stage, block.hash, block.number)

    for stage in (PREVOTE, PRECOMMIT):
        assert voter.on_vote(vote(0, stage, x), 0.0) and voter.on_vote(vote(1, stage, x), 0.0)
        assert voter.on_vote(vote(3, stage, y), 0.0)
        assert voter.on_vote(vote(3, stage, x), 0.0) is True
        assert voter.on_vote(vote(3, stage, blocks.headers[chain[0]]), 0.0) is False
        assert voter.on_vote(vote(3, stage, x), 0.0) is False
    assert len(reports) == 2
    assert voter.tree.final_header.number == 2, "x had weight 2 of 4: only the common ancestor is final"
    assert voter.on_vote(vote(2, PRECOMMIT, x), 0.0)
    assert voter.tree.final == x.hash


def test_votes_for_an_unknown_block_count_once_it_is_imported():
    blocks = Blocks()
    blocks.chain(3)
    voter = fresh_voter(blocks, learn=1)
    target = blocks.headers[3]
    for key in range(3):
        for stage in (PREVOTE, PRECOMMIT):
            assert voter.on_vote(sign_vote(KEYS[key], CHAIN_ID, 0, 1, stage, target.hash, target.number), 0.0)
    assert voter.tree.final_header.number == 0
    voter.tree.learn(2, 3)
    voter.on_block_imported(0.1)
    assert voter.tree.final == target.hash


def test_invalid_votes_raise_and_irrelevant_ones_are_ignored():
    blocks = Blocks()
    blocks.chain(2)
    voter = fresh_voter(blocks, learn=2)
    block = blocks.headers[2]
    good = sign_vote(KEYS[0], CHAIN_ID, 0, 1, PREVOTE, block.hash, block.number)
    with pytest.raises(InvalidFinalityMessage):
        voter.on_vote(replace(good, signature=bytes(65)), 0.0)
    with pytest.raises(InvalidFinalityMessage):
        voter.on_vote(replace(good, target_number=1), 0.0)
    with pytest.raises(InvalidFinalityMessage):
        voter.on_vote(sign_vote(KEYS[5], CHAIN_ID, 0, 1, PREVOTE, block.hash, block.number), 0.0)
    with pytest.raises(InvalidFinalityMessage):
        voter.on_vote(sign_vote(KEYS[0], CHAIN_ID + 1, 0, 1, PREVOTE, block.hash, block.number), 0.0)
    far = voter.round + voter.config.max_future_rounds + 1
    assert voter.on_vote(sign_vote(KEYS[0], CHAIN_ID, 1, 1, PREVOTE, block.hash, block.number), 0.0) is False
    assert voter.on_vote(sign_vote(KEYS[0], CHAIN_ID, 0, far, PREVOTE, block.hash, block.number), 0.0) is False
    assert voter.on_vote(replace(sign_vote(KEYS[0], CHAIN_ID, 0, far, 0, block.hash, 2), signature=bytes(65)),
                         0.0) is False
    assert voter.on_vote(sign_vote(KEYS[0], CHAIN_ID, 0, 0, PREVOTE, block.hash, block.number), 0.0) is False
    assert voter.on_vote(good, 0.0) is True
    assert voter.on_vote(good, 0.0) is False


def test_a_set_change_at_finalization_starts_the_new_set_at_round_one():
    second_set = (1, {address: 1 for address in ADDRESSES[1:5]})
    blocks = Blocks()
    net = Network(blocks, KEYS[:5], voter_sets=lambda final: second_set if final.number >= 3 else FIRST_SET)
    net.learn(blocks.chain(3))
    while min(net.finalized_numbers()) < 3:
        net.run(0.05)
    assert [(voter.set_id, voter.round) for voter in net.voters] == [(1, 1)] * 5
    last_first_set_round = max(j.round for j in net.justifications if j.set_id == 0)
    old_vote = sign_vote(KEYS[0], CHAIN_ID, 0, last_first_set_round, PREVOTE, blocks.headers[3].hash, 3)
    assert net.voters[1].on_vote(old_vote, net.now) is False
    net.learn(blocks.chain(2, parent=3))
    net.run(3)
    assert net.finalized_numbers() == [5] * 5
    later = [j for j in net.justifications if j.set_id == 1]
    assert later
    for justification in later:
        verify_justification(justification, CHAIN_ID, *second_set)
        assert ADDRESSES[0] not in {vote.voter(CHAIN_ID) for vote in justification.precommits}


def fresh_voter(blocks: Blocks, learn: int, on_equivocation=lambda a, b: None) -> FinalityVoter:
    tree = MemoryTree(blocks)
    tree.learn(*range(1, learn + 1))
    tree.choose_best(learn)
    return FinalityVoter(tree, CHAIN_ID, None, lambda vote: None, tree.finalize, on_equivocation, CONFIG)


one_voter = st.none() | st.integers(0, 3)
phases = st.lists(st.tuples(
    one_voter,
    one_voter,
    st.integers(0, 2),
    st.sampled_from([frozenset(range(4))] + [frozenset(range(4)) - {i} for i in range(4)]),
    st.sampled_from([0.5, 2.5])), min_size=1, max_size=6)
"""Each phase: the one voter that hears precommits (None: all do), the one voter deaf to prevotes
(None: none is), the fork whose tip becomes the best of the voters that move, and its length (s)."""


@settings(max_examples=150)
@given(trunk=st.integers(0, 2), forks=st.lists(st.integers(1, 3), min_size=1, max_size=3), phases=phases,
       loss=st.sampled_from([0.0, 0.1, 0.3]), adversary=st.sampled_from(["none", "equivocate", "byzantine", "silent"]),
       gossip=st.booleans(), seed=st.integers(0, 2**32))
def test_voters_never_finalize_conflicting_blocks(trunk, forks, phases, loss, adversary, gossip, seed):
    """Partitions that let one voter alone see a round's precommits, bests that move to a fork
    another voter may have finalized against, random loss and delays, and at most one bad voter
    of four (equivocating, sending random votes, or silent): what any voter finalizes lies on one chain."""
    rng = random.Random(seed)
    blocks = Blocks()
    base = blocks.chain(trunk)[-1] if trunk else 0
    tips = [blocks.hashes[blocks.chain(length, parent=base, salt=i + 1)[-1]] for i, length in enumerate(forks)]
    honest = 3 if adversary in ("byzantine", "silent") else 4
    configs = {3: replace(CONFIG, equivocate=True)} if adversary == "equivocate" else {}
    net = Network(blocks, KEYS[:honest], configs=configs, rng=rng, loss=loss, gossip_commits=gossip)
    for tree in net.trees:
        tree.learn(*range(1, len(blocks.hashes)))
    for favoured, deaf, fork, movers, seconds in phases:
        net.cut = {(s, r, PRECOMMIT) for s in range(4) for r in range(4) if favoured not in (None, r) and s != r} \
            | {(s, deaf, PREVOTE) for s in range(4) if deaf is not None and s != deaf}
        for i in movers & set(range(honest)):
            tree, tip = net.trees[i], tips[fork % len(tips)]
            tree.best = tip if tree.is_descendant(tip, tree.final) else tree.final
            net.voters[i].on_block_imported(net.now)
        for _ in range(round(seconds / 0.1)):
            if adversary == "byzantine":
                attack(net, blocks, rng)
            net.run(0.1)
    finals = {h for tree in net.trees for h in tree.finalized_log}
    for a in finals:
        for b in finals:
            assert blocks.is_ancestor(a, b) or blocks.is_ancestor(b, a), "conflicting blocks final"
    for tree in net.trees:
        numbers = [blocks.headers[blocks.index[h]].number for h in tree.finalized_log]
        assert numbers == sorted(set(numbers)), "finalized height only rises"


def attack(net: Network, blocks: Blocks, rng: random.Random) -> None:
    """The fourth voter's key in an adversary's hands: random votes, a different one to each voter."""
    rounds = {voter.round for voter in net.voters}
    for receiver in range(len(net.voters)):
        if rng.random() < 0.5:
            block = rng.choice(blocks.headers)
            vote = sign_vote(KEYS[3], CHAIN_ID, 0, rng.choice(sorted(rounds)) + rng.choice([0, 0, 1]),
                             rng.choice([PREVOTE, PRECOMMIT]), block.hash, block.number)
            net.queue.append((net.now, 3, receiver, vote))


def test_a_restarted_voter_resends_its_journalled_vote_instead_of_signing_another(tmp_path):
    """A validator killed after voting comes back with the same journal (LevelDB here): in the round
    it voted in it re-sends that vote even though its best block moved, so it never equivocates."""
    from chain.db import ChainDB, VoteJournalDB

    blocks = Blocks()
    trunk = blocks.chain(3)
    tree = MemoryTree(blocks)
    tree.learn(*trunk)
    tree.choose_best(trunk[0])
    db = ChainDB(tmp_path / "db")
    sent = []
    voter = FinalityVoter(tree, CHAIN_ID, KEYS[0], sent.append, tree.finalize, lambda a, b: None, CONFIG,
                          VoteJournalDB(db))
    voter.tick(0.0)
    voter.tick(CONFIG.prevote_delay + 0.01)
    (first,) = sent
    assert (first.round, first.stage, first.target_hash) == (1, PREVOTE, blocks.hashes[trunk[0]])
    db.close()

    db = ChainDB(tmp_path / "db")
    tree.choose_best(trunk[2])
    sent.clear()
    restarted = FinalityVoter(tree, CHAIN_ID, KEYS[0], sent.append, tree.finalize, lambda a, b: None, CONFIG,
                              VoteJournalDB(db))
    restarted.tick(0.0)
    restarted.tick(CONFIG.prevote_delay + 0.01)
    assert sent == [first]
    db.close()


def test_the_journal_keeps_votes_and_the_lock_across_reopening_and_prunes_old_rounds(tmp_path):
    from chain.db import VOTE_HISTORY, ChainDB, VoteJournalDB
    from chain.finality import Lock

    db = ChainDB(tmp_path / "db")
    journal = VoteJournalDB(db)
    old = sign_vote(KEYS[1], CHAIN_ID, 3, 5, PRECOMMIT, b"\x01" * 32, 9)
    journal.put_vote(old)
    journal.put_lock(3, Lock(5, b"\x02" * 32))
    db.close()
    journal = VoteJournalDB(db := ChainDB(tmp_path / "db"))
    assert journal.get_vote(3, 5, PRECOMMIT) == old and journal.get_vote(3, 5, PREVOTE) is None
    assert journal.get_lock(3) == Lock(5, b"\x02" * 32) and journal.get_lock(4) is None
    journal.put_vote(sign_vote(KEYS[1], CHAIN_ID, 3, 5 + VOTE_HISTORY, PREVOTE, b"\x01" * 32, 9))
    assert journal.get_vote(3, 5, PRECOMMIT) is None
    db.close()


def test_a_restarted_voter_resumes_at_its_last_signed_round_even_after_pruning(tmp_path):
    """Votes older than VOTE_HISTORY rounds are pruned; the voter never signs below its last round,
    so a restart long into a set cannot sign a fresh round-1 vote beside the pruned one."""
    from chain.db import VOTE_HISTORY, ChainDB, VoteJournalDB

    blocks = Blocks()
    trunk = blocks.chain(2)
    tree = MemoryTree(blocks)
    tree.learn(*trunk)
    tree.choose_best(trunk[1])
    db = ChainDB(tmp_path / "db")
    journal = VoteJournalDB(db)
    last = 7 + VOTE_HISTORY
    journal.put_vote(sign_vote(KEYS[0], CHAIN_ID, 0, 7, PREVOTE, blocks.hashes[trunk[0]], 1))
    journal.put_vote(sign_vote(KEYS[0], CHAIN_ID, 0, last, PREVOTE, blocks.hashes[trunk[0]], 1))
    assert journal.get_vote(0, 7, PREVOTE) is None and journal.get_last_round(0) == last
    sent = []
    voter = FinalityVoter(tree, CHAIN_ID, KEYS[0], sent.append, tree.finalize, lambda a, b: None, CONFIG, journal)
    voter.tick(0.0)
    voter.tick(CONFIG.prevote_delay + 0.01)
    assert voter.round == last and sent and all(vote.round >= last for vote in sent)
    db.close()
