"""Replay JSON-RPC vectors (ethereum/execution-apis `.io` files) against a running node.

    python -m tests.rpc.vector_runner URL [DIR]      # prints "N passed, N failed"

URL is a node freshly started from the dev genesis (`flockchain dev`); DIR defaults to
tests/rpc/vectors. Each file is one case: `>> request` / `<< response` lines, replayed in
order on one node (tests/rpc/vectors/README.md describes the format). Read-only files run
first, in path order, on the node as it is (at genesis); then each `// stateful:` file runs
between an `evm_snapshot` and an `evm_revert`, so it starts from genesis too, and the chain
is back at genesis for the next one.

Exchanges are compared exactly (as JSON values: `1`, `1.0` and `true` differ), except where
a `// speconly:` marker says the answer varies between runs; then only its shape is checked
(see `check_shape`).
"""

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

VECTOR_DIR = Path(__file__).parent / "vectors"
SPECONLY = "speconly:"
"""In a file's header (before the first `>>`): every exchange of the file is schema-only (execution-apis)."""
SPECONLY_NEXT = "speconly-next:"
"""Anywhere: the next exchange only is schema-only (our extension, for sequences that mix both)."""
STATEFUL = "stateful:"
"""In the header: the file changes the chain, so it is replayed between evm_snapshot and evm_revert."""
HEX = re.compile(r"^0x[0-9a-fA-F]*$")
TIMEOUT = 30


@dataclass
class Exchange:
    request: str
    """The body as written after `>> ` (sent verbatim unless a substitution applies)."""
    expected: object
    """The parsed `<< ` line, or None when the request must get no response (notifications)."""
    speconly: bool = False
    line: int = 0


@dataclass
class Vector:
    path: Path
    name: str
    """The path below the vector directory without `.io`: `eth_getBalance/genesis-funded`."""
    comment: str = ""
    speconly: bool = False
    stateful: bool = False
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def method(self) -> str:
        return self.name.split("/")[0]

    def requested_methods(self) -> set[str]:
        """Every method name the file's requests call (batches included)."""
        found = set()
        for exchange in self.exchanges:
            try:
                body = json.loads(exchange.request)
            except ValueError:
                continue
            for item in body if isinstance(body, list) else [body]:
                if isinstance(item, dict) and isinstance(item.get("method"), str):
                    found.add(item["method"])
        return found


class VectorError(ValueError):
    """A file is not a well-formed vector."""


def parse_vector(path: Path, root: Path) -> Vector:
    vector = Vector(path, path.relative_to(root).with_suffix("").as_posix())
    in_header, next_speconly = True, False
    for number, raw_line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw_line.strip()
        if not line:
            continue
        if line.startswith("//"):
            text = line[2:].strip()
            if text.startswith(SPECONLY_NEXT):
                next_speconly = True
            elif in_header:
                vector.comment += text + "\n"
                vector.speconly |= text.startswith(SPECONLY)
                vector.stateful |= text.startswith(STATEFUL)
        elif line.startswith(">>"):
            in_header = False
            vector.exchanges.append(Exchange(line[2:].strip(), None, next_speconly, number))
            next_speconly = False
        elif line.startswith("<<"):
            if not vector.exchanges or vector.exchanges[-1].expected is not None:
                raise VectorError(f"{path}:{number}: a response without its request")
            try:
                vector.exchanges[-1].expected = json.loads(line[2:].strip())
            except ValueError as error:
                raise VectorError(f"{path}:{number}: the response is not JSON: {error}") from None
        else:
            raise VectorError(f"{path}:{number}: not a `//`, `>>` or `<<` line")
    if not vector.exchanges:
        raise VectorError(f"{path}: no requests")
    return vector


def load_vectors(directory: Path = VECTOR_DIR) -> list[Vector]:
    """Every `.io` file under `directory`, in replay order: read-only files, then stateful ones, each by path."""
    vectors = [parse_vector(path, directory) for path in sorted(directory.glob("**/*.io"))]
    return [v for v in vectors if not v.stateful] + [v for v in vectors if v.stateful]


