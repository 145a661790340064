"""`flockchain node` (one networked node) and `flockchain testnet` (N validators on this machine).

    flockchain node --chain genesis/local.json (--key KEYSTORE [--password-file F] | --dev-key I)
                    --data-dir DIR [--rpc-port 8545] [--p2p-port 30333] [--bootnodes URL ...]
    flockchain testnet -n N [--base-port 8545] [--p2p-base-port 30333] [--data-dir DIR] [--slot-duration MS]
                       [--restart]
"""

import argparse
import asyncio
import json
import logging
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

from chain.blobs import BlobStore
from chain.bridge.relayer import start_duty
from chain.composition import RUNTIME_VERSIONS
from chain.db import DataDirError
from chain.finality import FinalityConfig
from chain.keystore import decrypt
from chain.devkeys import derive_key
from chain.network import NetworkConfig
from chain.node import Node
from chain.service import NodeService, ServiceConfig
from genesis.builder import ChainSpecError, load_spec
from runtime.versions import RuntimeVersions
from genesis.local import DERIVATION_PATH, TEST_MNEMONIC, build_dev_local_spec, local_boot_nodes
from rpc.errors import invalid_params
from rpc.params import DATA, ParamType, to_checksum
from rpc.registry import Param, Registry
from rpc.server import REGISTRIES, RpcContext, RpcServer
from rpc.subscriptions import EventHub
from rpc.web_policy import WebPolicy

from . import market_cli
from .arena_cli import ArenaDuty, add_duty_arguments
from .key_cli import read_password
from .signals import freeze_startup_objects, until_stopped
from .web_options import add_web_policy_arguments, web_policy_from_args

HALTED = 3
"""Exit status of a node that stopped because the chain needs a runtime version it does not ship."""

BACKOFF_FIRST = 1.0
BACKOFF_CAP = 30.0
STABLE_SECONDS = 60.0
"""`testnet --restart`: a node that keeps crashing is retried ever more slowly, so a persistent fault (a taken
port, a corrupt data dir) does not spin; one that ran this long before exiting counts as healthy again."""
FINAL_EXITS = (2, HALTED)
"""Exits a restart cannot mend (a refused configuration; a runtime this node lacks), as the systemd unit's
RestartPreventExitStatus."""


def add_runtime_arguments(parser) -> None:
    parser.add_argument("--max-spec-version", type=int, metavar="N",
                        help="run as a release of this node that ships runtime versions up to N only "
                             "(to rehearse an upgrade: the node stops at the block that needs a later one)")


def runtime_versions(args) -> RuntimeVersions:
    if args.max_spec_version is None:
        return RUNTIME_VERSIONS
    try:
        return RUNTIME_VERSIONS.up_to(args.max_spec_version)
    except ValueError:
        raise ValueError(f"--max-spec-version {args.max_spec_version}: this node ships versions "
                         f"{RUNTIME_VERSIONS.runtimes[0].spec_version} to {RUNTIME_VERSIONS.latest.spec_version}") \
            from None


def report_halt(command: str, halted) -> int:
    """The one line an operator needs when the chain has moved to a runtime this node lacks."""
    if halted is None:
        return 0
    print(f"{command}: {halted}", file=sys.stderr, flush=True)
    return HALTED


