"""Conformance cases for the executive, system and balances, written as test functions.

Each case builds its blocks with the real executive on the dev genesis, asserts what the
spec says must happen, and returns a `Vector` (pre-state, blocks, post-state or none for
an invalid case). `test_vectors.py` runs them as tests and checks the checked-in JSON
vectors against them; `generate.py` writes those vectors; `runner.py` checks any
implementation against the JSON alone.
"""

from dataclasses import dataclass, replace

from eth_abi import encode as abi_encode

from chain.composition import RUNTIME_VERSIONS
from runtime.blocks import Block
from runtime.crypto import keccak256
from runtime.exceptions import InvalidBlock
from runtime.executive import build_block
from runtime.modules import balances, gmflock, randomness, system
from runtime.transactions import ACCESS_LIST, DYNAMIC_FEE, LEGACY, decode_transaction, sign_transaction
from tests.runtime.harness import ACCOUNTS, AUTHORITY, CHAIN_ID, SPEC, MemoryChain, seal, transfer

RECIPIENT = b"\x42" * 20
TRANSFER_CALL = balances.MODULE.calls[0]
FORCE_SET_BALANCE = next(c for c in balances.MODULE.calls if c.name == "forceSetBalance")


@dataclass(frozen=True)
class Vector:
    name: str
    description: str
    pre_parent: bytes
    pre_state: dict[bytes, bytes]
    blocks: tuple[bytes, ...]
    post_state_root: bytes | None
    post_receipts: tuple[tuple[bytes, ...], ...] | None
    folder = "executive"

    def to_json(self) -> dict:
        post = None
        if self.post_state_root is not None:
            post = {"stateRoot": "0x" + self.post_state_root.hex(),
                    "receipts": [["0x" + r.hex() for r in block] for block in self.post_receipts]}
        return {
            "name": self.name,
            "description": self.description,
            "pre": {"parent": "0x" + self.pre_parent.hex(),
                    "state": {"0x" + k.hex(): "0x" + v.hex() for k, v in sorted(self.pre_state.items())}},
            "blocks": ["0x" + b.hex() for b in self.blocks],
            "post": post,
        }


class CaseBuilder:
    """Records the pre-state, then blocks as they are authored or forged."""

    def __init__(self, spec: dict = SPEC):
        self.chain = MemoryChain(spec, RUNTIME_VERSIONS)
        self.pre_parent = self.chain.head.encode()
        self.pre_state = dict(self.chain.backend.items)
        self.blocks: list[bytes] = []
        self.receipts: list[tuple[bytes, ...]] = []

    def author(self, *raws: bytes, slot: int | None = None):
        outcome, rejected = self.chain.author([decode_transaction(raw) for raw in raws], slot=slot)
        assert not rejected, rejected
        self.blocks.append(outcome.block.encode())
        self.receipts.append(tuple(a.receipt.encode() for a in outcome.applied))
        return outcome

    def valid(self, name: str, description: str) -> Vector:
        return Vector(name, description, self.pre_parent, self.pre_state, tuple(self.blocks),
                      self.chain.head.state_root, tuple(self.receipts))

    def invalid(self, name: str, description: str, block: Block) -> Vector:
        """The forged block must be rejected by the executive, with state untouched."""
        before = dict(self.chain.backend.items)
        try:
            self.chain.import_block(block)
        except InvalidBlock:
            pass
        else:
            raise AssertionError(f"{name}: the executive accepted an invalid block")
        assert self.chain.backend.items == before
        return Vector(name, description, self.pre_parent, self.pre_state, tuple(self.blocks) + (block.encode(),),
                      None, None)

    def next_block(self, *raws: bytes) -> Block:
        """A valid sealed block on the head, without committing it (to be forged)."""
        return self.next_block_at(None, *raws)

    def next_block_at(self, slot: int | None, *raws: bytes) -> Block:
        """A sealed block on the head at `slot` (valid unless the slot is not), without committing it."""
        header = self.chain.template(slot=slot)
        outcome, _ = build_block(self.chain.runtime, self.chain.backend, self.chain.trie(), self.chain.head, header,
                                 [decode_transaction(raw) for raw in raws])
        return Block(seal(outcome.block.header), outcome.block.transactions)


def reseal(block: Block, **changes) -> Block:
    return Block(seal(replace(block.header, **changes)), block.transactions)


