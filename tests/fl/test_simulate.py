"""`flockchain simulate alliance`: participants as Ray actors (a local Ray, a few actors) against a real dev node,
and the defaults that grow with the participant count."""

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fl_module.worker.agent import compute_advance_delay
from fl_module.worker.demo import BLOCK_TIME as DEMO_BLOCK_TIME
from fl_module.worker.demo import PHASE_BLOCKS, compute_committee, compute_phase_blocks, free_port
from fl_module.worker.simulate import Observer


def test_the_committee_is_the_demos_for_few_participants_and_capped_by_the_role_size():
    assert compute_committee(10, 32) == (5, 5)
    assert compute_committee(11, 32) == (5, 6)
    assert compute_committee(200, 32) == (32, 32)
    assert compute_committee(2, 32) == (1, 1)


@given(st.integers(2, 10_000), st.integers(1, 256))
def test_the_committee_fits_the_task_rules(participants, max_role):
    proposers, voters = compute_committee(participants, max_role)
    assert 1 <= proposers <= max_role and 1 <= voters <= max_role
    assert proposers + voters <= participants
    more = compute_committee(participants + 1, max_role)
    assert more[0] >= proposers and more[1] >= voters


def test_phase_deadlines_keep_the_demos_seconds_and_grow_with_the_committee():
    assert compute_phase_blocks(5, 5, DEMO_BLOCK_TIME) == PHASE_BLOCKS
    assert compute_phase_blocks(5, 5, 2 * DEMO_BLOCK_TIME) == [(b + 1) // 2 for b in PHASE_BLOCKS]
    small, large = compute_phase_blocks(5, 5, 0.5), compute_phase_blocks(32, 32, 0.5)
    assert all(b > a for a, b in zip(small, large))
    assert large == [math.ceil(b * DEMO_BLOCK_TIME * 6.4 / 0.5) for b in PHASE_BLOCKS]


def test_past_a_deadline_a_few_members_a_block_try_to_advance_and_everyone_else_much_later():
    delays = [compute_advance_delay(position) for position in range(64)]
    assert delays[:4] == [0] * 4 and delays[4:8] == [1] * 4 and max(delays) == 15
    assert compute_advance_delay(None) > max(delays)


def test_blocks_produced_while_the_observer_waited_are_seen_at_its_next_look():
    """Under load the observer's look at the actors outlasted several 0.3 s blocks, the tally's block was never
    seen and the round's scoring time was missing (None); such blocks are now seen with the next head."""
    observer = Observer(rpc=None, groups=[])
    observer.note_head(5, 1.0)
    observer.note_head(5, 1.5)
    observer.note_head(9, 2.5)
    assert observer.seen == {5: 1.0, 6: 2.5, 7: 2.5, 8: 2.5, 9: 2.5}
    assert observer.seconds_between(5, 8) == 1.5 and observer.seconds_between(4, 8) is None


@pytest.mark.slow
@pytest.mark.timeout(660)  # past the command's own 600 s bound
def test_simulate_runs_participants_as_ray_actors_and_measures_each_round(tmp_path):
    """Eight participants (two sign-flippers) on two Ray actors, two rounds, through the real command."""
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "flockchain", "simulate", "alliance", "--participants", "8",
                             "--malicious", "2", "--attack", "sign-flip", "--rounds", "2", "--actors", "2",
                             "--block-time", "0.3", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert (out / "loss.png").stat().st_size > 0
    assert summary["participants"] == 8 and summary["actors"] == 2
    assert (summary["proposers"], summary["voters"]) == (4, 4)
    assert len(summary["rounds"]) == 2 and summary["honest_slashed"] == 0
    assert summary["final_test_loss"] < summary["initial_test_loss"]
    malicious = set(summary["malicious"])
    for record in summary["rounds"]:
        assert not malicious & set(record["accepted"])
        assert record["blocks"] == record["end_block"] - record["start_block"] > 0
        assert record["gas"] > 0 and record["transactions"] >= 2 * (4 + 4)  # commits and reveals at least
        assert sum(gas for _, gas in record["gas_by_call"].values()) == record["gas"]
        assert sum(calls for calls, _ in record["gas_by_call"].values()) == record["transactions"]
        assert record["gas_by_call"]["commitUpdate"][0] == 4 and record["gas_by_call"]["revealScores"][0] == 4
        assert record["blob_bytes_stored"] > 0 and record["blob_bytes_downloaded"] > 0
        assert record["scoring_seconds"] is not None and record["scoring_seconds"] >= 0
    proposed = {p for r in summary["rounds"] for p in r["proposers"]}
    flipped = proposed & malicious
    assert {p for r in summary["rounds"] for p in r["rejected"]} >= flipped
    assert summary["rounds_per_minute"] > 0
    assert "rounds/min" in result.stdout and "round   1" in result.stdout and "participants at a step" in result.stdout


def test_simulate_refuses_impossible_settings():
    result = subprocess.run([sys.executable, "-m", "flockchain", "simulate", "alliance", "--participants", "1"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "need ≥ 2 participants" in result.stderr


def test_build_spec_prints_the_chain_spec_a_simulation_edits():
    result = subprocess.run([sys.executable, "-m", "flockchain", "build-spec", "--chain", "dev"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    spec = json.loads(result.stdout)
    assert spec["id"] == "dev" and "runtime" in spec["genesis"]
    missing = subprocess.run([sys.executable, "-m", "flockchain", "build-spec", "--chain", "nowhere"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no chain spec 'nowhere'" in missing.stderr


@pytest.mark.slow
@pytest.mark.timeout(660)  # past the command's own 600 s bound
def test_simulate_joins_an_existing_ray_cluster(tmp_path):
    """`ray start --head` as a user would run it; --ray-address makes the actors its, they reach the node on the
    address --node-host gives, and the cluster outlives the run (its process group is stopped here, not with
    `ray stop`, which would stop every Ray of this user)."""
    port, sockets = free_port(), tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # Unix socket paths must be short
    head = subprocess.Popen([str(Path(sys.executable).parent / "ray"), "start", "--head", "--block",
                             "--port", str(port), "--num-cpus", "2", "--include-dashboard", "false",
                             "--disable-usage-stats", "--temp-dir", sockets],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not is_listening(port):
            assert head.poll() is None and time.monotonic() < deadline, "the Ray head did not start"
            time.sleep(0.5)
        out = tmp_path / "out"
        result = subprocess.run([sys.executable, "-m", "flockchain", "simulate", "alliance", "--participants", "6",
                                 "--rounds", "1", "--ray-address", f"127.0.0.1:{port}", "--node-host", this_machine(),
                                 "--out", str(out)], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        summary = json.loads((out / "summary.json").read_text())
        assert summary["ray_address"] == f"127.0.0.1:{port}" and summary["ray_nodes"] == 1
        assert len(summary["rounds"]) == 1 and summary["rounds"][0]["accepted"]
        assert head.poll() is None  # the run disconnected; the cluster is still up
    finally:
        if head.poll() is None:
            os.killpg(head.pid, signal.SIGTERM)
            head.wait(60)
        shutil.rmtree(sockets, ignore_errors=True)


def this_machine() -> str:
    """An address of this machine other than loopback (where a cluster's other machines would reach the node),
    or loopback where it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def is_listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_participants_sharing_a_connection_read_each_head_once_and_as_it_was(tmp_path):
    """Two accounts on one NodeConnection (as an actor's participants are): a read pinned to a head is asked of the
    node once for both and keeps answering that head's state after the chain moves on; unpinned reads see the
    newest state."""
    import asyncio

    from eth_account import Account

    from fl_module.worker import demo
    from fl_module.worker.chain import ChainClient, NodeConnection

    port = free_port()
    chain = demo.start_chain(tmp_path, port, block_time=0.2)
    url = f"http://127.0.0.1:{port}"
    rpc = demo.Rpc(url)
    root = Account.from_mnemonic(demo.MNEMONIC, account_path="m/44'/60'/0'/0/10")
    watched = Account.from_key(demo.participant_key(3, 0)).address

    async def scenario():
        connection = await NodeConnection.connect(url)
        first, second = (ChainClient.sharing(connection, demo.participant_key(3, i)) for i in range(2))
        calls = 0
        original = connection.w3.eth.call

        async def counting(*args, **kwargs):  # every eth_call this process sends
            nonlocal calls
            calls += 1
            return await original(*args, **kwargs)
        connection.w3.eth.call = counting
        head = await first.block_number()
        before = await asyncio.gather(first.view("balances", "balanceOf", watched, block=head),
                                      second.view("balances", "balanceOf", watched, block=head))
        asked = calls
        await asyncio.to_thread(rpc.send, root, "balances", "forceSetBalance", watched, 7 * demo.UNIT)
        pinned = await second.view("balances", "balanceOf", watched, block=head)
        newest = await first.view("balances", "balanceOf", watched)
        await connection.close()
        return before, asked, pinned, newest

    try:
        before, asked, pinned, newest = asyncio.run(scenario())
    finally:
        demo.stop([chain])
    assert before == [0, 0] and asked == 1
    assert pinned == 0 and newest == 7 * demo.UNIT
