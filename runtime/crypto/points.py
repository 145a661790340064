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


def combine_generator(a: int, point: PublicKey, c: int) -> PublicKey | None:
    """a·G + c·P for public scalars (verification): the readable rule is `add(multiply_generator(a),
    multiply(point, c))`; this is its fast path, tested to agree. libsecp256k1's public-key recovery computes
    Q = r⁻¹·(s·R − z·G) in one variable-time double multiplication; with R = P, r = x(P) mod n, s = r·c and
    z = −r·a it is exactly a·G + c·P. Where that does not apply (a or c zero, x(P) ≥ n, a zero r) the rule runs."""
    a, c = a % N, c % N
    encoded = point.format(compressed=True)
    r = int.from_bytes(encoded[1:], "big")
    if a == 0 or c == 0 or not 0 < r < N:
        return add(multiply_generator(a), multiply(point, c))
    s = r * c % N
    z = -r * a % N
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((encoded[0] - 2,))
    try:
        return PublicKey.from_signature_and_message(signature, z.to_bytes(32, "big"), hasher=None)
    except ValueError:  # the sum is the point at infinity
        return None
