"""`flockchain demo arena`: a dev chain, trainers of different quality, validator processes (honest, lazy,
colluding), one Arena task from creation to payouts, measured.

In order: start `flockchain dev` (interval sealing) on a free port; fund every key (root
`forceSetBalance`); cut the dataset into public training data, a hidden evaluation set and data nobody
sees (datasets.split); start one `flockchain arena validate` process per validator; bond, create the task
(public data blob, evaluation commitment), join; train each trainer's model (its share of the data and
epochs set its quality; the last is untrained) and commit; after the submit window reveal the models and
the evaluation set; the validators score, commit and reveal; the task ends. By default the task is blind:
trainers join its ring, commit and reveal through unsigned ring-signed calls, the validators score models
whose trainers nobody can see (a colluder cannot find its favourite), and the trainers claim their
submissions once the scores are final. Then DIR/summary.json:
each submission's consensus loss, its true loss (the same model on the unseen data), rank and reward;
each validator's kind, reward and whether it was reported; the Spearman correlation between the
consensus ranking and the true-loss ranking; and DIR/leaderboard.png. With `then_alliance`, the winner then
seeds an FL Alliance task (arena.createAllianceTask) that refines it on private shares of the data:
summary["alliance"] (its rounds, initial and final test loss) and DIR/alliance-loss.png.
"""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from eth_account import Account
from eth_hash.auto import keccak
from web3.logs import DISCARD

from fl_module.worker import models, tensors, validate
from fl_module.worker.demo import MNEMONIC, Rpc, free_port, start_chain, stop

from ..blind import BlindIdentity
from ..formats import LOSS_SCALE, WORST_LOSS, compute_evaluation_commitment
from . import datasets, trainer

UNIT = 10**18
STAKE = 3_000 * UNIT
WINDOWS = [100, 40, 100, 40]
"""Blocks of 0.2 s: 20 s to join, train and commit, 8 s to reveal, 20 s to score, 8 s to reveal losses."""
BLIND_WINDOWS = [60, 60, 40, 100, 40, 30]
"""A blind task: 12 s to join (the ring), 12 s to commit, then as above, and 6 s to claim."""
ALLIANCE_PARTICIPANTS, ALLIANCE_ROUNDS, ALLIANCE_SECONDS = 6, 4, 600
"""--then-alliance: at most 6 institutions (wine's 142 training samples serve 5), 4 rounds."""
PENALIZED = "0x" + keccak(b"Penalized(uint256,address,uint8,uint256)").hex()

Account.enable_unaudited_hdwallet_features()


def demo_key(seed: int, role: str, index: int) -> str:
    return "0x" + keccak(f"flockchain arena demo {seed} {role} {index}".encode()).hex()


def trainer_configs(count: int, seed: int) -> list[trainer.TrainerConfig]:
    """Trainers from strong to weak: each sees less of the data and trains fewer epochs; the last is untrained."""
    configs = [trainer.TrainerConfig(data_fraction=max(0.05, 0.7 ** i), epochs=max(1, 12 - 2 * i), seed=seed + i)
               for i in range(count)]
    if count >= 3:
        configs[-1] = trainer.TrainerConfig(seed=seed + count, bad=True)
    return configs


def compute_spearman(a: list[float], b: list[float]) -> float:
    from scipy.stats import spearmanr
    return float(spearmanr(a, b).statistic)


