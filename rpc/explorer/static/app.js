// The explorer and FL dashboard: one page, hash routes, everything read through this node's JSON-RPC.
// Chain data is only ever inserted as text (el(), below), never as markup.
"use strict";

const { decodeValues, encodeValues, selectorOf, topicOf, toHex, fromHex, checksumAddress } = window.abi;
const UNIT = 10n ** 18n;
const EVALUATION_SCALE = 1e9;
const NO_ACCURACY = 2 ** 32 - 1;
const ROLE_NAMES = { 0: "training node", 1: "validator", 255: "none" };
const PROPOSAL_STATES = ["Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed"];
const PROVENANCES = ["unverified upload", "FL Alliance", "AI Arena"];
const OFFENCES = ["poisoned update", "false validation", "equivocation", "unavailability"];
const SLASH_STATUSES = ["pending", "cancelled", "applied"];
const ROUNDS_SHOWN = 20;
const PRESETS = [["Stake", "staking.bond"], ["Delegate", "staking.delegate"], ["Lock gmFLOCK", "gmflock.lock"],
  ["Vote", "governance.castVote"], ["Claim rewards", "rewards.claim"]];

// --- small helpers --------------------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const big = (value) => BigInt(value ?? 0);
const num = (value) => Number(big(value));
const hexOf = (n) => "0x" + BigInt(n).toString(16);
const short = (hash) => (hash && hash.length > 18 ? `${hash.slice(0, 10)}…${hash.slice(-6)}` : hash);

function flock(wei) {
  const value = big(wei);
  const whole = value / UNIT, fraction = (value % UNIT).toString().padStart(18, "0").slice(0, 4).replace(/0+$/, "");
  return `${whole.toLocaleString("en-US")}${fraction ? "." + fraction : ""} FLOCK`;
}

function age(timestamp) {
  if (!num(timestamp)) return "genesis";
  const seconds = Math.max(0, Math.round(Date.now() / 1000 - num(timestamp)));
  return seconds < 60 ? `${seconds}s ago` : seconds < 3600 ? `${Math.floor(seconds / 60)}m ago` : `${Math.floor(seconds / 3600)}h ago`;
}

const link = (href, text, attributes = {}) => el("a", { href, ...attributes }, text);
const blockLink = (number) => link(`#/block/${num(number)}`, `#${num(number)}`);
const txLink = (hash) => link(`#/tx/${hash}`, short(hash), { class: "mono", title: hash });
const taskLink = (task) => link(`#/fl/${num(task)}`, `task ${num(task)}`);

function addressLink(address) {
  if (!address) return el("span", { class: "muted" }, "—");
  const module = chain.byAddress[address.toLowerCase()];
  const checksummed = checksumAddress(address);
  return link(`#/address/${checksummed}`, module ? `${module.name} module` : short(checksummed), { class: "mono", title: checksummed });
}

function table(headers, rows, empty = "nothing yet") {
  if (!rows.length) return el("p", { class: "muted" }, empty);
  return el("table", {}, el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((cell) => el("td", {}, cell))))));
}

const fields = (pairs) => el("dl", { class: "fields" }, pairs.filter(Boolean).map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
const cards = (pairs) => el("div", { class: "cards" }, pairs.map(([k, v]) => el("div", { class: "card" }, el("b", {}, v), k)));
const tag = (text, kind = text) => el("span", { class: `tag ${kind}` }, text);

// --- JSON-RPC ---------------------------------------------------------------------------------------

class RpcError extends Error {
  constructor(method, error) {
    super(`${method}: ${error.message}`);
    this.data = error.data;
  }
}

let requestId = 0;
async function rpc(method, ...params) {
  const response = await fetch("/", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: ++requestId, method, params }) });
  const body = await response.json();
  if (body.error) throw new RpcError(method, body.error);
  return body.result;
}

const LOG_RANGE = 10_000;
/** eth_getLogs from genesis to the head, in ranges the node accepts (rpc/logs.py MAX_BLOCK_RANGE). */
async function allLogs(filter) {
  const head = num(await rpc("eth_blockNumber"));
  const ranges = [];
  for (let from = 0; from <= head; from += LOG_RANGE) ranges.push([from, Math.min(head, from + LOG_RANGE - 1)]);
  const chunks = await Promise.all(ranges.map(([from, to]) => rpc("eth_getLogs", { ...filter, fromBlock: hexOf(from), toBlock: hexOf(to) })));
  return chunks.flat();
}

// --- the modules' ABIs ----------------------------------------------------------------------------

const chain = { modules: {}, byAddress: {}, calls: {}, events: {}, errors: {}, chainId: null, dev: false, devAccounts: [] };

async function loadChain() {
  const [modules, chainId, accounts] = await Promise.all([rpc("flock_modules"), rpc("eth_chainId"),
    rpc("eth_accounts").catch(() => [])]);
  for (const module of modules) {
    chain.modules[module.name] = module;
    chain.byAddress[module.address.toLowerCase()] = module;
    for (const entry of module.abi) {
      if (entry.type === "function") chain.calls[`${module.address.toLowerCase()}:${selectorOf(entry)}`] = { module, entry };
      if (entry.type === "event") chain.events[`${module.address.toLowerCase()}:${topicOf(entry)}`] = { module, entry };
      if (entry.type === "error") chain.errors[selectorOf(entry)] = { module, entry };
    }
  }
  chain.chainId = num(chainId);
  chain.devAccounts = accounts;
  chain.dev = accounts.length > 0;
}

