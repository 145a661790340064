"""Crash tests with real processes: `kill -9` the dev node at random moments, restart it on the same data dir.

Whatever the node told a client before the kill (heads, receipts, balances and nonces at the blocks it
reported) must still be there after the restart, the stored chain must be whole and consistent (parent
links, transaction index, nonces without gaps, total supply = genesis supply - burned base fees = sum of
balances), and the chain must go on. Transactions that were only in the pool are lost, which is expected:
the pool lives in memory.

Kill timings come from a seeded random.Random (FLOCKCHAIN_CRASH_SEED overrides the seed, to explore).
"""

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import to_checksum_address

from fl_module.worker.ports import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SPEC = json.loads((REPO / "genesis" / "dev.json").read_text())
MNEMONIC = SPEC["devAccounts"]["mnemonic"]
CHAIN_ID = 31337
BALANCES_MODULE = "0x0000000000000000000000000000000000000801"
TOTAL_SUPPLY_SELECTOR = "0x18160ddd"  # keccak("totalSupply()")[:4]
REWARDS_MODULE = "0x0000000000000000000000000000000000000805"
TOTAL_EMITTED_SELECTOR = "0xdf0244b1"  # keccak("totalEmitted()")[:4]
GENESIS_SUPPLY = sum(int(v) for v in SPEC["genesis"]["runtime"]["balances"]["balances"].values())
SEED = int(os.environ.get("FLOCKCHAIN_CRASH_SEED", "31337"))
CYCLES = 5
MAX_KILL_DELAY = 1.5
START_TIMEOUT = 20.0
HTTP_TIMEOUT = 10.0
MAX_FEE = 100 * 10**9
TIP = 10**9

Account.enable_unaudited_hdwallet_features()


def _derive(index: int):
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


DEV = [_derive(i) for i in range(SPEC["devAccounts"]["count"])]
AUTHORITY = _derive(SPEC["devAccounts"]["authorityIndex"]).address
RECIPIENTS = [to_checksum_address(bytes([0xC0, i]) + bytes(18)) for i in range(1, 4)]
PAYEES = [a.address for a in DEV] + [AUTHORITY] + RECIPIENTS
"""Every address a transfer or a tip goes to: senders, the block author (tips) and the recipients."""
EMISSION_ACCOUNTS = [REWARDS_MODULE, "0x0000000000000000000000000000000000000807"]
"""Where epoch emission goes: the rewards module's account and the treasury (its protocol fee)."""
TRACKED = PAYEES + EMISSION_ACCOUNTS
"""Every address a balance can be at."""


def expected_genesis_hash() -> str:
    from chain.composition import RUNTIME
    from genesis.builder import build_genesis
    return "0x" + build_genesis(SPEC, RUNTIME).hash.hex()


# ---------------------------------------------------------------------------------------------------------------
# JSON-RPC over plain HTTP


class NodeGone(Exception):
    """The node did not answer (refused, reset, timed out, truncated)."""


class RpcFailure(AssertionError):
    pass


def post(url: str, payload, timeout: float = HTTP_TIMEOUT):
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        raise RpcFailure(f"HTTP {error.code} from the node: {error.read()[:500]!r}") from None
    except (urllib.error.URLError, ConnectionError, http.client.HTTPException, TimeoutError, OSError) as error:
        raise NodeGone(repr(error)) from error
    try:
        return json.loads(body)
    except ValueError as error:
        raise NodeGone(f"unparseable response {body[:200]!r}") from error


def rpc(url: str, method: str, *params, timeout: float = HTTP_TIMEOUT):
    response = post(url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout)
    if "error" in response:
        raise RpcFailure(f"{method}{list(params)} failed: {response['error']}")
    return response["result"]