def case_transfers_of_each_type() -> Vector:
    b = CaseBuilder()
    outcome = b.author(transfer(0, 0, RECIPIENT, 1, tx_type=LEGACY), transfer(0, 1, RECIPIENT, 2, tx_type=ACCESS_LIST),
                       transfer(1, 0, RECIPIENT, 3, tx_type=DYNAMIC_FEE))
    assert [a.receipt.status for a in outcome.applied] == [1, 1, 1]
    assert balances.free_balance(b.chain.state(), RECIPIENT) == 6
    return b.valid("transfers_of_each_type", "legacy EIP-155, EIP-2930 and EIP-1559 transfers in one block")


def case_fees_burn_base_and_tip_author() -> Vector:
    b = CaseBuilder()
    issuance = balances.TotalIssuance.get(b.chain.state())
    author_before = balances.free_balance(b.chain.state(), AUTHORITY.address)
    outcome = b.author(transfer(2, 0, RECIPIENT, 10**18, max_fee=3 * 10**9, tip=2 * 10**9))
    base = outcome.block.header.base_fee_per_gas
    state = b.chain.state()
    assert balances.TotalIssuance.get(state) == issuance - 21_000 * base
    assert balances.free_balance(state, AUTHORITY.address) - author_before == 21_000 * min(2 * 10**9, 3 * 10**9 - base)
    return b.valid("fees_burn_base_and_tip_author", "base fee × gas burned, capped tip × gas to the author")


def case_base_fee_follows_eip1559() -> Vector:
    b = CaseBuilder()
    first = b.author(*(transfer(i, 0, RECIPIENT, 1) for i in range(3)))
    second = b.author()
    third = b.author(transfer(0, 1, RECIPIENT, 1))
    fees = [o.block.header.base_fee_per_gas for o in (first, second, third)]
    assert fees[1] < fees[0] and fees[2] < fees[1], "blocks under the gas target lower the base fee"
    return b.valid("base_fee_follows_eip1559", "three blocks below the gas target: the base fee falls by the EIP-1559 rule")


def case_erc20_transfer_call() -> Vector:
    b = CaseBuilder()
    data = TRANSFER_CALL.selector + abi_encode(["address", "uint256"], [RECIPIENT, 7])
    outcome = b.author(transfer(3, 0, balances.ADDRESS_, 0, gas=60_000, data=data))
    assert outcome.applied[0].receipt.status == 1 and len(outcome.applied[0].receipt.logs) == 1
    return b.valid("erc20_transfer_call", "balances.transfer(address,uint256) at the module address emits Transfer")


def case_failed_call_is_included() -> Vector:
    b = CaseBuilder()
    data = TRANSFER_CALL.selector + abi_encode(["address", "uint256"], [RECIPIENT, 10**40])
    outcome = b.author(transfer(3, 0, balances.ADDRESS_, 0, gas=60_000, data=data))
    assert outcome.applied[0].receipt.status == 0
    assert balances.free_balance(b.chain.state(), RECIPIENT) == 0
    assert system.get_nonce(b.chain.state(), ACCOUNTS[3].address) == 1
    return b.valid("failed_call_is_included", "a call that fails is included with status 0, pays its fee, moves nothing")


def signed_by_root(nonce: int, who: bytes, free: int) -> bytes:
    """A forceSetBalance call signed by the dev chain's root (its authority key)."""
    data = FORCE_SET_BALANCE.selector + abi_encode(["address", "uint256"], [who, free])
    return sign_transaction(AUTHORITY.private_key, DYNAMIC_FEE, chain_id=CHAIN_ID, nonce=nonce, gas_limit=60_000,
                            to=balances.ADDRESS_, value=0, data=data, max_fee_per_gas=10**10,
                            max_priority_fee_per_gas=10**9)


def case_root_force_set_balance() -> Vector:
    b = CaseBuilder()
    assert system.Root.get(b.chain.state()) == AUTHORITY.address
    issuance = balances.TotalIssuance.get(b.chain.state())
    lowered = ACCOUNTS[1].address
    outcome = b.author(signed_by_root(0, RECIPIENT, 5 * 10**18), signed_by_root(1, lowered, 10**18))
    assert [a.receipt.status for a in outcome.applied] == [1, 1]
    assert [log.topics[0] for a in outcome.applied for log in a.receipt.logs] == [balances.BalanceSet.topic] * 2
    state = b.chain.state()
    assert balances.free_balance(state, RECIPIENT) == 5 * 10**18
    assert balances.free_balance(state, lowered) == 10**18
    burned = sum(a.gas_used for a in outcome.applied) * outcome.block.header.base_fee_per_gas
    assert balances.TotalIssuance.get(state) == issuance + 5 * 10**18 - (10_000 * 10**18 - 10**18) - burned
    return b.valid("root_force_set_balance",
                   "the root's forceSetBalance mints or burns the difference and emits BalanceSet")


