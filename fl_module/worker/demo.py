"""`flockchain demo alliance`: a dev chain, N institutions as worker processes, one FL task, watched.

What it does, in order: start `flockchain dev` (interval sealing) on a free port; give each
participant a key and 10,000 FLOCK (root `forceSetBalance`, a dev-chain power); split the
dataset non-IID (data.split_non_iid) and write each participant's share to its own file;
upload the initial model as a blob and create the task (dev account 0 pays the bounty);
start one `flockchain worker` process per participant, the malicious ones with `--attack`;
then follow the chain round by round — roles, tallies, offences, and the global model's loss
and accuracy on the held-out test split — and write DIR/summary.json and DIR/loss.png.
The same seed gives the same split, the same malicious participants and the same initial
model as the chain-free baselines of `--compare` (baselines.py).
"""

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from eth_account import Account
from eth_hash.auto import keccak
from web3 import Web3
from web3.logs import DISCARD

from ..formats import EVALUATION_SCALE, NO_ACCURACY
from . import attacks, baselines, data, models, tensors, validate
from .agent import LocalData
from .ports import free_port  # noqa: F401 (the Arena and Marketplace demos import it from here)

UNIT = 10**18
MNEMONIC = "test test test test test test test test test test test junk"
PENALIZED = "0x" + keccak(b"Penalized(uint256,uint32,address,uint8,uint256)").hex()
OFFENCE_KINDS = ("poisoned update", "false validation", "equivocation", "unavailability")
BLOCK_TIME = 0.2
PHASE_BLOCKS = [150, 50, 150, 50, 50]
"""Deadlines only matter when someone does not act: phases end early once everyone has."""
STAKE, MIN_STAKE = 5_000 * UNIT, 3_000 * UNIT
"""Each participant bonds more than the task's minimum, so a slash (10% at most per slashing span)
leaves it eligible: an offender keeps being drawn and keeps being rejected, rather than every
later round waiting for a replacement (a round needs proposers + voters eligible participants)."""

DEMO_COMMITTEE = 10
"""PHASE_BLOCKS' seconds are for a committee of this many proposers + voters (the demo's default)."""


def compute_committee(participants: int, max_role_size: int) -> tuple[int, int]:
    """Proposers and voters per round: half the participants each, up to MaxRoleSize. Both grow with the
    participants: proposers so that a round's aggregate covers a share of the data that does not shrink as
    1/participants, voters so that colluders are less likely to draw half of a round's votes (40% colluders:
    0.32 with 5 voters, 0.17 with 32; spec/modules/fl_alliance.md, "Scale"; only peer review removes it)."""
    proposers = min(max(participants // 2, 1), max_role_size)
    return proposers, min(participants - participants // 2, max_role_size)


def compute_phase_blocks(proposers: int, voters: int, block_time: float) -> list[int]:
    """PHASE_BLOCKS' deadlines in seconds at BLOCK_TIME, longer in proportion to a committee larger than the
    demo's (a voter fetches and scores every update; every member's transactions share the phase's blocks)."""
    scale = max(1.0, (proposers + voters) / DEMO_COMMITTEE)
    return [math.ceil(blocks * BLOCK_TIME * scale / block_time) for blocks in PHASE_BLOCKS]


MAX_REPORTED_LOSS = (2**64 - 1) / EVALUATION_SCALE
"""The largest loss a uint64 holds at the reported scale."""

Account.enable_unaudited_hdwallet_features()



def participant_key(seed: int, index: int) -> str:
    return "0x" + keccak(f"flockchain demo participant {seed} {index}".encode()).hex()


class Rpc:
    """Plain JSON-RPC over HTTP for the demo's own bookkeeping."""

    def __init__(self, url: str):
        self.url = url
        self.w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))
        self.modules = {m["name"]: m for m in self.call("flock_modules")}

    def call(self, method: str, *params):
        body = requests.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
                             timeout=60).json()
        if "error" in body:
            raise RuntimeError(f"{method}: {body['error']['message']}")
        return body["result"]

    def contract(self, name: str):
        return self.w3.eth.contract(address=self.modules[name]["address"], abi=self.modules[name]["abi"])

    def send(self, account, module: str, function: str, *args, value: int = 0):
        return self.send_each(account, module, function, [args], value=value)[0]

    def send_each(self, account, module: str, function: str, calls: list[tuple], value: int = 0) -> list:
        """One transaction per argument tuple, all sent (consecutive nonces) before the first receipt is
        awaited: they share blocks instead of waiting a block each. Their receipts, in order."""
        contract, nonce = self.contract(module), self.w3.eth.get_transaction_count(account.address, "pending")
        chain_id, hashes = self.w3.eth.chain_id, []
        for offset, args in enumerate(calls):
            tx = getattr(contract.functions, function)(*args).build_transaction({
                "from": account.address, "value": value, "gas": 5_000_000, "chainId": chain_id,
                "nonce": nonce + offset})
            hashes.append(self.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction))
        receipts = [self.w3.eth.wait_for_transaction_receipt(h, timeout=60, poll_latency=0.05) for h in hashes]
        if any(receipt["status"] != 1 for receipt in receipts):
            raise RuntimeError(f"{module}.{function} failed")
        return receipts

    def put_blob(self, blob: bytes) -> bytes:
        response = requests.post(f"{self.url}/blobs", data=blob, timeout=60,
                                 headers={"Content-Type": "application/octet-stream"})
        response.raise_for_status()
        return bytes.fromhex(response.json()["hash"][2:])

    def get_blob(self, blob_hash: str) -> bytes:
        response = requests.get(f"{self.url}/blobs/{blob_hash}", timeout=60)
        response.raise_for_status()
        if keccak(response.content).hex() != blob_hash.removeprefix("0x"):
            raise RuntimeError(f"blob {blob_hash}: wrong bytes")
        return response.content


