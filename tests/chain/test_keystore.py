"""chain/keystore.py: V3 keystores that eth-account reads, keys parsed strictly, hostile files refused in one
line, never a file overwritten."""

import json
import os
import stat
import string
from datetime import datetime, timezone
from pathlib import Path

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from chain import keystore
from chain.keystore import KeystoreError

KEY = bytes.fromhex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_identity_is_the_account_and_the_nodes_peer_id():
    identity = keystore.compute_identity(KEY)
    assert "0x" + identity.address.hex() == ADDRESS.lower()
    assert len(identity.public_key) == 64 and identity.peer_id[0] in (2, 3)
    assert identity.peer_id[1:] == identity.public_key[:32], "the compressed form of the same point"


def test_a_written_keystore_is_v3_scrypt_0600_and_eth_account_opens_it(tmp_path):
    document = keystore.encrypt(KEY, "correct horse", light=True)
    path = keystore.write_keystore(tmp_path / "ks", document, datetime(2026, 12, 6, 2, 5, tzinfo=timezone.utc))
    assert path.name == "UTC--2026-12-06T02-05-00.000000000Z--70997970c51812dc3a010c7d01b50e0d17dc79c8"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    written = json.loads(path.read_text())
    assert written["version"] == 3 and written["crypto"]["kdf"] == "scrypt"
    assert bytes(Account.decrypt(written, "correct horse")) == KEY
    assert keystore.decrypt(path, "correct horse") == KEY
    assert keystore.list_keystores(tmp_path / "ks") == [(path, bytes.fromhex(ADDRESS[2:]))]
    with pytest.raises(KeystoreError, match="wrong password"):
        keystore.decrypt(path, "Correct horse")
    with pytest.raises(KeystoreError, match="already holds a keystore"):
        keystore.write_keystore(tmp_path / "ks", keystore.encrypt(KEY, "other", light=True))
    assert os.listdir(tmp_path / "ks") == [path.name], "nothing else written"


def test_a_keystore_written_by_eth_account_opens_here(tmp_path):
    path = tmp_path / "pbkdf2.json"
    path.write_text(json.dumps(Account.encrypt(KEY, "pw", kdf="pbkdf2", iterations=1_000)))
    assert keystore.decrypt(path, "pw") == KEY


def test_an_empty_password_is_refused():
    with pytest.raises(KeystoreError, match="must not be empty"):
        keystore.encrypt(KEY, "")


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe", "not JSON"), (b"[1]", "not a JSON object"), (b'{"version": 1}', "version 1"),
    (b'{"version": 3, "crypto": {"kdf": "argon2"}}', "crypto section"),
    (b'{"version": 3, "address": 7, "crypto": {"kdf": "scrypt", "cipher": "aes-128-ctr", "ciphertext": "",'
     b' "mac": "", "kdfparams": {}}}', "malformed address"),
])
def test_corrupt_or_foreign_keystores_are_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "k.json"
    path.write_bytes(content)
    with pytest.raises(KeystoreError, match=message) as refused:
        keystore.decrypt(path, "pw")
    assert "\n" not in str(refused.value)


def test_a_tampered_keystore_is_refused(tmp_path):
    document = keystore.encrypt(KEY, "pw", light=True)
    document["address"] = "00" * 20
    path = tmp_path / "k.json"
    path.write_text(json.dumps(document))
    with pytest.raises(KeystoreError, match="does not match"):
        keystore.decrypt(path, "pw")
    document["crypto"]["kdfparams"] = {"n": "x"}
    path.write_text(json.dumps(document))
    with pytest.raises(KeystoreError):
        keystore.decrypt(path, "pw")


@given(st.text(max_size=80) | st.text(string.hexdigits + " _+", min_size=62, max_size=68).map(lambda t: "0x" + t))
def test_parse_private_key_accepts_exactly_32_bytes_of_hex(text):
    digits = text.strip()
    digits = digits[2:] if digits[:2] in ("0x", "0X") else digits
    valid = len(digits) == 64 and set(digits) <= set(string.hexdigits) and \
        0 < int(digits, 16) < keystore.SECP256K1_ORDER
    if valid:
        assert keystore.parse_private_key(text, "f") == bytes.fromhex(digits)
    else:
        with pytest.raises(KeystoreError, match="^f: "):
            keystore.parse_private_key(text, "f")


@settings(max_examples=50)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)))
def test_no_json_document_crashes_the_reader(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("k") / "k.json"
    path.write_text(json.dumps(document))
    with pytest.raises(KeystoreError):
        keystore.decrypt(path, "pw")


def forged_keystore(plaintext: bytes, password: bytes) -> dict:
    """A V3 pbkdf2 keystore of any plaintext (eth-keyfile only writes valid keys): a correct MAC, a bad key."""
    import hashlib

    from Crypto.Cipher import AES
    from Crypto.Util import Counter

    from runtime.crypto import keccak256
    salt, iv = b"\x01" * 16, b"\x02" * 16
    derived = hashlib.pbkdf2_hmac("sha256", password, salt, 1_000, 32)
    cipher = AES.new(derived[:16], AES.MODE_CTR, counter=Counter.new(128, initial_value=int.from_bytes(iv, "big")))
    ciphertext = cipher.encrypt(plaintext)
    return {"version": 3, "id": "00000000-0000-4000-8000-000000000000", "crypto": {
        "cipher": "aes-128-ctr", "cipherparams": {"iv": iv.hex()}, "ciphertext": ciphertext.hex(), "kdf": "pbkdf2",
        "kdfparams": {"c": 1_000, "dklen": 32, "prf": "hmac-sha256", "salt": salt.hex()},
        "mac": keccak256(derived[16:32] + ciphertext).hex()}}


@pytest.mark.parametrize("plaintext", [KEY[:31], bytes(32), b"\xff" * 32, KEY + b"\x00" * 8])
def test_a_keystore_whose_content_is_not_a_key_is_refused(tmp_path, plaintext):
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged_keystore(plaintext, b"pw")))
    with pytest.raises(KeystoreError, match="not a secp256k1 private key"):
        keystore.decrypt(path, "pw")


def test_a_malformed_address_or_a_device_is_refused_and_a_directory_listing_survives_it(tmp_path):
    document = keystore.encrypt(KEY, "pw", light=True)
    (tmp_path / "bad.json").write_text(json.dumps(dict(document, address="zz" * 20)))
    with pytest.raises(KeystoreError, match="malformed address"):
        keystore.read_keystore(tmp_path / "bad.json")
    assert keystore.list_keystores(tmp_path) == [], "a foreign file in the directory is skipped, not a crash"
    with pytest.raises(KeystoreError, match="not a regular file"):
        keystore.read_keystore(Path("/dev/zero"))
    with pytest.raises(KeystoreError, match="not a directory"):
        keystore.list_keystores(tmp_path / "bad.json")


def test_a_keystore_is_never_written_half(tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("x")
    with pytest.raises(KeystoreError, match="not a directory"):
        keystore.write_keystore(blocked, keystore.encrypt(KEY, "pw", light=True))
    directory = tmp_path / "ks"
    keystore.write_keystore(directory, keystore.encrypt(KEY, "pw", light=True))
    assert [p.name for p in directory.iterdir() if p.name.startswith(".")] == [], "no temporary file left"
