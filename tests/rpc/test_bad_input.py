"""Bad input through the real RPC: each is refused with a JSON-RPC error naming the reason.

A refused transaction is never included (not now, not later), leaves its sender's nonce and
balance as they were, and the node keeps serving: at the end a good transfer still lands and
no block holds any of the hashes refused along the way.
"""

import json
import random
import time

import pytest
import requests
import rlp
from eth_account import Account
from eth_utils import keccak
from web3.exceptions import Web3RPCError

from rpc.dispatch import RpcLimits

from .devchain import BALANCES, CHAIN_ID, GWEI, dev_account, transaction_fields

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
TRANSACTION_REJECTED, INVALID_PARAMS = -32003, -32602
REFUSED: list[bytes] = []
"""Hashes of every refused (or replaced) transaction, checked against the whole chain at the end."""


def signed_raw(chain, account, tx_type: int = 2, **overrides) -> bytes:
    return bytes(Account.sign_transaction(transaction_fields(chain, account, tx_type, **overrides), account.key).raw_transaction)


def bump(fee: int) -> int:
    """The smallest fee a replacement may offer: 10% more, rounded up."""
    return (fee * 110 + 99) // 100


def resign_fields(raw: bytes, change) -> bytes:
    """Re-encode a typed transaction after `change(fields)` edits its RLP fields (signature untouched)."""
    items = rlp.decode(raw[1:])
    change(items)
    return raw[:1] + rlp.encode(items)


def account_view(chain, address: str | None) -> tuple:
    view = (chain.w3.eth.block_number, len(chain.w3.eth.get_block("latest")["transactions"]))
    if address is None:
        return view
    return view + (chain.w3.eth.get_transaction_count(address), chain.w3.eth.get_transaction_count(address, "pending"),
                   chain.w3.eth.get_balance(address))


def assert_refused(chain, raw: bytes, reason: str, sender: str | None = None) -> dict:
    """Send `raw`; it must be refused for `reason` and leave no trace."""
    before = account_view(chain, sender)
    response = chain.rpc("eth_sendRawTransaction", "0x" + raw.hex())
    assert "result" not in response, f"accepted, expected {reason}: {response}"
    error = response["error"]
    assert error["code"] == TRANSACTION_REJECTED, error
    assert error["message"].startswith(f"{reason}: ") and len(error["message"]) > len(reason) + 10, error
    assert error["data"] == {"reason": reason}
    tx_hash = "0x" + keccak(raw).hex()
    REFUSED.append(keccak(raw))
    assert chain.result("eth_getTransactionByHash", tx_hash) is None
    assert chain.result("eth_getTransactionReceipt", tx_hash) is None
    assert account_view(chain, sender) == before
    return error


def assert_invalid_params(chain, method: str, params, fragment: str) -> None:
    before = account_view(chain, None)
    response = chain.post({"jsonrpc": "2.0", "id": "p", "method": method, "params": params})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "p" and "result" not in body, body
    assert body["error"]["code"] == INVALID_PARAMS, body
    assert fragment in body["error"]["message"], body
    assert account_view(chain, None) == before


# --- bytes that are not a transaction -----------------------------------------------------

@pytest.mark.parametrize("raw", [
    bytes.fromhex("f8ff00"),
    bytes.fromhex("02f9ffff"),
    bytes.fromhex("02c3010203"),
    b"\x01" + rlp.encode([b"\x01"] * 3),
    rlp.encode([[b""]] * 9),
    rlp.encode([b"\x00\x01"] + [b""] * 8),
    b"\x02" + rlp.encode([b"\x7a\x69", b"", b"", b"", b"\x52\x08", b"\x11" * 19] + [b""] * 6),
], ids=["bad-rlp-length", "typed-bad-rlp", "typed-too-few-fields", "eip2930-too-few-fields", "legacy-lists-for-fields",
        "non-canonical-integer", "short-to-address"])
def test_malformed_rlp(chain, raw):
    assert_refused(chain, raw, "MalformedTransaction")


