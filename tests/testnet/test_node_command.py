"""`flockchain node` as an operator starts it: a validator key from an encrypted keystore, bad keys and
passwords refused with a clear message, and the node's identity and roles shown over RPC."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account

from runtime.crypto import keccak256
from tests.testnet.cluster import ROOT, Cluster

pytestmark = pytest.mark.timeout(120)


def node_command(cluster: Cluster, index: int, *key_args: str) -> list[str]:
    node = cluster.nodes[index]
    return [sys.executable, "-m", "flockchain", "node", "--chain", str(cluster.spec_path), *key_args,
            "--data-dir", str(node.data_dir), "--rpc-port", str(node.rpc_port), "--p2p-port", str(node.p2p_port),
            "--bootnodes"]


UNIT_FILE = ROOT / "deploy" / "flockchain-node.service"


def unit_command(substitutions: dict[str, str]) -> list[str]:
    """deploy/flockchain-node.service's ExecStart, its paths and ports replaced by the test's."""
    text = UNIT_FILE.read_text().replace("\\\n", " ")
    [line] = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    words = line.removeprefix("ExecStart=").split()
    assert words[0] == "/opt/flockchain/.venv/bin/flockchain"
    return [sys.executable, "-m", "flockchain"] + [substitutions.get(word, word) for word in words[1:]]


def test_a_validator_runs_from_a_keystore_made_by_key_import_with_the_units_command_line(tmp_path):
    """The operator's path: `flockchain key import`, then the systemd unit's ExecStart."""
    cluster = Cluster(tmp_path, validators=1)
    secret = bytes(Account.from_mnemonic("test test test test test test test test test test test junk",
                                         account_path="m/44'/60'/0'/0/0").key)
    key_file, password = tmp_path / "validator.key", tmp_path / "password"
    key_file.write_text(secret.hex() + "\n")
    password.write_text("correct horse\n")
    imported = subprocess.run([sys.executable, "-m", "flockchain", "key", "import", str(key_file), "--keystore-dir",
                               str(tmp_path / "keystore"), "--password-file", str(password), "--light-kdf"],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert imported.returncode == 0, imported.stderr
    keystore = imported.stdout.split()[-1]
    node = cluster.nodes[0]
    command = unit_command({"/etc/flockchain/chain.json": str(cluster.spec_path), "/etc/flockchain/validator.json":
                            keystore, "${CREDENTIALS_DIRECTORY}/password": str(password),
                            "/var/lib/flockchain": str(node.data_dir), "8545": str(node.rpc_port),
                            "30333": str(node.p2p_port)})
    node.process = subprocess.Popen(command, cwd=ROOT, stdout=open(node.log, "ab"), stderr=subprocess.STDOUT)
    try:
        cluster.wait_for("the node's RPC", lambda: node.rpc("system_localPeerId"), 30)
        cluster.wait_for("blocks authored and finalized by the single validator",
                         lambda: node.finalized()[0] >= 2, 60)
        miner = node.rpc("eth_getBlockByNumber", "0x1", False)["miner"]
        assert miner.lower() == Account.from_key(secret).address.lower()
        inspected = subprocess.run([sys.executable, "-m", "flockchain", "key", "inspect", keystore,
                                    "--password-file", str(password)], cwd=ROOT, capture_output=True, text=True,
                                   timeout=60)
        assert inspected.stdout.split()[-1] == node.rpc("system_localPeerId"), "key inspect shows the peer id"
        assert node.rpc("system_health")["shouldHavePeers"] is True
        assert node.rpc("eth_syncing") is False
    finally:
        cluster.stop()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_unit_file_passes_systemd_analyze_verify(tmp_path):
    unit = tmp_path / "flockchain-node.service"
    unit.write_text(UNIT_FILE.read_text().replace("/opt/flockchain/.venv/bin/flockchain",
                                                  str(Path(sys.executable).with_name("flockchain"))))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_a_wrong_password_or_missing_keystore_is_refused_clearly(tmp_path):
    cluster = Cluster(tmp_path, validators=1)
    keystore = tmp_path / "validator.json"
    keystore.write_text(json.dumps(Account.encrypt(keccak256(b"k"), "right", kdf="pbkdf2", iterations=1_000)))
    password = tmp_path / "password"
    password.write_text("wrong\n")
    for key_args, message in ((("--key", str(keystore), "--password-file", str(password)), "wrong password"),
                              (("--key", str(tmp_path / "missing.json"), "--password-file", str(password)),
                               "No such file")):
        result = subprocess.run(node_command(cluster, 0, *key_args), cwd=ROOT, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
