"""`flockchain arena validate | train` and `flockchain demo arena`.

    flockchain arena validate --rpc URL (--key-file F | --keystore K [--password-file P]) [--mode honest]
    flockchain arena train --rpc URL (--key-file F | --keystore K [--password-file P]) --task N
                           [--data-fraction 1.0] [--epochs 10] [--seed 0] [--blob-rpc URL]
    flockchain demo arena [--trainers 8] [--validators 6] [--lazy-validators 2] [--colluding-validators 0]
                          [--dataset digits|diabetes|wine|breast_cancer] [--seed N] [--out DIR] [--then-alliance]
                          [--open]

A key comes from a file of 64 hex digits (`-` reads it from standard input) or an encrypted keystore,
never from the command line. torch is imported only when a command runs.
"""

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from chain.keystore import KeystoreError, decrypt

from .key_cli import read_password, read_private_key_file

MODES = ("honest", "lazy", "colluding")


def add_key_arguments(parser) -> None:
    keys = parser.add_mutually_exclusive_group(required=True)
    keys.add_argument("--key-file", help="file holding the private key as 64 hex digits ('-': standard input)")
    keys.add_argument("--keystore", help="encrypted V3 keystore (flockchain key new)")
    parser.add_argument("--password-file", help="with --keystore: file whose first line is the password")
    parser.add_argument("--rpc", default="http://127.0.0.1:8545", help="the node's JSON-RPC URL")
    parser.add_argument("--log-level", default="INFO")


def add_arena_parser(commands) -> None:
    arena = commands.add_parser("arena", help="AI Arena duties: score assigned models as a validator, or train and submit")
    actions = arena.add_subparsers(dest="arena_command", required=True)
    validate = actions.add_parser("validate", help="the validator duty: score assigned submissions, commit, reveal")
    add_key_arguments(validate)
    validate.add_argument("--mode", choices=MODES, default="honest",
                          help="honest; lazy (random losses) or colluding (favour one trainer) for demos and tests")
    validate.add_argument("--favour", metavar="ADDRESS", help="with --mode colluding: the trainer reported as best")
    validate.add_argument("--seed", type=int, default=0)
    validate.add_argument("--one-by-one", action="store_true", help="score models one at a time (reference path)")
    validate.add_argument("--device", help="torch device (default: cuda when present, else cpu)")
    validate.add_argument("--threads", type=int, default=1,
                          help="torch CPU threads for scoring (default 1: a node's other core stays free)")
    validate.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)
    train = actions.add_parser("train", help="train on a task's public data, commit, then reveal")
    add_key_arguments(train)
    train.add_argument("--task", type=int, required=True)
    train.add_argument("--data-fraction", type=float, default=1.0)
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--blob-rpc", metavar="URL",
                       help="upload the model through this node instead (in a blind task: not the node you submit to)")


def add_arena_demo_parser(kinds) -> None:
    demo = kinds.add_parser("arena", help="an AI Arena task end to end: trainers of different quality, validator "
                                          "processes (honest, lazy, colluding), leaderboard and payouts")
    demo.add_argument("--trainers", type=int, default=8)
    demo.add_argument("--validators", type=int, default=6)
    demo.add_argument("--lazy-validators", type=int, default=2)
    demo.add_argument("--colluding-validators", type=int, default=0)
    demo.add_argument("--dataset", choices=("digits", "diabetes", "wine", "breast_cancer"), default="digits")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--out", default="arena-demo-out", help="directory for summary.json and leaderboard.png")
    demo.add_argument("--then-alliance", action="store_true",
                      help="then refine the winner in an FL Alliance task on private data (arena.createAllianceTask)")
    demo.add_argument("--open", action="store_true",
                      help="an open task (submissions name their trainer) instead of the default blind one")


