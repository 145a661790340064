"""Sender recovery on another core, ahead of execution (as geth's sender cacher).

Signature recovery is the costliest step of importing a transfer. When a node imports a
run of blocks (sync, benchmarks), the next block's transactions are decoded — senders
recovered — in a worker process while the current block executes. The worker runs the
same `decode_transaction` as the executive; the executive still checks that the decoded
transactions are exactly the block's bytes.
"""

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor

from runtime.exceptions import InvalidTransaction
from runtime.transactions import Transaction, decode_transaction


def decode_all(raws: tuple[bytes, ...]) -> list[Transaction] | None:
    """Every transaction decoded, or None when one is invalid (the executive then reports which)."""
    try:
        return [decode_transaction(raw) for raw in raws]
    except InvalidTransaction:
        return None


class SenderRecovery:
    def __init__(self, workers: int = 1):
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        self.pool.submit(decode_all, ()).result()

    def submit(self, raws: tuple[bytes, ...]) -> Future:
        return self.pool.submit(decode_all, raws)

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)
