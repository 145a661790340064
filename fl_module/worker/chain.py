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


class ChainClient:
    """Reads views with eth_call and sends signed transactions to runtime modules by name."""

    def __init__(self, w3: AsyncWeb3, http_url: str, account, modules: dict):
        self.w3 = w3
        self.http_url = http_url.rstrip("/")
        self.account = account
        self.contracts = {name: w3.eth.contract(address=info["address"], abi=info["abi"])
                          for name, info in modules.items()}
        self.chain_id = None
        self._nonce = None
        self._lock = asyncio.Lock()
        self.http: aiohttp.ClientSession | None = None

    @classmethod
    async def connect(cls, url: str, private_key: str | bytes) -> "ChainClient":
        """`url` is the node's http:// URL; the WebSocket is the same port."""
        w3 = AsyncWeb3(WebSocketProvider(url.replace("http://", "ws://").replace("https://", "wss://"),
                                         request_timeout=60))
        await w3.provider.connect()
        response = await w3.provider.make_request("flock_modules", [])
        modules = {m["name"]: m for m in response["result"]}
        client = cls(w3, url, Account.from_key(private_key), modules)
        client.chain_id = await w3.eth.chain_id
        client.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        return client

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
        await self.w3.provider.disconnect()

    @property
    def address(self) -> str:
        return self.account.address

    # Reads

    async def view(self, module: str, name: str, *args):
        return await getattr(self.contracts[module].functions, name)(*args).call()

    async def task_status(self, task: int) -> TaskStatus:
        return TaskStatus(*await self.view("fl_alliance", "taskStatus", task))

    async def block_number(self) -> int:
        return await self.w3.eth.block_number

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

    # Heads

    async def heads(self):
        """Block numbers of new heads, as they arrive over the WebSocket subscription."""
        await self.w3.eth.subscribe("newHeads")
        async for message in self.w3.socket.process_subscriptions():
            yield int(message["result"]["number"], 16) if isinstance(message["result"]["number"], str) \
                else message["result"]["number"]

    # Blobs (spec/blobs.md)

    async def put_blob(self, data: bytes, task: int | None = None, round_: int | None = None) -> bytes:
        params = {} if task is None else {"task": str(task), "round": str(round_)}
        async with self.http.post(f"{self.http_url}/blobs", data=data, params=params,
                                  headers={"Content-Type": "application/octet-stream"}) as response:
            body = await response.json()
            if response.status not in (200, 201):
                raise ChainError(f"blob upload refused ({response.status}): {body.get('error')}")
            return bytes.fromhex(body["hash"][2:])

    async def get_blob(self, blob_hash: bytes) -> bytes:
        async with self.http.get(f"{self.http_url}/blobs/0x{blob_hash.hex()}") as response:
            if response.status == 404:
                raise BlobMissing(f"blob 0x{blob_hash.hex()} not found")
            if response.status != 200:
                raise ChainError(f"blob 0x{blob_hash.hex()} not available ({response.status})")
            data = await response.read()
        if keccak(data) != blob_hash:
            raise ChainError(f"the node served bytes that do not hash to 0x{blob_hash.hex()}")
        return data