def nested_rlp_list(depth: int) -> bytes:
    """[[[…[]…]]] `depth` levels deep, built bytewise (rlp.encode itself recurses)."""
    encoded = b"\xc0"
    for _ in range(depth):
        length = len(encoded)
        if length < 56:
            encoded = bytes((0xC0 + length,)) + encoded
        else:
            size = length.to_bytes((length.bit_length() + 7) // 8, "big")
            encoded = bytes((0xF7 + len(size),)) + size + encoded
    return encoded


@pytest.mark.parametrize("depth", [200, 5_000])
def test_nested_rlp(chain, depth):
    """Deeper than Python's default recursion limit too: refused, never an internal error."""
    assert_refused(chain, nested_rlp_list(depth), "MalformedTransaction")
    assert_refused(chain, b"\x02" + nested_rlp_list(depth), "MalformedTransaction")


def refusal_seconds(chain, raw: bytes) -> float:
    started = time.monotonic()
    assert_refused(chain, raw, "MalformedTransaction")
    return time.monotonic() - started


def test_deeply_nested_rlp_is_refused_quickly(chain):
    """A transaction is a flat list (its access list nests four lists deep at most), so deeper nesting can be refused at once.

    Compared with refusing a flat payload of the same size, so a slow machine does not decide the outcome.
    """
    deep = b"\x02" + nested_rlp_list(37_000)
    assert len(deep) < 128 * 1024
    flat = b"\x02" + rlp.encode([b"\x01" * (len(deep) - 10)])
    baseline = refusal_seconds(chain, flat)
    assert refusal_seconds(chain, deep) < max(0.25, 5 * baseline)


def test_trailing_bytes_after_a_valid_transaction(chain):
    sender = dev_account(0)
    raw = signed_raw(chain, sender)
    assert_refused(chain, raw + b"\x00", "MalformedTransaction", sender.address)


@pytest.mark.parametrize("cut", [1, 10, 40])
def test_truncated_transaction(chain, cut):
    sender = dev_account(0)
    raw = signed_raw(chain, sender)
    assert_refused(chain, raw[:-cut], "MalformedTransaction", sender.address)


def test_type_byte_alone(chain):
    assert_refused(chain, b"\x02", "MalformedTransaction")


@pytest.mark.parametrize("seed", range(6))
def test_random_bytes(chain, seed):
    raw = random.Random(seed).randbytes(1 + seed * 37)
    reason = "MalformedTransaction" if raw[0] in (1, 2) or raw[0] >= 0xC0 else "UnsupportedTransactionType"
    assert_refused(chain, raw, reason)


@pytest.mark.parametrize("type_byte", [0x03, 0x04, 0x7E, 0x7F, 0x80, 0xBF])
def test_unsupported_transaction_type(chain, type_byte):
    raw = bytes((type_byte,)) + signed_raw(chain, dev_account(0))[1:]
    error = assert_refused(chain, raw, "UnsupportedTransactionType")
    assert hex(type_byte)[2:] in error["message"]


def test_empty_transaction(chain):
    error = assert_refused(chain, b"", "MalformedTransaction")
    assert "empty" in error["message"]


@pytest.mark.parametrize("param, fragment", [
    ("0xzz", "hex"), ("0x123", "hex"), ("f86b", "0x-prefixed"), ("0x 02", "hex"), (1234, "hex"),
    (["0x02"], "hex"), ({"raw": "0x02"}, "hex"),
], ids=["non-hex", "odd-length", "no-prefix", "space", "number", "array", "object"])
def test_raw_transaction_that_is_not_hex(chain, param, fragment):
    assert_invalid_params(chain, "eth_sendRawTransaction", [param], fragment)


def test_missing_raw_transaction(chain):
    assert_invalid_params(chain, "eth_sendRawTransaction", [], "missing parameter")
    assert_invalid_params(chain, "eth_sendRawTransaction", [None], "missing parameter")


# --- signatures ---------------------------------------------------------------------------

def test_high_s_signature(chain):
    """(r, n − s) with the other y is the same signer's signature; EIP-2 allows only the low-s one."""
    sender = dev_account(1)

    def flip(items):
        items[-3] = b"" if items[-3] == b"\x01" else b"\x01"
        high = SECP256K1_N - int.from_bytes(items[-1], "big")
        items[-1] = high.to_bytes(32, "big")

    assert_refused(chain, resign_fields(signed_raw(chain, sender), flip), "InvalidSignature", sender.address)


def test_high_s_legacy_signature(chain):
    sender = dev_account(1)
    items = rlp.decode(signed_raw(chain, sender, 0))
    v = int.from_bytes(items[6], "big")
    items[6] = (v + 1 if v % 2 == 1 else v - 1).to_bytes(2, "big")
    items[8] = (SECP256K1_N - int.from_bytes(items[8], "big")).to_bytes(32, "big")
    assert_refused(chain, rlp.encode(items), "InvalidSignature", sender.address)


@pytest.mark.parametrize("index, value", [(-2, b""), (-1, b""), (-2, SECP256K1_N.to_bytes(32, "big"))],
                         ids=["r-zero", "s-zero", "r-equals-n"])
def test_out_of_range_signature(chain, index, value):
    sender = dev_account(1)

    def zero(items):
        items[index] = value

    assert_refused(chain, resign_fields(signed_raw(chain, sender), zero), "InvalidSignature", sender.address)


def test_y_parity_out_of_range(chain):
    sender = dev_account(1)

    def bad_y(items):
        items[-3] = b"\x02"

    raw = resign_fields(signed_raw(chain, sender), bad_y)
    error = assert_refused(chain, raw, "MalformedTransaction", sender.address)
    assert "yParity" in error["message"]


def test_field_tampered_after_signing(chain):
    """Changing `value` after signing makes the signature recover some other, unfunded account."""
    sender = dev_account(1)
    raw = signed_raw(chain, sender, value=1)

    def bump_value(items):
        items[6] = (10**21).to_bytes(9, "big")

    tampered = resign_fields(raw, bump_value)
    impostor = Account.recover_transaction(tampered)
    assert impostor != sender.address
    assert_refused(chain, tampered, "InsufficientFunds", sender.address)
    assert chain.w3.eth.get_balance(impostor) == 0 and chain.w3.eth.get_transaction_count(impostor) == 0


# --- chain id -----------------------------------------------------------------------------

@pytest.mark.parametrize("tx_type, chain_id", [(0, 1), (0, 31338), (1, 1), (2, 1), (2, 0)],
                         ids=["legacy-mainnet", "legacy-31338", "eip2930-mainnet", "eip1559-mainnet", "eip1559-zero"])
def test_wrong_chain_id(chain, tx_type, chain_id):
    sender = dev_account(2)
    error = assert_refused(chain, signed_raw(chain, sender, tx_type, chainId=chain_id), "WrongChainId", sender.address)
    assert str(CHAIN_ID) in error["message"] and str(chain_id) in error["message"]


def test_legacy_without_chain_id(chain):
    sender = dev_account(2)
    tx = transaction_fields(chain, sender, 0)
    del tx["chainId"]
    signed = Account.sign_transaction(tx, sender.key)
    assert signed.v in (27, 28)
    assert_refused(chain, bytes(signed.raw_transaction), "MissingChainId", sender.address)


# --- nonces -------------------------------------------------------------------------------

def test_nonce_too_low_and_resubmission(chain):
    sender = dev_account(3)
    tx = transaction_fields(chain, sender)
    good = Account.sign_transaction(tx, sender.key)
    chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(good.raw_transaction), timeout=10,
                                              poll_latency=0.02)
    reused = signed_raw(chain, sender, nonce=tx["nonce"], value=2)
    error = assert_refused(chain, reused, "NonceTooLow", sender.address)
    assert f"account nonce is {tx['nonce'] + 1}" in error["message"]
    before = account_view(chain, sender.address)
    response = chain.rpc("eth_sendRawTransaction", good.raw_transaction.to_0x_hex())
    assert response["error"]["code"] == TRANSACTION_REJECTED
    assert response["error"]["data"] == {"reason": "AlreadyKnown"}
    assert account_view(chain, sender.address) == before
    assert chain.w3.eth.get_transaction(good.hash)["blockNumber"] is not None