function functionOf(moduleName, name) {
  const module = chain.modules[moduleName];
  const entry = module && module.abi.find((e) => e.type === "function" && e.name === name);
  if (!entry) throw new Error(`no ${moduleName}.${name} in this runtime`);
  return { module, entry };
}

function encodeCall(moduleName, name, args) {
  const { module, entry } = functionOf(moduleName, name);
  const data = selectorOf(entry) + toHex(encodeValues(entry.inputs.map((i) => i.type), args));
  return { to: module.address, data };
}

async function view(moduleName, name, ...args) {
  const { entry } = functionOf(moduleName, name);
  const call = encodeCall(moduleName, name, args);
  const output = await rpc("eth_call", call, "latest");
  return decodeValues(entry.outputs.map((o) => o.type), fromHex(output));
}

function decodeCall(to, input) {
  if (!to || !input || input.length < 10) return null;
  const found = chain.calls[`${to.toLowerCase()}:${input.slice(0, 10)}`];
  if (!found) return null;
  try {
    const values = decodeValues(found.entry.inputs.map((i) => i.type), fromHex(input.slice(10)));
    return { module: found.module.name, name: found.entry.name, args: found.entry.inputs.map((i, k) => [i.name || `arg${k}`, values[k]]) };
  } catch (error) {
    return { module: found.module.name, name: found.entry.name, args: [["undecodable", error.message]] };
  }
}

function decodeLog(log) {
  try { return decodeKnownLog(log); } catch (error) { return null; }
}

function decodeKnownLog(log) {
  const found = chain.events[`${log.address.toLowerCase()}:${log.topics[0]}`];
  if (!found) return null;
  const inputs = found.entry.inputs;
  const indexed = inputs.filter((i) => i.indexed), plain = inputs.filter((i) => !i.indexed);
  const values = {};
  indexed.forEach((input, k) => {
    const topic = log.topics[k + 1];
    values[input.name] = /^(string|bytes|.*\])$/.test(input.type) ? topic : decodeValues([input.type], fromHex(topic))[0];
  });
  decodeValues(plain.map((i) => i.type), fromHex(log.data)).forEach((value, k) => { values[plain[k].name] = value; });
  return { module: found.module.name, name: found.entry.name, args: inputs.map((i) => [i.name, values[i.name]]) };
}

function decodeRevert(data) {
  if (!data || data.length < 10) return data ? `reverted (${data})` : "reverted without data";
  if (data.startsWith("0x08c379a0")) return `Error: ${decodeValues(["string"], fromHex(data.slice(10)))[0]}`;
  const found = chain.errors[data.slice(0, 10)];
  if (!found) return `reverted (${data})`;
  const values = decodeValues(found.entry.inputs.map((i) => i.type), fromHex(data.slice(10)));
  return `${found.module.name}.${found.entry.name}(${found.entry.inputs.map((i, k) => `${i.name}=${show(values[k])}`).join(", ")})`;
}

function show(value) {
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  return typeof value === "bigint" ? value.toString() : String(value);
}

function renderValue(value) {
  if (typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value)) return addressLink(value);
  if (Array.isArray(value)) return el("span", {}, "[", value.map((v, i) => [i ? ", " : "", renderValue(v)]), "]");
  return el("span", { class: "mono" }, show(value));
}

function renderDecoded(decoded) {
  return el("span", {}, el("b", {}, `${decoded.module}.${decoded.name}`), "(",
    decoded.args.map(([name, value], i) => [i ? ", " : "", el("span", { class: "muted" }, `${name}=`), renderValue(value)]), ")");
}

// --- live status --------------------------------------------------------------------------------

const listeners = new Set();
let headNumber = null;

async function refreshStatus(head) {
  headNumber = num(head);
  document.getElementById("head").textContent = `#${headNumber}`;
  const finalized = await rpc("eth_getBlockByNumber", "finalized", false).catch(() => null);
  document.getElementById("finalized").textContent = finalized ? `#${num(finalized.number)}` : "—";
  for (const listener of listeners) listener(headNumber);
}

const heads = { latest: null, running: false };

/** Heads can arrive by the thousand (evm_mine with many blocks): one status refresh at a time, for the newest. */
async function onHead(number) {
  heads.latest = number;
  if (heads.running) return;
  heads.running = true;
  try {
    while (heads.latest !== null) {
      const newest = heads.latest;
      heads.latest = null;
      await refreshStatus(newest);
    }
  } catch (error) {
    showTrouble();
  } finally {
    heads.running = false;
  }
}

function connectLive() {
  const live = document.getElementById("live");
  const socket = new WebSocket(`ws://${location.host}/`);
  socket.onopen = () => socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.id === 1 && message.result) { live.textContent = "live"; live.className = "on"; }
    if (message.method === "eth_subscription") onHead(message.params.result.number);
  };
  socket.onerror = () => {};
  socket.onclose = () => { live.textContent = "reconnecting"; live.className = "off"; setTimeout(connectLive, 2000); };
}

function showTrouble() {
  const live = document.getElementById("live");
  live.textContent = "node not answering";
  live.className = "off";
}

const refresh = { timer: null, running: false, stale: false, finished: 0, minimumMs: 1000 };

