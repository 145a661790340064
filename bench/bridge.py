"""The bridge: receipt-proof size and verification speed, and deposit → mint latency on the devnet.

1. A Base-shaped block of 200 receipts (1–3 logs each, the deposit at index 137): the proof's
   size, and receipt proofs verified and decoded per second by the runtime's rule
   (runtime.base_chain), beside py-trie's `HexaryTrie.get_from_proof` (RLP-decoding the nodes it
   needs decoded, without decoding the receipt) on the same proofs.
2. A whole `proveDeposit` transaction through the state transition (MemoryChain), its gas and time.
3. Real processes (`flockchain base-devnet`, `flockchain dev --base-rpc`): seconds from the deposit's
   Base receipt to the balance here, beside the part of it that is Base's own finality wait (the
   deposit block becoming `finalized`): the ratio is what relaying adds.

Run alone: `python -m bench.bridge`.
"""

import tempfile
import time
from pathlib import Path

import rlp
from trie import HexaryTrie

from chain.bridge.proofs import build_receipt_proof
from runtime.base_chain import encode_receipt_key, verify_receipt

RECEIPTS, DEPOSIT_INDEX = 200, 137


def base_like_block():
    from tests.runtime.base_fixtures import base_block, deposit_log, receipt

    receipts = []
    for i in range(RECEIPTS):
        if i == DEPOSIT_INDEX:
            logs = [deposit_log(0, b"\x01" * 20, 10**18)]
        else:
            logs = [{"address": "0x" + bytes([i % 256]).hex() * 20, "topics": ["0x" + "ab" * 32] * (1 + i % 3),
                     "data": "0x" + "cd" * 64}] * (1 + i % 3)
        receipts.append(receipt(logs, receipt_type=2 if i % 7 else 0x7E))
    return base_block(receipts, number=12_345_678)


def measure_proofs(rounds: int = 2_000) -> dict:
    block, receipts = base_like_block()
    proof = build_receipt_proof(block, receipts, DEPOSIT_INDEX)
    root, key, nodes = bytes.fromhex(block["receiptsRoot"][2:]), encode_receipt_key(DEPOSIT_INDEX), list(proof.proof)
    started = time.perf_counter()
    for _ in range(rounds):
        verify_receipt(root, DEPOSIT_INDEX, nodes)
    ours = rounds / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(rounds):
        HexaryTrie.get_from_proof(root, key, [rlp.decode(node) for node in nodes])
    theirs = rounds / (time.perf_counter() - started)
    return {"proof_bytes": proof.size, "header_bytes": len(proof.header), "nodes": len(nodes), "ours": ours,
            "theirs": theirs, "block": block, "receipts": receipts}


def measure_transaction(block, receipts, rounds: int = 10) -> dict:
    """proveDeposit as a transaction in a block (attestation in the block before), beside a block with one
    transfer on the same chain; the fastest of `rounds` fresh chains each."""
    from runtime.modules import bridge
    from runtime.transactions import decode_transaction
    from tests.runtime.harness import MemoryChain, module_call, root_call, transfer

    proof = build_receipt_proof(block, receipts, DEPOSIT_INDEX)
    prove_times, transfer_times = [], []
    for _ in range(rounds):
        chain = MemoryChain()
        chain.author([decode_transaction(root_call(0, bridge.MODULE, "attestBaseBlock", proof.block_hash))])
        tx = decode_transaction(module_call(0, 0, bridge.MODULE, "proveDeposit", proof.block_hash, proof.header,
                                            DEPOSIT_INDEX, list(proof.proof), gas=2_000_000))
        started = time.perf_counter()
        outcome, _ = chain.author([tx])
        prove_times.append(time.perf_counter() - started)
        assert outcome.applied[0].receipt.status == 1
        started = time.perf_counter()
        chain.author([decode_transaction(transfer(1, 0, b"\x02" * 20, 1))])
        transfer_times.append(time.perf_counter() - started)
    return {"gas": outcome.block.header.gas_used, "seconds": min(prove_times), "transfer_seconds": min(transfer_times)}


def measure_latency(deposits: int = 5) -> dict:
    """Median seconds from a deposit's Base receipt to the minted balance, and to Base finality of its block."""
    from tests.bridge.processes import deposit_on_base, start_base_devnet, stop_process
    from tests.rpc.devchain import dev_account, start_dev_chain, stop_dev_chain

    with tempfile.TemporaryDirectory(prefix="flockchain-bench-bridge-") as workdir:
        base = start_base_devnet(Path(workdir))
        chain = None
        try:
            chain = start_dev_chain(Path(workdir), extra_args=("--base-rpc", base.url))
            user = dev_account(4)
            totals, finality = [], []
            for i in range(deposits):
                before = chain.w3.eth.get_balance(user.address)
                receipt = deposit_on_base(base, user, 10**18, user.address)
                included = time.monotonic()
                final_at = None
                while chain.w3.eth.get_balance(user.address) == before:
                    if final_at is None and base.w3.eth.get_block("finalized")["number"] >= receipt["blockNumber"]:
                        final_at = time.monotonic()
                    time.sleep(0.02)
                minted = time.monotonic()
                totals.append(minted - included)
                finality.append((final_at or minted) - included)
        finally:
            if chain is not None:
                stop_dev_chain(chain.process)
            stop_process(base.process)
    totals.sort()
    finality.sort()
    return {"total": totals[len(totals) // 2], "finality": finality[len(finality) // 2], "deposits": deposits,
            "block_time": base.info.get("blockTime"), "lag": base.info.get("finalityLag")}


def report() -> None:
    from .measure import row

    proofs = measure_proofs()
    print(f"{'bridge: receipt proof, 200-receipt Base block':<44} {proofs['proof_bytes']:>12,} bytes "
          f"({proofs['header_bytes']} header + {proofs['nodes']} trie nodes)")
    print(row("bridge: receipt proofs verified/s", proofs["ours"], proofs["theirs"], "op/s", "py-trie get_from_proof"))
    tx = measure_transaction(proofs["block"], proofs["receipts"])
    print(row("bridge: block with one proveDeposit, ms", tx["seconds"] * 1000, tx["transfer_seconds"] * 1000, "ms",
              "block with one transfer"))
    print(f"{'  … its gas':<44} {tx['gas']:>12,}")
    latency = measure_latency()
    print(row(f"bridge: deposit → mint, s (blocks {latency['block_time']} s, lag {latency['lag']})",
              latency["total"], latency["finality"], "s", "Base finality wait alone"))


if __name__ == "__main__":
    report()