def run(trainers: int, validators: int, lazy: int, colluding: int, dataset: str, seed: int, out: Path,
        progress=print, timeout: float = 600, then_alliance: bool = False, blind: bool = True) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="flockchain-arena-demo-"))
    kind = models.default_model_kind(dataset)
    trainer_keys = [demo_key(seed, "trainer", i) for i in range(trainers)]
    validator_keys = [demo_key(seed, "validator", i) for i in range(validators)]
    trainer_accounts = [Account.from_key(k) for k in trainer_keys]
    validator_accounts = [Account.from_key(k) for k in validator_keys]
    kinds = ["lazy"] * lazy + ["colluding"] * colluding + ["honest"] * (validators - lazy - colluding)
    configs = trainer_configs(trainers, seed)
    favoured = trainer_accounts[-1].address
    port = free_port()
    processes = [start_chain(work, port)]
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        rpc = Rpc(url)
        root = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/10")
        creator = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/0")
        rpc.send_each(root, "balances", "forceSetBalance",
                      [(account.address, 10_000 * UNIT) for account in trainer_accounts + validator_accounts])
        progress(f"chain up at {url}; {trainers} trainers, {validators} validators ({lazy} lazy, {colluding} colluding)")
        for key, mode in zip(validator_keys, kinds):
            command = [sys.executable, "-m", "flockchain", "arena", "validate", "--rpc", url, "--key-file", "-",
                       "--mode", mode, "--seed", str(seed)] + (["--favour", favoured] if mode == "colluding" else [])
            log = open(work / f"validator-{len(processes)}.log", "w")
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True, text=True)
            process.stdin.write(key + "\n")
            process.stdin.close()
            processes.append(process)

        splits = datasets.split(dataset, seed)
        public = datasets.encode_dataset(splits.public_x, splits.public_y)
        evaluation = datasets.encode_dataset(splits.evaluation_x, splits.evaluation_y)
        evaluation_hash, evaluation_salt = tensors.model_hash(evaluation), keccak(f"salt {seed}".encode())
        public_hash = rpc.put_blob(public)
        public_x, public_y = datasets.decode_dataset(rpc.get_blob("0x" + public_hash.hex()), kind)
        blobs = [tensors.encode_model(trainer.train_model(kind, public_x, public_y, config)) for config in configs]
        progress(f"{trainers} trainers trained on the public data (their share of it and epochs set their quality)")
        for account in trainer_accounts:
            rpc.send(account, "staking", "bond", 0, value=STAKE)
        for account in validator_accounts:
            rpc.send(account, "staking", "bond", 1, value=STAKE)
        commitment = compute_evaluation_commitment(evaluation_hash, evaluation_salt, bytes.fromhex(creator.address[2:]))
        receipt = rpc.send(creator, "arena", "createBlindTask" if blind else "createTask", kind, public_hash,
                           commitment, BLIND_WINDOWS if blind else WINDOWS, validators, STAKE, value=1_100 * UNIT)
        task = rpc.contract("arena").events.TaskCreated().process_receipt(receipt, errors=DISCARD)[0]["args"]["task"]
        ends = {name: int(value, 16) for name, value in rpc.call("flock_getArenaTask", hex(task))["windowEnds"].items()}
        submitter_type = trainer.BlindSubmitter if blind else trainer.Submitter
        submitters = [submitter_type(rpc, account, task, blob) for account, blob in zip(trainer_accounts, blobs)]
        join_all(rpc, task, submitters, validator_accounts, validator_keys, blind)
        progress(f"task {task}: {kind} on {dataset}, {'blind, ' if blind else ''}1,000 FLOCK bounty; "
                 f"{len(splits.public_x)} public samples, evaluation set of {len(splits.evaluation_x)} committed; "
                 f"all joined")
        if blind:
            wait_for_block(rpc, ends["register"], started + timeout)
        for submitter in submitters:
            submitter.commit()
        progress(f"{trainers} models committed" + (" by unsigned ring-signed calls: no trainer named, no fee paid"
                                                   if blind else ""))
        wait_for_block(rpc, ends["submit"], started + timeout)
        for submitter in submitters:
            submitter.reveal()
        rpc.put_blob(evaluation)
        rpc.send(creator, "arena", "revealEvaluationSet", task, evaluation_hash, evaluation_salt)
        progress("models and the evaluation set revealed; validators scoring")
        wait_for_block(rpc, ends["scoreReveal"], started + timeout)
        if blind:
            advance_to(rpc, creator, task, "claim", started + timeout)
            claimed = sum(submitter.claim() is not None for submitter in submitters)
            progress(f"scores final; {claimed} trainers claimed their submissions (until then none was named)")
            wait_for_block(rpc, ends["claim"], started + timeout)
        shown = advance_to(rpc, creator, task, "finished", started + timeout)
        progress(f"task {task} {shown['phase']}")
        summary = summarize(rpc, shown, task, kind, splits, submitters, validator_accounts, kinds, configs)
        summary["blind"] = blind
        summary["seconds"] = round(time.monotonic() - started, 1)
        if then_alliance:
            stop(processes[1:])
            del processes[1:]
            summary["alliance"] = refine_in_alliance(rpc, work, processes, task, dataset, seed, progress,
                                                     started + timeout + ALLIANCE_SECONDS)
    finally:
        stop(processes)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    plot_leaderboard(summary, out / "leaderboard.png")
    if then_alliance:
        from fl_module.worker import plots
        plots.plot_losses(summary["alliance"], str(out / "alliance-loss.png"))
    return summary


