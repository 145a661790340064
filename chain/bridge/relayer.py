"""The bridge relayer and validator duty: move messages between this chain and Base over JSON-RPC.

Every pass starts from what the two chains say, never from memory alone, so the relayer can be
killed at any instant and restarted, and several relayers can run at once:

- Deposits (Base → here): Deposit logs of the bridge from the Base block of the last minted
  deposit up to Base's `finalized` block; for each receipt holding a nonce not minted here, a
  validator attests the block (if it has not), and anyone, once the block is accepted, sends
  `bridge.proveDeposit` with the header and receipt proof (checked locally against the block's
  hash and receiptsRoot first).
- Rotations: while FlockBridge's `validatorSetId` is behind this chain's `SetId`, validators of the
  outgoing set sign the next rotation and anyone sends `rotateValidators` once > 2/3 signed, in order.
- Withdrawals (here → Base): every withdrawal not yet released. A validator of the current set signs
  the EIP-712 digest it computes itself (and checks against the chain's); once > 2/3 signed and the
  contract is on that set, anyone sends FlockBridge.withdraw with the collected signatures unless
  Base already processed the nonce; when the Base `Withdrawal` log is final, the block is attested
  and `bridge.confirmRelease` marks it released here.

Each transaction is estimated first (a dry run), so what another relayer already did is skipped
rather than paid for; one item's failure (a receipt too large to prove, an endpoint error) is logged
and does not hold up the others; transactions in flight are remembered only to avoid sending twice before
they are included. The same code runs as `flockchain relayer` and inside a node (`--base-rpc`).
"""

from __future__ import annotations

import logging
import threading
import time

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3Exception

from runtime.crypto import keccak256
from runtime.modules import bridge as bridge_module

from .compile import compile_all
from .proofs import ProofError, build_receipt_proof

log = logging.getLogger("flockchain.relayer")

LOG_RANGE = 2_000
"""Base blocks per eth_getLogs request (public Base endpoints cap the range)."""
GAS_MARGIN = 20_000
"""Added to 120% of a transaction's gas estimate."""
TIP = 10**9
IN_FLIGHT_SECONDS = 30.0
"""How long a sent transaction suppresses an identical one while it is not yet included."""
MAX_PROOF_BYTES = 100_000
"""Header and proof nodes above this do not fit a transaction of this chain (128 KiB, ABI-encoded)."""
RESCAN_BLOCKS = 256
"""Log scans look this far back again: an endpoint whose log index lags its `finalized` block is caught up."""
TAKEOVER_SECONDS = 10.0
"""Work anyone may do (proofs, rotations, releases) goes first to one validator chosen by the work's key;
every other relayer does it only once it has stayed undone this long, so relayers do not race and pay for
each other's failed duplicates, and no single one is needed."""
SHARED_WORK = frozenset({"deposit", "confirm", "rotate", "release"})
WITHDRAWAL_PAGE = 1_000
"""flock_bridgeWithdrawals' page size."""


class RelayerError(RuntimeError):
    """The two chains do not fit together (another Base chain id or bridge), or an endpoint misbehaves."""


def describe(key: tuple) -> str:
    """A work key for logs: ("deposit", 3), ("attest", 0x…)."""
    return "(" + ", ".join("0x" + part.hex() if isinstance(part, bytes) else str(part) for part in key) + ")"


