"""`flockchain simulate alliance`: hundreds of FL Alliance participants as Ray actors against a real node.

The participants are those of `flockchain demo alliance` — the same Worker code, data, attacks and outputs
(DIR/summary.json, DIR/loss.png) — hosted many to a process: each Ray actor (one per CPU Ray offers, by
default) runs a group of participants in one event loop over one WebSocket and one HTTP session to the node,
with one torch thread, so participants looking at the same head share each read and the cores are not
oversubscribed. Ray starts locally on demand, or `--ray-address` joins an existing cluster (whose machines
must have this package installed and reach the node: `--node-host`, an address of this machine they can reach).

The chain is a real `flockchain dev` process whose spec admits the participants (fl_alliance
MaxParticipants is fixed at genesis). With more participants than the dataset has MIN_SAMPLES_PER_PARTICIPANT
distinct training samples for, shares overlap (data.sample_non_iid), each as large as a 10-participant split's
unless --samples says otherwise.

What must grow with the participant count (spec/modules/fl_alliance.md, "Scale"): the committee — proposers
per round, so that a round's aggregate covers a share of the data that does not shrink as 1/participants, and
voters, so that colluders are less likely to draw half of a round's votes — capped by MaxRoleSize; and with
it the phase deadlines, since a voter downloads and scores every proposer's update and a phase's transactions
share blocks. demo.compute_committee and demo.compute_phase_blocks are those defaults, for the demo too.

Beside the demo's per-round record, the summary gives what the protocol costs at this scale: blocks, gas and
transactions per round, blob bytes (stored: the round's updates and new model; moved: what participants
uploaded and downloaded), and the seconds from the last revealed update, and from the last revealed scores,
to the tally.
"""

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_utils import event_abi_to_log_topic, function_abi_to_4byte_selector
from web3.logs import DISCARD

from . import attacks, data, models, tensors
from .agent import LocalData, Worker, WorkerConfig
from .chain import NodeConnection
from .demo import (MIN_STAKE, MNEMONIC, STAKE, UNIT, Rpc, compute_committee, compute_phase_blocks, evaluate, follow,
                   free_port, participant_key, start_chain, stop)

BLOCK_TIME = 0.5


@dataclass(frozen=True)
class Member:
    """One simulated participant, as an actor receives it."""

    index: int
    key: str
    data: LocalData
    attack: str | None
    colluders: tuple[str, ...]
    seed: int


class ParticipantGroup:
    """A Ray actor's body: some participants of one task, each a Worker, sharing one node connection. Each
    worker acts on the newest head once it is done with the previous one (heads it was too busy for are
    skipped, as a participant behind would skip them)."""

    def __init__(self, url: str, task: int, members: list[Member], threads: int = 1):
        self.url, self.task, self.members, self.threads = url, task, members, threads
        self.connection = None
        self.head = -1
        self.new_head: asyncio.Condition | None = None
        self.busy = 0
        self.finished = 0

    async def run(self) -> dict:
        self.connection = await NodeConnection.connect(self.url)
        self.new_head = asyncio.Condition()
        state = Path(tempfile.mkdtemp(prefix="flockchain-simulate-"))
        workers = [Worker(WorkerConfig(url=self.url, private_key=m.key, task=self.task, data=None,
                                       state_dir=str(state / str(m.index)), attack=m.attack, colluders=m.colluders,
                                       stake=STAKE, seed=m.seed, threads=self.threads),
                          self.connection, m.data) for m in self.members]
        pump = asyncio.ensure_future(self.follow_heads())
        try:
            for worker in workers:
                await worker.start()
            await asyncio.gather(*(worker.ensure_joined() for worker in workers))
            await asyncio.gather(*(self.drive(worker) for worker in workers))
        finally:
            pump.cancel()
            await self.connection.close()
            shutil.rmtree(state, ignore_errors=True)
        return await self.activity()

    async def follow_heads(self) -> None:
        async for head in await self.connection.subscribe_heads():
            async with self.new_head:
                self.head = head
                self.new_head.notify_all()

    async def drive(self, worker: Worker) -> None:
        seen = -1
        while True:
            async with self.new_head:
                await self.new_head.wait_for(lambda: self.head > seen)
                seen = self.head
            self.busy += 1
            try:
                done = await worker.step(seen)
            finally:
                self.busy -= 1
            if done:
                self.finished += 1
                return

    async def activity(self) -> dict:
        """What the group is doing now: participants busy at a step (training, scoring, waiting for a
        receipt), finished, and the blob bytes they have moved so far."""
        moved = (self.connection.bytes_uploaded, self.connection.bytes_downloaded) if self.connection else (0, 0)
        return {"participants": len(self.members), "busy": self.busy, "finished": self.finished,
                "uploaded": moved[0], "downloaded": moved[1]}


