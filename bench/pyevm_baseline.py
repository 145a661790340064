"""py-evm baseline: how fast does the reference Python EVM apply plain ETH transfers?

This module is self-contained. It provides:

* ``make_transfer_workload(n, chain_id=31337) -> (raw_txs, balances, keys)``
  A reproducible workload of ``n`` signed EIP-1559 (type 2) transfers, so the
  project's own benchmark can replay exactly the same bytes.
* ``run_pyevm_baseline(raw_txs, balances, chain_id, block_size=1000,
  gas_limit=60_000_000) -> dict``
  Applies the raw transactions with py-evm's ``MiningChain`` and reports throughput.
* ``latest_pyevm_vm()`` -> ``(fork_name, VM class)`` used by the baseline.

CLI (from the repo root)::

    .venv/bin/python -m bench.pyevm_baseline --n 10000 --block-size 1000

Tested with py-evm 0.12.1b1 on CPython 3.11 (fork used: Prague).
"""

from __future__ import annotations

import argparse
import time
from typing import Dict, List, Tuple

# ---------------------------------------------------------------------------
# Workload constants
# ---------------------------------------------------------------------------

MNEMONIC = "test test test test test test test test test test test junk"
NUM_SENDERS = 10
SENDER_FUNDING = 10_000 * 10**18  # 10,000 ETH each
DEFAULT_CHAIN_ID = 31337
GWEI = 10**9
# Genesis base fee is 1 gwei. maxFeePerGas is kept far above it (100 gwei) so a
# run of full blocks (+12.5% base fee per block) never prices the txs out:
# 1 gwei * 1.125**39 ~= 98 gwei, i.e. ~39 consecutive *completely full* blocks.
# With the default 60M gas limit and 1000 transfers (21M gas) per block, blocks
# are below the 30M target, so the base fee actually falls.
MAX_FEE_PER_GAS = 100 * GWEI
MAX_PRIORITY_FEE_PER_GAS = 1 * GWEI
TRANSFER_GAS = 21_000
TRANSFER_VALUE = 1  # wei
GENESIS_BASE_FEE = 1 * GWEI


def recipient_address(i: int) -> bytes:
    """Deterministic fresh recipient #i: keccak256(i as 32-byte big-endian)[12:]."""
    from eth_hash.auto import keccak

    return keccak(i.to_bytes(32, "big"))[12:]


