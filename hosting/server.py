"""`flockchain host`: serve one Marketplace model over HTTP, paid by vouchers or within the user's free tier.

    GET  /v1/models     the served model: id, name, kind, version, weights hash, provenance, loss (× 10⁹),
                        accuracy (per million, when the source reports one), price
    POST /v1/predict    {"model": id, "inputs": [[…], …], "auth": {…}} → {"outputs", "predictions", …}
    GET  /openapi.json  this API as OpenAPI 3.1

Every request signs for itself (spec/modules/marketplace.md, hosting/client.py builds them): `auth` is
`{"user", "free": {"epoch", "requests"}, "signature"}` — the user's FreeRequests receipt counting this
request — or `{"user", "voucher": {"requests", "amount", "expiry"}, "signature"}` — a Voucher whose amount
covers this request at the host's price. Either message also signs the hash of this request's inputs
(hosting/inputs.py), so a signature seen on the way cannot be spent on other inputs. Refusals are JSON
`{"error": why, …}`: 400 malformed (with the expected shape), 401 unsigned or a bad signature, 402 a voucher
that does not pay (too little, beyond the escrow, expiring), 409 a count out of step (with the next one
expected), 413 oversize, 415 not JSON, 429 free tier used (with `Retry-After`), 503 no verified weights (with
`Retry-After`: the next load attempt). The host keeps serving.

The weights are the version's blob, checked against its hash on chain before they are served; a host on
`latest` follows new versions as they are published, and answers 503 while the version due cannot be loaded
(`unservable` in /v1/models says why). Vouchers and receipts are written to the ledger before the answer
leaves; a background loop redeems vouchers and settles receipts on chain.
"""

import asyncio
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from aiohttp import hdrs, web
from eth_utils import to_checksum_address

from fl_module.formats import NO_ACCURACY
from fl_module.worker import models, tensors
from fl_module.worker.chain import ChainClient, ChainError
from fl_module.worker.train import pick_device
from marketplace.formats import PROVENANCE_NAMES, FreeRequests, Voucher, recover_signer
from marketplace.module import MAX_SETTLEMENTS
from rpc.web_policy import WebPolicy, refuse_content_type

from .inputs import compute_inputs_hash
from .ledger import Ledger, SignedReceipt, SignedVoucher

log = logging.getLogger("flockchain.host")
JSON_TYPES = frozenset({"application/json"})
NUMBER_TYPES = frozenset({int, float})
"""JSON numbers as Python parses them (a bool is neither: `true` is not an input)."""


class Refusal(Exception):
    """A request the host will not serve: its status, message and any fields the client needs."""

    def __init__(self, status: int, message: str, headers: dict | None = None, **fields):
        super().__init__(message)
        self.status, self.message, self.headers, self.fields = status, message, headers or {}, fields

    def response(self) -> web.Response:
        return web.json_response({"error": self.message, **self.fields}, status=self.status, headers=self.headers)


@dataclass
class HostConfig:
    model: int
    data_dir: Path
    bind: str = "127.0.0.1"
    port: int = 0
    max_batch: int = 256
    max_body: int = 1 << 20
    poll_seconds: float = 2.0
    redeem_seconds: float = 30.0
    min_voucher_seconds: int = 3_600
    """A voucher must stay redeemable this long after the request (the host's time to redeem it), and no
    voucher may expire before the one it replaces."""
    device: str | None = None
    durable: bool = False
    unmetered: bool = False
    """Answer without signatures or payment: the baseline `bench/market.py` measures beside a paid host."""
    policy: WebPolicy = field(default_factory=WebPolicy)


@dataclass(frozen=True)
class ServedModel:
    version: int
    weights: bytes
    provenance: int
    loss: int
    accuracy: int
    params: dict[str, torch.Tensor]


@dataclass(frozen=True)
class ChannelView:
    deposit: int
    redeemed: int
    requests: int
    closes_at: int


