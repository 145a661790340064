# pragma version ~=0.4.3
"""
@title FlockBridge
@notice Base-side end of the FLOCK bridge. Locks FLOCK on deposit (emitting a
        sequential Deposit nonce the home chain mints against) and releases it
        against EIP-712 signatures of more than 2/3 of the validator set's weight.
        Normative description: spec/bridge_contracts.md.
"""

from ethereum.ercs import IERC20

MAX_VALIDATORS: constant(uint256) = 128
# secp256k1n // 2: signatures with a larger s are malleable twins and refused.
SECP256K1N_HALF: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168
SECONDS_PER_DAY: constant(uint256) = 86400

DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
WITHDRAWAL_TYPEHASH: constant(bytes32) = keccak256(
    "Withdrawal(uint256 homeChainId,uint256 validatorSetId,uint256 nonce,address recipient,uint256 amount)"
)
ROTATION_TYPEHASH: constant(bytes32) = keccak256(
    "ValidatorSetRotation(uint256 homeChainId,uint256 validatorSetId,bytes32 newSetHash)"
)
NAME_HASH: constant(bytes32) = keccak256("FlockBridge")
VERSION_HASH: constant(bytes32) = keccak256("1")


event Deposit:
    nonce: indexed(uint256)
    sender: indexed(address)
    recipient: address
    amount: uint256

event Withdrawal:
    nonce: indexed(uint256)
    recipient: indexed(address)
    amount: uint256
    validatorSetId: uint256

event ValidatorSetRotated:
    validatorSetId: indexed(uint256)
    newSetHash: bytes32
    totalWeight: uint256

event Paused:
    account: address

event Unpaused:
    account: address

event OwnershipTransferred:
    previousOwner: indexed(address)
    newOwner: indexed(address)


token: public(immutable(address))
homeChainId: public(immutable(uint256))
dailyCap: public(immutable(uint256))

owner: public(address)
paused: public(bool)

validatorSetId: public(uint256)
validators: public(DynArray[address, MAX_VALIDATORS])
weights: public(DynArray[uint256, MAX_VALIDATORS])
totalWeight: public(uint256)
# weight of an address in the current set; 0 = not a member
weightOf: public(HashMap[address, uint256])

depositNonce: public(uint256)
processed: public(HashMap[uint256, bool])
# day (block.timestamp // 86400) -> amount released that day
releasedOn: public(HashMap[uint256, uint256])


@deploy
def __init__(
    _token: address,
    _validators: DynArray[address, MAX_VALIDATORS],
    _weights: DynArray[uint256, MAX_VALIDATORS],
    _homeChainId: uint256,
    _dailyCap: uint256,
):
    assert _token != empty(address), "token is zero address"
    token = _token
    homeChainId = _homeChainId
    dailyCap = _dailyCap
    self.owner = msg.sender
    self._set_validators(_validators, _weights)
    log OwnershipTransferred(previousOwner=empty(address), newOwner=msg.sender)


# ---------------------------------------------------------------- internals

@internal
def _set_validators(_validators: DynArray[address, MAX_VALIDATORS], _weights: DynArray[uint256, MAX_VALIDATORS]):
    assert len(_validators) > 0, "empty validator set"
    assert len(_validators) == len(_weights), "validators/weights length mismatch"
    for old: address in self.validators:
        self.weightOf[old] = 0
    total: uint256 = 0
    for i: uint256 in range(len(_validators), bound=MAX_VALIDATORS):
        v: address = _validators[i]
        w: uint256 = _weights[i]
        assert v != empty(address), "validator is zero address"
        assert w > 0, "validator weight is zero"
        assert self.weightOf[v] == 0, "duplicate validator"
        self.weightOf[v] = w
        total += w
    assert total <= max_value(uint256) // 3, "total weight too large"
    self.validators = _validators
    self.weights = _weights
    self.totalWeight = total


@view
@internal
def _domain_separator() -> bytes32:
    return keccak256(abi_encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chain.id, self))


@view
@internal
def _typed_digest(struct_hash: bytes32) -> bytes32:
    return keccak256(concat(b"\x19\x01", self._domain_separator(), struct_hash))


@view
@internal
def _withdrawal_digest(set_id: uint256, nonce: uint256, recipient: address, amount: uint256) -> bytes32:
    return self._typed_digest(
        keccak256(abi_encode(WITHDRAWAL_TYPEHASH, homeChainId, set_id, nonce, recipient, amount))
    )


@view
@internal
def _rotation_digest(set_id: uint256, new_set_hash: bytes32) -> bytes32:
    return self._typed_digest(keccak256(abi_encode(ROTATION_TYPEHASH, homeChainId, set_id, new_set_hash)))