class Observer(threading.Thread):
    """Notes when each block is first seen and, every second, what the actors have done (for the per-round
    figures: block times are whole seconds on chain, too coarse for them). A block that was produced while the
    observer waited on the actors (a loaded machine, short blocks) is seen at the next look, with the head."""

    def __init__(self, rpc: Rpc, groups: list):
        super().__init__(daemon=True)
        self.rpc, self.groups = rpc, groups
        self.seen: dict[int, float] = {}
        self.samples: list[tuple[float, int, int]] = []
        self.activity: list[dict] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        import ray
        last_sample = 0.0
        while not self.stopped.wait(0.05):
            try:
                self.note_head(int(self.rpc.call("eth_blockNumber"), 16), time.monotonic())
                if time.monotonic() - last_sample >= 1:
                    last_sample = time.monotonic()
                    self.activity = ray.get([group.activity.remote() for group in self.groups], timeout=10)
                    self.samples.append((last_sample, sum(a["uploaded"] for a in self.activity),
                                         sum(a["downloaded"] for a in self.activity)))
            except Exception:  # a slow answer or a stopping actor: the next sample will do
                continue

    def note_head(self, head: int, now: float) -> None:
        """`head` and every block since the last one noted are seen at `now` (the first look: the head only)."""
        for number in range(next(reversed(self.seen), head - 1) + 1, head + 1):  # noted in rising order
            self.seen[number] = now

    def time_of(self, block: int) -> float | None:
        return self.seen.get(block)

    def seconds_between(self, first: int, last: int) -> float | None:
        """Seconds from block `first` being seen to block `last`, where both were."""
        if first not in self.seen or last not in self.seen:
            return None
        return round(self.seen[last] - self.seen[first], 2)

    def moved_by(self, moment: float) -> tuple[int, int]:
        """Bytes uploaded and downloaded by the newest sample at or before `moment`."""
        before = [s for s in self.samples if s[0] <= moment]
        return before[-1][1:] if before else (0, 0)


class RayRun:
    """An actor's run as the demo's follow() watches a worker process: poll() is None while it runs."""

    def __init__(self, ref):
        self.ref = ref

    def poll(self) -> int | None:
        import ray
        ready, _ = ray.wait([self.ref], timeout=0)
        if ready:
            ray.get(self.ref)  # raises the actor's error, if it failed
            return 0
        return None


def chain_spec(directory: Path, participants: int) -> Path:
    """The dev chain spec (from `flockchain build-spec`) with fl_alliance admitting `participants` per task."""
    spec = json.loads(subprocess.run([sys.executable, "-m", "flockchain", "build-spec", "--chain", "dev"],
                                     capture_output=True, text=True, check=True, timeout=60).stdout)
    spec["genesis"]["runtime"].setdefault("fl_alliance", {})["maxParticipants"] = max(participants, 64)
    path = directory / "simulate-spec.json"
    path.write_text(json.dumps(spec))
    return path