def test_nonce_too_far_ahead(chain):
    sender, gap = dev_account(4), 1024
    nonce = chain.w3.eth.get_transaction_count(sender.address)
    error = assert_refused(chain, signed_raw(chain, sender, nonce=nonce + gap), "NonceTooHigh", sender.address)
    assert str(gap) in error["message"]
    assert_refused(chain, signed_raw(chain, sender, nonce=2**64 - 1), "NonceTooHigh", sender.address)
    assert_refused(chain, signed_raw(chain, sender, nonce=2**64), "MalformedTransaction", sender.address)
    held = Account.sign_transaction(transaction_fields(chain, sender, nonce=nonce + gap - 1), sender.key)
    assert chain.w3.eth.send_raw_transaction(held.raw_transaction) == held.hash
    assert chain.w3.eth.get_transaction(held.hash)["blockNumber"] is None
    assert chain.w3.eth.get_transaction_count(sender.address, "pending") == nonce


# --- fees and value -----------------------------------------------------------------------

def test_unfunded_sender(chain):
    stranger = Account.create()
    for tx_type in (0, 1, 2):
        raw = bytes(Account.sign_transaction(transaction_fields(chain, stranger, tx_type), stranger.key).raw_transaction)
        error = assert_refused(chain, raw, "InsufficientFunds", stranger.address)
        assert "balance 0" in error["message"]


