// ethers v6 against a real `flockchain dev`, written as a script author would write it:
// no flockchain-specific client code, only ethers and the ABIs the node publishes.
//
//   FLOCKCHAIN_RPC_URL=http://127.0.0.1:8545 node --test tests/rpc/ethers/
//
// The WebSocket endpoint is the same port (FLOCKCHAIN_WS_URL overrides it). Run by
// tests/rpc/test_ethers.py, which starts the node; the tests in this file share one chain
// and run in order.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  Contract, HDNodeWallet, JsonRpcProvider, Wallet, WebSocketProvider, formatEther, id, isCallException,
  parseEther, zeroPadValue,
} from "ethers";

const RPC_URL = process.env.FLOCKCHAIN_RPC_URL;
if (!RPC_URL) throw new Error("set FLOCKCHAIN_RPC_URL to a running flockchain dev node (e.g. http://127.0.0.1:8545)");
const WS_URL = process.env.FLOCKCHAIN_WS_URL ?? RPC_URL.replace(/^http/, "ws");

const CHAIN_ID = 31337n;
const MNEMONIC = "test test test test test test test test test test test junk";
const DEV_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const BALANCES_ADDRESS = "0x0000000000000000000000000000000000000801";
const TRANSFER_TOPIC = id("Transfer(address,address,uint256)");
const WAIT_MS = 15_000;

const devAccount = (i) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);

/** Reject after `ms` so a silent node fails the test instead of hanging it (`what`: text, or a function giving it). */
function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    const describe = typeof what === "function" ? what : () => what;
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${describe()}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

let provider;
let wallet;
let balances; // ethers Contract for the balances module, built from flock_modules' ABI
let moduleTransfer; // { receipt, to, amount } of the module call, for the log queries

before(async () => {
  // pollingInterval: tx.wait() and block polling check every 100 ms instead of ethers' default 4 s.
  // cacheTimeout -1: ethers otherwise answers a repeated identical request (the pending nonce,
  // eth_gasPrice) from a 250 ms cache, stale on a chain that seals as soon as a transaction arrives.
  provider = new JsonRpcProvider(RPC_URL, undefined, { pollingInterval: 100, cacheTimeout: -1 });
  wallet = new Wallet(DEV_KEY_0, provider);
});

after(() => provider?.destroy());

test("JsonRpcProvider connects to chain id 31337", async () => {
  const network = await provider.getNetwork();
  assert.equal(network.chainId, CHAIN_ID);
  assert.equal(await provider.send("eth_chainId", []), "0x7a69");
  assert.ok((await provider.getBlockNumber()) >= 0);
});

test("a Wallet from a dev key sends an EIP-1559 transfer and gets its receipt", async () => {
  const recipient = devAccount(1).address;
  const value = parseEther("1.5");
  const before = await provider.getBalance(recipient);
  const tx = await wallet.sendTransaction({ to: recipient, value });
  assert.equal(tx.type, 2, "ethers fills an EIP-1559 transaction when the node reports a base fee");
  assert.equal(tx.chainId, CHAIN_ID);
  assert.ok(tx.maxFeePerGas > 0n && tx.maxPriorityFeePerGas > 0n);
  const receipt = await within(WAIT_MS, tx.wait(), "the transfer's receipt");
  assert.equal(receipt.status, 1);
  assert.equal(receipt.hash, tx.hash);
  assert.equal(receipt.from, wallet.address);
  assert.equal(receipt.to, recipient);
  assert.equal(receipt.gasUsed, 21000n);
  assert.ok(receipt.gasPrice > 0n, "effectiveGasPrice");
  assert.equal(await provider.getBalance(recipient, receipt.blockNumber), before + value);

  const fetched = await provider.getTransaction(tx.hash);
  assert.equal(fetched.hash, tx.hash);
  assert.equal(fetched.type, 2);
  assert.equal(fetched.from, wallet.address);
  assert.equal(fetched.value, value);
  assert.equal(fetched.blockNumber, receipt.blockNumber);
  assert.equal(fetched.signature.r, tx.signature.r);

  // Read the block that holds it.
  const block = await provider.getBlock(receipt.blockNumber);
  assert.equal(block.hash, receipt.blockHash);
  assert.equal(block.number, receipt.blockNumber);
  assert.equal(typeof block.baseFeePerGas, "bigint", "baseFeePerGas present");
  assert.ok(block.baseFeePerGas > 0n);
  assert.ok(block.transactions.includes(tx.hash));
  assert.ok(block.timestamp > 0);
  const prefetched = await provider.getBlock(receipt.blockNumber, true);
  assert.equal(prefetched.prefetchedTransactions.find((t) => t.hash === tx.hash).value, value);
});

