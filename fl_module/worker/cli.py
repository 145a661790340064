"""The worker's and the demo's command lines (`flockchain worker`, `flockchain demo alliance`).

Kept apart from flockchain/cli.py so a worker process never imports the node; torch is
imported only when a command runs.
"""

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

ATTACKS = ("sign-flip", "label-flip", "noise", "free-rider", "lazy-voter", "alie", "scaled", "malformed-blob",
           "missing-blob", "nan")
"""attacks.ATTACKS, spelled out so that parsing a command line imports no torch (a test checks they agree)."""


def add_worker_parser(commands) -> None:
    worker = commands.add_parser("worker", help="one FL Alliance participant: follows a node, trains, votes")
    worker.add_argument("--rpc", default="http://127.0.0.1:8545", help="the node's JSON-RPC URL (WebSocket on the same port)")
    worker.add_argument("--key", required=True, help="the participant's private key (hex)")
    worker.add_argument("--task", type=int, required=True)
    data = worker.add_mutually_exclusive_group(required=True)
    data.add_argument("--data", help=".npz with train_x, train_y, val_x, val_y")
    data.add_argument("--flower-client", metavar="MODULE:ATTRIBUTE",
                      help="a Flower NumPyClient (or a callable returning one) that trains and scores on its own data")
    worker.add_argument("--state-dir", required=True, help="where the secrets of open commitments are kept")
    worker.add_argument("--attack", choices=ATTACKS, help="behave maliciously (for demos and tests)")
    worker.add_argument("--colluders", default="", help="with --attack: comma-separated addresses to vote for")
    worker.add_argument("--stake", type=int, default=3_000, help="FLOCK to bond if not bonded (default 3000)")
    worker.add_argument("--seed", type=int, default=0)
    worker.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    worker.add_argument("--pace", type=float, default=0.0, metavar="SECONDS",
                        help="wait this long before training each round's update (for watching a demo)")
    worker.add_argument("--log-level", default="INFO")


def add_sample_parser(commands) -> None:
    sample = commands.add_parser("sample", help="the sample FL task `flockchain dev` runs (four hospitals on diabetes)")
    sample.add_argument("--rpc", default="http://127.0.0.1:8545")
    sample.add_argument("--dir", required=True, help="the hospitals' data, secrets and logs")
    sample.add_argument("--parent", type=int, help="stop when the process with this pid (the node) is gone")
    sample.add_argument("--log-level", default="INFO")


def run_sample(args) -> int:
    from . import sample
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sample.run(args.rpc, Path(args.dir), args.parent)
    return 0


def add_scenario_arguments(parser, participants: int, malicious: int, attack: str, rounds: int, dataset: str,
                           out: str) -> None:
    """What an Alliance demo or simulation runs: who takes part, the attack, the data, where the summary goes."""
    parser.add_argument("--participants", type=int, default=participants)
    parser.add_argument("--malicious", type=int, default=malicious)
    parser.add_argument("--attack", choices=ATTACKS + ("none",), default=attack)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--dataset", choices=("diabetes", "digits", "wine", "breast_cancer"), default=dataset)
    parser.add_argument("--collude", action="store_true",
                        help="malicious voters score each other 0 (perfect) and honest updates unusable")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=out, help="directory for summary.json and loss.png")


def add_demo_parser(commands):
    """The `demo` command with its `alliance` kind; returns the kinds, for other packages' demos."""
    demo = commands.add_parser("demo", help="runnable demonstrations")
    kinds = demo.add_subparsers(dest="demo", required=True)
    alliance = kinds.add_parser("alliance", help="an FL Alliance task end to end on a dev chain with worker processes")
    add_scenario_arguments(alliance, participants=8, malicious=2, attack="sign-flip", rounds=10, dataset="diabetes",
                           out="demo-out")
    alliance.add_argument("--compare", action="store_true", help="also run fedavg, median, trimmed_mean, multikrum")
    alliance.add_argument("--peer-review", action="store_true",
                          help="every participant proposes each round and scores the others' updates (0 voters)")
    alliance.add_argument("--flower-client", metavar="MODULE:ATTRIBUTE",
                          help="a Flower NumPyClient some honest participants run instead of the built-in trainer")
    alliance.add_argument("--flower-participants", type=int, default=0,
                          help="with --flower-client: how many honest participants run it (default 0)")
    return kinds