def rpc_batch(url: str, calls: list[tuple], allow_errors: bool = False) -> list:
    """Results in call order (chunks of 500, under the server's batch limit); errors raise unless allowed."""
    results = []
    for start in range(0, len(calls), 500):
        chunk = calls[start:start + 500]
        response = post(url, [{"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
                              for i, (m, *p) in enumerate(chunk)])
        assert isinstance(response, list) and len(response) == len(chunk), f"bad batch response {str(response)[:500]}"
        by_id = {r["id"]: r for r in response}
        for i, (method, *params) in enumerate(chunk):
            r = by_id[i]
            if "error" in r and not allow_errors:
                raise RpcFailure(f"{method}{params} failed: {r['error']}")
            results.append(r)
    return [r if allow_errors else r["result"] for r in results]


def sign_transfer(account, nonce: int, to: str, value: int) -> tuple[str, str]:
    signed = Account.sign_transaction({"type": 2, "chainId": CHAIN_ID, "nonce": nonce, "to": to, "value": value,
                                       "gas": 21000, "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": TIP},
                                      account.key)
    return "0x" + bytes(signed.raw_transaction).hex(), "0x" + bytes(signed.hash).hex()


# ---------------------------------------------------------------------------------------------------------------
# node processes



class DevNode:
    def __init__(self, data_dir: Path, log_dir: Path, name: str):
        self.data_dir, self.name = data_dir, name
        self.out_path, self.err_path = log_dir / f"{name}.out", log_dir / f"{name}.err"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.launched_at = time.monotonic()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "flockchain.cli", "dev", "--port", str(self.port), "--data-dir", str(data_dir),
                 "--no-sample-task"],
                cwd=REPO, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        self.time_to_listening: float | None = None

    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def logs(self) -> str:
        return (f"--- {self.name} (exit {self.proc.poll()}) stdout:\n{self.stdout()[-3000:]}\n"
                f"--- stderr:\n{self.stderr()[-5000:]}")

    def wait_ready(self) -> bool:
        """True once eth_chainId answers; False if the process exited first. Fails after START_TIMEOUT."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                chain_id = rpc(self.url, "eth_chainId", timeout=2.0)
            except NodeGone:
                time.sleep(0.05)
                continue
            assert int(chain_id, 16) == CHAIN_ID
            while "Listening on" not in self.stdout() and time.monotonic() < deadline:
                time.sleep(0.01)
            self.time_to_listening = time.monotonic() - self.launched_at
            return True
        pytest.fail(f"node did not answer eth_chainId within {START_TIMEOUT}s\n{self.logs()}")

    def kill(self) -> None:
        """SIGKILL and reap; the node must have been running until then."""
        assert self.proc.poll() is None, f"node exited before the kill\n{self.logs()}"
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> None:
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            pytest.fail(f"node did not stop on SIGTERM\n{self.logs()}")
        assert code == 0, f"node exited {code} on SIGTERM\n{self.logs()}"


class Nodes:
    """Starts node processes for a test and kills whatever is left at teardown."""

    def __init__(self, tmp_path: Path):
        self.log_dir = tmp_path / "logs"
        self.log_dir.mkdir()
        self.started: list[DevNode] = []

    def launch(self, data_dir: Path, name: str) -> DevNode:
        node = DevNode(data_dir, self.log_dir, f"{len(self.started):02d}-{name}")
        self.started.append(node)
        return node

    def start(self, data_dir: Path, name: str) -> DevNode:
        """Launch and wait for eth_chainId; retry on another port if the chosen one was taken meanwhile."""
        for _ in range(3):
            node = self.launch(data_dir, name)
            if node.wait_ready():
                assert "Traceback" not in node.stderr(), node.logs()
                return node
            if "cannot serve on" not in node.stderr():
                pytest.fail(f"node did not start on {data_dir}\n{node.logs()}")
        pytest.fail(f"no free port after 3 attempts\n{node.logs()}")

    def cleanup(self) -> None:
        for node in self.started:
            if node.proc.poll() is None:
                node.proc.kill()
                node.proc.wait(timeout=10)


@pytest.fixture
def nodes(tmp_path):
    n = Nodes(tmp_path)
    yield n
    n.cleanup()
    tracebacks = [node.logs() for node in n.started if "Traceback" in node.stderr()]
    assert not tracebacks, "a node logged a traceback:\n" + "\n".join(tracebacks)


# ---------------------------------------------------------------------------------------------------------------
# what the node told us, and checking it later


@dataclass
class Snapshot:
    block: dict
    balances: list[int]
    nonces: list[int]
    supply: int


@dataclass
class Record:
    """Everything the node returned, across all cycles (only ever read by the main thread after a join)."""
    sent: dict[str, tuple[str, int]] = field(default_factory=dict)  # tx hash -> (sender, nonce); sent or maybe sent
    receipts: dict[str, dict] = field(default_factory=dict)  # tx hash -> receipt as returned
    snapshots: list[Snapshot] = field(default_factory=list)
    heads_before_kill: list[int] = field(default_factory=list)


def take_snapshot(url: str) -> Snapshot:
    """The head, then balances, nonces and supply at that head's number (explicitly, so no race with sealing)."""
    block = rpc(url, "eth_getBlockByNumber", "latest", False)
    return Snapshot(block, *state_at(url, block["number"]))


