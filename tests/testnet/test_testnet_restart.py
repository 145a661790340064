"""`flockchain testnet` when a node dies: the exit is reported, the other nodes keep finalizing (3 of 4 is
a BFT quorum), `--restart` brings the node back on its own data dir with back-off and it catches up, and
SIGTERM still stops everything, a node waiting out its back-off included.

Every wait is bounded; on failure the message carries the nodes' logs.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from fl_module.worker.ports import free_ports
from flockchain.network_cli import BACKOFF_CAP, STABLE_SECONDS, SupervisedNode, exit_reason, supervise
from tests.testnet.test_testnet_command import (EXIT_SECONDS, ROOT, OutputReader, node_logs,
                                                node_processes, port_answers, rpc, stop, urls_in)

pytestmark = pytest.mark.timeout(300)

NODES = 4
KILLED = 3
SURVIVORS = [i for i in range(NODES) if i != KILLED]
STARTED_LINE = re.compile(r"flockchain node \(.*\) chain .* #(\d+);")
STARTUP_SECONDS = 60
FINALITY_SECONDS = 90
RPC_ERRORS = (requests.RequestException, RuntimeError, TypeError, KeyError, ValueError)


def node_pid(data_dir: Path, index: int) -> int:
    """The pid of the live `flockchain node` running on node `index`'s data dir (read from /proc)."""
    if not Path("/proc").is_dir():
        pytest.skip("finding a node's pid needs /proc")
    wanted = str(data_dir / f"node{index}")
    for line in node_processes(data_dir):
        pid, words = line.split(": ", 1)
        argv = (Path("/proc") / pid / "cmdline").read_bytes().decode(errors="replace").split("\0")
        if any(a == "--data-dir" and b == wanted for a, b in zip(argv, argv[1:])):
            return int(pid)
    raise AssertionError(f"no live process for node {index}:\n" + "\n".join(node_processes(data_dir)))


def finalized(url: str) -> int:
    return int(rpc(url, "eth_getBlockByNumber", "finalized", False)["number"], 16)


def hash_at(url: str, number: int) -> str:
    return rpc(url, "eth_getBlockByNumber", hex(number), False)["hash"]


def start_heads(log: Path, runs: int) -> list[int] | None:
    """The head number each start of a node printed (its log collects every run), once `runs` have."""
    heads = [int(match[1]) for match in map(STARTED_LINE.search, log.read_text(errors="replace").splitlines())
             if match]
    return heads if len(heads) >= runs else None


class RunningTestnet:
    """A `flockchain testnet -n 4` process with its output collected, and bounded waits on it."""

    def __init__(self, tmp_path: Path, *flags: str):
        self.rpc_base, p2p_base = free_ports(NODES), free_ports(NODES)
        self.net = tmp_path / "net"
        command = [sys.executable, "-m", "flockchain", "testnet", "-n", str(NODES), "--base-port",
                   str(self.rpc_base), "--p2p-base-port", str(p2p_base), "--data-dir", str(self.net),
                   "--slot-duration", "500", *flags]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        self.stdout = OutputReader(self.process.stdout)
        self.stderr = OutputReader(self.process.stderr)
        self.urls: dict[int, str] = {}

    def report(self, what: str) -> str:
        return (f"{what}\nexit status: {self.process.poll()}\n--- testnet stdout ---\n{self.stdout.text()}\n"
                f"--- testnet stderr ---\n{self.stderr.text()}\n{node_logs(self.net)}")

    def wait_for_urls(self) -> None:
        printed = self.stdout.wait_for(lambda lines: len(urls_in(lines)) == NODES or self.process.poll() is not None,
                                       STARTUP_SECONDS)
        assert printed and len(urls_in(self.stdout.lines)) == NODES, self.report("the testnet did not print its URLs")
        self.urls = urls_in(self.stdout.lines)

    def wait_for_stderr(self, pattern: str, seconds: float, count: int = 1) -> None:
        def matching(lines):
            return sum(1 for line in lines if re.search(pattern, line))
        found = self.stderr.wait_for(lambda lines: matching(lines) >= count, seconds)
        assert found, self.report(f"not {count} stderr line(s) matching {pattern!r} within {seconds} s")

    def wait_until(self, probe, seconds: float, what: str):
        """Poll `probe()` until it returns something truthy (RPC errors count as not yet) while the testnet runs."""
        deadline = time.monotonic() + seconds
        last = None
        while True:
            assert self.process.poll() is None, self.report(f"the testnet exited while waiting: {what}")
            try:
                result = probe()
                if result:
                    return result
            except RPC_ERRORS as error:
                last = error
            assert time.monotonic() < deadline, self.report(f"not within {seconds} s: {what} (last: {last})")
            time.sleep(0.5)

    def agreed_finality(self, nodes: list[int], above: int) -> int | None:
        """The lowest finalized number among `nodes` if it exceeds `above` and they agree on its hash."""
        lowest = min(finalized(self.urls[i]) for i in nodes)
        if lowest > above and len({hash_at(self.urls[i], lowest) for i in nodes}) == 1:
            return lowest
        return None

    def kill(self, index: int) -> None:
        os.kill(node_pid(self.net, index), signal.SIGKILL)

    def terminate(self, expect: int = 0) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(self.report(f"the testnet did not exit within {EXIT_SECONDS} s of SIGTERM"))
        assert status == expect, self.report(f"the testnet exited with {status} on SIGTERM")
        self.assert_nothing_left()

    def assert_nothing_left(self) -> None:
        leftover = node_processes(self.net)
        assert not leftover, self.report("node processes outlived the testnet:\n" + "\n".join(leftover))

    def cleanup(self) -> None:
        stop(self.process)
        for line in node_processes(self.net):
            try:
                os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@pytest.fixture
