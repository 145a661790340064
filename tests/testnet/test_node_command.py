"""`flockchain node` as an operator starts it: a validator key from an encrypted keystore, bad keys and
passwords refused with a clear message, and the node's identity and roles shown over RPC."""

import json
import subprocess
import sys

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


def test_a_validator_runs_from_an_encrypted_keystore(tmp_path):
    cluster = Cluster(tmp_path, validators=1)
    secret = bytes(Account.from_mnemonic("test test test test test test test test test test test junk",
                                         account_path="m/44'/60'/0'/0/0").key)
    keystore = tmp_path / "validator.json"
    keystore.write_text(json.dumps(Account.encrypt(secret, "correct horse", kdf="pbkdf2", iterations=1_000)))
    password = tmp_path / "password"
    password.write_text("correct horse\n")
    node = cluster.nodes[0]
    node.process = subprocess.Popen(node_command(cluster, 0, "--key", str(keystore), "--password-file", str(password)),
                                    cwd=ROOT, stdout=open(node.log, "ab"), stderr=subprocess.STDOUT)
    try:
        cluster.wait_for("the node's RPC", lambda: node.rpc("system_localPeerId"), 30)
        cluster.wait_for("blocks authored and finalized by the single validator",
                         lambda: node.finalized()[0] >= 2, 60)
        miner = node.rpc("eth_getBlockByNumber", "0x1", False)["miner"]
        assert miner.lower() == Account.from_key(secret).address.lower()
        assert node.rpc("system_health")["shouldHavePeers"] is True
        assert node.rpc("eth_syncing") is False
    finally:
        cluster.stop()


def test_a_wrong_password_or_missing_keystore_is_refused_clearly(tmp_path):
    cluster = Cluster(tmp_path, validators=1)
    keystore = tmp_path / "validator.json"
    keystore.write_text(json.dumps(Account.encrypt(keccak256(b"k"), "right", kdf="pbkdf2", iterations=1_000)))
    password = tmp_path / "password"
    password.write_text("wrong\n")
    for key_args, message in ((("--key", str(keystore), "--password-file", str(password)), "MAC mismatch"),
                              (("--key", str(tmp_path / "missing.json"), "--password-file", str(password)),
                               "No such file")):
        result = subprocess.run(node_command(cluster, 0, *key_args), cwd=ROOT, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
