"""runtime.trie against py-trie's HexaryTrie, the reference implementation."""

from __future__ import annotations

import rlp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trie import HexaryTrie
from trie.exceptions import ValidationError

from runtime import trie as T
from runtime.trie import (
    EMPTY_ROOT,
    InvalidProof,
    MissingNode,
    Trie,
    TrieError,
    compute_ordered_trie_root,
    keccak256,
    verify_proof,
)

SETTINGS = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# Keys drawn from a tiny alphabet collide on prefixes (and are prefixes of one another);
# 32-byte keys are the secure-trie case; long keys exercise RLP's long string form.
short_keys = st.lists(st.sampled_from([0x00, 0x01, 0x10, 0x11, 0xAB, 0xFF]), max_size=4).map(bytes)
keys = st.one_of(
    short_keys,
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=0, max_size=8),
    st.binary(min_size=56, max_size=70),
)
values = st.binary(min_size=1, max_size=64)
writes = st.one_of(values, st.none(), st.just(b""))


def reference_root(mapping: dict[bytes, bytes]) -> bytes:
    ref = HexaryTrie({})
    for k, v in mapping.items():
        ref[k] = v
    return ref.root_hash


def apply_model(model: dict[bytes, bytes], batch) -> None:
    for k, v in batch:
        if v:
            model[k] = v
        else:
            model.pop(k, None)


def all_nodes_reachable(store, root: bytes) -> None:
    """Every node under ``root`` resolves from ``store`` alone."""
    if root == EMPTY_ROOT:
        return
    todo = [store[root]]
    while todo:
        node = T._decode(todo.pop())
        if type(node) is T._Branch:
            frags = node.children
        elif type(node) is T._Ext:
            frags = [node.child]
        else:
            continue
        for f in frags:
            if f == b"\x80":
                continue
            todo.append(store[f[1:]] if len(f) == 33 else f)


@st.composite
def batch_sequences(draw):
    pool = draw(st.lists(keys, min_size=1, max_size=40, unique=True))
    key_in_pool = st.sampled_from(pool)
    batches = draw(
        st.lists(st.lists(st.tuples(key_in_pool, writes), max_size=40), min_size=1, max_size=5)
    )
    return pool, batches


@SETTINGS
@given(batch_sequences(), st.sampled_from([0, 1, 3, 64]))
def test_roots_and_reads_match_py_trie(data, cache_depth):
    pool, batches = data
    store: dict[bytes, bytes] = {}
    trie = Trie(store, cache_depth=cache_depth)
    model: dict[bytes, bytes] = {}
    for batch in batches:
        trie.update(batch)
        expected_pending = dict(model)
        apply_model(expected_pending, batch)
        for k in pool:
            assert trie.get(k) == expected_pending.get(k)
        root, nodes = trie.commit()
        store.update(nodes)
        model = expected_pending
        assert root == trie.root == reference_root(model)
        for k in pool:
            assert trie.get(k) == model.get(k)
        all_nodes_reachable(store, root)

    fresh = Trie(store, trie.root)
    for k in pool:
        assert fresh.get(k) == model.get(k)

    # The same final mapping, written in one batch in reverse order, gives the same root.
    other = Trie({})
    other.update(reversed(list(model.items())))
    assert other.commit()[0] == trie.root

    trie.update((k, None) for k in pool)
    root, nodes = trie.commit()
    assert root == EMPTY_ROOT and nodes == {}
    assert all(trie.get(k) is None for k in pool)


@SETTINGS
@given(st.dictionaries(keys, values, max_size=30), st.randoms(use_true_random=False))
def test_root_independent_of_update_order(mapping, rnd):
    items = list(mapping.items())
    a = Trie({})
    a.update(items)
    rnd.shuffle(items)
    b = Trie({})
    for k, v in items:
        b.update([(k, v)])
    assert a.commit()[0] == b.commit()[0] == reference_root(mapping)


