"""A worker that stops between commit and reveal reveals after a restart, from its --state-dir.

Real dev node process, real RPC and blobs; the workers run in this process so the test can stop
one at an exact point of the round (after its commit, before its reveal) without a race.
"""

import asyncio

import pytest
from eth_account import Account

from fl_module.formats import COMMIT, REVEAL, ZERO_HASH
from fl_module.worker import data, demo, models, tensors
from fl_module.worker.agent import LocalData, Worker, WorkerConfig

pytestmark = pytest.mark.slow
UNIT = 10**18


def serve_chain(tmp_path, block_time: float | None):
    port = demo.free_port()
    process = demo.start_chain(tmp_path, port, block_time=block_time)
    yield f"http://127.0.0.1:{port}"
    demo.stop([process])


@pytest.fixture
def chain(tmp_path):
    yield from serve_chain(tmp_path, demo.BLOCK_TIME)


@pytest.fixture
def instant_chain(tmp_path):
    yield from serve_chain(tmp_path, None)


def create_one_proposer_task(rpc: demo.Rpc, tmp_path, seed: int) -> list[WorkerConfig]:
    """Task 0: linear on diabetes, one round of one proposer and two voters; three funded participants' configs."""
    keys = [demo.participant_key(seed, i) for i in range(3)]
    root = Account.from_mnemonic(demo.MNEMONIC, account_path="m/44'/60'/0'/0/10")
    creator = Account.from_mnemonic(demo.MNEMONIC, account_path="m/44'/60'/0'/0/0")
    rpc.send_each(root, "balances", "forceSetBalance", [(Account.from_key(key).address, 10_000 * UNIT) for key in keys])
    initial = rpc.put_blob(tensors.encode_model(models.init_model("linear", seed)))
    rpc.send(creator, "fl_alliance", "createTask", "linear", "sklearn:diabetes", initial, 1, 1, 2, [500] * 5,
             3_000 * UNIT, value=30 * UNIT)
    configs = []
    for i, (key, share) in enumerate(zip(keys, data.split_non_iid("diabetes", 3, seed))):
        state = tmp_path / f"worker{i}"
        state.mkdir()
        LocalData(*share).save(str(state / "data.npz"))
        configs.append(WorkerConfig(url=rpc.url, private_key=key, task=0, data=str(state / "data.npz"),
                                    state_dir=str(state), stake=5_000 * UNIT))
    return configs


async def join_all(rpc: demo.Rpc, configs: list[WorkerConfig]) -> str:
    """Bond and join every participant; the round's proposer."""
    for config in configs:
        joining = Worker(config)
        await joining.start()
        await joining.ensure_joined()
        await joining.client.close()
    [proposer] = rpc.contract("fl_alliance").functions.rolesOf(0, 0).call()[0]
    return proposer


def test_a_restarted_proposer_reveals_what_it_committed(chain, tmp_path):
    rpc = demo.Rpc(chain)
    configs = create_one_proposer_task(rpc, tmp_path, 7)

    async def scenario():
        proposer = await join_all(rpc, configs)
        config = next(c for c in configs if Account.from_key(c.private_key).address == proposer)
        first = Worker(config)
        await first.start()
        assert (await first.client.task_status(0)).phase == COMMIT
        await first.step()
        status = await first.client.task_status(0)
        member = await first.client.view("fl_alliance", "memberOf", 0, 0, proposer)
        await first.client.close()
        assert status.phase == REVEAL and member[0] != ZERO_HASH and member[1] == ZERO_HASH, "committed, not revealed"

        forgetful = Worker(WorkerConfig(**{**vars(config), "state_dir": str(tmp_path / "empty")}))
        await forgetful.start()
        await forgetful.step()
        assert (await forgetful.client.view("fl_alliance", "memberOf", 0, 0, proposer))[1] == ZERO_HASH, \
            "without its secrets a worker cannot reveal (and does not crash)"
        await forgetful.client.close()

        restarted = Worker(config)
        await restarted.start()
        await restarted.step()
        revealed = (await restarted.client.view("fl_alliance", "memberOf", 0, 0, proposer))[1]
        status = await restarted.client.task_status(0)
        await restarted.client.close()
        return revealed, status

    revealed, status = asyncio.run(asyncio.wait_for(scenario(), 300))
    assert revealed != ZERO_HASH
    assert status.phase == 2, "the only proposer revealed: votes are next"
    blob = rpc.get_blob("0x" + revealed.hex())
    tensors.decode_model(blob, "linear")


def test_a_worker_whose_first_look_ends_the_phase_acts_on_the_head_that_sealed(instant_chain, tmp_path):
    """Instant sealing: a block only when a transaction comes. The task's only proposer starts when the round
    is in COMMIT; its first look commits, which ends the phase in the block that commit seals, and nobody else
    sends anything. It must still see that head and reveal: a worker that subscribed to heads only after its
    first look waited forever (seen when `flockchain dev` restarted its sample task)."""
    rpc = demo.Rpc(instant_chain)
    configs = create_one_proposer_task(rpc, tmp_path, 8)

    async def scenario():
        proposer = await join_all(rpc, configs)
        worker = Worker(next(c for c in configs if Account.from_key(c.private_key).address == proposer))
        running = asyncio.ensure_future(worker.run())
        try:
            for _ in range(1200):  # two minutes at most, a bound for a loaded machine
                if rpc.contract("fl_alliance").functions.memberOf(0, 0, proposer).call()[1] != ZERO_HASH:
                    return True
                await asyncio.sleep(0.1)
            return False
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)

    assert asyncio.run(scenario()), "the proposer never revealed: it missed the head its own commit sealed"