def state_at(url: str, number: str) -> tuple[list[int], list[int], int]:
    calls = [("eth_getBalance", a, number) for a in TRACKED] + [("eth_getTransactionCount", a, number) for a in TRACKED]
    calls.append(("eth_call", {"to": BALANCES_MODULE, "data": TOTAL_SUPPLY_SELECTOR}, number))
    results = [int(r, 16) for r in rpc_batch(url, calls)]
    n = len(TRACKED)
    return results[:n], results[n:2 * n], results[-1]


def verify(url: str, record: Record, genesis_hash: str) -> dict:
    """Everything `record` holds is still answered the same, and the stored chain is whole. Returns the head."""
    head = rpc(url, "eth_getBlockByNumber", "latest", False)
    head_number = int(head["number"], 16)
    if record.heads_before_kill:
        assert head_number >= max(record.heads_before_kill), "the head went back behind a head reported before the kill"

    # every block from genesis to head: linked, and the burn adds up
    blocks = rpc_batch(url, [("eth_getBlockByNumber", hex(n), False) for n in range(head_number + 1)])
    assert blocks[0]["hash"] == genesis_hash
    assert blocks[-1] == head
    for n, block in enumerate(blocks):
        assert block is not None and int(block["number"], 16) == n, f"block {n} is missing: {block}"
        if n:
            assert block["parentHash"] == blocks[n - 1]["hash"], f"block {n} does not link to block {n - 1}"
    burned = sum(int(b["baseFeePerGas"], 16) * int(b["gasUsed"], 16) for b in blocks[1:])

    # blocks reported before the kill: same block (hash, stateRoot, everything), same state read through it
    for snap in record.snapshots:
        number = int(snap.block["number"], 16)
        assert blocks[number] == snap.block, f"block #{number} changed across the crash"
        assert sum(snap.balances) == snap.supply, f"balances at #{number} did not add up to the supply before the kill"
    checked = {}
    for snap in record.snapshots:  # one state read per distinct block is enough
        checked.setdefault(snap.block["number"], snap)
    for number, snap in checked.items():
        assert state_at(url, number) == (snap.balances, snap.nonces, snap.supply), \
            f"balances/nonces/supply at #{int(number, 16)} changed across the crash"

    # receipts returned before the kill: returned again, identical
    hashes = list(record.receipts)
    again = dict(zip(hashes, rpc_batch(url, [("eth_getTransactionReceipt", h) for h in hashes])))
    for tx_hash, receipt in record.receipts.items():
        assert again[tx_hash] == receipt, f"receipt of {tx_hash} changed: {receipt} -> {again[tx_hash]}"

    # every transaction ever sent: included once or lost; nonces gapless; the blocks hold exactly the included ones
    sent = list(record.sent)
    found = dict(zip(sent, rpc_batch(url, [("eth_getTransactionReceipt", h) for h in sent])))
    included = {h: r for h, r in found.items() if r is not None}
    in_blocks = [h for b in blocks for h in b["transactions"]]
    assert len(in_blocks) == len(set(in_blocks)), "a transaction is in two blocks"
    assert set(in_blocks) == set(included), "blocks and the transaction index disagree"
    for h, r in included.items():
        assert r["blockHash"] == blocks[int(r["blockNumber"], 16)]["hash"]
        assert r["status"] == "0x1", f"transfer {h} failed: {r}"
    latest_nonces = rpc_batch(url, [("eth_getTransactionCount", a.address, "latest") for a in DEV])
    pending_nonces = rpc_batch(url, [("eth_getTransactionCount", a.address, "pending") for a in DEV])
    for account, latest, pending in zip(DEV, latest_nonces, pending_nonces):
        nonces = sorted(n for h, (s, n) in record.sent.items() if s == account.address and h in included)
        assert nonces == list(range(len(nonces))), f"{account.address}: included nonces are not 0..n-1: {nonces}"
        assert int(latest, 16) == len(nonces), f"{account.address}: nonce {int(latest, 16)}, {len(nonces)} included"
        assert int(pending, 16) == int(latest, 16), "the pool survived a kill -9?"

    # supply: genesis plus emission minus burned base fees, and the sum of every balance
    balances, _, supply = state_at(url, "latest")
    emitted = int(rpc(url, "eth_call", {"to": REWARDS_MODULE, "data": TOTAL_EMITTED_SELECTOR}, "latest"), 16)
    assert supply == GENESIS_SUPPLY + emitted - burned, \
        f"total supply {supply} != genesis {GENESIS_SUPPLY} + emitted {emitted} - burned {burned}"
    assert sum(balances) == supply, f"balances add up to {sum(balances)}, total supply is {supply}"
    return head


