"""`flockchain` — command-line entry point.

    flockchain dev [--port 8545] [--host 127.0.0.1] [--data-dir DIR] [--block-time S] [--gas-limit N] [--cors ORIGIN]
                   [--vhosts NAME] [--blob-peers URL] [--max-blob-size BYTES] [--blob-store-limit BYTES] [--blob-retention-rounds N]
                   [--no-sample-task]
    flockchain node --chain genesis/local.json (--key KEYSTORE | --dev-key I) --data-dir DIR [--rpc-port P] [--arena] ...
    flockchain testnet -n N [--base-port 8545] [--data-dir DIR] [--restart]
    flockchain abi [MODULE]
    flockchain build-spec [--chain dev]
    flockchain key new|import FILE|list|inspect KEYSTORE [--keystore-dir DIR] [--password-file F]
    flockchain worker --key KEY --task N --data FILE --state-dir DIR [--rpc URL] [--attack A]
    flockchain arena validate|train --rpc URL (--key-file F | --keystore K) ...
    flockchain demo arena [--trainers 8] [--validators 6] [--lazy-validators 2] [--dataset digits] [--out DIR]
    flockchain demo alliance [--participants 8] [--malicious 2] [--attack sign-flip] [--rounds 10]
                             [--dataset diabetes|digits] [--collude] [--seed N] [--out DIR] [--compare]
    flockchain simulate alliance [--participants 200] [--rounds 5] [--ray-address ADDR] [--actors N]
                                 [--attack A --malicious M] [--dataset digits] [--out DIR]
"""

import argparse
import asyncio
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

from chain.authoring import DevAuthor
from chain.bridge.relayer import start_duty
from chain.blobs import DEFAULT_MAX_BLOB_SIZE, DEFAULT_MAX_TOTAL_SIZE, DEFAULT_RETENTION_ROUNDS, BlobStore
from chain.composition import RUNTIME_VERSIONS
from chain.db import DataDirError
from chain.devkeys import dev_keys
from chain.node import Node
from fl_module.worker import cli as worker_cli
from genesis.builder import ChainSpecError, load_spec
from rpc import devnet
from rpc.flock import describe_modules
from rpc.params import to_checksum
from rpc.server import REGISTRIES, RpcContext, RpcServer
from rpc.subscriptions import EventHub
from runtime.api import compute_metadata
from runtime.modules.balances import UNIT
from runtime.versions import UnknownRuntimeVersion

from rpc.web_policy import WebPolicy, WebPolicyError

from . import arena_cli, base_cli, key_cli, market_cli, network_cli, relayer_cli
from .signals import freeze_startup_objects, until_stopped
from .web_options import add_web_policy_arguments, describe_web_policy, web_policy_from_args


def print_banner(node: Node, accounts, url: str, data_dir: str, block_time, policy: WebPolicy) -> None:
    lines = ["", "flockchain dev", "==============", "", "Available Accounts", "=================="]
    for i, key in enumerate(accounts):
        lines.append(f"({i}) {to_checksum(key.address)} ({node.balance_of(key.address) // UNIT} FLOCK)")
    lines += ["", "Private Keys", "=================="]
    lines += [f"({i}) 0x{key.private_key.hex()}" for i, key in enumerate(accounts)]
    mnemonic = node.spec.get("devAccounts", {}).get("mnemonic")
    if mnemonic:
        lines += ["", "Wallet", "==================", f"Mnemonic:          {mnemonic}",
                  "Derivation path:   m/44'/60'/0'/0/"]
    lines += ["", f"Chain ID:          {node.chain_id}", f"Genesis hash:      0x{node.genesis_hash.hex()}",
              f"Head block:        #{node.head.number}", f"Data dir:          {data_dir}",
              f"Sealing:           {'every %ss' % block_time if block_time else 'instant (a block per batch of transactions)'}",
              f"Block gas limit:   {node.head.gas_limit:,}",
              f"Browsers:          {describe_web_policy(policy)}", "", f"Explorer:          {url}/",
              f"Listening on {url}", ""]
    print("\n".join(lines), flush=True)


