"""`flockchain demo market` as a user runs it, at small scale: a real dev node, FL Alliance workers, two host
processes and paying users. Asserts what the summary reports from chain state, never how fast."""

import json
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(960)]  # past the demo's own 900 s bound


def test_demo_publishes_the_alliance_model_serves_it_and_pays_by_usage(tmp_path):
    result = subprocess.run([sys.executable, "-m", "flockchain", "demo", "market", "--users", "4", "--requests", "15",
                             "--participants", "4", "--rounds", "2", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "step 6/6" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (tmp_path / "market.png").stat().st_size > 0
    usage, hosts = summary["usage"], summary["hosts"]
    assert summary["requests_answered"] == 4 * 15
    assert usage["paid_requests"] + usage["free_requests"] == 60
    assert usage["paid_requests"] == 2 * 15, "the two unstaked users have no free tier: they pay for each request"
    assert summary["free_allowances"] == [0, 500, 0, 500], "staked users: 100 per 1,000 FLOCK"
    assert usage["revenue_wei"] == sum(h["redeemed_wei"] for h in hosts.values())
    prices = {h["price_wei"]: h for h in hosts.values()}
    assert prices[10**15]["redeemed_wei"] == 15 * 10**15 and prices[2 * 10**15]["redeemed_wei"] == 15 * 2 * 10**15
    for host in hosts.values():
        assert host["host_share_wei"] + host["creator_share_wei"] + host["treasury_share_wei"] == host["redeemed_wei"]
        assert host["host_share_wei"] == host["redeemed_wei"] * 7 // 10
    assert summary["creators"], "the accepted proposers of the Alliance task"
    assert abs(summary["version_accuracy"] - summary["alliance_final_test_accuracy"]) <= 1e-6, \
        "the version carries the creator's evaluation of the final model"
    assert summary["version_loss"] > 0
    assert usage["emission_wei"] == usage["revenue_wei"] * 5 // 100, "the next epoch paid creators 5% of revenue"
    assert summary["served_accuracy"] > 0.3
