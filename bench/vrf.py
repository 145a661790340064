"""ECVRF prove and verify per second on one core, beside coincurve's ECDSA sign and recover
(the same library's primitives, measured in the same run)."""

import time

from coincurve import PrivateKey, PublicKey

from runtime.crypto import ecvrf


def per_second(operation, count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        operation(i)
    return count / (time.perf_counter() - started)


def measure(count: int = 3_000) -> dict:
    secret = bytes(range(1, 33))
    public = PrivateKey(secret).public_key.format(compressed=True)
    key = PrivateKey(secret)
    messages = [i.to_bytes(32, "big") for i in range(count)]
    proofs = [ecvrf.prove(secret, m) for m in messages]
    signatures = [key.sign_recoverable(m, hasher=None) for m in messages]
    return {
        "prove": per_second(lambda i: ecvrf.prove(secret, messages[i]), count),
        "verify": per_second(lambda i: ecvrf.verify(public, proofs[i], messages[i]), count),
        "sign": per_second(lambda i: key.sign_recoverable(messages[i], hasher=None), count),
        "recover": per_second(lambda i: PublicKey.from_signature_and_message(signatures[i], messages[i], hasher=None),
                              count),
    }