def test_empty_trie():
    trie = Trie({})
    assert trie.root == EMPTY_ROOT == keccak256(rlp.encode(b""))
    assert EMPTY_ROOT.hex().startswith("56e81f17")
    assert trie.get(b"") is None
    assert trie.commit() == (EMPTY_ROOT, {})
    trie.update([(b"a", None), (b"b", b"")])
    assert trie.commit() == (EMPTY_ROOT, {})
    assert trie.prove(b"a") == []
    assert verify_proof(EMPTY_ROOT, b"a", []) is None


def test_empty_key_and_prefix_keys():
    mapping = {b"": b"root value", b"\x01": b"one", b"\x01\x02": b"one-two", b"\x01\x02\x03": b"x" * 40}
    trie = Trie({})
    trie.update(mapping.items())
    root, nodes = trie.commit()
    assert root == reference_root(mapping)
    fresh = Trie(nodes, root)
    for k, v in mapping.items():
        assert fresh.get(k) == v
    assert fresh.get(b"\x01\x02\x03\x04") is None


def test_small_root_is_hashed_and_returned():
    trie = Trie({})
    trie.update([(b"k", b"v")])
    root, nodes = trie.commit()
    assert len(nodes[root]) < 32 and keccak256(nodes[root]) == root
    assert root == reference_root({b"k": b"v"})


def test_commit_without_changes_returns_no_nodes():
    store: dict[bytes, bytes] = {}
    trie = Trie(store)
    trie.update([(bytes([i]) * 32, b"v%d" % i) for i in range(50)])
    root, nodes = trie.commit()
    store.update(nodes)
    trie.update([(bytes([3]) * 32, b"v3"), (b"\x77" * 32, None)])
    assert trie.commit() == (root, {})


# Every node shape and every collapse: the empty key, keys that are prefixes of one
# another, an extension that a new key splits at its first nibble, branch values.
UNIVERSE = [b"", b"\x00", b"\x00\x00\x01", b"\x00\x00\x02", b"\x00\x01", b"\x01", b"\x10", b"\x10\x00\x00\x00"]
FULL = (1 << len(UNIVERSE)) - 1


def subset(mask: int) -> list[bytes]:
    return [k for i, k in enumerate(UNIVERSE) if mask >> i & 1]


@pytest.mark.parametrize("long_values", [False, True])
def test_every_subset_of_structured_keys(long_values):
    """Shrinking to, growing from, and single-key edits around every subset of UNIVERSE."""
    value = {k: b"v%d" % i * (20 if long_values else 1) for i, k in enumerate(UNIVERSE)}
    refs = {mask: reference_root({k: value[k] for k in subset(mask)}) for mask in range(FULL + 1)}

    def commit(trie, store, items):
        trie.update(items)
        root, nodes = trie.commit()
        store.update(nodes)
        return root

    for mask in range(FULL + 1):
        depth = (0, 1, 64)[mask % 3]
        present, absent = subset(mask), subset(FULL ^ mask)

        store: dict[bytes, bytes] = {}
        trie = Trie(store, cache_depth=depth)
        commit(trie, store, value.items())
        assert commit(trie, store, [(k, None) for k in absent]) == refs[mask]
        assert all(trie.get(k) == (value[k] if k in present else None) for k in UNIVERSE)

        store = {}
        trie = Trie(store, cache_depth=depth)
        assert commit(trie, store, [(k, value[k]) for k in present]) == refs[mask]
        for i, k in enumerate(UNIVERSE):
            bit = 1 << i
            if mask & bit:
                assert commit(trie, store, [(k, None)]) == refs[mask ^ bit]
            else:
                assert commit(trie, store, [(k, value[k])]) == refs[mask | bit]
            assert commit(trie, store, [(k, value[k] if mask & bit else None)]) == refs[mask]
        assert commit(trie, store, [(k, value[k]) for k in absent]) == refs[FULL]


# ------------------------------------------------------------------------- proofs


UNANSWERED = object()


