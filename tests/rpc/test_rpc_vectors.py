"""The JSON-RPC vectors replay against a real `flockchain dev`, every method the node serves
has at least one, and the runner notices wrong answers.

The vectors are replayed in the runner's order (read-only files, then stateful ones between
evm_snapshot and evm_revert) on the module's dev chain, one test per file. A vector with a
`// known bug:` line is xfail(strict=True): it starts failing loudly once the bug is fixed.
"""

import copy
import subprocess
import sys

import pytest

from rpc import devnet
from rpc.server import REGISTRIES, RpcContext, RpcServer

from .devchain import start_dev_chain, stop_dev_chain
from .vector_runner import (VECTOR_DIR, Exchange, Vector, check_fresh, compare, load_vectors, parse_vector, replay,
                            substitute)

VECTORS = load_vectors()


def known_bug(vector: Vector) -> str | None:
    bugs = [line.removeprefix("known bug:").strip() for line in vector.comment.splitlines()
            if line.startswith("known bug:")]
    return "; ".join(bugs) or None


def params():
    for vector in VECTORS:
        bug = known_bug(vector)
        marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=bug)] if bug else []
        yield pytest.param(vector, id=vector.name, marks=marks)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A dev chain fresh from genesis for the module. Its log may hold tracebacks only of the
    internal errors the known-bug vectors provoke."""
    node = start_dev_chain(tmp_path_factory.mktemp("vectors"))
    try:
        check_fresh(node.url)
        yield node
    finally:
        stop_dev_chain(node.process)
    allowed = {m for v in VECTORS if known_bug(v) for m in v.requested_methods()}
    chunks = node.log().split("Traceback (most recent call last):")
    for before in chunks[:-1]:
        last_line = before.rstrip().splitlines()[-1] if before.strip() else ""
        method = last_line.rpartition("internal error in ")[2]
        assert "internal error in " in last_line and method in allowed, f"unexpected traceback after: {last_line}"


@pytest.mark.parametrize("vector", list(params()))
def test_vector(fresh, vector):
    try:
        replay(fresh.url, vector)
    except AssertionError as error:
        raise AssertionError(f"{vector.name}: {error}\n(if the server's answer changed on purpose, regenerate the "
                             "vectors: python -m tests.rpc.generate_vectors)") from None


def test_every_served_method_has_a_vector(fresh):
    """The registry, as `flockchain dev` composes it and as the node itself reports it (rpc.discover),
    against the vector directories: none may fall behind."""
    composed = RpcServer(RpcContext(node=None, dev=True), REGISTRIES + (devnet.registry,)).methods
    served = set(composed) | {m["name"] for m in fresh.result("rpc.discover")["methods"]}
    assert {"rpc.discover", "evm_snapshot", "eth_sendTransaction"} <= served, "a dev chain serves dev-only methods too"
    missing = sorted(m for m in served if not any(v.method == m and m in v.requested_methods() for v in VECTORS))
    assert not missing, ("methods without a vector in tests/rpc/vectors/<method>/ (add a case to "
                         f"tests/rpc/generate_vectors.py and run `python -m tests.rpc.generate_vectors`): {missing}")
    unserved = sorted({v.method for v in VECTORS} - served - {"_jsonrpc"})
    assert not unserved, f"vectors for methods the node does not serve: {unserved}"


def test_runner_cli(fresh, tmp_path):
    """`python -m tests.rpc.vector_runner URL DIR` replays a directory and prints the counts."""
    for name in ("eth_chainId/dev-chain", "eth_getTransactionReceipt/transfer", "_jsonrpc/notification"):
        target = tmp_path / f"{name}.io"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((VECTOR_DIR / f"{name}.io").read_text())
    wrong = tmp_path / "eth_chainId" / "wrong.io"
    wrong.write_text('// a wrong answer\n>> {"jsonrpc":"2.0","id":1,"method":"eth_chainId"}\n'
                     '<< {"jsonrpc":"2.0","id":1,"result":"0x1"}\n')
    done = subprocess.run([sys.executable, "-m", "tests.rpc.vector_runner", fresh.url, str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=VECTOR_DIR.parents[2])
    assert done.stdout.strip().splitlines()[-1] == "3 passed, 1 failed", done.stdout + done.stderr
    assert "FAIL eth_chainId/wrong" in done.stdout and done.returncode == 1
    check_fresh(fresh.url)


# the comparison itself ---------------------------------------------------------------------

def exchange(expected) -> Exchange:
    return Exchange('{"jsonrpc":"2.0","id":1,"method":"x"}', expected)


RESPONSE = {"jsonrpc": "2.0", "id": 1, "result": {"hash": "0x" + "11" * 32, "number": "0x1", "list": ["0x1", "0x2"]}}


def test_exact_comparison_tells_json_types_apart():
    compare({"jsonrpc": "2.0", "id": 1, "result": 1}, exchange({"jsonrpc": "2.0", "id": 1, "result": 1}), False)
    for other in (True, 1.0, "1"):
        with pytest.raises(AssertionError):
            compare({"jsonrpc": "2.0", "id": 1, "result": other}, exchange({"jsonrpc": "2.0", "id": 1, "result": 1}),
                    False)


@pytest.mark.parametrize("change, ok", [
    (lambda r: r["result"].update(number="0x1234"), True),
    (lambda r: r["result"].update(hash="0x" + "22" * 32), True),
    (lambda r: r["result"]["list"].append("0x3"), True),
    (lambda r: r["result"].update(hash="0x22"), False),
    (lambda r: r["result"].update(number=1), False),
    (lambda r: r["result"].update(number="one"), False),
    (lambda r: r["result"].pop("number"), False),
    (lambda r: r["result"].update(extra=None), False),
    (lambda r: r.update(id=2), False),
    (lambda r: r.update(result=None), False),
    (lambda r: r.update(error={"code": -32000, "message": "x"}) or r.pop("result"), False),
], ids=["quantity-changes", "hash-changes", "array-grows", "hash-shrinks", "number-for-string", "not-hex",
        "missing-key", "extra-key", "id-changes", "null-result", "error-for-result"])
def test_speconly_checks_shape(change, ok):
    actual = copy.deepcopy(RESPONSE)
    change(actual)
    if ok:
        compare(actual, exchange(RESPONSE), True)
    else:
        with pytest.raises(AssertionError):
            compare(actual, exchange(RESPONSE), True)


def test_speconly_error_code_compares_exactly():
    expected = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32001, "message": "block 0x5 not found"}}
    compare({"jsonrpc": "2.0", "id": 1, "error": {"code": -32001, "message": "other words"}}, exchange(expected), True)
    with pytest.raises(AssertionError):
        compare({"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "internal error"}}, exchange(expected),
                True)


def test_no_answer_expected():
    compare(None, exchange(None), False)
    with pytest.raises(AssertionError):
        compare({"jsonrpc": "2.0", "id": None, "result": "0x1"}, exchange(None), False)
    with pytest.raises(AssertionError):
        compare(None, exchange(RESPONSE), True)


def test_substitution_replaces_whole_strings_only():
    table = {"0xaaaa": "0xbbbb"}
    assert substitute('{"params":["0xaaaa",["0xaaaa"],{"k":"0xaaaa"},"0xaaaab"]}', table) == \
        '{"params":["0xbbbb",["0xbbbb"],{"k":"0xbbbb"},"0xaaaab"]}'
    assert substitute('{"params":["0xaaaa"', table) == '{"params":["0xaaaa"'


def test_parser_markers(tmp_path):
    path = tmp_path / "m" / "c.io"
    path.parent.mkdir()
    path.write_text("// about\n// stateful: x\n>> {}\n// speconly-next: y\n>> []\n<< {\"a\":1}\n>> 1\n")
    vector = parse_vector(path, tmp_path)
    assert vector.name == "m/c" and vector.stateful and not vector.speconly
    assert [(e.request, e.expected, e.speconly) for e in vector.exchanges] == \
        [("{}", None, False), ("[]", {"a": 1}, True), ("1", None, False)]