def sender_keys(count: int = NUM_SENDERS) -> List[bytes]:
    """Private keys of m/44'/60'/0'/0/i for the well-known 'test ... junk' mnemonic."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return [
        bytes(
            Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key
        )
        for i in range(count)
    ]


def make_transfer_workload(
    n: int, chain_id: int = DEFAULT_CHAIN_ID
) -> Tuple[List[bytes], Dict[bytes, int], List[bytes]]:
    """Build ``n`` signed EIP-1559 transfers.

    * 10 senders (hardhat/anvil mnemonic, m/44'/60'/0'/0/0..9), each funded with
      10,000 ETH in the returned ``balances``.
    * Round-robin senders: tx i is sent by sender ``i % 10`` with nonce ``i // 10``.
    * tx i sends 1 wei to the fresh address ``recipient_address(i)``.
    * type 2, gas 21000, maxFeePerGas 100 gwei, maxPriorityFeePerGas 1 gwei.

    Returns ``(raw_txs, balances, keys)``: raw EIP-2718 encoded txs
    (``0x02 || rlp(...)``) as bytes, genesis balances (20-byte address -> wei),
    and the senders' 32-byte private keys.
    """
    from eth_account import Account
    from eth_utils import to_checksum_address

    keys = sender_keys(NUM_SENDERS)
    accounts = [Account.from_key(k) for k in keys]
    balances = {bytes.fromhex(a.address[2:]): SENDER_FUNDING for a in accounts}

    raw_txs: List[bytes] = []
    for i in range(n):
        acct = accounts[i % NUM_SENDERS]
        tx = {
            "type": 2,
            "chainId": chain_id,
            "nonce": i // NUM_SENDERS,
            "maxFeePerGas": MAX_FEE_PER_GAS,
            "maxPriorityFeePerGas": MAX_PRIORITY_FEE_PER_GAS,
            "gas": TRANSFER_GAS,
            "to": to_checksum_address(recipient_address(i)),
            "value": TRANSFER_VALUE,
            "data": b"",
            "accessList": [],
        }
        signed = acct.sign_transaction(tx)
        raw = getattr(signed, "raw_transaction", None)
        if raw is None:  # older eth-account spelling
            raw = signed.rawTransaction
        raw_txs.append(bytes(raw))
    return raw_txs, balances, keys


# ---------------------------------------------------------------------------
# py-evm chain setup
# ---------------------------------------------------------------------------


def latest_pyevm_vm():
    """Return ``(fork_name, VMClass)``: Prague if this py-evm has it, else Cancun."""
    try:
        from eth.vm.forks.prague import PragueVM

        return "prague", PragueVM
    except ImportError:
        from eth.vm.forks.cancun import CancunVM

        return "cancun", CancunVM


def _build_chain(balances: Dict[bytes, int], chain_id: int, gas_limit: int):
    """A fresh in-memory (AtomicDB over a dict, no disk I/O) MiningChain at genesis."""
    from eth.chains.base import MiningChain
    from eth.constants import BLANK_ROOT_HASH, ZERO_ADDRESS
    from eth.db.atomic import AtomicDB

    fork, vm_class = latest_pyevm_vm()
    chain_class = MiningChain.configure(
        __name__=f"PyEVMBaseline{fork.capitalize()}Chain",
        vm_configuration=((0, vm_class),),
        chain_id=chain_id,
    )
    genesis_params = {
        # PoS (Paris+): difficulty 0, nonce 0, no uncles; the header builder fills
        # in the shanghai/cancun/prague fields (withdrawals root, blob gas, ...).
        "coinbase": ZERO_ADDRESS,
        "difficulty": 0,
        "gas_limit": gas_limit,
        "timestamp": 1_700_000_000,
        "extra_data": b"",
        "nonce": b"\x00" * 8,
        "base_fee_per_gas": GENESIS_BASE_FEE,
        "parent_beacon_block_root": BLANK_ROOT_HASH,
    }
    genesis_state = {
        addr: {"balance": bal, "nonce": 0, "code": b"", "storage": {}}
        for addr, bal in balances.items()
    }
    chain = chain_class.from_genesis(AtomicDB(), genesis_params, genesis_state)
    return fork, chain


# ---------------------------------------------------------------------------
# Baseline
# ---------------------------------------------------------------------------


def run_pyevm_baseline(
    raw_txs: List[bytes],
    balances: Dict[bytes, int],
    chain_id: int,
    block_size: int = 1000,
    gas_limit: int = 60_000_000,
) -> dict:
    """Apply the given signed raw transactions with py-evm's MiningChain.

    ``raw_txs`` are EIP-2718 typed EIP-1559 transfers (bytes), applied
    ``block_size`` per block the way a node imports them. For each block the
    timed work is:

    * decode: ``vm.get_transaction_builder().decode(raw)`` for every tx,
    * ``chain.mine_all(txs)``, which does, per tx, validation including
      sender recovery (ECDSA recover; py-evm uses the coincurve backend of
      eth-keys when coincurve is installed), execution and receipt creation;
      then tx/receipt tries, the state root, the state-db commit, block header
      validation (PoS seal, gas limit, base fee) and persisting the block to
      the chain database.

    Setup (genesis, chain construction) and the final correctness checks are
    NOT timed; signing is not done here at all.

    The database is an in-memory ``eth.db.atomic.AtomicDB`` (dict-backed), so
    these figures carry no disk I/O — py-evm's best case.

    The chain uses the latest fork this py-evm supports (Prague for 0.12.1b1,
    else Cancun), genesis base fee 1 gwei, difficulty 0 (PoS). If
    ``block_size * 21000`` exceeds half of ``gas_limit``, the genesis gas limit
    is raised to ``2 * block_size * 21000`` so blocks stay at or below the
    EIP-1559 target and never run out of gas.

    After the run it asserts every receipt succeeded, every header used exactly
    ``21000 * txs`` gas, every sender's final nonce is ``max nonce + 1`` and
    every recipient's balance rose by the value it was sent.

    Returns ``{"transfers": n, "seconds": s, "tx_per_s": n/s, "blocks": k}``
    plus the informational keys ``"fork"`` and ``"block_size"``.
    """
    if block_size <= 0:
        raise ValueError("block_size must be positive")
    gas_limit = max(gas_limit, 2 * block_size * TRANSFER_GAS)

    fork, chain = _build_chain(balances, chain_id, gas_limit)
    builder = chain.get_vm().get_transaction_builder()
    decode = builder.decode

    n = len(raw_txs)
    batches = [raw_txs[i : i + block_size] for i in range(0, n, block_size)]
    all_txs = []
    all_receipts = []
    headers = []

    start = time.perf_counter()
    for batch in batches:
        txs = [decode(raw) for raw in batch]
        import_result, receipts, _computations = chain.mine_all(txs)
        headers.append(import_result.imported_block.header)
        all_txs.extend(txs)
        all_receipts.extend(receipts)
    seconds = time.perf_counter() - start

    # ---- correctness checks (untimed) ----
    assert len(all_receipts) == n
    for r in all_receipts:
        # post-Byzantium receipts carry status in the state_root slot: b"\x01" == success
        assert r.state_root == b"\x01", "a transfer failed"
    for batch, header in zip(batches, headers):
        assert header.gas_used == TRANSFER_GAS * len(batch), header
    head = chain.get_canonical_head()
    assert head.block_number == len(batches), (head.block_number, len(batches))

    state = chain.get_vm().state
    expected_nonce: Dict[bytes, int] = {}
    received: Dict[bytes, int] = {}
    for tx in all_txs:
        s = bytes(tx.sender)
        expected_nonce[s] = max(expected_nonce.get(s, 0), tx.nonce + 1)
        received[bytes(tx.to)] = received.get(bytes(tx.to), 0) + tx.value
    for s, nonce in expected_nonce.items():
        got = state.get_nonce(s)
        assert got == nonce, f"sender {s.hex()} nonce {got} != {nonce}"
    coinbase = head.coinbase
    for addr, value in received.items():
        if addr in expected_nonce or addr == coinbase:
            continue  # balance also moved by fees; skip
        got = state.get_balance(addr)
        want = balances.get(addr, 0) + value
        assert got == want, f"recipient {addr.hex()} balance {got} != {want}"

    return {
        "transfers": n,
        "seconds": seconds,
        "tx_per_s": n / seconds if seconds > 0 else float("inf"),
        "blocks": len(batches),
        "fork": fork,
        "block_size": block_size,
    }


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description="py-evm transfer-throughput baseline")
    p.add_argument("--n", type=int, default=10_000, help="number of transfers")
    p.add_argument("--block-size", type=int, default=1000, help="transfers per block")
    p.add_argument("--chain-id", type=int, default=DEFAULT_CHAIN_ID)
    p.add_argument("--gas-limit", type=int, default=60_000_000)
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    raw_txs, balances, _keys = make_transfer_workload(args.n, args.chain_id)
    sign_s = time.perf_counter() - t0
    print(f"workload: {args.n} signed EIP-1559 transfers in {sign_s:.1f}s (untimed)")

    res = run_pyevm_baseline(
        raw_txs,
        balances,
        args.chain_id,
        block_size=args.block_size,
        gas_limit=args.gas_limit,
    )
    print(
        f"py-evm {res['fork']}: {res['transfers']} transfers in {res['blocks']} blocks "
        f"of <= {res['block_size']} -> {res['seconds']:.3f}s = {res['tx_per_s']:.1f} tx/s"
    )
    print(res)
    return res


if __name__ == "__main__":
    main()
