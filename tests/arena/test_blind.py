"""Blind Arena tasks (spec/modules/arena.md, "Blind tasks"): a ring frozen at registration, unsigned
ring-authorised commits and reveals that no account pays for, one live submission per key image,
claims by image proof, and every refusal — each costing at most one ring verification."""

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena import formats
from arena import module as arena
from runtime.api import RuntimeApi
from runtime.crypto import ring
from runtime.exceptions import InvalidTransaction, UnsignedCallRefused
from runtime.modules import balances, slashing, system
from runtime.transactions import UNSIGNED, decode_transaction
from tests.fl.alliance_driver import STAKE, UNIT, address, logs_of
from tests.runtime.harness import MemoryChain

from .arena_driver import CREATOR, DEPOSIT, TRAINERS, VALIDATORS, ArenaDriver, model_hash
from .test_arena import fails, ok

LOSS = {model_hash(1): 300_000_000, model_hash(2): 200_000_000, model_hash(3): 500_000_000}
"""What honest validators measure for each model: trainer 2's is best."""


def honest(validator, model):
    return LOSS[model]


def blind(bounty=900 * UNIT, **create):
    d = ArenaDriver(MemoryChain())
    d.stake_all()
    ok(d.create_blind(bounty=bounty, **create))
    return d


def refusal(d, raw) -> InvalidTransaction:
    """What the pool is told about `raw` at the next block."""
    api = RuntimeApi(d.chain.runtime)
    with pytest.raises(InvalidTransaction) as caught:
        api.validate_transaction(d.state(), api.pending_env(d.chain.head), decode_transaction(raw))
    return caught.value


def reason(d, raw) -> str:
    return str(refusal(d, raw)).split(": ", 1)[-1]


def count_verifications(monkeypatch) -> list:
    calls = []
    original = ring.verify

    def counted(*args):
        calls.append(1)
        return original(*args)
    monkeypatch.setattr(ring, "verify", counted)
    return calls


def test_a_blind_task_end_to_end_hides_trainers_until_claimed_and_pays_the_claimed():
    d = blind()
    account = arena.compute_task_account(0)
    pot_before = balances.free_balance(d.state(), account)
    models = {i: model_hash(i) for i in TRAINERS}
    spent_before = {i: (balances.free_balance(d.state(), address(i)), system.get_nonce(d.state(), address(i)))
                    for i in TRAINERS}
    d.join_blind(0)
    assert d.ring() == [d.identity(i).public_key for i in TRAINERS]
    d.until_blind(0, "register_end")
    commits = d.raw_block(*(d.blind_commit(i, m) for i, m in models.items()))
    assert all(a.receipt.status == 1 and a.transaction.tx_type == UNSIGNED for a in commits)
    assert all(a.transaction.sender == b"\x00" * 20 and a.effective_gas_price == 0 for a in commits)
    d.to_deadline(0, formats.SUBMIT)
    d.raw_block(*(d.blind_reveal(i, m) for i, m in models.items()))
    ok(d.reveal_evaluation(0))
    scored, _ = d.score_all(0, honest)
    assert d.phase() == formats.CLAIM
    submissions = arena.Submissions.get(d.state(), 0)
    assert [s.trainer for s in submissions] == [arena.NO_TRAINER] * 3, "the scores are final, nobody is named"
    assert [r.rank for r in arena.Results.get(d.state(), 0)] == [2, 1, 3]
    assert logs_of([scored], arena.ValidatorScored), "validators are paid at the scores"
    spent_join = {i: balances.free_balance(d.state(), address(i)) for i in TRAINERS}

    images = list(arena.view_submission_images(d.state(), 0)[0])
    assert images == [d.identity(i).key_image for i in TRAINERS]
    claims = [ok(d.act(i, "claim", *d.identity(i).claim_args(images.index(d.identity(i).key_image))))
              for i in (1, 2)]
    assert [s.trainer for s in arena.Submissions.get(d.state(), 0)] == [address(1), address(2), arena.NO_TRAINER]
    [claimed] = logs_of(claims[0], arena.SubmissionClaimed)
    assert claimed.topics[3][12:] == address(1)

    d.until_blind(0, "claim_end")
    pending = arena.Pending.get(d.state(), 0)
    finished = ok(d.act(CREATOR, "advance", 0))
    state = d.state()
    assert d.phase() == formats.FINISHED and arena.Pending.get(state, 0) is None
    results = arena.Results.get(state, 0)
    assert results[2].reward == 0, "unclaimed: nothing"
    assert results[0].reward > 0 and results[1].reward > 0 and results[1].reward > results[0].reward
    [end] = logs_of(finished, arena.TaskFinished)
    paid, vesting, refunded = (int.from_bytes(end.data[i:i + 32], "big") for i in (32, 64, 96))
    validators_paid = sum(arena.ValidatorOutcome.get(state, arena.participant_key(0, address(v))).reward
                          for v in VALIDATORS if d.assignment(0, v))
    assert paid + vesting + refunded == pot_before, "conservation"
    assert paid == validators_paid + sum(r.reward for r in results) - vesting
    assert abs(results[0].reward + results[1].reward - pending.trainer_pot) <= 1
    for i in TRAINERS:
        balance, nonce = spent_before[i]
        assert system.get_nonce(state, address(i)) == nonce + 1 + (i in (1, 2)), "join and claim only"
        assert spent_join[i] < balance, "joining costs its fee; submitting cost nothing"


