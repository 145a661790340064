"""The whole bridge loop with real processes: base-devnet, a dev chain and relayers, driven as a user would.

The dev chain runs the validator duty inside (`flockchain dev --base-rpc`), and a second relayer
process with an ordinary key also relays, so every step is done twice and must still happen once.
The crash test runs the only relayer (the dev authority's key) and kills it at random points.
"""

import random
import subprocess
import sys
import time

from tests.rpc.devchain import module_contract, start_dev_chain, stop_dev_chain

from .processes import (dev_account, deposit_on_base, kill, spawn, start_base_devnet, stop_process, wait_for,
                        withdraw_here)

UNIT = 10**18
TIMEOUT = 90


def bridged_state(chain, base) -> dict:
    module = module_contract(chain, "bridge")
    minted, burned, outstanding = module.functions.supply().call()
    locked = base.contract("token").functions.balanceOf(base.contract("bridge").address).call()
    return {"minted": minted, "burned": burned, "outstanding": outstanding, "locked": locked}


def test_deposits_and_withdrawals_both_ways_twice(tmp_path):
    base = start_base_devnet(tmp_path, "--block-time", "0.2", "--finality-lag", "2")
    chain = relayer = None
    try:
        chain = start_dev_chain(tmp_path, extra_args=("--base-rpc", base.url))
        relayer = spawn(["relayer", "--rpc", chain.url, "--base-rpc", base.url, "--dev-key", "5",
                         "--interval", "0.3"], tmp_path / "relayer.log")
        logs = (base.log_path, chain.log_path, tmp_path / "relayer.log")
        info = chain.result("flock_bridgeInfo")
        assert info["bridgeAddress"].lower() == base.info["bridge"].lower()
        assert int(info["baseChainId"], 16) == base.w3.eth.chain_id
        user = dev_account(3)
        token = base.contract("token")
        module = module_contract(chain, "bridge")
        latencies = []
        for round_, amount in enumerate((7 * UNIT, 11 * UNIT)):
            before = chain.w3.eth.get_balance(user.address)
            deposit_on_base(base, user, amount, user.address)
            started = time.monotonic()
            wait_for(lambda: chain.w3.eth.get_balance(user.address) == before + amount, TIMEOUT,
                     f"deposit {round_} minted", logs)
            latencies.append(time.monotonic() - started)
            assert tuple(module.functions.depositOf(round_).call()[:3]) == (True, user.address, amount)
        for round_, amount in enumerate((3 * UNIT, 5 * UNIT)):
            base_before = token.functions.balanceOf(user.address).call()
            withdraw_here(chain, user, amount, user.address)
            wait_for(lambda: token.functions.balanceOf(user.address).call() == base_before + amount, TIMEOUT,
                     f"withdrawal {round_} released on Base", logs)
        wait_for(lambda: all(w["status"] == "released"
                             for w in chain.result("flock_bridgeWithdrawals", "0x0")), TIMEOUT,
                 "both withdrawals confirmed released here", logs)
        state = bridged_state(chain, base)
        assert state == {"minted": 18 * UNIT, "burned": 8 * UNIT, "outstanding": 10 * UNIT, "locked": 10 * UNIT}
        assert chain.result("flock_bridgeStatus")["nextUnreleasedWithdrawal"] == "0x2"
        print(f"deposit → mint latency: {', '.join(f'{s:.2f} s' for s in latencies)}")
    finally:
        if relayer is not None:
            stop_process(relayer)
        if chain is not None:
            stop_dev_chain(chain.process)
        stop_process(base.process)


class CrashingRelayer:
    """A `flockchain relayer` process that is killed (SIGKILL) at random instants of its work and restarted."""

    def __init__(self, command: list[str], log_path, rng: random.Random):
        self.command, self.log_path, self.rng = command, log_path, rng
        self.launches = 0
        self.process = None
        self.launch()

    def launch(self) -> None:
        self.process = spawn(self.command, self.log_path)
        self.launches += 1

    def started(self) -> bool:
        return self.log_path.read_text(errors="replace").count("relaying between") >= self.launches

    def wait_started(self) -> None:
        wait_for(self.started, 30, "the relayer to start", (self.log_path,))

    def crash_and_restart(self) -> None:
        """Kill it within 1.5 s (a deposit or withdrawal just made is then being relayed), and restart it."""
        time.sleep(self.rng.uniform(0.05, 1.5))
        kill(self.process)
        self.launch()


