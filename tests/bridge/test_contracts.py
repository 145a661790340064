"""FlockBridge / MockFLOCK on py-evm (Prague if available, else Cancun).

The contracts are compiled with vyper at test time (chain.bridge.compile). Validators sign
EIP-712 typed data with eth-account; the digests are cross-checked against the contract.
"""

from __future__ import annotations

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_hash.auto import keccak
from eth_keys import keys as eth_keys

from chain.bridge.compile import compile_contract

SECP256K1N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
BASE_CHAIN_ID = 8453
HOME_CHAIN_ID = 424242
GENESIS_TS = 1_700_000_000
DAY = 86400
E18 = 10**18
DAILY_CAP = 1_000_000 * E18
GAS_PRICE = 10 * 10**9
FUNDING = 1_000 * E18


def _key(label: str, i: int) -> bytes:
    return keccak(f"flockchain-bridge-test/{label}/{i}".encode())


def _addr(key: bytes) -> bytes:
    return eth_keys.PrivateKey(key).public_key.to_canonical_address()


def validator_keys(n: int, label: str = "validator") -> list[bytes]:
    """n deterministic keys sorted by address (the contract wants ascending signers)."""
    return sorted((_key(label, i) for i in range(n)), key=_addr)


def _selector(sig: str) -> bytes:
    return keccak(sig.encode())[:4]


def _types(sig: str) -> list[str]:
    inner = sig[sig.index("(") + 1 : -1]
    return [t for t in inner.split(",") if t]


def calldata(sig: str, *args) -> bytes:
    return _selector(sig) + abi_encode(_types(sig), list(args))


def revert_reason(output: bytes) -> str:
    if output[:4] == _selector("Error(string)"):
        return abi_decode(["string"], output[4:])[0]
    return f"<raw revert 0x{output.hex()}>"