def add_node_parser(commands) -> None:
    node = commands.add_parser("node", help="a networked node (a validator when its key is in the authority set)")
    node.add_argument("--chain", required=True, help="chain spec name or path, e.g. genesis/local.json")
    keys = node.add_mutually_exclusive_group(required=True)
    keys.add_argument("--key", help="the validator's encrypted keystore (JSON, as geth and web3 write it)")
    keys.add_argument("--dev-key", type=int, metavar="INDEX",
                      help="the test mnemonic's key INDEX (local test networks only: everyone knows these keys)")
    node.add_argument("--password-file", help="file holding the keystore's password (default: ask)")
    node.add_argument("--data-dir", required=True)
    node.add_argument("--rpc-host", default="127.0.0.1")
    node.add_argument("--rpc-port", type=int, default=8545)
    node.add_argument("--p2p-host", default="127.0.0.1")
    node.add_argument("--p2p-port", type=int, default=30333)
    node.add_argument("--bootnodes", nargs="*", default=None, metavar="URL",
                      help="peers to dial (ws://HOST:PORT/p2p); default: the chain spec's bootNodes")
    node.add_argument("--max-peers", type=int, default=25)
    node.add_argument("--no-author", action="store_true", help="follow and serve the chain, never author or vote")
    node.add_argument("--base-rpc", metavar="URL",
                      help="run the bridge duty (attest Base blocks, sign withdrawals, relay) against this Base endpoint")
    add_web_policy_arguments(node)
    node.add_argument("--test-equivocate", action="store_true", help=argparse.SUPPRESS)
    node.add_argument("--test-controls", action="store_true", help=argparse.SUPPRESS)
    add_runtime_arguments(node)
    add_duty_arguments(node, dev=False)
    market_cli.add_probe_arguments(node, dev=False)
    node.add_argument("--log-level", default="INFO")


def add_testnet_parser(commands) -> None:
    testnet = commands.add_parser("testnet", help="N validator nodes on this machine, each its own process; "
                                                  "a node that exits is reported and the rest keep running")
    testnet.add_argument("-n", "--nodes", type=int, default=4)
    testnet.add_argument("--base-port", type=int, default=8545, help="node i serves JSON-RPC on BASE + i")
    testnet.add_argument("--p2p-base-port", type=int, default=30333, help="node i listens for peers on BASE + i")
    testnet.add_argument("--data-dir", help="keep the nodes' data here (default: a fresh temporary directory)")
    testnet.add_argument("--slot-duration", type=int, default=1000, metavar="MS")
    testnet.add_argument("--restart", action="store_true",
                         help=f"restart a node that exits, on its own data dir, after {BACKOFF_FIRST:g} s, doubling "
                              f"up to {BACKOFF_CAP:g} s while it keeps failing (reset once it stays up "
                              f"{STABLE_SECONDS:g} s)")
    testnet.add_argument("--log-level", default="INFO")


def load_key(args) -> bytes:
    if args.dev_key is not None:
        return derive_key(TEST_MNEMONIC, DERIVATION_PATH.format(index=args.dev_key)).private_key
    password = read_password(args.password_file, f"password for {args.key}: ", confirm=False)
    return decrypt(Path(args.key), password)


def parse_peer_ids(value) -> list[bytes]:
    if not isinstance(value, list) or len(value) > 1_000:
        raise invalid_params("peerIds must be a list of at most 1000 peer ids")
    return [DATA.parse(item, "peer id") for item in value]


PEER_IDS = ParamType("peerIds", parse_peer_ids, {"type": "array", "items": DATA.schema})


def test_controls(service: NodeService) -> Registry:
    """Test-only methods (`--test-controls`): cut this node off from some peers to simulate a partition."""
    registry = Registry()

    @registry.method("test_blockPeers", (Param("peerIds", PEER_IDS),), "null")
    def block_peers(ctx, peer_ids):
        """Disconnect these peers (system_localPeerId values) and refuse them until the next call; [] heals."""
        service.network.set_blocked(set(peer_ids))
        return None
    return registry


