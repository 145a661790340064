"""A Marketplace user: find a model's hosts on chain, open escrow, and call `predict`, signing a free-tier
receipt while the free tier lasts and a voucher after it (spec/modules/marketplace.md).

    client = Client("http://127.0.0.1:8545", private_key)
    client.deposit(model=0, amount=10**18)            # escrow for the cheapest host (optional)
    answer = client.predict(0, [[0.0] * 64])          # {"outputs": …, "predictions": …, "tier": "free"}

The client keeps its counters (free requests this epoch, the cumulative voucher) per host and adopts the
host's when they differ (409); on 429 it pays if it has escrow there, else waits `Retry-After`.
"""

import time
from dataclasses import dataclass

import requests
from eth_account import Account

from fl_module.worker.demo import Rpc
from marketplace.formats import FreeRequests, Voucher, recover_signer, sign_digest

from .inputs import compute_inputs_hash

VOUCHER_SECONDS = 7_200
"""How long a voucher stays redeemable (hosts ask for at least an hour)."""
EPOCH_CHECK_SECONDS = 10.0
"""While paying because the free tier is used, how often the client looks for a new epoch (a new tier)."""


class MarketError(RuntimeError):
    """A host refused a request for a reason retrying does not fix; `status` and `body` say why."""

    def __init__(self, status: int, body: dict):
        super().__init__(f"{status}: {body.get('error', body)}")
        self.status, self.body = status, body


@dataclass(frozen=True)
class HostOffer:
    address: str
    endpoint: str
    price: int
    version: int


@dataclass
class Counters:
    epoch: int = -1
    free: int = 0
    free_exhausted: bool = False
    requests: int = 0
    amount: int = 0
    epoch_read_at: float = 0.0


