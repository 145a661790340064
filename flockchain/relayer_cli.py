"""`flockchain relayer`: relay the FLOCK bridge between a node of this chain and a Base endpoint.

    flockchain relayer --base-rpc URL [--rpc http://127.0.0.1:8545] (--key KEYSTORE | --dev-key I)

With a validator's key it also attests Base blocks and signs withdrawals; with any other funded key
it proves deposits and carries signed withdrawals to Base. Point `--base-rpc` at real Base to
relay for real: nothing else changes.
"""

import logging
import signal
import sys
import threading

from chain.bridge.relayer import Relayer, RelayerError

from .network_cli import load_key

log = logging.getLogger("flockchain.relayer")


def add_relayer_key_options(parser, required: bool) -> None:
    keys = parser.add_mutually_exclusive_group(required=required)
    keys.add_argument("--key", help="encrypted keystore (JSON, as geth and web3 write it) of the relaying account")
    keys.add_argument("--dev-key", type=int, metavar="INDEX",
                      help="the test mnemonic's key INDEX (devnets only; 10 is the dev chain's authority)")
    parser.add_argument("--password-file", help="file holding the keystore's password (default: ask)")


def add_relayer_parser(commands) -> None:
    relayer = commands.add_parser("relayer", help="relay FLOCK between this chain and Base (and, with a validator's "
                                                  "key, attest Base blocks and sign withdrawals)")
    relayer.add_argument("--base-rpc", required=True, metavar="URL", help="Base JSON-RPC endpoint")
    relayer.add_argument("--rpc", default="http://127.0.0.1:8545", metavar="URL", help="this chain's JSON-RPC endpoint")
    add_relayer_key_options(relayer, required=True)
    relayer.add_argument("--base-start-block", type=int, default=0, metavar="N",
                         help="first Base block to scan for deposits (the bridge's deployment block)")
    relayer.add_argument("--interval", type=float, default=1.0, metavar="S", help="seconds between passes")
    relayer.add_argument("--log-level", default="INFO")


def relayer_main(args) -> int:
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.interval <= 0 or args.base_start_block < 0:
        print("flockchain relayer: --interval must be positive and --base-start-block not negative", file=sys.stderr)
        return 2
    try:
        key = load_key(args)
    except (OSError, ValueError) as error:
        print(f"flockchain relayer: cannot load the key: {error}", file=sys.stderr)
        return 2
    relayer = Relayer(args.rpc, args.base_rpc, key, base_start_block=args.base_start_block, interval=args.interval)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"relaying between {args.rpc} and {args.base_rpc} as {relayer.account.address}", flush=True)
    try:
        relayer.run(stop)
    except RelayerError as error:
        print(f"flockchain relayer: {error}", file=sys.stderr)
        return 1
    return 0