async def run_node(args, policy: WebPolicy, key: bytes) -> None:
    spec = load_spec(args.chain)
    node = Node(runtime_versions(args), spec, args.data_dir, authority_key=key)
    try:
        blobs = BlobStore(Path(args.data_dir) / "blobs")
        bootnodes = tuple(spec.get("bootNodes", ()) if args.bootnodes is None else args.bootnodes)
        service = NodeService(node, key, ServiceConfig(
            NetworkConfig(host=args.p2p_host, port=args.p2p_port, bootnodes=bootnodes, max_peers=args.max_peers,
                          rpc_url=f"http://{args.rpc_host}:{args.rpc_port}"),
            FinalityConfig(equivocate=args.test_equivocate), author=not args.no_author,
            equivocate=args.test_equivocate), blobs)
        hub = EventHub(node)
        node.tree.block_listeners.append(lambda outcome: hub.publish_block(outcome.block))
        node.tree.retract_listeners.append(hub.publish_retracted)
        service.pending_listeners.append(hub.publish_pending)
        context = RpcContext(node, on_transaction=service.submit_local_transaction, hub=hub, network=service)
        registries = REGISTRIES + ((test_controls(service),) if args.test_controls else ())
        server = RpcServer(context, registries, blobs=blobs, policy=policy)
        runner = web.AppRunner(server.app(), access_log=None)
        await runner.setup()
        duty = arena_duty = probe_duty = None
        try:
            await web.TCPSite(runner, args.rpc_host, args.rpc_port).start()
            await service.start()
            voters = node.api.authorities_for_slot(node.state(), node.head.slot + 1)
            role = "validator" if service.address in voters and not args.no_author else "full node"
            print(f"flockchain node ({role} {to_checksum(service.address)}) chain {spec.get('name')} "
                  f"#{node.head.number}; JSON-RPC http://{args.rpc_host}:{args.rpc_port}; "
                  f"p2p {service.network.local_url}; peer id {service.local_peer_id()}", flush=True)
            if args.base_rpc:
                duty = start_duty(f"http://127.0.0.1:{args.rpc_port}", args.base_rpc, key)
            if args.arena:
                arena_duty = ArenaDuty(f"http://127.0.0.1:{args.rpc_port}", key,
                                       Path(args.data_dir) / "arena-duty.log", args.arena_device)
            if args.market_probe:
                probe_duty = market_cli.start_probe(f"http://127.0.0.1:{args.rpc_port}", key)
            freeze_startup_objects()
            await until_stopped(service.halted)
        finally:
            await market_cli.stop_probe(probe_duty)
            if arena_duty is not None:
                await asyncio.to_thread(arena_duty.stop)
            if duty is not None:
                duty[1].set()
                await asyncio.to_thread(duty[0].join, 10)
            await service.stop()
            await runner.cleanup()
    finally:
        node.close()
    return node.tree.halted


def node_main(args) -> int:
    """Exit 2 for a configuration this node refuses (spec, key, password, data dir, flags): restarting cannot
    help. A failure of the machine (a port taken, a disk error) exits 1, which a supervisor may retry."""
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        key = load_key(args)
        halted = asyncio.run(run_node(args, web_policy_from_args(args, args.rpc_host), key))
    except (ChainSpecError, DataDirError, ValueError) as error:
        print(f"flockchain node: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"flockchain node: {error}", file=sys.stderr)
        return 1
    return report_halt("flockchain node", halted)


def exit_reason(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    if returncode == HALTED:
        return f"exit status {HALTED} (halted: the chain needs a runtime version it does not ship)"
    return f"exit status {returncode}"


def stop_with_parent() -> None:
    """In a node's child process before exec (Linux): SIGTERM it when the testnet process dies, even by
    SIGKILL, so no node outlives its supervisor. Elsewhere, Ctrl-C and SIGTERM still stop every node."""
    if sys.platform.startswith("linux"):
        import ctypes
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class SupervisedNode:
    """One validator process of `flockchain testnet`: started, watched and (with --restart) started again with
    the same command line, so it resumes from its own data dir. `failures` counts exits in a row without
    STABLE_SECONDS of uptime between them; it numbers the restart attempt and sets its back-off."""

    def __init__(self, index: int, command: list[str], log_path: Path):
        self.index = index
        self.command = command
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.failures = 0
        self.backoff = 0.0
        self.restart_at: float | None = None
        self._log = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def start(self) -> None:
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True, preexec_fn=stop_with_parent)
        self.started_at = time.monotonic()
        self.restart_at = None

    def reap(self) -> str | None:
        """Why the process has just exited; None while it runs, and once its exit has been reported."""
        if not self.running or self.process.poll() is None:
            return None
        self._close_log()
        return exit_reason(self.process.returncode)

    def schedule_restart(self, now: float) -> None:
        if now - self.started_at >= STABLE_SECONDS:
            self.failures = 0
        self.backoff = min(BACKOFF_FIRST * 2 ** self.failures, BACKOFF_CAP)
        self.failures += 1
        self.restart_at = now + self.backoff

    def restart_due(self, now: float) -> bool:
        return self.restart_at is not None and now >= self.restart_at

    def terminate(self) -> None:
        """Ask the process to stop and cancel any pending restart."""
        self.restart_at = None
        if self.running:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, deadline: float) -> None:
        """Reap the process by `deadline`, killing it if it is still up then."""
        if self.process is not None:
            try:
                self.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def supervise(nodes: list[SupervisedNode], restart: bool, stopping) -> bool:
    """Watch the nodes until `stopping()`; report each exit, and restart exited nodes when `restart` is set
    (not after one of FINAL_EXITS). Returns False when every node has exited and none will restart."""
    while not stopping():
        now = time.monotonic()
        for node in nodes:
            reason = node.reap()
            if reason is not None:
                print(f"flockchain testnet: node {node.index} exited: {reason} (see {node.log_path})",
                      file=sys.stderr, flush=True)
                if restart and node.process.returncode not in FINAL_EXITS:
                    node.schedule_restart(now)
            elif node.restart_due(now):
                node.start()
                print(f"flockchain testnet: node {node.index} restarted (attempt {node.failures}, "
                      f"after {node.backoff:g} s)", file=sys.stderr, flush=True)
        if not any(node.running or node.restart_at is not None for node in nodes):
            return False
        time.sleep(0.2)
    return True


