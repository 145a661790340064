"""Ethereum typed transactions: legacy (EIP-155), access-list (EIP-2930), dynamic-fee (EIP-1559);
and this chain's unsigned module call (type 0x46, Substrate's unsigned extrinsic).

Any Ethereum wallet signs the first three unchanged. Decoding checks the shape of the bytes and
recovers the sender; whether the transaction may be included (chain id, nonce, fees) is
decided by `runtime.executive.validate_transaction` against state. An unsigned call has no
sender, nonce, fee or signature: the call authorises itself (a ring signature in its arguments),
so only calls a module declares `unsigned` may travel this way.
"""

from dataclasses import dataclass

import rlp

from .crypto import RlpShapeError, check_rlp_depth, keccak256, recover_address, rlp_encode, sign_hash
from .exceptions import (InvalidSignature, MalformedTransaction, MissingChainId, OversizedTransaction,
                         TipAboveFeeCap, UnsupportedTransactionType)

LEGACY, ACCESS_LIST, DYNAMIC_FEE = 0, 1, 2
UNSIGNED = 0x46
NO_SENDER = b"\x00" * 20
"""The `sender` of an unsigned call: no account sends it, pays for it or has its nonce moved."""
MAX_TRANSACTION_SIZE = 128 * 1024
"""Bytes of one encoded transaction (geth's limit), so a pool or block cannot be flooded."""

UINT64_LIMIT = 2**64
UINT256_LIMIT = 2**256


@dataclass(frozen=True)
class AccessListEntry:
    address: bytes
    storage_keys: tuple[bytes, ...]


@dataclass(frozen=True)
class Transaction:
    """A decoded, signature-checked transaction. Legacy transactions set both fee caps to gasPrice."""

    tx_type: int
    chain_id: int
    nonce: int
    max_priority_fee_per_gas: int
    max_fee_per_gas: int
    gas_limit: int
    to: bytes | None
    value: int
    data: bytes
    access_list: tuple[AccessListEntry, ...]
    y_parity: int
    r: int
    s: int
    sender: bytes
    hash: bytes
    raw: bytes

    @property
    def gas_price(self) -> int:
        return self.max_fee_per_gas

    def effective_gas_price(self, base_fee: int) -> int:
        """EIP-1559: base fee plus the tip, the tip capped so the total never exceeds max fee."""
        return base_fee + min(self.max_priority_fee_per_gas, self.max_fee_per_gas - base_fee)


def _uint(field: bytes, name: str, limit: int = UINT256_LIMIT) -> int:
    if not isinstance(field, bytes):
        raise MalformedTransaction(f"{name} must be a byte string, not a list")
    if field[:1] == b"\x00":
        raise MalformedTransaction(f"{name} has leading zero bytes (non-canonical integer)")
    value = int.from_bytes(field, "big")
    if value >= limit:
        raise MalformedTransaction(f"{name} exceeds {limit.bit_length() - 1} bits")
    return value


def _to(field: bytes) -> bytes | None:
    if not isinstance(field, bytes) or len(field) not in (0, 20):
        raise MalformedTransaction("to must be empty or a 20-byte address")
    return field or None


def _bytes(field, name: str) -> bytes:
    if not isinstance(field, bytes):
        raise MalformedTransaction(f"{name} must be a byte string, not a list")
    return field


def _access_list(field) -> tuple[AccessListEntry, ...]:
    if not isinstance(field, list):
        raise MalformedTransaction("accessList must be a list")
    entries = []
    for item in field:
        if not (isinstance(item, list) and len(item) == 2):
            raise MalformedTransaction("accessList entry must be [address, storageKeys]")
        address, keys = item
        if not isinstance(address, bytes) or len(address) != 20:
            raise MalformedTransaction("accessList address must be 20 bytes")
        if not isinstance(keys, list) or any(not isinstance(k, bytes) or len(k) != 32 for k in keys):
            raise MalformedTransaction("accessList storage keys must be 32 bytes each")
        entries.append(AccessListEntry(address, tuple(keys)))
    return tuple(entries)


MAX_RLP_DEPTH = 4
"""A transaction list holds at most the access list, whose entries hold a list of keys: four levels."""


def _rlp_list(payload: bytes, what: str, length: int) -> list:
    try:
        check_rlp_depth(payload, MAX_RLP_DEPTH)
        fields = rlp.decode(payload, strict=True)
    except (rlp.exceptions.DecodingError, RlpShapeError) as error:
        raise MalformedTransaction(f"{what} is not valid RLP ({error})") from None
    if not isinstance(fields, list) or len(fields) != length:
        raise MalformedTransaction(f"{what} must be an RLP list of {length} fields")
    return fields


def decode_transaction(raw: bytes) -> Transaction:
    """Decode raw EIP-2718 bytes and recover the sender, or raise InvalidTransaction with a reason."""
    if not isinstance(raw, (bytes, bytearray)) or len(raw) == 0:
        raise MalformedTransaction("empty transaction")
    raw = bytes(raw)
    if len(raw) > MAX_TRANSACTION_SIZE:
        raise OversizedTransaction(f"{len(raw)} bytes exceeds the limit of {MAX_TRANSACTION_SIZE}")
    first = raw[0]
    if first >= 0xC0:
        return _decode_legacy(raw)
    if first == ACCESS_LIST:
        fields = _rlp_list(raw[1:], "EIP-2930 transaction", 11)
        chain_id = _uint(fields[0], "chainId")
        nonce = _uint(fields[1], "nonce", UINT64_LIMIT)
        gas_price = _uint(fields[2], "gasPrice")
        tip = fee = gas_price
        gas, to, value, data, access_list = fields[3:8]
        body = fields[:8]
    elif first == DYNAMIC_FEE:
        fields = _rlp_list(raw[1:], "EIP-1559 transaction", 12)
        chain_id = _uint(fields[0], "chainId")
        nonce = _uint(fields[1], "nonce", UINT64_LIMIT)
        tip = _uint(fields[2], "maxPriorityFeePerGas")
        fee = _uint(fields[3], "maxFeePerGas")
        gas, to, value, data, access_list = fields[4:9]
        body = fields[:9]
    elif first == UNSIGNED:
        return _decode_unsigned_call(raw)
    else:
        raise UnsupportedTransactionType(f"transaction type {first:#04x} is not supported")
    y_parity = _uint(fields[-3], "yParity")
    if y_parity > 1:
        raise MalformedTransaction("yParity must be 0 or 1")
    r, s = _uint(fields[-2], "r"), _uint(fields[-1], "s")
    signing_hash = keccak256(bytes((first,)) + rlp_encode(body))
    return _finish(first, chain_id, nonce, tip, fee, gas, to, value, data, _access_list(access_list),
                   y_parity, r, s, signing_hash, raw)


