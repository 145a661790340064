"""Drives the marketplace module through signed transactions on an in-memory chain (tests and conformance
cases), with finished FL Alliance and AI Arena tasks to publish from."""

from marketplace import formats
from marketplace import module as marketplace
from runtime.crypto import keccak256
from runtime.modules import system
from tests.arena.arena_driver import ArenaDriver, model_hash
from tests.fl.alliance_driver import UNIT, AllianceDriver, address
from tests.runtime.harness import ACCOUNTS

OWNER, HOST, USER, OTHER_HOST, OTHER_USER = 1, 8, 9, 7, 6
"""Account indices: the model's owner is an Arena trainer; hosts and users stake nothing."""
KIND = "mlp:digits"
WEIGHTS = keccak256(b"uploaded weights")
INPUTS = keccak256(b"a request's inputs")
"""What vouchers and receipts sign for (the chain checks the signature, not the inputs)."""
HOST_STAKE = 1_000 * UNIT
PRICE = 10**15
FAR_FUTURE = 2**63


class MarketDriver(AllianceDriver):
    """AllianceDriver's blocks and staking, with calls to the marketplace module."""

    MODULE = marketplace.MODULE

    def act(self, sender, name, *args, value=0, module=None):
        (applied,) = self.block((sender, module or self.MODULE, name, args, value))
        return applied

    def model(self, owner=OWNER, name="digits", kind=KIND):
        return self.act(owner, "createModel", name, kind)

    def register(self, host=HOST, model=0, version=0, price=PRICE, endpoint="http://127.0.0.1:9000",
                 stake=HOST_STAKE):
        return self.act(host, "registerHost", model, version, price, endpoint, value=stake)

    def chain_id(self) -> int:
        return system.ChainId.get(self.state())

    def voucher(self, requests, amount, user=USER, host=HOST, model=0, expiry=FAR_FUTURE, signer=None,
                chain_id=None, inputs=INPUTS) -> tuple:
        """The redeem arguments for a voucher signed by `signer` (the user by default)."""
        message = formats.Voucher(address(user), address(host), model, requests, amount, expiry, inputs)
        digest = message.digest(self.chain_id() if chain_id is None else chain_id)
        signature = formats.sign_digest(ACCOUNTS[user if signer is None else signer].private_key, digest)
        return address(user), model, requests, amount, expiry, inputs, signature

    def receipt(self, requests, epoch, user=USER, host=HOST, model=0, inputs=INPUTS) -> tuple:
        """(user, count, inputs hash, signature) of a FreeRequests receipt."""
        message = formats.FreeRequests(address(user), address(host), model, epoch, requests, inputs)
        return address(user), requests, inputs, formats.sign_digest(ACCOUNTS[user].private_key,
                                                                    message.digest(self.chain_id()))

    def settle(self, epoch, receipts, host=HOST, model=0):
        users, counts, inputs, signatures = zip(*receipts) if receipts else ((), (), (), ())
        return self.act(host, "settleFreeRequests", model, epoch, list(users), list(counts), list(inputs),
                        list(signatures))

    def finished_arena_task(self, loss_of=lambda validator, trainer: 100_000_000 * (trainer[-1] % 7 + 1)):
        """Arena task 0, finished with trainers 1, 2, 3 ranked."""
        arena_driver = ArenaDriver(self.chain, self._author)
        arena_driver.stake_all()
        arena_driver.create()
        arena_driver.run_task(0, {i: model_hash(i) for i in (1, 2, 3)}, loss_of)

    def finished_alliance_task(self, rounds=2, creator=0):
        """FL Alliance task 0 of `creator`, every update accepted in every round and each round's aggregate a new
        global model; returns each round's proposers."""
        driver = AllianceDriver(self.chain, self._author)
        driver.bond(range(1, 8))
        driver.create_task(creator=creator, rounds=rounds, model=KIND)
        driver.join(0, range(1, 8))
        return [driver.run_round(0, aggregate=bytes([0x42 + index]) * 32)[0] for index in range(rounds)]