def py_trie_proof_value(root: bytes, key: bytes, proof: list[bytes]):
    try:
        value = HexaryTrie.get_from_proof(root, key, [rlp.decode(node) for node in proof])
    except ValidationError:
        # py-trie 4.0's get() raises for a key that ends inside an extension node.
        return UNANSWERED
    return value or None


@SETTINGS
@given(st.dictionaries(keys, values, min_size=1, max_size=40), st.lists(keys, max_size=8))
def test_proofs_match_py_trie(mapping, extra):
    store: dict[bytes, bytes] = {}
    trie = Trie(store)
    trie.update(mapping.items())
    root, nodes = trie.commit()
    store.update(nodes)
    ref = HexaryTrie(dict(store), root)
    for key in list(mapping) + extra:
        proof = trie.prove(key)
        expected = mapping.get(key)
        assert proof == [rlp.encode(n) for n in ref.get_proof(key)]
        assert verify_proof(root, key, proof) == expected
        assert py_trie_proof_value(root, key, proof) in (expected, UNANSWERED)
        # geth omits inline nodes (their encodings are inside their parents): also valid.
        geth_style = proof[:1] + [n for n in proof[1:] if len(n) >= 32]
        assert verify_proof(root, key, geth_style) == expected


def assert_rejected_or_correct(root, key, proof, expected):
    try:
        got = verify_proof(root, key, proof)
    except InvalidProof:
        return
    assert got == expected


@SETTINGS
@given(
    st.dictionaries(keys, values, min_size=1, max_size=30),
    keys,
    st.data(),
)
def test_tampered_proofs_are_rejected(mapping, probe, data):
    trie = Trie({})
    trie.update(mapping.items())
    root, _ = trie.commit()
    key = data.draw(st.sampled_from([probe, *mapping]))
    expected = mapping.get(key)
    proof = trie.prove(key)
    assert verify_proof(root, key, proof) == expected

    i = data.draw(st.integers(0, len(proof) - 1))
    node = proof[i]
    pos = data.draw(st.integers(0, len(node) - 1))
    flipped = node[:pos] + bytes([node[pos] ^ data.draw(st.integers(1, 255))]) + node[pos + 1 :]
    assert_rejected_or_correct(root, key, proof[:i] + [flipped] + proof[i + 1 :], expected)

    assert_rejected_or_correct(root, key, proof[:i] + proof[i + 1 :], expected)
    with pytest.raises(InvalidProof):
        verify_proof(root, key, proof[:-1] + [proof[-1], proof[-1]] if len(proof[-1]) >= 32 else proof + [b"\xc0"])
    garbage = data.draw(st.binary(max_size=80))
    assert_rejected_or_correct(root, key, proof + [garbage], expected)
    assert_rejected_or_correct(root, key, proof[:i] + [garbage] + proof[i:], expected)
    with pytest.raises(InvalidProof):
        verify_proof(keccak256(root), key, proof)


def test_proof_rejects_extra_nodes_and_wrong_root():
    trie = Trie({})
    trie.update([(bytes([i]) * 32, bytes([i]) * 40) for i in range(20)])
    root, _ = trie.commit()
    key = bytes([5]) * 32
    proof = trie.prove(key)
    assert verify_proof(root, key, proof) == bytes([5]) * 40
    other = trie.prove(bytes([6]) * 32)
    with pytest.raises(InvalidProof):
        verify_proof(root, key, proof + [other[-1]])
    with pytest.raises(InvalidProof):
        verify_proof(root, key, proof[:-1])
    with pytest.raises(InvalidProof):
        verify_proof(EMPTY_ROOT, key, proof)
    with pytest.raises(InvalidProof):
        verify_proof(root, key, [])


