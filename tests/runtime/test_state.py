"""State overlay and checkpoints: rollback restores byte-identical state; roots ignore write order."""

from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.crypto import keccak256
from runtime.executive import compute_state_root
from runtime.state import MemoryBackend, State
from runtime.trie import EMPTY_ROOT

keys = st.binary(min_size=1, max_size=6)
values = st.one_of(st.none(), st.binary(min_size=0, max_size=8))
writes = st.lists(st.tuples(keys, values), max_size=30)
programs = st.recursive(
    writes.map(lambda w: ("writes", w)),
    lambda inner: st.tuples(st.sampled_from(["commit", "rollback"]), st.lists(inner, max_size=3)),
    max_leaves=8,
)


def run(state: State, program) -> None:
    kind, body = program
    if kind == "writes":
        for key, value in body:
            state.set(key, value)
        return
    state.checkpoint()
    for child in body:
        run(state, child)
    state.commit() if kind == "commit" else state.rollback()


def snapshot(state: State) -> dict:
    return dict(state.iter_prefix(b""))


@given(st.dictionaries(keys, st.binary(min_size=1, max_size=8), max_size=20), writes, programs)
def test_rollback_restores_byte_identical_state(base, before, program):
    state = State(MemoryBackend(base))
    for key, value in before:
        state.set(key, value)
    expected = snapshot(state)
    expected_changes = state.changes()
    state.checkpoint()
    run(state, program)
    state.rollback()
    assert snapshot(state) == expected
    assert state.changes() == expected_changes
    assert state.depth == 0


@given(st.dictionaries(keys, st.binary(min_size=1, max_size=8), max_size=20), programs)
def test_commit_keeps_what_an_uncheckpointed_run_would_write(base, program):
    """Committing a layer is the same as having written without it (only rollbacks undo)."""
    def flatten(program, out):
        kind, body = program
        if kind == "writes":
            out.extend(body)
        elif kind == "commit":
            for child in body:
                flatten(child, out)
        return out

    layered, flat = State(MemoryBackend(base)), State(MemoryBackend(base))
    layered.checkpoint()
    run(layered, program)
    layered.commit()
    for key, value in flatten(program, []):
        flat.set(key, value)
    assert snapshot(layered) == snapshot(flat)


@given(st.dictionaries(keys, st.binary(min_size=1, max_size=8), max_size=20), writes, st.randoms(use_true_random=False))
def test_state_root_does_not_depend_on_write_order(base, block_writes, rng):
    nodes: dict = {}
    root, genesis_nodes = compute_state_root(nodes, EMPTY_ROOT, base)
    nodes.update(genesis_nodes)
    final = {}
    for key, value in block_writes:
        final[key] = value or None
    shuffled = list(final.items())
    rng.shuffle(shuffled)
    first = State(MemoryBackend(base))
    for key, value in final.items():
        first.set(key, value)
    second = State(MemoryBackend(base))
    for key, value in shuffled:
        second.set(key, value)
    assert compute_state_root(nodes, root, first.changes())[0] == compute_state_root(nodes, root, second.changes())[0]


@settings(max_examples=50)
@given(st.dictionaries(keys, st.binary(min_size=1, max_size=8), max_size=30))
def test_state_root_commits_to_content_not_history(content):
    """A trie built at once equals one built by adding then removing extra keys."""
    direct = compute_state_root({}, EMPTY_ROOT, content)[0]
    nodes: dict = {}
    noisy = dict(content)
    noisy.update({keccak256(k)[:5]: b"x" for k in content})
    root, new = compute_state_root(nodes, EMPTY_ROOT, noisy)
    nodes.update(new)
    removals = {k: None for k in noisy if k not in content}
    restore = {k: v for k, v in content.items()}
    assert compute_state_root(nodes, root, {**removals, **restore})[0] == direct


def test_empty_values_are_deletions():
    state = State(MemoryBackend({b"a": b"1"}))
    state.set(b"a", b"")
    assert state.get(b"a") is None
    assert state.changes() == {b"a": None}