class Host:
    def __init__(self, chain: ChainClient, config: HostConfig):
        self.chain, self.config = chain, config
        self.address = bytes.fromhex(chain.address[2:])
        self.device = torch.device(config.device) if config.device else pick_device()
        self.ledger = Ledger(config.data_dir / "ledger.jsonl", config.durable)
        self.served: ServedModel | None = None
        self.unservable = "the weights are not loaded yet"
        """Why the version due is not served ("" when it is): a 503's message while nothing is served."""
        self.name = self.kind = ""
        self.price = 0
        self.epoch = 0
        self.epoch_length = 1
        self.epoch_ends_in = 1
        self.first_slot: tuple[float, int] | None = None
        self.channels: dict[bytes, ChannelView] = {}
        self.allowances: dict[tuple[int, bytes], int] = {}
        self.redeemed: dict[bytes, int] = {}
        self.settled: dict[tuple[int, bytes], int] = {}
        self.runner: web.AppRunner | None = None
        self.tasks: list[asyncio.Task] = []

    # Chain state

    async def refresh(self) -> None:
        """Price, served version and epoch (the head's slot // epoch length, as the chain counts it): reload the
        weights when the served version changed."""
        _, self.price, _, served, _, _ = await self.chain.view("marketplace", "host", self.config.model,
                                                               self.chain.address)
        header = await self.chain.w3.provider.make_request("chain_getHeader", [])
        slot = int(header["result"]["digest"]["slot"], 16)
        self.estimate_epoch_end(slot)
        if slot // self.epoch_length != self.epoch:
            self.epoch, self.allowances = slot // self.epoch_length, {}
        if served and (self.served is None or self.served.version != served):
            await self.load(served)

    async def load(self, version: int) -> None:
        """Serve `version`, or nothing when its weights cannot be served (503; `unservable` in /v1/models says
        why): answering with another version would credit that one's usage and revenue to this one. The load
        is retried at each poll; validators do not report a host for weights they cannot load either."""
        weights, provenance, _, _, loss, _, _, _, accuracy = await self.chain.view("marketplace", "version",
                                                                                   self.config.model, version)
        try:
            params = tensors.decode_model(await self.chain.get_blob(weights), self.kind)
        except (ChainError, tensors.ModelFormatError, ValueError) as error:
            unservable = f"version {version}'s weights cannot be served: {error}"
            if unservable != self.unservable:
                log.error(unservable)
            self.served, self.unservable = None, unservable
            return
        params = {name: tensor.to(self.device) for name, tensor in params.items()}
        self.served, self.unservable = ServedModel(version, weights, provenance, loss, accuracy, params), ""
        log.info("serving model %d version %d (0x%s) on %s", self.config.model, version, weights.hex(), self.device)

    def estimate_epoch_end(self, slot: int) -> None:
        """Seconds until the next epoch (Retry-After), at the slot rate seen since the host started (at least 1;
        one second a slot until slots have moved)."""
        now = time.monotonic()
        started, first = self.first_slot = self.first_slot or (now, slot)
        per_slot = (now - started) / (slot - first) if slot > first else 1.0
        self.epoch_ends_in = max(1, math.ceil((self.epoch_length - slot % self.epoch_length) * per_slot))

    async def channel(self, user: bytes, fresh: bool = False) -> ChannelView:
        if fresh or user not in self.channels:
            self.channels[user] = ChannelView(*await self.chain.view(
                "marketplace", "channel", to_checksum_address(user), self.chain.address, self.config.model))
        return self.channels[user]

    async def allowance(self, user: bytes) -> int:
        key = (self.epoch, user)
        if key not in self.allowances:
            self.allowances[key], _ = await self.chain.view("marketplace", "freeTier", to_checksum_address(user),
                                                            self.epoch)
        return self.allowances[key]

    # Requests

    async def check_free(self, user: bytes, claim: dict, signature: bytes, inputs: bytes) -> None:
        epoch, requests = as_int(claim, "epoch", 64), as_int(claim, "requests", 64)
        if recover_signer(FreeRequests(user, self.address, self.config.model, epoch, requests, inputs).digest(
                self.chain.chain_id), signature) != user:
            raise Refusal(401, "the signature is not the user's over this FreeRequests receipt for this host and "
                               "these inputs")
        allowance = await self.allowance(user)
        # No await from here to the ledger write: a user's concurrent requests are checked one after another.
        expected = self.ledger.free_used(self.epoch, user) + 1
        if epoch != self.epoch or requests != expected:
            raise Refusal(409, f"this receipt counts request {requests} of epoch {epoch}; the host expects request "
                               f"{expected} of epoch {self.epoch}", epoch=self.epoch, next=expected)
        if requests > allowance:
            raise Refusal(429, f"the free tier of {allowance} requests this epoch is used: pay with a voucher "
                               f"({self.price} wei a request) or retry in the next epoch",
                          headers={hdrs.RETRY_AFTER: str(self.epoch_ends_in)}, allowance=allowance,
                          price=str(self.price), retryAfter=self.epoch_ends_in)
        self.ledger.record_receipt(epoch, user, SignedReceipt(requests, inputs, signature))

    async def check_voucher(self, user: bytes, claim: dict, signature: bytes, inputs: bytes) -> int:
        """What this request pays: the voucher's amount above the newest one held (or redeemed)."""
        requests, amount = as_int(claim, "requests", 64), as_int(claim, "amount", 256)
        expiry = as_int(claim, "expiry", 64)
        if recover_signer(Voucher(user, self.address, self.config.model, requests, amount, expiry, inputs).digest(
                self.chain.chain_id), signature) != user:
            raise Refusal(401, "the signature is not the user's over this Voucher for this host and these inputs")
        channel = await self.channel(user)
        if amount - channel.redeemed > channel.deposit:
            channel = await self.channel(user, fresh=True)
        # No await from here to the ledger write: a user's concurrent requests are checked one after another.
        held = self.ledger.vouchers.get(user)
        last_requests = max(held.requests if held else 0, channel.requests)
        last_amount = max(held.amount if held else 0, channel.redeemed)
        if requests != last_requests + 1:
            raise Refusal(409, f"this voucher counts request {requests}; the host expects request "
                               f"{last_requests + 1}", next=expected_voucher(last_requests, last_amount, held, channel))
        if amount < last_amount + self.price:
            raise Refusal(402, f"the voucher pays {amount - last_amount} wei for this request; the price is "
                               f"{self.price}", price=str(self.price),
                          next=expected_voucher(last_requests, last_amount, held, channel))
        if expiry < time.time() + self.config.min_voucher_seconds or (held and expiry < held.expiry):
            raise Refusal(402, f"the voucher expires at {expiry}: give the host at least "
                               f"{self.config.min_voucher_seconds} s to redeem it, and no less than the last one")
        if channel.closes_at:
            raise Refusal(402, f"the user is withdrawing this escrow (from block {channel.closes_at}): deposit "
                               f"again to keep paying this host")
        if amount - channel.redeemed > channel.deposit:
            raise Refusal(402, f"the escrow holds {channel.deposit} wei, the voucher owes "
                               f"{amount - channel.redeemed}: deposit more for this host and model",
                          deposit=str(channel.deposit))
        self.ledger.record_voucher(user, SignedVoucher(requests, amount, expiry, inputs, signature))
        return amount - last_amount

    def parse_inputs(self, body: dict) -> torch.Tensor:
        """[N, features] float32 on the CPU, or a 400 that says the shape expected."""
        spec = models.model_spec(self.kind)
        shape = f"[N, {spec.n_features}] numbers with 1 ≤ N ≤ {self.config.max_batch}"
        inputs = body.get("inputs")
        refusal = Refusal(400, f"inputs must be {shape}, finite and within float32's range",
                          expected=[self.config.max_batch, spec.n_features])
        if not isinstance(inputs, list) or not 1 <= len(inputs) <= self.config.max_batch or not all(
                type(row) is list and len(row) == spec.n_features for row in inputs) or not all(
                type(value) in NUMBER_TYPES for row in inputs for value in row):
            raise refusal
        try:
            tensor = torch.tensor(inputs, dtype=torch.float32)
        except (OverflowError, RuntimeError, TypeError, ValueError):
            raise refusal from None
        if not bool(torch.isfinite(tensor).all()):
            raise refusal
        return tensor

    async def authorise(self, body: dict, inputs: bytes) -> tuple[str, int]:
        """(tier, wei charged) for a request whose auth signs for the inputs hashing to `inputs`."""
        auth = body.get("auth")
        if not isinstance(auth, dict):
            raise Refusal(401, "unsigned: give auth = {user, free | voucher, signature} (hosting/client.py)")
        try:
            user = bytes.fromhex(auth["user"].removeprefix("0x"))
            signature = bytes.fromhex(auth["signature"].removeprefix("0x"))
        except (KeyError, AttributeError, ValueError):
            raise Refusal(401, "auth needs user (an address) and signature (65 bytes hex)") from None
        if len(user) != 20:
            raise Refusal(401, "auth.user is not an address")
        if isinstance(auth.get("free"), dict):
            await self.check_free(user, auth["free"], signature, inputs)
            return "free", 0
        if isinstance(auth.get("voucher"), dict):
            return "paid", await self.check_voucher(user, auth["voucher"], signature, inputs)
        raise Refusal(401, "auth needs a free receipt or a voucher")

    async def handle_predict(self, request: web.Request) -> web.Response:
        try:
            body = await self.read_json(request)
            if body.get("model") != self.config.model:
                raise Refusal(404, f"this host serves model {self.config.model}", model=self.config.model)
            if self.served is None:
                raise Refusal(503, self.unservable,
                              headers={hdrs.RETRY_AFTER: str(max(1, math.ceil(self.config.poll_seconds)))})
            served = self.served
            inputs = self.parse_inputs(body)
            tier, charged = ("unmetered", 0) if self.config.unmetered else \
                await self.authorise(body, compute_inputs_hash(inputs))
        except Refusal as refusal:
            return refusal.response()
        with torch.no_grad():
            outputs = models.forward(self.kind, served.params, inputs.to(self.device))
        answer = {"model": self.config.model, "version": served.version, "weights": "0x" + served.weights.hex(),
                  "outputs": outputs.cpu().tolist(), "tier": tier, "charged": str(charged)}
        if models.is_classification(self.kind):
            answer["predictions"] = outputs.argmax(dim=-1).cpu().tolist()
        return web.json_response(answer)

    async def read_json(self, request: web.Request) -> dict:
        bad_type = refuse_content_type(request, JSON_TYPES)
        if bad_type:
            raise Refusal(415, bad_type)
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise Refusal(413, f"the body exceeds {self.config.max_body} bytes", limit=self.config.max_body) from None
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise Refusal(400, f"the body is not JSON: {error}") from None
        if not isinstance(body, dict):
            raise Refusal(400, "the body must be a JSON object")
        return body

    async def handle_models(self, request: web.Request) -> web.Response:
        served = self.served
        entry = {"id": self.config.model, "object": "model", "name": self.name, "kind": self.kind,
                 "host": self.chain.address, "price": str(self.price), "epoch": self.epoch,
                 "version": served.version if served else None,
                 "weights": "0x" + served.weights.hex() if served else None,
                 "provenance": PROVENANCE_NAMES[served.provenance] if served else None,
                 "loss": served.loss if served else None,
                 "accuracy": served.accuracy if served and served.accuracy != NO_ACCURACY else None,
                 "serving": served is not None,
                 "unservable": self.unservable or None}
        return web.json_response({"object": "list", "data": [entry]})

    async def handle_openapi(self, request: web.Request) -> web.Response:
        return web.json_response(openapi(self.kind, self.config.max_batch))

    # Settlement

    async def redeem_due(self) -> int:
        """Redeem each user's newest voucher above what the chain has redeemed; returns how many were. A voucher
        the chain refuses is not sent again (a newer one from that user will be)."""
        done = 0
        for user, voucher in list(self.ledger.vouchers.items()):
            if voucher.amount <= self.redeemed.get(user, 0):
                continue
            try:
                channel = await self.channel(user, fresh=True)
                if voucher.amount > channel.redeemed:
                    await self.chain.send("marketplace", "redeem", to_checksum_address(user), self.config.model,
                                          voucher.requests, voucher.amount, voucher.expiry, voucher.inputs,
                                          voucher.signature)
                    done += 1
            except Exception as error:  # refused, or the node is away: log it, go on with the next user
                log.warning("redeeming 0x%s's voucher for %d wei failed: %s", user.hex(), voucher.amount, error)
            self.redeemed[user] = voucher.amount
            self.channels.pop(user, None)
        return done

    async def settle_due(self) -> int:
        """Settle the receipts of this epoch and the last that grew since they were settled (the chain takes no
        older ones)."""
        self.ledger.forget_before(self.epoch - 1)
        self.settled = {key: count for key, count in self.settled.items() if key[0] >= self.epoch - 1}
        due = [(key, receipt) for key, receipt in self.ledger.receipts.items()
               if receipt.requests > self.settled.get(key, 0)]
        done = 0
        for epoch in sorted({key[0] for key, _ in due}):
            batch = [(key[1], receipt) for key, receipt in due if key[0] == epoch]
            for start in range(0, len(batch), MAX_SETTLEMENTS):
                part = batch[start:start + MAX_SETTLEMENTS]
                try:
                    await self.chain.send("marketplace", "settleFreeRequests", self.config.model, epoch,
                                          [to_checksum_address(u) for u, _ in part], [r.requests for _, r in part],
                                          [r.inputs for _, r in part], [r.signature for _, r in part])
                except Exception as error:
                    log.warning("settling %d receipts of epoch %d failed: %s", len(part), epoch, error)
                    continue
                for user, receipt in part:
                    self.settled[(epoch, user)] = receipt.requests
                done += len(part)
        return done

    async def poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.poll_seconds)
            try:
                await self.refresh()
            except Exception as error:  # a node restart or a dropped socket: keep serving, try again
                log.warning("refreshing chain state failed: %s", error)

    async def settle_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.redeem_seconds)
            try:
                await self.redeem_due()
                await self.settle_due()
            except Exception as error:
                log.warning("settlement failed: %s", error)

    # Life cycle

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self.config.policy.middleware(
            lambda request, status, message: web.json_response({"error": message}, status=status))],
            client_max_size=self.config.max_body)
        app.router.add_get("/v1/models", self.handle_models)
        app.router.add_post("/v1/predict", self.handle_predict)
        app.router.add_get("/openapi.json", self.handle_openapi)
        return app

    async def start(self) -> str:
        _, self.name, self.kind, _ = await self.chain.view("marketplace", "model", self.config.model)
        self.epoch_length = await self.chain.view("randomness", "epochLength")
        await self.refresh()
        if self.served is None:
            raise ChainError(f"model {self.config.model}: {self.unservable}")
        self.runner = web.AppRunner(self.application(), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.config.bind, self.config.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.tasks = [asyncio.create_task(self.poll_loop()), asyncio.create_task(self.settle_loop())]
        return f"http://{self.config.bind}:{port}"

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        if self.runner is not None:
            await self.runner.cleanup()
        self.ledger.close()


def as_int(claim: dict, name: str, bits: int) -> int:
    value = claim.get(name)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 78:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << bits:
        raise Refusal(400, f"auth field {name!r} must be a uint{bits} (a decimal string for large ones)")
    return value


def expected_voucher(last_requests: int, last_amount: int, held: SignedVoucher | None, channel: ChannelView) -> dict:
    """The next voucher the host expects, with the user's own signature on what it holds (a client adopts a
    count only from that, or from the chain)."""
    expected = {"requests": last_requests + 1, "amount": str(last_amount)}
    if held and held.amount > channel.redeemed:
        expected["held"] = {"requests": held.requests, "amount": str(held.amount), "expiry": held.expiry,
                            "inputs": "0x" + held.inputs.hex(), "signature": "0x" + held.signature.hex()}
    return expected


def openapi(kind: str, max_batch: int) -> dict:
    spec = models.model_spec(kind) if kind else None
    features = spec.n_features if spec else 0
    number_rows = {"type": "array", "minItems": 1, "maxItems": max_batch,
                   "items": {"type": "array", "minItems": features, "maxItems": features, "items": {"type": "number"}}}
    auth = {"type": "object", "required": ["user", "signature"], "properties": {
        "user": {"type": "string", "description": "the paying user's address"},
        "signature": {"type": "string", "description": "65-byte EIP-712 signature (r ‖ s ‖ v) over the claim and "
                                                       "the hash of this request's inputs (hosting/inputs.py)"},
        "free": {"type": "object", "properties": {"epoch": {"type": "integer"}, "requests": {"type": "integer"}},
                 "description": "FreeRequests(user, host, model, epoch, requests, inputs): this request's count in "
                                "the epoch"},
        "voucher": {"type": "object", "properties": {"requests": {"type": "integer"}, "amount": {"type": "string"},
                                                     "expiry": {"type": "integer"}},
                    "description": "Voucher(user, host, model, requests, amount, expiry, inputs): cumulative over "
                                   "the channel"}}}
    error = {"description": "refused", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"error": {"type": "string"}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "flockchain Marketplace host", "version": "1",
                 "description": "Inference for one on-chain model version, paid by EIP-712 vouchers or within the "
                                "user's stake-based free tier (spec/modules/marketplace.md)."},
        "paths": {
            "/v1/models": {"get": {"summary": "the served model and its on-chain record",
                                   "responses": {"200": {"description": "a list of one model"}}}},
            "/v1/predict": {"post": {
                "summary": "model outputs for a batch of inputs",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["model", "inputs", "auth"],
                    "properties": {"model": {"type": "integer"}, "inputs": number_rows, "auth": auth}}}}},
                "responses": {"200": {"description": "outputs (and predictions for a classifier)"},
                              **{str(code): error for code in (400, 401, 402, 404, 409, 413, 415, 429, 503)}}}},
            "/openapi.json": {"get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI"}}}},
        },
    }