# comparison ----------------------------------------------------------------------------

def kind(value) -> str:
    """JSON type, keeping booleans apart from numbers (Python's True == 1)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def same(actual, expected) -> bool:
    """JSON equality: 1 and true differ, as do 1 and 1.0."""
    if type(actual) is not type(expected):
        return False
    if isinstance(expected, list):
        return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected))
    if isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(same(actual[k], expected[k]) for k in expected)
    return actual == expected


def check_shape(actual, expected, path: str = "$") -> None:
    """The schema-only comparison (execution-apis `speconly`): same JSON types and the same
    object keys all the way down, array items compared pairwise as far as both reach.
    Stricter where it costs nothing: a 0x-hex string must stay 0x-hex, and one of 20 or 32
    bytes (an address or a hash) must keep its length. Raises AssertionError."""
    if kind(actual) != kind(expected):
        raise AssertionError(f"{path}: expected {kind(expected)}, got {kind(actual)} {_short(actual)}")
    if isinstance(expected, dict):
        if actual.keys() != expected.keys():
            missing, extra = sorted(expected.keys() - actual.keys()), sorted(actual.keys() - expected.keys())
            raise AssertionError(f"{path}: keys differ: missing {missing}, unexpected {extra}")
        for key in expected:
            check_shape(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        for index, (a, e) in enumerate(zip(actual, expected)):
            check_shape(a, e, f"{path}[{index}]")
    elif isinstance(expected, str) and HEX.match(expected):
        if not HEX.match(actual):
            raise AssertionError(f"{path}: expected 0x-hex, got {_short(actual)}")
        if len(expected) in (42, 66) and len(actual) != len(expected):
            raise AssertionError(f"{path}: expected {(len(expected) - 2) // 2} bytes, got {_short(actual)}")


def check_response_shape(actual, expected, path: str = "$") -> None:
    """Schema-only for one response object: `jsonrpc`, `id` and `error.code` still compare exactly."""
    check_shape(actual, expected, path)
    if isinstance(expected, dict):
        for key in ("jsonrpc", "id"):
            if key in expected and not same(actual[key], expected[key]):
                raise AssertionError(f"{path}.{key}: expected {_short(expected[key])}, got {_short(actual[key])}")
        if isinstance(expected.get("error"), dict) and "code" in expected["error"] \
                and not same(actual["error"]["code"], expected["error"]["code"]):
            raise AssertionError(f"{path}.error.code: expected {expected['error']['code']}, got "
                                 f"{actual['error']['code']} ({_short(actual['error'].get('message'))})")


def compare(actual, exchange: Exchange, speconly: bool) -> None:
    expected = exchange.expected
    if expected is None:
        if actual is not None:
            raise AssertionError(f"expected no response, got {_short(actual)}")
        return
    if actual is None:
        raise AssertionError("expected a response, got none")
    if not speconly:
        if not same(actual, expected):
            raise AssertionError(f"response differs:\n  expected {_short(expected, 600)}\n  got      {_short(actual, 600)}")
        return
    if isinstance(expected, list):
        if kind(actual) != "array" or len(actual) != len(expected):
            raise AssertionError(f"expected a batch of {len(expected)} responses, got {_short(actual)}")
        for index, (a, e) in enumerate(zip(actual, expected)):
            check_response_shape(a, e, f"$[{index}]")
    else:
        check_response_shape(actual, expected)


def _short(value, limit: int = 160) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# substitution of varying values -----------------------------------------------------------

def learn_substitutions(actual, expected, table: dict[str, str]) -> None:
    """After a schema-only exchange: each string of the recorded result that this node answered
    differently (a filter id, a snapshot id) maps to this node's value for later requests."""
    pairs = zip(actual, expected) if isinstance(expected, list) and isinstance(actual, list) else [(actual, expected)]
    for a, e in pairs:
        if isinstance(a, dict) and isinstance(e, dict) and "result" in a and "result" in e:
            _learn(a["result"], e["result"], table)


