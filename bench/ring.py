"""Verifying a linkable ring signature over a ring of 64 on one core (spec/ring_signatures.md), beside 64
ECDSA public-key recoveries through the same library (libsecp256k1 via coincurve) in the same run: the
floor a chain pays per signed transaction, and roughly the work of one ring member's check.

    python -m bench.ring [--members 64] [--repeats 50]
"""

import argparse
import os

from .measure import median_seconds


def measure(members: int = 64, repeats: int = 50) -> dict:
    from runtime.crypto import keccak256, recover_public_key
    from runtime.crypto.points import N, multiply_generator
    from runtime.crypto.ring import sign, verify

    secrets = [int.from_bytes(keccak256(f"bench ring {i}".encode()), "big") % (N - 1) + 1 for i in range(members)]
    ring = [multiply_generator(s).format(compressed=True) for s in secrets]
    tag, message = b"arena" + (1).to_bytes(8, "big"), b"bench submission"
    image, signature = sign(secrets[members // 2], ring, tag, message,
                            lambda: int.from_bytes(os.urandom(32), "big") % (N - 1) + 1)
    assert verify(ring, tag, message, image, signature)

    from coincurve import PrivateKey
    key = PrivateKey(secrets[0].to_bytes(32, "big"))
    digest = keccak256(b"bench")
    recoverable = key.sign_recoverable(digest, hasher=None)
    r, s, v = int.from_bytes(recoverable[:32], "big"), int.from_bytes(recoverable[32:64], "big"), recoverable[64]

    return {"members": members,
            "ring_verify_s": median_seconds(lambda: verify(ring, tag, message, image, signature), repeats),
            "recoveries_s": median_seconds(lambda: [recover_public_key(digest, v, r, s) for _ in range(members)],
                                           repeats)}


def report(members: int = 64, repeats: int = 50) -> None:
    from .measure import in_child, row

    print(f"verifying a ring signature over {members} members on one core ...", flush=True)
    result = in_child(measure, members, repeats)
    print(row(f"ring signature verify, {members} members (ms)", result["ring_verify_s"] * 1e3,
              result["recoveries_s"] * 1e3, "ms", f"{members} ECDSA recoveries"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ring", description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    report(args.members, args.repeats)


if __name__ == "__main__":
    main()
