"""Real processes for bridge tests: `flockchain base-devnet`, `flockchain dev`, `flockchain relayer`,
and the wallet-side steps a user takes on each chain (web3.py against their JSON-RPC)."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3

from tests.rpc.devchain import ROOT, dev_account, free_port, module_contract  # noqa: F401 (dev_account re-exported)
from tests.rpc.devchain import stop_dev_chain as stop_process

STARTUP_SECONDS = 60
GWEI = 10**9


@dataclass
class BaseDevnet:
    url: str
    info: dict
    w3: Web3
    process: subprocess.Popen
    log_path: Path

    def contract(self, name: str):
        address = self.info["bridge" if name == "bridge" else "token"]
        from chain.bridge.compile import compile_contract
        abi = compile_contract("FlockBridge" if name == "bridge" else "MockFLOCK").abi
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)


def spawn(args: list[str], log_path: Path) -> subprocess.Popen:
    with open(log_path, "ab") as log_file:
        return subprocess.Popen([sys.executable, "-m", "flockchain", *args], cwd=ROOT, stdout=log_file,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=dict(os.environ, PYTHONUNBUFFERED="1"))


def start_base_devnet(workdir: Path, *extra: str) -> BaseDevnet:
    """`flockchain base-devnet` on a free port; returns once it printed its BASE_DEVNET line and answers."""
    log_path = workdir / "base.log"
    port = free_port()
    process = spawn(["base-devnet", "--port", str(port), *extra], log_path)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"base-devnet exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        for line in log_path.read_text(errors="replace").splitlines():
            if line.startswith("BASE_DEVNET "):
                info = json.loads(line.removeprefix("BASE_DEVNET "))
                url = f"http://127.0.0.1:{port}"
                return BaseDevnet(url, info, Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30})), process,
                                  log_path)
        time.sleep(0.1)
    stop_process(process)
    pytest.fail(f"base-devnet did not start within {STARTUP_SECONDS}s:\n{log_path.read_text(errors='replace')}")


def kill(process: subprocess.Popen) -> None:
    """SIGKILL: the process gets no chance to tidy up, as in a crash."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


def wait_for(condition, timeout: float, what: str, logs: tuple[Path, ...] = (), interval: float = 0.2):
    """Poll until `condition()` is truthy; fail with the processes' logs otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in logs if p.exists())
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{tails}")


def send_base(base: BaseDevnet, account, function) -> dict:
    """Sign and send a contract call on Base as a wallet does; the receipt, which must succeed."""
    tx = function.build_transaction({"from": account.address, "chainId": base.w3.eth.chain_id,
                                     "nonce": base.w3.eth.get_transaction_count(account.address, "pending"),
                                     "gas": 300_000, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI})
    tx_hash = base.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = base.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.1)
    assert receipt["status"] == 1, receipt
    return receipt


def deposit_on_base(base: BaseDevnet, account, amount: int, recipient: str) -> dict:
    token, bridge = base.contract("token"), base.contract("bridge")
    send_base(base, account, token.functions.approve(bridge.address, amount))
    return send_base(base, account, bridge.functions.deposit(amount, recipient))


def send_home(w3: Web3, account, function, value: int = 0) -> dict:
    """Sign and send a module call on this chain as a wallet does; the receipt, which must succeed."""
    tx = function.build_transaction({"from": account.address, "value": value, "chainId": w3.eth.chain_id,
                                     "gas": 300_000, "nonce": w3.eth.get_transaction_count(account.address, "pending"),
                                     "maxFeePerGas": 2 * w3.eth.gas_price + GWEI, "maxPriorityFeePerGas": GWEI})
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(
        account.sign_transaction(tx).raw_transaction), timeout=60)
    assert receipt["status"] == 1, receipt
    return receipt


def withdraw_here(chain, account, amount: int, base_recipient: str) -> dict:
    """`bridge.withdraw(baseRecipient)` with value on this chain, through the module's published ABI."""
    return send_home(chain.w3, account, module_contract(chain, "bridge").functions.withdraw(base_recipient), amount)