def test_value_above_balance(chain):
    sender = dev_account(5)
    balance = chain.w3.eth.get_balance(sender.address)
    assert_refused(chain, signed_raw(chain, sender, value=balance + 1), "InsufficientFunds", sender.address)
    assert_refused(chain, signed_raw(chain, sender, value=balance), "InsufficientFunds", sender.address)
    assert_refused(chain, signed_raw(chain, sender, value=2**256 - 1), "InsufficientFunds", sender.address)


def test_gas_times_max_fee_above_balance(chain):
    """Ethereum's rule: gas limit × max fee + value must be affordable up front, not only what is used."""
    sender = dev_account(5)
    balance = chain.w3.eth.get_balance(sender.address)
    max_fee = balance // 21_000 + 1
    assert_refused(chain, signed_raw(chain, sender, value=0, maxFeePerGas=max_fee), "InsufficientFunds",
                   sender.address)
    assert_refused(chain, signed_raw(chain, sender, value=0, maxFeePerGas=2**256 - 1, maxPriorityFeePerGas=0),
                   "InsufficientFunds", sender.address)


def test_max_fee_below_base_fee(chain):
    sender = dev_account(5)
    base = chain.w3.eth.gas_price - chain.w3.eth.max_priority_fee
    error = assert_refused(chain, signed_raw(chain, sender, maxFeePerGas=base - 1, maxPriorityFeePerGas=0),
                           "FeeCapTooLow", sender.address)
    assert str(base) in error["message"]
    assert_refused(chain, signed_raw(chain, sender, 0, gasPrice=base - 1), "FeeCapTooLow", sender.address)
    assert_refused(chain, signed_raw(chain, sender, 1, gasPrice=0), "FeeCapTooLow", sender.address)


def test_tip_above_max_fee(chain):
    sender = dev_account(5)
    price = chain.w3.eth.gas_price
    assert_refused(chain, signed_raw(chain, sender, maxFeePerGas=price, maxPriorityFeePerGas=price + 1),
                   "TipAboveFeeCap", sender.address)


# --- size and gas -------------------------------------------------------------------------

def test_oversized_transaction(chain):
    sender = dev_account(6)
    raw = signed_raw(chain, sender, to=BALANCES, data=b"\x01" * (128 * 1024), gas=25_000_000)
    assert len(raw) > 128 * 1024
    error = assert_refused(chain, raw, "OversizedTransaction", sender.address)
    assert str(128 * 1024) in error["message"]


def test_gas_limit_above_block_gas_limit(chain):
    sender = dev_account(6)
    limit = chain.w3.eth.get_block("latest")["gasLimit"]
    error = assert_refused(chain, signed_raw(chain, sender, gas=limit + 1), "GasLimitExceeded", sender.address)
    assert str(limit) in error["message"]


@pytest.mark.parametrize("data, gas", [(b"", 20_999), (b"", 0), (b"\x01", 21_000), (b"\x00" * 10, 21_039)],
                         ids=["plain", "zero", "one-calldata-byte", "zero-bytes"])
def test_gas_below_intrinsic(chain, data, gas):
    sender = dev_account(6)
    assert_refused(chain, signed_raw(chain, sender, data=data, gas=gas), "IntrinsicGasTooLow", sender.address)


@pytest.mark.parametrize("tx_type", [0, 1, 2])
def test_contract_creation(chain, tx_type):
    sender = dev_account(6)
    tx = transaction_fields(chain, sender, tx_type, data=bytes.fromhex("6080604052"), gas=100_000)
    del tx["to"]
    raw = bytes(Account.sign_transaction(tx, sender.key).raw_transaction)
    error = assert_refused(chain, raw, "ContractCreationNotSupported", sender.address)
    assert "EVM" in error["message"]


