"""Ethereum's hexary Merkle Patricia trie (Yellow Paper, appendix D), built for batches.

Roots, node encodings and proofs are bit-identical to ``trie.HexaryTrie`` (py-trie), the
reference this module is tested against. What differs is the write path: updates are
buffered and applied once per ``commit`` as a sorted batch that walks each touched node a
single time, and every dirty node is RLP-encoded and hashed exactly once per commit. The
upper levels of the trie stay decoded in memory between commits (a depth-bounded cache),
so the hot top of the tree is not re-read from the store every block.

Paths are kept as lowercase hex strings (one character per nibble): slicing, prefix
tests and hex-prefix encoding then run in C (``str.startswith``, ``bytes.fromhex``).

A child reference ("fragment") is the exact RLP item a parent embeds for it: ``0x80``
for an empty slot, ``0xa0 || keccak(child)`` for a hashed child, or the child's own
encoding when that is shorter than 32 bytes (an inline node). Unresolved children are
held as fragments, so encoding a parent is a ``b"".join`` of its children's fragments.

Pure and deterministic: node storage is injected (anything with ``.get(hash)``), and no
result depends on time, randomness or the order of unordered collections.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping

from .crypto import keccak256

__all__ = [
    "EMPTY_ROOT",
    "InvalidProof",
    "MissingNode",
    "Trie",
    "TrieError",
    "compute_ordered_trie_root",
    "verify_proof",
]


EMPTY_ROOT: bytes = keccak256(b"\x80")
"""Root hash of the empty trie: keccak256(rlp(b""))."""

_DEFAULT_CACHE_DEPTH = 3


class TrieError(Exception):
    """Base class for trie failures (including a malformed node read from the store)."""


class MissingNode(TrieError):
    """A referenced node hash is not in the store: the store is incomplete or wrong."""

    def __init__(self, node_hash: bytes) -> None:
        super().__init__(f"trie node 0x{node_hash.hex()} is missing from the store")
        self.node_hash = node_hash


class InvalidProof(TrieError):
    """A Merkle proof is malformed or does not lead from the claimed root to the key."""


# ---------------------------------------------------------------------------------------
# RLP for node shapes (strings and flat lists of fragments), canonical only.
# ---------------------------------------------------------------------------------------

_EMPTY = b"\x80"
_EMPTIES = [[_EMPTY] * n for n in range(17)]
_STR_HEADER = [bytes((0x80 + n,)) for n in range(56)]
_LIST_HEADER = [bytes((0xC0 + n,)) for n in range(56)]


def _rlp_str(b: bytes) -> bytes:
    n = len(b)
    if n < 56:
        if n == 1 and b[0] < 0x80:
            return b
        return _STR_HEADER[n] + b
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0xB7 + len(ln),)) + ln + b


def _rlp_list(payload: bytes) -> bytes:
    n = len(payload)
    if n < 56:
        return _LIST_HEADER[n] + payload
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0xF7 + len(ln),)) + ln + payload


def _rlp_int(i: int) -> bytes:
    """rlp.encode of a non-negative integer (the key of an ordered trie)."""
    if i == 0:
        return b"\x80"
    if i < 0x80:
        return bytes((i,))
    b = i.to_bytes((i.bit_length() + 7) // 8, "big")
    return bytes((0x80 + len(b),)) + b


def _long_len(data: bytes, pos: int, ll: int, end: int) -> int:
    if pos + ll > end or data[pos] == 0:
        raise TrieError("non-canonical RLP length")
    n = int.from_bytes(data[pos : pos + ll], "big")
    if n < 56:
        raise TrieError("non-canonical RLP length")
    return n


def _split_list(enc: bytes) -> tuple[list[bytes], int]:
    """The top-level items of an RLP list, each as its full encoded fragment.

    Also returns the index of the first item that cannot be a child reference (so a
    branch can be validated without a second pass), or len(items) if there is none.
    """
    end = len(enc)
    if end == 0:
        raise TrieError("empty node encoding")
    b = enc[0]
    if b < 0xC0:
        raise TrieError("node is not an RLP list")
    if b <= 0xF7:
        pos = 1
        if 1 + b - 0xC0 != end:
            raise TrieError("RLP list length mismatch")
    else:
        ll = b - 0xF7
        if 1 + ll + _long_len(enc, 1, ll, end) != end:
            raise TrieError("RLP list length mismatch")
        pos = 1 + ll
    items: list[bytes] = []
    append = items.append
    nonchild = -1
    while pos < end:
        b = enc[pos]
        if b == 0xA0:
            nxt = pos + 33
        elif b == 0x80:
            append(_EMPTY)
            pos += 1
            continue
        else:
            if nonchild < 0 and not (0xC0 <= b < 0xC0 + 31):
                nonchild = len(items)
            if b < 0x80:
                nxt = pos + 1
            elif b <= 0xB7:
                nxt = pos + 1 + b - 0x80
                if b == 0x81 and pos + 1 < end and enc[pos + 1] < 0x80:
                    raise TrieError("non-canonical RLP single byte")
            elif b <= 0xBF:
                ll = b - 0xB7
                nxt = pos + 1 + ll + _long_len(enc, pos + 1, ll, end)
            elif b <= 0xF7:
                nxt = pos + 1 + b - 0xC0
            else:
                ll = b - 0xF7
                nxt = pos + 1 + ll + _long_len(enc, pos + 1, ll, end)
        if nxt > end:
            raise TrieError("RLP item overruns its list")
        append(enc[pos:nxt])
        pos = nxt
    return items, (nonchild if nonchild >= 0 else len(items))


def _str_payload(frag: bytes) -> bytes:
    """Contents of an RLP string fragment (already length-checked by _split_list)."""
    b = frag[0]
    if b < 0x80:
        return frag
    if b <= 0xB7:
        return frag[1:]
    if b <= 0xBF:
        return frag[1 + b - 0xB7 :]
    raise TrieError("expected an RLP string, found a list")


# ---------------------------------------------------------------------------------------
# Nodes
#
# ``ref`` is None while a node is dirty; once sealed it is the node's fragment. A branch
# keeps all 16 child fragments in ``children`` and the resolved children in ``kids``
# (slot -> node). A clean kid's fragment is always in ``children``; a dirty kid's slot
# holds _DIRTY until the kid is sealed. Sealing then only visits ``kids`` (usually one
# or two), and encoding is one join over ``children``.
# ---------------------------------------------------------------------------------------

_HEX = "0123456789abcdef"
_IDX = {c: i for i, c in enumerate(_HEX)}
_DIRTY = b"\x00<dirty>"


class _Leaf:
    __slots__ = ("path", "value", "ref", "key")

    def __init__(self, path: str, value: bytes, key: bytes | None = None) -> None:
        self.path = path
        self.value = value
        self.ref: bytes | None = None
        self.key = key  # the RLP item of the hex-prefixed path, when already known


class _Ext:
    __slots__ = ("path", "child", "ref")

    def __init__(self, path: str, child) -> None:
        self.path = path
        self.child = child  # a fragment or a node
        self.ref: bytes | None = None


class _Branch:
    __slots__ = ("children", "kids", "value", "ref")

    def __init__(self, children: list[bytes], kids: dict, value: bytes) -> None:
        self.children = children
        self.kids = kids
        self.value = value
        self.ref: bytes | None = None


def _decode(enc: bytes):
    """Decode one node encoding; children stay as fragments. Raises TrieError.

    Two fast paths cover almost every node of a large trie: a branch whose children
    are all hashed or empty and whose value is empty, and a leaf whose path and value
    are each under 256 bytes.
    Anything they do not recognise goes to the general parser, which validates fully,
    so the fast paths never decide a result on their own.
    """
    end = len(enc)
    b = enc[0] if end else 0
    if 0xC0 <= b < 0xF8:
        pos = 1 if b - 0xBF == end else 0
    elif b == 0xF8:
        pos = 2 if end > 57 and enc[1] + 2 == end else 0
    elif b == 0xF9:
        pos = 3 if end > 258 and (enc[1] << 8 | enc[2]) + 3 == end else 0
    else:
        pos = 0
    if pos and pos < end:
        h = enc[pos]
        if h == 0xA0 or h == 0x80:
            if enc[end - 1] == 0x80:
                children: list[bytes] = []
                append = children.append
                k = 0
                while k < 16 and pos < end:
                    b = enc[pos]
                    if b == 0xA0:
                        append(enc[pos : pos + 33])
                        pos += 33
                        k += 1
                    elif b == 0x80:
                        seg = enc[pos : pos + 16 - k]
                        run = len(seg) - len(seg.lstrip(b"\x80"))
                        children += _EMPTIES[run]
                        pos += run
                        k += run
                    else:
                        break
                if k == 16 and pos + 1 == end:
                    return _Branch(children, {}, b"")
        else:
            if 0x81 < h < 0xB8:
                q = pos + 1 + h - 0x80
                hp = enc[pos + 1 : q]
            elif h < 0x80:
                q = pos + 1
                hp = enc[pos:q]
            else:
                q = end
            if q < end and (hp[0] == 0x20 or hp[0] >> 4 == 3):
                v = enc[q]
                if v < 0x80:
                    if q + 1 == end:
                        return _Leaf(hp.hex()[2 if hp[0] == 0x20 else 1 :], enc[q:], enc[pos:q])
                elif v < 0xB8:
                    if q + 1 + v - 0x80 == end and (v != 0x81 or enc[q + 1] >= 0x80):
                        return _Leaf(hp.hex()[2 if hp[0] == 0x20 else 1 :], enc[q + 1 :], enc[pos:q])
                elif v == 0xB8 and q + 1 < end and enc[q + 1] >= 56 and q + 2 + enc[q + 1] == end:
                    return _Leaf(hp.hex()[2 if hp[0] == 0x20 else 1 :], enc[q + 2 :], enc[pos:q])
    return _decode_general(enc)


def _decode_general(enc: bytes):
    """Decode any node encoding, validating canonical RLP and node shape."""
    items, nonchild = _split_list(enc)
    if len(items) == 17:
        if nonchild < 16:
            raise TrieError("malformed branch child reference")
        return _Branch(items[:16], {}, _str_payload(items[16]))
    if len(items) != 2:
        raise TrieError(f"node has {len(items)} items, expected 2 or 17")
    hp = _str_payload(items[0]).hex()
    if not hp:
        raise TrieError("empty hex-prefix path")
    flag = hp[0]
    if flag == "0" or flag == "2":
        if len(hp) < 2 or hp[1] != "0":
            raise TrieError("bad hex-prefix padding")
        path = hp[2:]
    elif flag == "1" or flag == "3":
        path = hp[1:]
    else:
        raise TrieError("bad hex-prefix flag")
    if flag >= "2":
        return _Leaf(path, _str_payload(items[1]))
    child = items[1]
    if not path or not (len(child) == 33 and child[0] == 0xA0 or 0xC0 <= child[0] and len(child) < 32):
        raise TrieError("malformed extension node")
    return _Ext(path, child)


def _hp(path: str, leaf: bool) -> bytes:
    if len(path) & 1:
        return bytes.fromhex(("3" if leaf else "1") + path)
    return bytes.fromhex(("20" if leaf else "00") + path)


def _encode_clean(node) -> bytes:
    """Encoding of a sealed node (every child's fragment is current)."""
    t = type(node)
    if t is _Branch:
        return _rlp_list(b"".join(node.children) + _rlp_str(node.value))
    if t is _Leaf:
        return _rlp_list(_rlp_str(_hp(node.path, True)) + _rlp_str(node.value))
    c = node.child
    return _rlp_list(_rlp_str(_hp(node.path, False)) + (c if type(c) is bytes else c.ref))


def _seal_root(root, keep: int, out: dict, h) -> bytes:
    """Encode every dirty node under ``root`` once, hash it, and return the root hash.

    Post-order: a node's children are sealed (their fragments known) before the node.
    Hashed nodes are added to ``out``; the root is hashed and added even when it is
    shorter than 32 bytes. Children deeper than ``keep`` are dropped to their
    fragments: that is what bounds the decoded-node cache.
    """

    def seal(node, depth: int) -> bytes:
        t = type(node)
        if t is _Leaf:
            key = node.key
            if key is None:
                path = node.path
                key = node.key = _rlp_str(bytes.fromhex("3" + path if len(path) & 1 else "20" + path))
            v = node.value
            n = len(v)
            if n < 56 and (n != 1 or v[0] >= 0x80):
                payload = key + _STR_HEADER[n] + v
            else:
                payload = key + _rlp_str(v)
        elif t is _Branch:
            children = node.children
            kids = node.kids
            if kids:
                for idx, kid in kids.items():
                    r = kid.ref
                    if r is None:
                        r = seal(kid, depth + 1)
                    children[idx] = r
                if depth >= keep:
                    kids.clear()
            v = node.value
            payload = b"".join(children) + (_rlp_str(v) if v else _EMPTY)
        else:
            c = node.child
            if type(c) is bytes:
                r = c
            else:
                r = c.ref
                if r is None:
                    r = seal(c, depth + 1)
                if depth >= keep:
                    node.child = r
            payload = _rlp_str(_hp(node.path, False)) + r
        n = len(payload)
        if n < 56:
            enc = _LIST_HEADER[n] + payload
            if n < 31:
                node.ref = enc
                return enc
        elif n < 256:
            enc = b"\xf8" + bytes((n,)) + payload
        elif n < 65536:
            enc = b"\xf9" + n.to_bytes(2, "big") + payload
        else:
            enc = _rlp_list(payload)
        digest = h(enc)
        out[digest] = enc
        r = node.ref = b"\xa0" + digest
        return r

    r = seal(root, 0)
    if len(r) == 33:
        return r[1:]
    digest = h(r)
    out[digest] = r
    return digest


def _build(P: list[str], V: list[bytes], lo: int, hi: int, d: int):
    """A fresh subtree holding the (sorted, distinct, live) entries P[lo:hi] below depth d."""
    n = hi - lo
    if n == 0:
        return None
    if n == 1:
        return _Leaf(P[lo][d:], V[lo])
    first, last = P[lo], P[hi - 1]
    cp = d
    m = min(len(first), len(last))
    while cp < m and first[cp] == last[cp]:
        cp += 1
    if cp > d:
        return _Ext(first[d:cp], _build_branch(P, V, lo, hi, cp))
    return _build_branch(P, V, lo, hi, d)


def _build_branch(P: list[str], V: list[bytes], lo: int, hi: int, d: int) -> _Branch:
    children = [_EMPTY] * 16
    kids = {}
    value = b""
    i = lo
    if len(P[i]) == d:
        value = V[i]
        i += 1
    while i < hi:
        c = P[i][d]
        j = i + 1
        while j < hi and P[j][d] == c:
            j += 1
        idx = _IDX[c]
        kids[idx] = _build(P, V, i, j, d + 1)
        children[idx] = _DIRTY
        i = j
    return _Branch(children, kids, value)


def _live(P: list[str], V: list, lo: int, hi: int) -> tuple[list[str], list[bytes]]:
    lp, lv = [], []
    for k in range(lo, hi):
        v = V[k]
        if v is not None:
            lp.append(P[k])
            lv.append(v)
    return lp, lv


_UNLOADED = object()


class Trie:
    """Hexary MPT (Ethereum Yellow Paper, appendix D) over a read-only node store.

    ``store`` is anything with ``.get(hash) -> bytes | None`` mapping a node hash to its
    RLP encoding. The trie never writes to it: ``commit`` returns the new nodes and the
    caller persists them (typically in the same atomic batch as the block). Until then,
    reads fall back to the nodes of the last commit, which the trie keeps.

    ``update`` only buffers; ``commit`` applies the buffer as one sorted batch. Nodes up
    to ``cache_depth`` levels below the root stay decoded between commits, so keep one
    instance per chain head rather than one per block. The default of 3 (4,369 branches
    at most, ~6 MB) suits 10^4-10^6 keys; 4 saves a decode per update near 10^6 keys
    at up to ~100 MB. Not thread-safe: one writer per instance.
    """

    def __init__(self, store, root: bytes = EMPTY_ROOT, *, cache_depth: int = _DEFAULT_CACHE_DEPTH) -> None:
        if type(root) is not bytes or len(root) != 32:
            raise TypeError("root must be a 32-byte hash")
        self._store = store
        self._root = root
        self._node = _UNLOADED
        self._pending: dict[bytes, bytes | None] = {}
        self._recent: dict[bytes, bytes] = {}
        self._keep = cache_depth

    @property
    def root(self) -> bytes:
        """Root hash as of the last commit (pending updates are not reflected)."""
        return self._root

    # -- reading --------------------------------------------------------------------------

    def _load(self, node_hash: bytes) -> bytes:
        enc = self._recent.get(node_hash)
        if enc is None:
            enc = self._store.get(node_hash)
            if enc is None:
                raise MissingNode(node_hash)
        return enc

    def _resolve(self, frag: bytes):
        if frag is _EMPTY:
            return None
        if len(frag) == 33:
            node = _decode(self._load(frag[1:]))
        else:
            node = _decode(frag)
        node.ref = frag
        return node

    def _root_node(self):
        node = self._node
        if node is _UNLOADED:
            if self._root == EMPTY_ROOT:
                node = None
            else:
                enc = self._load(self._root)
                node = _decode(enc)
                node.ref = enc if len(enc) < 32 else b"\xa0" + self._root
            self._node = node
        return node

    def get(self, key: bytes) -> bytes | None:
        """The value at ``key``, or None; pending (uncommitted) updates are visible."""
        if type(key) is not bytes:
            raise TypeError(f"trie key must be bytes, not {type(key).__name__}")
        pending = self._pending
        if key in pending:
            return pending[key] or None
        path = key.hex()
        n = len(path)
        d = 0
        depth = 0
        keep = self._keep
        node = self._root_node()
        while node is not None:
            t = type(node)
            if t is _Branch:
                if d == n:
                    return node.value or None
                idx = _IDX[path[d]]
                d += 1
                depth += 1
                child = node.kids.get(idx)
                if child is None:
                    slot = node.children[idx]
                    if slot is _EMPTY:
                        return None
                    child = self._resolve(slot)
                    if depth <= keep:
                        node.kids[idx] = child
                node = child
            elif t is _Leaf:
                lp = node.path
                if n - d == len(lp) and path.startswith(lp, d):
                    return node.value
                return None
            else:
                ep = node.path
                if not path.startswith(ep, d):
                    return None
                d += len(ep)
                depth += 1
                slot = node.child
                if type(slot) is bytes:
                    child = self._resolve(slot)
                    if depth <= keep:
                        node.child = child
                    node = child
                else:
                    node = slot
        return None

    def prove(self, key: bytes) -> list[bytes]:
        """Node encodings from the root along ``key``'s path, proving its value or absence.

        Covers committed state only. As py-trie does, inline nodes on the path are listed
        too (their encodings are also embedded in their parent).
        """
        if type(key) is not bytes:
            raise TypeError(f"trie key must be bytes, not {type(key).__name__}")
        path = key.hex()
        n = len(path)
        d = 0
        proof: list[bytes] = []
        node = self._root_node()
        if node is None:
            return proof
        proof.append(_encode_clean(node))
        while True:
            t = type(node)
            if t is _Branch:
                if d == n:
                    return proof
                idx = _IDX[path[d]]
                d += 1
                slot = node.kids.get(idx) or node.children[idx]
            elif t is _Leaf:
                return proof
            else:
                ep = node.path
                if not path.startswith(ep, d):
                    return proof
                d += len(ep)
                slot = node.child
            if type(slot) is bytes:
                if slot is _EMPTY:
                    return proof
                if len(slot) == 33:
                    enc = self._load(slot[1:])
                    node = _decode(enc)
                else:
                    enc = slot
                    node = _decode(slot)
                node.ref = slot
            else:
                node = slot
                enc = node.ref if len(node.ref) < 32 else _encode_clean(node)
            proof.append(enc)

    # -- writing --------------------------------------------------------------------------

    def update(self, items: Iterable[tuple[bytes, bytes | None]] | Mapping[bytes, bytes | None]) -> None:
        """Buffer writes; a value of None or b"" deletes. Later writes to a key win."""
        if isinstance(items, Mapping):
            items = items.items()
        pending = self._pending
        for key, value in items:
            if type(key) is not bytes:
                raise TypeError(f"trie key must be bytes, not {type(key).__name__}")
            if value is not None and type(value) is not bytes:
                raise TypeError(f"trie value must be bytes or None, not {type(value).__name__}")
            pending[key] = value

    def commit(self) -> tuple[bytes, dict[bytes, bytes]]:
        """Apply buffered updates; return the new root and every node this commit created.

        The returned nodes (hash -> encoding, the root's included even when it is shorter
        than 32 bytes, children before parents) are exactly what the caller must persist
        for the new root to be readable from the store. If the store lacks a node the batch needs, MissingNode
        propagates and the trie is left at its previous root with the updates still
        pending.
        """
        pending = self._pending
        if not pending:
            return self._root, {}
        self._pending = {}
        try:
            keys = sorted(pending)  # byte order is nibble order
            P = [k.hex() for k in keys]
            V = [pending[k] or None for k in keys]
            old = self._root_node()
            new = self._apply(old, P, V, 0, len(P), 0, 0)
            out: dict[bytes, bytes] = {}
            if new is None:
                root = EMPTY_ROOT
            elif new is old and new.ref is not None:
                root = self._root
            else:
                root = _seal_root(new, self._keep, out, keccak256)
        except BaseException:
            self._node = _UNLOADED
            pending.update(self._pending)
            self._pending = pending
            raise
        self._node = new
        self._root = root
        self._recent = out
        return root, dict(out)

    def _apply(self, node, P: list[str], V: list, lo: int, hi: int, d: int, depth: int):
        """Apply sorted updates P[lo:hi] (all sharing the path to ``node``, d nibbles).

        Returns the replacement node (None for empty). Returning ``node`` itself with its
        ``ref`` still set means nothing changed, so the parent need not be re-encoded.
        """
        if node is None:
            if None in V[lo:hi]:
                P, V = _live(P, V, lo, hi)
                lo, hi = 0, len(P)
            return _build(P, V, lo, hi, d)
        t = type(node)
        if t is _Branch:
            return self._apply_branch(node, P, V, lo, hi, d, depth)
        if t is _Leaf:
            return self._apply_leaf(node, P, V, lo, hi, d)
        return self._apply_ext(node, P, V, lo, hi, d, depth)

    def _apply_leaf(self, node: _Leaf, P, V, lo, hi, d):
        lp = node.path
        if hi - lo == 1:
            p = P[lo]
            if len(p) - d == len(lp) and p.startswith(lp, d):
                v = V[lo]
                if v is None:
                    return None
                if v != node.value:
                    node.value = v
                    node.ref = None
                return node
            if V[lo] is None:
                return node
        full = P[lo][:d] + lp
        lp_, lv_ = _live(P, V, lo, hi)
        if full not in P[lo:hi]:
            if not lp_:
                return node
            k = bisect.bisect_left(lp_, full)
            lp_.insert(k, full)
            lv_.insert(k, node.value)
        return _build(lp_, lv_, 0, len(lp_), d)

    def _apply_ext(self, node: _Ext, P, V, lo, hi, d, depth):
        ep = node.path
        a = lo
        while a < hi and not P[a].startswith(ep, d):
            if V[a] is not None:
                return self._apply_branch(self._ext_to_branch(node), P, V, lo, hi, d, depth)
            a += 1
        b = a
        while b < hi and P[b].startswith(ep, d):
            b += 1
        for k in range(b, hi):
            if V[k] is not None:
                return self._apply_branch(self._ext_to_branch(node), P, V, lo, hi, d, depth)
        if a == b:
            return node
        slot = node.child
        child = self._resolve(slot) if type(slot) is bytes else slot
        new = self._apply(child, P, V, a, b, d + len(ep), depth + 1)
        if new is child and new.ref is not None:
            if depth + 1 <= self._keep:
                node.child = child
            return node
        if new is None:
            return None
        nt = type(new)
        if nt is _Leaf:
            return _Leaf(ep + new.path, new.value)
        if nt is _Ext:
            return _Ext(ep + new.path, new.child)
        node.child = new
        node.ref = None
        return node

    @staticmethod
    def _ext_to_branch(node: _Ext) -> _Branch:
        children = [_EMPTY] * 16
        kids = {}
        ep = node.path
        idx = _IDX[ep[0]]
        c = node.child
        if len(ep) > 1:
            kids[idx] = _Ext(ep[1:], c)
            children[idx] = _DIRTY
        elif type(c) is bytes:
            children[idx] = c
        else:
            kids[idx] = c
            children[idx] = c.ref or _DIRTY
        return _Branch(children, kids, b"")

    def _apply_branch(self, node: _Branch, P, V, lo, hi, d, depth):
        children = node.children
        kids = node.kids
        # A branch made from a split extension (still dirty) may end up with one child.
        changed = shrunk = node.ref is None
        i = lo
        if len(P[i]) == d:
            v = V[i] or b""
            if v != node.value:
                shrunk = not v
                node.value = v
                changed = True
            i += 1
        keep = depth < self._keep
        d1 = d + 1
        while i < hi:
            c = P[i][d]
            j = i + 1
            while j < hi and P[j][d] == c:
                j += 1
            idx = _IDX[c]
            child = kids.get(idx)
            fresh = child is None
            if fresh:
                slot = children[idx]
                if slot is not _EMPTY:
                    if len(slot) == 33:
                        h = slot[1:]
                        enc = self._recent.get(h) or self._store.get(h)
                        if enc is None:
                            raise MissingNode(h)
                        child = _decode(enc)
                    else:
                        child = _decode(slot)
                    child.ref = slot
            if child is None:
                if j - i == 1:
                    v = V[i]
                    new = None if v is None else _Leaf(P[i][d1:], v)
                else:
                    new = self._apply(None, P, V, i, j, d1, depth + 1)
            else:
                ct = type(child)
                if ct is _Leaf:
                    p = P[i]
                    lp = child.path
                    if j - i == 1 and len(p) - d1 == len(lp) and p.startswith(lp, d1) and V[i] is not None:
                        # The commonest update of all: overwrite the value of a leaf.
                        new = child
                        if V[i] != child.value:
                            child.value = V[i]
                            child.ref = None
                    else:
                        new = self._apply_leaf(child, P, V, i, j, d1)
                elif ct is _Branch:
                    new = self._apply_branch(child, P, V, i, j, d1, depth + 1)
                else:
                    new = self._apply_ext(child, P, V, i, j, d1, depth + 1)
            if new is child and (new is None or new.ref is not None):
                if fresh and keep and new is not None:
                    kids[idx] = new
            elif new is None:
                children[idx] = _EMPTY
                kids.pop(idx, None)
                changed = shrunk = True
            else:
                children[idx] = _DIRTY
                kids.pop(idx, None)  # re-insert: dirty kids stay in slot order, so the
                kids[idx] = new  # nodes a commit returns come in a history-free order
                changed = True
            i = j
        if not changed:
            return node
        node.ref = None
        if shrunk:
            return self._normalize(node)
        return node

    def _normalize(self, node: _Branch):
        """Collapse a branch left with fewer than two entries (as py-trie does)."""
        children = node.children
        count = 16 - children.count(_EMPTY)
        if count + (1 if node.value else 0) >= 2:
            return node
        if count == 0:
            return _Leaf("", node.value) if node.value else None
        for idx in range(16):
            if children[idx] is not _EMPTY:
                break
        child = node.kids.get(idx)
        if child is None:
            child = self._resolve(children[idx])
        ct = type(child)
        if ct is _Leaf:
            return _Leaf(_HEX[idx] + child.path, child.value)
        if ct is _Ext:
            return _Ext(_HEX[idx] + child.path, child.child)
        return _Ext(_HEX[idx], child)


# ---------------------------------------------------------------------------------------
# Proof verification and ordered tries
# ---------------------------------------------------------------------------------------


def verify_proof(root: bytes, key: bytes, proof: list[bytes]) -> bytes | None:
    """The value ``proof`` shows for ``key`` under ``root``, or None if it shows absence.

    Accepts proofs as ``Trie.prove`` and py-trie make them (inline nodes listed) and as
    geth makes them (inline nodes omitted). Anything else -- a hash mismatch, bad RLP, a
    missing node, nodes left over after the key is resolved -- raises InvalidProof.
    """
    try:
        return _verify_proof(root, key, proof)
    except InvalidProof:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract is InvalidProof for any bad input
        raise InvalidProof(f"malformed proof: {exc}") from exc


def _verify_proof(root: bytes, key: bytes, proof: list[bytes]) -> bytes | None:
    if type(root) is not bytes or len(root) != 32:
        raise InvalidProof("root must be a 32-byte hash")
    if not isinstance(key, bytes):
        raise InvalidProof("key must be bytes")
    proof = list(proof)
    for p in proof:
        if type(p) is not bytes:
            raise InvalidProof("proof items must be bytes")
    if not proof:
        if root == EMPTY_ROOT:
            return None
        raise InvalidProof("empty proof for a non-empty root")
    if keccak256(proof[0]) != root:
        raise InvalidProof("first proof node does not hash to the root")
    if proof[0] == b"\x80":
        if len(proof) != 1:
            raise InvalidProof("nodes after the empty root")
        return None
    path = key.hex()
    n = len(path)
    d = 0
    i = 0
    node = _decode(proof[0])
    result: bytes | None
    while True:
        t = type(node)
        if t is _Branch:
            if d == n:
                result = node.value or None
                break
            slot = node.children[_IDX[path[d]]]
            d += 1
        elif t is _Leaf:
            lp = node.path
            result = node.value if n - d == len(lp) and path.startswith(lp, d) else None
            break
        else:
            ep = node.path
            if not path.startswith(ep, d):
                result = None
                break
            d += len(ep)
            slot = node.child
        if slot is _EMPTY:
            result = None
            break
        if len(slot) == 33:
            i += 1
            if i >= len(proof):
                raise InvalidProof("proof ends before the key is resolved")
            if keccak256(proof[i]) != slot[1:]:
                raise InvalidProof(f"proof node {i} does not match its parent's hash")
            node = _decode(proof[i])
        else:
            if i + 1 < len(proof) and proof[i + 1] == slot:
                i += 1
            node = _decode(slot)
    if i != len(proof) - 1:
        raise InvalidProof("extra nodes after the key is resolved")
    return result


def compute_ordered_trie_root(values: list[bytes]) -> bytes:
    """Root of the trie mapping rlp(index) -> value (transactionsRoot, receiptsRoot).

    Empty values are skipped, as writing b"" to a trie deletes.
    """
    entries = sorted((_rlp_int(i).hex(), v) for i, v in enumerate(values) if v)
    if not entries:
        return EMPTY_ROOT
    P = [e[0] for e in entries]
    V = [e[1] for e in entries]
    node = _build(P, V, 0, len(P), 0)
    return _seal_root(node, 0, {}, keccak256)
