"""The alliance end to end, as a user runs it: a real dev node process, real worker processes
(torch on the CPU), transactions over JSON-RPC, blobs over HTTP — `flockchain demo alliance` at
small scale. Bounded in time; asserts what happened on chain, never how fast."""

import json
import subprocess
import sys

import pytest

from fl_module.worker import demo

pytestmark = [pytest.mark.slow, pytest.mark.timeout(660)]  # past the demos' own 600 s bounds


def test_sign_flip_updates_are_rejected_and_their_proposer_slashed(tmp_path):
    summary = demo.run("diabetes", participants=5, malicious=1, attack="sign-flip", rounds=3, collude=False,
                       seed=3, out=tmp_path, compare=False, progress=lambda line: None, timeout=600)
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert (tmp_path / "loss.png").stat().st_size > 0
    [bad] = summary["malicious"]
    assert len(summary["rounds"]) == 3
    for record in summary["rounds"]:
        assert bad not in record["accepted"], "a sign-flipped update is never accepted"
        if bad in record["proposers"] and record["status"] != "timedOut":
            assert bad in record["rejected"]
        assert (bad in record["poisoned"]) == ({"offender": bad, "kind": "poisoned update"} in record["offences"])
    assert summary["honest_slashed"] == 0
    assert set(summary["slashed"]) <= {bad}
    assert (bad in summary["slashed"]) == any(bad in r["poisoned"] for r in summary["rounds"])
    assert any(r["accepted"] for r in summary["rounds"])
    assert summary["final_test_loss"] < summary["initial_test_loss"]
    assert all(r["evaluation_reported"] for r in summary["rounds"]), "the creator reports each round's loss on chain"


def test_the_voters_distance_evidence_slashes_a_flipped_update_from_the_first_round(tmp_path):
    """Real worker processes, peer review, six digits participants, one sign-flipper: from a still-random model a
    flipped step costs little loss (without the voters' distance evidence it was rejected but slashed only in
    the last of these three rounds), but it lies far from the five honest updates, so every voter reports it
    unusable and it is slashed each round; no honest participant is."""
    summary = demo.run("digits", participants=6, malicious=1, attack="sign-flip", rounds=3, collude=False, seed=3,
                       out=tmp_path, compare=False, progress=lambda line: None, timeout=600, peer_review=True)
    [bad] = summary["malicious"]
    assert [r["status"] for r in summary["rounds"]] == ["completed"] * 3
    for record in summary["rounds"]:
        assert record["poisoned"] == [bad] and bad not in record["accepted"], record
    assert summary["honest_slashed"] == 0 and summary["slashed"] == [bad]


def test_demo_command_writes_the_summary(tmp_path):
    result = subprocess.run([sys.executable, "-m", "flockchain", "demo", "alliance", "--participants", "4",
                             "--malicious", "0", "--attack", "none", "--rounds", "2", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["malicious"] == [] and summary["slashed"] == [] and summary["honest_slashed"] == 0
    assert [r["round"] for r in summary["rounds"]] == [0, 1]
    assert "final test loss" in result.stdout and "round   1" in result.stdout


@pytest.mark.parametrize("attack", ["malformed-blob", "missing-blob", "nan"])
def test_a_hostile_blob_is_rejected_flagged_and_slashed_and_no_worker_stops(tmp_path, attack):
    """A proposer reveals the hash of something that is not a usable model (bytes that are not a model, a blob
    never uploaded, a model with a NaN): every honest worker process carries on to the last round, the update
    is never accepted, and when it was put to a vote its proposer is slashed for a poisoned update."""
    summary = demo.run("diabetes", participants=5, malicious=1, attack=attack, rounds=3, collude=False,
                       seed=3, out=tmp_path, compare=False, progress=lambda line: None, timeout=600)
    [bad] = summary["malicious"]
    assert [r["status"] for r in summary["rounds"]].count("timedOut") == 0, "no round stalls"
    assert len(summary["rounds"]) == 3 and summary["honest_slashed"] == 0
    proposed = [r for r in summary["rounds"] if bad in r["proposers"]]
    assert proposed, "seed 3 draws the attacker as a proposer"
    for record in proposed:
        assert bad not in record["accepted"] and bad in record["poisoned"]
    assert bad in summary["slashed"]
    assert summary["final_test_loss"] < summary["initial_test_loss"]


def test_a_flower_client_joins_a_task_beside_the_built_in_workers(tmp_path):
    """examples/flower_client.py — a plain Flower NumPyClient for digits that knows nothing of the chain — runs
    two of four participants through `flockchain worker --flower-client`; its updates and the built-in
    workers' are voted on, accepted and averaged alike."""
    summary = demo.run("digits", participants=4, malicious=0, attack=None, rounds=3, collude=False, seed=1,
                       out=tmp_path, compare=False, progress=lambda line: None, timeout=600,
                       flower_client="examples.flower_client:client", flower_participants=2)
    flower, accepted = set(summary["flower"]), {a for r in summary["rounds"] for a in r["accepted"]}
    assert len(flower) == 2 and len(summary["rounds"]) == 3
    assert accepted & flower, "a Flower client's update was accepted"
    assert accepted - flower, "and a built-in worker's"
    assert summary["final_test_accuracy"] > summary["initial_test_accuracy"] + 0.3
