"""bridge: FLOCK between this chain and Base, without trusting a relayer.

Base → here. The FlockBridge contract on Base locks FLOCK and logs `Deposit(nonce, sender,
recipient, amount)` with sequential nonces. Validators attest Base block hashes (each one that
its Base endpoint reports `finalized`); a hash counts once attestations by more than 2/3 of the
current authority set's weight arrived. Anyone then submits (attested hash, header RLP, receipt
index, receipt proof): the header must hash to the attested hash, the proof must lead from its
receiptsRoot to a successful receipt, and every Deposit log of the bridge contract in that receipt
is minted to its recipient, once per deposit nonce.

Here → Base. `withdraw(baseRecipient)` burns the call's value and records withdrawal `nonce`.
Validators sign its EIP-712 `Withdrawal` digest (the contract's: domain {"FlockBridge", "1",
BaseChainId, BridgeContract}); anyone submits those signatures, which are checked here and
kept until they carry more than 2/3 of the weight of the set the withdrawal was requested
under. The contract's `withdraw(nonce, recipient, amount, signatures)` then releases FLOCK, and
a proof of its `Withdrawal` log (`confirmRelease`) marks the withdrawal released here.

A withdrawal may burn only FLOCK that is locked on Base: `Outstanding` = InitialLocked +
minted − burned, so FLOCK minted here by the bridge equals FLOCK locked on Base minus FLOCK
released, once every message is relayed.
"""

from dataclasses import dataclass, replace

from ..abi import abi_encode
from ..base_chain import BaseDataError, BaseLog, decode_header, verify_receipt
from ..crypto import SECP256K1_HALF_N, keccak256, recover_address
from ..module import BlockEnv, CallDecl, CallEnv, ErrorDecl, EventDecl, Module, Parameter, ViewDecl, fail, module_address
from ..records import Address, Bool, Hash32, RecordCodec, Uint8, Uint64, Uint256
from ..state import State
from ..storage import ADDRESS, HASH32, U64, U256, BytesList, FixedUint, RawBytes, StorageMap, StorageValue
from . import balances, consensus, system

NAME = "bridge"
ADDRESS_ = module_address(10)
ZERO_ADDRESS = bytes(20)
PROOF_WEIGHT_PER_BYTE = 100
"""Proofs are hashed and decoded, and a receipt may carry many deposits, each minted and stored: their
gas grows with their bytes (a Deposit log is ~200 bytes: 20,000 gas each)."""
REQUESTED, SIGNED, RELEASED = 0, 1, 2
"""A withdrawal's status."""

