"""A validator's Marketplace duty: probe every serving host of every model through the epoch and report once
per epoch and model (marketplace.reportHosts; spec/modules/marketplace.md, Monitoring).

A probe is `GET {endpoint}/v1/models` within `timeout` seconds, answered with the model's entry and
`serving: true`. A host is reported DOWN when every probe of the epoch failed (at least MIN_PROBES of
them), STALE when it serves `latest` and every answer given StaleBlocks or more after the newest version
was published named an older one, and UP otherwise, with the median latency of its answers. Weights the
duty cannot load itself (never uploaded, not the model's kind) excuse a host: it is not stale for not
serving them, nor down for serving nothing when they are all it may serve. The report goes out once the
epoch is `report_at_per_million` through (by slot), re-reading the hosts first, so a host has most of an
epoch to answer; a host leaving after it was probed is still reported (the chain slashes a failing host
once, leaving or not), a host already penalised is not probed.

Run it inside a node (`flockchain dev --market-probe INDEX`, `flockchain node … --market-probe`) or on its
own (`flockchain market probe --rpc URL --key-file F`); it needs a staking validator's key.
"""

import logging
import statistics
import threading
import time
from dataclasses import dataclass, field

import requests
from eth_account import Account

from fl_module.worker import tensors
from fl_module.worker.demo import Rpc
from marketplace.module import DOWN, STALE, UP

log = logging.getLogger("flockchain.probe")
MIN_PROBES = 2
"""A host is reported down only after this many failed probes (a duty that starts late waits for them)."""


@dataclass
class Observations:
    """What this epoch's probes of one host saw: latencies, and (block, version) of each answer."""
    latencies: list[float] = field(default_factory=list)
    versions: list[tuple[int, int]] = field(default_factory=list)
    failures: int = 0

    def verdict(self, stale_from: int | None, latest: int) -> tuple[int, int] | None:
        """(verdict, latency in ms), or None with too few probes to say. `stale_from`: the block from which
        a host on `latest` must serve version `latest` (None: it cannot be stale)."""
        if not self.latencies:
            return (DOWN, 0) if self.failures >= MIN_PROBES else None
        latency = round(statistics.median(self.latencies) * 1000)
        due = [version for block, version in self.versions if stale_from is not None and block >= stale_from]
        if due and all(version != latest for version in due):
            return STALE, latency
        return UP, latency