def rotation_typed_data(base_chain_id: int, bridge: str, home_chain_id: int, set_id: int, validators: list[str],
                        weights: list[int]) -> dict:
    """FlockBridge's EIP-712 ValidatorSetRotation message for set_id → set_id + 1, built here from the new set
    itself, so a validator never signs a digest it did not derive."""
    typed = withdrawal_typed_data(base_chain_id, bridge, home_chain_id, set_id, 0, "0x" + "00" * 20, 0)
    new_set_hash = keccak256(abi_encode(["address[]", "uint256[]"], [validators, weights]))
    typed["types"] = {"EIP712Domain": typed["types"]["EIP712Domain"],
                      "ValidatorSetRotation": [{"name": "homeChainId", "type": "uint256"},
                                               {"name": "validatorSetId", "type": "uint256"},
                                               {"name": "newSetHash", "type": "bytes32"}]}
    typed["primaryType"] = "ValidatorSetRotation"
    typed["message"] = {"homeChainId": home_chain_id, "validatorSetId": set_id, "newSetHash": new_set_hash}
    return typed


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
        self._in_flight: dict[tuple, float] = {}
        self._deposit_cursor = (0, 0)
        """(watermark nonce, first Base block still worth scanning while it is the watermark); only this
        process's shortcut."""
        self._release_cursor: dict[int, int] = {}
        """{withdrawal nonce: first Base block still worth scanning for its release}; this process's shortcut."""
        self._unprovable: set[tuple] = set()
        self._first_seen: dict[tuple, float] = {}
        self._members: list[str] = []
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
        latest = self.base.eth.block_number
        finalized = self.base.eth.get_block("finalized")["number"]
        if finalized > latest:
            raise RelayerError(f"the Base endpoint reports finalized block {finalized} above its head {latest}")
        now = time.monotonic()
        self._in_flight = {key: sent for key, sent in self._in_flight.items() if now - sent <= IN_FLIGHT_SECONDS}
        self._first_seen = {key: seen for key, seen in self._first_seen.items() if now - seen <= 600}
        self._members = sorted(self.consensus.functions.authorities().call()[0], key=str.lower)
        self._each("stage", (lambda: self.relay_deposits(finalized), self.relay_rotations,
                             lambda: self.relay_withdrawals(finalized)), lambda stage: stage())

    def _each(self, what: str, items, handle) -> None:
        """handle(item) for every item; one item's failure is logged and does not hold up the others."""
        for item in items:
            try:
                handle(item)
            except Exception as error:  # noqa: BLE001 - retried next pass; the rest go on now
                log.warning("%s %s: %s", what, item, error)

    # Deposits

    def _scan_start(self, next_nonce: int) -> int:
        """Where deposits from the watermark `next_nonce` on can start: the Base block of the nonce below it
        (nonces are sequential on Base), or where this process already looked, whichever is later."""
        start = self.base_start_block
        if next_nonce:
            start = max(start, self.module.functions.depositOf(next_nonce - 1).call()[3])
        watermark, block = self._deposit_cursor
        return max(start, block) if watermark == next_nonce else start

    def _logs(self, topics: list, start: int, end: int) -> list:
        found = []
        for low in range(start, end + 1, LOG_RANGE):
            found += self.base.eth.get_logs({"address": self.bridge.address, "topics": topics, "fromBlock": low,
                                             "toBlock": min(end, low + LOG_RANGE - 1)})
        return found

    def relay_deposits(self, finalized: int) -> None:
        next_nonce = self.module.functions.nextUnmintedDeposit().call()
        start = self._scan_start(next_nonce)
        if start > finalized:
            return
        pending: dict[tuple[bytes, int], tuple[int, int]] = {}
        first_open = None
        for entry in self._logs([self.deposit_topic], start, finalized):
            nonce = int.from_bytes(entry["topics"][1], "big")
            if nonce < next_nonce or self.module.functions.depositOf(nonce).call()[0]:
                continue
            first_open = entry["blockNumber"] if first_open is None else min(first_open, entry["blockNumber"])
            pending.setdefault((bytes(entry["blockHash"]), entry["transactionIndex"]), (entry["blockNumber"], nonce))
        self._deposit_cursor = (next_nonce, max(start, finalized + 1 - RESCAN_BLOCKS) if first_open is None
                                else first_open)
        items = sorted(pending.items(), key=lambda item: item[1])
        self._each("deposit", items, lambda item: self._relay_receipt("proveDeposit", *item[0], item[1][0],
                                                                      ("deposit", item[1][1])))

    def _relay_receipt(self, call: str, block_hash: bytes, index: int, number: int, key: tuple) -> None:
        if key in self._unprovable:
            return
        if self._accepted(block_hash, number) and self._my_turn(key):
            self._prove(call, block_hash, index, key)

    def _accepted(self, block_hash: bytes, number: int) -> bool:
        """Whether the Base block is accepted here. A validator first attests it, once its own Base endpoint
        shows that exact hash at that height and the height final."""
        if self.module.functions.baseBlock(block_hash).call()[0]:
            return True
        if self.is_validator() and not self.module.functions.hasAttested(block_hash, self.account.address).call():
            canonical = self.base.eth.get_block(number)
            final = self.base.eth.get_block("finalized")["number"]
            if bytes(canonical["hash"]) != block_hash or number > final:
                log.warning("not attesting Base block %d 0x%s: not the endpoint's final block there", number,
                            block_hash.hex())
                return False
            self._send_home(("attest", block_hash), "attestBaseBlock", block_hash)
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
        if proof.size > MAX_PROOF_BYTES:
            log.warning("receipt %d of Base block %d needs a %d-byte proof, more than a transaction may carry; "
                        "it cannot be relayed", index, proof.block_number, proof.size)
            self._unprovable.add(key)
            return
        log.info("proof for receipt %d of Base block %d: %d bytes in %d nodes", index, proof.block_number,
                 proof.size, len(proof.proof))
        self._send_home(key, call, proof.block_hash, proof.header, index, list(proof.proof))

    # The Base contract's validator set

    def is_validator(self, set_id: int | None = None) -> bool:
        """In the current set (as read at the start of this pass), or in set `set_id`."""
        if set_id is None:
            return self.account.address in self._members
        return self.account.address in self.consensus.functions.authoritySet(set_id).call()[0]

    def relay_rotations(self) -> None:
        """Bring the contract to this chain's set, one rotation at a time: sign each as an outgoing validator
        until > 2/3 signed, then submit it to Base."""
        home_set = self.consensus.functions.setId().call()
        base_set = self.bridge.functions.validatorSetId().call()
        for set_id in range(base_set, home_set):
            validators, weights, signatures, signed = self.module.functions.rotation(set_id).call()
            if not signed and self.is_validator(set_id):
                typed = rotation_typed_data(self.base_chain_id, self.bridge.address, self.home_chain_id, set_id,
                                            validators, weights)
                message = Account.sign_message(encode_typed_data(full_message=typed), self.account.key)
                signers = {Account._recover_hash(message.message_hash, signature=bytes(s)) for s in signatures}
                if self.account.address not in signers:
                    if bytes(message.message_hash) != bytes(self.module.functions.rotationDigest(set_id).call()):
                        raise RelayerError(f"rotation {set_id}: the chain's digest differs from the one signed here")
                    self._send_home(("rotation", set_id), "submitRotationSignature", set_id, bytes(message.signature))
                    validators, weights, signatures, signed = self.module.functions.rotation(set_id).call()
            if not signed:
                return
            call = self.bridge.functions.rotateValidators(validators, weights, [bytes(s) for s in signatures])
            if not self._send_base(("rotate", set_id), call):
                return

    # Withdrawals

    def _withdrawals(self) -> list[dict]:
        """Every withdrawal not yet released, page by page. One signed under the contract's current set is released
        before anyone signs it again under a newer set (which would drop those signatures)."""
        found, start = [], None
        while True:
            page = self.home.provider.make_request("flock_bridgeWithdrawals",
                                                   [] if start is None else [hex(start)])["result"]
            found += [item for item in page if item["status"] != "released"]
            if len(page) < WITHDRAWAL_PAGE:
                return found
            start = int(page[-1]["nonce"], 16) + 1

    def relay_withdrawals(self, finalized: int) -> None:
        home_set = self.consensus.functions.setId().call()
        base_set = self.bridge.functions.validatorSetId().call()
        processed = []
        for item in self._withdrawals():
            nonce = int(item["nonce"], 16)
            try:
                if self.bridge.functions.processed(nonce).call():
                    processed.append(item)
                elif item["status"] == "signed" and int(item["validatorSetId"], 16) == base_set:
                    self._release(nonce, item)
                elif int(item["validatorSetId"], 16) != home_set or item["status"] == "requested":
                    self._sign(nonce, item, home_set)
            except Exception as error:  # noqa: BLE001 - retried next pass; the others go on now
                log.warning("withdrawal %d: %s", nonce, error)
        if processed:
            self._confirm(processed, finalized)

    def _sign(self, nonce: int, item: dict, set_id: int) -> None:
        if not self.is_validator() or self.module.functions.hasSigned(nonce, self.account.address).call():
            return
        typed = withdrawal_typed_data(self.base_chain_id, self.bridge.address, self.home_chain_id, set_id, nonce,
                                      item["baseRecipient"], int(item["amount"], 16))
        signed = Account.sign_message(encode_typed_data(full_message=typed), self.account.key)
        if bytes(signed.message_hash) != bytes(self.module.functions.withdrawalDigest(nonce).call()):
            raise RelayerError(f"withdrawal {nonce}: the chain's digest differs from the EIP-712 message signed here")
        self._send_home(("sign", nonce, set_id), "submitWithdrawalSignature", nonce, bytes(signed.signature))

    def _release(self, nonce: int, item: dict) -> None:
        signatures = [bytes.fromhex(s[2:]) for s in item["signatures"]]
        call = self.bridge.functions.withdraw(nonce, item["baseRecipient"], int(item["amount"], 16), signatures)
        self._send_base(("release", nonce), call)

    def _confirm(self, processed: list[dict], finalized: int) -> None:
        """One log scan for every withdrawal Base processed and this chain has not confirmed yet, from where
        this process last looked for each (its Base floor at first)."""
        starts = {int(item["nonce"], 16): max(self.base_start_block, int(item["baseFloor"], 16)) for item in processed}
        starts = {nonce: max(start, self._release_cursor.get(nonce, 0)) for nonce, start in starts.items()}
        self._release_cursor = dict(starts)
        topics = [self.release_topic, ["0x" + nonce.to_bytes(32, "big").hex() for nonce in starts]]
        entries, found = {}, set()
        for entry in self._logs(topics, min(starts.values()), finalized):
            entries.setdefault((bytes(entry["blockHash"]), entry["transactionIndex"]), entry)
            nonce = int.from_bytes(entry["topics"][1], "big")
            found.add(nonce)
            self._release_cursor[nonce] = entry["blockNumber"]
        for nonce, start in starts.items():
            if nonce not in found:
                self._release_cursor[nonce] = max(start, finalized + 1 - RESCAN_BLOCKS)
        self._each("release", entries.values(), lambda entry: self._relay_receipt(
            "confirmRelease", bytes(entry["blockHash"]), entry["transactionIndex"], entry["blockNumber"],
            ("confirm", bytes(entry["blockHash"]), entry["transactionIndex"])))

    # Sending

    def _my_turn(self, key: tuple) -> bool:
        """Shared work: the designated validator (keccak(key) mod the set's size) at once, anyone else after
        TAKEOVER_SECONDS."""
        if key[0] not in SHARED_WORK:
            return True
        now = time.monotonic()
        first = self._first_seen.setdefault(key, now)
        if self._members:
            designated = self._members[int.from_bytes(keccak256(repr(key).encode()), "big") % len(self._members)]
            if designated == self.account.address:
                return True
        return now - first >= TAKEOVER_SECONDS

    def _fresh(self, key: tuple) -> bool:
        sent = self._in_flight.get(key)
        return sent is None or time.monotonic() - sent > IN_FLIGHT_SECONDS

    def _send_home(self, key: tuple, name: str, *args) -> bool:
        return self._send(self.home, self.account, self.home_chain_id, key,
                          getattr(self.module.functions, name)(*args))

    def _send_base(self, key: tuple, function) -> bool:
        return self._send(self.base, self.base_account, self.base_chain_id, key, function)

    def _send(self, w3: Web3, account, chain_id: int, key: tuple, function) -> bool:
        """Estimate (a dry run: what would fail, e.g. because another relayer did it, is skipped unpaid), sign,
        send and wait; False when skipped, in flight or failed."""
        if not self._fresh(key) or not self._my_turn(key):
            return False
        try:
            gas = function.estimate_gas({"from": account.address})
        except (ContractLogicError, Web3Exception) as error:
            log.info("skip %s: %s", describe(key), error)
            return False
        base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
        tx = function.build_transaction({
            "from": account.address, "chainId": chain_id, "gas": gas + gas // 5 + GAS_MARGIN,
            "nonce": w3.eth.get_transaction_count(account.address, "pending"),
            "maxFeePerGas": 2 * base_fee + TIP, "maxPriorityFeePerGas": TIP})
        tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
        self._in_flight[key] = time.monotonic()
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.1)
        if receipt["status"] != 1:
            log.warning("%s failed in block %d", describe(key), receipt["blockNumber"])
            return False
        return True


def start_duty(home_url: str, base_url: str, key: bytes, interval: float = 1.0) -> tuple[threading.Thread, threading.Event]:
    """Run a relayer with a node's own key in a daemon thread (the validator duty inside a node);
    set the returned event to stop it."""
    stop = threading.Event()
    relayer = Relayer(home_url, base_url, key, interval=interval)

    def run() -> None:
        compile_all()  # here, off the node's event loop, before the duty's first flock_bridgeInfo needs the ABIs
        try:
            relayer.run(stop)
        except RelayerError as error:
            log.error("bridge duty stopped: %s", error)

    thread = threading.Thread(target=run, name="bridge-duty", daemon=True)
    thread.start()
    return thread, stop