class Client:
    def __init__(self, rpc_url: str, private_key: str | bytes, timeout: float = 30.0):
        self.rpc = Rpc(rpc_url)
        self.account = Account.from_key(private_key)
        self.user = bytes.fromhex(self.account.address[2:])
        self.key = bytes(self.account.key)
        self.chain_id = self.rpc.w3.eth.chain_id
        self.market = self.rpc.contract("marketplace")
        self.http = requests.Session()
        self.timeout = timeout
        self.counters: dict[tuple[str, int], Counters] = {}

    # Chain

    def hosts(self, model: int) -> list[HostOffer]:
        """The model's serving hosts, cheapest first."""
        offers = []
        for address in self.market.functions.hosts(model).call():
            stake, price, _, served, unbonding, endpoint = self.market.functions.host(model, address).call()
            if not unbonding:
                offers.append(HostOffer(address, endpoint, price, served))
        return sorted(offers, key=lambda offer: offer.price)

    def pick(self, model: int, host: str | None = None) -> HostOffer:
        offers = self.hosts(model)
        chosen = [o for o in offers if host is None or o.address.lower() == host.lower()]
        if not chosen:
            raise MarketError(404, {"error": f"no serving host for model {model}" + (f" at {host}" if host else "")})
        return chosen[0]

    def deposit(self, model: int, amount: int, host: str | None = None) -> str:
        """Escrow `amount` wei for a host of `model` (the cheapest by default); returns the host."""
        offer = self.pick(model, host)
        self.rpc.send(self.account, "marketplace", "deposit", offer.address, model, value=amount)
        return offer.address

    def channel(self, model: int, host: str) -> tuple[int, int, int, int]:
        return tuple(self.market.functions.channel(self.account.address, host, model).call())

    def epoch(self) -> int:
        return self.market.functions.currentEpoch().call()

    # Requests

    def sign_free(self, offer: HostOffer, model: int, counters: Counters, inputs: bytes) -> dict:
        message = FreeRequests(self.user, bytes.fromhex(offer.address[2:]), model, counters.epoch, counters.free + 1,
                               inputs)
        return {"user": self.account.address, "free": {"epoch": counters.epoch, "requests": counters.free + 1},
                "signature": "0x" + sign_digest(self.key, message.digest(self.chain_id)).hex()}

    def sign_voucher(self, offer: HostOffer, model: int, counters: Counters, inputs: bytes) -> dict:
        expiry = int(time.time()) + VOUCHER_SECONDS
        amount = counters.amount + offer.price
        message = Voucher(self.user, bytes.fromhex(offer.address[2:]), model, counters.requests + 1, amount, expiry,
                          inputs)
        return {"user": self.account.address,
                "voucher": {"requests": counters.requests + 1, "amount": str(amount), "expiry": expiry},
                "signature": "0x" + sign_digest(self.key, message.digest(self.chain_id)).hex()}

    def counters_for(self, offer: HostOffer, model: int) -> Counters:
        key = (offer.address, model)
        if key not in self.counters:
            _, redeemed, requests_, _ = self.channel(model, offer.address)
            self.counters[key] = Counters(epoch=self.epoch(), requests=requests_, amount=redeemed)
        return self.counters[key]

    def predict(self, model: int, inputs: list, host: str | None = None, pay: bool = True,
                max_wait: float = 120.0) -> dict:
        """The host's answer for a batch of inputs. Free while the free tier lasts, then paid from escrow when
        `pay` and there is escrow; otherwise waits for the next epoch (up to `max_wait` seconds)."""
        offer = self.pick(model, host)
        counters = self.counters_for(offer, model)
        if counters.free_exhausted and time.monotonic() - counters.epoch_read_at > EPOCH_CHECK_SECONDS:
            self.new_epoch(counters)
        deadline = time.monotonic() + max_wait
        try:
            hashed = compute_inputs_hash(inputs)
        except (TypeError, ValueError):  # not [rows, features] numbers: the host answers 400 with the shape
            hashed = bytes(32)
        for _ in range(64):
            paying = pay and counters.free_exhausted
            sign = self.sign_voucher if paying else self.sign_free
            auth = sign(offer, model, counters, hashed)
            response = self.http.post(f"{offer.endpoint}/v1/predict", json={"model": model, "inputs": inputs,
                                                                             "auth": auth}, timeout=self.timeout)
            body = response.json()
            if response.status_code == 200:
                if paying:
                    counters.requests, counters.amount = counters.requests + 1, int(auth["voucher"]["amount"])
                else:
                    counters.free += 1
                return body
            if response.status_code == 409 or (response.status_code == 402 and paying and "next" in body):
                if self.adopt(offer, model, counters, body, paying):
                    continue
            if response.status_code == 429:
                counters.free_exhausted = True
                if pay and self.channel(model, offer.address)[0] > 0:
                    continue
                pay = False  # nothing in escrow: this call waits for the free tier
                wait = float(response.headers.get("Retry-After", "1"))
                if time.monotonic() + wait > deadline:
                    raise MarketError(429, body)
                time.sleep(wait)
                self.new_epoch(counters)
                continue
            raise MarketError(response.status_code, body)
        raise MarketError(409, {"error": "the host kept refusing the client's counters"})

    def adopt(self, offer: HostOffer, model: int, counters: Counters, body: dict, paying: bool) -> bool:
        """Take the host's view of the counters when it differs; True if anything changed. A voucher count is
        taken only from a voucher this user signed (the host shows it) or from the chain: a host cannot make
        the client sign for more than it owes."""
        before = (counters.epoch, counters.free, counters.requests, counters.amount)
        expected = body.get("next")
        if not paying:
            if isinstance(body.get("epoch"), int) and body["epoch"] != counters.epoch:
                counters.epoch, counters.free_exhausted = body["epoch"], False
            counters.free = int(expected) - 1 if isinstance(expected, int) and expected > 0 else counters.free
        elif isinstance(expected, dict) and self.is_own_voucher(offer, model, expected.get("held")):
            counters.requests, counters.amount = expected["held"]["requests"], int(expected["held"]["amount"])
        else:
            _, redeemed, requests_, _ = self.channel(model, offer.address)
            counters.requests, counters.amount = requests_, redeemed
        return before != (counters.epoch, counters.free, counters.requests, counters.amount)

    def is_own_voucher(self, offer: HostOffer, model: int, held) -> bool:
        try:
            message = Voucher(self.user, bytes.fromhex(offer.address[2:]), model, held["requests"],
                              int(held["amount"]), held["expiry"], bytes.fromhex(held["inputs"][2:]))
            return recover_signer(message.digest(self.chain_id), bytes.fromhex(held["signature"][2:])) == self.user
        except (TypeError, KeyError, ValueError, OverflowError):
            return False

    def new_epoch(self, counters: Counters) -> None:
        epoch, counters.epoch_read_at = self.epoch(), time.monotonic()
        if epoch != counters.epoch:
            counters.epoch, counters.free, counters.free_exhausted = epoch, 0, False
