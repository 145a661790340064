// Keccak-256 and the Solidity ABI, as much as the modules' ABIs use (flock_modules): enough for the
// explorer to name calls, events and errors and to call views, with no library.
(() => {
"use strict";

const KECCAK_ROUNDS = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n, 0x000000000000808bn,
  0x0000000080000001n, 0x8000000080008081n, 0x8000000000008009n, 0x000000000000008an, 0x0000000000000088n,
  0x0000000080008009n, 0x000000008000000an, 0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n,
  0x8000000000008003n, 0x8000000000008002n, 0x8000000000000080n, 0x000000000000800an, 0x800000008000000an,
  0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n];
const KECCAK_ROTATIONS = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56],
  [27, 20, 39, 8, 14]];  // [x][y]
const LANE = (1n << 64n) - 1n;

function rotateLane(value, bits) {
  return bits === 0 ? value : ((value << BigInt(bits)) | (value >> BigInt(64 - bits))) & LANE;
}

function keccakPermute(s) {
  for (const roundConstant of KECCAK_ROUNDS) {
    const c = [0, 1, 2, 3, 4].map((x) => s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20]);
    for (let x = 0; x < 5; x++) {
      const d = c[(x + 4) % 5] ^ rotateLane(c[(x + 1) % 5], 1);
      for (let y = 0; y < 5; y++) s[x + 5 * y] ^= d;
    }
    const b = new Array(25);
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) b[y + 5 * ((2 * x + 3 * y) % 5)] = rotateLane(s[x + 5 * y], KECCAK_ROTATIONS[x][y]);
    }
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) {
        s[x + 5 * y] = b[x + 5 * y] ^ ((~b[(x + 1) % 5 + 5 * y] & LANE) & b[(x + 2) % 5 + 5 * y]);
      }
    }
    s[0] ^= roundConstant;
  }
}

function keccak256(bytes) {
  const rate = 136;
  const state = new Array(25).fill(0n);
  const padded = new Uint8Array(Math.ceil((bytes.length + 1) / rate) * rate);
  padded.set(bytes);
  padded[bytes.length] ^= 0x01;
  padded[padded.length - 1] ^= 0x80;
  for (let offset = 0; offset < padded.length; offset += rate) {
    for (let i = 0; i < rate / 8; i++) {
      let lane = 0n;
      for (let b = 7; b >= 0; b--) lane = (lane << 8n) | BigInt(padded[offset + 8 * i + b]);
      state[i] ^= lane;
    }
    keccakPermute(state);
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 4; i++) {
    let lane = state[i];
    for (let b = 0; b < 8; b++) { out[8 * i + b] = Number(lane & 0xffn); lane >>= 8n; }
  }
  return out;
}

const utf8 = (text) => new TextEncoder().encode(text);
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

function fromHex(text) {
  const digits = String(text).replace(/^0x/i, "");
  if (digits.length % 2 || /[^0-9a-f]/i.test(digits)) throw new Error(`not hex: ${text}`);
  return Uint8Array.from(digits.match(/../g) || [], (pair) => parseInt(pair, 16));
}

function checksumAddress(address) {
  const lower = String(address).toLowerCase().replace(/^0x/, "");
  const hash = toHex(keccak256(utf8(lower)));
  return "0x" + Array.from(lower, (ch, i) => (parseInt(hash[i], 16) >= 8 ? ch.toUpperCase() : ch)).join("");
}

const signatureOf = (entry) => `${entry.name}(${entry.inputs.map((input) => input.type).join(",")})`;
const selectorOf = (entry) => "0x" + toHex(keccak256(utf8(signatureOf(entry))).slice(0, 4));
const topicOf = (entry) => "0x" + toHex(keccak256(utf8(signatureOf(entry))));

// Types: uintN, intN, address, bool, bytesN, bytes, string, T[], T[k] (no tuples appear in the modules' ABIs).
const ARRAY = /^(.*)\[(\d*)\]$/;

function isDynamic(type) {
  const array = type.match(ARRAY);
  if (array) return array[2] === "" || isDynamic(array[1]);
  return type === "string" || type === "bytes";
}

function headSize(type) {
  const array = type.match(ARRAY);
  if (array && !isDynamic(type)) return Number(array[2]) * headSize(array[1]);
  return 32;
}

function readWord(data, at) {
  if (at < 0 || at + 32 > data.length) throw new Error("ABI data too short");
  return BigInt("0x" + toHex(data.slice(at, at + 32)));
}

function readLength(data, at) {
  const value = readWord(data, at);
  if (value > BigInt(data.length)) throw new Error("ABI length or offset out of range");
  return Number(value);
}