@pytest.mark.parametrize(
    "root, key, proof",
    [
        (b"short", b"k", []),
        ("00" * 32, b"k", []),
        (b"\x00" * 32, "k", []),
        (b"\x00" * 32, b"k", None),
        (b"\x00" * 32, b"k", [None]),
        (b"\x00" * 32, b"k", ["ab"]),
        (keccak256(b""), b"k", [b""]),
        (keccak256(b"\x01"), b"k", [b"\x01"]),
        (keccak256(b"\xc1\x80"), b"k", [b"\xc1\x80"]),
        (keccak256(b"\xc2\x80\x80"), b"k", [b"\xc2\x80\x80"]),
        (keccak256(b"\xc3\x82\x20"), b"k", [b"\xc3\x82\x20"]),
        (keccak256(b"\xc3\x81\x41\x01"), b"k", [b"\xc3\x81\x41\x01"]),
        (keccak256(b"\xc4\x81\x00\x81\x01"), b"k", [b"\xc4\x81\x00\x81\x01"]),
        (keccak256(b"\xc4\x11\x82\x01\x02"), b"\x10", [b"\xc4\x11\x82\x01\x02"]),
        (keccak256(b"\xf8\x03\x80\x80\x80"), b"k", [b"\xf8\x03\x80\x80\x80"]),
    ],
)
def test_malformed_proofs_raise_invalid_proof(root, key, proof):
    with pytest.raises(InvalidProof):
        verify_proof(root, key, proof)


# -------------------------------------------------------------------- ordered roots


@pytest.mark.parametrize("n", [0, 1, 2, 3, 15, 16, 17, 127, 128, 129, 255, 256, 300])
def test_ordered_trie_root_matches_py_trie(n):
    vals = [keccak256(i.to_bytes(4, "big")) * (1 + i % 4) for i in range(n)]
    ref = HexaryTrie({})
    for i, v in enumerate(vals):
        ref[rlp.encode(i)] = v
    assert compute_ordered_trie_root(vals) == ref.root_hash


@SETTINGS
@given(st.lists(st.binary(min_size=1, max_size=120), max_size=40))
def test_ordered_trie_root_random_values(vals):
    ref = HexaryTrie({})
    for i, v in enumerate(vals):
        ref[rlp.encode(i)] = v
    assert compute_ordered_trie_root(vals) == ref.root_hash


# ------------------------------------------------------------ store and missing nodes


def test_committed_nodes_suffice_across_many_commits():
    store: dict[bytes, bytes] = {}
    trie = Trie(store, cache_depth=1)
    model: dict[bytes, bytes] = {}
    for block in range(6):
        batch = [(keccak256(b"%d" % ((block * 37 + j) % 150)), b"b%dj%d" % (block, j)) for j in range(60)]
        batch += [(keccak256(b"%d" % ((block * 11 + j) % 150)), None) for j in range(15)]
        trie.update(batch)
        apply_model(model, batch)
        root, nodes = trie.commit()
        store.update(nodes)
        assert root == reference_root(model)
        fresh = Trie(dict(store), root)
        for i in range(150):
            k = keccak256(b"%d" % i)
            assert fresh.get(k) == model.get(k)
        all_nodes_reachable(store, root)


def test_missing_root_raises_missing_node():
    trie = Trie({}, b"\x11" * 32)
    with pytest.raises(MissingNode) as info:
        trie.get(b"anything")
    assert info.value.node_hash == b"\x11" * 32
    assert isinstance(info.value, TrieError) and not isinstance(info.value, KeyError)
    with pytest.raises(MissingNode):
        trie.prove(b"anything")


def test_missing_inner_node_raises_and_commit_is_atomic():
    store: dict[bytes, bytes] = {}
    trie = Trie(store)
    entries = {keccak256(bytes([i])): b"value %d" % i * 3 for i in range(200)}
    trie.update(entries.items())
    root, nodes = trie.commit()
    store.update(nodes)

    victim = next(iter(entries))
    leaf_hash = keccak256(trie.prove(victim)[-1])
    partial = {h: e for h, e in store.items() if h != leaf_hash}

    broken = Trie(partial, root, cache_depth=0)
    with pytest.raises(MissingNode):
        broken.get(victim)
    with pytest.raises(MissingNode):
        broken.prove(victim)
    broken.update([(victim, b"new"), (b"\x00" * 32, b"other")])
    with pytest.raises(MissingNode):
        broken.commit()
    assert broken.root == root
    assert broken.get(victim) == b"new"  # still pending
    partial[leaf_hash] = store[leaf_hash]
    new_root, _ = broken.commit()
    entries[victim] = b"new"
    entries[b"\x00" * 32] = b"other"
    assert new_root == reference_root(entries)


