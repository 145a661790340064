"""`flockchain host`, `flockchain market predict` and `flockchain demo market`.

    flockchain host --rpc URL (--key-file F | --keystore K [--password-file P]) --model ID [--port 8600]
                    [--bind 127.0.0.1] [--data-dir DIR] [--device cuda|cpu] [--redeem-seconds 30] [--durable]
                    [--cors ORIGIN] [--vhosts NAME]
    flockchain market predict --rpc URL (--key-file F | --keystore K) --model ID --input FILE [--host ADDRESS]
                    [--deposit WEI] [--no-pay]
    flockchain market probe --rpc URL (--key-file F | --keystore K) [--probe-seconds 10]
    flockchain demo market [--out DIR] [--users 4] [--requests 40] [--participants 6] [--rounds 3] [--seed N]

The host must already be registered on chain for the model (marketplace.registerHost, with its stake).
`--input` is a JSON file holding a list of input rows (or {"inputs": […]}); the answer is printed as JSON.
"""

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from chain.keystore import KeystoreError

from .arena_cli import add_key_arguments, load_private_key
from .web_options import add_web_policy_arguments, web_policy_from_args


def add_host_parser(commands) -> None:
    host = commands.add_parser("host", help="serve a Marketplace model over HTTP, paid by vouchers or free tier")
    add_key_arguments(host)
    host.add_argument("--model", type=int, required=True, help="the marketplace model id this host registered for")
    host.add_argument("--port", type=int, default=8600)
    host.add_argument("--bind", default="127.0.0.1", help="address to bind (default loopback only)")
    host.add_argument("--data-dir", default="host-data", help="where the voucher ledger is kept")
    host.add_argument("--device", help="torch device (default: cuda when present, else cpu)")
    host.add_argument("--redeem-seconds", type=float, default=30.0,
                      help="how often vouchers are redeemed and free-tier receipts settled on chain")
    host.add_argument("--poll-seconds", type=float, default=2.0, help="how often price, version and epoch are read")
    host.add_argument("--durable", action="store_true",
                      help="fsync each voucher before answering (survives power loss, not only a killed process)")
    host.add_argument("--unmetered", action="store_true", help=argparse.SUPPRESS)
    add_web_policy_arguments(host)


def add_market_parser(commands) -> None:
    market = commands.add_parser("market", help="use Marketplace models as a client")
    actions = market.add_subparsers(dest="market_command", required=True)
    predict = actions.add_parser("predict", help="send inputs to a host of a model and print its answer")
    add_key_arguments(predict)
    predict.add_argument("--model", type=int, required=True)
    predict.add_argument("--input", required=True, help="JSON file: a list of input rows, or {\"inputs\": [...]}")
    predict.add_argument("--host", metavar="ADDRESS", help="this host (default: the cheapest serving host)")
    predict.add_argument("--deposit", type=int, default=0, metavar="WEI", help="escrow this much for the host first")
    predict.add_argument("--no-pay", action="store_true", help="never pay: wait for the next epoch's free tier")
    probe = actions.add_parser("probe", help="the validator duty: probe every host each epoch and report it")
    add_key_arguments(probe)
    probe.add_argument("--probe-seconds", type=float, default=10.0, help="time between two probes of a host")


def add_probe_arguments(parser, dev: bool) -> None:
    if dev:
        parser.add_argument("--market-probe", type=int, metavar="INDEX",
                            help="probe Marketplace hosts and report them each epoch as dev account INDEX (a "
                                 "staking validator)")
    else:
        parser.add_argument("--market-probe", action="store_true",
                            help="probe Marketplace hosts and report them each epoch with this node's key")


def start_probe(rpc_url: str, key: bytes):
    from hosting.probe import start_probe_duty
    return start_probe_duty(rpc_url, key)


async def stop_probe(duty) -> None:
    if duty is not None:
        duty[1].set()
        await asyncio.to_thread(duty[0].join, 10)


def add_market_demo_parser(kinds) -> None:
    demo = kinds.add_parser("market", help="an FL Alliance model published, served by two hosts at two prices, used "
                                           "by free and paying users, redeemed and paid out")
    demo.add_argument("--out", default="demo-market", help="where summary.json, the PNG and logs go")
    demo.add_argument("--users", type=int, default=4)
    demo.add_argument("--requests", type=int, default=40, help="requests per user")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--participants", type=int, default=6, help="FL Alliance participants training the model")
    demo.add_argument("--rounds", type=int, default=3, help="FL Alliance rounds")


def host_main(args) -> int:
    from fl_module.worker.chain import ChainClient, ChainError
    from hosting.server import Host, HostConfig

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        key = load_private_key(args)
        policy = web_policy_from_args(args, args.bind)
    except (KeystoreError, OSError, ValueError) as error:
        print(f"flockchain host: {error}", file=sys.stderr)
        return 2
    config = HostConfig(model=args.model, data_dir=Path(args.data_dir), bind=args.bind, port=args.port,
                        poll_seconds=args.poll_seconds, redeem_seconds=args.redeem_seconds, device=args.device,
                        durable=args.durable, unmetered=args.unmetered, policy=policy)

    async def serve() -> int:
        chain = await ChainClient.connect(args.rpc, key)
        host = Host(chain, config)
        try:
            url = await host.start()
        except ChainError as error:
            print(f"flockchain host: {error}", file=sys.stderr)
            await chain.close()
            return 1
        print(f"serving model {args.model} version {host.served.version} at {url} for {chain.address} "
              f"(price {host.price} wei)", flush=True)
        stopped = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stopped.set)
        await stopped.wait()
        await host.redeem_due()
        await host.settle_due()
        await host.stop()
        await chain.close()
        return 0

    return asyncio.run(serve())


def market_main(args) -> int:
    from hosting.client import Client, MarketError

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.market_command == "probe":
        return probe_main(args)
    try:
        key = load_private_key(args)
        loaded = json.loads(Path(args.input).read_text())
    except (KeystoreError, OSError, ValueError) as error:
        print(f"flockchain market: {error}", file=sys.stderr)
        return 2
    inputs = loaded.get("inputs") if isinstance(loaded, dict) else loaded
    client = Client(args.rpc, key)
    try:
        if args.deposit:
            client.deposit(args.model, args.deposit, args.host)
        answer = client.predict(args.model, inputs, host=args.host, pay=not args.no_pay)
    except MarketError as error:
        print(f"flockchain market: the host refused: {error}", file=sys.stderr)
        return 1
    print(json.dumps(answer))
    return 0


def demo_main(args) -> int:
    from hosting import demo

    summary = demo.run(Path(args.out), users=args.users, requests_per_user=args.requests, seed=args.seed,
                       participants=args.participants, rounds=args.rounds)
    usage = summary["usage"]
    print(f"{summary['requests_answered']} answers (accuracy {summary['served_accuracy']:.3f}); usage on chain: "
          f"{usage['paid_requests']} paid, {usage['free_requests']} free, revenue {usage['revenue_wei']} wei, "
          f"emission to creators {usage['emission_wei']} wei", flush=True)
    return 0


def probe_main(args) -> int:
    import threading

    from hosting.probe import ProbeDuty
    try:
        key = load_private_key(args)
    except (KeystoreError, OSError) as error:
        print(f"flockchain market probe: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    ProbeDuty(args.rpc, key, args.probe_seconds).run(stop)
    return 0
