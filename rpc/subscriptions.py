"""Subscriptions (eth_subscribe over WebSocket) and polled filters (eth_newFilter and friends).

The node tells the hub about each new block and each transaction entering the pool; the
hub pushes to WebSocket subscribers and buffers for filters. Every buffer is bounded: a
subscriber that does not read its socket is disconnected, a filter keeps at most
`MAX_BUFFERED` items, and a filter unpolled for `FILTER_TIMEOUT` seconds is removed
(geth's five minutes).
"""

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field

from runtime.blocks import Block
from runtime.transactions import Transaction

from .logs import LogFilter, logs_in_block
from .params import to_data
from .views import header_json, substrate_header_json

MAX_SUBSCRIPTIONS_PER_CONNECTION = 100
MAX_FILTERS = 500
MAX_BUFFERED = 10_000
FILTER_TIMEOUT = 300.0
OUTBOX_LIMIT = 10_000
SUBSCRIPTION_KINDS = ("newHeads", "logs", "newPendingTransactions", "chain_newHead")


def new_id() -> str:
    return "0x" + secrets.token_hex(16)


class Connection:
    """One WebSocket client: its subscriptions, and a bounded outbox drained by a writer task."""

    def __init__(self, ws):
        self.ws = ws
        self.subscriptions: dict[str, "Subscription"] = {}
        self.outbox: asyncio.Queue = asyncio.Queue(maxsize=OUTBOX_LIMIT)
        self.overflowed = False

    def send(self, message: dict) -> None:
        if self.overflowed:
            return
        try:
            self.outbox.put_nowait(json.dumps(message))
        except asyncio.QueueFull:
            self.overflowed = True

    async def drain(self) -> None:
        """Write queued messages; a client too slow to keep its outbox below the limit is closed."""
        while True:
            message = await self.outbox.get()
            await self.ws.send_str(message)
            if self.overflowed:
                await self.ws.close(message=b"subscription outbox overflow")
                return


@dataclass
class Subscription:
    id: str
    kind: str
    log_filter: LogFilter | None
    connection: Connection
    method: str = "eth_subscription"


@dataclass
class Filter:
    id: str
    kind: str
    log_filter: LogFilter | None = None
    buffered: list = field(default_factory=list)
    last_polled: float = field(default_factory=time.monotonic)

    def buffer(self, items) -> None:
        self.buffered.extend(items)
        del self.buffered[:-MAX_BUFFERED]


class EventHub:
    def __init__(self, node):
        self.node = node
        self.connections: set[Connection] = set()
        self.filters: dict[str, Filter] = {}

    # subscriptions
    def subscribe(self, connection: Connection, kind: str, log_filter: LogFilter | None,
                  method: str = "eth_subscription") -> str:
        if len(connection.subscriptions) >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
            raise OverflowError(f"a connection may hold at most {MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions")
        subscription = Subscription(new_id(), kind, log_filter, connection, method)
        connection.subscriptions[subscription.id] = subscription
        self.connections.add(connection)
        return subscription.id

    def unsubscribe(self, connection: Connection, subscription_id: str) -> bool:
        return connection.subscriptions.pop(subscription_id, None) is not None

    def disconnect(self, connection: Connection) -> None:
        self.connections.discard(connection)

    # filters
    def new_filter(self, kind: str, log_filter: LogFilter | None = None) -> str:
        self.expire_filters()
        if len(self.filters) >= MAX_FILTERS:
            raise OverflowError(f"at most {MAX_FILTERS} filters may be installed")
        installed = Filter(new_id(), kind, log_filter)
        self.filters[installed.id] = installed
        return installed.id

    def get_filter(self, filter_id: str) -> Filter | None:
        self.expire_filters()
        installed = self.filters.get(filter_id)
        if installed is not None:
            installed.last_polled = time.monotonic()
        return installed

    def take_changes(self, filter_id: str) -> list | None:
        installed = self.get_filter(filter_id)
        if installed is None:
            return None
        changes, installed.buffered = installed.buffered, []
        return changes

    def uninstall(self, filter_id: str) -> bool:
        return self.filters.pop(filter_id, None) is not None

    def expire_filters(self) -> None:
        deadline = time.monotonic() - FILTER_TIMEOUT
        for stale in [f for f in self.filters.values() if f.last_polled < deadline]:
            del self.filters[stale.id]

    # events from the node
    def publish_retracted(self, blocks: list[Block]) -> None:
        """Before a reorg takes `blocks` (newest first) off the canonical chain: their logs go to log
        subscriptions and filters again with `removed: true`, as Ethereum clients expect."""
        for block in blocks:
            logs_for = self._logs_of(block, removed=True)
            for installed in self.filters.values():
                if installed.kind == "logs":
                    installed.buffer(logs_for(installed.log_filter))
            for connection in list(self.connections):
                for subscription in list(connection.subscriptions.values()):
                    if subscription.kind == "logs":
                        for log in logs_for(subscription.log_filter):
                            self._notify(subscription, log)

    def _logs_of(self, block: Block, removed: bool = False):
        """A per-filter cache of the block's matching logs (read while its receipts are still stored)."""
        cache: dict[LogFilter, list] = {}

        def logs_for(log_filter: LogFilter) -> list:
            if log_filter not in cache:
                found = logs_in_block(self.node, block, log_filter)
                cache[log_filter] = [dict(log, removed=True) for log in found] if removed else found
            return cache[log_filter]
        return logs_for

    def publish_block(self, block: Block) -> None:
        header = None
        logs_for = self._logs_of(block)

        for installed in self.filters.values():
            if installed.kind == "blocks":
                installed.buffer([to_data(block.hash)])
            elif installed.kind == "logs":
                installed.buffer(logs_for(installed.log_filter))
        for connection in list(self.connections):
            for subscription in list(connection.subscriptions.values()):
                if subscription.kind == "newHeads":
                    header = header or header_json(block.header, len(block.encode()))
                    self._notify(subscription, header)
                elif subscription.kind == "chain_newHead":
                    self._notify(subscription, substrate_header_json(block.header))
                elif subscription.kind == "logs":
                    for log in logs_for(subscription.log_filter):
                        self._notify(subscription, log)

    def publish_pending(self, tx: Transaction) -> None:
        for installed in self.filters.values():
            if installed.kind == "pending":
                installed.buffer([to_data(tx.hash)])
        for connection in list(self.connections):
            for subscription in list(connection.subscriptions.values()):
                if subscription.kind == "newPendingTransactions":
                    self._notify(subscription, to_data(tx.hash))

    @staticmethod
    def _notify(subscription: Subscription, result) -> None:
        subscription.connection.send({"jsonrpc": "2.0", "method": subscription.method,
                                      "params": {"subscription": subscription.id, "result": result}})
