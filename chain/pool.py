"""The transaction pool: per-sender nonce queues, fee-bumped replacement, bounded size; beside them,
unsigned module calls, one per key their module names (a key image: the rate limit of a ring).

The pool decides admission (is this transaction worth holding?) and order (what goes in the
next block); whether a transaction is valid at all is the runtime API's answer
(`RuntimeApi.validate_transaction`), which the pool is handed. Every refusal is an
InvalidTransaction with a reason, which the RPC returns to the sender.
"""

import heapq
import logging
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count

from runtime.api import UnsignedCall, ValidTransaction
from runtime.exceptions import InvalidTransaction, NonceTooHigh
from runtime.transactions import UNSIGNED, Transaction

log = logging.getLogger("flockchain.pool")


class AlreadyKnown(InvalidTransaction):
    """The transaction is in the pool or in a block already."""


class ReplacementUnderpriced(InvalidTransaction):
    """A transaction for a held nonce that does not raise both fee caps enough."""


class SenderQueueFull(InvalidTransaction):
    """The sender has as many pending transactions as the pool holds for one sender."""


class PoolFull(InvalidTransaction):
    """The pool holds its limit."""


class UnsignedKeyPending(InvalidTransaction):
    """An unsigned call for a key that already has one pending (one at a time per key)."""


@dataclass(frozen=True)
class PoolLimits:
    max_transactions: int = 8192
    max_per_sender: int = 1024
    max_nonce_gap: int = 1024
    """A nonce at or beyond account nonce + this is too far ahead to hold."""
    replacement_bump_percent: int = 10
    """A replacement must raise both fee caps by at least this much (geth's rule)."""
    max_unsigned: int = 1024
    """Unsigned calls held at once: they pay no fee, so they get their own, smaller room."""
    unsigned_longevity: int = 64
    """Blocks an unsigned call is held (Substrate's `longevity`): one its window outlived goes."""


@dataclass(frozen=True)
class HeldCall:
    """An unsigned call the pool holds: its key, and what tells when it goes stale."""
    key: bytes
    since: int
    """The head's number at admission."""
    call: UnsignedCall | None
    """Its checked call (the sequence and the module's next one), when the node gave it."""


