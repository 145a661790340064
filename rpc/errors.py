"""JSON-RPC error codes (JSON-RPC 2.0 and EIP-1474)."""

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
"""geth's generic server-side refusal (unknown header, a transaction the pool refuses)."""
RESOURCE_NOT_FOUND = -32001
TRANSACTION_REJECTED = -32003
LIMIT_EXCEEDED = -32005
EXECUTION_REVERTED = 3


class RpcError(Exception):
    def __init__(self, code: int, message: str, data=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def invalid_params(message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"invalid params: {message}")