def case_root_force_set_balance_within_cap() -> Vector:
    b = CaseBuilder()
    cap = balances.SupplyCap.get(b.chain.state())
    outcome = b.author(signed_by_root(0, RECIPIENT, cap))
    (applied,) = outcome.applied
    assert applied.receipt.status == 0 and applied.revert_data[:4] == balances.SupplyCapExceeded.selector
    assert balances.free_balance(b.chain.state(), RECIPIENT) == 0
    return b.valid("root_force_set_balance_within_cap", "even the root cannot raise issuance above SupplyCap")


def case_non_root_force_set_balance() -> Vector:
    b = CaseBuilder()
    sender = ACCOUNTS[4].address
    before = balances.free_balance(b.chain.state(), sender)
    data = FORCE_SET_BALANCE.selector + abi_encode(["address", "uint256"], [sender, 10**24])
    outcome = b.author(transfer(4, 0, balances.ADDRESS_, 0, gas=60_000, data=data))
    (applied,) = outcome.applied
    assert applied.receipt.status == 0 and applied.revert_data == system.NotRoot.encode(sender)
    state = b.chain.state()
    assert balances.free_balance(state, sender) == before - applied.gas_used * applied.effective_gas_price
    assert system.get_nonce(state, sender) == 1
    return b.valid("non_root_force_set_balance",
                   "forceSetBalance from any other sender fails with NotRoot and pays its fee")


def case_invalid_nonce() -> Vector:
    b = CaseBuilder()
    b.author(transfer(0, 0, RECIPIENT, 1))
    block = b.next_block(transfer(0, 1, RECIPIENT, 1))
    forged = Block(block.header, (transfer(0, 0, RECIPIENT, 1),))
    return b.invalid("invalid_nonce", "a block carrying a replayed nonce is invalid", forged)


def case_invalid_chain_id() -> Vector:
    b = CaseBuilder()
    block = b.next_block()
    return b.invalid("invalid_chain_id", "a transaction signed for another chain makes the block invalid",
                     Block(block.header, (transfer(0, 0, RECIPIENT, 1, chain_id=1),)))


def case_invalid_contract_creation() -> Vector:
    b = CaseBuilder()
    block = b.next_block()
    creation = transfer(0, 0, b"", 0, gas=100_000, data=b"\x60\x00")
    return b.invalid("invalid_contract_creation", "contract creation is never valid here",
                     Block(block.header, (creation,)))


def case_invalid_state_root() -> Vector:
    b = CaseBuilder()
    block = b.next_block(transfer(0, 0, RECIPIENT, 1))
    return b.invalid("invalid_state_root", "a header whose state root does not match execution",
                     reseal(block, state_root=b"\x11" * 32))


def case_invalid_base_fee() -> Vector:
    b = CaseBuilder()
    block = b.next_block(transfer(0, 0, RECIPIENT, 1))
    return b.invalid("invalid_base_fee", "baseFeePerGas must follow EIP-1559 from the parent",
                     reseal(block, base_fee_per_gas=block.header.base_fee_per_gas + 1))


def case_invalid_seal() -> Vector:
    b = CaseBuilder()
    block = b.next_block(transfer(0, 0, RECIPIENT, 1))
    bad = block.header.seal[:10] + bytes([block.header.seal[10] ^ 1]) + block.header.seal[11:]
    return b.invalid("invalid_seal", "the seal must be the author's signature", Block(block.header.with_seal(bad), block.transactions))


def case_invalid_timestamp() -> Vector:
    b = CaseBuilder()
    b.author(transfer(0, 0, RECIPIENT, 1))
    block = b.next_block()
    return b.invalid("invalid_timestamp", "a timestamp before the parent's is invalid",
                     reseal(block, timestamp=b.chain.head.timestamp - 1))


def case_invalid_gas_used() -> Vector:
    b = CaseBuilder()
    block = b.next_block(transfer(0, 0, RECIPIENT, 1))
    return b.invalid("invalid_gas_used", "gasUsed must equal the receipts' total", reseal(block, gas_used=21_001))


def case_epoch_randomness_rotates() -> Vector:
    b = CaseBuilder()
    genesis_randomness = randomness.Randomness.get(b.chain.state())
    first = b.author(transfer(0, 0, RECIPIENT, 1), slot=5)
    outputs = [first.block.header.vrf_output]
    outputs.append(b.author(slot=99).block.header.vrf_output)
    b.author(slot=100)
    state = b.chain.state()
    accumulated = b"\x00" * 32
    for output in outputs:
        accumulated = keccak256(accumulated + output)
    assert randomness.EpochIndex.get(state) == 1
    assert randomness.Randomness.get(state) == genesis_randomness, "epoch 1 uses the genesis randomness"
    assert randomness.NextRandomness.get(state) == keccak256(genesis_randomness + (2).to_bytes(8, "big") + accumulated)
    b.author(slot=250)
    state = b.chain.state()
    assert randomness.EpochIndex.get(state) == 2
    assert randomness.RandomnessOf.get(state, 2) == keccak256(genesis_randomness + (2).to_bytes(8, "big") + accumulated)
    return b.valid("epoch_randomness_rotates", "epoch 0's VRF outputs become epoch 2's randomness (BABE's rule)")


