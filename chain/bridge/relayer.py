"""The bridge relayer and validator duty: move messages between this chain and Base over JSON-RPC.

Every pass starts from what the two chains say, never from memory alone, so the relayer can be
killed at any instant and restarted, and several relayers can run at once:

- Deposits (Base → here): Deposit logs of the bridge from the Base block of the last minted
  deposit up to Base's `finalized` block; for each receipt holding a nonce not minted here, a
  validator attests the block (if it has not), and anyone, once the block is accepted, sends
  `bridge.proveDeposit` with the header and receipt proof (checked locally against the block's
  hash and receiptsRoot first).
- Withdrawals (here → Base): every withdrawal from `nextUnreleasedWithdrawal`. A validator of its
  set signs the EIP-712 digest it computes itself (and checks against the chain's); once > 2/3
  signed, anyone sends FlockBridge.withdraw with the collected signatures unless Base already
  processed the nonce; when the Base `Withdrawal` log is final, the block is attested and
  `bridge.confirmRelease` marks it released here.

Each transaction is dry-run first (eth_call), so what another relayer already did is skipped
rather than paid for; transactions in flight are remembered only to avoid sending twice before
they are included. The same code runs as `flockchain relayer` and inside a node (`--base-rpc`).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3Exception

from runtime.modules import bridge as bridge_module

from .proofs import ProofError, build_receipt_proof

log = logging.getLogger("flockchain.relayer")

LOG_RANGE = 2_000
"""Base blocks per eth_getLogs request (public Base endpoints cap the range)."""
HOME_GAS = 2_000_000
BASE_GAS = 1_500_000
TIP = 10**9
IN_FLIGHT_SECONDS = 30.0
"""How long a sent transaction suppresses an identical one while it is not yet included."""


class RelayerError(RuntimeError):
    """The two chains do not fit together (another Base chain id or bridge), or an endpoint misbehaves."""


@dataclass
class RelayerStats:
    attested: int = 0
    proven: int = 0
    signed: int = 0
    released: int = 0
    confirmed: int = 0
    passes: int = 0
    mint_latency: list[float] = field(default_factory=list)


def withdrawal_typed_data(base_chain_id: int, bridge: str, home_chain_id: int, set_id: int, nonce: int,
                          recipient: str, amount: int) -> dict:
    """FlockBridge's EIP-712 Withdrawal message (spec/bridge_contracts.md), for eth-account."""
    return {
        "types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                   {"name": "chainId", "type": "uint256"},
                                   {"name": "verifyingContract", "type": "address"}],
                  "Withdrawal": [{"name": "homeChainId", "type": "uint256"},
                                 {"name": "validatorSetId", "type": "uint256"}, {"name": "nonce", "type": "uint256"},
                                 {"name": "recipient", "type": "address"}, {"name": "amount", "type": "uint256"}]},
        "primaryType": "Withdrawal",
        "domain": {"name": "FlockBridge", "version": "1", "chainId": base_chain_id, "verifyingContract": bridge},
        "message": {"homeChainId": home_chain_id, "validatorSetId": set_id, "nonce": nonce, "recipient": recipient,
                    "amount": amount}}