class ArenaDuty:
    """The validator duty a node runs for its own key (`--arena`): a child process the node starts once it
    serves JSON-RPC and stops with itself, so scoring (torch, possibly on the GPU) never holds the node's
    event loop. The key reaches it through a pipe, never a command line; its log is `arena-duty.log`."""

    def __init__(self, rpc_url: str, private_key: bytes, log_path: Path, device: str | None = None):
        import subprocess
        command = [sys.executable, "-m", "flockchain", "arena", "validate", "--rpc", rpc_url, "--key-file", "-",
                   "--exit-with-parent"]
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(command + (["--device", device] if device else []), stdin=subprocess.PIPE,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.process.stdin.write(private_key.hex().encode() + b"\n")
        self.process.stdin.close()

    def stop(self) -> None:
        import subprocess
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def add_duty_arguments(parser, dev: bool) -> None:
    if dev:
        parser.add_argument("--arena", type=int, metavar="INDEX", dest="arena_dev_key",
                            help="run the Arena validator duty in this node with dev account INDEX's key")
    else:
        parser.add_argument("--arena", action="store_true", help="run the Arena validator duty with this node's key")
    parser.add_argument("--arena-device", help="torch device for Arena scoring (default: cuda when present, else cpu)")


def load_private_key(args) -> str:
    if args.key_file is not None:
        if args.password_file is not None:
            raise KeystoreError("--password-file goes with --keystore, not with --key-file")
        return "0x" + read_private_key_file(args.key_file).hex()
    password = read_password(args.password_file, f"password for {args.keystore}: ", confirm=False)
    return "0x" + decrypt(Path(args.keystore), password).hex()


def arena_main(args) -> int:
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        key = load_private_key(args)
    except (KeystoreError, OSError) as error:
        print(f"flockchain arena: {error}", file=sys.stderr)
        return 2
    if args.arena_command == "validate":
        return validate(args, key)
    return train(args, key)


def validate(args, key: str) -> int:
    from arena.worker import validator
    if args.mode == "colluding" and not args.favour:
        print("flockchain arena: --mode colluding needs --favour ADDRESS", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    import torch
    torch.set_num_threads(max(1, args.threads))
    config = validator.ValidatorConfig(args.mode, args.favour, args.seed, not args.one_by_one, args.device)
    parent = os.getppid()
    orphaned = (lambda: os.getppid() != parent) if args.exit_with_parent else (lambda: False)
    validator.run(args.rpc, key, config, lambda: stop.is_set() or orphaned())
    return 0


def train(args, key: str) -> int:
    from eth_account import Account

    from arena.worker import datasets, trainer
    from fl_module.worker import tensors
    from fl_module.worker.demo import Rpc

    rpc, account = Rpc(args.rpc), Account.from_key(key)
    shown = rpc.call("flock_getArenaTask", hex(args.task))
    if shown is None or shown["phase"] != "submit":
        print(f"flockchain arena: task {args.task} is not taking submissions", file=sys.stderr)
        return 2
    ends = {name: int(value, 16) for name, value in shown["windowEnds"].items()}
    x, y = datasets.decode_dataset(rpc.get_blob(shown["trainingData"]), shown["model"])
    config = trainer.TrainerConfig(args.data_fraction, args.epochs, args.seed)
    submitter_type = trainer.BlindSubmitter if shown["blind"] else trainer.Submitter
    submitter = submitter_type(rpc, account, args.task, tensors.encode_model(
        trainer.train_model(shown["model"], x, y, config)), Rpc(args.blob_rpc) if args.blob_rpc else None)
    if all(t["address"].lower() != account.address.lower() for t in shown["trainers"]):
        if shown["blind"]:
            submitter.join()
        else:
            rpc.send(account, "arena", "join", args.task)
    if shown["blind"]:
        print(f"joined the ring of blind task {args.task}; committing after block {ends['register']}", flush=True)
        wait_until(rpc, ends["register"])
    submitter.commit()
    print(f"committed model {submitter.model_hash.hex()} to task {args.task}; revealing after block "
          f"{ends['submit']}", flush=True)
    wait_until(rpc, ends["submit"])
    submitter.reveal()
    print(f"revealed model 0x{submitter.model_hash.hex()}", flush=True)
    if shown["blind"]:
        print(f"claiming once the scores are final (block {ends['scoreReveal']})", flush=True)
        while (phase := rpc.call("flock_getArenaTask", hex(args.task))["phase"]) not in ("claim", "finished",
                                                                                         "cancelled"):
            time.sleep(0.5)
        if phase != "claim":
            print(f"task {args.task} is {phase}: too late to claim", file=sys.stderr)
            return 1
        index = submitter.claim()
        print("nothing to claim: the submission was not scored" if index is None else
              f"claimed submission {index}", flush=True)
    return 0


def wait_until(rpc, block: int) -> None:
    """Until the next block is `block`."""
    while rpc.w3.eth.block_number + 1 < block:
        time.sleep(0.5)


def run_demo(args) -> int:
    from arena.worker import demo
    if args.trainers < 2 or args.validators < 1 or args.lazy_validators + args.colluding_validators > args.validators:
        print("flockchain demo arena: need ≥ 2 trainers, ≥ 1 validator, lazy + colluding ≤ validators",
              file=sys.stderr)
        return 2
    summary = demo.run(args.trainers, args.validators, args.lazy_validators, args.colluding_validators,
                       args.dataset, args.seed, Path(args.out), then_alliance=args.then_alliance,
                       blind=not args.open)
    print(f"{'rank':>4}  {'trainer':<12} {'consensus':>10} {'true loss':>10} {'reward':>10}")
    for s in sorted(summary["submissions"], key=lambda s: s["rank"] or 99):
        consensus = f"{s['consensus_loss']:.4f}" if s["consensus_loss"] is not None else "-"
        print(f"{s['rank'] or '-':>4}  {s['trainer'][:12]:<12} {consensus:>10} {s['true_loss']:>10.4f} "
              f"{s['reward']:>10.2f}")
    for v in summary["validators"]:
        print(f"  validator {v['address'][:12]} {v['kind']:<9} reward {v['reward']:.2f}"
              f"{' (reported)' if v['slashed'] else ''}")
    print(f"{'blind' if summary['blind'] else 'open'} task; Spearman {summary['spearman']}; "
          f"true best ranked first: {summary['true_best_ranked_first']}; "
          f"in {summary['seconds']} s; wrote {args.out}/summary.json and {args.out}/leaderboard.png")
    if "alliance" in summary:
        refined = summary["alliance"]
        print(f"FL Alliance task {refined['task']} from the winner: test loss {refined['initial_test_loss']:.4f} → "
              f"{refined['final_test_loss']:.4f} in {len(refined['rounds'])} rounds; wrote {args.out}/alliance-loss.png")
    return 0
