"""`flockchain demo arena --then-alliance` as a user runs it, at small scale: a real dev node, real validator
processes (one lazy, one colluding), trainers of different quality in a blind task (the default), then an FL
Alliance task seeded with the winner. Asserts what the summary reports from chain state, never how fast."""

import json
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(960)]  # past the demo's own 900 s bound


def test_demo_ranks_by_quality_pays_lazy_validators_nothing_and_seeds_the_alliance(tmp_path):
    result = subprocess.run([sys.executable, "-m", "flockchain", "demo", "arena", "--trainers", "4",
                             "--validators", "5", "--lazy-validators", "1", "--colluding-validators", "1",
                             "--then-alliance", "--out", str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (tmp_path / "leaderboard.png").stat().st_size > 0
    submissions, validators = summary["submissions"], summary["validators"]
    assert sorted(s["rank"] for s in submissions) == [1, 2, 3, 4]
    assert all(set(s) >= {"consensus_loss", "true_loss", "rank", "reward"} for s in submissions)
    assert summary["true_best_ranked_first"] and summary["spearman"] > 0.5, "4 models: one adjacent swap is 0.8"
    assert next(s for s in submissions if s["untrained"])["rank"] == 4, "the colluder's favourite stays last"
    rewards = [s["reward"] for s in sorted(submissions, key=lambda s: s["rank"])]
    assert rewards == sorted(rewards, reverse=True) and rewards[-1] > 0
    [lazy] = [v for v in validators if v["kind"] == "lazy"]
    honest = [v for v in validators if v["kind"] == "honest"]
    assert lazy["reward"] == 0 and lazy["slashed"]
    assert all(v["reward"] > 0 and not v["slashed"] for v in honest)
    assert summary["blind"] is True and {v["kind"] for v in validators} == {"lazy", "colluding", "honest"}
    [colluding] = [v for v in validators if v["kind"] == "colluding"]
    assert colluding["reward"] > 0 and not colluding["slashed"], "blind: it never found its favourite to lie for"
    refined = summary["alliance"]
    [winner] = [s for s in submissions if s["rank"] == 1]
    assert refined["initial_model"] == winner["model_hash"], "the Alliance task starts from the Arena winner"
    assert len(refined["rounds"]) == 4 and refined["initial_test_accuracy"] > 0.8, "it starts from a trained model"
    assert (tmp_path / "alliance-loss.png").stat().st_size > 0