def testnet_factory(tmp_path):
    started = []

    def start(*flags: str) -> RunningTestnet:
        started.append(RunningTestnet(tmp_path, *flags))
        return started[-1]
    yield start
    for testnet in started:
        testnet.cleanup()


def test_a_killed_node_is_restarted_and_catches_up(testnet_factory):
    net = testnet_factory("--restart")
    net.wait_for_urls()
    net.wait_until(lambda: net.agreed_finality(list(range(NODES)), above=1), FINALITY_SECONDS,
                   f"all {NODES} nodes agree on a finalized block >= 2")

    restarted = net.urls[KILLED]
    own_finalized = finalized(restarted)
    at_kill = max(finalized(net.urls[i]) for i in SURVIVORS)
    net.kill(KILLED)
    net.wait_for_stderr(rf"node {KILLED} exited: killed by SIGKILL \(see .*node{KILLED}\.log\)", 10)
    later = net.wait_until(lambda: net.agreed_finality(SURVIVORS, above=at_kill), FINALITY_SECONDS,
                           f"the survivors {SURVIVORS} finalize past #{at_kill} and agree")

    net.wait_for_stderr(rf"node {KILLED} restarted \(attempt 1, after 1 s\)", 15)
    net.wait_until(lambda: finalized(restarted) >= later, FINALITY_SECONDS,
                   f"the restarted node {KILLED} answers and reaches finalized #{later}")
    survivor = net.urls[SURVIVORS[0]]
    assert hash_at(restarted, later) == hash_at(survivor, later), net.report("the restarted node forked")
    heads = net.wait_until(lambda: start_heads(net.net / f"node{KILLED}.log", runs=2), 10,
                           f"node {KILLED} prints its second start")
    assert heads[1] >= own_finalized, \
        net.report(f"node {KILLED} did not resume from its data dir (heads at start: {heads}, "
                   f"finalized before the kill: #{own_finalized})")

    # a second crash within STABLE_SECONDS doubles the back-off
    net.kill(KILLED)
    net.wait_for_stderr(rf"node {KILLED} restarted \(attempt 2, after 2 s\)", 20)

    # SIGTERM during the third back-off (4 s): everything stops and nothing is restarted
    net.wait_until(lambda: rpc(restarted, "eth_blockNumber"), STARTUP_SECONDS, f"node {KILLED} answers again")
    net.kill(KILLED)
    net.wait_for_stderr(rf"node {KILLED} exited: killed by SIGKILL", 10, count=3)
    net.terminate(expect=0)
    assert not any("attempt 3" in line for line in net.stderr.lines), net.report("restarted during shutdown")
    assert not port_answers(net.rpc_base + KILLED), net.report("the killed node answers after shutdown")


