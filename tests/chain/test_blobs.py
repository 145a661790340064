"""The blob store on disk: content addressing, limits, verification on write and read, atomic writes,
retention by task round across a reopen, eviction, and fetching from (possibly lying) peers."""

import asyncio
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.blobs import (BlobError, BlobHashMismatch, BlobStore, BlobStoreFull, BlobTag, BlobTooLarge, InvalidBlobHash,
                         InvalidBlobTag, blob_hash, format_blob_hash, parse_blob_hash)
from runtime.crypto import keccak256

ROOT = Path(__file__).resolve().parents[2]
EMPTY_KECCAK = "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def files_under(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*") if path.is_file())


def blob_path(directory: Path, hash_: bytes) -> Path:
    return directory / hash_.hex()[:2] / hash_.hex()


@settings(max_examples=50)
@given(st.lists(st.binary(max_size=2048), max_size=8))
def test_put_get_round_trip_is_content_addressed(blobs):
    with tempfile.TemporaryDirectory() as directory:
        store = BlobStore(directory, max_blob_size=2048, max_total_size=10**6)
        for data in blobs:
            hash_ = store.put(data)
            assert hash_ == keccak256(data)
            assert store.get(hash_) == data and store.has(hash_)
            assert blob_path(Path(directory), hash_).read_bytes() == data
        distinct = {keccak256(data): data for data in blobs}
        assert len(store) == len(distinct)
        assert store.total_size == sum(len(data) for data in distinct.values())
        reopened = BlobStore(directory, max_blob_size=2048, max_total_size=10**6)
        assert all(reopened.get(hash_) == data for hash_, data in distinct.items())


def test_the_hash_of_the_empty_blob_is_keccak256():
    assert format_blob_hash(blob_hash(b"")) == EMPTY_KECCAK


@given(st.binary(min_size=32, max_size=32))
def test_hash_text_round_trips_and_either_case_is_read(hash_):
    text = format_blob_hash(hash_)
    assert len(text) == 66 and text == text.lower()
    assert parse_blob_hash(text) == hash_ == parse_blob_hash("0x" + text[2:].upper())


@pytest.mark.parametrize("text", ["", "0x", EMPTY_KECCAK[2:], EMPTY_KECCAK[:-1], EMPTY_KECCAK + "0",
                                  "0X" + EMPTY_KECCAK[2:], EMPTY_KECCAK[:-1] + "g", " " + EMPTY_KECCAK,
                                  "0x" + "٣" * 64, "../../etc/passwd"])
def test_malformed_hash_text_is_refused(text):
    with pytest.raises(InvalidBlobHash, match="malformed blob hash"):
        parse_blob_hash(text)


def test_hashes_must_be_32_bytes(tmp_path):
    store = BlobStore(tmp_path, 100, 1000)
    for bad in (b"", b"\x00" * 31, "0x" + "00" * 32, None):
        with pytest.raises(InvalidBlobHash):
            store.get(bad)
        if bad is not None:
            with pytest.raises(InvalidBlobHash):
                store.put(b"x", expected_hash=bad)
    assert len(store) == 0


def test_a_mismatched_hash_is_refused_and_nothing_is_stored(tmp_path):
    store = BlobStore(tmp_path, 100, 1000)
    wrong = keccak256(b"other bytes")
    with pytest.raises(BlobHashMismatch) as refused:
        store.put(b"some bytes", expected_hash=wrong)
    assert format_blob_hash(wrong) in str(refused.value)
    assert format_blob_hash(keccak256(b"some bytes")) in str(refused.value)
    assert isinstance(refused.value, BlobError)
    assert len(store) == 0 and store.total_size == 0 and files_under(tmp_path) == []
    assert store.put(b"some bytes", expected_hash=keccak256(b"some bytes")) == keccak256(b"some bytes")


def test_per_blob_size_limit(tmp_path):
    store = BlobStore(tmp_path, max_blob_size=10, max_total_size=1000)
    assert store.put(b"x" * 10)
    with pytest.raises(BlobTooLarge, match="11 bytes exceeds the limit of 10"):
        store.put(b"x" * 11)
    assert len(store) == 1


def test_untagged_blobs_are_evicted_oldest_first(tmp_path):
    store = BlobStore(tmp_path, max_blob_size=100, max_total_size=250)
    first, second = store.put(b"1" * 100), store.put(b"2" * 100)
    third = store.put(b"3" * 100)
    assert not store.has(first) and store.has(second) and store.has(third)
    assert store.total_size == 200
    assert not blob_path(tmp_path, first).exists()


