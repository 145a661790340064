"""An independent reference for spec/ring_signatures.md: secp256k1 in affine coordinates with Python
integers (no libsecp256k1), used to check runtime/crypto/ring.py and its vectors. Slow; tests only."""

import sha3

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def keccak(data: bytes) -> bytes:
    return sha3.keccak_256(data).digest()


def add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        slope = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        slope = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (slope * slope - a[0] - b[0]) % P
    return x, (slope * (a[0] - x) - a[1]) % P


def multiply(point, scalar: int):
    result, scalar = None, scalar % N
    while scalar:
        if scalar & 1:
            result = add(result, point)
        point = add(point, point)
        scalar >>= 1
    return result


def decompress(data: bytes):
    if len(data) != 33 or data[0] not in (2, 3):
        return None
    x = int.from_bytes(data[1:], "big")
    if x >= P:
        return None
    y = pow((x ** 3 + 7) % P, (P + 1) // 4, P)
    if y * y % P != (x ** 3 + 7) % P:
        return None
    return (x, y if y % 2 == data[0] % 2 else P - y)


def compress(point) -> bytes:
    return bytes((2 + point[1] % 2,)) + point[0].to_bytes(32, "big")


def hash_to_point(tag: bytes):
    for counter in range(256):
        point = decompress(b"\x02" + keccak(b"flockchain/ring/hp" + tag + bytes((counter,))))
        if point is not None:
            return point
    raise ValueError("no point")


def key_image(secret: int, tag: bytes) -> bytes:
    return compress(multiply(hash_to_point(tag), secret))


def verify(ring: list[bytes], tag: bytes, message: bytes, image: bytes, signature: bytes) -> bool:
    points = [decompress(p) for p in ring]
    image_point = decompress(image)
    if None in points or image_point is None or len(set(ring)) != len(ring) or len(signature) != 32 * (len(ring) + 1):
        return False
    scalars = [int.from_bytes(signature[i:i + 32], "big") for i in range(0, len(signature), 32)]
    if not all(0 < s < N for s in scalars):
        return False
    base = hash_to_point(tag)
    prefix = b"flockchain/ring/c" + keccak(b"".join(ring)) + compress(base) + image + keccak(message)
    c = scalars[0]
    for member, r in zip(points, scalars[1:]):
        left = add(multiply(G, r), multiply(member, c))
        right = add(multiply(base, r), multiply(image_point, c))
        if left is None or right is None:
            return False
        c = int.from_bytes(keccak(prefix + compress(left) + compress(right)), "big") % N
    return c == scalars[0]


def verify_image(public: bytes, tag: bytes, image: bytes, message: bytes, proof: bytes) -> bool:
    point, image_point = decompress(public), decompress(image)
    if point is None or image_point is None or len(proof) != 64:
        return False
    c, s = int.from_bytes(proof[:32], "big"), int.from_bytes(proof[32:], "big")
    if not (0 < c < N and 0 < s < N):
        return False
    base = hash_to_point(tag)
    a = add(multiply(G, s), multiply(point, c))
    b = add(multiply(base, s), multiply(image_point, c))
    if a is None or b is None:
        return False
    data = b"flockchain/ring/dleq" + public + compress(base) + image + keccak(message) + compress(a) + compress(b)
    return c == int.from_bytes(keccak(data), "big") % N
