"""A worker's connection to a node, as any client has it: JSON-RPC over WebSocket, blobs over HTTP.

Workers never import the node: the module ABIs come from `flock_modules`, transactions are
signed here and sent raw, heads arrive by `eth_subscribe("newHeads")`.
"""

import asyncio
from dataclasses import dataclass

import aiohttp
from eth_account import Account
from eth_hash.auto import keccak
from web3 import AsyncWeb3, WebSocketProvider

GAS_LIMIT = 5_000_000
TIP = 10**9


class ChainError(RuntimeError):
    """A transaction failed or a node answered something a worker cannot use."""


class BlobMissing(ChainError):
    """The node has no blob of that hash (and found none at its peers): 404, not a transient failure."""


@dataclass(frozen=True)
class TaskStatus:
    status: int
    round: int
    phase: int
    phase_end: int
    global_model: bytes
    pool_balance: int
    rounds_with_new_model: int


class NodeConnection:
    """One WebSocket and one HTTP session to a node, shared by every account a process acts for (a simulation
    actor hosts many participants): the module ABIs, reads, heads and blobs. Reads pinned to a block are
    remembered for the newest block asked, so participants that look at the same head share one eth_call."""

    def __init__(self, w3: AsyncWeb3, http_url: str, modules: dict):
        self.w3 = w3
        self.http_url = http_url.rstrip("/")
        self.contracts = {name: w3.eth.contract(address=info["address"], abi=info["abi"])
                          for name, info in modules.items()}
        self.chain_id = None
        self.http: aiohttp.ClientSession | None = None
        self.bytes_uploaded = 0
        self.bytes_downloaded = 0
        self._reads_block: int | None = None
        self._reads: dict[tuple, asyncio.Future] = {}

    @classmethod
    async def connect(cls, url: str) -> "NodeConnection":
        """`url` is the node's http:// URL; the WebSocket is the same port."""
        w3 = AsyncWeb3(WebSocketProvider(url.replace("http://", "ws://").replace("https://", "wss://"),
                                         request_timeout=60))
        await w3.provider.connect()
        response = await w3.provider.make_request("flock_modules", [])
        connection = cls(w3, url, {m["name"]: m for m in response["result"]})
        connection.chain_id = await w3.eth.chain_id
        connection.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        return connection

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
        await self.w3.provider.disconnect()

    async def view(self, module: str, name: str, *args, block: int | None = None):
        """A view at the newest state, or at `block` (shared by every caller asking the same at that block)."""
        function = lambda: getattr(self.contracts[module].functions, name)(*args)
        if block is None:
            return await function().call()
        if block != self._reads_block:
            if self._reads_block is not None and block < self._reads_block:
                return await function().call(block_identifier=block)
            self._reads_block, self._reads = block, {}
        key = (module, name, args)
        if key not in self._reads:
            self._reads[key] = asyncio.ensure_future(function().call(block_identifier=block))
        future = self._reads[key]
        try:
            return await asyncio.shield(future)
        except Exception:
            if self._reads.get(key) is future:
                del self._reads[key]
            raise

    async def block_number(self) -> int:
        return await self.w3.eth.block_number

    async def subscribe_heads(self):
        """Subscribe to new heads now, and return the block numbers as they arrive. Subscribe before the first
        look at the chain: under instant sealing a block comes only with a transaction, and the head of one
        sealed between that look and a later subscription is never sent again."""
        await self.w3.eth.subscribe("newHeads")
        return self._head_numbers()

    async def _head_numbers(self):
        async for message in self.w3.socket.process_subscriptions():
            number = message["result"]["number"]
            yield int(number, 16) if isinstance(number, str) else number

    # Blobs (spec/blobs.md)

    async def put_blob(self, data: bytes, task: int | None = None, round_: int | None = None) -> bytes:
        params = {} if task is None else {"task": str(task), "round": str(round_)}
        async with self.http.post(f"{self.http_url}/blobs", data=data, params=params,
                                  headers={"Content-Type": "application/octet-stream"}) as response:
            body = await response.json()
            if response.status not in (200, 201):
                raise ChainError(f"blob upload refused ({response.status}): {body.get('error')}")
        self.bytes_uploaded += len(data)
        return bytes.fromhex(body["hash"][2:])

    async def get_blob(self, blob_hash: bytes) -> bytes:
        async with self.http.get(f"{self.http_url}/blobs/0x{blob_hash.hex()}") as response:
            if response.status == 404:
                raise BlobMissing(f"blob 0x{blob_hash.hex()} not found")
            if response.status != 200:
                raise ChainError(f"blob 0x{blob_hash.hex()} not available ({response.status})")
            data = await response.read()
        self.bytes_downloaded += len(data)
        if keccak(data) != blob_hash:
            raise ChainError(f"the node served bytes that do not hash to 0x{blob_hash.hex()}")
        return data