def test_a_store_full_of_tagged_blobs_refuses_and_evicts_nothing(tmp_path):
    store = BlobStore(tmp_path, max_blob_size=100, max_total_size=250)
    kept = [store.put(bytes([i]) * 100, tag=BlobTag(7, 1)) for i in range(2)]
    untagged = store.put(b"u" * 50)
    with pytest.raises(BlobStoreFull, match="no room for 100 more bytes"):
        store.put(b"n" * 100, tag=BlobTag(7, 2))
    assert all(store.has(hash_) for hash_ in kept + [untagged]), "a refused write evicts nothing"
    assert store.total_size == 250
    store.put(b"s" * 50)
    assert not store.has(untagged), "an untagged blob makes room for another"


def test_a_blob_corrupted_on_disk_is_detected_deleted_and_missing(tmp_path, caplog):
    store = BlobStore(tmp_path, 100, 1000)
    hash_ = store.put(b"model bytes", tag=BlobTag(1, 1))
    blob_path(tmp_path, hash_).write_bytes(b"model bytez")
    with caplog.at_level(logging.WARNING, logger="flockchain.blobs"):
        assert store.get(hash_) is None
    assert "corrupted" in caplog.text and format_blob_hash(hash_) in caplog.text
    assert not store.has(hash_) and store.total_size == 0
    assert files_under(tmp_path) == []
    assert store.put(b"model bytes") == hash_ and store.get(hash_) == b"model bytes"


def test_storing_the_bytes_again_heals_a_corrupted_copy(tmp_path):
    store = BlobStore(tmp_path, 100, 1000)
    hash_ = store.put(b"weights")
    blob_path(tmp_path, hash_).write_bytes(b"garbage!")
    again = store.add(b"weights")
    assert not again.created
    assert store.get(hash_) == b"weights"


def test_a_failure_mid_write_leaves_no_file(tmp_path, monkeypatch):
    store = BlobStore(tmp_path, 100, 1000)

    def failing_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        store.put(b"half written", tag=BlobTag(1, 1))
    monkeypatch.undo()
    assert files_under(tmp_path) == [] and len(store) == 0
    assert BlobStore(tmp_path, 100, 1000).get(keccak256(b"half written")) is None


CRASH_BEFORE_RENAME = """
import os, sys
from chain.blobs import BlobStore, BlobTag
store = BlobStore(sys.argv[1], 100, 1000)
store.put(b"survivor")
def crash(source, target):
    if not str(target).endswith(".tags"):
        os._exit(9)
    return real_replace(source, target)
real_replace = os.replace
os.replace = crash
store.put(b"lost in the crash", tag=BlobTag(3, 4))
"""


def test_a_crash_before_the_rename_leaves_no_partial_blob(tmp_path):
    """A real process dies between writing the temporary file and renaming it."""
    result = subprocess.run([sys.executable, "-c", CRASH_BEFORE_RENAME, str(tmp_path)], cwd=ROOT, timeout=60)
    assert result.returncode == 9
    lost = keccak256(b"lost in the crash")
    assert any(name.endswith(".tmp") for name in files_under(tmp_path)), "the crash left its temporary file"
    assert not blob_path(tmp_path, lost).exists()
    store = BlobStore(tmp_path, 100, 1000)
    assert store.get(lost) is None and store.get(keccak256(b"survivor")) == b"survivor"
    assert files_under(tmp_path) == [str(blob_path(tmp_path, keccak256(b"survivor")).relative_to(tmp_path))], \
        "reopening removes the leftover temporary file and the orphaned tags"


def test_prune_by_tag_survives_a_reopen(tmp_path):
    store = BlobStore(tmp_path, 100, 1000, retention_rounds=2)
    old = store.put(b"round 1 update", tag=BlobTag(task_id=5, round=1))
    recent = store.put(b"round 4 update", tag=BlobTag(task_id=5, round=4))
    other_task = store.put(b"task 6 update", tag=BlobTag(task_id=6, round=1))
    untagged = store.put(b"untagged")
    reused = store.put(b"global model", tag=BlobTag(5, 1))
    store.put(b"global model", tag=BlobTag(5, 4))
    shared = store.put(b"shared", tag=BlobTag(5, 1))
    store.put(b"shared", tag=BlobTag(6, 9))

    reopened = BlobStore(tmp_path, 100, 1000, retention_rounds=2)
    assert reopened.info(reused).rounds_by_task == ((5, 4),)
    assert reopened.info(shared).rounds_by_task == ((5, 1), (6, 9))
    assert sorted(reopened.prune(5, current_round=5)) == sorted([old])
    assert not reopened.has(old)
    assert all(reopened.has(h) for h in (recent, other_task, untagged, reused, shared))
    assert reopened.info(shared).rounds_by_task == ((6, 9),)

    again = BlobStore(tmp_path, 100, 1000)
    assert not again.has(old) and again.info(shared).rounds_by_task == ((6, 9),)
    assert sorted(again.prune(5, current_round=10, keep_rounds=0)) == sorted([recent, reused])
    assert sorted(again.prune(6, current_round=100, keep_rounds=0)) == sorted([other_task, shared])
    assert again.hashes() == [untagged]


