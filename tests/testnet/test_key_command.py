"""`flockchain key` as an operator uses it: new (password typed twice at a terminal, or from a file),
import, list, inspect; every bad input refused in one line with exit status 2 and nothing written;
no private key in any output."""

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest
from eth_account import Account

from chain.keystore import compute_identity
from tests.testnet.cluster import ROOT

pytestmark = pytest.mark.timeout(120)

DEV_KEY_1 = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
DEV_ADDRESS_1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def key(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "flockchain", "key", *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert DEV_KEY_1 not in result.stdout + result.stderr and "Traceback" not in result.stderr, result.stderr
    return result


def refused(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.startswith("flockchain key: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr, result.stderr


def files(directory: Path) -> list[str]:
    return sorted(os.listdir(directory)) if directory.exists() else []


def at_a_terminal(args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run `flockchain key …` with a pseudo-terminal as stdin, typing each answer after its prompt."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "flockchain", "key", *args], cwd=ROOT, stdin=terminal,
                               stdout=terminal, stderr=terminal, close_fds=True)
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + 60
    try:
        for answer in answers:
            start = len(output)
            while not output[start:].rstrip().endswith(b":") and time.monotonic() < deadline:
                output += os.read(controller, 1024)
            os.write(controller, answer.encode() + b"\n")
        status = process.wait(60)
        try:
            while chunk := os.read(controller, 1024):
                output += chunk
        except OSError:
            pass
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    return status, output.decode(errors="replace")


def test_new_asks_the_password_twice_at_a_terminal(tmp_path):
    directory = tmp_path / "keystore"
    status, output = at_a_terminal(["new", "--keystore-dir", str(directory), "--light-kdf"], ["one", "two"])
    assert status == 2 and "passwords do not match" in output and files(directory) == []
    status, output = at_a_terminal(["new", "--keystore-dir", str(directory), "--light-kdf"], ["s3cret", "s3cret"])
    assert status == 0, output
    [name] = files(directory)
    address = bytes(Account.decrypt(json.loads((directory / name).read_text()), "s3cret"))
    assert name.endswith(compute_identity(address).address.hex()), "eth-account opens it; geth's file name"


def test_new_list_inspect_and_import_with_a_password_file(tmp_path):
    directory, password = tmp_path / "keystore", tmp_path / "password"
    password.write_text("correct horse\nignored second line\n")
    created = key("new", "--keystore-dir", str(directory), "--password-file", str(password))
    assert created.returncode == 0, created.stderr
    address = created.stdout.split()[1]
    [name] = files(directory)
    assert (directory / name).stat().st_mode & 0o777 == 0o600
    secret = bytes(Account.decrypt(json.loads((directory / name).read_text()), "correct horse"))
    assert json.loads((directory / name).read_text())["crypto"]["kdfparams"]["n"] == 2**18, "geth's standard scrypt"
    assert Account.from_key(secret).address == address

    key_file = tmp_path / "dev1.key"
    key_file.write_text("0x" + DEV_KEY_1 + "\n")
    imported = key("import", str(key_file), "--keystore-dir", str(directory), "--password-file", str(password),
                   "--light-kdf")
    assert imported.returncode == 0 and imported.stdout.split()[1] == DEV_ADDRESS_1, imported.stderr
    listed = key("list", "--keystore-dir", str(directory))
    assert {line.split()[1] for line in listed.stdout.splitlines()} == {address, DEV_ADDRESS_1}

    [dev_file] = [directory / n for n in files(directory) if n.endswith(DEV_ADDRESS_1[2:].lower())]
    inspected = key("inspect", str(dev_file), "--password-file", str(password))
    identity = compute_identity(bytes.fromhex(DEV_KEY_1))
    assert inspected.stdout.split() == ["address", DEV_ADDRESS_1, "public", "key", "0x" + identity.public_key.hex(),
                                        "peer", "id", "0x" + identity.peer_id.hex()]


def test_bad_input_is_refused_in_one_line_and_nothing_is_written(tmp_path):
    directory, password, wrong = tmp_path / "keystore", tmp_path / "password", tmp_path / "wrong"
    password.write_text("right\n")
    wrong.write_text("wrong\n")
    key_file = tmp_path / "dev1.key"
    key_file.write_text(DEV_KEY_1)
    assert key("import", str(key_file), "--keystore-dir", str(directory), "--password-file", str(password),
               "--light-kdf").returncode == 0
    before = files(directory)
    [stored] = before

    refused(key("inspect", str(directory / stored), "--password-file", str(wrong)), "wrong password")
    refused(key("import", str(key_file), "--keystore-dir", str(directory), "--password-file", str(password)),
            "already holds a keystore")
    for content, message in (("abc", "64 hex digits"), (DEV_KEY_1[:-1] + "g", "non-hex"), ("00" * 32, "curve order"),
                             (DEV_KEY_1 + "00", "64 hex digits")):
        key_file.write_text(content)
        refused(key("import", str(key_file), "--keystore-dir", str(directory), "--password-file", str(password)),
                message)
    key_file.write_bytes(os.urandom(32))
    refused(key("import", str(key_file), "--keystore-dir", str(directory), "--password-file", str(password)),
            "expected 32 bytes as 64 hex digits")
    empty = tmp_path / "empty"
    empty.write_text("\n")
    key_file.write_text(DEV_KEY_1)
    refused(key("new", "--keystore-dir", str(directory), "--password-file", str(empty)), "must not be empty")
    corrupt, foreign = tmp_path / "corrupt.json", tmp_path / "foreign.json"
    corrupt.write_text((directory / stored).read_text()[:-20])
    foreign.write_text(json.dumps({"version": 1, "Crypto": {}}))
    refused(key("inspect", str(corrupt), "--password-file", str(password)), "not JSON")
    refused(key("inspect", str(foreign), "--password-file", str(password)), "not a version 3 keystore")
    refused(key("inspect", str(tmp_path / "missing.json"), "--password-file", str(password)), "cannot read")
    refused(key("new", "--keystore-dir", str(directory)), "use --password-file")
    assert files(directory) == before