@view
@internal
def _check_quorum(digest: bytes32, signatures: DynArray[Bytes[65], MAX_VALIDATORS]):
    """Revert unless the signers are strictly ascending current members holding > 2/3 of the weight."""
    signed: uint256 = 0
    last: uint256 = 0
    for sig: Bytes[65] in signatures:
        assert len(sig) == 65, "signature must be 65 bytes"
        r: uint256 = convert(extract32(sig, 0), uint256)
        s: uint256 = convert(extract32(sig, 32), uint256)
        v: uint256 = convert(slice(sig, 64, 1), uint256)
        assert v == 27 or v == 28, "signature v must be 27 or 28"
        assert s <= SECP256K1N_HALF, "signature s not in lower half order"
        signer: address = ecrecover(digest, v, r, s)
        assert signer != empty(address), "invalid signature"
        key: uint256 = convert(signer, uint256)
        assert key > last, "signers not strictly ascending"
        last = key
        w: uint256 = self.weightOf[signer]
        assert w > 0, "signer not in validator set"
        signed += w
    assert signed * 3 > self.totalWeight * 2, "insufficient signing weight"


# ---------------------------------------------------------------- deposits / withdrawals

@external
@nonreentrant
def deposit(amount: uint256, recipient: address):
    """Lock `amount` FLOCK (needs allowance) for `recipient` on the home chain."""
    assert not self.paused, "bridge paused"
    assert amount > 0, "zero amount"
    assert recipient != empty(address), "zero recipient"
    nonce: uint256 = self.depositNonce
    self.depositNonce = nonce + 1
    assert extcall IERC20(token).transferFrom(msg.sender, self, amount, default_return_value=True), "token transferFrom failed"
    log Deposit(nonce=nonce, sender=msg.sender, recipient=recipient, amount=amount)


@external
@nonreentrant
def withdraw(nonce: uint256, recipient: address, amount: uint256, signatures: DynArray[Bytes[65], MAX_VALIDATORS]):
    """Release `amount` FLOCK to `recipient` for home-chain withdrawal `nonce`."""
    assert not self.paused, "bridge paused"
    assert not self.processed[nonce], "nonce already processed"
    assert recipient != empty(address), "zero recipient"
    assert amount > 0, "zero amount"
    day: uint256 = block.timestamp // SECONDS_PER_DAY
    released: uint256 = self.releasedOn[day] + amount
    assert released <= dailyCap, "daily cap exceeded"
    set_id: uint256 = self.validatorSetId
    self._check_quorum(self._withdrawal_digest(set_id, nonce, recipient, amount), signatures)
    # effects before the interaction
    self.processed[nonce] = True
    self.releasedOn[day] = released
    log Withdrawal(nonce=nonce, recipient=recipient, amount=amount, validatorSetId=set_id)
    assert extcall IERC20(token).transfer(recipient, amount, default_return_value=True), "token transfer failed"


# ---------------------------------------------------------------- validator set

@external
@nonreentrant
def rotateValidators(
    newValidators: DynArray[address, MAX_VALIDATORS],
    newWeights: DynArray[uint256, MAX_VALIDATORS],
    signatures: DynArray[Bytes[65], MAX_VALIDATORS],
):
    """Replace the validator set; needs > 2/3 of the OUTGOING set's weight."""
    new_set_hash: bytes32 = keccak256(abi_encode(newValidators, newWeights))
    set_id: uint256 = self.validatorSetId
    self._check_quorum(self._rotation_digest(set_id, new_set_hash), signatures)
    self._set_validators(newValidators, newWeights)
    self.validatorSetId = set_id + 1
    log ValidatorSetRotated(validatorSetId=set_id + 1, newSetHash=new_set_hash, totalWeight=self.totalWeight)


# ---------------------------------------------------------------- owner switch

@external
def pause():
    assert msg.sender == self.owner, "only owner"
    assert not self.paused, "already paused"
    self.paused = True
    log Paused(account=msg.sender)


@external
def unpause():
    assert msg.sender == self.owner, "only owner"
    assert self.paused, "not paused"
    self.paused = False
    log Unpaused(account=msg.sender)


@external
def transferOwnership(newOwner: address):
    assert msg.sender == self.owner, "only owner"
    assert newOwner != empty(address), "new owner is zero address"
    log OwnershipTransferred(previousOwner=self.owner, newOwner=newOwner)
    self.owner = newOwner


# ---------------------------------------------------------------- views

@view
@external
def validatorCount() -> uint256:
    return len(self.validators)


@view
@external
def getValidators() -> (DynArray[address, MAX_VALIDATORS], DynArray[uint256, MAX_VALIDATORS]):
    return self.validators, self.weights


@view
@external
def releasedToday() -> uint256:
    return self.releasedOn[block.timestamp // SECONDS_PER_DAY]


@view
@external
def remainingToday() -> uint256:
    return dailyCap - min(dailyCap, self.releasedOn[block.timestamp // SECONDS_PER_DAY])


@view
@external
def domainSeparator() -> bytes32:
    return self._domain_separator()


@view
@external
def withdrawalDigest(validatorSetId: uint256, nonce: uint256, recipient: address, amount: uint256) -> bytes32:
    return self._withdrawal_digest(validatorSetId, nonce, recipient, amount)


@view
@external
def rotationDigest(validatorSetId: uint256, newSetHash: bytes32) -> bytes32:
    return self._rotation_digest(validatorSetId, newSetHash)