def case_invalid_vrf_proof() -> Vector:
    b = CaseBuilder()
    block = b.next_block(transfer(0, 0, RECIPIENT, 1))
    other_slot = b.next_block_at(block.header.slot + 1)
    return b.invalid("invalid_vrf_proof", "a VRF proof made for another slot does not verify",
                     reseal(block, vrf_proof=other_slot.header.vrf_proof, vrf_output=other_slot.header.vrf_output))


def case_invalid_vrf_output() -> Vector:
    b = CaseBuilder()
    block = b.next_block(transfer(0, 0, RECIPIENT, 1))
    return b.invalid("invalid_vrf_output", "vrfOutput must be the output of the proof",
                     reseal(block, vrf_output=bytes(32)))


def case_invalid_slot() -> Vector:
    b = CaseBuilder()
    b.author(slot=7)
    block = b.next_block_at(7)
    return b.invalid("invalid_slot", "slots strictly increase", block)


# gmflock (spec/modules/gmflock.md): vectors under vectors/gmflock/


GM_DAY = 86_400
GM_LOCK = next(c for c in gmflock.MODULE.calls if c.name == "lock")
GM_UNLOCK = next(c for c in gmflock.MODULE.calls if c.name == "unlock")


@dataclass(frozen=True)
class GmflockVector(Vector):
    folder = "gmflock"


def gmflock_vector(vector: Vector) -> GmflockVector:
    return GmflockVector(**vars(vector))


def gm_lock(sender: int, nonce: int, value: int, days: int) -> bytes:
    return transfer(sender, nonce, gmflock.ADDRESS_, value, gas=200_000,
                    data=GM_LOCK.selector + abi_encode(["uint256"], [days]))


def gm_unlock(sender: int, nonce: int, lock_id: int) -> bytes:
    return transfer(sender, nonce, gmflock.ADDRESS_, 0, gas=200_000,
                    data=GM_UNLOCK.selector + abi_encode(["uint256"], [lock_id]))


def gm_author_at(b: CaseBuilder, timestamp: int, *raws: bytes):
    """CaseBuilder.author at a chosen block timestamp (lock expiry is block time)."""
    outcome, rejected = b.chain.author([decode_transaction(raw) for raw in raws], timestamp=timestamp)
    assert not rejected, rejected
    b.blocks.append(outcome.block.encode())
    b.receipts.append(tuple(a.receipt.encode() for a in outcome.applied))
    return outcome


def gm_reverts(outcome, *revert_data: bytes) -> None:
    assert [a.receipt.status for a in outcome.applied] == [0] * len(revert_data)
    assert [a.revert_data for a in outcome.applied] == list(revert_data)


def case_gmflock_lock_durations() -> Vector:
    b = CaseBuilder()
    n = 10**18
    days = (1, 30, 31, 364, 365)
    outcome = b.author(*(gm_lock(i, 0, n, t) for i, t in enumerate(days)), gm_lock(0, 1, 1, 365))
    assert [a.receipt.status for a in outcome.applied] == [1] * 6
    state = b.chain.state()
    expected = [n, n, n + 6 * 10**15, 3_004 * 10**15, 3_010 * 10**15]
    assert [gmflock.balance_of(state, ACCOUNTS[i].address) for i in range(1, 5)] == expected[1:]
    assert gmflock.balance_of(state, ACCOUNTS[0].address) == n + 3, "1 wei for 365 days: 1 + 219·335 // 36500"
    assert gmflock.total_supply(state) == sum(expected) + 3
    assert balances.get_held(state, ACCOUNTS[0].address, b"gmflock") == n + 1
    return gmflock_vector(b.valid("gmflock_lock_durations",
                                  "lock 1 FLOCK for 1, 30, 31, 364, 365 days and 1 wei for 365: "
                                  "m = n + n·219·(t − 30) // 36500, value held, Locked emitted"))