def test_contract_creation_in_eth_call_and_estimate(chain):
    for method in ("eth_call", "eth_estimateGas"):
        response = chain.rpc(method, {"from": dev_account(6).address, "data": "0x6080604052"})
        assert response["error"]["code"] == TRANSACTION_REJECTED
        assert response["error"]["message"].startswith("ContractCreationNotSupported")


# --- the pool: replacement and duplicates -------------------------------------------------

def test_replacement_needs_a_fee_bump_and_duplicates_are_known(chain):
    sender = dev_account(7)
    nonce = chain.w3.eth.get_transaction_count(sender.address)
    price = chain.w3.eth.gas_price
    queued = Account.sign_transaction(transaction_fields(chain, sender, nonce=nonce + 1, maxFeePerGas=2 * price,
                                             maxPriorityFeePerGas=GWEI), sender.key)
    assert chain.w3.eth.send_raw_transaction(queued.raw_transaction) == queued.hash

    before = account_view(chain, sender.address)
    error = chain.rpc("eth_sendRawTransaction", queued.raw_transaction.to_0x_hex())["error"]
    assert error["code"] == TRANSACTION_REJECTED and error["data"] == {"reason": "AlreadyKnown"}
    assert error["message"].startswith("AlreadyKnown: ") and "pool" in error["message"]
    assert account_view(chain, sender.address) == before
    same_fee = signed_raw(chain, sender, nonce=nonce + 1, value=2, maxFeePerGas=2 * price, maxPriorityFeePerGas=GWEI)
    error = assert_refused(chain, same_fee, "ReplacementUnderpriced", sender.address)
    assert "10%" in error["message"]
    tip_only = signed_raw(chain, sender, nonce=nonce + 1, value=3, maxFeePerGas=2 * price,
                          maxPriorityFeePerGas=2 * GWEI)
    assert_refused(chain, tip_only, "ReplacementUnderpriced", sender.address)
    almost = signed_raw(chain, sender, nonce=nonce + 1, value=4, maxFeePerGas=bump(2 * price) - 1,
                        maxPriorityFeePerGas=bump(GWEI) - 1)
    assert_refused(chain, almost, "ReplacementUnderpriced", sender.address)
    assert chain.w3.eth.get_transaction(queued.hash)["value"] == 1

    bumped = Account.sign_transaction(transaction_fields(chain, sender, nonce=nonce + 1, value=5, maxFeePerGas=bump(2 * price),
                                             maxPriorityFeePerGas=bump(GWEI)), sender.key)
    assert chain.w3.eth.send_raw_transaction(bumped.raw_transaction) == bumped.hash
    assert chain.result("eth_getTransactionByHash", queued.hash.to_0x_hex()) is None
    REFUSED.append(bytes(queued.hash))

    first = Account.sign_transaction(transaction_fields(chain, sender, nonce=nonce), sender.key)
    chain.w3.eth.send_raw_transaction(first.raw_transaction)
    receipt = chain.w3.eth.wait_for_transaction_receipt(bumped.hash, timeout=10, poll_latency=0.02)
    assert receipt["status"] == 1
    assert chain.w3.eth.get_transaction(bumped.hash)["value"] == 5
    assert chain.w3.eth.get_transaction_count(sender.address) == nonce + 2


def test_web3_surfaces_the_reason(chain):
    """What a script sees: web3.py raises with the node's message and reason."""
    stranger = Account.create()
    raw = Account.sign_transaction(transaction_fields(chain, stranger), stranger.key).raw_transaction
    with pytest.raises(Web3RPCError) as raised:
        chain.w3.eth.send_raw_transaction(raw)
    assert "InsufficientFunds" in str(raised.value)
    assert raised.value.rpc_response["error"]["code"] == TRANSACTION_REJECTED
    REFUSED.append(keccak(bytes(raw)))


# --- JSON-RPC framing ---------------------------------------------------------------------

@pytest.mark.parametrize("body", ['{"jsonrpc": "2.0", "id": 1, "method": ', "{'single': 'quotes'}", "",
                                  b"\xff\xfe\x00", "[1, 2", "NaNx"],
                         ids=["truncated", "python-dict", "empty-body", "not-utf8", "open-array", "garbage"])