/** Re-render the page when heads arrive: at most one refresh at a time, `minimumMs` after the last ended. */
function rerenderOnHeads(minimumMs = 1000) {
  listeners.clear();
  Object.assign(refresh, { minimumMs, finished: Date.now() });
  listeners.add(() => { refresh.stale = true; scheduleRefresh(); });
}

function scheduleRefresh() {
  if (refresh.timer || refresh.running || !refresh.stale) return;
  refresh.timer = setTimeout(async () => {
    Object.assign(refresh, { timer: null, stale: false, running: true });
    try { await render(true); } finally { Object.assign(refresh, { running: false, finished: Date.now() }); }
    scheduleRefresh();
  }, Math.max(50, refresh.finished + refresh.minimumMs - Date.now()));
}

// --- pages ------------------------------------------------------------------------------------------

async function pageHome() {
  rerenderOnHeads();
  const head = num(await rpc("eth_blockNumber"));
  const numbers = [];
  for (let n = head; n >= Math.max(0, head - 14); n--) numbers.push(n);
  const [blocks, tasks, authorities] = await Promise.all([
    Promise.all(numbers.map((n) => rpc("eth_getBlockByNumber", hexOf(n), true))), rpc("flock_listTasks"),
    view("consensus", "authorities")]);
  const transactions = blocks.flatMap((b) => b.transactions).slice(0, 15);
  return [
    el("h1", {}, "Chain"),
    cards([["head", `#${head}`], ["validators", authorities[0].length], ["FL tasks running", tasks.filter((t) => t.status === "running").length],
      ["chain id", chain.chainId]]),
    el("h2", {}, "Latest blocks"),
    table(["block", "hash", "age", "transactions", "gas used", "author"], blocks.map((b) => [
      blockLink(b.number), el("span", { class: "mono" }, short(b.hash)), age(b.timestamp), b.transactions.length,
      num(b.gasUsed).toLocaleString("en-US"), addressLink(b.miner)])),
    el("h2", {}, "Latest transactions"),
    table(["hash", "block", "from", "to", "call"], transactions.map((tx) => {
      const decoded = decodeCall(tx.to, tx.input);
      return [txLink(tx.hash), blockLink(tx.blockNumber), addressLink(tx.from), addressLink(tx.to),
        decoded ? `${decoded.module}.${decoded.name}` : (big(tx.value) ? `transfer ${flock(tx.value)}` : "—")];
    }), "no transactions in these blocks"),
  ];
}

async function pageBlock(id) {
  const block = /^0x[0-9a-fA-F]{64}$/.test(id) ? await rpc("eth_getBlockByHash", id, true)
    : await rpc("eth_getBlockByNumber", hexOf(id), true);
  if (!block) return [el("h1", {}, "Block not found"), el("p", {}, `No block ${id} on this chain.`)];
  const number = num(block.number);
  return [
    el("h1", {}, `Block #${number}`),
    fields([["hash", el("span", { class: "mono" }, block.hash)],
      ["parent", number ? link(`#/block/${block.parentHash}`, block.parentHash, { class: "mono" }) : "—"],
      ["time", `${new Date(num(block.timestamp) * 1000).toISOString()} (${age(block.timestamp)})`],
      ["author", addressLink(block.miner)], ["gas used / limit", `${num(block.gasUsed).toLocaleString("en-US")} / ${num(block.gasLimit).toLocaleString("en-US")}`],
      ["base fee", block.baseFeePerGas ? `${num(block.baseFeePerGas)} wei` : "—"], ["state root", el("span", { class: "mono" }, block.stateRoot)],
      ["next", link(`#/block/${number + 1}`, `#${number + 1}`)]]),
    el("h2", {}, `Transactions (${block.transactions.length})`),
    table(["hash", "from", "to", "value", "call"], block.transactions.map((tx) => {
      const decoded = decodeCall(tx.to, tx.input);
      return [txLink(tx.hash), addressLink(tx.from), addressLink(tx.to), flock(tx.value), decoded ? `${decoded.module}.${decoded.name}` : "—"];
    }), "no transactions"),
  ];
}

async function revertReason(tx, receipt) {
  try {
    await rpc("eth_call", { from: tx.from, to: tx.to, data: tx.input, value: tx.value, gas: tx.gas }, hexOf(num(receipt.blockNumber) - 1));
    return "reverted (not reproduced on the parent state)";
  } catch (error) {
    try { return decodeRevert(error.data); } catch (undecodable) { return `reverted (${error.data})`; }
  }
}