test("flock_modules publishes the balances module's ABI; an ethers Contract reads its views", async () => {
  const modules = await provider.send("flock_modules", []);
  const module = modules.find((m) => m.name === "balances");
  assert.ok(module, `no balances module in ${JSON.stringify(modules.map((m) => m.name))}`);
  assert.equal(module.address.toLowerCase(), BALANCES_ADDRESS);
  assert.notEqual(await provider.getCode(module.address), "0x", "module addresses have code, so tools treat them as contracts");
  balances = new Contract(module.address, module.abi, wallet);

  assert.equal(await balances.name(), "Flock");
  assert.equal(await balances.symbol(), "FLOCK");
  assert.equal(await balances.decimals(), 18n);
  const supply = await balances.totalSupply();
  assert.ok(supply >= 10n * parseEther("10000"), `totalSupply ${formatEther(supply)} covers the ten dev accounts`);
  const mine = await balances.balanceOf(wallet.address);
  assert.equal(mine, await provider.getBalance(wallet.address));
  assert.ok(mine > 0n);
});

test("the module call transfer(address,uint256) moves FLOCK and emits a decodable Transfer event", async () => {
  const to = Wallet.createRandom().address;
  const amount = parseEther("2");
  const tx = await balances.transfer(to, amount);
  assert.equal(tx.type, 2);
  assert.equal(tx.to, await balances.getAddress());
  const receipt = await within(WAIT_MS, tx.wait(), "the module call's receipt");
  assert.equal(receipt.status, 1);

  // ethers decodes the contract's own logs against its interface (EventLog) ...
  const logs = receipt.logs; // a getter building new objects on each read
  const events = logs.filter((log) => log.eventName === "Transfer");
  assert.equal(events.length, 1, `one Transfer event in ${logs.map((log) => log.topics[0])}`);
  assert.deepEqual([...events[0].args], [wallet.address, to, amount]);
  // ... and the interface parses the raw log the same way.
  const parsed = balances.interface.parseLog({ topics: events[0].topics, data: events[0].data });
  assert.equal(parsed.name, "Transfer");
  assert.equal(parsed.args.from, wallet.address);
  assert.equal(parsed.args.to, to);
  assert.equal(parsed.args.value, amount);
  assert.equal(events[0].topics[0], TRANSFER_TOPIC);

  assert.equal(await balances.balanceOf(to), amount);
  assert.equal(await provider.getBalance(to), amount);
  moduleTransfer = { receipt, to, amount };
});

test("a failing module call comes back as the custom error InsufficientBalance(uint256,uint256)", async () => {
  const available = await balances.balanceOf(wallet.address);
  const required = available + 1n;
  const to = devAccount(2).address;

  // eth_call (staticCall): ethers decodes the revert data with the contract's ABI.
  await assert.rejects(balances.transfer.staticCall(to, required), (error) => {
    assert.ok(isCallException(error), `expected CALL_EXCEPTION, got ${error.code}: ${error.message}`);
    assert.equal(error.revert?.name, "InsufficientBalance", `revert info: ${error.revert?.signature}`);
    assert.equal(error.revert.signature, "InsufficientBalance(uint256,uint256)");
    assert.deepEqual([...error.revert.args], [available, required]);
    const decoded = balances.interface.parseError(error.data);
    assert.equal(decoded.name, "InsufficientBalance");
    assert.equal(decoded.args.available, available);
    assert.equal(decoded.args.required, required);
    return true;
  });

  // Sending it: ethers estimates gas first, and the estimate fails with the same revert data.
  // (ethers decodes `revert` only for calls; for an estimate it reports "unknown custom error"
  // and leaves the data to the contract's interface, against any node.)
  await assert.rejects(balances.transfer(to, required), (error) => {
    assert.ok(isCallException(error), `expected CALL_EXCEPTION, got ${error.code}: ${error.message}`);
    assert.equal(error.action, "estimateGas");
    const decoded = balances.interface.parseError(error.data);
    assert.equal(decoded?.signature, "InsufficientBalance(uint256,uint256)", `revert data ${error.data}`);
    assert.deepEqual([...decoded.args], [available, required]);
    return true;
  });
  assert.equal(await balances.balanceOf(wallet.address), available, "nothing was sent");
});

