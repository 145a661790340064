"""Encrypted key files: Web3 Secret Storage version 3 (scrypt, AES-128-CTR), the format geth,
eth-account and MetaMask read and write.

A node's validator key is its account key and its p2p identity (the peer id is the compressed
public key, chain/network/handshake.py), so one keystore is all an operator has to keep safe.
Files are written 0600 (a directory this module creates is 0700), never over an existing file and
never half (a temporary file, fsynced, then linked to its name), named as geth names them
(`UTC--<time>--<address>`). A private key never appears in a message of this module.
"""

import json
import os
import stat
import string
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from coincurve import PrivateKey
from eth_account import Account
from eth_keyfile.exceptions import EthKeyfileValueError

from chain.network.handshake import node_id_of
from runtime.crypto import public_key_to_address

SCRYPT_N = 2**18
"""geth's standard scrypt cost (about 256 MiB and 0.7 s to open)."""
LIGHT_SCRYPT_N = 2**12
"""geth's --lightkdf N (geth also raises p to 6; eth-account writes p = 1): for low-memory machines and tests;
far weaker against a stolen file."""
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
MAX_KEYSTORE_BYTES = 64 * 1024


class KeystoreError(ValueError):
    """A refusal an operator can act on, in one line."""


@dataclass(frozen=True)
class KeyIdentity:
    address: bytes
    public_key: bytes
    """64 bytes: x ‖ y, as Ethereum tools print it (uncompressed, without the 0x04 prefix)."""
    peer_id: bytes
    """33 bytes: the compressed public key, the node's `system_localPeerId`."""


def parse_private_key(text: str, source: str) -> bytes:
    """A key file's content: 32 bytes as 64 hex digits (0x prefix and surrounding whitespace allowed)."""
    digits = text.strip()
    digits = digits[2:] if digits[:2].lower() == "0x" else digits
    if len(digits) != 64:
        raise KeystoreError(f"{source}: expected 32 bytes as 64 hex digits, found {len(digits)} characters")
    if not set(digits) <= set(string.hexdigits):
        raise KeystoreError(f"{source}: expected 32 bytes as 64 hex digits, found a non-hex character")
    key = bytes.fromhex(digits)
    if not 0 < int.from_bytes(key, "big") < SECP256K1_ORDER:
        raise KeystoreError(f"{source}: not a secp256k1 private key (zero or not below the curve order)")
    return key


def generate_private_key() -> bytes:
    """32 bytes from the operating system's CSPRNG, redrawn in the negligible case they are not a key."""
    while True:
        candidate = os.urandom(32)
        if 0 < int.from_bytes(candidate, "big") < SECP256K1_ORDER:
            return candidate


def compute_identity(private_key: bytes) -> KeyIdentity:
    public_key = PrivateKey(private_key).public_key
    return KeyIdentity(public_key_to_address(public_key), public_key.format(compressed=False)[1:],
                       node_id_of(private_key))


def encrypt(private_key: bytes, password: str, light: bool = False) -> dict:
    if not password:
        raise KeystoreError("the password must not be empty")
    return Account.encrypt(private_key, password, kdf="scrypt", iterations=LIGHT_SCRYPT_N if light else SCRYPT_N)