def node_command(args, spec_path: Path, root: Path, p2p: list[str], i: int) -> list[str]:
    return [sys.executable, "-m", "flockchain", "node", "--chain", str(spec_path), "--dev-key", str(i),
            "--data-dir", str(root / f"node{i}"), "--rpc-port", str(args.base_port + i),
            "--p2p-port", str(args.p2p_base_port + i), "--log-level", args.log_level,
            "--bootnodes", *[url for j, url in enumerate(p2p) if j != i]]


def testnet_main(args) -> int:
    """Write a chain spec for N validators (the test mnemonic's keys 0..N-1, the rest of its first ten
    accounts funded; for N = 4 and the default ports it is genesis/local.json), start one `flockchain
    node` process per validator, print their URLs, and stop them all on Ctrl-C or SIGTERM. A node that
    exits is reported and the others keep running (a BFT network survives a minority down); with
    --restart it is started again."""
    if args.nodes < 1:
        print("flockchain testnet: -n must be at least 1", file=sys.stderr)
        return 2
    root = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="flockchain-testnet-"))
    root.mkdir(parents=True, exist_ok=True)
    spec_path = root / "local.json"
    spec = build_dev_local_spec(args.nodes, slot_duration_ms=args.slot_duration,
                                boot_nodes=local_boot_nodes(args.nodes, args.p2p_base_port))
    if spec_path.exists() and json.loads(spec_path.read_text()) != spec:
        print(f"flockchain testnet: {spec_path} holds another network (other validators or slot duration); "
              f"use another --data-dir", file=sys.stderr)
        return 2
    spec_path.write_text(json.dumps(spec, indent=2) + "\n")
    p2p = spec["bootNodes"]
    nodes = [SupervisedNode(i, node_command(args, spec_path, root, p2p, i), root / f"node{i}.log")
             for i in range(args.nodes)]
    stop = {"now": False}

    def request_stop(*_):
        stop["now"] = True
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    alive = True
    try:
        for node in nodes:
            node.start()
        print(f"flockchain testnet: {args.nodes} validators, chain spec {spec_path}, logs in {root}/node*.log")
        for i in range(args.nodes):
            print(f"  node {i}: JSON-RPC http://127.0.0.1:{args.base_port + i}  p2p {p2p[i]}")
        sys.stdout.flush()
        alive = supervise(nodes, args.restart, lambda: stop["now"])
        if not alive:
            print("flockchain testnet: every node has exited; stopping", file=sys.stderr)
    finally:
        for node in nodes:
            node.terminate()
        deadline = time.monotonic() + 10
        for node in nodes:
            node.wait(deadline)
        if not args.data_dir:
            shutil.rmtree(root, ignore_errors=True)
    return 0 if alive else 1