class ChainClient:
    """One account on a node: reads through its connection, and signed transactions to runtime modules by name."""

    def __init__(self, connection: NodeConnection, account, owns_connection: bool = False):
        self.connection = connection
        self.w3 = connection.w3
        self.contracts = connection.contracts
        self.account = account
        self.owns_connection = owns_connection
        self._nonce = None
        self._lock = asyncio.Lock()

    @classmethod
    async def connect(cls, url: str, private_key: str | bytes) -> "ChainClient":
        """A client with a connection of its own (closed with it)."""
        return cls(await NodeConnection.connect(url), Account.from_key(private_key), owns_connection=True)

    @classmethod
    def sharing(cls, connection: NodeConnection, private_key: str | bytes) -> "ChainClient":
        return cls(connection, Account.from_key(private_key))

    async def close(self) -> None:
        if self.owns_connection:
            await self.connection.close()

    @property
    def address(self) -> str:
        return self.account.address

    @property
    def chain_id(self) -> int:
        return self.connection.chain_id

    # Reads

    async def view(self, module: str, name: str, *args, block: int | None = None):
        return await self.connection.view(module, name, *args, block=block)

    async def task_status(self, task: int, block: int | None = None) -> TaskStatus:
        return TaskStatus(*await self.view("fl_alliance", "taskStatus", task, block=block))

    async def block_number(self) -> int:
        return await self.connection.block_number()

    async def subscribe_heads(self):
        return await self.connection.subscribe_heads()

    async def put_blob(self, data: bytes, task: int | None = None, round_: int | None = None) -> bytes:
        return await self.connection.put_blob(data, task, round_)

    async def get_blob(self, blob_hash: bytes) -> bytes:
        return await self.connection.get_blob(blob_hash)

    # Writes

    async def send(self, module: str, name: str, *args, value: int = 0, wait: bool = True):
        """Sign and send a call; with `wait`, return its receipt and raise ChainError if it failed."""
        async with self._lock:
            if self._nonce is None:
                self._nonce = await self.w3.eth.get_transaction_count(self.address, "pending")
            base_fee = (await self.w3.eth.get_block("latest"))["baseFeePerGas"]
            data = self.contracts[module].encode_abi(name, args=list(args))
            tx = {"type": 2, "chainId": self.chain_id, "nonce": self._nonce, "to": self.contracts[module].address,
                  "value": value, "gas": GAS_LIMIT, "maxFeePerGas": 2 * base_fee + TIP, "maxPriorityFeePerGas": TIP,
                  "data": data}
            signed = self.account.sign_transaction(tx)
            try:
                tx_hash = await self.w3.eth.send_raw_transaction(signed.raw_transaction)
            except Exception:
                self._nonce = None
                raise
            self._nonce += 1
        if not wait:
            return tx_hash
        receipt = await self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.05)
        if receipt["status"] != 1:
            raise ChainError(f"{module}.{name} failed in block {receipt['blockNumber']}: "
                             f"{await self.revert_reason(module, name, args, value, receipt['blockNumber'] - 1)}")
        return receipt

    async def revert_reason(self, module, name, args, value, block) -> str:
        """Re-run the call at the parent block to name the custom error (the receipt has no revert data)."""
        contract = self.contracts[module]
        try:
            await getattr(contract.functions, name)(*args).call({"from": self.address, "value": value}, block)
        except Exception as error:  # web3 raises ContractCustomError with the data
            data = getattr(error, "data", None) or str(error)
            return self.decode_error(module, data)
        return "succeeds when re-run (the state changed in between)"

    def decode_error(self, module: str, data) -> str:
        if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
            selector = data[2:10]
            for item in self.contracts[module].abi:
                if item["type"] == "error":
                    signature = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
                    if self.w3.keccak(text=signature).hex().removeprefix("0x")[:8] == selector:
                        return signature
        return str(data)