function decodeValues(types, data, base = 0, budget = { left: 4 * data.length + 4096 }) {
  // Offsets may point elements at the same tail, so a short input could decode to gigabytes: each element and
  // each byte decoded spends from a budget of four times the input.
  budget.left -= 32 * types.length;
  if (budget.left < 0) throw new Error("ABI data decodes to far more than its length (overlapping offsets)");
  let head = base;
  return types.map((type) => {
    const value = isDynamic(type) ? decodeOne(type, data, base + readLength(data, head), budget) : decodeOne(type, data, head, budget);
    head += isDynamic(type) ? 32 : headSize(type);
    return value;
  });
}

function decodeOne(type, data, at, budget) {
  const array = type.match(ARRAY);
  if (array) {
    if (array[2] === "") return decodeValues(Array(readLength(data, at)).fill(array[1]), data, at + 32, budget);
    return decodeValues(Array(Number(array[2])).fill(array[1]), data, at, budget);
  }
  if (type === "string" || type === "bytes") {
    const length = readLength(data, at);
    if (at + 32 + length > data.length) throw new Error("ABI data too short");
    budget.left -= length;
    if (budget.left < 0) throw new Error("ABI data decodes to far more than its length (overlapping offsets)");
    const bytes = data.slice(at + 32, at + 32 + length);
    return type === "string" ? new TextDecoder().decode(bytes) : "0x" + toHex(bytes);
  }
  const word = readWord(data, at);
  if (type === "address") return checksumAddress(toHex(data.slice(at + 12, at + 32)));
  if (type === "bool") return word !== 0n;
  if (type.startsWith("uint")) return word;
  if (type.startsWith("int")) return BigInt.asIntN(Number(type.slice(3) || 256), word);
  if (type.startsWith("bytes")) return "0x" + toHex(data.slice(at, at + Number(type.slice(5))));
  throw new Error(`unsupported ABI type ${type}`);
}

function concatBytes(parts) {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

function word(value) {
  let n = BigInt(value);
  if (n < 0n) n = BigInt.asUintN(256, n);
  return fromHex(n.toString(16).padStart(64, "0"));
}

const padRight = (bytes) => concatBytes([bytes, new Uint8Array((32 - (bytes.length % 32)) % 32)]);

function encodeValues(types, values) {
  if (types.length !== values.length) throw new Error(`expected ${types.length} values, got ${values.length}`);
  const heads = [], tails = [];
  let tailOffset = types.reduce((n, type) => n + (isDynamic(type) ? 32 : headSize(type)), 0);
  types.forEach((type, i) => {
    const encoded = encodeOne(type, values[i]);
    if (isDynamic(type)) {
      heads.push(word(tailOffset));
      tails.push(encoded);
      tailOffset += encoded.length;
    } else {
      heads.push(encoded);
    }
  });
  return concatBytes([...heads, ...tails]);
}

function encodeOne(type, value) {
  const array = type.match(ARRAY);
  if (array) {
    if (!Array.isArray(value)) throw new Error(`${type} needs a list`);
    if (array[2] === "") return concatBytes([word(value.length), encodeValues(Array(value.length).fill(array[1]), value)]);
    if (value.length !== Number(array[2])) throw new Error(`${type} needs ${array[2]} values`);
    return encodeValues(Array(value.length).fill(array[1]), value);
  }
  if (type === "string" || type === "bytes") {
    const bytes = type === "string" ? utf8(String(value)) : fromHex(value);
    return concatBytes([word(bytes.length), padRight(bytes)]);
  }
  if (type === "address") {
    if (!/^0x[0-9a-fA-F]{40}$/.test(String(value))) throw new Error(`not an address: ${value}`);
    return word(BigInt(value));
  }
  if (type === "bool") {
    if (![true, false, "true", "false", "1", "0"].includes(value)) throw new Error(`bool needs true or false, not ${JSON.stringify(value)}`);
    return word(value === true || value === "true" || value === "1" ? 1 : 0);
  }
  if (type.startsWith("uint")) {
    if (typeof value === "string" && !/^\s*(\d+|0x[0-9a-fA-F]+)\s*$/.test(value)) throw new Error(`${type} needs a number, not ${JSON.stringify(value)}`);
    const n = BigInt(value);
    if (n < 0n || n >= 1n << BigInt(Number(type.slice(4) || 256))) throw new Error(`${value} does not fit ${type}`);
    return word(n);
  }
  if (type.startsWith("bytes")) {
    const bytes = fromHex(value);
    if (bytes.length !== Number(type.slice(5))) throw new Error(`${type} needs ${type.slice(5)} bytes`);
    return padRight(bytes);
  }
  throw new Error(`unsupported ABI type ${type}`);
}

window.abi = { keccak256, utf8, toHex, fromHex, checksumAddress, signatureOf, selectorOf, topicOf, decodeValues,
               encodeValues };
})();