def start_chain(directory: Path, port: int, block_time: float | None = BLOCK_TIME, chain: str = "dev",
                host: str = "127.0.0.1") -> subprocess.Popen:
    """`flockchain dev` of the chain spec `chain` (a name or a path) on `host` (another than loopback is served
    under that name only), a block every `block_time` seconds (None: instant sealing, a block only when a
    transaction comes), its log in directory/chain.log; returned once it answers there."""
    log = open(directory / "chain.log", "w")
    exposed = ["--host", host, "--vhosts", host] if host != "127.0.0.1" else []
    sealing = ["--block-time", str(block_time)] if block_time is not None else []
    process = subprocess.Popen([sys.executable, "-m", "flockchain", "dev", "--port", str(port), *sealing,
                                "--data-dir", str(directory / "chain"), "--no-sample-task",
                                "--chain", chain, *exposed],
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the dev chain exited: see {directory / 'chain.log'}")
        try:
            requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("the dev chain did not start within 60 s")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def evaluate(kind: str, blob: bytes, test) -> tuple[float, float | None]:
    params = tensors.decode_model(blob, kind)
    return (validate.mean_loss(kind, params, test.test_x, test.test_y),
            validate.accuracy(kind, params, test.test_x, test.test_y))


def run(dataset: str, participants: int, malicious: int, attack: str | None, rounds: int, collude: bool, seed: int,
        out: Path, compare: bool, progress=print, timeout: float = 1800, flower_client: str | None = None,
        flower_participants: int = 0, peer_review: bool = False) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="flockchain-demo-"))
    kind = models.default_model_kind(dataset)
    port = free_port()
    processes = [start_chain(work, port)]
    started = time.monotonic()
    try:
        rpc = Rpc(f"http://127.0.0.1:{port}")
        initial_hash = rpc.put_blob(tensors.encode_model(models.init_model(kind, seed)))

        def create_task(creator, descriptor, proposers, voters):
            return rpc.send(creator, "fl_alliance", "createTask", kind, descriptor, initial_hash, rounds, proposers,
                            voters, compute_phase_blocks(proposers, voters, BLOCK_TIME), MIN_STAKE, value=1_000 * UNIT)
        summary = play_task(rpc, work, processes, create_task, initial_hash, dataset, participants, malicious, attack,
                            rounds, collude, seed, progress, started + timeout, flower_client, flower_participants,
                            peer_review)
    finally:
        stop(processes)
    if compare:
        progress("baselines without the chain (same split, attack and initial model) …")
        summary["baselines"] = {
            rule: {key: value for key, value in result.items() if key in ("final_test_loss", "final_test_accuracy",
                                                                          "per_round")}
            for rule, result in baselines.run_baselines(dataset, participants, malicious if attack else 0,
                                                        attack, rounds, seed).items()}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    from . import plots
    plots.plot_losses(summary, str(out / "loss.png"))
    return summary


