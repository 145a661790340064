"""A node: the runtime it embeds (through the runtime API), its block tree, its transaction pool and,
when it holds an authority key, a block builder; on a dev chain, the dev controls too.

Each part has one job (chain/block_tree.py: import, reorg, finalize; chain/pool.py: admission and
order; chain/authoring.py: building and sealing; chain/dev_controls.py: snapshots and root calls);
this class opens the database, composes them and joins them where one must hear of another: a
committed block prunes the pool, a rewind rechecks it, a reorg gives it back the abandoned blocks'
transactions.
"""

import logging
from pathlib import Path

from runtime.api import RuntimeApi
from runtime.blocks import Block, Header
from runtime.crypto import private_key_to_address
from runtime.exceptions import InvalidTransaction
from runtime.executive import BlockOutcome, Runtime
from runtime.module import BlockEnv
from runtime.state import State
from runtime.transactions import UNSIGNED, Transaction, decode_transaction
from runtime.versions import RuntimeVersions

from .authoring import BlockBuilder, BlockClock
from .block_tree import BlockTree, open_chain_db
from .db import ChainDB
from .dev_controls import DevControls
from .pool import AlreadyKnown, PoolLimits, TransactionPool

log = logging.getLogger("flockchain.node")


class Node:
    def __init__(self, runtime: RuntimeVersions | Runtime, spec: dict, data_dir: str | Path,
                 authority_key: bytes | None = None, pool_limits: PoolLimits = PoolLimits(), recovery_workers: int = 0,
                 instant_finality: bool = False):
        self.api = RuntimeApi(runtime)
        self.spec = spec
        self.tree = BlockTree(self.api, open_chain_db(self.api.versions, spec, data_dir), recovery_workers,
                              instant_finality)
        self.pool = TransactionPool(pool_limits)
        self.clock = BlockClock()
        self.authority_key = authority_key
        self.authority = private_key_to_address(authority_key) if authority_key else None
        self.builder = BlockBuilder(self.api, self.tree, self.pool, authority_key, self.clock) \
            if authority_key else None
        self.dev = DevControls(self.api, self.tree, self.builder) if self.builder else None
        """anvil's controls; the RPC serves them on dev chains only."""
        self.tree.block_listeners.append(self._prune_pool)
        self.tree.rewind_listeners.append(self._recheck_pool)
        self.tree.abandon_listeners.append(self._return_to_pool)

    def close(self) -> None:
        if self.builder is not None:
            self.builder.close()
        self.tree.close()

    # what every caller reads
    @property
    def db(self) -> ChainDB:
        return self.tree.db

    @property
    def head(self) -> Header:
        return self.tree.head

    @property
    def finalized(self) -> Header:
        return self.tree.finalized

    @property
    def chain_id(self) -> int:
        return self.tree.chain_id

    @property
    def genesis_hash(self) -> bytes:
        return self.tree.genesis_hash

    def state(self) -> State:
        return self.tree.state()

    def state_at(self, header: Header) -> State:
        return self.tree.state_at(header)

    def get_nonce(self, address: bytes) -> int:
        return self.api.account_nonce(self.state(), address)

    def get_pending_nonce(self, address: bytes) -> int:
        return self.pool.pending_nonce(address, self.get_nonce(address))

    def balance_of(self, address: bytes, header: Header | None = None) -> int:
        return self.api.account_balance(self.state() if header is None else self.state_at(header), address)

    def next_base_fee(self) -> int:
        return self.api.next_base_fee(self.head)

    def pending_env(self) -> BlockEnv:
        """The next block as far as it is known now: what transactions are checked against before inclusion."""
        return self.api.pending_env(self.head)

    # transactions
    def submit_transaction(self, raw: bytes) -> Transaction:
        """Decode, validate through the runtime API against the head state and admit to the pool,
        or raise InvalidTransaction."""
        tx = decode_transaction(raw)
        if self.db.get_transaction_location(tx.hash) is not None:
            raise AlreadyKnown("transaction is already included in a block")
        if tx.hash in self.pool:
            raise AlreadyKnown("transaction is already in the pool")
        state, call = self.state(), None
        if tx.tx_type == UNSIGNED:
            call = self.api.check_unsigned(state, tx)
            self.pool.check_unsigned_key(call.key)
        self.pool.add(tx, self.api.validate_transaction(state, self.pending_env(), tx, call), self.head.number, call)
        return tx

    def _prune_pool(self, outcome: BlockOutcome) -> None:
        for applied in outcome.applied:
            self.pool.remove(applied.transaction)
        state = self.state()
        self.pool.prune(lambda sender: self.api.account_nonce(state, sender))
        self.pool.prune_unsigned(lambda call: call.is_stale(state), self.head.number)

    def _recheck_pool(self) -> None:
        """After a rewind (a reorg's, once complete): drop what the pool would now refuse (a nonce out of range,
        fees the sender cannot pay), but an unsigned call found valid for a block the chain is back before."""
        state, env = self.state(), self.pending_env()
        for tx in list(self.pool.by_hash.values()):
            try:
                self.pool.check_nonce_gap(tx, self.api.validate_transaction(state, env, tx))
            except InvalidTransaction:
                if not self.pool.is_held_for_later(tx, env.number):
                    self.pool.remove(tx)

    def _return_to_pool(self, blocks: list[Block]) -> None:
        """Give the pool back the transactions of blocks no longer canonical (those still valid)."""
        for block in blocks:
            for raw in block.transactions:
                try:
                    self.submit_transaction(raw)
                except InvalidTransaction:
                    pass