def add_simulate_parser(commands) -> None:
    simulate = commands.add_parser("simulate", help="simulations at scale against a real node")
    kinds = simulate.add_subparsers(dest="simulation", required=True)
    alliance = kinds.add_parser("alliance", help="an FL Alliance task with hundreds of participants as Ray actors")
    add_scenario_arguments(alliance, participants=200, malicious=0, attack="none", rounds=5, dataset="digits",
                           out="simulate-out")
    alliance.add_argument("--ray-address", metavar="ADDR",
                          help="an existing Ray cluster (default: start a local Ray for this run)")
    alliance.add_argument("--actors", type=int, help="Ray actors hosting the participants (default: one per CPU)")
    alliance.add_argument("--node-host", default="127.0.0.1", metavar="ADDRESS",
                          help="where the dev node listens: an address of this machine a cluster's other machines "
                               "reach (default: loopback, for actors on this machine)")
    alliance.add_argument("--block-time", type=float, default=0.5, metavar="SECONDS")
    alliance.add_argument("--samples", type=int, metavar="N",
                          help="samples per participant where shares must overlap (default: a 10-participant share)")


def run_simulate(args) -> int:
    if args.participants < 2 or not 0 <= args.malicious < args.participants or args.rounds < 1 \
            or (args.actors is not None and args.actors < 1) or args.block_time <= 0 \
            or (args.samples is not None and args.samples < 2):
        print("flockchain simulate: need ≥ 2 participants, 0 ≤ malicious < participants, ≥ 1 round, ≥ 1 actor, "
              "a positive block time, ≥ 2 samples", file=sys.stderr)
        return 2
    from . import simulate
    summary = simulate.run(args.dataset, args.participants, args.malicious, args.attack, args.rounds, args.collude,
                           args.seed, Path(args.out), args.ray_address, args.actors, args.block_time, args.samples,
                           args.node_host)
    print(f"{simulate.main_line(summary)}; wrote {args.out}/summary.json and {args.out}/loss.png")
    return 0


def run_worker(args) -> int:
    from .agent import Worker, WorkerConfig
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    colluders = tuple(a for a in args.colluders.split(",") if a)
    config = WorkerConfig(url=args.rpc, private_key=args.key, task=args.task, data=args.data, state_dir=args.state_dir,
                          attack=args.attack, colluders=colluders, stake=args.stake * 10**18, seed=args.seed,
                          threads=args.threads, flower_client=args.flower_client, pace=args.pace)
    from .flower import FlowerClientError
    try:
        asyncio.run(Worker(config).run())
    except KeyboardInterrupt:
        return 130
    except FlowerClientError as error:
        print(f"flockchain worker: {error}", file=sys.stderr)
        return 2
    return 0


def run_demo(args) -> int:
    from . import demo
    if args.participants < 2 or not 0 <= args.malicious < args.participants or args.rounds < 1:
        print("flockchain demo: need ≥ 2 participants, 0 ≤ malicious < participants, ≥ 1 round", file=sys.stderr)
        return 2
    summary = demo.run(args.dataset, args.participants, args.malicious, args.attack, args.rounds, args.collude,
                       args.seed, Path(args.out), args.compare, flower_client=args.flower_client,
                       flower_participants=args.flower_participants if args.flower_client else 0,
                       peer_review=args.peer_review)
    figure = f"final test loss {summary['final_test_loss']:.4f}"
    if summary["final_test_accuracy"] is not None:
        figure += f", accuracy {summary['final_test_accuracy']:.3f}"
    print(f"{figure}; slashed {len(summary['slashed'])} ({summary['honest_slashed']} honest) "
          f"in {summary['seconds']} s; wrote {args.out}/summary.json and {args.out}/loss.png")
    for rule, result in summary.get("baselines", {}).items():
        accuracy = result["final_test_accuracy"]
        print(f"  {rule:<13} test loss {result['final_test_loss']:.4f}" +
              (f", accuracy {accuracy:.3f}" if accuracy is not None else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fl_module.worker")
    commands = parser.add_subparsers(dest="command", required=True)
    add_worker_parser(commands)
    add_demo_parser(commands)
    add_sample_parser(commands)
    add_simulate_parser(commands)
    args = parser.parse_args(argv)
    return {"worker": run_worker, "demo": run_demo, "sample": run_sample, "simulate": run_simulate}[args.command](args)