def test_reads_fall_back_to_last_commit_before_persisting():
    trie = Trie({})
    trie.update([(bytes([i]) * 32, b"x" * 40) for i in range(40)])
    trie.commit()  # nodes deliberately not persisted
    assert trie.get(bytes([7]) * 32) == b"x" * 40
    trie.update([(bytes([7]) * 32, b"y")])
    root, _ = trie.commit()
    assert root == reference_root({**{bytes([i]) * 32: b"x" * 40 for i in range(40)}, bytes([7]) * 32: b"y"})


def test_update_type_checks():
    trie = Trie({})
    with pytest.raises(TypeError):
        trie.update([("k", b"v")])
    with pytest.raises(TypeError):
        trie.update([(b"k", 1)])
    trie.update({b"k": b"v"})
    assert trie.get(b"k") == b"v"
    with pytest.raises(TypeError):
        Trie({}, b"short")


# ----------------------------------------------------------------- private RLP codec


@pytest.mark.parametrize("n", [0, 1, 2, 55, 56, 57, 255, 256, 1024, 70000])
def test_rlp_helpers_match_pyrlp(n):
    for b in (b"\x00" * n, b"\x7f" * n, b"\xff" * n):
        assert T._rlp_str(b) == rlp.encode(b)
    payload = b"".join(rlp.encode(b"a") for _ in range(n))
    assert T._rlp_list(payload) == rlp.encode([b"a"] * n)
    assert T._rlp_int(n) == rlp.encode(n)


@SETTINGS
@given(st.dictionaries(keys, values, min_size=1, max_size=40))
def test_node_codec_round_trips_against_pyrlp(mapping):
    trie = Trie({})
    trie.update(mapping.items())
    _, nodes = trie.commit()
    for enc in nodes.values():
        node = T._decode(enc)
        assert T._encode_clean(node) == enc
        items = rlp.decode(enc)
        if type(node) is T._Branch:
            assert len(items) == 17 and node.value == items[16]
            for frag, item in zip(node.children, items[:16], strict=True):
                assert frag == rlp.encode(item)
        else:
            assert len(items) == 2
            if type(node) is T._Leaf and node.key is not None:
                assert node.key == rlp.encode(items[0])
            assert T._split_list(enc)[0] == [rlp.encode(i) for i in items]


@pytest.mark.parametrize(
    "enc",
    [
        b"",
        b"\x80",
        b"\xc0",
        b"\xc1\x80",
        b"\xc2\x81\x01",  # non-canonical single byte
        b"\xc3\x82\x20",  # truncated item
        b"\xc3\x82\x20\x01\x02",  # list length mismatch
        b"\xf8\x02\x20\x01",  # long form for a short list
        b"\xc4\x82\x40\x01\x01",  # bad hex-prefix flag
        b"\xc4\x82\x21\x01\x01",  # bad padding nibble
        b"\xc4\x10\x82\x01\x02",  # extension with a non-reference child
        b"\xd3\x82\x01\x02" + b"\x80" * 16,  # branch child that is not a reference
    ],
)
def test_decoder_rejects_malformed_nodes(enc):
    with pytest.raises(TrieError):
        T._decode(enc)


def test_key_ending_inside_an_extension_is_absent():
    """py-trie's get() raises here; the answer is "absent", and the proof shows it."""
    mapping = {b"\x00" * 32: b"\x00", b"\x00\x00": b"\x00"}
    trie = Trie({})
    trie.update(mapping.items())
    root, _ = trie.commit()
    assert trie.get(b"\x00") is None
    proof = trie.prove(b"\x00")
    assert verify_proof(root, b"\x00", proof) is None
    assert py_trie_proof_value(root, b"\x00", proof) is UNANSWERED