async function pageTransaction(hash) {
  const [tx, receipt] = await Promise.all([rpc("eth_getTransactionByHash", hash), rpc("eth_getTransactionReceipt", hash)]);
  if (!tx) return [el("h1", {}, "Transaction not found"), el("p", {}, `No transaction ${hash} on this chain.`)];
  const decoded = decodeCall(tx.to, tx.input);
  const ok = receipt && num(receipt.status) === 1;
  const status = !receipt ? el("span", { class: "muted" }, "pending")
    : ok ? el("span", { class: "ok" }, "success") : el("span", { class: "fail" }, "failed: ", await revertReason(tx, receipt));
  const logs = receipt ? receipt.logs : [];
  return [
    el("h1", {}, "Transaction"),
    fields([["hash", el("span", { class: "mono", id: "tx-hash" }, tx.hash)], ["status", el("span", { id: "tx-status" }, status)],
      ["block", tx.blockNumber ? blockLink(tx.blockNumber) : "pending"], ["from", addressLink(tx.from)],
      ["to", addressLink(tx.to)], ["value", el("span", { id: "tx-value" }, flock(tx.value))], ["nonce", num(tx.nonce)],
      ["gas used", receipt ? num(receipt.gasUsed).toLocaleString("en-US") : "—"],
      ["call", el("span", { id: "tx-call" }, decoded ? renderDecoded(decoded) : (tx.input === "0x" ? "plain transfer" : el("span", { class: "mono" }, tx.input)))]]),
    el("h2", {}, `Events (${logs.length})`),
    table(["#", "event"], logs.map((log, i) => {
      const event = decodeLog(log);
      return [i, event ? renderDecoded(event) : el("span", { class: "mono" }, `${log.address} ${log.topics.join(" ")}`)];
    }), "no events"),
  ];
}

async function pageAddress(address) {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return [el("h1", {}, "Not an address"), el("p", {}, address)];
  const who = checksumAddress(address);
  const module = chain.byAddress[who.toLowerCase()];
  const [balance, nonce, role, stake, exposure, weight, unlocking, commission, pending, gm, lockCount, slashCount, delegatedLogs] =
    await Promise.all([rpc("eth_getBalance", who, "latest"), rpc("eth_getTransactionCount", who, "latest"),
      view("staking", "roleOf", who), view("staking", "stakeOf", who), view("staking", "exposureOf", who),
      view("staking", "weightOf", who), view("staking", "unlockingOf", who), view("staking", "commissionOf", who),
      view("rewards", "pendingRewards", who), view("gmflock", "balanceOf", who), view("gmflock", "lockCount", who),
      view("slashing", "slashCount"),
      allLogs({ address: chain.modules.staking.address,
        topics: [topicOf(chain.modules.staking.abi.find((e) => e.type === "event" && e.name === "Delegated")), "0x" + who.slice(2).toLowerCase().padStart(64, "0")] })]);
  const locks = await Promise.all(Array.from({ length: Math.min(num(lockCount[0]), 20) }, (_, i) => view("gmflock", "lockOf", who, i)));
  const nodes = [...new Set(delegatedLogs.map((log) => checksumAddress("0x" + log.topics[2].slice(-40))))];
  const delegations = await Promise.all(nodes.map((node) => view("staking", "delegationOf", who, node)));
  const total = num(slashCount[0]);
  const slashIds = Array.from({ length: Math.min(total, 200) }, (_, i) => total - 1 - i);
  const slashes = (await Promise.all(slashIds.map((id) => view("slashing", "slashOf", id).then((s) => [id, s]))))
    .filter(([, s]) => s[1].toLowerCase() === who.toLowerCase());
  return [
    el("h1", {}, module ? `${module.name} module` : "Account"),
    fields([["address", el("span", { class: "mono", id: "account-address" }, who)], ["balance", el("span", { id: "account-balance" }, flock(balance))],
      ["nonce", num(nonce)], ["role", ROLE_NAMES[num(role[0])] ?? num(role[0])], ["bonded", flock(stake[0])],
      ["exposure (own + delegated)", `${flock(exposure[0])} + ${flock(exposure[1])}`], ["weight (incl. gmFLOCK bonus)", flock(weight[0])],
      ["unlocking / withdrawable", `${flock(unlocking[0])} / ${flock(unlocking[1])}`],
      ["commission", `${(num(commission[0]) / 1e4).toFixed(2)}%`], ["pending rewards", flock(pending[0])], ["gmFLOCK", flock(gm[0])]]),
    el("h2", {}, "Delegations"),
    table(["node", "amount"], nodes.map((node, i) => [addressLink(node), flock(delegations[i][0])]), "no delegations"),
    el("h2", {}, "gmFLOCK locks"),
    table(["lock", "FLOCK", "gmFLOCK", "unlocks at", "unlocked"], locks.map((l, i) => [i, flock(l[0]), flock(l[1]),
      new Date(num(l[2]) * 1000).toISOString().slice(0, 10), l[3] ? "yes" : "no"]), "no locks"),
    el("h2", {}, "Slashes"),
    table(["slash", "offence", "status", "amount"], slashes.map(([id, s]) => [id, OFFENCES[num(s[0])] ?? num(s[0]),
      SLASH_STATUSES[num(s[6])] ?? num(s[6]), flock(s[8])]), "never slashed"),
  ];
}

async function pageValidators() {
  const [addresses, weights] = await view("consensus", "authorities");
  const rows = await Promise.all(addresses.map(async (who, i) => {
    const [stake, exposure, commission] = await Promise.all([view("staking", "stakeOf", who), view("staking", "exposureOf", who),
      view("staking", "commissionOf", who)]);
    return [addressLink(who), num(weights[i]).toLocaleString("en-US"), flock(stake[0]), flock(exposure[1]), `${(num(commission[0]) / 1e4).toFixed(2)}%`];
  }));
  return [el("h1", {}, "Validators"), el("p", { class: "muted" }, "The current authority set with the weight BABE and GRANDPA use."),
    table(["validator", "authority weight", "bonded", "delegated", "commission"], rows, "no validators")];
}