def case_gmflock_unlock_after_expiry() -> Vector:
    b = CaseBuilder()
    first = b.author(gm_lock(1, 0, 5 * 10**18, 1), gm_lock(2, 0, 10**18, 40))
    unlock_at = first.block.header.timestamp + GM_DAY
    outcome = gm_author_at(b, unlock_at, gm_unlock(1, 1, 0))
    assert outcome.applied[0].receipt.status == 1 and len(outcome.applied[0].receipt.logs) == 3
    state = b.chain.state()
    owner = ACCOUNTS[1].address
    assert gmflock.balance_of(state, owner) == 0 and balances.get_held(state, owner, b"gmflock") == 0
    assert gmflock.balance_of_at(state, owner, first.block.header.number) == 5 * 10**18
    assert gmflock.total_supply(state) == 10**18 + 10**18 * 219 * 10 // 36_500
    return gmflock_vector(b.valid("gmflock_unlock_after_expiry",
                                  "unlock at exactly unlockAt releases the hold, burns the gmFLOCK, emits "
                                  "balances Transfer and Unlocked; checkpoints keep the past balance"))


def case_gmflock_checkpoint_once_per_block() -> Vector:
    b = CaseBuilder()
    first = b.author(gm_lock(3, 0, 10**18, 1))
    outcome = gm_author_at(b, first.block.header.timestamp + GM_DAY, gm_lock(3, 1, 2 * 10**18, 2),
                           gm_unlock(3, 2, 0), gm_lock(3, 3, 10**18, 3))
    assert [a.receipt.status for a in outcome.applied] == [1, 1, 1]
    state = b.chain.state()
    owner = ACCOUNTS[3].address
    assert gmflock.CheckpointCount.get(state, owner) == 2 and gmflock.CheckpointCount.get(state, b"") == 2
    assert gmflock.balance_of_at(state, owner, outcome.block.header.number) == 3 * 10**18
    return gmflock_vector(b.valid("gmflock_checkpoint_once_per_block",
                                  "three changes in one block overwrite that block's checkpoint"))


def case_gmflock_lock_zero_amount() -> Vector:
    b = CaseBuilder()
    gm_reverts(b.author(gm_lock(4, 0, 0, 30)), gmflock.ZeroAmount.encode())
    return gmflock_vector(b.valid("gmflock_lock_zero_amount", "lock with no value fails with ZeroAmount()"))


def case_gmflock_lock_invalid_duration() -> Vector:
    b = CaseBuilder()
    gm_reverts(b.author(gm_lock(4, 0, 10**18, 0), gm_lock(4, 1, 10**18, 366), gm_lock(4, 2, 0, 2**256 - 1)),
               gmflock.InvalidDuration.encode(0), gmflock.InvalidDuration.encode(366),
               gmflock.InvalidDuration.encode(2**256 - 1))
    assert balances.get_account(b.chain.state(), ACCOUNTS[4].address).reserved == 0
    return gmflock_vector(b.valid("gmflock_lock_invalid_duration",
                                  "0 or 366 days fail with InvalidDuration, checked before the amount"))


def case_gmflock_unlock_unknown_lock() -> Vector:
    b = CaseBuilder()
    b.author(gm_lock(5, 0, 10**18, 1))
    gm_reverts(gm_author_at(b, b.chain.head.timestamp + 2 * GM_DAY, gm_unlock(5, 1, 1), gm_unlock(6, 0, 0)),
               gmflock.UnknownLock.encode(1), gmflock.UnknownLock.encode(0))
    return gmflock_vector(b.valid("gmflock_unlock_unknown_lock",
                                  "an id past the sender's LockCount (another owner's lock included) is unknown"))


def case_gmflock_unlock_not_expired() -> Vector:
    b = CaseBuilder()
    first = b.author(gm_lock(5, 0, 10**18, 1))
    unlock_at = first.block.header.timestamp + GM_DAY
    gm_reverts(gm_author_at(b, unlock_at - 1, gm_unlock(5, 1, 0)), gmflock.LockNotExpired.encode(unlock_at))
    return gmflock_vector(b.valid("gmflock_unlock_not_expired", "one second before unlockAt: LockNotExpired(unlockAt)"))


def case_gmflock_unlock_already_unlocked() -> Vector:
    b = CaseBuilder()
    first = b.author(gm_lock(6, 0, 10**18, 1))
    outcome = gm_author_at(b, first.block.header.timestamp + GM_DAY, gm_unlock(6, 1, 0), gm_unlock(6, 2, 0))
    assert outcome.applied[0].receipt.status == 1
    assert outcome.applied[1].revert_data == gmflock.AlreadyUnlocked.encode(0)
    return gmflock_vector(b.valid("gmflock_unlock_already_unlocked", "a lock unlocks once: AlreadyUnlocked(lockId)"))


CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]