def test_the_ring_is_frozen_at_registration_and_blind_tasks_refuse_open_calls():
    d = blind(windows=(12, 4, 4, 4, 4, 4))
    fails(d.act(1, "join", 0), arena.BlindTaskNeedsKey)
    ok(d.join_blind(0, trainers=(1, 2), validators=VALIDATORS))
    fails(d.act(3, "joinBlind", 0, d.identity(1).public_key, b"", b""), arena.KeyNotSender)
    fails(d.act(3, "joinBlind", 0, b"\x02" + b"\x00" * 32, b"", b""), arena.KeyNotSender)
    fails(d.act(3, "joinBlind", 0, d.identity(3).public_key, d.identity(3).key_image, d.identity(3).prove(b"validator")),
          arena.NoImageForTrainers)
    assert "RingNotFrozen" in reason(d, d.blind_commit(1, model_hash(1)))
    d.until_blind(0, "register_end")
    fails(d.act(3, "joinBlind", 0, *d.identity(3).trainer_join_args()[1:]), arena.RegistrationClosed)
    assert d.ring() == [d.identity(1).public_key, d.identity(2).public_key]
    outsider = d.identity(3)
    commitment = formats.compute_submission_commitment(model_hash(3), model_hash(3), outsider.key_image)
    with pytest.raises(ring.RingError):
        outsider.commit_args(d.ring(), commitment, 0)
    fails(d.act(1, "commitSubmission", 0, commitment), arena.BlindTaskNeedsKey)


def test_a_validator_proves_its_image_at_join_and_no_submission_may_carry_it(monkeypatch):
    d = blind(windows=(12, 4, 4, 4, 4, 4))
    v = d.identity(4)
    wrong_proof = d.identity(4, task=1).prove(b"validator")
    fails(d.act(4, "joinBlind", 0, v.public_key, v.key_image, wrong_proof), arena.InvalidImageProof)
    fails(d.act(4, "joinBlind", 0, v.public_key, d.identity(5).key_image, v.prove(b"validator")),
          arena.InvalidImageProof)
    ok(d.join_blind(0))
    assert arena.ValidatorImages.get(d.state(), 0) == tuple(d.identity(i).key_image for i in VALIDATORS)
    d.until_blind(0, "register_end")
    # the validator's key is in no ring it can sign with; even a ring of its own is refused before any check
    forged = d.unsigned("commitBlind", *v.commit_args([v.public_key], model_hash(4), 0))
    verifications = count_verifications(monkeypatch)
    assert "ValidatorImage()" in reason(d, forged)
    assert verifications == [], "refused before the ring verification"