def test_a_relayer_killed_at_random_points_loses_and_doubles_nothing(tmp_path):
    base = start_base_devnet(tmp_path, "--block-time", "0.2", "--finality-lag", "2")
    chain = relayer = None
    try:
        chain = start_dev_chain(tmp_path)
        relayer_log = tmp_path / "relayer.log"
        logs = (base.log_path, chain.log_path, relayer_log)
        command = ["relayer", "--rpc", chain.url, "--base-rpc", base.url, "--dev-key", "10", "--interval", "0.2"]
        users = [dev_account(i) for i in (1, 2)]
        deposits = [(users[i % 2], (i + 1) * UNIT) for i in range(6)]
        minted_before = {u.address: chain.w3.eth.get_balance(u.address) for u in users}
        relayer = CrashingRelayer(command, relayer_log, random.Random(8))
        for user, amount in deposits:
            relayer.wait_started()
            deposit_on_base(base, user, amount, user.address)
            relayer.crash_and_restart()
        module = module_contract(chain, "bridge")
        wait_for(lambda: module.functions.nextUnmintedDeposit().call() == len(deposits), TIMEOUT,
                 "every deposit minted", logs)
        for nonce, (user, amount) in enumerate(deposits):
            assert tuple(module.functions.depositOf(nonce).call()[:3]) == (True, user.address, amount)
        for user in users:
            expected = sum(a for u, a in deposits if u is user)
            assert chain.w3.eth.get_balance(user.address) == minted_before[user.address] + expected

        token = base.contract("token")
        base_before = {u.address: token.functions.balanceOf(u.address).call() for u in users}
        withdrawals = [(users[0], 2 * UNIT), (users[1], 3 * UNIT), (users[0], UNIT)]
        for user, amount in withdrawals:
            relayer.wait_started()
            withdraw_here(chain, user, amount, user.address)
            relayer.crash_and_restart()
        wait_for(lambda: all(w["status"] == "released" for w in chain.result("flock_bridgeWithdrawals", "0x0")),
                 TIMEOUT, "every withdrawal released and confirmed", logs)
        for user in users:
            expected = sum(a for u, a in withdrawals if u is user)
            assert token.functions.balanceOf(user.address).call() == base_before[user.address] + expected
        assert bridged_state(chain, base) == {"minted": 21 * UNIT, "burned": 6 * UNIT, "outstanding": 15 * UNIT,
                                              "locked": 15 * UNIT}
    finally:
        if relayer is not None:
            kill(relayer.process)
        if chain is not None:
            stop_dev_chain(chain.process)
        stop_process(base.process)


def test_the_relayer_refuses_a_base_endpoint_of_another_chain_and_a_bad_key(tmp_path):
    base = start_base_devnet(tmp_path, "--chain-id", "84532")
    chain = None
    try:
        chain = start_dev_chain(tmp_path)
        wrong_chain = subprocess.run([sys.executable, "-m", "flockchain", "relayer", "--rpc", chain.url, "--base-rpc",
                                      base.url, "--dev-key", "5"], capture_output=True, text=True, timeout=60)
        assert wrong_chain.returncode == 1
        assert "the Base endpoint is chain 84532, the bridge expects 8453" in wrong_chain.stderr
        (tmp_path / "key.json").write_text("{}")
        bad_key = subprocess.run([sys.executable, "-m", "flockchain", "relayer", "--base-rpc", base.url, "--key",
                                  str(tmp_path / "key.json"), "--password-file", str(tmp_path / "key.json")],
                                 capture_output=True, text=True, timeout=60)
        assert bad_key.returncode == 2 and "cannot load the key" in bad_key.stderr
    finally:
        if chain is not None:
            stop_dev_chain(chain.process)
        stop_process(base.process)
