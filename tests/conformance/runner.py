"""Check an implementation against conformance vectors (JSON files), with no other input.

A block vector gives a parent header and the full flat pre-state, then blocks to import in
order. With a `post`, every block must import and the final state root and each block's
receipts (consensus encoding) must match. Without one, every block but the last must
import and the last must be rejected. A sampling vector (`"kind": "sampling"`) gives a seed,
weighted candidates and k; the selection must match in order (spec/sampling.md). An FL
commitment vector (`"kind": "fl_commitment"`) gives what a proposer or voter commits to; the
commitment must match (spec/modules/fl_alliance.md). A ring-signature vector (`"kind": "ring_signature"`)
gives a ring, tag, message, key image and signature; verification must answer `valid`, and where the
signer's secret is given, the key image must be derived from it; an image-proof vector
(`"kind": "image_proof"`) must verify as `valid` says (spec/ring_signatures.md).

    python -m tests.conformance.runner [VECTOR_DIR]      # prints "N passed, N failed"

To check another implementation, give `run_vector` an `import_blocks` of your own.
"""

import json
import sys
from collections.abc import Callable
from pathlib import Path

from runtime.blocks import Block, Header
from runtime.exceptions import InvalidBlock
from runtime.executive import apply_block, compute_state_root
from runtime.state import MemoryBackend, State
from runtime.trie import EMPTY_ROOT, Trie

VECTOR_DIR = Path(__file__).parent / "vectors"


def _bytes(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


class Rejected(Exception):
    """The implementation refused a block."""


def import_blocks_here(parent: bytes, pre_state: dict[bytes, bytes], blocks: list[bytes]):
    """This implementation: yields (state root, receipts) per block; raises Rejected for an invalid one."""
    from chain.composition import RUNTIME_VERSIONS

    backend = MemoryBackend(pre_state)
    root, nodes = compute_state_root({}, EMPTY_ROOT, pre_state)
    head = Header.decode(parent)
    if root != head.state_root:
        raise AssertionError("pre-state does not match the parent's state root")
    for encoded in blocks:
        try:
            block = Block.decode(encoded)
            runtime = RUNTIME_VERSIONS.for_block(State(backend), block.header.number)
            outcome = apply_block(runtime, backend, Trie(nodes, head.state_root), head, block)
        except InvalidBlock as error:
            raise Rejected(str(error)) from None
        backend.apply(outcome.changes)
        nodes.update(outcome.trie_nodes)
        head = outcome.block.header
        yield head.state_root, [a.receipt.encode() for a in outcome.applied]


def sample_here(seed: bytes, candidates: list[tuple[bytes, int]], k: int) -> list[bytes]:
    from runtime.sampling import sample
    return sample(seed, candidates, k)


def run_sampling_vector(vector: dict, sample: Callable = sample_here) -> None:
    candidates = [(_bytes(c), int(w)) for c, w in vector["candidates"]]
    selection = sample(_bytes(vector["seed"]), candidates, vector["k"])
    assert [_bytes(c) for c in vector["selection"]] == list(selection), f"{vector['name']}: selection differs"


def run_commitment_vector(vector: dict) -> None:
    from fl_module.formats import compute_score_commitment, compute_update_commitment

    if vector["commits"] == "update":
        computed = compute_update_commitment(_bytes(vector["updateHash"]), _bytes(vector["salt"]),
                                             _bytes(vector["proposer"]))
    else:
        computed = compute_score_commitment(vector["scores"], _bytes(vector["salt"]), _bytes(vector["voter"]))
    assert computed == _bytes(vector["commitment"]), f"{vector['name']}: commitment differs"


def run_ring_vector(vector: dict) -> None:
    from runtime.crypto.ring import compute_key_image, verify
    ring = [_bytes(p) for p in vector["ring"]]
    image = _bytes(vector["keyImage"])
    accepted = verify(ring, _bytes(vector["tag"]), _bytes(vector["message"]), image, _bytes(vector["signature"]))
    assert accepted == vector["valid"], f"{vector['name']}: verify says {accepted}"
    if vector.get("secret"):
        assert compute_key_image(int(vector["secret"], 16), _bytes(vector["tag"])) == image, \
            f"{vector['name']}: key image differs"


def run_image_proof_vector(vector: dict) -> None:
    from runtime.crypto.ring import verify_image
    accepted = verify_image(_bytes(vector["publicKey"]), _bytes(vector["tag"]), _bytes(vector["keyImage"]),
                            _bytes(vector["message"]), _bytes(vector["proof"]))
    assert accepted == vector["valid"], f"{vector['name']}: verify_image says {accepted}"


def run_vector(vector: dict, import_blocks: Callable = import_blocks_here) -> None:
    """Raise AssertionError when the implementation disagrees with the vector."""
    if vector.get("kind") == "sampling":
        return run_sampling_vector(vector)
    if vector.get("kind") == "ring_signature":
        return run_ring_vector(vector)
    if vector.get("kind") == "image_proof":
        return run_image_proof_vector(vector)
    if vector.get("kind") == "fl_commitment":
        return run_commitment_vector(vector)
    pre_state = {_bytes(k): _bytes(v) for k, v in vector["pre"]["state"].items()}
    blocks = [_bytes(b) for b in vector["blocks"]]
    results = []
    try:
        for result in import_blocks(_bytes(vector["pre"]["parent"]), pre_state, blocks):
            results.append(result)
    except Rejected as error:
        if vector["post"] is not None or len(results) != len(blocks) - 1:
            raise AssertionError(f"{vector['name']}: block {len(results)} rejected: {error}") from None
        return
    if vector["post"] is None:
        raise AssertionError(f"{vector['name']}: the invalid last block was accepted")
    root, _ = results[-1]
    assert root == _bytes(vector["post"]["stateRoot"]), f"{vector['name']}: state root differs"
    receipts = [[_bytes(r) for r in block] for block in vector["post"]["receipts"]]
    assert [r for _, r in results] == receipts, f"{vector['name']}: receipts differ"


def load_vectors(directory: Path = VECTOR_DIR) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(directory.glob("**/*.json"))]


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else VECTOR_DIR
    passed = failed = 0
    for vector in load_vectors(directory):
        try:
            run_vector(vector)
            passed += 1
        except AssertionError as error:
            failed += 1
            print(f"FAIL {vector['name']}: {error}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
