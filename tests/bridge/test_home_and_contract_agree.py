"""The home bridge module and the deployed FlockBridge agree, with nothing in between but bytes.

py-evm runs the real contract (Prague); MemoryChain runs the real state transition. Withdrawals
signed through the module are released by the contract; a rotation the module collected is accepted
by it; its Withdrawal log, proven from py-evm's own header and receipt encodings, confirms the release
here; deposits proven the same way are minted. Finally supply is conserved across random sequences.
"""

import pytest
import rlp
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.bridge.compile import compile_contract
from runtime.base_chain import encode_receipt_key
from runtime.crypto import sign_hash
from runtime.modules import bridge, consensus, staking
from runtime.trie import Trie
from tests.runtime.harness import ACCOUNTS, CHAIN_ID, VALIDATOR_KEYS, MemoryChain, local_spec
from tests.runtime.test_bridge import refused, send, send_module, view

from .test_contracts import Evm, Reverted, _addr, _key, abi_encode, calldata

UNIT = 10**18
BASE_CHAIN_ID = 8453


def signature(key: bytes, digest: bytes) -> bytes:
    y_parity, r, s = sign_hash(key, digest)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((27 + y_parity,))


class Bridged:
    """A Base chain with the contracts (validators: the home chain's set 0) and a home chain configured for them."""

    def __init__(self, initial_locked: int = 0, epoch_length: int = 10):
        self.deployer, self.relayer, self.user = _key("deployer", 0), _key("relayer", 0), _key("user", 0)
        self.evm = Evm([self.deployer, self.relayer, self.user], chain_id=BASE_CHAIN_ID)
        self.token = self.evm.deploy(self.deployer, compile_contract("MockFLOCK").bytecode)
        spec = local_spec(epoch_length=epoch_length)
        home = MemoryChain(spec)
        validators, weights = consensus.view_authority_set(home.state(), 0)
        args = abi_encode(["address", "address[]", "uint256[]", "uint256", "uint256"],
                          [self.token, validators, weights, CHAIN_ID, 10**6 * UNIT])
        self.bridge = self.evm.deploy(self.deployer, compile_contract("FlockBridge").bytecode + args)
        spec["genesis"]["runtime"]["bridge"] = {"bridge": "0x" + self.bridge.hex(), "token": "0x" + self.token.hex(),
                                                "initialLocked": str(initial_locked)}
        self.home = MemoryChain(spec)
        self.evm.transact(self.deployer, self.token, calldata("mint(address,uint256)", self.bridge, initial_locked))
        self.evm.transact(self.deployer, self.token, calldata("mint(address,uint256)", _addr(self.user), 10**6 * UNIT))
        self.evm.transact(self.user, self.token, calldata("approve(address,uint256)", self.bridge, 2**256 - 1))

    def balance(self, who: bytes) -> int:
        return self.evm.call(self.token, "balanceOf(address)", who, out=["uint256"])

    def last_block_proof(self, index: int = 0):
        """(hash, header, index, proof) of the receipt of the last mined Base block, from py-evm's own encodings."""
        block = self.evm.chain.get_canonical_block_by_number(self.evm.chain.get_canonical_head().block_number)
        receipts = block.get_receipts(self.evm.chain.chaindb)
        trie = Trie({})
        trie.update({encode_receipt_key(i): r.encode() for i, r in enumerate(receipts)})
        root, nodes = trie.commit()
        assert root == block.header.receipt_root
        header = rlp.encode(block.header)
        assert block.hash == self.evm.chain.get_canonical_head().hash
        return block.hash, header, index, Trie(nodes, root).prove(encode_receipt_key(index))

    def attest_last_block(self) -> tuple:
        proof = self.last_block_proof()
        for key in VALIDATOR_KEYS[:3]:
            assert send(self.home, key, "attestBaseBlock", proof[0])[0]
        return proof

    def sign_withdrawal(self, nonce: int, keys) -> list[bytes]:
        for key in keys:
            digest = view(self.home, "withdrawalDigest", nonce)[0]
            assert send(self.home, ACCOUNTS[9].private_key, "submitWithdrawalSignature", nonce, signature(key, digest))[0]
        return view(self.home, "withdrawalSignatures", nonce)[0]

    def release(self, nonce: int, recipient: bytes, amount: int, signatures: list[bytes]):
        return self.evm.transact(self.relayer, self.bridge, calldata("withdraw(uint256,address,uint256,bytes[])", nonce,
                                                                     recipient, amount, signatures))


