"""A node's memory against its history: resident set size of an authoring node (real LevelDB, the dev
runtime) after 100,000 and after 1,000,000 transfers, in blocks of 500 (below the gas target, so the
base fee stays put). History lives in LevelDB, so the node's own memory (RssAnon) must not grow with it
beyond caches of fixed size: the ratio of the two is the result. RSS as a whole also counts the LevelDB
table files the node maps to read them (RssFile), at most chain/db.py's MAX_OPEN_FILES of them (page cache
the kernel can take back); all three are printed.

Transfers are signed as the blocks are built (10 senders round-robin, 1 wei each to a fresh address) so
the workload itself never sits in memory; the node runs in a process of its own.

    .venv/bin/python -m bench.memory [--transfers 1000000] [--first 100000]
"""

import argparse
import shutil
import tempfile

from .measure import in_child

BLOCK = 500
SENDERS = 10


def resident_mib() -> dict[str, float]:
    """VmRSS split as the kernel counts it: RssAnon is the node's own memory (heaps, caches); RssFile is pages of
    mapped files, here LevelDB's table files, which it maps to read them (page cache the kernel takes back
    under pressure, shared with every reader of those files)."""
    with open("/proc/self/status") as status:
        return {key: int(value.split()[0]) / 1024 for key, value in (line.split(":", 1) for line in status)
                if key in ("VmRSS", "RssAnon", "RssFile")}


def measure(transfers: int, first: int) -> dict:
    from chain.composition import RUNTIME
    from chain.devkeys import dev_keys
    from chain.node import Node
    from runtime.crypto import private_key_to_address
    from runtime.transactions import DYNAMIC_FEE, sign_transaction

    from .measure import dev_spec_with

    keys = [bytes([index + 1]) * 32 for index in range(SENDERS)]
    spec = dev_spec_with({private_key_to_address(key): 10**25 for key in keys})
    _, authority = dev_keys(spec)
    workdir = tempfile.mkdtemp(prefix="flockchain-memory-")
    figures = {}
    try:
        node = Node(RUNTIME, spec, f"{workdir}/node", authority_key=authority.private_key)
        chain_id = node.chain_id
        for start in range(0, transfers, BLOCK):
            for i in range(start, start + BLOCK):
                raw = sign_transaction(keys[i % SENDERS], DYNAMIC_FEE, chain_id=chain_id, nonce=i // SENDERS,
                                       gas_limit=21_000, to=(0x20_0000 + i).to_bytes(20, "big"), value=1,
                                       max_fee_per_gas=100 * 10**9, max_priority_fee_per_gas=10**9)
                node.submit_transaction(raw)
            assert len(node.builder.author_block().applied) == BLOCK
            done = start + BLOCK
            if done in (first, transfers):
                figures[done] = resident_mib()
        node.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"first": first, "transfers": transfers, "rss_mib": figures}


def report(transfers: int = 1_000_000, first: int = 100_000) -> None:
    """Measure and print the row (called from bench/measure.py's main)."""
    from .measure import row

    print(f"authoring {transfers:,} transfers on one node, resident memory after {first:,} and {transfers:,} ...",
          flush=True)
    result = in_child(measure, transfers, first)
    after_first, after_all = result["rss_mib"][first], result["rss_mib"][transfers]
    for key, what in (("RssAnon", "own memory"), ("RssFile", "mapped files"), ("VmRSS", "RSS")):
        print(row(f"node {what} after {transfers:,} transfers", after_all[key], after_first[key], "MiB",
                  f"after {first:,}"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--first", type=int, default=100_000)
    args = parser.parse_args(argv)
    if args.first % BLOCK or args.transfers % BLOCK or not 0 < args.first < args.transfers:
        parser.error(f"--first and --transfers are multiples of {BLOCK}, first < transfers")
    report(args.transfers, args.first)


if __name__ == "__main__":
    main()