def refine_in_alliance(rpc: Rpc, work: Path, processes: list, task: int, dataset: str, seed: int, progress,
                       deadline: float) -> dict:
    """The seed's lifecycle, second step: an FL Alliance task (arena.createAllianceTask) starts from the Arena
    winner and refines it on private, non-IID shares of the data (fl_module's demo participants)."""
    from fl_module.worker import demo as alliance_demo

    from fl_module.worker import data
    winner = rpc.contract("arena").functions.winnerOf(task).call()
    participants = min(ALLIANCE_PARTICIPANTS, len(data.load(dataset, seed).train_y) // data.MIN_SAMPLES_PER_PARTICIPANT)

    def create_task(creator, descriptor, proposers, voters):
        return rpc.send(creator, "arena", "createAllianceTask", task, descriptor, ALLIANCE_ROUNDS, proposers, voters,
                        alliance_demo.PHASE_BLOCKS, alliance_demo.MIN_STAKE, value=1_000 * UNIT)
    progress(f"FL Alliance task from the Arena winner 0x{winner.hex()[:12]}…: {participants} institutions, "
             f"{ALLIANCE_ROUNDS} rounds on private data")
    return alliance_demo.play_task(rpc, work, processes, create_task, winner, dataset, participants, 0, None,
                                   ALLIANCE_ROUNDS, False, seed, progress, deadline)


def wait_for_block(rpc: Rpc, number: int, deadline: float) -> None:
    while rpc.w3.eth.block_number < number:
        if time.monotonic() > deadline:
            raise RuntimeError(f"block {number} not reached in time")
        time.sleep(0.2)


def join_all(rpc: Rpc, task: int, submitters, validator_accounts, validator_keys, blind: bool) -> None:
    """Trainers and validators join: a blind task's trainers with their keys (the ring), its validators with
    their own key images and proofs."""
    if not blind:
        for account in [s.account for s in submitters] + validator_accounts:
            rpc.send(account, "arena", "join", task)
        return
    for submitter in submitters:
        submitter.join()
    for account, key in zip(validator_accounts, validator_keys):
        identity = BlindIdentity(bytes.fromhex(key[2:]), rpc.w3.eth.chain_id, task)
        rpc.send(account, "arena", "joinBlind", *identity.validator_join_args())


def advance_to(rpc: Rpc, account, task: int, phase: str, deadline: float) -> dict:
    """Close the windows up to `phase` (a validator's duty may have done it already); returns the task then."""
    while (shown := rpc.call("flock_getArenaTask", hex(task)))["phase"] != phase:
        if time.monotonic() > deadline:
            raise RuntimeError(f"task {task} did not reach {phase} in time (phase {shown['phase']})")
        try:
            rpc.send(account, "arena", "advance", task)
        except RuntimeError:
            time.sleep(0.2)
    return shown


def summarize(rpc: Rpc, shown: dict, task: int, kind: str, splits, submitters, validator_accounts, kinds,
              configs) -> dict:
    by_trainer = {s["trainer"].lower(): s for s in shown["submissions"]}
    submissions = []
    for submitter, config in zip(submitters, configs):
        entry = by_trainer.get(submitter.account.address.lower())
        params = tensors.decode_model(submitter.blob, kind)
        true_loss = validate.mean_loss(kind, params, splits.unseen_x, splits.unseen_y)
        consensus = None if entry is None or entry["consensusLoss"] is None else int(entry["consensusLoss"], 16)
        submissions.append({
            "trainer": submitter.account.address, "model_hash": "0x" + submitter.model_hash.hex(),
            "data_fraction": config.data_fraction, "epochs": config.epochs,
            "untrained": config.bad, "consensus_loss": None if consensus in (None, WORST_LOSS) else consensus / LOSS_SCALE,
            "true_loss": true_loss, "rank": int(entry["rank"], 16) if entry and entry["rank"] else None,
            "reward": int(entry["reward"], 16) / UNIT if entry else 0.0})
    logs = rpc.w3.eth.get_logs({"address": rpc.modules["arena"]["address"], "fromBlock": 0, "toBlock": "latest",
                                "topics": [PENALIZED, "0x" + task.to_bytes(32, "big").hex()]})
    reported = {"0x" + log["topics"][2].hex()[-40:] for log in logs}
    shown_validators = {v["address"].lower(): v for v in shown["validators"]}
    validators = [{"address": account.address, "kind": mode,
                   "reward": int(shown_validators[account.address.lower()]["reward"], 16) / UNIT,
                   "agreement": int(shown_validators[account.address.lower()]["agreement"], 16) / 1e6,
                   "slashed": account.address.lower() in reported}
                  for account, mode in zip(validator_accounts, kinds)]
    ranked = [s for s in submissions if s["rank"] is not None]
    spearman = compute_spearman([s["rank"] for s in ranked], [s["true_loss"] for s in ranked]) \
        if len(ranked) > 1 else None
    best_true = min(submissions, key=lambda s: s["true_loss"])
    honest = [v["reward"] for v in validators if v["kind"] == "honest"]
    lazy = [v["reward"] for v in validators if v["kind"] == "lazy"]
    return {
        "task": task, "model": kind, "submissions": submissions, "validators": validators, "spearman": spearman,
        "true_best_ranked_first": best_true["rank"] == 1,
        "lazy_reward_share_of_honest": (max(lazy) / (sum(honest) / len(honest))) if lazy and honest and sum(honest)
        else None,
    }


def plot_leaderboard(summary: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranked = sorted((s for s in summary["submissions"] if s["rank"]), key=lambda s: s["rank"])
    figure, axes = plt.subplots(figsize=(8, 4))
    positions = range(len(ranked))
    axes.bar([p - 0.2 for p in positions], [s["consensus_loss"] for s in ranked], width=0.4, label="consensus loss")
    axes.bar([p + 0.2 for p in positions], [s["true_loss"] for s in ranked], width=0.4, label="true loss (unseen data)")
    axes.set_xticks(list(positions), [f"#{s['rank']}\n{s['trainer'][:8]}" for s in ranked], fontsize=7)
    axes.set_ylabel("loss")
    axes.set_title(f"Arena leaderboard — Spearman {summary['spearman']:.3f}" if summary["spearman"] is not None
                   else "Arena leaderboard")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
