"""ARCHITECTURE.md's path of a transaction is the path the code takes: a transfer sent with
eth_sendRawTransaction over HTTP to a running dev node, traced until its state root is computed.

The trace is the call stack (project files only) each time the transaction is decoded, validated,
admitted to the pool, applied (nonce, fee, value) and its state root computed; the files in order
of first appearance must be the numbered list in ARCHITECTURE.md, at most 12, and no call on any
of those stacks goes from a lower layer up to a higher one (tests/test_structure.py's ranks)."""

import asyncio
import re
import sys
from pathlib import Path

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from chain.authoring import DevAuthor
from chain.composition import RUNTIME
from chain.devkeys import dev_keys
from chain.node import Node
from genesis.builder import load_spec
from rpc.server import REGISTRIES, RpcContext, RpcServer
from runtime.transactions import DYNAMIC_FEE, sign_transaction

from .test_structure import LAYERS, ROOT

PROBES = {("runtime/transactions.py", "decode_transaction"), ("runtime/executive.py", "validate_transaction"),
          ("chain/pool.py", "add"), ("runtime/modules/system.py", "increment_nonce"),
          ("runtime/modules/balances.py", "withdraw"), ("runtime/modules/balances.py", "transfer"),
          ("runtime/executive.py", "commit_state"), ("runtime/trie.py", "commit")}
MAX_FILES = 12


def stack_files(frame) -> list[str]:
    files = []
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(ROOT) and path.parts[len(ROOT.parts)] in LAYERS:
            files.append(path.relative_to(ROOT).as_posix())
        frame = frame.f_back
    return files[::-1]


async def send_transfer(data_dir: Path) -> list[list[str]]:
    spec = load_spec("dev")
    accounts, authority = dev_keys(spec)
    node = Node(RUNTIME, spec, str(data_dir), authority_key=authority.private_key, instant_finality=True)
    author = DevAuthor(node.builder)
    server = TestServer(RpcServer(RpcContext(node, dev=True), REGISTRIES).app(), host="127.0.0.1")
    await server.start_server()
    author.start()
    raw = sign_transaction(accounts[0].private_key, DYNAMIC_FEE, chain_id=node.chain_id, nonce=0, gas_limit=21_000,
                           to=b"\x42" * 20, value=10**18, max_fee_per_gas=10**10, max_priority_fee_per_gas=10**9)
    stacks, seen = [], set()

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            path = Path(code.co_filename)
            if path.is_relative_to(ROOT) and (path.relative_to(ROOT).as_posix(), code.co_name) in PROBES:
                seen.add((path.relative_to(ROOT).as_posix(), code.co_name))
                stacks.append(stack_files(frame))
    try:
        async with ClientSession() as session:
            sys.setprofile(profile)
            try:
                request = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": ["0x" + raw.hex()]}
                async with session.post(server.make_url("/"), json=request) as response:
                    assert "result" in await response.json()
                for _ in range(200):
                    if node.head.number == 1:
                        break
                    await asyncio.sleep(0.01)
            finally:
                sys.setprofile(None)
        assert node.head.number == 1 and node.balance_of(b"\x42" * 20) == 10**18
        assert seen == PROBES, f"never reached: {PROBES - seen}"
        return stacks
    finally:
        await author.stop()
        await server.close()
        node.close()


def documented_path() -> list[str]:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    section = text.split("## The path of a transaction", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. `([\w/.]+)`", section, re.MULTILINE)


def test_the_documented_path_is_the_path_taken(tmp_path):
    stacks = asyncio.run(send_transfer(tmp_path))
    taken = list(dict.fromkeys(f for stack in stacks for f in stack))
    assert taken == documented_path()
    assert len(taken) <= MAX_FILES
    for stack in stacks:
        ranks = [LAYERS[f.split("/")[0]] for f in stack]
        assert ranks == sorted(ranks, reverse=True), f"a call goes back up a layer: {stack}"