def play_task(rpc: Rpc, work: Path, processes: list, create_task, initial_hash: bytes, dataset: str, participants: int,
              malicious: int, attack: str | None, rounds: int, collude: bool, seed: int, progress,
              deadline: float, flower_client: str | None = None, flower_participants: int = 0,
              peer_review: bool = False) -> dict:
    """On a running dev chain: fund the participants, create the task with `create_task(creator, dataset
    descriptor, proposers, voters)` (a receipt holding fl_alliance's TaskCreated; the initial model
    `initial_hash` is a blob already), start one worker process per participant (appended to `processes`),
    follow every round; returns the summary. The last `flower_participants` honest participants run the
    Flower client `flower_client` (module:attribute) on their own data instead of the built-in trainer,
    told their partition by DIGITS_PARTITION / DIGITS_PARTITIONS. With `peer_review` every participant proposes
    each round and votes on the others' updates (a task with 0 voters)."""
    started = time.monotonic()
    kind = models.default_model_kind(dataset)
    descriptor = models.dataset_descriptor(dataset)
    attack = None if attack in (None, "none") or malicious == 0 else attack
    bad = set(attacks.pick_malicious(participants, malicious, seed)) if attack else set()
    keys = [participant_key(seed, i) for i in range(participants)]
    addresses = [Account.from_key(k).address for k in keys]
    url = rpc.url
    root = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/10")
    creator = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/0")
    rpc.send_each(root, "balances", "forceSetBalance", [(address, 10_000 * UNIT) for address in addresses])
    shares = data.split_non_iid(dataset, participants, seed)
    test = data.load(dataset, seed)
    proposers, voters = (participants, 0) if peer_review else \
        compute_committee(participants, rpc.contract("fl_alliance").functions.getParameter("MaxRoleSize").call())
    receipt = create_task(creator, descriptor, proposers, voters)
    task = int(rpc.contract("fl_alliance").events.TaskCreated().process_receipt(receipt, errors=DISCARD)[0]["args"]["task"])
    colluders = ",".join(addresses[i] for i in sorted(bad)) if collude else ""
    honest = [i for i in range(participants) if i not in bad]
    flowers = set(honest[len(honest) - flower_participants:]) if flower_participants else set()
    for i, share in enumerate(shares):
        extra = ["--seed", str(seed)]
        if i in bad:
            extra += ["--attack", attack] + (["--colluders", colluders] if colluders else [])
        processes.append(start_worker(url, keys[i], task, work / f"worker{i}", share, STAKE, extra,
                                      flower_client if i in flowers else None,
                                      {"DIGITS_PARTITION": str(i), "DIGITS_PARTITIONS": str(participants)}))
    loss0, acc0 = evaluate(kind, rpc.get_blob("0x" + initial_hash.hex()), test)
    progress(f"task {task}: {dataset}, {participants} participants ({len(bad)} malicious, "
             f"{attack or 'no attack'}{', colluding' if collude else ''}), {rounds} rounds; "
             f"initial test loss {loss0:.4f}" + (f", accuracy {acc0:.3f}" if acc0 is not None else ""))
    reporter = creator if rpc.call("flock_getTask", hex(task))["creator"] == creator.address else None
    per_round = follow(rpc, task, rounds, kind, test, addresses, bad, progress, deadline, processes, reporter)
    final = per_round[-1] if per_round else {"test_loss": loss0, "test_accuracy": acc0}
    offenders = sorted({o["offender"] for r in per_round for o in r["offences"]})
    return {
        "dataset": dataset, "model": kind, "participants": participants, "attack": attack, "collude": collude,
        "seed": seed, "task": task, "peer_review": peer_review, "rounds": per_round, "initial_model": "0x" + initial_hash.hex(),
        "initial_test_loss": loss0, "initial_test_accuracy": acc0,
        "final_test_loss": final["test_loss"], "final_test_accuracy": final["test_accuracy"],
        "malicious": [addresses[i] for i in sorted(bad)], "slashed": offenders,
        "flower": [addresses[i] for i in sorted(flowers)],
        "honest_slashed": sum(1 for o in offenders if addresses.index(o) not in bad),
        "seconds": round(time.monotonic() - started, 1),
    }


def report_evaluation(rpc: Rpc, creator, task: int, round_: int, loss: float, accuracy: float | None) -> bool:
    """The creator's reportEvaluation of a round's global model; False (nothing sent) for a loss that a uint64
    cannot hold at the reported scale (NaN, infinite, negative or enormous)."""
    if not 0 <= loss < MAX_REPORTED_LOSS:
        return False
    rpc.send(creator, "fl_alliance", "reportEvaluation", task, round_, int(loss * EVALUATION_SCALE),
             NO_ACCURACY if accuracy is None else int(accuracy * 1_000_000))
    return True