DEPOSIT_TOPIC = keccak256(b"Deposit(uint256,address,address,uint256)")
RELEASE_TOPIC = keccak256(b"Withdrawal(uint256,address,uint256,uint256)")
DOMAIN_TYPEHASH = keccak256(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
WITHDRAWAL_TYPEHASH = keccak256(
    b"Withdrawal(uint256 homeChainId,uint256 validatorSetId,uint256 nonce,address recipient,uint256 amount)")
ROTATION_TYPEHASH = keccak256(b"ValidatorSetRotation(uint256 homeChainId,uint256 validatorSetId,bytes32 newSetHash)")
NAME_HASH, VERSION_HASH = keccak256(b"FlockBridge"), keccak256(b"1")

# Parameters (Root: configure)
BaseChainId = StorageValue(NAME, "BaseChainId", U64, 8453)
BridgeContract = StorageValue(NAME, "BridgeContract", ADDRESS, ZERO_ADDRESS)
"""FlockBridge's address on Base; the zero address means the bridge is not configured."""
TokenContract = StorageValue(NAME, "TokenContract", ADDRESS, ZERO_ADDRESS)
InitialLocked = StorageValue(NAME, "InitialLocked", U256, 0)
"""FLOCK locked on Base at genesis that backs FLOCK issued here at genesis (withdrawable)."""



@dataclass(frozen=True)
class BaseBlockAttestations:
    set_id: Uint64
    """The authority set the weight is counted in."""
    weight: Uint256
    accepted: Bool


@dataclass(frozen=True)
class BaseBlockRef:
    number: Uint64
    hash: Hash32


@dataclass(frozen=True)
class DepositRecord:
    recipient: Address
    amount: Uint256
    base_block: Uint64
    """The number of the Base block it was proven in."""
    sender: Address


@dataclass(frozen=True)
class WithdrawalRecord:
    sender: Address
    recipient: Address
    amount: Uint256
    set_id: Uint64
    status: Uint8 = REQUESTED
    signed_weight: Uint256 = 0
    requested_at: Uint64 = 0
    released_in: Uint64 = 0
    """The Base block its release was proven in."""
    base_floor: Uint64 = 0
    """The highest accepted Base block when it was requested: its release cannot be below it."""


# Storage
BaseBlock = StorageMap(NAME, "BaseBlock", HASH32, RecordCodec(BaseBlockAttestations), None)
"""Base block hash → the attestations it has."""
Attestation = StorageMap(NAME, "Attestation", RawBytes(), FixedUint(1), 0)
"""(block hash ‖ u64 setId ‖ validator) → 1 when that validator attested the hash in that set."""
LatestBaseBlock = StorageValue(NAME, "LatestBaseBlock", RecordCodec(BaseBlockRef), BaseBlockRef(0, bytes(32)))
"""The highest Base block a proof was checked against (its number read from its header)."""
Deposit = StorageMap(NAME, "Deposit", U256, RecordCodec(DepositRecord), None)
"""Deposit nonce → the deposit, once minted."""
NextUnmintedDeposit = StorageValue(NAME, "NextUnmintedDeposit", U256, 0)
"""Every deposit nonce below this one is minted."""
Minted = StorageValue(NAME, "Minted", U256, 0)
Burned = StorageValue(NAME, "Burned", U256, 0)
WithdrawalCount = StorageValue(NAME, "WithdrawalCount", U64, 0)
Withdrawal = StorageMap(NAME, "Withdrawal", U64, RecordCodec(WithdrawalRecord), None)
Signers = StorageMap(NAME, "Signers", U64, BytesList(), ())
"""nonce → the validators whose signatures are kept, ascending (the order the contract wants)."""
Signature = StorageMap(NAME, "Signature", RawBytes(), RawBytes(), None)
"""(u64 nonce ‖ signer) → the 65-byte signature r ‖ s ‖ v."""
NextUnreleasedWithdrawal = StorageValue(NAME, "NextUnreleasedWithdrawal", U64, 0)
SetOf = StorageMap(NAME, "SetOf", U64, consensus.AUTHORITIES, None)
"""Every authority set by id, never pruned (consensus keeps 16): the Base contract may lag any number of
sets behind, and each rotation it still needs is signed by that set."""
RecordedSets = StorageValue(NAME, "RecordedSets", U64, 0)
"""Sets 0 … RecordedSets − 1 are in SetOf."""
RotationSigners = StorageMap(NAME, "RotationSigners", U64, BytesList(), ())
"""outgoing setId → the outgoing validators whose rotation signatures are kept, ascending."""
RotationSignature = StorageMap(NAME, "RotationSignature", RawBytes(), RawBytes(), None)
"""(u64 outgoing setId ‖ signer) → the 65-byte signature on the rotation to setId + 1."""


@dataclass(frozen=True)
class SignatureBook:
    """Signatures kept per message id (a withdrawal nonce, a rotation's outgoing set), signers ascending:
    the order FlockBridge wants them in."""

    signers: StorageMap
    signatures: StorageMap

    def has(self, state: State, id_: int, signer: bytes) -> bool:
        return self.signatures.get(state, id_.to_bytes(8, "big") + signer) is not None

    def keep(self, state: State, id_: int, signer: bytes, signature: bytes) -> tuple[bytes, ...]:
        """Add a signature; returns the signers now kept."""
        self.signatures.set(state, id_.to_bytes(8, "big") + signer, signature)
        signers = tuple(sorted(self.signers.get(state, id_) + (signer,)))
        self.signers.set(state, id_, signers)
        return signers

    def kept(self, state: State, id_: int) -> list[bytes]:
        prefix = id_.to_bytes(8, "big")
        return [self.signatures.get(state, prefix + signer) for signer in self.signers.get(state, id_)]

    def clear(self, state: State, id_: int) -> None:
        prefix = id_.to_bytes(8, "big")
        for signer in self.signers.get(state, id_):
            self.signatures.remove(state, prefix + signer)
        self.signers.set(state, id_, ())


WITHDRAWAL_SIGNATURES = SignatureBook(Signers, Signature)
ROTATION_SIGNATURES = SignatureBook(RotationSigners, RotationSignature)

# Events
BridgeConfigured = EventDecl("BridgeConfigured(uint64 baseChainId,address bridge,address token)")
BaseBlockAttested = EventDecl("BaseBlockAttested(bytes32 indexed blockHash,address indexed validator,uint256 weight,"
                              "uint256 totalWeight)")
BaseBlockAccepted = EventDecl("BaseBlockAccepted(bytes32 indexed blockHash)")
DepositMinted = EventDecl("DepositMinted(uint256 indexed nonce,address indexed recipient,address sender,"
                          "uint256 amount,bytes32 baseBlockHash)")
WithdrawalRequested = EventDecl("WithdrawalRequested(uint256 indexed nonce,address indexed sender,"
                                "address baseRecipient,uint256 amount,uint64 validatorSetId)")
WithdrawalSignatureAdded = EventDecl("WithdrawalSignatureAdded(uint256 indexed nonce,address indexed signer,"
                                     "uint256 weight,uint256 totalWeight)")
WithdrawalSigned = EventDecl("WithdrawalSigned(uint256 indexed nonce,uint64 validatorSetId)")
WithdrawalReleased = EventDecl("WithdrawalReleased(uint256 indexed nonce,bytes32 baseBlockHash)")
RotationSignatureAdded = EventDecl("RotationSignatureAdded(uint64 indexed setId,address indexed signer,uint256 weight,"
                                   "uint256 totalWeight)")
RotationSigned = EventDecl("RotationSigned(uint64 indexed setId)")

# Errors
NotConfigured = ErrorDecl("NotConfigured()")
NotAValidator = ErrorDecl("NotAValidator(address account,uint64 setId)")
AlreadyAttested = ErrorDecl("AlreadyAttested(bytes32 blockHash,address validator)")
AlreadyAccepted = ErrorDecl("AlreadyAccepted(bytes32 blockHash)")
BlockNotAccepted = ErrorDecl("BlockNotAccepted(bytes32 blockHash)")
HeaderHashMismatch = ErrorDecl("HeaderHashMismatch(bytes32 expected,bytes32 actual)")
MalformedBaseHeader = ErrorDecl("MalformedBaseHeader(string reason)")
InvalidReceiptProof = ErrorDecl("InvalidReceiptProof(string reason)")
FailedReceipt = ErrorDecl("FailedReceipt(uint256 receiptIndex)")
NoDepositInReceipt = ErrorDecl("NoDepositInReceipt(uint256 receiptIndex)")
DepositAlreadyMinted = ErrorDecl("DepositAlreadyMinted(uint256 nonce)")
MalformedBridgeLog = ErrorDecl("MalformedBridgeLog(uint256 logIndex)")
ZeroAmount = ErrorDecl("ZeroAmount()")
ZeroRecipient = ErrorDecl("ZeroRecipient()")
ExceedsBridgedSupply = ErrorDecl("ExceedsBridgedSupply(uint256 outstanding,uint256 amount)")
UnknownWithdrawal = ErrorDecl("UnknownWithdrawal(uint256 nonce)")
InvalidSignature = ErrorDecl("InvalidSignature()")
DuplicateSignature = ErrorDecl("DuplicateSignature(uint256 nonce,address signer)")
NoReleaseInReceipt = ErrorDecl("NoReleaseInReceipt(uint256 receiptIndex)")
ReleaseMismatch = ErrorDecl("ReleaseMismatch(uint256 nonce)")
AlreadyReleased = ErrorDecl("AlreadyReleased(uint256 nonce)")
BridgeInUse = ErrorDecl("BridgeInUse(uint256 minted,uint256 withdrawals)")
SetAlreadyChanged = ErrorDecl("SetAlreadyChanged(uint64 setId)")
"""FlockBridge starts at validator set 0: it can serve this chain only from set 0 on."""
UnknownRotation = ErrorDecl("UnknownRotation(uint64 setId)")
DuplicateRotationSignature = ErrorDecl("DuplicateRotationSignature(uint64 setId,address signer)")


def is_supermajority(weight: int, total: int) -> bool:
    """More than 2/3 of the weight, in integers: weight·3 > total·2 (the contract's rule)."""
    return weight * 3 > total * 2


def get_outstanding(state: State) -> int:
    """FLOCK locked on Base that this chain has issued and not burned: what withdrawals may release."""
    return InitialLocked.get(state) + Minted.get(state) - Burned.get(state)


def _ensure_configured(state: State) -> bytes:
    bridge = BridgeContract.get(state)
    if bridge == ZERO_ADDRESS:
        fail(NotConfigured)
    return bridge


# Attestations

def _attestation_key(block_hash: bytes, set_id: int, validator: bytes) -> bytes:
    return block_hash + set_id.to_bytes(8, "big") + validator


def call_attest_base_block(state: State, env: CallEnv, block_hash: bytes) -> tuple:
    """A validator of the current set vouches that the Base block with this hash is final."""
    _ensure_configured(state)
    set_id, members = consensus.get_voter_set(state)
    weight = members.get(env.sender)
    if weight is None:
        fail(NotAValidator, env.sender, set_id)
    record = BaseBlock.get(state, block_hash) or BaseBlockAttestations(set_id, 0, False)
    if record.accepted:
        fail(AlreadyAccepted, block_hash)
    attested = record.weight if record.set_id == set_id else 0
    key = _attestation_key(block_hash, set_id, env.sender)
    if Attestation.get(state, key):
        fail(AlreadyAttested, block_hash, env.sender)
    Attestation.set(state, key, 1)
    attested += weight
    total = sum(members.values())
    accepted = is_supermajority(attested, total)
    BaseBlock.set(state, block_hash, BaseBlockAttestations(set_id, attested, accepted))
    env.emit(BaseBlockAttested.to_log(ADDRESS_, block_hash, env.sender, attested, total))
    if accepted:
        env.emit(BaseBlockAccepted.to_log(ADDRESS_, block_hash))
    return ()


def _proven_logs(state: State, block_hash: bytes, header: bytes, receipt_index: int,
                 proof: list[bytes]) -> tuple[int, tuple[BaseLog, ...]]:
    """(Base block number, logs of the bridge contract) of a successful receipt in an accepted block."""
    bridge = _ensure_configured(state)
    record = BaseBlock.get(state, block_hash)
    if record is None or not record.accepted:
        fail(BlockNotAccepted, block_hash)
    actual = keccak256(bytes(header))
    if actual != block_hash:
        fail(HeaderHashMismatch, block_hash, actual)
    try:
        decoded = decode_header(bytes(header))
    except BaseDataError as error:
        fail(MalformedBaseHeader, str(error))
    try:
        receipt = verify_receipt(decoded.receipts_root, receipt_index, [bytes(node) for node in proof])
    except BaseDataError as error:
        fail(InvalidReceiptProof, str(error))
    if not receipt.succeeded:
        fail(FailedReceipt, receipt_index)
    if decoded.number >= LatestBaseBlock.get(state).number:
        LatestBaseBlock.set(state, BaseBlockRef(decoded.number, block_hash))
    return decoded.number, tuple(log for log in receipt.logs if log.address == bridge)


def _word_address(word: bytes, log_index: int) -> bytes:
    if len(word) != 32 or word[:12] != bytes(12):
        fail(MalformedBridgeLog, log_index)
    return word[12:]


# Deposits (Base → here)

def call_prove_deposit(state: State, env: CallEnv, block_hash: bytes, header: bytes, receipt_index: int,
                       proof: list[bytes]) -> tuple:
    """Mint every not-yet-minted Deposit of the bridge contract in a proven receipt; returns how many."""
    number, logs = _proven_logs(state, block_hash, header, receipt_index, proof)
    deposits = []
    for index, log in enumerate(logs):
        if not log.topics or log.topics[0] != DEPOSIT_TOPIC:
            continue
        if len(log.topics) != 3 or len(log.data) != 64:
            fail(MalformedBridgeLog, index)
        deposits.append((int.from_bytes(log.topics[1], "big"), _word_address(log.topics[2], index),
                         _word_address(log.data[:32], index), int.from_bytes(log.data[32:], "big")))
    if not deposits:
        fail(NoDepositInReceipt, receipt_index)
    minted = 0
    for nonce, sender, recipient, amount in deposits:
        if Deposit.get(state, nonce) is not None:
            continue
        minted += 1
        balances.mint(state, recipient, amount)
        Minted.set(state, Minted.get(state) + amount)
        Deposit.set(state, nonce, DepositRecord(recipient, amount, number, sender))
        env.emit(DepositMinted.to_log(ADDRESS_, nonce, recipient, sender, amount, block_hash))
    if not minted:
        fail(DepositAlreadyMinted, deposits[0][0])
    watermark = NextUnmintedDeposit.get(state)
    while Deposit.get(state, watermark) is not None:
        watermark += 1
    NextUnmintedDeposit.set(state, watermark)
    return (minted,)


# Withdrawals (here → Base)

def call_withdraw(state: State, env: CallEnv, base_recipient: bytes) -> tuple:
    """Burn the call's value (already at this module's address) and record a withdrawal to Base."""
    _ensure_configured(state)
    if env.value == 0:
        fail(ZeroAmount)
    if base_recipient == ZERO_ADDRESS:
        fail(ZeroRecipient)
    outstanding = get_outstanding(state)
    if env.value > outstanding:
        fail(ExceedsBridgedSupply, outstanding, env.value)
    balances.burn(state, ADDRESS_, env.value)
    Burned.set(state, Burned.get(state) + env.value)
    nonce = WithdrawalCount.get(state)
    set_id = consensus.SetId.get(state)
    WithdrawalCount.set(state, nonce + 1)
    record = WithdrawalRecord(env.sender, base_recipient, env.value, set_id, requested_at=env.block_number,
                              base_floor=LatestBaseBlock.get(state).number)
    Withdrawal.set(state, nonce, record)
    env.emit(WithdrawalRequested.to_log(ADDRESS_, nonce, env.sender, base_recipient, env.value, set_id))
    return (nonce,)


def get_withdrawal(state: State, nonce: int) -> WithdrawalRecord:
    record = Withdrawal.get(state, nonce) if nonce < WithdrawalCount.get(state) else None
    if record is None:
        fail(UnknownWithdrawal, nonce)
    return record


def compute_domain_separator(state: State) -> bytes:
    return keccak256(abi_encode(["bytes32", "bytes32", "bytes32", "uint256", "address"],
                                [DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, BaseChainId.get(state),
                                 BridgeContract.get(state)]))


def compute_withdrawal_digest(state: State, nonce: int, record: WithdrawalRecord) -> bytes:
    """The EIP-712 digest FlockBridge.withdraw checks: what a validator signs for withdrawal `nonce`."""
    struct_hash = keccak256(abi_encode(
        ["bytes32", "uint256", "uint256", "uint256", "address", "uint256"],
        [WITHDRAWAL_TYPEHASH, system.ChainId.get(state), record.set_id, nonce, record.recipient, record.amount]))
    return keccak256(b"\x19\x01" + compute_domain_separator(state) + struct_hash)


def recover_signer(digest: bytes, signature: bytes) -> bytes | None:
    """The contract's rule: 65 bytes r ‖ s ‖ v, v ∈ {27, 28}, s in the lower half; else None."""
    if len(signature) != 65 or signature[64] not in (27, 28):
        return None
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
    if s > SECP256K1_HALF_N:
        return None
    return recover_address(digest, signature[64] - 27, r, s)


def call_submit_withdrawal_signature(state: State, env: CallEnv, nonce: int, signature: bytes) -> tuple:
    """Keep a validator's signature on withdrawal `nonce` (anyone may carry it), under the current set.

    A withdrawal requested under an earlier set is re-signed by the current one (the Base contract is
    rotated to it, spec/modules/bridge.md): its kept signatures are dropped by the first signature of the
    current set. Signatures are kept until the withdrawal is released, past > 2/3, so the kept set covers
    the contract's threshold whatever order they came in."""
    record = get_withdrawal(state, nonce)
    if record.status == RELEASED:
        fail(AlreadyReleased, nonce)
    set_id = consensus.SetId.get(state)
    if record.set_id != set_id:
        record = replace(record, set_id=set_id, status=REQUESTED, signed_weight=0)
    signer = recover_signer(compute_withdrawal_digest(state, nonce, record), bytes(signature))
    if signer is None:
        fail(InvalidSignature)
    members = dict(consensus.Authorities.get(state))
    if signer not in members:
        fail(NotAValidator, signer, set_id)
    if record.signed_weight == 0:
        WITHDRAWAL_SIGNATURES.clear(state, nonce)
    elif WITHDRAWAL_SIGNATURES.has(state, nonce, signer):
        fail(DuplicateSignature, nonce, signer)
    WITHDRAWAL_SIGNATURES.keep(state, nonce, signer, bytes(signature))
    weight, total = record.signed_weight + members[signer], sum(members.values())
    newly_signed = record.status == REQUESTED and is_supermajority(weight, total)
    record = replace(record, status=SIGNED if is_supermajority(weight, total) else REQUESTED, signed_weight=weight)
    Withdrawal.set(state, nonce, record)
    env.emit(WithdrawalSignatureAdded.to_log(ADDRESS_, nonce, signer, weight, total))
    if newly_signed:
        env.emit(WithdrawalSigned.to_log(ADDRESS_, nonce, set_id))
    return ()


# Rotations of the Base contract's validator set

def compute_set_hash(authorities: tuple[tuple[bytes, int], ...]) -> bytes:
    """FlockBridge's `keccak256(abi_encode(newValidators, newWeights))`, in the set's canonical order."""
    return keccak256(abi_encode(["address[]", "uint256[]"], [[a for a, _ in authorities], [w for _, w in authorities]]))


def record_sets(state: State) -> None:
    """Copy into SetOf every set consensus started since the last call (at most one per block)."""
    recorded, current = RecordedSets.get(state), consensus.SetId.get(state)
    while recorded <= current:
        SetOf.set(state, recorded, consensus.AuthoritySetOf.get(state, recorded))
        recorded += 1
    RecordedSets.set(state, recorded)


def on_initialize(state: State, env: BlockEnv) -> None:
    """After consensus's hook (bridge comes later in the runtime), so a set started in this block is recorded."""
    record_sets(state)


def _rotation_sets(state: State, set_id: int) -> tuple[dict, tuple]:
    """(outgoing members, incoming set) of the rotation from `set_id` to `set_id + 1`."""
    if set_id >= consensus.SetId.get(state):
        fail(UnknownRotation, set_id)
    return dict(SetOf.get(state, set_id)), SetOf.get(state, set_id + 1)


def compute_rotation_digest(state: State, set_id: int, incoming: tuple) -> bytes:
    """FlockBridge's EIP-712 ValidatorSetRotation digest: what the outgoing set signs."""
    struct_hash = keccak256(abi_encode(["bytes32", "uint256", "uint256", "bytes32"],
                                       [ROTATION_TYPEHASH, system.ChainId.get(state), set_id,
                                        compute_set_hash(incoming)]))
    return keccak256(b"\x19\x01" + compute_domain_separator(state) + struct_hash)


def call_submit_rotation_signature(state: State, env: CallEnv, set_id: int, signature: bytes) -> tuple:
    """Keep an outgoing validator's signature on rotating the Base contract from set `set_id` to the next."""
    _ensure_configured(state)
    outgoing, incoming = _rotation_sets(state, set_id)
    signer = recover_signer(compute_rotation_digest(state, set_id, incoming), bytes(signature))
    if signer is None:
        fail(InvalidSignature)
    if signer not in outgoing:
        fail(NotAValidator, signer, set_id)
    if ROTATION_SIGNATURES.has(state, set_id, signer):
        fail(DuplicateRotationSignature, set_id, signer)
    signers = ROTATION_SIGNATURES.keep(state, set_id, signer, bytes(signature))
    weight, total = sum(outgoing[a] for a in signers), sum(outgoing.values())
    env.emit(RotationSignatureAdded.to_log(ADDRESS_, set_id, signer, weight, total))
    if is_supermajority(weight, total) and not is_supermajority(weight - outgoing[signer], total):
        env.emit(RotationSigned.to_log(ADDRESS_, set_id))
    return ()


def view_rotation(state: State, set_id: int) -> tuple:
    """The arguments of FlockBridge.rotateValidators for set_id → set_id + 1, and whether > 2/3 signed."""
    outgoing, incoming = _rotation_sets(state, set_id)
    weight = sum(outgoing[a] for a in RotationSigners.get(state, set_id))
    return ([a for a, _ in incoming], [w for _, w in incoming], ROTATION_SIGNATURES.kept(state, set_id),
            is_supermajority(weight, sum(outgoing.values())))


def call_confirm_release(state: State, env: CallEnv, block_hash: bytes, header: bytes, receipt_index: int,
                         proof: list[bytes]) -> tuple:
    """Mark withdrawals released on Base, from a proven receipt with the contract's Withdrawal log."""
    number, logs = _proven_logs(state, block_hash, header, receipt_index, proof)
    released = []
    for index, log in enumerate(logs):
        if not log.topics or log.topics[0] != RELEASE_TOPIC:
            continue
        if len(log.topics) != 3 or len(log.data) != 64:
            fail(MalformedBridgeLog, index)
        released.append((int.from_bytes(log.topics[1], "big"), _word_address(log.topics[2], index),
                         int.from_bytes(log.data[:32], "big")))
    if not released:
        fail(NoReleaseInReceipt, receipt_index)
    for nonce, recipient, amount in released:
        record = get_withdrawal(state, nonce)
        if (record.recipient, record.amount) != (recipient, amount):
            fail(ReleaseMismatch, nonce)
        if record.status == RELEASED:
            fail(AlreadyReleased, nonce)
        record = replace(record, status=RELEASED, released_in=number)
        Withdrawal.set(state, nonce, record)
        env.emit(WithdrawalReleased.to_log(ADDRESS_, nonce, block_hash))
    watermark, count = NextUnreleasedWithdrawal.get(state), WithdrawalCount.get(state)
    while watermark < count and Withdrawal.get(state, watermark).status == RELEASED:
        watermark += 1
    NextUnreleasedWithdrawal.set(state, watermark)
    return ()


def call_configure(state: State, env: CallEnv, base_chain_id: int, bridge: bytes, token: bytes) -> tuple:
    """Root only, only before anything was bridged (deposit nonces and withdrawal signatures belong to one
    contract on one chain) and only in set 0 (the contract starts there; no rotation signature exists yet)."""
    system.ensure_root(state, env.sender)
    if Minted.get(state) or WithdrawalCount.get(state):
        fail(BridgeInUse, Minted.get(state), WithdrawalCount.get(state))
    if consensus.SetId.get(state):
        fail(SetAlreadyChanged, consensus.SetId.get(state))
    BaseChainId.set(state, base_chain_id)
    BridgeContract.set(state, bridge)
    TokenContract.set(state, token)
    env.emit(BridgeConfigured.to_log(ADDRESS_, base_chain_id, bridge, token))
    return ()


# Views

def view_config(state: State) -> tuple:
    return (BaseChainId.get(state), BridgeContract.get(state), TokenContract.get(state), consensus.SetId.get(state))


def view_base_block(state: State, block_hash: bytes) -> tuple:
    record = BaseBlock.get(state, block_hash)
    return (False, 0) if record is None else (record.accepted, record.weight)


def view_has_attested(state: State, block_hash: bytes, validator: bytes) -> tuple:
    return (bool(Attestation.get(state, _attestation_key(block_hash, consensus.SetId.get(state), validator))),)


def view_latest_base_block(state: State) -> tuple:
    latest = LatestBaseBlock.get(state)
    return latest.number, latest.hash


def view_deposit(state: State, nonce: int) -> tuple:
    deposit = Deposit.get(state, nonce)
    if deposit is None:
        return False, ZERO_ADDRESS, 0, 0, ZERO_ADDRESS
    return True, deposit.recipient, deposit.amount, deposit.base_block, deposit.sender


def view_withdrawal(state: State, nonce: int) -> tuple:
    record = get_withdrawal(state, nonce)
    return (record.sender, record.recipient, record.amount, record.set_id, record.status, record.signed_weight,
            record.requested_at, record.released_in, record.base_floor)


def view_withdrawal_signatures(state: State, nonce: int) -> tuple:
    """The kept signatures in ascending signer order: FlockBridge.withdraw's `signatures` argument."""
    get_withdrawal(state, nonce)
    return (WITHDRAWAL_SIGNATURES.kept(state, nonce),)


def view_has_signed(state: State, nonce: int, validator: bytes) -> tuple:
    """Whether `validator`'s signature under the current set is kept (a withdrawal of an earlier set needs
    signing again)."""
    if nonce >= WithdrawalCount.get(state) or get_withdrawal(state, nonce).set_id != consensus.SetId.get(state):
        return (False,)
    return (WITHDRAWAL_SIGNATURES.has(state, nonce, validator),)


def view_withdrawal_digest(state: State, nonce: int) -> tuple:
    """What a validator signs for withdrawal `nonce` now: its digest under the current set."""
    record = replace(get_withdrawal(state, nonce), set_id=consensus.SetId.get(state))
    return (compute_withdrawal_digest(state, nonce, record),)


def view_supply(state: State) -> tuple:
    return Minted.get(state), Burned.get(state), get_outstanding(state)


def genesis(state: State, config: dict) -> None:
    """config: {"baseChainId", "bridge", "token", "initialLocked"}; all optional."""
    if "baseChainId" in config:
        BaseChainId.set(state, int(config["baseChainId"]))
    for key, item in (("bridge", BridgeContract), ("token", TokenContract)):
        if key in config:
            item.set(state, bytes.fromhex(config[key].removeprefix("0x")))
    if "initialLocked" in config:
        InitialLocked.set(state, int(config["initialLocked"]))
    record_sets(state)


def check_invariants(state: State) -> None:
    minted = sum(deposit.amount for _, deposit in Deposit.items(state))
    assert minted == Minted.get(state), "Minted is the sum of minted deposits"
    count = WithdrawalCount.get(state)
    records = dict(Withdrawal.items(state))
    assert set(records) == set(range(count)), "withdrawal nonces are 0 … count − 1"
    assert sum(r.amount for r in records.values()) == Burned.get(state), "Burned is the sum of withdrawals"
    assert get_outstanding(state) >= 0, "never more burned than locked"
    for nonce, record in records.items():
        signers = Signers.get(state, nonce)
        assert list(signers) == sorted(set(signers)), "signers ascending and distinct"
        members = dict(SetOf.get(state, record.set_id))
        if record.status != RELEASED:
            assert record.signed_weight == sum(members[s] for s in signers), "signed weight is the signers' weight"
            signed = is_supermajority(record.signed_weight, sum(members.values()))
            assert (record.status == SIGNED) == signed, "SIGNED exactly when > 2/3 of its set signed"
    for set_id, signers in RotationSigners.items(state):
        assert list(signers) == sorted(set(signers)) and set_id < consensus.SetId.get(state)
    assert RecordedSets.get(state) == consensus.SetId.get(state) + 1, "every set is recorded"
    for set_id, members in SetOf.items(state):
        kept = consensus.AuthoritySetOf.get(state, set_id)
        assert kept is None or kept == members, "recorded sets are consensus's"
    watermark = NextUnmintedDeposit.get(state)
    assert Deposit.get(state, watermark) is None, "the watermark's nonce is not minted"
    assert sum(1 for nonce, _ in Deposit.items(state) if nonce < watermark) == watermark, "all below it are"
    released_mark = NextUnreleasedWithdrawal.get(state)
    assert all(records[n].status == RELEASED for n in range(released_mark)), "all below the mark are released"
    assert released_mark == count or records[released_mark].status != RELEASED


MODULE = Module.declare(
    globals(),
    name=NAME,
    address=ADDRESS_,
    raises=(system.NotRoot, balances.InsufficientBalance, balances.SupplyCapExceeded),
    calls=(
        CallDecl("attestBaseBlock(bytes32 blockHash)", call_attest_base_block, weight=30_000),
        CallDecl("proveDeposit(bytes32 blockHash,bytes header,uint256 receiptIndex,bytes[] proof)",
                 call_prove_deposit, weight=100_000, returns=("uint256",), weight_per_byte=PROOF_WEIGHT_PER_BYTE),
        CallDecl("withdraw(address baseRecipient)", call_withdraw, weight=30_000, payable=True,
                 returns=("uint256",)),
        CallDecl("submitWithdrawalSignature(uint256 nonce,bytes signature)", call_submit_withdrawal_signature,
                 weight=40_000),
        CallDecl("submitRotationSignature(uint64 setId,bytes signature)", call_submit_rotation_signature,
                 weight=60_000),
        CallDecl("confirmRelease(bytes32 blockHash,bytes header,uint256 receiptIndex,bytes[] proof)",
                 call_confirm_release, weight=100_000, weight_per_byte=PROOF_WEIGHT_PER_BYTE),
        CallDecl("configure(uint64 baseChainId,address bridge,address token)", call_configure, weight=10_000),
    ),
    views=(
        ViewDecl("config()", view_config, ("uint64", "address", "address", "uint64")),
        ViewDecl("baseBlock(bytes32 blockHash)", view_base_block, ("bool", "uint256")),
        ViewDecl("hasAttested(bytes32 blockHash,address validator)", view_has_attested, ("bool",)),
        ViewDecl("latestBaseBlock()", view_latest_base_block, ("uint64", "bytes32")),
        ViewDecl("depositOf(uint256 nonce)", view_deposit, ("bool", "address", "uint256", "uint64", "address")),
        ViewDecl("nextUnmintedDeposit()", lambda state: (NextUnmintedDeposit.get(state),), ("uint256",)),
        ViewDecl("withdrawalCount()", lambda state: (WithdrawalCount.get(state),), ("uint256",)),
        ViewDecl("nextUnreleasedWithdrawal()", lambda state: (NextUnreleasedWithdrawal.get(state),), ("uint256",)),
        ViewDecl("withdrawalOf(uint256 nonce)", view_withdrawal,
                 ("address", "address", "uint256", "uint64", "uint8", "uint256", "uint64", "uint64", "uint64")),
        ViewDecl("withdrawalSignatures(uint256 nonce)", view_withdrawal_signatures, ("bytes[]",)),
        ViewDecl("hasSigned(uint256 nonce,address validator)", view_has_signed, ("bool",)),
        ViewDecl("withdrawalDigest(uint256 nonce)", view_withdrawal_digest, ("bytes32",)),
        ViewDecl("supply()", view_supply, ("uint256", "uint256", "uint256")),
        ViewDecl("rotation(uint64 setId)", view_rotation, ("address[]", "uint256[]", "bytes[]", "bool")),
        ViewDecl("rotationDigest(uint64 setId)",
                 lambda state, set_id: (compute_rotation_digest(state, set_id, _rotation_sets(state, set_id)[1]),),
                 ("bytes32",)),
    ),
    parameters={"BaseChainId": Parameter(BaseChainId), "BridgeContract": Parameter(BridgeContract),
                "TokenContract": Parameter(TokenContract)},
    authorize=system.ensure_root,
    on_initialize=on_initialize,
    genesis=genesis,
    check_invariants=check_invariants,
)