def test_tags_are_bounded_and_checked(tmp_path, monkeypatch):
    with pytest.raises(InvalidBlobTag):
        BlobTag(-1, 0)
    with pytest.raises(InvalidBlobTag):
        BlobTag(0, 2**64)
    monkeypatch.setattr("chain.blobs.MAX_TASKS_PER_BLOB", 4)
    store = BlobStore(tmp_path, 100, 10**6)
    for task in range(4):
        store.put(b"popular", tag=BlobTag(task, 0))
    with pytest.raises(InvalidBlobTag, match="4 tasks"):
        store.put(b"popular", tag=BlobTag(4, 0))
    store.put(b"popular", tag=BlobTag(3, 1))
    assert store.info(keccak256(b"popular")).rounds_by_task == ((0, 0), (1, 0), (2, 0), (3, 1))


@settings(max_examples=40)
@given(st.lists(st.one_of(
    st.tuples(st.just("put"), st.integers(0, 7), st.integers(1, 60), st.none() | st.tuples(st.integers(0, 2),
                                                                                             st.integers(0, 9))),
    st.tuples(st.just("delete"), st.integers(0, 7)),
    st.tuples(st.just("prune"), st.integers(0, 2), st.integers(0, 12), st.integers(0, 3)),
    st.just(("reopen",))), max_size=30))
def test_random_operations_keep_the_store_consistent(operations):
    """Sizes add up and stay under the limit, what is stored reads back, tagged blobs are never evicted."""
    with tempfile.TemporaryDirectory() as directory:
        def open_store():
            return BlobStore(directory, max_blob_size=60, max_total_size=150, retention_rounds=1)

        store = open_store()
        for operation in operations:
            if operation[0] == "put":
                _, which, size, tag = operation
                data = bytes([which]) * size
                tagged_before = {h for h in store.hashes() if store.info(h).tagged}
                try:
                    store.put(data, tag=BlobTag(*tag) if tag else None)
                except BlobStoreFull:
                    assert not store.has(keccak256(data)), "only a new blob can lack room"
                assert tagged_before <= set(store.hashes()), "tagged blobs are never evicted"
            elif operation[0] == "delete":
                for hash_ in store.hashes():
                    if store.get(hash_)[0] == operation[1]:
                        assert store.delete(hash_) and not store.has(hash_)
            elif operation[0] == "prune":
                store.prune(*operation[1:])
            else:
                store = open_store()
            assert store.total_size <= 150
            assert store.total_size == sum(store.info(h).size for h in store.hashes())
            for hash_ in store.hashes():
                assert keccak256(store.get(hash_)) == hash_
        assert sorted(open_store().hashes()) == store.hashes()


# peers

def peer_app(serve) -> web.Application:
    """A peer whose GET /blobs/<hash> is `serve(hash text)` (a coroutine returning a response)."""
    async def handler(request):
        return await serve(request.match_info["hash"])

    app = web.Application()
    app.router.add_get("/blobs/{hash}", handler)
    return app


def test_fetch_skips_lying_oversized_slow_and_missing_peers(tmp_path, caplog):
    data = b"the real update" * 10
    hash_ = keccak256(data)
    headers_seen = []

    async def lie(_):
        return web.Response(body=b"poisoned update")

    async def oversized(_):
        return web.Response(body=b"x" * 1000)

    async def slow(_):
        await asyncio.sleep(30)
        return web.Response(body=data)

    async def missing(_):
        return web.json_response({"error": "not here"}, status=404)

    async def honest(text):
        return web.Response(body=data) if text == format_blob_hash(hash_) else web.Response(status=404)

    def recording(serve):
        async def handler(text):
            headers_seen.append(text)
            return await serve(text)
        return handler

    async def scenario():
        servers = [TestServer(peer_app(recording(serve))) for serve in (lie, oversized, slow, missing, honest)]
        for server in servers:
            await server.start_server()
        try:
            store = BlobStore(tmp_path, max_blob_size=500, max_total_size=10**6, peer_timeout=0.5,
                              peers=tuple(str(server.make_url("")) for server in servers))
            assert await store.fetch(hash_, from_peers=False) is None
            results = await asyncio.gather(store.fetch(hash_), store.fetch(hash_))
            assert results == [data, data]
            assert len(headers_seen) == 5, "concurrent fetches of one blob share one round of requests"
            assert store.get(hash_) == data, "a fetched blob is kept"
            assert await store.fetch(keccak256(b"nowhere")) is None
        finally:
            for server in servers:
                await server.close()

    with caplog.at_level(logging.WARNING, logger="flockchain.blobs"):
        asyncio.run(scenario())
    assert "served wrong bytes" in caplog.text
    assert "over the limit" in caplog.text
    assert "cannot fetch blob" in caplog.text


def test_peer_urls_are_checked(tmp_path):
    with pytest.raises(ValueError, match="http"):
        BlobStore(tmp_path, 1, 1, peers=("127.0.0.1:8545",))
