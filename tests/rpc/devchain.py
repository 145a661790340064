"""Running a real `flockchain dev` process, and what tests need to talk to it as a wallet would.

The node runs as a subprocess on a free loopback port with its own data dir, so tests see
exactly what web3.py, ethers or MetaMask would see: HTTP, JSON, WebSocket.
"""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import requests
from eth_account import Account
from web3 import Web3

from fl_module.worker.ports import free_port  # noqa: F401 (re-exported to the tests)

ROOT = Path(__file__).resolve().parents[2]
CHAIN_ID = 31337
GWEI = 10**9
MNEMONIC = "test test test test test test test test test test test junk"
BALANCES = "0x0000000000000000000000000000000000000801"
STARTUP_SECONDS = 60
"""A bound, not a speed check (a loaded 2-core machine starts Python slowly)."""
ERC20_ABI = [
    {"type": "function", "name": "name", "inputs": [], "outputs": [{"name": "", "type": "string"}],
     "stateMutability": "view"},
    {"type": "function", "name": "symbol", "inputs": [], "outputs": [{"name": "", "type": "string"}],
     "stateMutability": "view"},
    {"type": "function", "name": "decimals", "inputs": [], "outputs": [{"name": "", "type": "uint8"}],
     "stateMutability": "view"},
    {"type": "function", "name": "totalSupply", "inputs": [], "outputs": [{"name": "", "type": "uint256"}],
     "stateMutability": "view"},
    {"type": "function", "name": "balanceOf", "inputs": [{"name": "account", "type": "address"}],
     "outputs": [{"name": "", "type": "uint256"}], "stateMutability": "view"},
    {"type": "function", "name": "transfer",
     "inputs": [{"name": "to", "type": "address"}, {"name": "value", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}], "stateMutability": "nonpayable"},
    {"type": "event", "name": "Transfer", "anonymous": False,
     "inputs": [{"name": "from", "type": "address", "indexed": True},
                {"name": "to", "type": "address", "indexed": True},
                {"name": "value", "type": "uint256", "indexed": False}]},
    {"type": "error", "name": "InsufficientBalance",
     "inputs": [{"name": "available", "type": "uint256"}, {"name": "required", "type": "uint256"}]},
]

Account.enable_unaudited_hdwallet_features()


@cache
def dev_account(index: int):
    """Account i of the well-known test mnemonic (index 10 is the dev chain's block author)."""
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def transaction_fields(chain, account, tx_type: int = 2, **overrides) -> dict:
    """A transfer's fields as a wallet fills them (pending nonce, fees that will be accepted), with overrides."""
    tx = {"chainId": CHAIN_ID, "nonce": chain.w3.eth.get_transaction_count(account.address, "pending"),
          "to": dev_account(9).address, "value": 1, "gas": 21_000}
    price = chain.w3.eth.gas_price
    if tx_type == 2:
        tx.update(type=2, maxFeePerGas=2 * price, maxPriorityFeePerGas=GWEI)
    elif tx_type == 1:
        tx.update(type=1, gasPrice=price, accessList=[])
    else:
        tx.update(gasPrice=price)
    tx.update(overrides)
    return tx



@dataclass
class DevChain:
    url: str
    w3: Web3
    process: subprocess.Popen
    log_path: Path

    def post(self, body, **kwargs) -> requests.Response:
        """POST a JSON-RPC body as given (str/bytes are sent verbatim, anything else as JSON)."""
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return requests.post(self.url, data=data, headers={"Content-Type": "application/json"}, timeout=30, **kwargs)

    def rpc(self, method: str, *params, id_=1) -> dict:
        """The raw JSON-RPC response object (result or error), as a client library receives it."""
        response = self.post({"jsonrpc": "2.0", "id": id_, "method": method, "params": list(params)})
        assert response.status_code == 200, response.text
        return response.json()

    def result(self, method: str, *params):
        response = self.rpc(method, *params)
        assert "error" not in response, response
        return response["result"]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_until_serving(url: str, process: subprocess.Popen, log_path: Path) -> bool:
    """True once this process says it listens on `url` and eth_chainId answers there; False if the node
    exited first (the log says why). Waiting for our own banner matters: another node that took the same
    free port would answer eth_chainId too, and a test would then drive the wrong chain."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if f"Listening on {url}" not in log_path.read_text(errors="replace"):
            time.sleep(0.1)
            continue
        try:
            response = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=2)
            if response.ok and response.json().get("result") == hex(CHAIN_ID):
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    stop_dev_chain(process)
    pytest.fail(f"flockchain dev did not answer eth_chainId within {STARTUP_SECONDS}s")


def stop_dev_chain(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if the node has not exited within 10 s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def start_dev_chain(workdir: Path, attempts: int = 3, extra_args: tuple[str, ...] = (),
                    sample_task: bool = False) -> DevChain:
    """Start `flockchain dev` on a free port with its data dir in `workdir`; return once eth_chainId answers.
    Without `sample_task` it runs with --no-sample-task, so the tests own every block and transaction.

    Another process may take the free port before the node binds it, so a failed bind is retried.
    """
    log_path = workdir / "node.log"
    for _ in range(attempts):
        port = free_port()
        with open(log_path, "wb") as log_file:
            command = [sys.executable, "-m", "flockchain.cli", "dev", "--port", str(port),
                       "--data-dir", str(workdir / "data"), *(() if sample_task else ("--no-sample-task",)),
                       *extra_args]
            process = subprocess.Popen(
                command, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=dict(os.environ, PYTHONUNBUFFERED="1"))
        url = f"http://127.0.0.1:{port}"
        if _wait_until_serving(url, process, log_path):
            return DevChain(url, Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30})), process, log_path)
        if "cannot serve" not in log_path.read_text(errors="replace"):
            break
    pytest.fail(f"flockchain dev exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")


def module_contract(chain, name: str):
    """A web3 contract for a runtime module, from the ABI the node publishes (flock_modules)."""
    entry = next(m for m in chain.rpc("flock_modules")["result"] if m["name"] == name)
    return chain.w3.eth.contract(address=entry["address"], abi=entry["abi"])


def wait_receipt(chain, tx_hash):
    return chain.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=20)


def reverts_with(call, error_data: bytes) -> None:
    """`call()` must revert with exactly this custom error (selector and arguments)."""
    from web3.exceptions import ContractCustomError
    try:
        call()
    except ContractCustomError as error:
        assert error.data == "0x" + error_data.hex()
    else:
        raise AssertionError("the call must revert")