def test_invalid_json(chain, body):
    response = chain.post(body)
    assert response.status_code == 200
    error = response.json()
    assert error["id"] is None and error["error"]["code"] == -32700
    assert "parse error" in error["error"]["message"]


@pytest.mark.parametrize("body", [42, '"eth_chainId"', None, True, {"id": 1, "method": "eth_chainId"},
                                  {"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"},
                                  {"jsonrpc": "2.0", "id": 1, "method": 5},
                                  {"jsonrpc": "2.0", "id": [1], "method": "eth_chainId"},
                                  {"jsonrpc": "2.0", "id": True, "method": "eth_chainId"}],
                         ids=["number", "string", "null", "bool", "no-version", "version-1", "method-not-string",
                              "array-id", "bool-id"])
def test_not_a_request_object(chain, body):
    response = chain.post(body)
    assert response.status_code == 200
    error = response.json()
    assert error["error"]["code"] == -32600, error
    assert error["id"] in (None, 1)


def test_batch_of_non_objects(chain):
    answers = chain.post([1, "x", {"jsonrpc": "2.0", "id": 3, "method": "eth_chainId"}]).json()
    assert [a.get("error", {}).get("code") for a in answers] == [-32600, -32600, None]
    assert answers[2] == {"jsonrpc": "2.0", "id": 3, "result": hex(CHAIN_ID)}


def test_unknown_method(chain):
    for method in ("eth_doesNotExist", "debug_traceTransaction", "", "ETH_CHAINID"):
        body = chain.post({"jsonrpc": "2.0", "id": 11, "method": method, "params": []}).json()
        assert body["id"] == 11 and body["error"]["code"] == -32601
        assert repr(method) in body["error"]["message"] or f" {method} " in body["error"]["message"]


ADDRESS = dev_account(0).address


@pytest.mark.parametrize("method, params, fragment", [
    ("eth_getBalance", [123], "0x-prefixed"),
    ("eth_getBalance", [ADDRESS[:-2]], "20 bytes"),
    ("eth_getBalance", [ADDRESS + "00"], "20 bytes"),
    ("eth_getBalance", [ADDRESS, "0x01"], "leading zeros"),
    ("eth_getBalance", [ADDRESS, "latestt"], "block"),
    ("eth_getBalance", [ADDRESS, "0x"], "block number"),
    ("eth_getBalance", [ADDRESS, 1], "block"),
    ("eth_getBalance", [ADDRESS, "latest", "extra"], "at most 2"),
    ("eth_getBalance", [], "missing parameter"),
    ("eth_getBalance", "0xabc", "array"),
    ("eth_getBalance", {"who": ADDRESS}, "unknown parameters"),
    ("eth_getBlockByNumber", ["0x01", False], "leading zeros"),
    ("eth_getBlockByNumber", ["0x" + "f" * 65, False], "256 bits"),
    ("eth_getBlockByNumber", ["0x0", "true"], "boolean"),
    ("eth_getBlockByNumber", [{"number": "0x0"}, False], "blockNumber or blockHash"),
    ("eth_getBlockByHash", ["0x1234", False], "32 bytes"),
    ("eth_getTransactionByHash", ["0x" + "00" * 31], "32 bytes"),
    ("eth_getTransactionReceipt", [None], "missing parameter"),
    ("eth_call", ["not an object"], "JSON object"),
    ("eth_call", [{"to": BALANCES, "data": "0x1"}], "hex"),
    ("eth_call", [{"to": BALANCES, "value": "0x00"}], "leading zeros"),
    ("eth_call", [{"to": BALANCES, "bogus": 1}], "unknown call object fields"),
    ("eth_call", [{"to": BALANCES, "data": "0x01", "input": "0x02"}], "differ"),
    ("eth_estimateGas", [{"to": "0x1234"}], "20 bytes"),
    ("eth_call", [{"to": BALANCES, "gasPrice": "cheap"}], "gasPrice"),
    ("eth_call", [{"to": BALANCES, "maxFeePerGas": 1}], "maxFeePerGas"),
    ("eth_estimateGas", [{"to": BALANCES, "accessList": {"address": BALANCES}}], "accessList"),
    ("eth_estimateGas", [{"to": BALANCES, "accessList": [{"address": BALANCES}]}], "accessList"),
    ("eth_estimateGas", [{"to": BALANCES, "accessList": [{"address": BALANCES, "storageKeys": ["0x01"]}]}],
     "32 bytes"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 30 and not v.startswith("0x") else None)
def test_bad_params(chain, method, params, fragment):
    assert_invalid_params(chain, method, params, fragment)


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000,
                                  '{"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": ' + "[" * 50_000
                                  + "]" * 50_000 + "}",
                                  '{"a":' * 20_000 + "1" + "}" * 20_000],
                         ids=["arrays", "inside-params", "objects"])
