"""Linkable ring signatures (spec/ring_signatures.md): round trips, any single-bit change fails, a wrong
ring fails, key images link within a tag and not across tags, hostile input never raises, and an
independent implementation (ring_reference.py, affine arithmetic without libsecp256k1) agrees."""

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.crypto.points import N, multiply_generator
from runtime.crypto.ring import (MAX_RING, RingError, compute_key_image, hash_to_point, prove_image, sign, verify,
                                 verify_image)
from tests.conformance.runner import VECTOR_DIR

from . import ring_reference

secrets = st.integers(1, N - 1)


def random_scalar() -> int:
    return int.from_bytes(os.urandom(32), "big") % (N - 1) + 1


def public(secret: int) -> bytes:
    return multiply_generator(secret).format(compressed=True)


def make_ring(keys: list[int]) -> list[bytes]:
    return [public(k) for k in keys]


@settings(max_examples=30, deadline=None)
@given(st.lists(secrets, min_size=1, max_size=6, unique=True), st.data(), st.binary(max_size=64), st.binary(max_size=16))
def test_sign_verify_round_trip_and_the_image_is_the_keys_for_the_tag(keys, data, message, tag):
    signer = data.draw(st.integers(0, len(keys) - 1))
    ring = make_ring(keys)
    image, signature = sign(keys[signer], ring, tag, message, random_scalar)
    assert verify(ring, tag, message, image, signature)
    assert image == compute_key_image(keys[signer], tag)
    again, second = sign(keys[signer], list(reversed(ring)), tag, b"another submission", random_scalar)
    assert again == image, "one key, one image per tag: a second submission is recognisable"
    assert second != signature


@settings(max_examples=20, deadline=None)
@given(st.lists(secrets, min_size=2, max_size=4, unique=True), st.data())
def test_any_single_bit_change_fails(keys, data):
    ring, tag, message = make_ring(keys), b"arena" + bytes(8), b"model commitment"
    image, signature = sign(keys[0], ring, tag, message, random_scalar)
    field = data.draw(st.sampled_from(["signature", "message", "image", "tag", "ring"]))
    values = {"signature": signature, "message": message, "image": image, "tag": tag, "ring": ring[-1]}
    original = values[field]
    bit = data.draw(st.integers(0, 8 * len(original) - 1))
    flipped = bytearray(original)
    flipped[bit // 8] ^= 1 << (bit % 8)
    values[field] = bytes(flipped)
    changed_ring = ring[:-1] + [values["ring"]]
    assert not verify(changed_ring, values["tag"], values["message"], values["image"], values["signature"])


@settings(max_examples=15, deadline=None)
@given(st.lists(secrets, min_size=2, max_size=5, unique=True), secrets)
def test_a_wrong_ring_fails(keys, outsider):
    ring = make_ring(keys)
    image, signature = sign(keys[0], ring, b"t", b"m", random_scalar)
    assert not verify(ring[::-1], b"t", b"m", image, signature) or len(set(ring)) == 1
    swapped = [public(outsider) if i == 1 else p for i, p in enumerate(ring)]
    if swapped != ring:
        assert not verify(swapped, b"t", b"m", image, signature)
    assert not verify(ring + [public(outsider)], b"t", b"m", image, signature)
    assert not verify(ring[:1] + ring, b"t", b"m", image, signature), "duplicate members are refused"


@settings(max_examples=15, deadline=None)
@given(st.lists(secrets, min_size=2, max_size=5, unique=True), st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
def test_the_key_image_names_no_member_and_does_not_link_across_tags(keys, task, other_task):
    tag, other = b"arena" + task.to_bytes(8, "big"), b"arena" + other_task.to_bytes(8, "big")
    images = [compute_key_image(k, tag) for k in keys]
    assert len(set(images)) == len(keys) and not set(images) & set(make_ring(keys)), "an image is no public key"
    if task != other_task:
        assert not set(images) & {compute_key_image(k, other) for k in keys}
    assert hash_to_point(tag) != hash_to_point(other) or task == other_task


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=34), max_size=4), st.binary(max_size=8), st.binary(max_size=8),
       st.binary(max_size=34), st.binary(max_size=200))
