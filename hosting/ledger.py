"""What a host has been promised: the newest voucher of each user and the newest free-tier receipt of each
user in each epoch, kept in an append-only file that is written before an answer leaves.

A record is one JSON line written with one `os.write` on a file opened for appending: the kernel has it
when the call returns, so a host killed at any instant (kill -9 included) loses no voucher it answered
for; with `durable`, each record is also fsync'ed (power loss). A torn last line (a write cut by a
crash before the answer left) is skipped on load, and loading rewrites the file with only what is kept:
each user's newest voucher and the receipts of the two newest epochs (the chain settles no older ones).
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SignedVoucher:
    requests: int
    amount: int
    expiry: int
    inputs: bytes
    """The hash of the request's inputs the voucher signed for (hosting/inputs.py)."""
    signature: bytes


@dataclass(frozen=True)
class SignedReceipt:
    requests: int
    inputs: bytes
    signature: bytes


class Ledger:
    def __init__(self, path: Path, durable: bool = False):
        self.path = path
        self.durable = durable
        self.vouchers: dict[bytes, SignedVoucher] = {}
        self.receipts: dict[tuple[int, bytes], SignedReceipt] = {}
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            self._load()
            self._compact()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def _load(self) -> None:
        for line in self.path.read_bytes().splitlines():
            try:
                record = json.loads(line)
                user, signature = bytes.fromhex(record["user"]), bytes.fromhex(record["signature"])
                inputs = bytes.fromhex(record["inputs"])
                if record["kind"] == "voucher":
                    self._keep_voucher(user, SignedVoucher(record["requests"], int(record["amount"]), record["expiry"],
                                                           inputs, signature))
                else:
                    self._keep_receipt(record["epoch"], user, SignedReceipt(record["requests"], inputs, signature))
            except (ValueError, KeyError, TypeError):
                continue

    def _compact(self) -> None:
        newest = max((epoch for epoch, _ in self.receipts), default=0)
        self.receipts = {key: receipt for key, receipt in self.receipts.items() if key[0] >= newest - 1}
        records = [voucher_record(user, v) for user, v in self.vouchers.items()]
        records += [receipt_record(epoch, user, r) for (epoch, user), r in self.receipts.items()]
        temporary = self.path.with_suffix(".compacting")
        with open(temporary, "wb") as file:
            file.write(b"".join(encode(record) for record in records))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)

    def _keep_voucher(self, user: bytes, voucher: SignedVoucher) -> None:
        held = self.vouchers.get(user)
        if held is None or voucher.amount > held.amount:
            self.vouchers[user] = voucher

    def _keep_receipt(self, epoch: int, user: bytes, receipt: SignedReceipt) -> None:
        held = self.receipts.get((epoch, user))
        if held is None or receipt.requests > held.requests:
            self.receipts[(epoch, user)] = receipt

    def _append(self, record: dict) -> None:
        os.write(self._fd, encode(record))
        if self.durable:
            os.fsync(self._fd)

    def record_voucher(self, user: bytes, voucher: SignedVoucher) -> None:
        self._append(voucher_record(user, voucher))
        self._keep_voucher(user, voucher)

    def record_receipt(self, epoch: int, user: bytes, receipt: SignedReceipt) -> None:
        self._append(receipt_record(epoch, user, receipt))
        self._keep_receipt(epoch, user, receipt)

    def forget_before(self, epoch: int) -> None:
        """Drop the receipts of epochs before `epoch` from memory (the chain no longer settles them)."""
        self.receipts = {key: receipt for key, receipt in self.receipts.items() if key[0] >= epoch}

    def free_used(self, epoch: int, user: bytes) -> int:
        held = self.receipts.get((epoch, user))
        return 0 if held is None else held.requests

    def close(self) -> None:
        os.close(self._fd)


def encode(record: dict) -> bytes:
    return (json.dumps(record, separators=(",", ":")) + "\n").encode()


def voucher_record(user: bytes, voucher: SignedVoucher) -> dict:
    return {"kind": "voucher", "user": user.hex(), "requests": voucher.requests, "amount": str(voucher.amount),
            "expiry": voucher.expiry, "inputs": voucher.inputs.hex(), "signature": voucher.signature.hex()}


def receipt_record(epoch: int, user: bytes, receipt: SignedReceipt) -> dict:
    return {"kind": "free", "user": user.hex(), "epoch": epoch, "requests": receipt.requests,
            "inputs": receipt.inputs.hex(), "signature": receipt.signature.hex()}