class ProbeDuty:
    def __init__(self, rpc_url: str, private_key: str | bytes, probe_seconds: float = 10.0,
                 report_at_per_million: int = 750_000, timeout: float = 5.0):
        self.rpc = Rpc(rpc_url)
        self.account = Account.from_key(private_key)
        self.market = self.rpc.contract("marketplace")
        self.epoch_length = self.rpc.contract("randomness").functions.epochLength().call()
        self.probe_seconds, self.report_at, self.timeout = probe_seconds, report_at_per_million, timeout
        self.http = requests.Session()
        self.epoch: int | None = None
        self.seen: dict[tuple[int, str], Observations] = {}
        self.reported: set[int] = set()
        self.servable: dict[tuple[int, int], bool] = {}

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception as error:  # the node restarting, a dropped connection: try again next time
                log.warning("market probe: %s", error)
            stop.wait(self.probe_seconds)

    def tick(self) -> list[int]:
        """Probe every host once; report the models whose report is due. Returns the models reported."""
        epoch = self.head_slot() // self.epoch_length
        if epoch != self.epoch:
            self.epoch, self.seen, self.reported, self.servable = epoch, {}, set(), {}
        block = self.rpc.w3.eth.block_number
        for (model, host), (endpoint, _, served) in self.offers().items():
            self.probe(model, host, endpoint, served, block)
        if not self.is_report_due():
            return []
        offers = self.offers()  # again: what the chain will check the report against
        return [model for model in sorted({model for model, _ in offers} - self.reported)
                if self.report(model, offers)]

    def offers(self) -> dict[tuple[int, str], tuple[str, int, int]]:
        """(model, host) → (endpoint, the version it is registered to serve (0: latest), the version it must
        serve now) for every host not penalised: serving, or leaving after it was probed this epoch."""
        found = {}
        for model in range(self.market.functions.modelCount().call()):
            for host in self.market.functions.hosts(model).call():
                _, _, version, served, unbonding, endpoint = self.market.functions.host(model, host).call()
                penalised = self.market.functions.health(model, host).call()[5]
                if not penalised and (not unbonding or (model, host) in self.seen):
                    found[(model, host)] = (endpoint, version, served)
        return found

    def probe(self, model: int, host: str, endpoint: str, served: int, block: int) -> None:
        """One probe. A host answering that it serves nothing counts as failing only when this duty can load
        the version it should serve: weights nobody can get are the model owner's fault, not the host's."""
        seen = self.seen.setdefault((model, host), Observations())
        started = time.monotonic()
        try:
            response = self.http.get(f"{endpoint}/v1/models", timeout=self.timeout)
            entry = next(e for e in response.json()["data"] if e.get("id") == model)
            if response.status_code != 200 or not entry.get("serving"):
                if response.status_code == 200 and not self.is_servable(model, served):
                    return
                raise ValueError(f"status {response.status_code}, serving {entry.get('serving')}")
            seen.versions.append((block, int(entry["version"])))
            seen.latencies.append(time.monotonic() - started)
        except Exception as error:
            seen.failures += 1
            log.info("probe of %s for model %d failed: %s", host, model, error)

    def is_servable(self, model: int, version: int) -> bool:
        """Whether this duty can fetch the version's weights (hash checked) and decode them as the model's kind;
        remembered for the epoch (weights uploaded late count from the next one)."""
        if (model, version) not in self.servable:
            weights = self.market.functions.version(model, version).call()[0]
            kind = self.market.functions.model(model).call()[2]
            try:
                tensors.decode_model(self.rpc.get_blob("0x" + weights.hex()), kind)
                self.servable[(model, version)] = True
            except Exception as error:  # missing, not its hash, not a model of the kind
                log.info("model %d version %d cannot be served: %s", model, version, error)
                self.servable[(model, version)] = False
        return self.servable[(model, version)]

    def is_report_due(self) -> bool:
        """Far enough through the epoch the probes began in (and still in it: a report for an epoch that has
        ended would be refused)."""
        slot, length = self.head_slot(), self.epoch_length
        return slot // length == self.epoch and (slot % length) * 1_000_000 >= self.report_at * length

    def head_slot(self) -> int:
        """The head's slot: the chain's epoch is slot // epoch length."""
        return int(self.rpc.call("chain_getHeader")["digest"]["slot"], 16)

    def report(self, model: int, offers: dict) -> bool:
        latest = self.market.functions.model(model).call()[3]
        published = self.market.functions.version(model, latest).call()[5]
        stale_from = published + self.market.functions.getParameter("StaleBlocks").call()
        if not self.is_servable(model, latest):
            stale_from = None
        hosts, verdicts, latencies = [], [], []
        for (probed_model, host), (_, version, _) in offers.items():
            seen = self.seen.get((model, host))
            judged = seen and probed_model == model and seen.verdict(stale_from if version == 0 else None, latest)
            if judged:
                hosts.append(host)
                verdicts.append(judged[0])
                latencies.append(judged[1])
        if not hosts:
            return False
        self.rpc.send(self.account, "marketplace", "reportHosts", self.epoch, model, hosts, verdicts, latencies)
        self.reported.add(model)
        log.info("reported model %d, epoch %d: %s", model, self.epoch, dict(zip(hosts, verdicts)))
        return True


def start_probe_duty(rpc_url: str, private_key: str | bytes, probe_seconds: float = 10.0
                     ) -> tuple[threading.Thread, threading.Event]:
    """The duty in a daemon thread (inside a node, like the bridge duty); set the event to stop it."""
    stop = threading.Event()

    def run() -> None:  # connects from its own thread: a node's event loop must stay free to answer it
        while not stop.is_set():
            try:
                ProbeDuty(rpc_url, private_key, probe_seconds).run(stop)
            except Exception as error:  # could not connect yet: try again
                log.warning("market probe duty: %s", error)
                stop.wait(probe_seconds)

    thread = threading.Thread(target=run, name="market-probe", daemon=True)
    thread.start()
    return thread, stop