class Reverted(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- py-evm harness


class Evm:
    """A MiningChain with one transaction per block and a controllable clock."""

    def __init__(self, funded: list[bytes], chain_id: int = BASE_CHAIN_ID):
        from eth.chains.base import MiningChain
        from eth.constants import BLANK_ROOT_HASH, ZERO_ADDRESS
        from eth.db.atomic import AtomicDB

        try:
            from eth.vm.forks.prague import PragueVM as vm_class

            self.fork = "prague"
        except ImportError:  # pragma: no cover - older py-evm
            from eth.vm.forks.cancun import CancunVM as vm_class

            self.fork = "cancun"
        chain_class = MiningChain.configure(
            __name__="BridgeTestChain", vm_configuration=((0, vm_class),), chain_id=chain_id
        )
        genesis = {
            "coinbase": ZERO_ADDRESS,
            "difficulty": 0,
            "gas_limit": 60_000_000,
            "timestamp": GENESIS_TS,
            "extra_data": b"",
            "nonce": b"\x00" * 8,
            "base_fee_per_gas": 10**9,
            "parent_beacon_block_root": BLANK_ROOT_HASH,
        }
        state = {_addr(k): {"balance": FUNDING, "nonce": 0, "code": b"", "storage": {}} for k in funded}
        self.chain = chain_class.from_genesis(AtomicDB(), genesis, state)
        self.chain_id = chain_id
        self.now = GENESIS_TS
        self.nonces: dict[bytes, int] = {}

    def set_time(self, ts: int) -> None:
        assert ts > self.now
        self.now = ts

    def transact(self, key: bytes, to: bytes, data: bytes, gas: int = 15_000_000):
        """Apply a tx in a fresh block; return (receipt, computation); raise Reverted on failure."""
        sender = _addr(key)
        nonce = self.nonces.get(sender, 0)
        self.now += 2
        self.chain.set_header_timestamp(self.now)
        tx = self.chain.create_unsigned_transaction(
            nonce=nonce, gas_price=GAS_PRICE, gas=gas, to=to, value=0, data=data
        ).as_signed_transaction(eth_keys.PrivateKey(key), chain_id=self.chain_id)
        _block, receipt, computation = self.chain.apply_transaction(tx)
        self.chain.mine_block(timestamp=self.now)
        self.nonces[sender] = nonce + 1
        if computation.is_error:
            raise Reverted(revert_reason(computation.output))
        return receipt, computation

    def deploy(self, key: bytes, initcode: bytes) -> bytes:
        _receipt, computation = self.transact(key, b"", initcode)
        return computation.msg.storage_address

    def call(self, to: bytes, sig: str, *args, out: list[str]):
        """Static call against the state the next transaction will see (incl. its timestamp)."""
        from eth.vm.spoof import SpoofTransaction

        # chain.get_transaction_result would run in a child of the head stamped with the
        # wall clock; build the state of the pending header with our clock instead.
        header = self.chain.header.copy(timestamp=self.now + 2, base_fee_per_gas=0)
        tx = self.chain.create_unsigned_transaction(
            nonce=0, gas_price=0, gas=10_000_000, to=to, value=0, data=calldata(sig, *args)
        )
        state = self.chain.get_vm(header).state
        snapshot = state.snapshot()
        try:
            computation = state.costless_execute_transaction(SpoofTransaction(tx, from_=b"\x00" * 20))
        finally:
            state.revert(snapshot)
        computation.raise_if_error()
        raw = computation.output
        vals = abi_decode(out, raw)
        return vals[0] if len(out) == 1 else vals


# ---------------------------------------------------------------- fixture world


class World:
    """Token + bridge deployed on a fresh chain with `n` equal-weight validators."""

    def __init__(self, n_validators: int = 4, weights: list[int] | None = None, daily_cap: int = DAILY_CAP):
        self.deployer = _key("deployer", 0)
        self.alice = _key("user", 1)
        self.bob = _key("user", 2)
        self.vkeys = validator_keys(n_validators)
        self.weights = weights or [1] * n_validators
        self.evm = Evm([self.deployer, self.alice, self.bob])
        token_c = compile_contract("MockFLOCK")
        bridge_c = compile_contract("FlockBridge")
        self.token = self.evm.deploy(self.deployer, token_c.bytecode)
        ctor = abi_encode(
            ["address", "address[]", "uint256[]", "uint256", "uint256"],
            [self.token, [_addr(k) for k in self.vkeys], self.weights, HOME_CHAIN_ID, daily_cap],
        )
        self.bridge = self.evm.deploy(self.deployer, bridge_c.bytecode + ctor)
        for who in (self.alice, self.bob):
            self.mint(_addr(who), 1_000_000 * E18)
            self.evm.transact(who, self.token, calldata("approve(address,uint256)", self.bridge, 2**256 - 1))

    # token helpers
    def mint(self, to: bytes, amount: int):
        return self.evm.transact(self.deployer, self.token, calldata("mint(address,uint256)", to, amount))

    def balance(self, who: bytes) -> int:
        return self.evm.call(self.token, "balanceOf(address)", who, out=["uint256"])

    def view(self, sig: str, *args, out: str = "uint256"):
        return self.evm.call(self.bridge, sig, *args, out=[out])

    # bridge helpers
    def deposit(self, key: bytes, amount: int, recipient: bytes):
        return self.evm.transact(key, self.bridge, calldata("deposit(uint256,address)", amount, recipient))

    def withdraw(self, nonce: int, recipient: bytes, amount: int, sigs: list[bytes], key: bytes | None = None):
        data = calldata("withdraw(uint256,address,uint256,bytes[])", nonce, recipient, amount, sigs)
        return self.evm.transact(key or self.bob, self.bridge, data)

    def rotate(self, new_addrs: list[bytes], new_weights: list[int], sigs: list[bytes]):
        data = calldata("rotateValidators(address[],uint256[],bytes[])", new_addrs, new_weights, sigs)
        return self.evm.transact(self.bob, self.bridge, data)

    def domain(self, chain_id: int | None = None, verifying: bytes | None = None) -> dict:
        return {
            "name": "FlockBridge",
            "version": "1",
            "chainId": self.evm.chain_id if chain_id is None else chain_id,
            "verifyingContract": "0x" + (verifying or self.bridge).hex(),
        }

    def snapshot(self) -> tuple:
        return (
            self.balance(self.bridge),
            self.balance(_addr(self.alice)),
            self.balance(_addr(self.bob)),
            self.view("depositNonce()"),
            self.view("releasedToday()"),
        )


WITHDRAWAL_TYPES = {
    "Withdrawal": [
        {"name": "homeChainId", "type": "uint256"},
        {"name": "validatorSetId", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "recipient", "type": "address"},
        {"name": "amount", "type": "uint256"},
    ]
}
ROTATION_TYPES = {
    "ValidatorSetRotation": [
        {"name": "homeChainId", "type": "uint256"},
        {"name": "validatorSetId", "type": "uint256"},
        {"name": "newSetHash", "type": "bytes32"},
    ]
}


def withdrawal_digest(domain: dict, nonce: int, recipient: bytes, amount: int, set_id: int = 0,
                      home: int = HOME_CHAIN_ID) -> bytes:
    msg = {"homeChainId": home, "validatorSetId": set_id, "nonce": nonce,
           "recipient": "0x" + recipient.hex(), "amount": amount}
    return _hash_eip191_message(encode_typed_data(domain, WITHDRAWAL_TYPES, msg))


def new_set_hash(addrs: list[bytes], weights: list[int]) -> bytes:
    return keccak(abi_encode(["address[]", "uint256[]"], [addrs, weights]))


def rotation_digest(domain: dict, addrs: list[bytes], weights: list[int], set_id: int = 0,
                    home: int = HOME_CHAIN_ID) -> bytes:
    msg = {"homeChainId": home, "validatorSetId": set_id, "newSetHash": new_set_hash(addrs, weights)}
    return _hash_eip191_message(encode_typed_data(domain, ROTATION_TYPES, msg))


def sign(digest: bytes, keys: list[bytes]) -> list[bytes]:
    return [bytes(Account.unsafe_sign_hash(digest, k).signature) for k in keys]


def high_s(sig: bytes) -> bytes:
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    return r + (SECP256K1N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28


def deposit_logs(world: World, receipt) -> list[tuple]:
    topic0 = int.from_bytes(keccak(b"Deposit(uint256,address,address,uint256)"), "big")
    out = []
    for log in receipt.logs:
        if log.address == world.bridge and log.topics and log.topics[0] == topic0:
            recipient, amount = abi_decode(["address", "uint256"], log.data)
            sender = log.topics[2].to_bytes(32, "big")[12:]
            out.append((log.topics[1], sender, bytes.fromhex(recipient[2:]), amount))
    return out


@pytest.fixture
def world() -> World:
    return World(4)


# ---------------------------------------------------------------- tests


def test_compiles_and_metadata(world):
    abi_names = {e.get("name") for e in compile_contract("FlockBridge").abi}
    assert {"deposit", "withdraw", "rotateValidators", "pause", "unpause", "Deposit"} <= abi_names
    assert world.evm.call(world.token, "name()", out=["string"]) == "Flock"
    assert world.evm.call(world.token, "symbol()", out=["string"]) == "FLOCK"
    assert world.evm.call(world.token, "decimals()", out=["uint8"]) == 18
    assert world.evm.call(world.token, "totalSupply()", out=["uint256"]) == 2_000_000 * E18
    assert world.view("validatorSetId()") == 0
    assert world.view("totalWeight()") == 4
    assert world.view("validators(uint256)", 0, out="address") == "0x" + _addr(world.vkeys[0]).hex()
    assert world.view("homeChainId()") == HOME_CHAIN_ID
    assert world.view("dailyCap()") == DAILY_CAP
    assert world.view("owner()", out="address") == "0x" + _addr(world.deployer).hex()


def test_mint_only_deployer(world):
    with pytest.raises(Reverted, match="only the deployer"):
        world.evm.transact(world.alice, world.token, calldata("mint(address,uint256)", _addr(world.alice), 1))


def test_deposit_sequential_nonces_and_moves_tokens(world):
    alice, bob = _addr(world.alice), _addr(world.bob)
    recipient = b"\x11" * 20
    before = world.balance(alice)
    seen = []
    for i, (who, amount) in enumerate([(world.alice, 5 * E18), (world.bob, 7 * E18), (world.alice, 1)]):
        receipt, _ = world.deposit(who, amount, recipient)
        logs = deposit_logs(world, receipt)
        assert logs == [(i, _addr(who), recipient, amount)]
        seen.append(logs[0][0])
    assert seen == [0, 1, 2]
    assert world.view("depositNonce()") == 3
    assert world.balance(world.bridge) == 12 * E18 + 1
    assert world.balance(alice) == before - 5 * E18 - 1
    assert world.balance(bob) == 1_000_000 * E18 - 7 * E18
    with pytest.raises(Reverted, match="zero amount"):
        world.deposit(world.alice, 0, recipient)
    with pytest.raises(Reverted, match="insufficient balance"):
        world.deposit(world.alice, 10**30, recipient)
    assert world.view("depositNonce()") == 3


def fund_bridge(world: World, amount: int = 100 * E18):
    world.deposit(world.alice, amount, b"\x22" * 20)


def test_withdraw_with_quorum_releases(world):
    fund_bridge(world)
    recipient = b"\x33" * 20
    digest = withdrawal_digest(world.domain(), 7, recipient, 10 * E18)
    # the contract computes the same EIP-712 digest as eth-account
    assert world.view("withdrawalDigest(uint256,uint256,address,uint256)", 0, 7, recipient, 10 * E18,
                      out="bytes32") == digest
    # and sign_typed_data (full path) agrees with signing the hash
    full = Account.sign_typed_data(world.vkeys[0], world.domain(), WITHDRAWAL_TYPES,
                                   {"homeChainId": HOME_CHAIN_ID, "validatorSetId": 0, "nonce": 7,
                                    "recipient": "0x" + recipient.hex(), "amount": 10 * E18})
    assert bytes(full.signature) == sign(digest, world.vkeys[:1])[0]
    sigs = sign(digest, world.vkeys[1:])  # 3 of 4 equal weights: 9 > 8
    world.withdraw(7, recipient, 10 * E18, sigs)
    assert world.balance(recipient) == 10 * E18
    assert world.balance(world.bridge) == 90 * E18
    assert world.view("processed(uint256)", 7, out="bool") is True
    assert world.view("releasedToday()") == 10 * E18


def test_exactly_two_thirds_is_not_enough():
    w = World(3)
    fund_bridge(w)
    r = b"\x44" * 20
    digest = withdrawal_digest(w.domain(), 1, r, E18)
    with pytest.raises(Reverted, match="insufficient signing weight"):
        w.withdraw(1, r, E18, sign(digest, w.vkeys[:2]))  # 2/3 exactly
    w.withdraw(1, r, E18, sign(digest, w.vkeys))
    assert w.balance(r) == E18


def test_weighted_quorum():
    # weights 5,1,1,1 (total 8): the heavy validator plus one light one = 6/8 > 2/3
    w = World(4, weights=[5, 1, 1, 1])
    fund_bridge(w)
    r = b"\x45" * 20
    digest = withdrawal_digest(w.domain(), 1, r, E18)
    with pytest.raises(Reverted, match="insufficient signing weight"):
        w.withdraw(1, r, E18, sign(digest, w.vkeys[1:]))  # 3/8
    w.withdraw(1, r, E18, sign(digest, [w.vkeys[0], w.vkeys[2]]))
    assert w.balance(r) == E18


def _refusal_cases(world: World, recipient: bytes, amount: int):
    k = world.vkeys
    good = withdrawal_digest(world.domain(), 1, recipient, amount)
    s = sign(good, k)
    outsider = _key("outsider", 0)
    return {
        "below_two_thirds": (sign(good, k[:2]), "insufficient signing weight"),
        "duplicate_signer": ([s[0], s[0], s[1], s[2]], "signers not strictly ascending"),
        "not_ascending": ([s[1], s[0], s[2], s[3]], "signers not strictly ascending"),
        "high_s": ([high_s(s[0])] + s[1:], "signature s not in lower half order"),
        "bad_v": ([s[0][:64] + b"\x00"] + s[1:], "signature v must be 27 or 28"),
        "short_signature": ([s[0][:64]] + s[1:], "signature must be 65 bytes"),
        "other_home_chain": (sign(withdrawal_digest(world.domain(), 1, recipient, amount, home=HOME_CHAIN_ID + 1),
                                  k), "signer not in validator set"),
        "other_validator_set": (sign(withdrawal_digest(world.domain(), 1, recipient, amount, set_id=1), k),
                                "signer not in validator set"),
        "other_bridge_address": (sign(withdrawal_digest(world.domain(verifying=b"\x99" * 20), 1, recipient,
                                                        amount), k), "signer not in validator set"),
        "other_base_chain": (sign(withdrawal_digest(world.domain(chain_id=1), 1, recipient, amount), k),
                             "signer not in validator set"),
        "wrong_amount": (sign(withdrawal_digest(world.domain(), 1, recipient, amount + 1), k),
                         "signer not in validator set"),
        "non_member": (sorted(s[:2] + sign(good, [outsider]), key=lambda sig: _addr_of_sig(good, sig)),
                       "signer not in validator set"),
        "no_signatures": ([], "insufficient signing weight"),
    }


def _addr_of_sig(digest: bytes, sig: bytes) -> bytes:
    return bytes.fromhex(Account._recover_hash(digest, signature=sig)[2:])


REFUSALS = ["below_two_thirds", "duplicate_signer", "not_ascending", "high_s", "bad_v", "short_signature",
            "other_home_chain", "other_validator_set", "other_bridge_address", "other_base_chain",
            "wrong_amount", "non_member", "no_signatures"]


@pytest.mark.parametrize("case", REFUSALS)
def test_withdraw_refusals_leave_balances_unchanged(world, case):
    fund_bridge(world)
    recipient = b"\x55" * 20
    sigs, reason = _refusal_cases(world, recipient, 5 * E18)[case]
    before = world.snapshot()
    with pytest.raises(Reverted) as err:
        world.withdraw(1, recipient, 5 * E18, sigs)
    assert err.value.reason == reason
    assert world.snapshot() == before
    assert world.balance(recipient) == 0
    assert world.view("processed(uint256)", 1, out="bool") is False


def test_nonce_replay_refused(world):
    fund_bridge(world)
    r = b"\x66" * 20
    sigs = sign(withdrawal_digest(world.domain(), 3, r, E18), world.vkeys)
    world.withdraw(3, r, E18, sigs)
    before = world.snapshot()
    with pytest.raises(Reverted, match="nonce already processed"):
        world.withdraw(3, r, E18, sigs)
    # a different recipient/amount under the same nonce is refused too
    sigs2 = sign(withdrawal_digest(world.domain(), 3, r, 2 * E18), world.vkeys)
    with pytest.raises(Reverted, match="nonce already processed"):
        world.withdraw(3, r, 2 * E18, sigs2)
    assert world.snapshot() == before
    assert world.balance(r) == E18


def test_pause_blocks_deposit_and_withdraw(world):
    fund_bridge(world)
    r = b"\x77" * 20
    sigs = sign(withdrawal_digest(world.domain(), 1, r, E18), world.vkeys)
    with pytest.raises(Reverted, match="only owner"):
        world.evm.transact(world.alice, world.bridge, calldata("pause()"))
    world.evm.transact(world.deployer, world.bridge, calldata("pause()"))
    assert world.view("paused()", out="bool") is True
    before = world.snapshot()
    with pytest.raises(Reverted, match="bridge paused"):
        world.withdraw(1, r, E18, sigs)
    with pytest.raises(Reverted, match="bridge paused"):
        world.deposit(world.alice, E18, r)
    assert world.snapshot() == before
    with pytest.raises(Reverted, match="only owner"):
        world.evm.transact(world.alice, world.bridge, calldata("unpause()"))
    world.evm.transact(world.deployer, world.bridge, calldata("unpause()"))
    world.withdraw(1, r, E18, sigs)
    world.deposit(world.alice, E18, r)
    assert world.balance(r) == E18


def test_daily_cap_and_reset_next_day():
    w = World(4, daily_cap=10 * E18)
    fund_bridge(w, 100 * E18)
    r = b"\x88" * 20

    def sigs(nonce, amount):
        return sign(withdrawal_digest(w.domain(), nonce, r, amount), w.vkeys)

    w.withdraw(1, r, 6 * E18, sigs(1, 6 * E18))
    before = w.snapshot()
    with pytest.raises(Reverted, match="daily cap exceeded"):
        w.withdraw(2, r, 5 * E18, sigs(2, 5 * E18))
    assert w.snapshot() == before
    w.withdraw(3, r, 4 * E18, sigs(3, 4 * E18))  # exactly at the cap
    assert w.view("releasedToday()") == 10 * E18
    assert w.view("remainingToday()") == 0
    with pytest.raises(Reverted, match="daily cap exceeded"):
        w.withdraw(2, r, 1, sigs(2, 1))
    # next UTC day (block.timestamp // 86400 rolls over)
    w.evm.set_time((w.evm.now // DAY + 1) * DAY)
    assert w.view("releasedToday()") == 0
    w.withdraw(2, r, 5 * E18, sigs(2, 5 * E18))
    assert w.balance(r) == 15 * E18
    assert w.view("releasedToday()") == 5 * E18


def test_rotation(world):
    fund_bridge(world)
    r = b"\xaa" * 20
    old = world.vkeys
    new = validator_keys(5, "newset")
    new_addrs, new_weights = [_addr(k) for k in new], [2, 2, 2, 2, 2]
    digest = rotation_digest(world.domain(), new_addrs, new_weights, set_id=0)
    assert world.view("rotationDigest(uint256,bytes32)", 0, new_set_hash(new_addrs, new_weights),
                      out="bytes32") == digest

    # signed by the incoming set only: refused
    with pytest.raises(Reverted, match="signer not in validator set"):
        world.rotate(new_addrs, new_weights, sign(digest, new))
    # < 2/3 of the outgoing set: refused
    with pytest.raises(Reverted, match="insufficient signing weight"):
        world.rotate(new_addrs, new_weights, sign(digest, old[:2]))
    # signatures over a different proposed set: refused
    with pytest.raises(Reverted, match="signer not in validator set"):
        world.rotate(new_addrs, [2, 2, 2, 2, 3], sign(digest, old))
    assert world.view("validatorSetId()") == 0

    # old-set signatures over a withdrawal, collected before the rotation
    stale = sign(withdrawal_digest(world.domain(), 9, r, E18, set_id=0), old)

    world.rotate(new_addrs, new_weights, sign(digest, old[1:]))
    assert world.view("validatorSetId()") == 1
    assert world.view("totalWeight()") == 10
    assert world.view("validatorCount()") == 5
    assert world.view("weightOf(address)", _addr(old[0])) == 0
    assert world.view("weightOf(address)", new_addrs[0]) == 2

    before = world.snapshot()
    with pytest.raises(Reverted, match="signer not in validator set"):
        world.withdraw(9, r, E18, stale)
    # old set signing the new set id is refused as well (not members any more)
    with pytest.raises(Reverted, match="signer not in validator set"):
        world.withdraw(9, r, E18, sign(withdrawal_digest(world.domain(), 9, r, E18, set_id=1), old))
    assert world.snapshot() == before
    # replaying the rotation message is refused (the set id moved on)
    with pytest.raises(Reverted):
        world.rotate(new_addrs, new_weights, sign(digest, old[1:]))

    world.withdraw(9, r, E18, sign(withdrawal_digest(world.domain(), 9, r, E18, set_id=1), new[:4]))
    assert world.balance(r) == E18


def test_rotation_rejects_bad_sets(world):
    k = world.vkeys

    def attempt(addrs, weights):
        d = rotation_digest(world.domain(), addrs, weights)
        world.rotate(addrs, weights, sign(d, k))

    a = [_addr(x) for x in validator_keys(2, "bad")]
    with pytest.raises(Reverted, match="empty validator set"):
        attempt([], [])
    with pytest.raises(Reverted, match="length mismatch"):
        attempt(a, [1])
    with pytest.raises(Reverted, match="duplicate validator"):
        attempt([a[0], a[0]], [1, 1])
    with pytest.raises(Reverted, match="weight is zero"):
        attempt(a, [1, 0])
    assert world.view("validatorSetId()") == 0


@pytest.mark.parametrize("n", [4, 16, 64])
def test_gas_report_deposit_and_withdraw(n, capsys):
    """Gas report (printed, not asserted): deposit and withdraw with n equal-weight validators all signing."""
    w = World(n)
    r = b"\xbb" * 20
    first_dep, _ = w.deposit(w.alice, 50 * E18, r)
    second_dep, _ = w.deposit(w.alice, 50 * E18, r)
    wd1, _ = w.withdraw(1, r, E18, sign(withdrawal_digest(w.domain(), 1, r, E18), w.vkeys))
    wd2, _ = w.withdraw(2, r, E18, sign(withdrawal_digest(w.domain(), 2, r, E18), w.vkeys))
    with capsys.disabled():
        print(f"\n[bridge gas] fork={w.evm.fork} validators={n:3d}: "
              f"deposit first={first_dep.gas_used} next={second_dep.gas_used}; "
              f"withdraw first-of-day={wd1.gas_used} next={wd2.gas_used}")


REENTRANT_TOKEN = '''# pragma version ~=0.4.3
# A hostile token: on transfer() it calls back into `target` with `payload` once.
balanceOf: public(HashMap[address, uint256])
payload: public(Bytes[4096])
target: public(address)
attempts: public(uint256)
reentered: public(bool)

@external
def arm(target: address, payload: Bytes[4096]):
    self.target = target
    self.payload = payload

@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount

@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    self.balanceOf[sender] -= amount
    self.balanceOf[receiver] += amount
    return True

@external
def transfer(receiver: address, amount: uint256) -> bool:
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[receiver] += amount
    if self.target != empty(address):
        t: address = self.target
        self.target = empty(address)
        self.attempts += 1
        self.reentered = raw_call(t, self.payload, max_outsize=0, revert_on_failure=False)
    return True
'''


def test_withdraw_is_reentrancy_safe():
    from chain.bridge.compile import compile_source

    deployer, user = _key("deployer", 0), _key("user", 1)
    vkeys = validator_keys(4)
    evm = Evm([deployer, user])
    evil = evm.deploy(deployer, compile_source("ReentrantToken", REENTRANT_TOKEN).bytecode)
    ctor = abi_encode(["address", "address[]", "uint256[]", "uint256", "uint256"],
                      [evil, [_addr(k) for k in vkeys], [1] * 4, HOME_CHAIN_ID, DAILY_CAP])
    bridge = evm.deploy(deployer, compile_contract("FlockBridge").bytecode + ctor)
    evm.transact(deployer, evil, calldata("mint(address,uint256)", bridge, 100 * E18))
    domain = {"name": "FlockBridge", "version": "1", "chainId": evm.chain_id, "verifyingContract": "0x" + bridge.hex()}
    r = b"\xcc" * 20
    sig_wd = "withdraw(uint256,address,uint256,bytes[])"
    # the hostile token re-enters with a *different*, validly signed nonce: only the lock stops it
    inner = calldata(sig_wd, 2, r, 5 * E18, sign(withdrawal_digest(domain, 2, r, 5 * E18), vkeys))
    evm.transact(deployer, evil, calldata("arm(address,bytes)", bridge, inner))
    evm.transact(user, bridge, calldata(sig_wd, 1, r, 5 * E18, sign(withdrawal_digest(domain, 1, r, 5 * E18), vkeys)))
    assert evm.call(evil, "attempts()", out=["uint256"]) == 1
    assert evm.call(evil, "reentered()", out=["bool"]) is False
    assert evm.call(evil, "balanceOf(address)", r, out=["uint256"]) == 5 * E18
    assert evm.call(bridge, "processed(uint256)", 1, out=["bool"]) is True
    assert evm.call(bridge, "processed(uint256)", 2, out=["bool"]) is False
    assert evm.call(bridge, "releasedToday()", out=["uint256"]) == 5 * E18