test("provider.getLogs filters by address and topics", async () => {
  const { receipt, to, amount } = moduleTransfer;
  const range = { fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber };
  const logs = await provider.getLogs({
    ...range, address: BALANCES_ADDRESS,
    topics: [TRANSFER_TOPIC, zeroPadValue(wallet.address, 32), zeroPadValue(to, 32)],
  });
  assert.equal(logs.length, 1, JSON.stringify(logs));
  assert.equal(logs[0].transactionHash, receipt.hash);
  assert.equal(logs[0].blockHash, receipt.blockHash);
  assert.equal(balances.interface.parseLog(logs[0]).args.value, amount);

  const nobody = zeroPadValue(Wallet.createRandom().address, 32);
  assert.deepEqual(await provider.getLogs({ ...range, topics: [TRANSFER_TOPIC, null, nobody] }), []);
  const anyRecipient = await provider.getLogs({ ...range, topics: [TRANSFER_TOPIC, null, [nobody, zeroPadValue(to, 32)]] });
  assert.equal(anyRecipient.length, 1);

  // The same query through the contract's filter helpers.
  const queried = await balances.queryFilter(balances.filters.Transfer(wallet.address, to), receipt.blockNumber);
  assert.equal(queried.length, 1);
  assert.equal(queried[0].args.value, amount);
});

test("a WebSocketProvider subscription receives the block a transfer lands in", async () => {
  const ws = new WebSocketProvider(WS_URL);
  try {
    assert.equal((await ws.getNetwork()).chainId, CHAIN_ID);
    const start = await ws.getBlockNumber();
    const seen = [];
    let landed;
    const wanted = new Promise((resolve) => { landed = resolve; });
    let target = null;
    const check = () => { if (target !== null && seen.some((n) => n >= target)) landed(); };
    await ws.on("block", (number) => { seen.push(number); check(); });
    // ethers sends eth_subscribe without awaiting it; a later request's answer on the same socket
    // means the node has registered the subscription (it answers one connection's messages in order).
    await ws.send("eth_blockNumber", []);

    const tx = await wallet.sendTransaction({ to: devAccount(3).address, value: 1n });
    const receipt = await within(WAIT_MS, tx.wait(), "the transfer's receipt");
    target = receipt.blockNumber;
    check();
    await within(WAIT_MS, wanted, () => `a "block" event for block ${target} (seen ${JSON.stringify(seen)})`);
    assert.ok(seen.every((n) => n > start), `only new blocks: ${JSON.stringify(seen)} after ${start}`);
    const header = await ws.getBlock(target);
    assert.equal(header.hash, receipt.blockHash);
  } finally {
    await ws.removeAllListeners(); // sends eth_unsubscribe without awaiting it ...
    await ws.send("eth_blockNumber", []).catch(() => {}); // ... so let it be answered before closing
    await ws.destroy();
  }
});

test("provider.getFeeData gives EIP-1559 fees consistent with the next block's base fee", async () => {
  const fee = await provider.getFeeData();
  assert.equal(typeof fee.gasPrice, "bigint");
  assert.equal(typeof fee.maxFeePerGas, "bigint");
  assert.equal(typeof fee.maxPriorityFeePerGas, "bigint");
  assert.equal(fee.gasPrice, BigInt(await provider.send("eth_gasPrice", [])));
  assert.equal(fee.maxPriorityFeePerGas, BigInt(await provider.send("eth_maxPriorityFeePerGas", [])));
  const latest = await provider.getBlock("latest");
  assert.ok(fee.maxFeePerGas >= latest.baseFeePerGas + fee.maxPriorityFeePerGas,
    `maxFeePerGas ${fee.maxFeePerGas} covers base fee ${latest.baseFeePerGas} plus tip`);
});