def object_depth(node) -> int:
    """How deep the decoded-node cache reaches below ``node``."""
    if type(node) is T._Branch:
        return 1 + max((object_depth(k) for k in node.kids.values()), default=-1)
    if type(node) is T._Ext and type(node.child) is not bytes:
        return 1 + object_depth(node.child)
    return 0


@pytest.mark.parametrize("cache_depth", [0, 1, 2])
def test_decoded_node_cache_is_bounded_by_depth(cache_depth):
    store: dict[bytes, bytes] = {}
    trie = Trie(store, cache_depth=cache_depth)
    for block in range(3):
        trie.update((keccak256(b"%d" % (block * 1000 + i)), b"x" * 40) for i in range(300))
        store.update(trie.commit()[1])
        for i in range(0, 300, 7):
            trie.get(keccak256(b"%d" % i))
        trie.update([(keccak256(b"%d" % i), None) for i in range(0, 300, 5)])
        store.update(trie.commit()[1])
        assert object_depth(trie._root_node()) <= cache_depth


def node_shape(node):
    if type(node) is T._Branch:
        return ("branch", list(node.children), node.value)
    if type(node) is T._Leaf:
        return ("leaf", node.path, node.value)
    return ("ext", node.path, node.child)


def decoded_or_error(decode, enc):
    try:
        return node_shape(decode(enc))
    except TrieError:
        return "error"


@SETTINGS
@given(st.dictionaries(keys, values, min_size=1, max_size=40), st.data())
def test_fast_decoder_agrees_with_general_decoder(mapping, data):
    """_decode's fast paths must give the general parser's answer, on valid and corrupt input."""
    trie = Trie({})
    trie.update(mapping.items())
    _, nodes = trie.commit()
    for enc in nodes.values():
        assert node_shape(T._decode(enc)) == node_shape(T._decode_general(enc))
        pos = data.draw(st.integers(0, len(enc) - 1))
        bad = enc[:pos] + bytes([data.draw(st.integers(0, 255))]) + enc[pos + 1 :]
        assert decoded_or_error(T._decode, bad) == decoded_or_error(T._decode_general, bad)
        cut = enc[: data.draw(st.integers(0, len(enc)))]
        assert decoded_or_error(T._decode, cut) == decoded_or_error(T._decode_general, cut)


def test_fast_decoder_agrees_on_every_truncation_and_byte():
    mapping = {b"": b"\x00", b"\x00" * 32: b"\x80", b"\x01": b"x" * 60, b"\x01\x02": b"y"}
    mapping.update((keccak256(bytes([i])), bytes([i]) * (1 + i % 50)) for i in range(40))
    trie = Trie({})
    trie.update(mapping.items())
    _, nodes = trie.commit()
    for enc in nodes.values():
        for cut in range(len(enc) + 1):
            assert decoded_or_error(T._decode, enc[:cut]) == decoded_or_error(T._decode_general, enc[:cut])
        for pos in range(len(enc)):
            for byte in (0x00, 0x7F, 0x80, 0x81, 0xA0, 0xB8, 0xC0, 0xF8, 0xFF):
                bad = enc[:pos] + bytes([byte]) + enc[pos + 1 :]
                assert decoded_or_error(T._decode, bad) == decoded_or_error(T._decode_general, bad)


def test_committed_node_order_does_not_depend_on_read_history():
    store: dict[bytes, bytes] = {}
    base = Trie(store)
    base.update((keccak256(b"%d" % i), b"v" * 40) for i in range(500))
    root, nodes = base.commit()
    store.update(nodes)
    for i in range(300, 0, -7):
        base.get(keccak256(b"%d" % i))
    batch = [(keccak256(b"%d" % i), b"w%d" % i) for i in range(0, 700, 3)]
    base.update(batch)
    fresh = Trie(store, root)
    fresh.update(reversed(batch))
    assert list(base.commit()[1].items()) == list(fresh.commit()[1].items())