class TransactionPool:
    def __init__(self, limits: PoolLimits = PoolLimits()):
        self.limits = limits
        self.by_hash: dict[bytes, Transaction] = {}
        self.by_sender: dict[bytes, dict[int, Transaction]] = {}
        self.unsigned: dict[bytes, Transaction] = {}
        """Unsigned calls by the key their module names."""
        self._held: dict[bytes, HeldCall] = {}
        self._arrival: dict[bytes, int] = {}
        self._sequence = count()
        self.ready_listeners: list[Callable[[], None]] = []
        """Called when an added transaction can go in the next block (a dev chain's author seals then)."""

    def __len__(self) -> int:
        return len(self.by_hash)

    def __contains__(self, tx_hash: bytes) -> bool:
        return tx_hash in self.by_hash

    def add(self, tx: Transaction, valid: ValidTransaction, block: int = 0,
            call: UnsignedCall | None = None) -> Transaction | None:
        """Admit `tx`, which the runtime API found `valid` at `block` (the head; for an unsigned call, `call` is
        its checked call); return the transaction it replaced, if any. Raises InvalidTransaction."""
        if tx.hash in self.by_hash:
            raise AlreadyKnown("transaction is already in the pool")
        if tx.tx_type == UNSIGNED:
            return self._add_unsigned(tx, HeldCall(valid.sender, block, call))
        self.check_nonce_gap(tx, valid)
        queue = self.by_sender.get(tx.sender, {})
        existing = queue.get(tx.nonce)
        if existing is not None:
            bump = 100 + self.limits.replacement_bump_percent
            if tx.max_fee_per_gas * 100 < existing.max_fee_per_gas * bump or \
                    tx.max_priority_fee_per_gas * 100 < existing.max_priority_fee_per_gas * bump:
                raise ReplacementUnderpriced(f"replacing nonce {tx.nonce} needs both fee caps raised by at least "
                                             f"{self.limits.replacement_bump_percent}%")
        else:
            if len(queue) >= self.limits.max_per_sender:
                raise SenderQueueFull(f"sender already has {len(queue)} pending transactions")
            if len(self.by_hash) >= self.limits.max_transactions:
                raise PoolFull(f"the pool holds its limit of {self.limits.max_transactions} transactions")
        if existing is not None:
            self._drop(existing)
        self.by_sender.setdefault(tx.sender, {})[tx.nonce] = tx
        self.by_hash[tx.hash] = tx
        self._arrival[tx.hash] = next(self._sequence)
        if self.pending_nonce(tx.sender, tx.nonce - valid.ahead) > tx.nonce:
            self._notify_ready()
        return existing

    def check_unsigned_key(self, key: bytes) -> None:
        """UnsignedKeyPending when an unsigned call for `key` is held: asked before its proof is checked."""
        if key in self.unsigned:
            raise UnsignedKeyPending("an unsigned call with this key (key image) is already pending; one at a time")

    def _add_unsigned(self, tx: Transaction, held: HeldCall) -> None:
        self.check_unsigned_key(held.key)
        if len(self.unsigned) >= self.limits.max_unsigned or len(self.by_hash) >= self.limits.max_transactions:
            raise PoolFull("the pool holds its limit of unsigned calls")
        self.unsigned[held.key] = tx
        self._held[tx.hash] = held
        self.by_hash[tx.hash] = tx
        self._arrival[tx.hash] = next(self._sequence)
        self._notify_ready()

    def _notify_ready(self) -> None:
        for listener in self.ready_listeners:
            try:
                listener()
            except Exception:
                log.exception("pool ready listener failed")

    def check_nonce_gap(self, tx: Transaction, valid: ValidTransaction) -> None:
        """NonceTooHigh when `tx` is too far ahead of its sender's account nonce to hold."""
        if valid.ahead >= self.limits.max_nonce_gap:
            raise NonceTooHigh(f"nonce {tx.nonce} is {valid.ahead} ahead of the account nonce "
                               f"{tx.nonce - valid.ahead}; the pool holds at most {self.limits.max_nonce_gap} ahead")

    def _drop(self, tx: Transaction) -> None:
        del self.by_hash[tx.hash]
        del self._arrival[tx.hash]
        if tx.tx_type == UNSIGNED:
            del self.unsigned[self._held.pop(tx.hash).key]
            return
        queue = self.by_sender[tx.sender]
        del queue[tx.nonce]
        if not queue:
            del self.by_sender[tx.sender]

    def remove(self, tx: Transaction) -> None:
        if tx.hash in self.by_hash:
            self._drop(tx)

    def is_held_for_later(self, tx: Transaction, block: int) -> bool:
        """Whether `tx`, refused for block `block`, is an unsigned call found valid for a later block: the chain
        went back (a reorg to a shorter branch), and a window that was open there may not be open yet here.
        Such a call is kept until the chain is back at that height, where a refusal drops it."""
        held = self._held.get(tx.hash)
        return held is not None and block <= held.since

    def pending_nonce(self, sender: bytes, account_nonce: int) -> int:
        """The nonce a sender's next transaction should use, counting ready pool transactions."""
        queue = self.by_sender.get(sender, {})
        nonce = account_nonce
        while nonce in queue:
            nonce += 1
        return nonce

    def ready(self, nonce_of) -> list[Transaction]:
        """Executable transactions, oldest first, each sender's in nonce order without gaps; unsigned
        calls in their arrival place (the block builder checks each again)."""
        heap, result = [(self._arrival[tx.hash], tx.hash, tx) for tx in self.unsigned.values()], []
        for sender, queue in self.by_sender.items():
            nonce = nonce_of(sender)
            if nonce in queue:
                tx = queue[nonce]
                heap.append((self._arrival[tx.hash], tx.hash, tx))
        heapq.heapify(heap)
        while heap:
            _, _, tx = heapq.heappop(heap)
            result.append(tx)
            if tx.tx_type == UNSIGNED:
                continue
            following = self.by_sender[tx.sender].get(tx.nonce + 1)
            if following is not None:
                heapq.heappush(heap, (self._arrival[following.hash], following.hash, following))
        return result

    def prune_unsigned(self, is_stale: Callable[[UnsignedCall], bool], block: int) -> None:
        """Drop the unsigned calls that can never be included (`is_stale(call)`: the chain moved past their
        sequence) or were held longer than their longevity."""
        for tx in list(self.unsigned.values()):
            held = self._held[tx.hash]
            expired = block - held.since >= self.limits.unsigned_longevity
            if expired or (held.call is not None and is_stale(held.call)):
                self._drop(tx)

    def prune(self, nonce_of) -> None:
        """Drop transactions whose nonce the chain has passed (included, or replaced on chain)."""
        for sender in list(self.by_sender):
            nonce = nonce_of(sender)
            for tx in [t for n, t in self.by_sender[sender].items() if n < nonce]:
                self._drop(tx)