class Relayer:
    """One relayer: `key` signs here (and attests and signs withdrawals if it is a validator);
    `base_key` pays for FlockBridge.withdraw on Base (default: the same key)."""

    def __init__(self, home_url: str, base_url: str, key: bytes, base_key: bytes | None = None,
                 base_start_block: int = 0, interval: float = 1.0, timeout: float = 30.0):
        self.home = Web3(Web3.HTTPProvider(home_url, request_kwargs={"timeout": timeout}))
        self.base = Web3(Web3.HTTPProvider(base_url, request_kwargs={"timeout": timeout}))
        self.account = Account.from_key(key)
        self.base_account = Account.from_key(base_key or key)
        self.base_start_block = base_start_block
        self.interval = interval
        self.stats = RelayerStats()
        self._in_flight: dict[tuple, float] = {}
        self._connected = False

    # Setup

    def connect(self) -> None:
        """Read the module ABIs and the bridge's place on Base; refuse a Base endpoint of another chain."""
        modules = {m["name"]: m for m in self.home.provider.make_request("flock_modules", [])["result"]}
        info = self.home.provider.make_request("flock_bridgeInfo", [])["result"]
        if not info["configured"]:
            raise RelayerError("this chain's bridge module is not configured (bridge address is zero)")
        self.module = self.home.eth.contract(address=modules["bridge"]["address"], abi=modules["bridge"]["abi"])
        self.consensus = self.home.eth.contract(address=modules["consensus"]["address"],
                                                abi=modules["consensus"]["abi"])
        self.base_chain_id = int(info["baseChainId"], 16)
        if self.base.eth.chain_id != self.base_chain_id:
            raise RelayerError(f"the Base endpoint is chain {self.base.eth.chain_id}, the bridge expects "
                               f"{self.base_chain_id}")
        self.bridge = self.base.eth.contract(address=info["bridgeAddress"], abi=info["bridgeAbi"])
        if not self.base.eth.get_code(self.bridge.address):
            raise RelayerError(f"no contract at the bridge address {self.bridge.address} on Base")
        self.home_chain_id = self.home.eth.chain_id
        self.deposit_topic = "0x" + bridge_module.DEPOSIT_TOPIC.hex()
        self.release_topic = "0x" + bridge_module.RELEASE_TOPIC.hex()
        self._connected = True

    # The loop

    def run(self, stop: threading.Event) -> None:
        """Relay until `stop` is set; an unreachable endpoint or a failed pass is logged and retried.
        Endpoints that do not fit together (another Base chain, no bridge contract) stop it with
        RelayerError."""
        while not stop.is_set():
            try:
                if not self._connected:
                    self.connect()
            except RelayerError:
                raise
            except Exception as error:  # noqa: BLE001 - an endpoint not up yet
                log.warning("cannot reach the endpoints yet: %s", error)
            else:
                try:
                    self.relay_once()
                except Exception as error:  # noqa: BLE001 - endpoints come and go; the next pass starts over
                    log.warning("relayer pass failed: %s", error)
            stop.wait(self.interval)

    def relay_once(self) -> None:
        if not self._connected:
            self.connect()
        finalized = self.base.eth.get_block("finalized")["number"]
        self.relay_deposits(finalized)
        self.relay_withdrawals(finalized)
        self.stats.passes += 1

    # Deposits

    def _scan_start(self) -> int:
        next_nonce = self.module.functions.nextUnmintedDeposit().call()
        if next_nonce == 0:
            return self.base_start_block
        return max(self.base_start_block, self.module.functions.depositOf(next_nonce - 1).call()[3])

    def _logs(self, topics: list, start: int, end: int) -> list:
        found = []
        for low in range(start, end + 1, LOG_RANGE):
            found += self.base.eth.get_logs({"address": self.bridge.address, "topics": topics, "fromBlock": low,
                                             "toBlock": min(end, low + LOG_RANGE - 1)})
        return found

    def relay_deposits(self, finalized: int) -> None:
        start = self._scan_start()
        if start > finalized:
            return
        pending: dict[tuple[bytes, int], tuple[int, int]] = {}
        for entry in self._logs([self.deposit_topic], start, finalized):
            nonce = int.from_bytes(entry["topics"][1], "big")
            if self.module.functions.depositOf(nonce).call()[0]:
                continue
            pending.setdefault((bytes(entry["blockHash"]), entry["transactionIndex"]), (entry["blockNumber"], nonce))
        for (block_hash, index), (number, nonce) in sorted(pending.items(), key=lambda item: item[1]):
            if self._accepted(block_hash, number):
                self._prove("proveDeposit", block_hash, index, ("deposit", nonce))

    def _accepted(self, block_hash: bytes, number: int) -> bool:
        """Whether the Base block is accepted here; attests it first when this relayer is a validator."""
        if self.module.functions.baseBlock(block_hash).call()[0]:
            return True
        if self.is_validator() and not self.module.functions.hasAttested(block_hash, self.account.address).call():
            if self._send_home(("attest", block_hash), "attestBaseBlock", number, block_hash):
                self.stats.attested += 1
        return self.module.functions.baseBlock(block_hash).call()[0]

    def _prove(self, call: str, block_hash: bytes, index: int, key: tuple) -> None:
        block = self.base.provider.make_request("eth_getBlockByHash", ["0x" + block_hash.hex(), False])["result"]
        receipts = self.base.provider.make_request("eth_getBlockReceipts", ["0x" + block_hash.hex()])["result"]
        if block is None or receipts is None:
            raise RelayerError(f"Base endpoint does not serve block 0x{block_hash.hex()} or its receipts")
        try:
            proof = build_receipt_proof(block, receipts, index)
        except ProofError as error:
            raise RelayerError(f"Base endpoint served inconsistent data: {error}") from None
        log.info("proof for receipt %d of Base block %d: %d bytes in %d nodes", index, proof.block_number,
                 proof.size, len(proof.proof))
        if self._send_home(key, call, proof.block_hash, proof.header, index, list(proof.proof)):
            if call == "proveDeposit":
                self.stats.proven += 1
            else:
                self.stats.confirmed += 1

    # Withdrawals

    def is_validator(self, set_id: int | None = None) -> bool:
        if set_id is None:
            members, _ = self.consensus.functions.authorities().call()
        else:
            members, _ = self.consensus.functions.authoritySet(set_id).call()
        return self.account.address in members

    def relay_withdrawals(self, finalized: int) -> None:
        for item in self.home.provider.make_request("flock_bridgeWithdrawals", [])["result"]:
            nonce, status = int(item["nonce"], 16), item["status"]
            if status == "requested":
                self._sign(nonce, item)
            elif status == "signed":
                if not self.bridge.functions.processed(nonce).call():
                    self._release(nonce, item)
                else:
                    self._confirm(nonce, max(self.base_start_block, int(item["baseFloor"], 16)), finalized)

    def _sign(self, nonce: int, item: dict) -> None:
        set_id = int(item["validatorSetId"], 16)
        if not self.is_validator(set_id) or self.module.functions.hasSigned(nonce, self.account.address).call():
            return
        typed = withdrawal_typed_data(self.base_chain_id, self.bridge.address, self.home_chain_id, set_id, nonce,
                                      item["baseRecipient"], int(item["amount"], 16))
        signed = Account.sign_message(encode_typed_data(full_message=typed), self.account.key)
        if bytes(signed.message_hash) != bytes(self.module.functions.withdrawalDigest(nonce).call()):
            raise RelayerError(f"withdrawal {nonce}: the chain's digest differs from the EIP-712 message signed here")
        if self._send_home(("sign", nonce), "submitWithdrawalSignature", nonce, bytes(signed.signature)):
            self.stats.signed += 1

    def _release(self, nonce: int, item: dict) -> None:
        signatures = [bytes.fromhex(s[2:]) for s in item["signatures"]]
        call = self.bridge.functions.withdraw(nonce, item["baseRecipient"], int(item["amount"], 16), signatures)
        if self._send_base(("release", nonce), call):
            self.stats.released += 1

    def _confirm(self, nonce: int, floor: int, finalized: int) -> None:
        for entry in self._logs([self.release_topic, "0x" + nonce.to_bytes(32, "big").hex()], floor, finalized):
            block_hash = bytes(entry["blockHash"])
            if self._accepted(block_hash, entry["blockNumber"]):
                self._prove("confirmRelease", block_hash, entry["transactionIndex"], ("confirm", nonce))
            return

    # Sending

    def _fresh(self, key: tuple) -> bool:
        sent = self._in_flight.get(key)
        return sent is None or time.monotonic() - sent > IN_FLIGHT_SECONDS

    def _send_home(self, key: tuple, name: str, *args) -> bool:
        """Dry-run, then sign and send a bridge-module call; False when it would fail or is in flight."""
        if not self._fresh(key):
            return False
        function = getattr(self.module.functions, name)(*args)
        try:
            function.call({"from": self.account.address})
        except ContractLogicError as error:
            log.info("skip %s%s: %s", name, key, error)
            return False
        base_fee = self.home.eth.get_block("latest")["baseFeePerGas"]
        tx = function.build_transaction({
            "from": self.account.address, "chainId": self.home_chain_id, "gas": HOME_GAS,
            "nonce": self.home.eth.get_transaction_count(self.account.address, "pending"),
            "maxFeePerGas": 2 * base_fee + TIP, "maxPriorityFeePerGas": TIP})
        tx_hash = self.home.eth.send_raw_transaction(self.account.sign_transaction(tx).raw_transaction)
        self._in_flight[key] = time.monotonic()
        receipt = self.home.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.1)
        if receipt["status"] != 1:
            log.warning("%s%s failed in block %d", name, key, receipt["blockNumber"])
            return False
        self._in_flight.pop(key, None)
        return True

    def _send_base(self, key: tuple, function) -> bool:
        if not self._fresh(key):
            return False
        try:
            function.call({"from": self.base_account.address})
        except (ContractLogicError, Web3Exception) as error:
            log.info("skip Base %s: %s", key, error)
            return False
        block = self.base.eth.get_block("latest")
        tx = function.build_transaction({
            "from": self.base_account.address, "chainId": self.base_chain_id, "gas": BASE_GAS,
            "nonce": self.base.eth.get_transaction_count(self.base_account.address, "pending"),
            "maxFeePerGas": 2 * block["baseFeePerGas"] + TIP, "maxPriorityFeePerGas": TIP})
        tx_hash = self.base.eth.send_raw_transaction(self.base_account.sign_transaction(tx).raw_transaction)
        self._in_flight[key] = time.monotonic()
        receipt = self.base.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.2)
        if receipt["status"] != 1:
            log.warning("Base %s failed in block %d", key, receipt["blockNumber"])
            return False
        return True


def start_duty(home_url: str, base_url: str, key: bytes, interval: float = 1.0) -> tuple[threading.Thread, threading.Event]:
    """Run a relayer with a node's own key in a daemon thread (the validator duty inside a node);
    set the returned event to stop it."""
    stop = threading.Event()
    relayer = Relayer(home_url, base_url, key, interval=interval)

    def run() -> None:
        try:
            relayer.run(stop)
        except RelayerError as error:
            log.error("bridge duty stopped: %s", error)

    thread = threading.Thread(target=run, name="bridge-duty", daemon=True)
    thread.start()
    return thread, stop
