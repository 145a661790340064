"""The runtime's small exception hierarchy.

Two levels, as Substrate's executive: an *invalid* block or transaction is rejected whole
and never included; a *dispatch error* is a call that failed after its transaction was
accepted — it is included, pays its fee and changes nothing else.
"""


class RuntimeFault(Exception):
    """Base of every error the state transition raises on purpose."""


class InvalidBlock(RuntimeFault):
    """The block breaks a validity rule; no state change happens."""


class InvalidTransaction(RuntimeFault):
    """The transaction may not be included (signature, chain id, nonce, fees, size, shape).

    One subclass per reason (Substrate's `InvalidTransaction` variants); `reason` is the class's
    name, which JSON-RPC reports as `"<reason>: <message>"` with `{"reason": ...}` as data.
    """

    reason = "InvalidTransaction"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.reason = cls.__name__

    def __init__(self, message: str):
        super().__init__(f"{self.reason}: {message}")
        self.message = message


class MalformedTransaction(InvalidTransaction):
    """Bytes that are not a well-formed encoding of a transaction."""


class OversizedTransaction(InvalidTransaction):
    """More bytes than MAX_TRANSACTION_SIZE."""


class UnsupportedTransactionType(InvalidTransaction):
    """An EIP-2718 type this chain does not take (blobs, set-code)."""


class MissingChainId(InvalidTransaction):
    """A legacy transaction without EIP-155 replay protection."""


class TipAboveFeeCap(InvalidTransaction):
    """maxPriorityFeePerGas above maxFeePerGas."""


class InvalidSignature(InvalidTransaction):
    """The signature recovers no key, or its s is high."""


class WrongChainId(InvalidTransaction):
    """Signed for another chain."""


class ContractCreationNotSupported(InvalidTransaction):
    """No `to`: this chain runs no EVM bytecode."""


class IntrinsicGasTooLow(InvalidTransaction):
    """The gas limit does not cover the transaction's intrinsic gas."""


class GasLimitExceeded(InvalidTransaction):
    """More gas than the block has left (it may fit a later block)."""


class FeeCapTooLow(InvalidTransaction):
    """maxFeePerGas below the block's base fee."""


class InsufficientFunds(InvalidTransaction):
    """The sender cannot pay gas limit × max fee + value."""


class NonceTooLow(InvalidTransaction):
    """The account has already used this nonce."""


class NonceTooHigh(InvalidTransaction):
    """The nonce is ahead of the account's (a gap)."""


class NonceMax(InvalidTransaction):
    """The account nonce reached 2**64 - 1 (EIP-2681)."""


class NotUnsignedCall(InvalidTransaction):
    """An unsigned transaction whose call no module declares unsigned (it would need a sender)."""


class UnsignedCallRefused(InvalidTransaction):
    """An unsigned call its module refuses: it pays no fee, so a failing one is never included."""


class UnsignedProofInvalid(UnsignedCallRefused):
    """An unsigned call whose own proof is false: whoever relays it did not check it."""


class DispatchError(RuntimeFault):
    """A module call failed; carries a Solidity custom error for the revert data."""

    def __init__(self, error, *args):
        shown = ", ".join("0x" + arg.hex() if isinstance(arg, bytes) else repr(arg) for arg in args)
        super().__init__(f"{error.name}({shown})")
        self.error = error
        self.args_ = args

    @property
    def revert_data(self) -> bytes:
        return self.error.encode(*self.args_)


class StorageOverflow(RuntimeFault):
    """A value does not fit its storage codec: a bug in a module, never user input."""