def test_hostile_input_is_refused_without_raising(ring, tag, message, image, signature):
    assert verify(ring, tag, message, image, signature) is False


def test_malformed_signing_requests_are_refused():
    ring = make_ring([1, 2, 3])
    for secret, members, reason in ((0, ring, "0 < x < n"), (4, ring, "not in the ring"),
                                    (1, ring + ring[:1], "distinct"), (1, [b"\x02" + b"\x00" * 32], "distinct"),
                                    (1, make_ring(list(range(1, MAX_RING + 2))), "distinct")):
        with pytest.raises(RingError, match=reason):
            sign(secret, members, b"t", b"m", random_scalar)


@settings(max_examples=25, deadline=None)
@given(secrets, secrets, st.binary(max_size=16), st.binary(max_size=40))
def test_the_owner_of_an_image_proves_it_for_one_claim(secret, other, tag, claim):
    image = compute_key_image(secret, tag)
    proof = prove_image(secret, tag, claim, random_scalar)
    assert verify_image(public(secret), tag, image, claim, proof)
    assert ring_reference.verify_image(public(secret), tag, image, claim, proof), "the reference agrees"
    assert not verify_image(public(secret), tag, image, claim + b"x", proof), "bound to the claim"
    assert not verify_image(public(secret), tag + b"x", compute_key_image(secret, tag + b"x"), claim, proof)
    if other != secret:
        assert not verify_image(public(other), tag, image, claim, proof), "another key's proof fails"
        assert not verify_image(public(secret), tag, compute_key_image(other, tag), claim, proof)


@settings(max_examples=200)
@given(st.binary(max_size=34), st.binary(max_size=8), st.binary(max_size=34), st.binary(max_size=8),
       st.binary(max_size=70))
def test_hostile_image_proofs_are_refused_without_raising(public_key, tag, image, claim, proof):
    assert verify_image(public_key, tag, image, claim, proof) is False


def load_ring_vectors() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((VECTOR_DIR / "ring_signatures").glob("*.json"))]


@pytest.mark.parametrize("vector", load_ring_vectors(), ids=lambda v: v["name"])
def test_the_independent_reference_agrees_with_every_vector(vector):
    if vector["kind"] == "image_proof":
        fields = [bytes.fromhex(vector[k][2:]) for k in ("publicKey", "tag", "keyImage", "message", "proof")]
        assert ring_reference.verify_image(*fields) == verify_image(*fields) == vector["valid"]
        return
    ring = [bytes.fromhex(p[2:]) for p in vector["ring"]]
    tag, message = bytes.fromhex(vector["tag"][2:]), bytes.fromhex(vector["message"][2:])
    image, signature = bytes.fromhex(vector["keyImage"][2:]), bytes.fromhex(vector["signature"][2:])
    assert ring_reference.verify(ring, tag, message, image, signature) == vector["valid"]
    assert verify(ring, tag, message, image, signature) == vector["valid"]
    if vector["secret"]:
        assert ring_reference.key_image(int(vector["secret"], 16), tag) == image
    assert ring_reference.compress(ring_reference.hash_to_point(tag)) == hash_to_point(tag).format(compressed=True)


def test_the_reference_verifies_fresh_signatures_too():
    keys = [5, 77, 901, 4242]
    ring = make_ring(keys)
    image, signature = sign(keys[2], ring, b"arena" + (3).to_bytes(8, "big"), b"fresh", random_scalar)
    assert ring_reference.verify(ring, b"arena" + (3).to_bytes(8, "big"), b"fresh", image, signature)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, N - 1), st.integers(0, N - 1), st.integers(0, N - 1))
def test_the_fast_double_multiplication_agrees_with_multiply_and_add(k, a, c):
    """combine_generator (one public-key recovery) is a·G + c·P exactly as the readable rule computes it,
    zeros and the point at infinity included."""
    from runtime.crypto.points import add, combine_generator, multiply, multiply_generator
    point = multiply_generator(k)
    for a_, c_ in ((a, c), (0, c), (a, 0), (a, (-a * pow(k, -1, N)) % N)):
        fast, rule = combine_generator(a_, point, c_), add(multiply_generator(a_), multiply(point, c_))
        assert (fast and fast.format()) == (rule and rule.format())