async function pageTasks() {
  rerenderOnHeads(2000);
  const tasks = await rpc("flock_listTasks");
  return [el("h1", {}, "FL Alliance tasks"),
    table(["task", "model", "dataset", "status", "round", "phase", "participants", "pool", "verified"], tasks.map((t) => [
      taskLink(t.id), t.model, t.dataset, tag(t.status), `${num(t.round)} / ${num(t.rounds)}`, t.phase ?? "—",
      t.participants.length, flock(t.poolBalance), t.verified ? "yes" : "no"]), "no FL tasks on this chain")];
}

function lossChart(points) {
  const box = el("div", { class: "chart", id: "loss-chart" });
  if (points.length < 1) { box.append(el("p", { class: "muted" }, "No evaluation reported yet.")); return box; }
  const width = 800, height = 260, left = 56, right = 16, top = 16, bottom = 32;
  const xs = points.map((p) => p.round), ys = points.map((p) => p.loss);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  const [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  const pad = (yMax - yMin) * 0.1 || Math.abs(yMax) * 0.1 || 1;
  const [y0, y1] = [yMin - pad, yMax + pad];
  const px = (x) => left + ((x - x0) / (x1 - x0)) * (width - left - right);
  const py = (y) => top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const add = (name, attributes, text) => {
    const node = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
  };
  for (let i = 0; i <= 4; i++) {
    const y = y0 + ((y1 - y0) * i) / 4;
    add("line", { class: "grid", x1: left, x2: width - right, y1: py(y), y2: py(y) });
    add("text", { x: 4, y: py(y) + 4 }, y.toFixed(4));
  }
  add("line", { class: "axis", x1: left, x2: width - right, y1: height - bottom, y2: height - bottom });
  add("text", { x: left, y: height - 8 }, `round ${x0}`);
  add("text", { x: width - right - 70, y: height - 8 }, `round ${Math.max(...xs)}`);
  add("polyline", { class: "line", points: points.map((p) => `${px(p.round)},${py(p.loss)}`).join(" ") });
  for (const p of points.slice(-60)) add("circle", { cx: px(p.round), cy: py(p.loss), r: 2.5, "data-round": p.round });
  box.append(el("div", { class: "muted" }, "Global model's test loss per round (reported by the task's creator, evaluationOf)"), svg);
  return box;
}

async function evaluations(task) {
  const module = chain.modules.fl_alliance;
  const entry = module.abi.find((e) => e.type === "event" && e.name === "EvaluationReported");
  const logs = await allLogs({ address: module.address, topics: [topicOf(entry), "0x" + BigInt(task).toString(16).padStart(64, "0")] });
  return logs.map((log) => {
    const [loss, accuracy] = decodeValues(["uint64", "uint32"], fromHex(log.data));
    return { round: Number(BigInt(log.topics[2])), loss: Number(loss) / EVALUATION_SCALE,
      accuracy: accuracy === 0xffffffffn ? null : Number(accuracy) / 1e6 };
  });
}

async function penalties(task) {
  const module = chain.modules.fl_alliance;
  const entry = module.abi.find((e) => e.type === "event" && e.name === "Penalized");
  const logs = await allLogs({ address: module.address, topics: [topicOf(entry), "0x" + BigInt(task).toString(16).padStart(64, "0")] });
  return logs.map((log) => ({ round: Number(BigInt(log.topics[2])), offender: checksumAddress("0x" + log.topics[3].slice(-40)),
    kind: OFFENCES[Number(decodeValues(["uint8"], fromHex(log.data.slice(0, 66)))[0])] }));
}

async function pageTask(id) {
  rerenderOnHeads(1500);
  const task = await rpc("flock_getTask", hexOf(id));
  if (!task) return [el("h1", {}, "Task not found"), el("p", {}, `No FL Alliance task ${id}.`)];
  const current = num(task.round), last = task.status === "finished" ? current : current - 1;
  const shown = [];
  for (let r = last; r >= Math.max(0, last - ROUNDS_SHOWN + 1); r--) shown.push(r);
  const [rounds, points, offences] = await Promise.all([Promise.all(shown.map((r) => rpc("flock_getRound", hexOf(id), hexOf(r)))),
    evaluations(id), penalties(id)]);
  const latest = points.length ? points[points.length - 1] : null;
  return [
    el("h1", {}, `FL Alliance task ${id}`),
    cards([["status", task.status], ["round", `${current} / ${num(task.rounds)}`], ["phase", task.phase ?? "—"],
      ["participants", task.participants.length], ["latest test loss", latest ? latest.loss.toFixed(4) : "—"],
      ["rounds with a new model", num(task.roundsWithNewModel)]]),
    lossChart(points),
    fields([["model", task.model], ["dataset", task.dataset], ["creator", addressLink(task.creator)], ["pool", el("span", {}, `${flock(task.poolBalance)} (`, addressLink(task.pool), ")")],
      ["proposers / voters per round", `${num(task.proposersPerRound)} / ${num(task.votersPerRound)}`], ["minimum stake", flock(task.minStake)],
      ["global model", el("span", { class: "mono" }, task.globalModel)], ["verified (earns emissions)", task.verified ? "yes" : "no"]]),
    el("h2", {}, "Rounds"),
    table(["round", "status", "proposers", "voters", "updates", "slashed", "test loss", "reward"], rounds.filter(Boolean).map((r) => {
      const round = num(r.round);
      const point = points.find((p) => p.round === round);
      const slashed = offences.filter((o) => o.round === round);
      return [link(`#/fl/${id}/${round}`, `round ${round}`), tag(r.status), r.proposers.length, r.voters.length,
        r.updates.map((u) => tag(u.outcome ?? "unrevealed", u.outcome ?? "")),
        slashed.length ? slashed.map((o) => tag(o.kind, "slashed")) : "—", point ? point.loss.toFixed(4) : "—", flock(r.reward)];
    }), "no round has ended yet"),
  ];
}

const SCORE_SCALE = 1e6, SCORE_UNUSABLE = 2 ** 32 - 1;

/** A voter's score of an update (its loss ÷ the global model's, × 10⁶) as a ratio; the worst score as "unusable". */
function score(value, label = "") {
  const n = num(value);
  const text = n === SCORE_UNUSABLE ? "unusable" : (n / SCORE_SCALE).toFixed(3);
  return tag(`${label}${text}`, n < SCORE_SCALE ? "accepted" : n >= 3 * SCORE_SCALE ? "poisoned" : "rejected");
}

async function pageRound(id, round) {
  const [r, offences] = await Promise.all([rpc("flock_getRound", hexOf(id), hexOf(round)), penalties(id)]);
  if (!r) return [el("h1", {}, "Round not found"), el("p", {}, `Task ${id} has no round ${round}.`)];
  const member = (m, role) => [addressLink(m.address), role, flock(m.stake),
    m.updateHash ? el("span", { class: "mono" }, short(m.updateHash)) : (m.updateCommitment ? "committed" : "—"),
    m.scores === null ? (m.scoreCommitment ? "committed" : "—")
      : m.scores.map((s, i) => r.updates[i] && r.updates[i].proposer === m.address ? "" : score(s, `#${i} `)),
    m.aggregate ? [el("span", { class: "mono" }, short(m.aggregate)), " ", score(m.aggregateScore)] : "—"];
  return [
    el("h1", {}, "Task ", taskLink(id), `, round ${round}`),
    fields([["status", tag(r.status)], ["ended in block", r.endBlock ? blockLink(r.endBlock) : "running"],
      ["global model after the round", r.globalModel ? el("span", { class: "mono" }, r.globalModel) : "—"], ["reward", flock(r.reward)],
      ["creator's evaluation", r.evaluation ? `test loss ${(num(r.evaluation.loss) / EVALUATION_SCALE).toFixed(4)}` +
        (r.evaluation.accuracy !== null ? `, accuracy ${(num(r.evaluation.accuracy) / 1e4).toFixed(2)}%` : "") : "not reported"]]),
    el("h2", {}, "Members"),
    table(["member", "role", "stake at draw", "update", "scores (loss ÷ global model's; below 1 improves)", "aggregate, its score"],
      [...r.proposers.map((m) => member(m, "proposer")), ...r.voters.map((m) => member(m, "voter"))]),
    el("h2", {}, "Updates and tally"),
    table(["#", "proposer", "update", "outcome", "consensus score", "stake scoring it"], r.updates.map((u, i) => [
      i, addressLink(u.proposer), el("span", { class: "mono" }, short(u.updateHash)), tag(u.outcome ?? "—", u.outcome ?? ""),
      u.votingStake !== null && big(u.votingStake) > 0n
        ? (u.lowScore === u.highScore ? score(u.lowScore) : [score(u.lowScore), " – ", score(u.highScore)]) : "—",
      u.votingStake ? flock(u.votingStake) : "—"])),
    el("h2", {}, "Slashes"),
    table(["offender", "offence"], offences.filter((o) => o.round === round).map((o) => [addressLink(o.offender), tag(o.kind, "slashed")]), "none"),
  ];
}

async function pageArena(id) {
  if (id === undefined) {
    const tasks = await rpc("flock_listArenaTasks");
    return [el("h1", {}, "AI Arena tasks"), table(["task", "model", "phase", "validators per submission", "pot", "verified"], tasks.map((t) => [
      link(`#/arena/${num(t.id)}`, `arena task ${num(t.id)}`), t.model, t.phase, num(t.validatorsPerSubmission), flock(t.potBalance), t.verified ? "yes" : "no"]),
    "no AI Arena tasks on this chain")];
  }
  const task = await rpc("flock_getArenaTask", hexOf(id));
  if (!task) return [el("h1", {}, "Arena task not found")];
  const ranked = [...task.submissions].sort((a, b) => (a.rank ? num(a.rank) : 1e9) - (b.rank ? num(b.rank) : 1e9));
  return [el("h1", {}, `AI Arena task ${id}: leaderboard`),
    fields([["model", task.model], ["phase", task.phase], ["creator", addressLink(task.creator)], ["pot", flock(task.potBalance)]]),
    el("h2", {}, "Leaderboard"),
    table(["rank", "trainer", "model", "consensus loss", "reward"], ranked.map((s) => [s.rank ? num(s.rank) : "—", addressLink(s.trainer),
      el("span", { class: "mono" }, short(s.modelHash)), s.consensusLoss ? (num(s.consensusLoss) / EVALUATION_SCALE).toFixed(4) : "—", flock(s.reward)]),
    "no submissions"),
    el("h2", {}, "Validators"),
    table(["validator", "weight", "assigned", "agreement", "reward"], task.validators.map((v) => [addressLink(v.address), flock(v.weight),
      v.assignment.length, num(v.agreement), flock(v.reward)]), "no validators")];
}

async function pageMarket() {
  const count = num((await view("marketplace", "modelCount"))[0]);
  const models = await Promise.all(Array.from({ length: count }, async (_, id) => {
    const [owner, name, kind, versions] = await view("marketplace", "model", id);
    const [latest, hosts] = await Promise.all([num(versions) ? view("marketplace", "version", id, 0) : null, view("marketplace", "hosts", id)]);
    const hostRows = await Promise.all(hosts[0].map(async (host) => {
      const [record, health] = await Promise.all([view("marketplace", "host", id, host), view("marketplace", "health", id, host)]);
      return [String(id), addressLink(host), record[5], flock(record[1]), flock(record[0]), health[5] ? tag("penalised", "slashed") : tag("listed", "accepted")];
    }));
    return { row: [String(id), name, kind, addressLink(owner), num(versions),
      latest ? `${PROVENANCES[num(latest[1])]}${num(latest[4]) ? `, loss ${(num(latest[4]) / EVALUATION_SCALE).toFixed(4)}` : ""}${
        num(latest[8]) !== NO_ACCURACY ? `, accuracy ${(num(latest[8]) / 1e4).toFixed(1)}%` : ""}` : "—"], hostRows };
  }));
  return [el("h1", {}, "Marketplace"), el("h2", {}, "Models"),
    table(["id", "name", "kind", "owner", "versions", "latest version"], models.map((m) => m.row), "no models published"),
    el("h2", {}, "Hosts"),
    table(["model", "host", "endpoint", "price per request", "stake", "health"], models.flatMap((m) => m.hostRows), "no hosts")];
}

async function pageGovernance() {
  const module = chain.modules.governance;
  const entry = module.abi.find((e) => e.type === "event" && e.name === "ProposalCreated");
  const logs = await allLogs({ address: module.address, topics: [topicOf(entry)] });
  const rows = await Promise.all(logs.reverse().map(async (log) => {
    const event = decodeLog(log);
    const values = Object.fromEntries(event.args);
    const id = values.proposalId;
    const [state, votes] = await Promise.all([view("governance", "state", id), view("governance", "proposalVotes", id)]);
    return [el("span", { class: "mono", title: id.toString() }, short(hexOf(id))), values.description, addressLink(values.proposer),
      PROPOSAL_STATES[num(state[0])], `${flock(votes[1])} for, ${flock(votes[0])} against, ${flock(votes[2])} abstain`,
      link(`#/wallet/governance.castVote/${id}`, "vote")];
  }));
  return [el("h1", {}, "Governance proposals"),
    table(["proposal", "description", "proposer", "state", "votes", ""], rows, "no proposals yet")];
}

// --- wallet actions ---------------------------------------------------------------------------------

const wallet = { provider: null, account: null, label: "" };

function parseInput(type, text) {
  if (/\[\d*\]$/.test(type)) {
    const inner = type.replace(/\[\d*\]$/, "");
    const items = text.trim().startsWith("[") ? JSON.parse(text) : text.split(",").map((s) => s.trim()).filter(Boolean);
    return items.map((item) => parseInput(inner, String(item)));
  }
  return text.trim();
}

function toWei(text) {
  const [whole, fraction = ""] = String(text || "0").trim().split(".");
  if (!/^\d*$/.test(whole) || !/^\d*$/.test(fraction) || fraction.length > 18) throw new Error(`not an amount of FLOCK: ${text}`);
  return BigInt(whole || "0") * UNIT + BigInt(fraction.padEnd(18, "0") || "0");
}

async function waitForReceipt(hash) {
  for (let i = 0; i < 120; i++) {
    const receipt = await rpc("eth_getTransactionReceipt", hash);
    if (receipt) return receipt;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`no receipt for ${hash} after a minute`);
}

function accountPicker(onChange) {
  const box = el("div", { class: "action" });
  const use = (provider, account, label) => { Object.assign(wallet, { provider, account, label }); onChange(); };
  if (window.ethereum) {
    const refusal = el("span", { class: "error" });
    box.append(el("button", { type: "button", id: "connect-wallet", onclick: async () => {
      try {
        const accounts = await window.ethereum.request({ method: "eth_requestAccounts" });
        use(window.ethereum, checksumAddress(accounts[0]), "injected wallet");
      } catch (error) {
        refusal.textContent = ` The wallet did not connect: ${error.message}`;
      }
    } }, "Connect wallet"), refusal, " ");
  } else {
    box.append(el("p", { class: "muted" }, "No injected wallet (EIP-1193, e.g. MetaMask) on this page."));
  }
  if (chain.dev) {
    const select = el("select", { id: "dev-account", onchange: () => use(devProvider, checksumAddress(select.value), "dev account") },
      el("option", { value: "" }, "a dev account…"), chain.devAccounts.map((a, i) => el("option", { value: a }, `(${i}) ${a}`)));
    box.append(el("label", {}, "Dev chain: ", select));
  }
  return box;
}

const devProvider = { request: ({ method, params }) => rpc(method, ...(params || [])) };

async function pageWallet(preset, firstArgument) {
  listeners.clear();
  const page = el("div");
  const callables = Object.values(chain.modules).flatMap((m) => m.abi.filter((e) => e.type === "function" && e.stateMutability !== "view"
    && e.name !== "setParameter").map((e) => [`${m.name}.${e.name}`, m, e]));
  const draw = () => {
    const chosen = callables.find(([key]) => key === (preset || "staking.bond")) || callables[0];
    const [key, module, entry] = chosen;
    const inputs = entry.inputs.map((input, i) => el("input", { name: `arg${i}`, placeholder: input.type, value: i === 0 && firstArgument ? firstArgument : "" }));
    const value = entry.stateMutability === "payable" ? el("input", { name: "value", placeholder: "0", value: "" }) : null;
    const result = el("div", { id: "action-result" });
    const form = el("form", { class: "action", id: "action-form", onsubmit: async (event) => {
      event.preventDefault();
      result.replaceChildren("Sending…");
      try {
        if (!wallet.account) throw new Error("pick an account first");
        const args = entry.inputs.map((input, i) => parseInput(input.type, inputs[i].value));
        const data = selectorOf(entry) + toHex(encodeValues(entry.inputs.map((input) => input.type), args));
        const tx = { from: wallet.account, to: module.address, data, value: hexOf(value ? toWei(value.value) : 0n) };
        const hash = await wallet.provider.request({ method: "eth_sendTransaction", params: [tx] });
        result.replaceChildren("Sent ", txLink(hash), ", waiting for its block…");
        const receipt = await waitForReceipt(hash);
        result.replaceChildren(num(receipt.status) === 1 ? el("span", { class: "ok" }, "Done: ") : el("span", { class: "fail" }, "Failed: "), txLink(hash));
      } catch (error) {
        result.replaceChildren(el("span", { class: "error" }, error.message));
      }
    } },
    el("label", {}, "Call", el("select", { id: "action-call", onchange: (event) => { preset = event.target.value; firstArgument = null; draw(); } },
      callables.map(([k]) => el("option", { value: k, selected: k === key }, k)))),
    entry.inputs.map((input, i) => el("label", {}, `${input.name || `arg${i}`} (${input.type})`, inputs[i])),
    value ? el("label", {}, "Value (FLOCK)", value) : null,
    el("button", { type: "submit" }, "Send"), result);
    page.replaceChildren(
      el("h1", {}, "Wallet"),
      el("p", {}, wallet.account ? ["Acting as ", addressLink(wallet.account), ` (${wallet.label})`] : "No account chosen."),
      accountPicker(draw),
      el("p", {}, PRESETS.map(([label, call]) => [link(`#/wallet/${call}`, label), " · "])),
      form);
  };
  draw();
  return [page];
}

// --- routing and search ----------------------------------------------------------------------------

async function route(parts) {
  const [section, a, b] = parts;
  switch (section) {
    case "": case undefined: return pageHome();
    case "block": return pageBlock(a);
    case "tx": return pageTransaction(a);
    case "address": return pageAddress(a);
    case "validators": return pageValidators();
    case "fl": return a === undefined ? pageTasks() : b === undefined ? pageTask(Number(a)) : pageRound(Number(a), Number(b));
    case "arena": return pageArena(a === undefined ? undefined : Number(a));
    case "market": return pageMarket();
    case "governance": return pageGovernance();
    case "wallet": return pageWallet(a, b);
    default: return [el("h1", {}, "Not found"), el("p", {}, `No page ${location.hash}.`)];
  }
}

let renderCount = 0;
async function render(isRefresh = false) {
  const page = document.getElementById("page");
  const ticket = ++renderCount;
  if (!isRefresh) { listeners.clear(); clearTimeout(refresh.timer); Object.assign(refresh, { timer: null, stale: false }); }
  try {
    const content = await route(location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent).filter((p, i) => p !== "" || i === 0));
    if (ticket !== renderCount) return;
    const scroll = window.scrollY;
    page.replaceChildren(...content);
    if (isRefresh) window.scrollTo(0, scroll);
  } catch (error) {
    if (isRefresh) showTrouble();  // keep what the page showed
    else if (ticket === renderCount) page.replaceChildren(el("h1", {}, "Could not load this page"), el("p", { class: "error" }, error.message));
  }
}