async def serve_dev(args, policy: WebPolicy):
    spec = load_spec(args.chain)
    if args.gas_limit is not None:
        spec["genesis"]["runtime"]["system"]["blockGasLimit"] = args.gas_limit
    accounts, authority = dev_keys(spec)
    if authority is None:
        raise ChainSpecError("the chain spec has no dev authority (devAccounts.authorityIndex)")
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="flockchain-dev-")
    try:
        return await run_dev_node(args, spec, accounts, authority, data_dir, policy)
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


def open_blob_store(args, data_dir: str) -> BlobStore:
    """The blob store in `<data-dir>/blobs`, opened after the chain database so that a data dir in use by
    another node is refused before this one touches (and tidies) that node's blobs."""
    directory = Path(data_dir) / "blobs"
    try:
        return BlobStore(directory, args.max_blob_size, args.blob_store_limit, peers=tuple(args.blob_peers),
                         retention_rounds=args.blob_retention_rounds)
    except OSError as error:
        raise DataDirError(f"cannot open the blob store in {directory}: {error}") from None


def blob_pruner(node: Node, blobs: BlobStore):
    """A block listener: when an FL task's round moves on, drop its blobs older than the retention."""
    rounds: dict[int, int] = {}

    def prune(outcome) -> None:
        state = node.state()
        for task in node.api.view(state, "fl_alliance", "activeTasks")[0]:
            current = node.api.query(state, "fl_alliance", "progress", task).round
            if rounds.get(task) != current:
                rounds[task] = current
                blobs.prune(task, current)
    return prune


async def run_dev_node(args, spec, accounts, authority, data_dir: str, policy: WebPolicy):
    """Serve until stopped; returns why the chain halted (UnknownRuntimeVersion), or None."""
    node = Node(network_cli.runtime_versions(args), spec, data_dir, authority_key=authority.private_key,
                instant_finality=True)
    try:
        blobs = open_blob_store(args, data_dir)
    except BaseException:
        node.close()
        raise
    hub = EventHub(node)
    halted = asyncio.Event()
    node.tree.halt_listeners.append(lambda error: halted.set())
    node.tree.block_listeners.append(blob_pruner(node, blobs))
    author = DevAuthor(node.builder, block_time=args.block_time,
                       on_block=lambda outcome: hub.publish_block(outcome.block))
    context = RpcContext(node, dev=True, hub=hub, dev_keys={key.address: key.private_key for key in accounts})
    server = RpcServer(context, REGISTRIES + (devnet.registry,), blobs=blobs, policy=policy)
    runner = web.AppRunner(server.app(), access_log=None)
    duty = arena_duty = probe_duty = sample = None
    try:
        await runner.setup()
        await web.TCPSite(runner, args.host, args.port).start()
        author.start()
        print_banner(node, accounts, f"http://{args.host}:{args.port}", data_dir, args.block_time, policy)
        if args.base_rpc:
            duty = start_duty(f"http://127.0.0.1:{args.port}", args.base_rpc, authority.private_key)
            print(f"Bridge duty:       relaying with {args.base_rpc} as the dev authority", flush=True)
        if args.arena_dev_key is not None:
            validator = accounts[args.arena_dev_key]
            arena_duty = arena_cli.ArenaDuty(f"http://127.0.0.1:{args.port}", validator.private_key,
                                             Path(data_dir) / "arena-duty.log", args.arena_device)
            print(f"Arena duty:        validating as {to_checksum(validator.address)} (log {data_dir}/arena-duty.log)",
                  flush=True)
        if not args.no_sample_task:
            sample = start_sample_task(f"http://127.0.0.1:{args.port}", Path(data_dir) / "sample-task")
            print(f"Sample FL task:    {SAMPLE_DESCRIPTION} (log {data_dir}/sample-task/sample.log; "
                  f"--no-sample-task turns it off)", flush=True)
        if args.market_probe is not None:
            prober = accounts[args.market_probe]
            probe_duty = market_cli.start_probe(f"http://127.0.0.1:{args.port}", prober.private_key)
            print(f"Market probe duty: probing Marketplace hosts as {to_checksum(prober.address)}", flush=True)
        freeze_startup_objects()
        await until_stopped(halted)
    finally:
        try:
            await asyncio.to_thread(stop_sample_task, sample)
        except OSError as error:
            print(f"flockchain dev: could not stop the sample task: {error}", file=sys.stderr)
        await market_cli.stop_probe(probe_duty)
        if arena_duty is not None:
            await asyncio.to_thread(arena_duty.stop)
        if duty is not None:
            duty[1].set()
            await asyncio.to_thread(duty[0].join, 10)
        await author.stop()
        await runner.cleanup()
        node.close()
    return node.tree.halted