def test_forgeries_and_replays_are_refused_with_a_reason_after_at_most_one_verification(monkeypatch):
    d = blind()
    d.join_blind(0)
    d.until_blind(0, "register_end")
    me = d.identity(1)
    good = d.blind_commit(1, model_hash(1))
    data = bytearray(decode_transaction(good).data)
    data[-5] ^= 0x01
    flipped = d.unsigned_raw(bytes(data))
    other_task = d.identity(1, task=1)
    commitment = formats.compute_submission_commitment(model_hash(1), model_hash(1), me.key_image)
    wrong_tag = d.unsigned("commitBlind", 0, commitment, other_task.key_image, 0,
                           other_task.sign(d.ring(), b"commit", commitment, 0))
    wrong_ring = d.unsigned("commitBlind", *me.commit_args(d.ring()[:2], commitment, 0))
    bigger_ring = d.unsigned("commitBlind", *me.commit_args(d.ring() + [d.identity(8).public_key], commitment, 0))
    wrong_chain = d.unsigned("commitBlind", 0, commitment, me.key_image, 0,
                             type(me)(me.secret, me.chain_id + 1, 0).sign(d.ring(), b"commit", commitment, 0))
    ahead = d.blind_commit(1, model_hash(1), sequence=1)
    verifications = count_verifications(monkeypatch)
    cases = {flipped: "InvalidRingSignature(3)", wrong_tag: "InvalidRingSignature(3)",
             wrong_ring: "InvalidRingSignature(3)", bigger_ring: "InvalidRingSignature(3)",
             wrong_chain: "InvalidRingSignature(3)", ahead: "WrongSequence(1, 0)"}
    for raw, expected in cases.items():
        before = len(verifications)
        error = refusal(d, raw)
        assert isinstance(error, UnsignedCallRefused) and expected in str(error), (expected, error)
        assert len(verifications) - before <= 1, "one ring verification at most"
    assert verifications.count(1) == 5, "the sequence is checked before the signature"

    d.raw_block(good)
    assert "WrongSequence(0, 1)" in reason(d, good), "a replay of an included call"
    node_less = decode_transaction(good)
    assert d.chain.author([node_less])[1], "a block builder refuses it too"


def test_a_second_submission_replaces_the_first_and_the_image_is_rate_limited():
    d = blind(windows=(4, 30, 4, 4, 4, 4))
    d.join_blind(0)
    d.until_blind(0, "register_end")
    d.raw_block(d.blind_commit(1, model_hash(1, "first")))
    d.raw_block(d.blind_commit(2, model_hash(2)))
    d.raw_block(d.blind_commit(1, model_hash(1)))
    image = d.identity(1).key_image
    assert arena.BlindAuthors.get(d.state(), 0) == (image, d.identity(2).key_image), "one author per image"
    assert arena.Commitment.get(d.state(), arena.participant_key(0, image)).sequence == 2, "a new place in line"
    limit = arena.MaxBlindCalls.get(d.state())
    for _ in range(limit - 2):
        d.raw_block(d.blind_commit(1, model_hash(1)))
    assert f"TooManyBlindCalls({limit})" in reason(d, d.blind_commit(1, model_hash(1)))
    d.to_deadline(0, formats.SUBMIT)
    assert "CommitmentMismatch" in reason(d, d.blind_reveal(2, model_hash(2, "other")))


def test_a_blind_task_drops_unrevealed_images_without_a_report_and_claims_are_checked():
    d = blind()
    d.join_blind(0)
    d.until_blind(0, "register_end")
    d.raw_block(*(d.blind_commit(i, model_hash(i)) for i in TRAINERS))
    d.to_deadline(0, formats.SUBMIT)
    d.raw_block(d.blind_reveal(1, model_hash(1)), d.blind_reveal(2, model_hash(2)))
    ok(d.reveal_evaluation(0))
    d.to_deadline(0, formats.REVEAL)
    applied = ok(d.act(CREATOR, "advance", 0))
    [dropped] = logs_of(applied, arena.BlindSubmissionDropped)
    assert d.identity(3).key_image in dropped.data
    assert not logs_of(applied, arena.Penalized) and slashing.SlashCount.get(d.state()) == 0
    fails(d.act(1, "claim", *d.identity(1).claim_args(0)), arena.WrongPhase)
    models = [s.model_hash for s in arena.Submissions.get(d.state(), 0)]
    losses = {v: [LOSS[models[i]] for i in d.assignment(0, v)] for v in VALIDATORS if d.assignment(0, v)}
    d.commit_scores(0, losses)
    d.to_deadline(0, formats.SCORE_COMMIT)
    d.reveal_scores(0, losses)
    d.to_deadline(0, formats.SCORE_REVEAL)
    ok(d.act(CREATOR, "advance", 0))
    fails(d.act(1, "claim", *d.identity(1).claim_args(5)), arena.UnknownSubmission)
    fails(d.act(1, "claim", *d.identity(2).claim_args(0)), arena.InvalidImageProof)
    fails(d.act(1, "claim", 0, 0, d.identity(8).public_key, d.identity(8).prove(b"claim")), arena.NotInRing)
    ok(d.act(9, "claim", *d.identity(1).claim_args(0)))
    fails(d.act(9, "claim", *d.identity(1).claim_args(0)), arena.AlreadyClaimed)
    assert arena.Submissions.get(d.state(), 0)[0].trainer == address(1), "anyone may send a claim"