def transfer_and_confirm(url: str, account, to: str, value: int, record: Record | None = None) -> dict:
    nonce = int(rpc(url, "eth_getTransactionCount", account.address, "pending"), 16)
    raw, tx_hash = sign_transfer(account, nonce, to, value)
    if record is not None:
        record.sent[tx_hash] = (account.address, nonce)
    assert rpc(url, "eth_sendRawTransaction", raw) == tx_hash
    deadline = time.monotonic() + 10
    while (receipt := rpc(url, "eth_getTransactionReceipt", tx_hash)) is None:
        assert time.monotonic() < deadline, "no receipt within 10 s"
        time.sleep(0.02)
    assert receipt["status"] == "0x1"
    if record is not None:
        record.receipts[tx_hash] = receipt
    return receipt


# ---------------------------------------------------------------------------------------------------------------
# load


class Load(threading.Thread):
    """Sends batches of signed transfers, polls their receipts and snapshots the head, until the node dies.

    Up to ~150 transfers may be outstanding, so at the kill some are sealed, some only in the pool, some in
    flight. Anything that fails before `killed` is set is an error of the test run.
    """

    def __init__(self, url: str, record: Record, rng: random.Random, killed: threading.Event):
        super().__init__(daemon=True)
        self.url, self.record, self.rng, self.killed = url, record, rng, killed
        self.nonces = {a.address: int(n, 16) for a, n in
                       zip(DEV, rpc_batch(url, [("eth_getTransactionCount", a.address, "pending") for a in DEV]))}
        self.sending = threading.Event()
        self.error: str | None = None
        self.counter = 0

    def run(self) -> None:
        try:
            self._run()
        except Exception:
            if not self.killed.is_set():
                self.error = traceback.format_exc()
        finally:
            self.sending.set()

    def _run(self) -> None:
        pending: list[str] = []
        while not self.killed.is_set():
            if len(pending) < 150:
                batch = []
                for _ in range(self.rng.randint(1, 30)):
                    sender = self.rng.choice(DEV)
                    to = self.rng.choice([a for a in PAYEES if a != sender.address])
                    self.counter += 1
                    raw, tx_hash = sign_transfer(sender, self.nonces[sender.address], to, 10**12 + self.counter)
                    self.record.sent[tx_hash] = (sender.address, self.nonces[sender.address])
                    self.nonces[sender.address] += 1
                    batch.append((tx_hash, raw))
                answers = rpc_batch(self.url, [("eth_sendRawTransaction", raw) for _, raw in batch])
                assert answers == [h for h, _ in batch], answers
                pending += answers
                self.sending.set()  # the kill clock starts once the first batch is in the pool
            receipts = rpc_batch(self.url, [("eth_getTransactionReceipt", h) for h in pending])
            still = []
            for tx_hash, receipt in zip(pending, receipts):
                if receipt is None:
                    still.append(tx_hash)
                else:
                    assert receipt["status"] == "0x1", receipt
                    self.record.receipts[tx_hash] = receipt
            pending = still
            self.record.snapshots.append(take_snapshot(self.url))


# ---------------------------------------------------------------------------------------------------------------
# tests


@pytest.mark.timeout(85)
def test_kill_9_under_load_loses_nothing_the_node_reported(tmp_path, nodes):
    rng = random.Random(SEED)
    data_dir = tmp_path / "chain"
    genesis_hash = expected_genesis_hash()
    record = Record()
    summary = []
    for cycle in range(CYCLES):
        node = nodes.start(data_dir, f"cycle-{cycle}")
        head = verify(node.url, record, genesis_hash)
        if summary:
            summary[-1] += f", restarted at #{int(head['number'], 16)}"
        killed = threading.Event()
        load = Load(node.url, record, random.Random(rng.random()), killed)
        load.start()
        assert load.sending.wait(timeout=10)
        delay = rng.uniform(0, MAX_KILL_DELAY)
        time.sleep(delay)
        assert load.error is None, f"load failed before the kill:\n{load.error}\n{node.logs()}"
        killed.set()
        node.kill()
        load.join(timeout=HTTP_TIMEOUT + 10)
        assert not load.is_alive(), "the load thread did not notice the kill"
        assert load.error is None, f"load failed before the kill:\n{load.error}"
        reported = [int(s.block["number"], 16) for s in record.snapshots]
        record.heads_before_kill.append(max(reported, default=int(head["number"], 16)))
        summary.append(f"cycle {cycle}: killed after {delay:.2f}s at reported head #{record.heads_before_kill[-1]}")

    node = nodes.start(data_dir, "final")
    head = verify(node.url, record, genesis_hash)
    summary[-1] += f", restarted at #{int(head['number'], 16)}"
    receipt = transfer_and_confirm(node.url, DEV[0], RECIPIENTS[0], 10**15, record)
    assert int(receipt["blockNumber"], 16) == int(head["number"], 16) + 1
    verify(node.url, record, genesis_hash)
    node.stop()
    assert len(record.sent) > CYCLES and len(record.receipts) >= 1
    print(f"seed {SEED}: {len(record.sent)} transfers sent, {len(record.receipts)} receipts, head #{head['number']}",
          *summary, sep="\n")


