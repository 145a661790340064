"""What the marketplace module, its hosts and its clients must agree on byte for byte: the EIP-712
messages a user signs — a `Voucher` that pays a host, a `FreeRequests` receipt that counts free-tier
use — and the free-tier curve (spec/modules/marketplace.md).

Both messages are cumulative: a voucher names everything the user owes the host on one channel so
far, a receipt everything used this epoch, so the newest one replaces every earlier one and a host
keeps only the highest. A user signs one per request; a host redeems or settles one per user when
it likes.
"""

from dataclasses import dataclass
from functools import cache

from runtime.abi import abi_encode
from runtime.crypto import SECP256K1_HALF_N, keccak256, recover_address, sign_hash
from runtime.module import module_address

ADDRESS = module_address(14)
"""The marketplace module's address: the EIP-712 `verifyingContract`."""
UNIT = 10**18
SERVE_LATEST = 0
"""A host's version 0: it serves whatever version is newest."""
UNVERIFIED, ALLIANCE, ARENA = range(3)
PROVENANCE_NAMES = ("unverified", "alliance", "arena")

DOMAIN_TYPEHASH = keccak256(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
DOMAIN_NAME, DOMAIN_VERSION = "flockchain Marketplace", "1"
VOUCHER_TYPE = ("Voucher(address user,address host,uint64 model,uint64 requests,uint256 amount,uint64 expiry,"
                "bytes32 inputs)")
FREE_REQUESTS_TYPE = "FreeRequests(address user,address host,uint64 model,uint64 epoch,uint64 requests,bytes32 inputs)"
VOUCHER_TYPEHASH = keccak256(VOUCHER_TYPE.encode())
FREE_REQUESTS_TYPEHASH = keccak256(FREE_REQUESTS_TYPE.encode())


@cache
def compute_domain_separator(chain_id: int) -> bytes:
    """Cached: a host computes it for every request, and it depends on the chain id alone."""
    return keccak256(abi_encode(["bytes32", "bytes32", "bytes32", "uint256", "address"],
                                [DOMAIN_TYPEHASH, keccak256(DOMAIN_NAME.encode()), keccak256(DOMAIN_VERSION.encode()),
                                 chain_id, ADDRESS]))


@dataclass(frozen=True)
class Voucher:
    """`user` owes `host`, on its channel for `model`, `amount` wei for `requests` requests in all (both
    cumulative over the channel's life); the host may redeem it until `expiry` (a block timestamp). `inputs`
    is the hash of the newest request's inputs (hosting/inputs.py): the signature pays for those inputs only."""

    user: bytes
    host: bytes
    model: int
    requests: int
    amount: int
    expiry: int
    inputs: bytes

    def digest(self, chain_id: int) -> bytes:
        struct = abi_encode(["bytes32", "address", "address", "uint64", "uint64", "uint256", "uint64", "bytes32"],
                            [VOUCHER_TYPEHASH, self.user, self.host, self.model, self.requests, self.amount,
                             self.expiry, self.inputs])
        return keccak256(b"\x19\x01" + compute_domain_separator(chain_id) + keccak256(struct))


@dataclass(frozen=True)
class FreeRequests:
    """`user` has made `requests` free requests to `host` for `model` in `epoch` (cumulative in the epoch), the
    newest with the inputs whose hash is `inputs`."""

    user: bytes
    host: bytes
    model: int
    epoch: int
    requests: int
    inputs: bytes

    def digest(self, chain_id: int) -> bytes:
        struct = abi_encode(["bytes32", "address", "address", "uint64", "uint64", "uint64", "bytes32"],
                            [FREE_REQUESTS_TYPEHASH, self.user, self.host, self.model, self.epoch, self.requests,
                             self.inputs])
        return keccak256(b"\x19\x01" + compute_domain_separator(chain_id) + keccak256(struct))


def sign_digest(secret: bytes, digest: bytes) -> bytes:
    """65 bytes r ‖ s ‖ v with v ∈ {27, 28}: what `eth_signTypedData_v4` returns."""
    y_parity, r, s = sign_hash(secret, digest)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((27 + y_parity,))


def recover_signer(digest: bytes, signature: bytes) -> bytes | None:
    """The address that signed `digest`, or None unless `signature` is 65 bytes r ‖ s ‖ v, v ∈ {27, 28},
    s in the lower half (so a signature has one encoding)."""
    if len(signature) != 65 or signature[64] not in (27, 28):
        return None
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
    if s > SECP256K1_HALF_N:
        return None
    return recover_address(digest, signature[64] - 27, r, s)


def compute_free_allowance(effective_stake: int, per_kilo_flock: int, maximum: int) -> int:
    """Free requests per epoch: per_kilo_flock for each 1,000 FLOCK of effective stake, floored, at most `maximum`.
    Linear with no base on purpose: under a concave curve, or with something for nothing, splitting one
    stake across many addresses would buy more free requests than holding it in one."""
    return min(maximum, effective_stake * per_kilo_flock // (1_000 * UNIT))