async function search(text) {
  const query = text.trim();
  let match;
  if (/^\d+$/.test(query)) return `#/block/${query}`;
  if ((match = query.match(/^(?:task\s*|#)(\d+)$/i))) return `#/fl/${match[1]}`;
  if (/^0x[0-9a-fA-F]{40}$/.test(query)) return `#/address/${query}`;
  if (/^0x[0-9a-fA-F]{64}$/.test(query)) return (await rpc("eth_getTransactionByHash", query)) ? `#/tx/${query}` : `#/block/${query}`;
  return null;
}

async function start() {
  document.getElementById("search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("query");
    const target = await search(input.value).catch(() => null);
    if (target) { location.hash = target; input.value = ""; } else input.setCustomValidity("a block number, hash, address or 'task N'");
    input.reportValidity();
    input.setCustomValidity("");
  });
  try {
    await loadChain();
  } catch (error) {
    document.getElementById("page").replaceChildren(el("h1", {}, "This node does not answer"), el("p", { class: "error" }, error.message));
    return;
  }
  document.getElementById("chain-id").textContent = String(chain.chainId) + (chain.dev ? " (dev)" : "");
  window.addEventListener("hashchange", () => render());
  connectLive();
  render();
  rpc("eth_blockNumber").then(onHead).catch(showTrouble);
}

start();
