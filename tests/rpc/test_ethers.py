"""ethers v6 (from npm, run by node) against a real `flockchain dev`: see tests/rpc/ethers/flockchain.test.mjs.

The JavaScript side is an ordinary script an ethers user would write: JsonRpcProvider, a
Wallet sending an EIP-1559 transfer, the balances module as an ethers Contract built from
`flock_modules`, its Transfer event and InsufficientBalance error, getLogs, a
WebSocketProvider block subscription, getFeeData. Its npm dependencies come from the
committed lock file through `make install` (`npm ci`); nothing is fetched here.
"""

import os
import shutil
import subprocess

import pytest

from .devchain import ROOT, start_dev_chain, stop_dev_chain

ETHERS_DIR = ROOT / "tests" / "rpc" / "ethers"
TEST_FILE = "flockchain.test.mjs"
NODE = shutil.which("node")
TIMEOUT_SECONDS = 180


@pytest.mark.skipif(NODE is None, reason="node is not on PATH: the ethers v6 end-to-end test needs Node.js (>= 18)")
def test_ethers_v6_script_against_dev_chain(tmp_path):
    installed = ETHERS_DIR / "node_modules" / "ethers" / "package.json"
    assert installed.exists(), (
        f"ethers is not installed under {ETHERS_DIR.relative_to(ROOT)}: run `make install` "
        "(it runs `npm ci --prefix tests/rpc/ethers` from the committed package-lock.json)")
    chain = start_dev_chain(tmp_path)
    try:
        try:
            run = subprocess.run(
                [NODE, "--test", "--test-reporter=spec", TEST_FILE], cwd=ETHERS_DIR,
                env=dict(os.environ, FLOCKCHAIN_RPC_URL=chain.url, NO_COLOR="1"),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired as expired:
            pytest.fail(f"node --test did not finish within {TIMEOUT_SECONDS}s:\n{expired.output or ''}")
    finally:
        stop_dev_chain(chain.process)
    log = chain.log()
    assert run.returncode == 0, f"node --test {TEST_FILE} exited with {run.returncode}:\n{run.stdout}\n--- node log ---\n{log}"
    assert "Traceback" not in log, log[log.index("Traceback"):]