SAMPLE_DESCRIPTION = "4 hospitals train a linear model on diabetes, a round every few seconds"


def start_sample_task(url: str, directory: Path) -> subprocess.Popen:
    """fl_module/worker/sample.py in a process group of its own, with its hospitals' worker processes."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "sample.log", "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "fl_module.worker", "sample", "--rpc", url, "--dir",
                                 str(directory), "--parent", str(os.getpid())],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def stop_sample_task(process: subprocess.Popen | None) -> None:
    """SIGTERM to its whole process group (its workers too, even where the sample process itself died), then
    SIGKILL to whatever is left."""
    if process is None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        pass
    time.sleep(0.5)  # the workers were signalled with it
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(5)


def print_abi(module: str | None, spec_version: int | None) -> int:
    try:
        runtime = RUNTIME_VERSIONS.latest if spec_version is None else RUNTIME_VERSIONS.get(spec_version)
    except UnknownRuntimeVersion as error:
        print(f"flockchain: no runtime spec_version {error.needed}; this node ships up to {error.known}",
              file=sys.stderr)
        return 2
    modules = describe_modules(compute_metadata(runtime))
    if module is not None:
        chosen = [m for m in modules if m["name"] == module]
        if not chosen:
            print(f"flockchain: no module {module!r}; modules: {', '.join(m['name'] for m in modules)}", file=sys.stderr)
            return 2
        print(json.dumps(chosen[0]["abi"], indent=2))
        return 0
    print(json.dumps(modules, indent=2))
    return 0


MIN_GAS_LIMIT = 21_000
PYTHON_RECURSION_LIMIT = 1000
"""py_ecc (imported by eth-account) raises the limit to 100,000 process-wide, deep enough
for hostile nested JSON or RLP to overflow the C stack; the node needs no deep recursion."""


def main(argv: list[str] | None = None) -> int:
    sys.setrecursionlimit(PYTHON_RECURSION_LIMIT)
    parser = argparse.ArgumentParser(prog="flockchain", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dev = commands.add_parser("dev", help="a single-node development chain with funded dev accounts (like anvil)")
    dev.add_argument("--port", type=int, default=8545)
    dev.add_argument("--host", default="127.0.0.1", help="address to bind the JSON-RPC server (default loopback only)")
    dev.add_argument("--data-dir", help="keep the chain here (default: a fresh temporary directory)")
    dev.add_argument("--block-time", type=float, help="seal a block every S seconds instead of on each transaction")
    dev.add_argument("--chain", default="dev", help="chain spec name or path (default: dev)")
    dev.add_argument("--gas-limit", type=int, metavar="N",
                     help="the block gas limit (anvil's flag; default: the chain spec's, 30,000,000 for dev)")
    add_web_policy_arguments(dev, signing=True)
    dev.add_argument("--blob-peers", action="append", default=[], metavar="URL",
                     help="fetch blobs missing here from this node's HTTP endpoint, e.g. http://127.0.0.1:8546 "
                          "(repeatable; asked in order)")
    dev.add_argument("--max-blob-size", type=int, default=DEFAULT_MAX_BLOB_SIZE, metavar="BYTES",
                     help=f"largest blob accepted or fetched (default {DEFAULT_MAX_BLOB_SIZE} = 16 MiB)")
    dev.add_argument("--blob-store-limit", type=int, default=DEFAULT_MAX_TOTAL_SIZE, metavar="BYTES",
                     help=f"total bytes of stored blobs; the oldest untagged are evicted to stay under it "
                          f"(default {DEFAULT_MAX_TOTAL_SIZE} = 1 GiB)")
    dev.add_argument("--blob-retention-rounds", type=int, default=DEFAULT_RETENTION_ROUNDS, metavar="N",
                     help=f"rounds a task's blobs are kept after their round (default {DEFAULT_RETENTION_ROUNDS})")
    dev.add_argument("--base-rpc", metavar="URL",
                     help="run the bridge's validator and relayer duty against this Base JSON-RPC endpoint "
                          "(e.g. a `flockchain base-devnet`); the dev authority is the whole validator set")
    network_cli.add_runtime_arguments(dev)
    arena_cli.add_duty_arguments(dev, dev=True)
    market_cli.add_probe_arguments(dev, dev=True)
    dev.add_argument("--no-sample-task", action="store_true",
                     help="do not run the sample FL task (four built-in hospitals with their own accounts)")
    dev.add_argument("--log-level", default="WARNING")
    build_spec = commands.add_parser("build-spec", help="print a chain spec as JSON (as Substrate's build-spec), to "
                                                       "edit and start with --chain FILE")
    build_spec.add_argument("--chain", default="dev", help="chain spec name or path (default: dev)")
    abi = commands.add_parser("abi", help="print the runtime modules' {name, address, abi} JSON (as flock_modules)")
    abi.add_argument("module", nargs="?", help="only this module's ABI")
    abi.add_argument("--spec-version", type=int, metavar="N",
                     help="the modules of runtime version N (default: the newest this node ships; a chain "
                          "reports its own in state_getRuntimeVersion)")
    network_cli.add_node_parser(commands)
    network_cli.add_testnet_parser(commands)
    relayer_cli.add_relayer_parser(commands)
    key_cli.add_key_parser(commands)
    base_cli.add_base_devnet_parser(commands)
    worker_cli.add_worker_parser(commands)
    worker_cli.add_simulate_parser(commands)
    demos = worker_cli.add_demo_parser(commands)
    arena_cli.add_arena_demo_parser(demos)
    market_cli.add_market_demo_parser(demos)
    arena_cli.add_arena_parser(commands)
    market_cli.add_host_parser(commands)
    market_cli.add_market_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "build-spec":
        try:
            print(json.dumps(load_spec(args.chain), indent=2))
        except ChainSpecError as error:
            print(f"flockchain: {error}", file=sys.stderr)
            return 2
        return 0
    if args.command == "abi":
        return print_abi(args.module, args.spec_version)
    if args.command == "node":
        return network_cli.node_main(args)
    if args.command == "testnet":
        return network_cli.testnet_main(args)
    if args.command == "key":
        return key_cli.key_main(args)
    if args.command == "relayer":
        return relayer_cli.relayer_main(args)
    if args.command == "base-devnet":
        return base_cli.base_devnet_main(args)
    if args.command == "worker":
        return worker_cli.run_worker(args)
    if args.command == "simulate":
        return worker_cli.run_simulate(args)
    if args.command == "demo":
        if args.demo == "market":
            return market_cli.demo_main(args)
        return arena_cli.run_demo(args) if args.demo == "arena" else worker_cli.run_demo(args)
    if args.command == "arena":
        return arena_cli.arena_main(args)
    if args.command == "host":
        return market_cli.host_main(args)
    if args.command == "market":
        return market_cli.market_main(args)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.block_time is not None and args.block_time <= 0:
        parser.error("--block-time must be positive")
    if args.gas_limit is not None and not MIN_GAS_LIMIT <= args.gas_limit < 2**63:
        parser.error(f"--gas-limit must be at least {MIN_GAS_LIMIT:,} (one transfer) and below 2^63")
    for option in ("max_blob_size", "blob_store_limit", "blob_retention_rounds"):
        if getattr(args, option) < 0:
            parser.error(f"--{option.replace('_', '-')} must not be negative")
    for option in ("arena_dev_key", "market_probe"):
        if getattr(args, option) is not None and not 0 <= getattr(args, option) <= 9:
            parser.error(f"--{option.replace('_dev_key', '').replace('_', '-')} takes a dev account index, 0 to 9")
    for peer in args.blob_peers:
        if not peer.startswith(("http://", "https://")):
            parser.error(f"--blob-peers takes an http:// or https:// URL, got {peer!r}")
    try:
        policy = web_policy_from_args(args, args.host)
    except WebPolicyError as error:
        parser.error(str(error))
    try:
        halted = asyncio.run(serve_dev(args, policy))
    except (ChainSpecError, DataDirError, ValueError) as error:
        print(f"flockchain: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"flockchain: cannot serve on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return network_cli.report_halt("flockchain dev", halted)


if __name__ == "__main__":
    sys.exit(main())
