"""`flockchain testnet` as a user runs it: one command starts N validator processes, prints their
JSON-RPC URLs, the network finalizes blocks, and SIGTERM stops every node and exits 0.

Every wait is bounded; on failure the message carries the nodes' logs.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from fl_module.worker.ports import free_ports
from tests.rpc.devchain import dev_account

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]
NODES = 3
STARTUP_SECONDS = 60
FINALITY_SECONDS = 90
EXIT_SECONDS = 20
URL_LINE = re.compile(r"node (\d+): JSON-RPC (http://\S+)")


def rpc(url: str, method: str, *params):
    response = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
                             timeout=5).json()
    if "error" in response:
        raise RuntimeError(f"{url} {method}: {response['error']}")
    return response["result"]


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def node_processes(data_dir: Path) -> list[str]:
    """Command lines of live `flockchain node` processes using `data_dir` (read from /proc; [] elsewhere)."""
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [word.decode(errors="replace") for word in argv if word]
        if "flockchain" in words and "node" in words and any(str(data_dir) in word for word in words):
            found.append(f"{entry.name}: {' '.join(words)}")
    return found


def node_logs(data_dir: Path, lines: int = 40) -> str:
    parts = []
    for path in sorted(data_dir.glob("node*.log")):
        tail = path.read_text(errors="replace").splitlines()[-lines:]
        parts.append(f"--- {path.name} ---\n" + "\n".join(tail))
    return "\n".join(parts) or "(no node logs)"


class OutputReader:
    """Collects a process's stdout lines on a thread, so reading can be bounded by a deadline."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self.condition = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            with self.condition:
                self.lines.append(line.rstrip("\n"))
                self.condition.notify_all()

    def wait_for(self, predicate, seconds: float) -> bool:
        with self.condition:
            return self.condition.wait_for(lambda: predicate(self.lines), seconds)

    def text(self) -> str:
        with self.condition:
            return "\n".join(self.lines)


def urls_in(lines: list[str]) -> dict[int, str]:
    return {int(match[1]): match[2] for match in map(URL_LINE.search, lines) if match}


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_testnet_command_starts_a_finalizing_network_and_stops_it_on_sigterm(tmp_path):
    rpc_base, p2p_base = free_ports(NODES), free_ports(NODES)
    net = tmp_path / "net"
    command = [sys.executable, "-m", "flockchain", "testnet", "-n", str(NODES), "--base-port", str(rpc_base),
               "--p2p-base-port", str(p2p_base), "--data-dir", str(net), "--slot-duration", "500"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout = OutputReader(process.stdout)
    stderr = OutputReader(process.stderr)
    try:
        def report(what: str) -> str:
            return (f"{what}\nexit status: {process.poll()}\n--- testnet stdout ---\n{stdout.text()}\n"
                    f"--- testnet stderr ---\n{stderr.text()}\n{node_logs(net)}")

        printed = stdout.wait_for(lambda lines: len(urls_in(lines)) == NODES or process.poll() is not None,
                                  STARTUP_SECONDS)
        assert printed and len(urls_in(stdout.lines)) == NODES, report("the testnet did not print its URLs")
        urls = urls_in(stdout.lines)
        assert urls == {i: f"http://127.0.0.1:{rpc_base + i}" for i in range(NODES)}, report("unexpected URLs")

        # the network authors and finalizes, and the nodes agree on what is final
        deadline = time.monotonic() + FINALITY_SECONDS
        last = None
        while True:
            assert process.poll() is None, report("the testnet exited while running")
            try:
                finalized = [rpc(urls[i], "eth_getBlockByNumber", "finalized", False) for i in range(NODES)]
                numbers = [int(block["number"], 16) for block in finalized]
                lowest = min(numbers)
                hashes = {rpc(urls[i], "eth_getBlockByNumber", hex(lowest), False)["hash"] for i in range(NODES)}
                last = (numbers, hashes)
                if lowest >= 2 and len(hashes) == 1:
                    break
            except (requests.RequestException, RuntimeError, TypeError, KeyError, ValueError) as error:
                last = error
            assert time.monotonic() < deadline, report(
                f"no agreed finalized block >= 2 on all {NODES} nodes within {FINALITY_SECONDS} s (last: {last})")
            time.sleep(0.5)

        # every node serves the explorer
        for url in urls.values():
            page = requests.get(url + "/", timeout=10)
            assert page.status_code == 200 and "<title>flockchain explorer</title>" in page.text, \
                report(f"{url} does not serve the explorer")
            assert "default-src 'none'" in page.headers["Content-Security-Policy"]

        # the chain spec it wrote: N consensus authorities, the test mnemonic's keys 0..N-1
        spec_path = net / "local.json"
        assert spec_path.is_file()
        spec = json.loads(spec_path.read_text())
        authorities = spec["genesis"]["runtime"]["consensus"]["authorities"]
        assert len(authorities) == NODES
        assert [a["address"].lower() for a in authorities] == [dev_account(i).address.lower() for i in range(NODES)]
        assert spec["genesis"]["runtime"]["consensus"]["slotDuration"] == 500
        assert all((net / f"node{i}.log").is_file() for i in range(NODES))

        # SIGTERM: the command stops every node and exits 0
        process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(report(f"the testnet did not exit within {EXIT_SECONDS} s of SIGTERM"))
        assert status == 0, report(f"the testnet exited with {status} on SIGTERM")
        answering = [port for port in range(rpc_base, rpc_base + NODES) if port_answers(port)]
        answering += [port for port in range(p2p_base, p2p_base + NODES) if port_answers(port)]
        assert not answering, report(f"ports still answer after the testnet exited: {answering}")
        leftover = node_processes(net)
        assert not leftover, report("node processes outlived the testnet:\n" + "\n".join(leftover))
        assert (net / "local.json").is_file(), "--data-dir is kept after the testnet stops"
    finally:
        stop(process)
        # never leave orphaned nodes behind, whatever failed above
        for line in node_processes(net):
            try:
                os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def test_testnet_command_rejects_zero_nodes(tmp_path):
    result = subprocess.run([sys.executable, "-m", "flockchain", "testnet", "-n", "0",
                             "--data-dir", str(tmp_path / "net")],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result
    assert "-n must be at least 1" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "net").exists(), "nothing is written for an invalid -n"
