"""A local test network of real `flockchain node` processes on loopback, for the multi-node tests.

Each node is its own process with its own LevelDB data dir, dials the others as bootnodes,
and serves JSON-RPC; tests kill, restart and partition them and read everything through RPC.
"""

import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from genesis.local import build_local_spec
from tests.rpc.devchain import dev_account, free_port

ROOT = Path(__file__).resolve().parents[2]
SLOT_MS = 500
STARTUP_SECONDS = 90
"""A bound, not a speed check: a node restarted while the other test worker spawns its own processes took over
30 s to import and open its database on a 2-core machine."""


class Timeout(AssertionError):
    pass


@dataclass
class TestNode:
    index: int
    key_index: int
    data_dir: Path
    rpc_port: int
    p2p_port: int
    extra: tuple[str, ...] = ()
    process: subprocess.Popen | None = None
    peer_id: str = ""
    log: Path = field(init=False)

    def __post_init__(self):
        self.log = self.data_dir.parent / f"node{self.index}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rpc_port}"

    @property
    def p2p_url(self) -> str:
        return f"ws://127.0.0.1:{self.p2p_port}/p2p"

    def rpc(self, method: str, *params):
        response = requests.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
                                 timeout=10).json()
        if "error" in response:
            raise RuntimeError(f"node {self.index} {method}: {response['error']}")
        return response["result"]

    def head(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def finalized(self) -> tuple[int, str]:
        block = self.rpc("eth_getBlockByNumber", "finalized", False)
        return int(block["number"], 16), block["hash"]

    def canonical_hash(self, number: int) -> str | None:
        block = self.rpc("eth_getBlockByNumber", hex(number), False)
        return None if block is None else block["hash"]

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Cluster:
    """N validators (test-mnemonic keys 0..N-1) plus any extra nodes; `start(i)`/`kill(i)` per node."""

    def __init__(self, directory: Path, validators: int = 4, extra_nodes: int = 0, bridge: dict | None = None,
                 governance: dict | None = None):
        self.directory = directory
        addresses = [dev_account(i).address for i in range(validators)]
        endowed = [dev_account(i).address for i in range(validators, 10)]
        self.spec_path = directory / "local.json"
        self.spec_path.write_text(json.dumps(build_local_spec(addresses, slot_duration_ms=SLOT_MS, endowed=endowed,
                                                                    bridge=bridge, governance=governance)))
        self.nodes = [TestNode(i, i, directory / f"node{i}", free_port(), free_port())
                      for i in range(validators + extra_nodes)]

    def start(self, index: int, *extra: str) -> TestNode:
        node = self.nodes[index]
        command = [sys.executable, "-m", "flockchain", "node", "--chain", str(self.spec_path),
                   "--dev-key", str(node.key_index), "--data-dir", str(node.data_dir),
                   "--rpc-port", str(node.rpc_port), "--p2p-port", str(node.p2p_port), "--log-level", "INFO",
                   "--test-controls", *extra,
                   "--bootnodes", *[other.p2p_url for other in self.nodes if other is not node]]
        with open(node.log, "ab") as log:
            node.process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if node.process.poll() is not None:
                raise RuntimeError(f"node {index} exited with {node.process.returncode}:\n{self.tail(index)}")
            try:
                node.peer_id = node.rpc("system_localPeerId")
                return node
            except (requests.RequestException, RuntimeError):
                time.sleep(0.2)
        raise Timeout(f"node {index} did not serve JSON-RPC within {STARTUP_SECONDS} s:\n{self.tail(index)}")

    def start_all(self, count: int | None = None) -> None:
        for index in range(len(self.nodes) if count is None else count):
            self.start(index)

    def kill(self, index: int) -> None:
        """SIGKILL: the node gets no chance to tidy up, as in a crash."""
        node = self.nodes[index]
        if node.alive():
            node.process.kill()
            node.process.wait(10)

    def stop(self) -> None:
        for node in self.nodes:
            if node.alive():
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(10)
                except subprocess.TimeoutExpired:
                    node.process.kill()

    def running(self) -> list[TestNode]:
        return [node for node in self.nodes if node.alive()]

    def tail(self, index: int, lines: int = 40) -> str:
        path = self.nodes[index].log
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(f"--- node {node.index} ---\n{self.tail(node.index)}" for node in self.nodes)

    def wait_for(self, what: str, condition, seconds: float = 60, interval: float = 0.5):
        """Poll until `condition()` is truthy; fail with the nodes' logs when it never is."""
        deadline = time.monotonic() + seconds
        last_error = None
        while time.monotonic() < deadline:
            try:
                value = condition()
                if value:
                    return value
            except (requests.RequestException, RuntimeError) as error:
                last_error = error
            time.sleep(interval)
        raise Timeout(f"timed out after {seconds} s waiting for {what} (last error: {last_error})\n{self.logs()}")

    def finalized_at_least(self, number: int, nodes=None) -> bool:
        return all(node.finalized()[0] >= number for node in (nodes or self.running()))

    def is_final_everywhere(self, tx_hash: str) -> bool:
        """Every running node serves the transaction's receipt from one block, final on each (competing blocks of
        one slot may include it on two forks for a while; finality settles it)."""
        receipts = [node.rpc("eth_getTransactionReceipt", tx_hash) for node in self.running()]
        return all(receipts) and len({r["blockHash"] for r in receipts}) == 1 \
            and self.finalized_at_least(int(receipts[0]["blockNumber"], 16))

    def agree_on_finalized(self, nodes=None) -> bool:
        """Every node holds the same block at the lowest finalized height among them, and it is final for all."""
        nodes = nodes or self.running()
        lowest = min(node.finalized()[0] for node in nodes)
        return len({node.canonical_hash(lowest) for node in nodes}) == 1