def start_worker(url: str, key: str, task: int, state: Path, share, stake: int, extra: list[str] = (),
                 flower_client: str | None = None, environment: dict | None = None,
                 new_session: bool = True) -> subprocess.Popen:
    """A `worker` process for one participant: its data share saved in `state` (or a Flower client), its log
    in state/worker.log; `new_session` gives it a process group of its own."""
    state.mkdir(parents=True, exist_ok=True)
    LocalData(*share).save(str(state / "data.npz"))
    source = ["--flower-client", flower_client] if flower_client else ["--data", str(state / "data.npz")]
    command = [sys.executable, "-m", "fl_module.worker", "worker", "--rpc", url, "--key", key, "--task", str(task),
               *source, "--state-dir", str(state), "--stake", str(stake // UNIT), *extra]
    log = open(state / "worker.log", "a")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=new_session,
                            env={**os.environ, **(environment or {})})


def follow(rpc: Rpc, task: int, rounds: int, kind: str, test, addresses, bad, progress, deadline: float,
           processes, reporter=None, waiting=None) -> list[dict]:
    """Record each round once it has ended: roles, tally, offences, global model on the test split; the task's
    creator `reporter`, when given, reports that loss on chain (reportEvaluation) for explorers to chart.
    `processes`: the chain first, then the participants (anything with Popen's poll()); `waiting`, when given,
    is called with the task's info each time nothing new has ended (a progress display)."""
    per_round: list[dict] = []
    last_block = 0
    while len(per_round) < rounds:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the demo did not finish {rounds} rounds in time ({len(per_round)} done)")
        if processes[0].poll() is not None:
            raise RuntimeError("the dev chain stopped")
        info = rpc.call("flock_getTask", hex(task))
        done = int(info["round"], 16) + (info["status"] == "finished")
        if len(per_round) >= done:
            if all(p.poll() is not None for p in processes[1:]):
                raise RuntimeError("every worker stopped: see their worker.log")
            if waiting is not None:
                waiting(info)
            time.sleep(0.2)
            continue
        round_ = len(per_round)
        details = rpc.call("flock_getRound", hex(task), hex(round_))
        end_block = int(details["endBlock"], 16)
        logs = rpc.call("eth_getLogs", {"address": rpc.modules["fl_alliance"]["address"], "fromBlock": hex(last_block),
                                        "toBlock": hex(end_block),
                                        "topics": [PENALIZED, f"0x{task:064x}", f"0x{round_:064x}"]})
        last_block = end_block
        offences = [{"offender": Web3.to_checksum_address("0x" + log["topics"][3][-40:]),
                     "kind": OFFENCE_KINDS[int(log["data"][2:66], 16)]} for log in logs]
        model = details["globalModel"]
        loss, acc = evaluate(kind, rpc.get_blob(model), test)
        reported = reporter is not None and report_evaluation(rpc, reporter, task, round_, loss, acc)
        index = {a: i for i, a in enumerate(addresses)}
        record = {
            "round": round_, "status": details["status"], "end_block": end_block,
            "revealed_updates": len(details["updates"]),
            "proposers": [m["address"] for m in details["proposers"]],
            "voters": [m["address"] for m in details["voters"]],
            "accepted": [u["proposer"] for u in details["updates"] if u["outcome"] == "accepted"],
            "rejected": [u["proposer"] for u in details["updates"] if u["outcome"] in ("rejected", "poisoned")],
            "poisoned": [u["proposer"] for u in details["updates"] if u["outcome"] == "poisoned"],
            "offences": offences, "global_model": model,
            "test_loss": loss, "test_accuracy": acc, "evaluation_reported": reported,
        }
        per_round.append(record)
        marks = lambda group: " ".join(f"{index[a]}{'*' if index[a] in bad else ''}" for a in group) or "-"
        progress(f"round {round_:>3} {details['status']:<17} accepted [{marks(record['accepted'])}] "
                 f"rejected [{marks(record['rejected'])}] slashed [{marks([o['offender'] for o in offences])}]  "
                 f"test loss {loss:.4f}" + (f"  accuracy {acc:.3f}" if acc is not None else ""))
    return per_round
