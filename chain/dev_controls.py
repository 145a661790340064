"""A dev chain's controls (anvil's): snapshots and reverts of the whole chain, and root calls such as
setting a balance. They change the chain only as a node may: by sealing blocks of ordinary signed
transactions that anyone re-executing them checks, or by rewinding to one of its own blocks."""

from dataclasses import dataclass

from runtime.api import RuntimeApi
from runtime.executive import AppliedTransaction
from runtime.transactions import DYNAMIC_FEE, decode_transaction, sign_transaction

from .authoring import BlockBuilder
from .block_tree import BlockTree

MAX_SNAPSHOTS = 1_000
"""Snapshots kept; beyond it the oldest is forgotten (reverting to it then returns false)."""


@dataclass(frozen=True)
class Snapshot:
    """A head to come back to, with the clock as it was (anvil's evm_snapshot)."""

    number: int
    block_hash: bytes
    offset: int
    pinned: int | None


class RootCallFailed(Exception):
    """A root call would fail; nothing was sealed. `revert_data` is its Solidity custom error."""

    def __init__(self, revert_data: bytes):
        super().__init__(f"root call would revert with 0x{revert_data.hex()}")
        self.revert_data = revert_data


class DevControls:
    def __init__(self, api: RuntimeApi, tree: BlockTree, builder: BlockBuilder):
        self.api = api
        self.tree = tree
        self.builder = builder
        self._snapshots: dict[int, Snapshot] = {}
        self._next_snapshot_id = 0

    def take_snapshot(self) -> int:
        """Remember the head and the clock; returns the id `revert_to_snapshot` takes."""
        snapshot_id = self._next_snapshot_id
        self._next_snapshot_id += 1
        head, clock = self.tree.head, self.builder.clock
        self._snapshots[snapshot_id] = Snapshot(head.number, head.hash, clock.offset, clock.pinned)
        if len(self._snapshots) > MAX_SNAPSHOTS:
            del self._snapshots[min(self._snapshots)]
        return snapshot_id

    def revert_to_snapshot(self, snapshot_id: int) -> bool:
        """Rewind to a snapshot and restore its clock. The snapshot and every later one are used up
        (anvil's rule); False when the id is unknown or its block is no longer on the chain."""
        snapshot = self._snapshots.get(snapshot_id)
        for later in [i for i in self._snapshots if i >= snapshot_id]:
            del self._snapshots[later]
        if snapshot is None or self.tree.db.get_canonical_hash(snapshot.number) != snapshot.block_hash:
            return False
        self.tree.rewind_to(snapshot.number)
        self.builder.clock.offset, self.builder.clock.pinned = snapshot.offset, snapshot.pinned
        return True

    def seal_root_call(self, module: str, call: str, args: list) -> AppliedTransaction:
        """Sign a call to `module` from the authority key and seal it alone in a block now.

        On a dev chain the authority is also the root. The call is dry-run first, so one that would
        fail (RootCallFailed) or a transaction that may not be included (InvalidTransaction) seals
        nothing. The authority pays the fee; the gas limit prices every data byte as non-zero, a
        bound on the intrinsic gas (only what is used is paid).
        """
        state, authority = self.tree.state(), self.builder.authority
        root_call = self.api.encode_call(state, module, call, args)
        env = self.api.pending_env(self.tree.head)
        success, output = self.api.call(state.backend, env, authority, root_call.to, 0, root_call.data)
        if not success:
            raise RootCallFailed(output)
        raw = sign_transaction(self.builder.authority_key, DYNAMIC_FEE, chain_id=self.tree.chain_id,
                               nonce=self.api.account_nonce(state, authority),
                               gas_limit=21_000 + 16 * len(root_call.data) + root_call.weight, to=root_call.to,
                               value=0, data=root_call.data, max_fee_per_gas=env.base_fee_per_gas,
                               max_priority_fee_per_gas=0)
        (applied,) = self.builder.author_block_of([decode_transaction(raw)]).applied
        return applied

    def set_balance(self, who: bytes, free: int) -> AppliedTransaction:
        """anvil_setBalance: the root's balances.forceSetBalance(who, free), sealed in a block of its own."""
        return self.seal_root_call("balances", "forceSetBalance", [who, free])