def test_without_restart_a_killed_node_stays_down_and_the_rest_keep_finalizing(testnet_factory):
    net = testnet_factory()
    net.wait_for_urls()
    net.wait_until(lambda: net.agreed_finality(list(range(NODES)), above=1), FINALITY_SECONDS,
                   f"all {NODES} nodes agree on a finalized block >= 2")

    at_kill = max(finalized(net.urls[i]) for i in SURVIVORS)
    net.kill(KILLED)
    net.wait_for_stderr(rf"node {KILLED} exited: killed by SIGKILL", 10)
    net.wait_until(lambda: net.agreed_finality(SURVIVORS, above=at_kill + 1), FINALITY_SECONDS,
                   f"the survivors {SURVIVORS} finalize past #{at_kill + 1} without node {KILLED}")
    assert not port_answers(net.rpc_base + KILLED), net.report(f"node {KILLED} came back without --restart")
    assert not any("restarted" in line for line in net.stderr.lines), net.report("restarted without --restart")

    # once every node is gone the command gives up, non-zero, saying so
    for i in SURVIVORS:
        net.kill(i)
    try:
        status = net.process.wait(EXIT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(net.report("the testnet kept running with every node dead"))
    assert status != 0, net.report("the testnet exited 0 with every node dead")
    assert any("every node has exited" in line for line in net.stderr.lines), net.report("no final line")
    net.assert_nothing_left()


def test_no_node_outlives_a_killed_supervisor(testnet_factory):
    """kill -9 of the testnet process itself: every node gets SIGTERM from the kernel and stops."""
    net = testnet_factory()
    net.wait_for_urls()
    net.wait_until(lambda: all(port_answers(net.rpc_base + i) for i in range(NODES)) or None, STARTUP_SECONDS,
                   "every node serving JSON-RPC")
    net.process.kill()
    net.process.wait(EXIT_SECONDS)
    deadline = time.monotonic() + EXIT_SECONDS
    while node_processes(net.net) and time.monotonic() < deadline:
        time.sleep(0.2)
    net.assert_nothing_left()


def test_restart_back_off_doubles_to_a_cap_and_resets_after_a_stable_run(tmp_path):
    node = SupervisedNode(0, [], tmp_path / "node0.log")
    delays = []
    for _ in range(8):
        node.schedule_restart(node.started_at + 1)
        delays.append(node.backoff)
    assert delays == [1, 2, 4, 8, 16, BACKOFF_CAP, BACKOFF_CAP, BACKOFF_CAP]
    assert node.failures == 8
    node.schedule_restart(node.started_at + STABLE_SECONDS)
    assert (node.backoff, node.failures) == (1, 1)
    assert not node.restart_due(node.restart_at - 0.01) and node.restart_due(node.restart_at)
    node.terminate()
    assert not node.restart_due(float("inf")), "a stop cancels a pending restart"


def test_exit_reasons_name_the_signal_or_status():
    assert exit_reason(-signal.SIGKILL) == "killed by SIGKILL"
    assert exit_reason(-signal.SIGTERM) == "killed by SIGTERM"
    assert exit_reason(1) == "exit status 1"
    assert exit_reason(3).startswith("exit status 3 (halted")


def test_a_refused_configuration_or_a_halt_is_not_restarted(tmp_path, capfd):
    """Exit status 2 (refused configuration) and 3 (halted) are final, as in the systemd unit; 1 is retried."""
    nodes = [SupervisedNode(i, [sys.executable, "-c", f"raise SystemExit({status})"], tmp_path / f"node{i}.log")
             for i, status in enumerate((2, 3, 1))]
    for node in nodes:
        node.start()
    deadline = time.monotonic() + 3
    assert supervise(nodes[:2], restart=True, stopping=lambda: time.monotonic() > deadline) is False, \
        "nothing left running or pending: the testnet stops instead of waiting forever"
    assert [node.failures for node in nodes[:2]] == [0, 0]
    assert supervise(nodes[2:], restart=True, stopping=lambda: time.monotonic() > deadline) is True
    assert nodes[2].failures >= 1
    for node in nodes:
        node.terminate()
        node.wait(time.monotonic() + 5)
    err = capfd.readouterr().err
    assert "node 0 exited: exit status 2" in err and "node 1 exited: exit status 3 (halted" in err
    assert "node 2 restarted (attempt 1, after 1 s)" in err
