"""secp256k1 points for the consensus primitives (ecvrf.py, ring.py), all through libsecp256k1 (coincurve).

coincurve has no point at infinity, so None stands for it here. Parsing checks the curve equation and
x, y < p; `multiply` is libsecp256k1's constant-time ecmult_const, `multiply_generator` its ecmult_gen,
`add` its point addition. Only scalars mod n are handled in Python."""

from coincurve import PublicKey

from runtime.crypto import SECP256K1_N

N = SECP256K1_N


def parse_point(data: bytes) -> PublicKey | None:
    """SEC1 string_to_point: 33-byte compressed (02/03) or 65-byte uncompressed (04).

    libsecp256k1 also accepts 65-byte "hybrid" keys (06/07); they are not a canonical
    encoding here and are refused, as is every other length (infinity included).
    """
    if not isinstance(data, bytes) or not ((len(data) == 33 and data[0] in (2, 3)) or
                                           (len(data) == 65 and data[0] == 4)):
        return None
    try:
        return PublicKey(data)
    except ValueError:
        return None


def multiply(point: PublicKey | None, scalar: int) -> PublicKey | None:
    """scalar · point."""
    scalar %= N
    if point is None or scalar == 0:
        return None
    return point.multiply(scalar.to_bytes(32, "big"))


def multiply_generator(scalar: int) -> PublicKey | None:
    """scalar · G."""
    scalar %= N
    return PublicKey.from_valid_secret(scalar.to_bytes(32, "big")) if scalar else None


def add(a: PublicKey | None, b: PublicKey | None) -> PublicKey | None:
    if a is None:
        return b
    if b is None:
        return a
    try:
        return PublicKey.combine_keys([a, b])
    except ValueError:  # a = −b: the sum is the point at infinity
        return None