def test_withdrawals_rotations_and_releases_agree_with_the_contract():
    world = Bridged(initial_locked=50 * UNIT)
    home, holder, recipient = world.home, ACCOUNTS[6], b"\x77" * 20
    assert send(home, holder.private_key, "withdraw", recipient, value=5 * UNIT)[0]
    signatures = world.sign_withdrawal(0, VALIDATOR_KEYS[:3])
    world.release(0, recipient, 5 * UNIT, signatures)
    assert world.balance(recipient) == 5 * UNIT

    assert send(home, ACCOUNTS[9].private_key, "confirmRelease", *world.attest_last_block())[0]
    assert view(home, "withdrawalOf", 0)[4] == bridge.RELEASED

    stake = dict(consensus.Authorities.get(home.state()))[ACCOUNTS[0].address]
    assert send_module(home, ACCOUNTS[4].private_key, staking.MODULE, "bond", staking.VALIDATOR, value=2 * stake)[0]
    home.author([], slot=10)
    home.author([], slot=20)
    assert consensus.SetId.get(home.state()) == 1
    assert send(home, holder.private_key, "withdraw", recipient, value=7 * UNIT)[0]
    newcomer_first = [ACCOUNTS[4].private_key] + VALIDATOR_KEYS[:3]
    signatures = world.sign_withdrawal(1, newcomer_first)
    assert view(home, "withdrawalOf", 1)[3:5] == (1, bridge.SIGNED)
    with pytest.raises(Reverted, match="signer not in validator set"):
        world.release(1, recipient, 7 * UNIT, signatures)

    digest = view(home, "rotationDigest", 0)[0]
    for key in VALIDATOR_KEYS[:3]:
        assert send(home, ACCOUNTS[9].private_key, "submitRotationSignature", 0, signature(key, digest))[0]
    validators, weights, rotation_signatures, signed = view(home, "rotation", 0)
    assert signed
    world.evm.transact(world.relayer, world.bridge, calldata("rotateValidators(address[],uint256[],bytes[])",
                                                             validators, weights, rotation_signatures))
    assert world.evm.call(world.bridge, "validatorSetId()", out=["uint256"]) == 1
    world.release(1, recipient, 7 * UNIT, signatures)
    assert world.balance(recipient) == 12 * UNIT
    assert refused(send(home, ACCOUNTS[9].private_key, "confirmRelease", *world.last_block_proof()),
                   bridge.BlockNotAccepted)


@settings(max_examples=6, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["deposit", "withdraw"]), st.integers(1, 50)), min_size=1, max_size=6))
def test_supply_here_equals_locked_minus_released_on_base(operations):
    """Across random deposits and withdrawals, each relayed: minted − burned here = held by the contract."""
    world = Bridged()
    home, holder = world.home, ACCOUNTS[7]
    for kind, amount in operations:
        amount *= UNIT
        if kind == "deposit":
            world.evm.transact(world.user, world.bridge, calldata("deposit(uint256,address)", amount, holder.address))
            assert send(home, ACCOUNTS[9].private_key, "proveDeposit", *world.attest_last_block())[0]
        else:
            nonce, outstanding = view(home, "withdrawalCount")[0], view(home, "supply")[2]
            ok, _ = send(home, holder.private_key, "withdraw", holder.address, value=amount)
            assert ok == (amount <= outstanding)
            if ok:
                world.release(nonce, holder.address, amount, world.sign_withdrawal(nonce, VALIDATOR_KEYS[:3]))
        minted, burned, outstanding = view(home, "supply")
        assert minted - burned == outstanding == world.balance(world.bridge)
    assert world.balance(holder.address) == view(home, "supply")[1]
