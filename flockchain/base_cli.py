"""`flockchain base-devnet`: an in-process Base stand-in (py-evm) behind eth_ JSON-RPC, with the bridge
contracts deployed, so a bridge relayer runs its whole loop on a laptop."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import socket
import sys

from .web_options import add_web_policy_arguments, web_policy_from_args

NAME = "flockchain base-devnet"


class ArgumentError(ValueError):
    """A bad command-line value; reported in one line with exit status 2."""


def add_base_devnet_parser(commands) -> None:
    from base_devnet.chain import (DEFAULT_BLOCK_TIME, DEFAULT_CHAIN_ID, DEFAULT_DAILY_CAP,
                                          DEFAULT_FINALITY_LAG, DEFAULT_HOME_CHAIN_ID)

    p = commands.add_parser("base-devnet", help="a Base stand-in (py-evm) with the bridge contracts, over JSON-RPC")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback only)")
    p.add_argument("--port", type=int, default=8546, help="JSON-RPC port (default 8546; 0 picks a free one)")
    p.add_argument("--chain-id", type=int, default=DEFAULT_CHAIN_ID, help="default 8453 (Base)")
    p.add_argument("--block-time", type=float, default=DEFAULT_BLOCK_TIME, metavar="S",
                   help="seal a block every S seconds, empty or not (default 1.0)")
    p.add_argument("--finality-lag", type=int, default=DEFAULT_FINALITY_LAG, metavar="N",
                   help="'finalized' is N blocks behind latest, 'safe' ceil(N/2) (default 4)")
    p.add_argument("--home-chain", default="dev", metavar="SPEC",
                   help="the home chain's spec (name or path, e.g. genesis/local.json): the bridge starts with its "
                        "genesis authority set and chain id (default: dev)")
    p.add_argument("--validators", metavar="ADDR[:WEIGHT],...",
                   help="override the bridge's validator set (default: the home chain's genesis authorities and weights)")
    p.add_argument("--home-chain-id", type=int, default=None,
                   help=f"override the home chain's id signed into withdrawals (default: the spec's, "
                        f"{DEFAULT_HOME_CHAIN_ID} for dev)")
    p.add_argument("--daily-cap", type=int, default=DEFAULT_DAILY_CAP, metavar="WEI",
                   help="the bridge's daily release cap in wei (default 10**24 = 1,000,000 FLOCK)")
    add_web_policy_arguments(p)
    p.add_argument("--log-level", default="WARNING")

    def one_line_error(message: str):
        print(f"{NAME}: {message}", file=sys.stderr)
        sys.exit(2)

    p.error = one_line_error


def parse_validators(text: str):
    """`ADDR[:WEIGHT],...` → Validator values; addresses are 20-byte hex, weights positive."""
    from base_devnet.chain import Validator

    out, seen = [], set()
    for item in text.split(","):
        address, _, weight = item.strip().partition(":")
        hex_part = address[2:] if address.startswith(("0x", "0X")) else address
        try:
            raw = bytes.fromhex(hex_part)
        except ValueError:
            raw = b""
        if len(raw) != 20:
            raise ArgumentError(f"--validators: {address!r} is not a 20-byte hex address")
        try:
            w = int(weight) if weight else 1
        except ValueError:
            raise ArgumentError(f"--validators: weight {weight!r} of {address} is not an integer") from None
        if w <= 0:
            raise ArgumentError(f"--validators: weight of {address} must be positive")
        if raw in seen:
            raise ArgumentError(f"--validators: {address} appears twice")
        seen.add(raw)
        out.append(Validator(raw, w))
    if not out or len(out) > 128:
        raise ArgumentError("--validators: between 1 and 128 validators")
    return tuple(out)


def check_args(args) -> None:
    if not 0 <= args.port <= 65535:
        raise ArgumentError("--port must be in 0..65535")
    if not 0 < args.chain_id < 2**64:
        raise ArgumentError("--chain-id must be positive")
    if not args.block_time > 0 or args.block_time != args.block_time or args.block_time == float("inf"):
        raise ArgumentError("--block-time must be a positive number of seconds")
    if args.finality_lag < 0:
        raise ArgumentError("--finality-lag must not be negative")
    from base_devnet.chain import spec_validators
    from genesis.builder import ChainSpecError, load_spec

    try:
        spec = load_spec(args.home_chain)
        home_validators = spec_validators(spec)
        home_chain_id = int(spec["genesis"]["runtime"]["system"]["chainId"])
    except (ChainSpecError, OSError, KeyError, ValueError, TypeError) as error:
        raise ArgumentError(f"--home-chain {args.home_chain!r}: {error}") from None
    if args.home_chain_id is None:
        args.home_chain_id = home_chain_id
    if not 0 <= args.home_chain_id < 2**256:
        raise ArgumentError("--home-chain-id must be a uint256")
    if not 0 <= args.daily_cap < 2**256:
        raise ArgumentError("--daily-cap must be a uint256 (wei)")
    args.validator_set = parse_validators(args.validators) if args.validators else home_validators
    args.web_policy = web_policy_from_args(args, args.host)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def banner(devnet, url: str, block_time: float) -> tuple[str, dict]:
    from base_devnet.chain import DEV_ETH, DEV_FLOCK, data_hex
    from rpc.params import to_checksum

    info = {
        "rpc": url,
        "chainId": devnet.chain_id,
        "token": to_checksum(devnet.token_address),
        "bridge": to_checksum(devnet.bridge_address),
        "deployer": to_checksum(devnet.deployer),
        "validators": [{"address": to_checksum(v.address), "weight": v.weight} for v in devnet.validators],
        "homeChainId": devnet.home_chain_id,
        "dailyCap": str(devnet.daily_cap),
        "finalityLag": devnet.finality_lag,
        "blockTime": block_time,
        "genesisHash": data_hex(devnet.block_by_number(0).hash),
        "accounts": [to_checksum(a.address) for a in devnet.dev_accounts],
    }
    lines = ["", "flockchain base-devnet (a Base stand-in on py-evm)", "=" * 50, "",
             f"RPC URL:         {url}", f"Chain ID:        {devnet.chain_id}",
             f"MockFLOCK:       {info['token']}", f"FlockBridge:     {info['bridge']}",
             f"Deployer:        {info['deployer']}",
             "Validators:      " + ", ".join(f"{v['address']}:{v['weight']}" for v in info["validators"]),
             f"Home chain ID:   {devnet.home_chain_id}", f"Daily cap:       {devnet.daily_cap} wei",
             f"Block time:      {block_time}s (finalized = latest - {devnet.finality_lag})",
             "", f"Funded accounts ({DEV_ETH // 10**18} ETH and {DEV_FLOCK // 10**18} FLOCK each; "
                 "test mnemonic, m/44'/60'/0'/0/i):"]
    lines += [f"  ({i}) {a}" for i, a in enumerate(info["accounts"])]
    return "\n".join(lines + [""]), info


async def serve(args, sock: socket.socket) -> None:
    from aiohttp import web

    from base_devnet.chain import BaseDevnet
    from base_devnet.server import make_app

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    devnet = BaseDevnet(chain_id=args.chain_id, block_time=args.block_time, finality_lag=args.finality_lag,
                        validators=args.validator_set, home_chain_id=args.home_chain_id, daily_cap=args.daily_cap)
    await devnet.start()
    runner = web.AppRunner(make_app(devnet, policy=args.web_policy), access_log=None)
    try:
        await runner.setup()
        await web.SockSite(runner, sock).start()
        host, port = sock.getsockname()[:2]
        url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        text, info = banner(devnet, url, args.block_time)
        print(text, flush=True)
        print("BASE_DEVNET " + json.dumps(info, separators=(",", ":")), flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
        await devnet.stop()


def base_devnet_main(args) -> int:
    try:
        check_args(args)
        logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    except (ArgumentError, ValueError) as error:
        print(f"{NAME}: {error}", file=sys.stderr)
        return 2
    try:
        sock = bind(args.host, args.port)
    except OSError as error:
        print(f"{NAME}: cannot serve on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 1
    try:
        asyncio.run(serve(args, sock))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


__all__ = ["add_base_devnet_parser", "base_devnet_main", "parse_validators"]