def test_a_cancelled_blind_task_shares_the_deposit_among_the_ring():
    d = blind(bounty=500 * UNIT)
    d.join_blind(0)
    before = {i: balances.free_balance(d.state(), address(i)) for i in TRAINERS}
    d.to_deadline(0, formats.REVEAL)
    ok(d.act(9, "advance", 0))
    assert d.phase() == formats.CANCELLED
    assert all(balances.free_balance(d.state(), address(i)) == before[i] + DEPOSIT // 3 for i in TRAINERS)


@settings(max_examples=4, deadline=None)
@given(claimed=st.sets(st.sampled_from(TRAINERS)), bounty=st.integers(0, 5_000))
def test_whoever_claims_the_pot_is_conserved_and_only_claimed_submissions_earn(claimed, bounty):
    d = blind(bounty=bounty * UNIT)
    pot = balances.free_balance(d.state(), arena.compute_task_account(0))
    d.run_blind_task(0, {i: model_hash(i) for i in TRAINERS}, honest)
    images = list(arena.view_submission_images(d.state(), 0)[0])
    for i in sorted(claimed):
        ok(d.act(i, "claim", *d.identity(i).claim_args(images.index(d.identity(i).key_image))))
    d.until_blind(0, "claim_end")
    [finished] = logs_of(ok(d.act(8, "advance", 0)), arena.TaskFinished)
    paid, vesting, refunded = (int.from_bytes(finished.data[i:i + 32], "big") for i in (32, 64, 96))
    assert paid + vesting + refunded == pot
    state = d.state()
    rewards_ = {s.trainer: r.reward for s, r in zip(arena.Submissions.get(state, 0), arena.Results.get(state, 0))}
    earners = {who for who, reward in rewards_.items() if reward}
    assert earners == ({address(i) for i in claimed} if bounty else set()), "no bounty: nothing to earn"
    assert refunded >= DEPOSIT, "the deposit goes back with what nobody earned"
    assert balances.free_balance(state, arena.compute_task_account(0)) == vesting


def test_a_node_that_did_not_author_drops_a_stale_unsigned_call_and_takes_the_next(tmp_path, monkeypatch):
    """A trainer retries its commit (a new signature, so a new hash); the retry is included by another node.
    The first copy, held here, can never be included any more: it leaves this pool when the block arrives,
    so the trainer's next call (its reveal) is not refused as a second pending call for its image."""
    from chain import service as service_module
    from chain.composition import RUNTIME
    from chain.network import BadPeerData, NetworkConfig
    from chain.node import Node
    from chain.service import NodeService, ServiceConfig
    from tests.runtime.harness import AUTHORITY, SPEC, module_call

    author = Node(RUNTIME, SPEC, tmp_path / "author", authority_key=AUTHORITY.private_key)
    follower = Node(RUNTIME, SPEC, tmp_path / "follower")
    try:
        def block(*raws):
            for raw in raws:
                author.submit_transaction(raw)
            follower.tree.import_blocks([author.builder.author_block().block])

        def signed(index, module, name, *args, value=0):
            return module_call(index, author.get_pending_nonce(address(index)), module, name, *args, value=value,
                               gas=3_000_000)
        d = ArenaDriver(MemoryChain())
        block(signed(1, arena.staking.MODULE, "bond", 0, value=STAKE))
        block(signed(CREATOR, arena.MODULE, "createBlindTask", "mlp:digits", b"\x01" * 32, b"\x02" * 32,
                     [3, 20, 4, 4, 4, 4], 3, STAKE, value=DEPOSIT))
        block(signed(1, arena.MODULE, "joinBlind", *d.identity(1).trainer_join_args()))
        while author.head.number + 1 < arena.Blind.get(author.state(), 0).register_end:
            block()
        me, members = d.identity(1), [d.identity(1).public_key]
        commitment = formats.compute_submission_commitment(model_hash(1), model_hash(1), me.key_image)
        first, retry = (d.unsigned("commitBlind", *me.commit_args(members, commitment, 0)) for _ in range(2))
        follower.submit_transaction(first)
        assert len(follower.pool.unsigned) == 1
        block(retry)
        assert follower.pool.unsigned == {}, "stale: the chain expects sequence 1 from this image now"

        # gossip: a peer relaying a call with a false proof is banned; a flood is read 16 calls at a time
        service = NodeService(follower, AUTHORITY.private_key, ServiceConfig(NetworkConfig(port=0)))
        forged = bytearray(me.commit_args(members, commitment, 1)[-1])
        forged[-1] ^= 1
        with pytest.raises(BadPeerData, match="InvalidRingSignature"):
            asyncio.run(service.on_transactions(None, [d.unsigned("commitBlind", 0, commitment, me.key_image, 1,
                                                                  bytes(forged))]))
        follower.submit_transaction(d.unsigned("commitBlind", *me.commit_args(members, commitment, 1)))
        assert len(follower.pool.unsigned) == 1
        checked = []

        def refuse(raw):
            checked.append(raw)
            raise InvalidTransaction("refused")
        monkeypatch.setattr(follower, "submit_transaction", refuse)
        flood = [d.unsigned("commitBlind", 0, commitment, d.identity(2, task=t).key_image, 0, b"") for t in range(40)]
        assert asyncio.run(service.on_transactions(None, flood)) == []
        assert checked == flood[:service_module.MAX_UNSIGNED_PER_MESSAGE], "the rest are dropped unread"
    finally:
        author.close()
        follower.close()


def test_a_commit_sent_as_the_ring_froze_survives_finality_switching_to_a_shorter_branch(tmp_path):
    """The pool saw the commit window open (the next block was the ring's freeze); finality then moved the head
    back a block, so the next block built refuses the commit. It stays pooled and lands in the block after, as
    a user who sent it at the first moment allowed expects (a testnet once lost it here)."""
    from chain.block_tree import BlockStatus
    from chain.composition import RUNTIME
    from chain.node import Node
    from tests.runtime.harness import AUTHORITY, SPEC, module_call

    here, peer = (Node(RUNTIME, SPEC, tmp_path / name, authority_key=AUTHORITY.private_key) for name in "ab")
    try:
        def shared_block(*raws):
            for raw in raws:
                here.submit_transaction(raw)
            peer.tree.import_blocks([here.builder.author_block().block])

        def signed(index, module, name, *args, value=0):
            return module_call(index, here.get_pending_nonce(address(index)), module, name, *args, value=value,
                               gas=3_000_000)
        d = ArenaDriver(MemoryChain())
        shared_block(signed(1, arena.staking.MODULE, "bond", 0, value=STAKE))
        shared_block(signed(CREATOR, arena.MODULE, "createBlindTask", "mlp:digits", b"\x01" * 32, b"\x02" * 32,
                            [6, 20, 4, 4, 4, 4], 3, STAKE, value=DEPOSIT))
        shared_block(signed(1, arena.MODULE, "joinBlind", *d.identity(1).trainer_join_args()))
        register_end = arena.Blind.get(here.state(), 0).register_end
        while here.head.number < register_end - 3:
            shared_block()
        here.builder.author_block()
        here.builder.author_block()
        me = d.identity(1)
        commit = d.unsigned("commitBlind", *me.commit_args([me.public_key], formats.compute_submission_commitment(
            model_hash(1), model_hash(1), me.key_image), 0))
        tx = here.submit_transaction(commit)
        side = peer.builder.author_block(timestamp=peer.head.timestamp + 1000).block
        assert here.tree.receive_block(side) == BlockStatus.SIDE
        here.tree.finalize(side.hash, b"j")
        assert here.head.number == register_end - 2 and tx.hash in here.pool

        refused = here.builder.author_block()
        assert refused.applied == () and tx.hash in here.pool, "refused (the ring not frozen yet), still pooled"
        with pytest.raises(UnsignedCallRefused, match="RingNotFrozen"):
            RuntimeApi(RUNTIME).validate_transaction(here.state_at(side.header), RuntimeApi(RUNTIME).pending_env(
                side.header), tx)
        landed = here.builder.author_block()
        assert [a.transaction.hash for a in landed.applied] == [tx.hash] and landed.applied[0].receipt.status == 1
        assert here.head.number == register_end and tx.hash not in here.pool
    finally:
        here.close()
        peer.close()


def test_a_blind_task_in_claim_takes_no_funds_nor_emissions_and_huge_task_ids_are_unknown():
    d = blind()
    ok(d.root_block("verifyTask", 0))
    d.run_blind_task(0, {i: model_hash(i) for i in TRAINERS}, honest)
    assert d.phase() == formats.CLAIM and arena.get_earning_tasks(d.state()) == []
    fails(d.act(8, "fund", 0, value=UNIT), arena.TaskNotActive)
    for name, args in (("claim", (2**64, 0, b"", b"")), ("joinBlind", (2**64, b"", b"", b"")), ("fund", (2**64,)),
                       ("advance", (2**255,))):
        fails(d.act(8, name, *args), arena.UnknownTask)