def read_small_file(path: Path, limit: int, what: str) -> bytes:
    """A regular file's bytes, at most `limit` of them, or one line saying why not (devices, directories and
    FIFOs are refused: they could be read forever)."""
    try:
        with open(path, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise KeystoreError(f"{path}: not a regular file")
            data = file.read(limit + 1)
    except OSError as error:
        raise KeystoreError(f"{path}: cannot read ({error.strerror})") from None
    if len(data) > limit:
        raise KeystoreError(f"{path}: not {what} (larger than {limit:,} bytes)")
    return data


def read_keystore(path: Path) -> dict:
    """The file's JSON, if it has the shape of a version 3 keystore (else one line saying what is wrong)."""
    data = read_small_file(path, MAX_KEYSTORE_BYTES, "a keystore")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise KeystoreError(f"{path}: not a keystore (not JSON)") from None
    if not isinstance(document, dict):
        raise KeystoreError(f"{path}: not a keystore (not a JSON object)")
    if document.get("version") != 3:
        raise KeystoreError(f"{path}: not a version 3 keystore (version {document.get('version')!r})")
    crypto = document.get("crypto", document.get("Crypto"))
    if not isinstance(crypto, dict) or crypto.get("kdf") not in ("scrypt", "pbkdf2") \
            or crypto.get("cipher") != "aes-128-ctr" or not all(k in crypto for k in ("ciphertext", "mac", "kdfparams")):
        raise KeystoreError(f"{path}: not a version 3 keystore (no scrypt or pbkdf2, aes-128-ctr crypto section)")
    address = document.get("address")
    if address is not None and (not isinstance(address, str) or len(address.removeprefix("0x")) != 40
                                or not set(address.removeprefix("0x")) <= set(string.hexdigits)):
        raise KeystoreError(f"{path}: not a version 3 keystore (malformed address)")
    return document


def get_keystore_address(document: dict) -> bytes | None:
    address = document.get("address")
    return None if address is None else bytes.fromhex(address.removeprefix("0x"))


def decrypt(path: Path, password: str) -> bytes:
    document = read_keystore(path)
    try:
        key = bytes(Account.decrypt(document, password))
    except EthKeyfileValueError:
        raise KeystoreError(f"{path}: wrong password") from None
    except (ValueError, KeyError, TypeError, AssertionError) as error:
        raise KeystoreError(f"{path}: not a usable keystore ({type(error).__name__})") from None
    if len(key) != 32 or not 0 < int.from_bytes(key, "big") < SECP256K1_ORDER:
        raise KeystoreError(f"{path}: the decrypted key is not a secp256k1 private key")
    expected = get_keystore_address(document)
    if expected is not None and compute_identity(key).address != expected:
        raise KeystoreError(f"{path}: the key does not match the keystore's address")
    return key


def compute_filename(address: bytes, now: datetime) -> str:
    """geth's name: UTC--2026-12-06T02-05-00.000000000Z--<address, lower-case hex>."""
    stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H-%M-%S.%f") + "000Z"
    return f"UTC--{stamp}--{address.hex()}"


def list_keystores(directory: Path) -> list[tuple[Path, bytes]]:
    """(path, address) of each readable version 3 keystore in the directory, by file name (none if it does
    not exist yet)."""
    if not directory.exists():
        return []
    if not directory.is_dir():
        raise KeystoreError(f"{directory} is not a directory")
    try:
        entries = sorted(directory.iterdir())
    except OSError as error:
        raise KeystoreError(f"{directory}: cannot list ({error.strerror})") from None
    found = []
    for path in entries:
        if not path.is_file():
            continue
        try:
            address = get_keystore_address(read_keystore(path))
        except KeystoreError:
            continue
        if address is not None:
            found.append((path, address))
    return found


def write_keystore(directory: Path, document: dict, now: datetime | None = None) -> Path:
    """Write a new keystore file; refuses when the directory already holds one for that address."""
    address = get_keystore_address(document)
    for path, existing in list_keystores(directory):
        if existing == address:
            raise KeystoreError(f"{directory} already holds a keystore for 0x{address.hex()} ({path.name}); "
                                f"nothing written")
    path = directory / compute_filename(address, now or datetime.now(timezone.utc))
    temporary = directory / f".{path.name}.{os.getpid()}.tmp"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(document, file)
            file.flush()
            os.fsync(file.fileno())
        os.link(temporary, path)
    except FileExistsError:
        raise KeystoreError(f"{path} exists; nothing written") from None
    except OSError as error:
        raise KeystoreError(f"cannot write a keystore in {directory} ({error.strerror}); nothing written") from None
    finally:
        temporary.unlink(missing_ok=True)
    directory_descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_descriptor)
    finally:
        os.close(directory_descriptor)
    return path