def run(dataset: str, participants: int, malicious: int, attack: str | None, rounds: int, collude: bool, seed: int,
        out: Path, ray_address: str | None = None, actors: int | None = None, block_time: float = BLOCK_TIME,
        samples: int | None = None, node_host: str = "127.0.0.1", progress=print, timeout: float = 3600) -> dict:
    """The whole simulation: a dev node on `node_host` (another machine's actors reach it there), Ray, the task,
    its rounds; writes out/summary.json and out/loss.png and returns the summary."""
    import ray
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="flockchain-simulate-"))
    kind = models.default_model_kind(dataset)
    attack = None if attack in (None, "none") or malicious == 0 else attack
    port = free_port()
    started = time.monotonic()
    processes = [start_chain(work, port, block_time, str(chain_spec(work, participants)), node_host)]
    connected = not ray.is_initialized()
    try:
        if connected:
            ray.init(address=ray_address or "local", include_dashboard=False, log_to_driver=False,
                     logging_level="ERROR", configure_logging=False)
        rpc = Rpc(f"http://{node_host}:{port}")
        summary = simulate(rpc, processes, work, kind, dataset, participants, malicious if attack else 0, attack,
                           rounds, collude, seed, actors, block_time, samples, progress, started + timeout)
        summary["ray_address"] = ray_address or "local"
    finally:
        if connected and ray.is_initialized():
            ray.shutdown()  # a local Ray stops; a cluster's keeps running
        stop(processes)
    summary["seconds"] = round(time.monotonic() - started, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    from . import plots
    plots.plot_losses(summary, str(out / "loss.png"))
    return summary


def simulate(rpc: Rpc, processes: list, work: Path, kind: str, dataset: str, participants: int, malicious: int,
             attack: str | None, rounds: int, collude: bool, seed: int, actors: int | None, block_time: float,
             samples: int | None, progress, deadline: float) -> dict:
    import ray
    bad = set(attacks.pick_malicious(participants, malicious, seed)) if attack else set()
    keys = [participant_key(seed, i) for i in range(participants)]
    addresses = [Account.from_key(k).address for k in keys]
    creator = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/0")
    for address in addresses:  # the dev chain's control, as the sample task funds its hospitals: no transactions
        rpc.call("flock_setBalance", address, hex(10_000 * UNIT))
    shares, overlapping = data.share_out(dataset, participants, seed, samples)
    test = data.load(dataset, seed)
    max_role = rpc.contract("fl_alliance").functions.getParameter("MaxRoleSize").call()
    proposers, voters = compute_committee(participants, max_role)
    phases = compute_phase_blocks(proposers, voters, block_time)
    initial_blob = tensors.encode_model(models.init_model(kind, seed))
    initial_hash = rpc.put_blob(initial_blob)
    receipt = rpc.send(creator, "fl_alliance", "createTask", kind, models.dataset_descriptor(dataset), initial_hash,
                       rounds, proposers, voters, phases, MIN_STAKE, value=1_000 * UNIT)
    task = int(rpc.contract("fl_alliance").events.TaskCreated().process_receipt(receipt, errors=DISCARD)[0]["args"]
               ["task"])
    created_block = receipt["blockNumber"]
    colluders = tuple(addresses[i] for i in sorted(bad)) if collude else ()
    members = [Member(i, keys[i], LocalData(*shares[i]), attack if i in bad else None,
                      colluders if i in bad else (), seed) for i in range(participants)]
    cpus = max(1, int(ray.available_resources().get("CPU", 1)))
    count = min(actors or cpus, participants)
    # Each actor holds one of Ray's CPUs, so Ray spreads them over a cluster's machines; more actors than CPUs share.
    group = ray.remote(num_cpus=1 if count <= cpus else 0)(ParticipantGroup)
    groups = [group.remote(rpc.url, task, members[a::count]) for a in range(count)]
    runs = [group.run.remote() for group in groups]
    observer = Observer(rpc, groups)
    observer.start()
    loss0, acc0 = evaluate(kind, initial_blob, test)
    sizes = [len(share.train_y) + len(share.val_y) for share in shares]
    progress(f"task {task}: {dataset}, {participants} participants as {count} Ray actors ({len(bad)} malicious, "
             f"{attack or 'no attack'}{', colluding' if collude else ''}), {proposers} proposers and {voters} voters "
             f"per round, phases {phases} blocks of {block_time} s, {rounds} rounds"
             + (f"; overlapping shares of {max(sizes)} samples" if overlapping else "")
             + f"; initial test loss {loss0:.4f}" + (f", accuracy {acc0:.3f}" if acc0 is not None else ""))
    display = ProgressDisplay(rpc, task, observer, progress)
    try:
        per_round = follow(rpc, task, rounds, kind, test, addresses, bad, progress, deadline,
                           processes + [RayRun(r) for r in runs], creator, display)
        ray.get(runs, timeout=120)
    finally:
        observer.stopped.set()
        for g in groups:
            ray.kill(g)
    scale = measure_rounds(rpc, task, created_block, per_round, observer, len(initial_blob))
    for record, figures in zip(per_round, scale):
        record.update(figures)
    final = per_round[-1]
    offenders = sorted({o["offender"] for r in per_round for o in r["offences"]})
    by_call: dict[str, list[int]] = {}
    for record in per_round:
        for name, (calls, gas) in record["gas_by_call"].items():
            total = by_call.setdefault(name, [0, 0])
            total[0], total[1] = total[0] + calls, total[1] + gas
    timed = [r["seconds"] for r in per_round if r["seconds"] is not None]
    minutes = sum(timed) / 60 if len(timed) == len(per_round) else None
    return {
        "dataset": dataset, "model": kind, "participants": participants, "actors": count,
        "ray_nodes": len(ray.nodes()), "attack": attack,
        "collude": collude, "seed": seed, "task": task,
        "samples_per_participant": sizes, "proposers": proposers, "voters": voters,
        "phase_blocks": phases, "block_time": block_time, "overlapping_shares": overlapping, "rounds": per_round,
        "initial_model": "0x" + initial_hash.hex(), "initial_test_loss": loss0, "initial_test_accuracy": acc0,
        "final_test_loss": final["test_loss"], "final_test_accuracy": final["test_accuracy"],
        "malicious": [addresses[i] for i in sorted(bad)], "slashed": offenders,
        "honest_slashed": sum(1 for o in offenders if addresses.index(o) not in bad),
        "gas_by_call": {name: {"calls": calls, "gas": gas, "gas_per_call": gas // calls}
                        for name, (calls, gas) in sorted(by_call.items(), key=lambda item: -item[1][1])},
        "rounds_per_minute": round(len(per_round) / minutes, 2) if minutes else None,
        "mean": {key: mean_of([r[key] for r in per_round])
                 for key in ("blocks", "gas", "transactions", "blob_bytes_stored", "blob_bytes_uploaded",
                             "blob_bytes_downloaded", "seconds", "scoring_seconds", "tally_wait_seconds")},
    }


def mean_of(values: list[float | None]) -> float | None:
    """The mean of the values measured (None: not measured), to two places; None when none was."""
    measured = [value for value in values if value is not None]
    return round(sum(measured) / len(measured), 2) if measured else None


class ProgressDisplay:
    """A line every two seconds while a round runs: its phase, what its members have done, what actors do."""

    def __init__(self, rpc: Rpc, task: int, observer: Observer, progress):
        self.rpc, self.task, self.observer, self.progress = rpc, task, observer, progress
        self.last = 0.0

    def __call__(self, info: dict) -> None:
        if time.monotonic() - self.last < 2 or info["status"] != "running":
            return
        self.last = time.monotonic()
        round_ = int(info["round"], 16)
        details = self.rpc.call("flock_getRound", hex(self.task), hex(round_))
        if details is None:
            return
        counts = lambda group, field: sum(1 for m in details[group] if m[field] is not None)
        done = {"committed": counts("proposers", "updateCommitment"), "revealed": counts("proposers", "updateHash"),
                "scored": counts("voters", "scoreCommitment"), "scores revealed": counts("voters", "scores")}
        activity = self.observer.activity
        self.progress(f"  round {round_} {info['phase']:<12} proposers {len(details['proposers'])}: committed "
                      f"{done['committed']}, revealed {done['revealed']} · voters {len(details['voters'])}: scored "
                      f"{done['scored']}, revealed {done['scores revealed']} · participants at a step "
                      f"{sum(a['busy'] for a in activity)} of {sum(a['participants'] for a in activity)}")


def measure_rounds(rpc: Rpc, task: int, created_block: int, per_round: list[dict], observer: Observer,
                   model_bytes: int) -> list[dict]:
    """Per round, from its start (round 0: the draw, once enough participants joined) to its end: blocks, gas
    and transactions (and by fl_alliance call: count and gas), blob bytes stored and moved, and the seconds
    from the last revealed update and from the last revealed scores to the tally (from the task's events)."""
    alliance = rpc.modules["fl_alliance"]
    names = {"0x" + event_abi_to_log_topic(item).hex().removeprefix("0x"): item["name"] for item in alliance["abi"]
             if item["type"] == "event" and item["name"] in ("RoundStarted", "UpdateRevealed", "ScoresRevealed",
                                                              "UpdateTallied")}
    selectors = {"0x" + function_abi_to_4byte_selector(item).hex().removeprefix("0x"): item["name"]
                 for item in alliance["abi"] if item["type"] == "function"}
    logs = rpc.call("eth_getLogs", {"address": alliance["address"], "fromBlock": hex(created_block),
                                    "toBlock": hex(per_round[-1]["end_block"]), "topics": [None, f"0x{task:064x}"]})
    blocks_of: dict[tuple[str, int], list[int]] = {}
    for log in logs:
        name = names.get(log["topics"][0])
        if name is not None and len(log["topics"]) > 2:
            blocks_of.setdefault((name, int(log["topics"][2], 16)), []).append(int(log["blockNumber"], 16))
    figures = []
    start = min(blocks_of.get(("RoundStarted", 0), [created_block]))
    for record in per_round:
        round_, end = record["round"], record["end_block"]
        gas = transactions = 0
        by_call: dict[str, list[int]] = {}
        for number in range(start + 1, end + 1):
            block = rpc.call("eth_getBlockByNumber", hex(number), True)
            gas += int(block["gasUsed"], 16)
            transactions += len(block["transactions"])
            for tx, receipt in zip(block["transactions"], rpc.call("eth_getBlockReceipts", hex(number))):
                entry = by_call.setdefault(selectors.get(tx["input"][:10], "other"), [0, 0])
                entry[0], entry[1] = entry[0] + 1, entry[1] + int(receipt["gasUsed"], 16)
        tallied = min(blocks_of.get(("UpdateTallied", round_), [end]))
        last_update = max(blocks_of.get(("UpdateRevealed", round_), [tallied]))
        last_scores = max(blocks_of.get(("ScoresRevealed", round_), [tallied]))
        up0, down0 = observer.moved_by(observer.time_of(start) or 0)
        up1, down1 = observer.moved_by(observer.time_of(end) or time.monotonic())
        new_model = 1 if record["status"] == "completed" else 0
        figures.append({"start_block": start, "blocks": end - start, "gas": gas, "transactions": transactions,
                        "gas_by_call": by_call, "seconds": observer.seconds_between(start, end),
                        "blob_bytes_stored": (record["revealed_updates"] + new_model) * model_bytes,
                        "blob_bytes_uploaded": up1 - up0, "blob_bytes_downloaded": down1 - down0,
                        "scoring_seconds": observer.seconds_between(last_update, tallied),
                        "tally_wait_seconds": observer.seconds_between(last_scores, tallied)})
        start = end
    return figures


def main_line(summary: dict) -> str:
    mean = summary["mean"]
    accuracy = summary["final_test_accuracy"]
    return (f"{summary['participants']} participants, {len(summary['rounds'])} rounds in {summary['seconds']} s "
            f"({summary['rounds_per_minute']} rounds/min): final test loss {summary['final_test_loss']:.4f}"
            + (f", accuracy {accuracy:.3f}" if accuracy is not None else "")
            + f"; per round {mean['blocks']} blocks, {mean['gas']:,.0f} gas, {mean['transactions']} txs, "
            f"{mean['blob_bytes_stored']:,.0f} blob bytes stored, {mean['blob_bytes_uploaded']:,.0f} uploaded, "
            f"{mean['blob_bytes_downloaded']:,.0f} downloaded; last update → tally {mean['scoring_seconds']} s, "
            f"last scores → tally {mean['tally_wait_seconds']} s; slashed {len(summary['slashed'])} "
            f"({summary['honest_slashed']} honest)")