def test_deeply_nested_json(chain, body):
    """A dependency raises Python's recursion limit to 100,000; this once crashed the node (SIGSEGV)."""
    response = chain.post(body)
    assert response.status_code == 200
    error = response.json()
    assert error["error"]["code"] == -32700 and "nested too deeply" in error["error"]["message"]
    assert chain.process.poll() is None
    assert chain.result("eth_chainId") == hex(CHAIN_ID)


def test_empty_batch(chain):
    body = chain.post("[]").json()
    assert body["id"] is None and body["error"]["code"] == -32600 and "empty batch" in body["error"]["message"]


def test_batch_over_the_limit(chain):
    limit = RpcLimits().max_batch_length
    call = {"jsonrpc": "2.0", "method": "eth_chainId"}
    at_limit = chain.post([dict(call, id=i) for i in range(limit)]).json()
    assert sorted(a["id"] for a in at_limit) == list(range(limit))
    stranger = Account.create()
    raw = Account.sign_transaction(transaction_fields(chain, stranger), stranger.key).raw_transaction.to_0x_hex()
    send = {"jsonrpc": "2.0", "id": "tx", "method": "eth_sendRawTransaction", "params": [raw]}
    over = [dict(call, id=i) for i in range(limit)] + [send]
    body = chain.post(over).json()
    assert isinstance(body, dict) and body["error"]["code"] == -32005
    assert str(limit) in body["error"]["message"]


def test_request_over_the_size_limit(chain):
    limit = RpcLimits().max_request_bytes
    padding = "0x" + "00" * ((limit - 100) // 2 + 100)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [padding]})
    assert len(body) > limit
    response = chain.post(body)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == -32005 and str(limit) in error["message"]


def test_chunked_request_over_the_size_limit(chain):
    """Without Content-Length the limit is enforced while reading."""
    limit = RpcLimits().max_request_bytes

    def chunks():
        yield b'{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": ["'
        for _ in range(limit // 65536 + 2):
            yield b"a" * 65536
        yield b'"]}'

    response = requests.post(chain.url, data=chunks(), headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == -32005


def test_other_http_methods_are_refused_and_get_is_the_explorer(chain):
    for method in ("PUT", "DELETE", "PATCH"):
        response = requests.request(method, chain.url, timeout=10)
        assert response.status_code == 405
        assert response.json()["error"]["code"] == -32600
    page = requests.get(chain.url, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")


# --- and the node is fine -----------------------------------------------------------------

def check_node_serves_and_refused_never_included(chain) -> None:
    assert chain.process.poll() is None
    sender, recipient = dev_account(8), Account.create().address
    head = chain.w3.eth.block_number
    signed = Account.sign_transaction(transaction_fields(chain, sender, to=recipient, value=10**18), sender.key)
    receipt = chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(signed.raw_transaction),
                                                        timeout=10, poll_latency=0.02)
    assert receipt["status"] == 1 and receipt["blockNumber"] == head + 1
    assert chain.w3.eth.get_balance(recipient) == 10**18
    assert chain.w3.eth.block_number == head + 1
    included = set()
    for number in range(chain.w3.eth.block_number + 1):
        included.update(bytes(h) for h in chain.w3.eth.get_block(number)["transactions"])
    assert not included & set(REFUSED)


@pytest.fixture(scope="module", autouse=True)
def node_serves_after_the_module(chain):
    """Checked again at module teardown, so it holds however pytest-xdist spreads the tests."""
    yield
    check_node_serves_and_refused_never_included(chain)


def test_node_still_serves_and_nothing_refused_was_included(chain):
    check_node_serves_and_refused_never_included(chain)