def _decode_unsigned_call(raw: bytes) -> Transaction:
    """0x46 ‖ rlp([chainId, to, data]): `to` a module address, `data` a call it declares unsigned."""
    fields = _rlp_list(raw[1:], "unsigned transaction", 3)
    chain_id = _uint(fields[0], "chainId")
    to = _to(fields[1])
    if to is None:
        raise MalformedTransaction("an unsigned transaction must name the module it calls")
    data = _bytes(fields[2], "data")
    return Transaction(UNSIGNED, chain_id, 0, 0, 0, 0, to, 0, data, (), 0, 0, 0, NO_SENDER, keccak256(raw), raw)


def encode_unsigned_call(chain_id: int, to: bytes, data: bytes) -> bytes:
    """The raw bytes of an unsigned module call (nothing to sign: the call carries its own proof)."""
    return bytes((UNSIGNED,)) + rlp_encode([_encode_uint(chain_id), to, data])


def _decode_legacy(raw: bytes) -> Transaction:
    fields = _rlp_list(raw, "legacy transaction", 9)
    nonce = _uint(fields[0], "nonce", UINT64_LIMIT)
    gas_price = _uint(fields[1], "gasPrice")
    v = _uint(fields[6], "v")
    if v in (27, 28):
        raise MissingChainId("legacy transaction without EIP-155 chain id is not accepted (replay protection)")
    if v < 35:
        raise MalformedTransaction(f"invalid legacy v value {v}")
    chain_id, y_parity = (v - 35) // 2, (v - 35) % 2
    r, s = _uint(fields[7], "r"), _uint(fields[8], "s")
    signing_hash = keccak256(rlp_encode(fields[:6] + [_encode_uint(chain_id), b"", b""]))
    return _finish(LEGACY, chain_id, nonce, gas_price, gas_price, fields[2], fields[3], fields[4], fields[5], (),
                   y_parity, r, s, signing_hash, raw)


def _finish(tx_type, chain_id, nonce, tip, fee, gas, to, value, data, access_list, y_parity, r, s, signing_hash, raw):
    gas_limit = _uint(gas, "gas", UINT64_LIMIT)
    to = _to(to)
    value = _uint(value, "value")
    data = _bytes(data, "data")
    if tip > fee:
        raise TipAboveFeeCap(f"maxPriorityFeePerGas {tip} exceeds maxFeePerGas {fee}")
    sender = recover_address(signing_hash, y_parity, r, s)
    if sender is None:
        raise InvalidSignature("signature does not recover to a public key (or s is not low)")
    return Transaction(tx_type, chain_id, nonce, tip, fee, gas_limit, to, value, data, access_list,
                       y_parity, r, s, sender, keccak256(raw), raw)


def _encode_uint(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def encode_unsigned(tx_type: int, chain_id: int, nonce: int, gas_limit: int, to: bytes | None, value: int,
                    data: bytes = b"", max_fee_per_gas: int = 0, max_priority_fee_per_gas: int = 0,
                    access_list: tuple[AccessListEntry, ...] = ()) -> tuple[list, bytes]:
    """The signed-over fields and the hash a signer signs, for each transaction type."""
    u = _encode_uint
    access = [[entry.address, list(entry.storage_keys)] for entry in access_list]
    to_field = to or b""
    if tx_type == LEGACY:
        body = [u(nonce), u(max_fee_per_gas), u(gas_limit), to_field, u(value), data]
        return body, keccak256(rlp_encode(body + [u(chain_id), b"", b""]))
    if tx_type == ACCESS_LIST:
        body = [u(chain_id), u(nonce), u(max_fee_per_gas), u(gas_limit), to_field, u(value), data, access]
    elif tx_type == DYNAMIC_FEE:
        body = [u(chain_id), u(nonce), u(max_priority_fee_per_gas), u(max_fee_per_gas), u(gas_limit), to_field,
                u(value), data, access]
    else:
        raise ValueError(f"unknown transaction type {tx_type}")
    return body, keccak256(bytes((tx_type,)) + rlp_encode(body))


def sign_transaction(secret: bytes, tx_type: int = DYNAMIC_FEE, **fields) -> bytes:
    """Raw signed bytes, as a wallet would produce them (used by dev tooling, tests and benchmarks)."""
    body, signing_hash = encode_unsigned(tx_type, **fields)
    y_parity, r, s = sign_hash(secret, signing_hash)
    if tx_type == LEGACY:
        return rlp_encode(body + [_encode_uint(35 + 2 * fields["chain_id"] + y_parity), _encode_uint(r), _encode_uint(s)])
    return bytes((tx_type,)) + rlp_encode(body + [_encode_uint(y_parity), _encode_uint(r), _encode_uint(s)])