def _learn(actual, expected, table: dict[str, str]) -> None:
    if isinstance(expected, str) and isinstance(actual, str):
        if actual != expected:
            table[expected] = actual
    elif isinstance(expected, list) and isinstance(actual, list):
        for a, e in zip(actual, expected):
            _learn(a, e, table)
    elif isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected.keys() & actual.keys():
            _learn(actual[key], expected[key], table)


def substitute(request: str, table: dict[str, str]) -> str:
    """The request with recorded values replaced by this node's (only string values, only whole ones)."""
    if not table:
        return request
    try:
        body = json.loads(request)
    except ValueError:
        return request

    def walk(value):
        if isinstance(value, str):
            return table.get(value, value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    replaced = walk(body)
    return request if replaced == body else json.dumps(replaced, separators=(",", ":"))


# replaying ----------------------------------------------------------------------------------

def post(url: str, body: str, session: requests.Session | None = None):
    """POST a body; the parsed JSON answer, or None when the node sent no body (HTTP 204)."""
    response = (session or requests).post(url, data=body.encode("utf-8"), timeout=TIMEOUT,
                                          headers={"Content-Type": "application/json"})
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise AssertionError(f"HTTP {response.status_code}, not JSON: {response.text[:200]!r}") from None


def call(url: str, method: str, *params, session: requests.Session | None = None):
    response = post(url, json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}), session)
    if not isinstance(response, dict) or "result" not in response:
        raise RuntimeError(f"{method} failed: {response}")
    return response["result"]


class ChainNotRestored(RuntimeError):
    """evm_revert did not take the chain back to genesis: later vectors would start elsewhere."""


def replay(url: str, vector: Vector, session: requests.Session | None = None) -> None:
    """Replay one file's exchanges in order; raise AssertionError at the first that differs.

    A stateful file is wrapped in evm_snapshot / evm_revert (ChainNotRestored if the revert fails).
    """
    snapshot = call(url, "evm_snapshot", session=session) if vector.stateful else None
    try:
        table: dict[str, str] = {}
        for exchange in vector.exchanges:
            actual = post(url, substitute(exchange.request, table), session)
            speconly = vector.speconly or exchange.speconly
            try:
                compare(actual, exchange, speconly)
            except AssertionError as error:
                raise AssertionError(f"line {exchange.line}: {error}") from None
            if speconly and exchange.expected is not None:
                learn_substitutions(actual, exchange.expected, table)
    finally:
        if snapshot is not None and call(url, "evm_revert", snapshot, session=session) is not True:
            raise ChainNotRestored(f"evm_revert({snapshot}) after {vector.name} did not restore the chain")


def check_fresh(url: str, session: requests.Session | None = None) -> None:
    head = call(url, "eth_blockNumber", session=session)
    if head != "0x0":
        raise RuntimeError(f"the node at {url} is at block {int(head, 16)}; the vectors need a node fresh from genesis")


def run_all(url: str, vectors: list[Vector], report: Callable[[str], None] = print) -> tuple[int, int]:
    """Replay every vector (in the order given, which load_vectors makes the replay order)."""
    passed = failed = 0
    with requests.Session() as session:
        check_fresh(url, session)
        for vector in vectors:
            try:
                replay(url, vector, session)
                passed += 1
            except AssertionError as error:
                failed += 1
                bug = next((line for line in vector.comment.splitlines() if line.startswith("known bug:")), None)
                report(f"FAIL {vector.name}{f' ({bug})' if bug else ''}: {error}")
    return passed, failed


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[2].strip())
        return 2
    url = argv[0]
    directory = Path(argv[1]) if len(argv) > 1 else VECTOR_DIR
    try:
        vectors = load_vectors(directory)
        passed, failed = run_all(url, vectors)
    except (VectorError, RuntimeError, requests.RequestException) as error:
        print(f"vector_runner: {error}", file=sys.stderr)
        return 2
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