def _log_inode(data_dir: Path) -> int | None:
    try:
        return (data_dir / "LOG").stat().st_ino
    except FileNotFoundError:
        return None


def _kill_during_startup(nodes: Nodes, data_dir: Path, kill_points: list, name: str) -> int:
    """Launch and kill -9 once per kill point: a delay in seconds, or "open": as soon as LevelDB has opened
    the dir (it replaces its LOG file on open, just before log recovery and the genesis write).
    Returns how many kills came before the node printed 'Listening'."""
    before_listening = 0
    for i, point in enumerate(kill_points):
        inode = _log_inode(data_dir)
        node = nodes.launch(data_dir, f"{name}-kill-{i}-{point if point == 'open' else f'{point:.2f}s'}")
        if point == "open":
            deadline = time.monotonic() + START_TIMEOUT
            while _log_inode(data_dir) in (inode, None):
                assert time.monotonic() < deadline and node.proc.poll() is None, f"LevelDB never opened\n{node.logs()}"
                time.sleep(0.001)
        else:
            time.sleep(point)
        node.kill()
        before_listening += "Listening on" not in node.stdout()
    return before_listening


@pytest.mark.timeout(60)
def test_kill_9_during_startup_on_an_existing_data_dir(tmp_path, nodes):
    rng = random.Random(SEED + 1)
    data_dir = tmp_path / "chain"
    genesis_hash = expected_genesis_hash()
    record = Record()
    node = nodes.start(data_dir, "initial")
    startup = node.time_to_listening
    for i in range(12):
        transfer_and_confirm(node.url, DEV[i % len(DEV)], RECIPIENTS[i % len(RECIPIENTS)], 10**15 + i, record)
    record.snapshots.append(take_snapshot(node.url))
    head = record.snapshots[-1].block
    record.heads_before_kill.append(int(head["number"], 16))
    node.kill()  # uncleanly, so the next open has LevelDB's log to recover

    kill_points = [0.0] + sorted(rng.uniform(0.3, 1.0) * startup for _ in range(4)) + ["open", "open"]
    assert _kill_during_startup(nodes, data_dir, kill_points, "existing") >= 1

    node = nodes.start(data_dir, "after")
    assert verify(node.url, record, genesis_hash) == head, "the head moved although nothing was sent"
    transfer_and_confirm(node.url, DEV[1], RECIPIENTS[0], 10**15, record)
    verify(node.url, record, genesis_hash)
    node.stop()


@pytest.mark.timeout(60)
def test_kill_9_while_creating_a_fresh_data_dir(tmp_path, nodes):
    rng = random.Random(SEED + 2)
    data_dir = tmp_path / "chain"
    genesis_hash = expected_genesis_hash()
    kill_points = ["open", 0.0, rng.uniform(0.2, 0.9), "open"]  # the first "open" hits the genesis write
    assert _kill_during_startup(nodes, data_dir, kill_points, "fresh") >= 1

    node = nodes.start(data_dir, "after")
    record = Record()
    assert verify(node.url, record, genesis_hash)["number"] == "0x0"
    balances, nonces, supply = state_at(node.url, "latest")
    assert balances == [10_000 * 10**18] * (len(DEV) + 1) + [0] * (len(RECIPIENTS) + 2) and not any(nonces), \
        "the dev accounts and the authority (the chain's root, which pays for devnet controls) are funded"
    transfer_and_confirm(node.url, DEV[0], RECIPIENTS[0], 10**15, record)
    verify(node.url, record, genesis_hash)
    node.stop()
