"""`flockchain key`: create, import, list and inspect encrypted validator keys.

    flockchain key new [--keystore-dir DIR] [--password-file F] [--light-kdf]
    flockchain key import PRIVATE_KEY_FILE [--keystore-dir DIR] [--password-file F] [--light-kdf]
    flockchain key list [--keystore-dir DIR]
    flockchain key inspect KEYSTORE [--password-file F]

Keystores are Web3 Secret Storage v3 files (scrypt), which geth, eth-account and MetaMask read;
`flockchain node --key FILE` and `flockchain relayer --key FILE` take them. A private key is read
from a file, never from the command line, and is never printed. Every refusal is one line on
stderr with exit status 2, and nothing is written.
"""

import getpass
import sys
from pathlib import Path

from chain.keystore import (KeystoreError, compute_identity, decrypt, encrypt, generate_private_key, list_keystores,
                            parse_private_key, read_keystore, read_small_file, write_keystore)
from rpc.params import to_checksum

DEFAULT_KEYSTORE_DIR = Path("~/.flockchain/keystore")
REFUSED = 2


def add_key_parser(commands) -> None:
    key = commands.add_parser("key", help="create, import, list and inspect encrypted validator keys (V3 keystores)")
    actions = key.add_subparsers(dest="key_command", required=True)
    new = actions.add_parser("new", help="generate a key and write it encrypted")
    imported = actions.add_parser("import", help="encrypt the private key held in a file (64 hex digits)")
    imported.add_argument("private_key_file", metavar="PRIVATE_KEY_FILE")
    listed = actions.add_parser("list", help="the keystores in the directory")
    inspect = actions.add_parser("inspect", help="address, public key and p2p peer id of a keystore")
    inspect.add_argument("keystore", metavar="KEYSTORE")
    inspect.add_argument("--password-file", help="file whose first line is the password (default: ask)")
    for parser in (new, imported, listed):
        parser.add_argument("--keystore-dir", type=Path, default=DEFAULT_KEYSTORE_DIR,
                            help=f"where keystores live (default {DEFAULT_KEYSTORE_DIR})")
    for parser in (new, imported):
        parser.add_argument("--password-file", help="file whose first line is the password (default: ask twice)")
        parser.add_argument("--light-kdf", action="store_true",
                            help="scrypt N = 4096 instead of 262144: less memory and time, weaker if the file is stolen")


MAX_PASSWORD_FILE_BYTES = 64 * 1024


def read_password(password_file: str | None, prompt: str, confirm: bool) -> str:
    """The first line of the file (as geth reads it: up to the first newline, a trailing CR dropped), or
    typed at a terminal (twice for a new keystore)."""
    if password_file is not None:
        data = read_small_file(Path(password_file), MAX_PASSWORD_FILE_BYTES, "a password file")
        try:
            return data.decode("utf-8").split("\n")[0].removesuffix("\r")
        except UnicodeDecodeError:
            raise KeystoreError(f"{password_file}: the password file is not UTF-8") from None
    if not sys.stdin.isatty():
        raise KeystoreError("no terminal to ask for a password: use --password-file")
    try:
        password = getpass.getpass(prompt)
        if confirm and getpass.getpass("repeat the password: ") != password:
            raise KeystoreError("the passwords do not match; nothing written")
    except (EOFError, KeyboardInterrupt):
        raise KeystoreError("no password given; nothing written") from None
    return password


def store(args, private_key: bytes) -> int:
    password = read_password(args.password_file, "password for the new keystore: ", confirm=True)
    path = write_keystore(args.keystore_dir.expanduser(), encrypt(private_key, password, light=args.light_kdf))
    identity = compute_identity(private_key)
    print(f"address {to_checksum(identity.address)}\nkeystore {path}")
    return 0


def read_private_key_file(name: str) -> bytes:
    """64 hex digits from a file, or from standard input for `-`."""
    content = sys.stdin.buffer.read(1024) if name == "-" else read_small_file(Path(name), 1024, "a key file")
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError:
        raise KeystoreError(f"{name}: expected 32 bytes as 64 hex digits, found binary data") from None
    return parse_private_key(text, name)


def inspect_keystore(args) -> int:
    path = Path(args.keystore)
    read_keystore(path)
    password = read_password(args.password_file, f"password for {path}: ", confirm=False)
    identity = compute_identity(decrypt(path, password))
    print(f"address     {to_checksum(identity.address)}\n"
          f"public key  0x{identity.public_key.hex()}\n"
          f"peer id     0x{identity.peer_id.hex()}")
    return 0


def list_keys(args) -> int:
    directory = args.keystore_dir.expanduser()
    for index, (path, address) in enumerate(list_keystores(directory)):
        print(f"#{index}: {to_checksum(address)} {path}")
    return 0


def key_main(args) -> int:
    try:
        if args.key_command == "new":
            return store(args, generate_private_key())
        if args.key_command == "import":
            return store(args, read_private_key_file(args.private_key_file))
        if args.key_command == "list":
            return list_keys(args)
        return inspect_keystore(args)
    except KeystoreError as error:
        print(f"flockchain key: {error}", file=sys.stderr)
        return REFUSED
    except KeyboardInterrupt:
        print("flockchain key: interrupted; nothing written", file=sys.stderr)
        return REFUSED

