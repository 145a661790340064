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
    """The transaction may not be included (signature, chain id, nonce, fees, size, shape)."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class DecodingError(InvalidTransaction):
    """Bytes that are not a well-formed encoding of what they claim to be."""

    def __init__(self, message: str):
        super().__init__("MalformedTransaction", message)


class DispatchError(RuntimeFault):
    """A module call failed; carries a Solidity custom error for the revert data."""

    def __init__(self, error, *args):
        super().__init__(f"{error.name}{args!r}")
        self.error = error
        self.args_ = args

    @property
    def revert_data(self) -> bytes:
        return self.error.encode(*self.args_)


class StorageOverflow(RuntimeFault):
    """A value does not fit its storage codec: a bug in a module, never user input."""
