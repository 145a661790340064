"""Blobs over HTTP, on the JSON-RPC server's port (spec/blobs.md).

    POST /blobs[?task=N&round=R]          raw bytes → 201 {"hash", "size"} (200 if already stored)
    PUT  /blobs/<hash>[?task=N&round=R]   the same, and the bytes must hash to <hash>
    GET  /blobs/<hash>                    the bytes (from a peer on a local miss)
    HEAD /blobs/<hash>                    its size, without the bytes

Bodies are read as a stream with the blob size limit enforced as they arrive (the JSON-RPC request
limit does not apply: blobs may be larger), and refused by Content-Length before any byte is read.
Disk work and hashing run in worker threads, never on the event loop. Every refusal is JSON
{"error": "..."} with a status that says which kind it is.
"""

import asyncio
import logging
import re

from aiohttp import ClientError, web

from chain.blobs import (PEER_FETCH_HEADER, BlobHashMismatch, BlobStore, BlobStoreFull, BlobTag, BlobTooLarge,
                         InvalidBlobHash, InvalidBlobTag, format_blob_hash, parse_blob_hash)

from .web_policy import refuse_content_type

log = logging.getLogger("flockchain.rpc.blobs")

BLOBS_PATH = "/blobs"
READ_CHUNK = 64 * 1024
OCTET_STREAM = "application/octet-stream"
BLOB_TYPES = frozenset({OCTET_STREAM})
"""Uploads are raw bytes; a page's form or text/plain POST is refused (rpc/web_policy.py)."""
IMMUTABLE = "public, max-age=31536000, immutable"
"""A hash names one content forever, so caches may keep it forever."""
_TAG_NUMBER = re.compile(r"[0-9]{1,20}")


class BadRequest(Exception):
    """The request cannot be served as sent (400)."""


def error_response(status: int, message: str, headers: dict | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def parse_tag(query) -> BlobTag | None:
    """`?task=N&round=R` (both or neither) → the tag that keeps the blob for that round."""
    task, round_ = query.get("task"), query.get("round")
    if task is None and round_ is None:
        return None
    if task is None or round_ is None:
        raise BadRequest("a retention tag needs both task and round (?task=N&round=R)")
    for name, text in (("task", task), ("round", round_)):
        if not _TAG_NUMBER.fullmatch(text):
            raise BadRequest(f"{name} must be a decimal integer in [0, 2^64 - 1], got {text[:40]!r}")
    try:
        return BlobTag(int(task), int(round_))
    except InvalidBlobTag as error:
        raise BadRequest(str(error)) from None


class BlobRoutes:
    """The HTTP face of one BlobStore."""

    def __init__(self, store: BlobStore):
        self.store = store

    def register(self, app: web.Application) -> None:
        app.router.add_route("*", BLOBS_PATH, self.collection, expect_handler=self.expect)
        app.router.add_route("*", BLOBS_PATH + "/{hash:.*}", self.item, expect_handler=self.expect)

    async def expect(self, request: web.Request) -> web.Response | None:
        """`Expect: 100-continue` with a body over the limit gets 413 before the client sends it."""
        too_large = self._too_large(request)
        if too_large is not None:
            return too_large
        if request.headers.get("Expect", "").lower() != "100-continue":
            return error_response(417, "only Expect: 100-continue is understood")
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0
        return None

    async def collection(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return error_response(405, f"{request.method} is not allowed on /blobs: POST the bytes there",
                                  {"Allow": "POST"})
        return await self._guarded(self._upload(request, None))

    async def item(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD", "PUT"):
            return error_response(405, f"{request.method} is not allowed on /blobs/<hash>: GET, HEAD or PUT",
                                  {"Allow": "GET, HEAD, PUT"})
        try:
            hash_ = parse_blob_hash(request.match_info["hash"])
        except InvalidBlobHash as error:
            return error_response(400, str(error))
        if request.method == "PUT":
            return await self._guarded(self._upload(request, hash_))
        return await self._guarded(self._download(request, hash_))

    async def _guarded(self, work) -> web.StreamResponse:
        """Whatever goes wrong inside stays inside this request."""
        try:
            return await work
        except BadRequest as error:
            return error_response(400, str(error))
        except (ClientError, ConnectionError, asyncio.IncompleteReadError) as error:
            return error_response(400, f"the request body could not be read: {error or type(error).__name__}")
        except OSError as error:
            log.error("blob store I/O error: %s", error)
            return error_response(500, f"the blob store cannot access its disk: {error.strerror or error}")
        except Exception:
            log.exception("internal error serving a blob request")
            return error_response(500, "internal error")

    def _too_large(self, request: web.Request) -> web.Response | None:
        if request.content_length is not None and request.content_length > self.store.max_blob_size:
            return error_response(413, f"blob of {request.content_length} bytes exceeds the limit of "
                                       f"{self.store.max_blob_size} bytes")
        return None

    async def _upload(self, request: web.Request, expected: bytes | None) -> web.Response:
        bad_type = refuse_content_type(request, BLOB_TYPES)
        if bad_type is not None:
            return error_response(415, bad_type)
        tag = parse_tag(request.query)
        too_large = self._too_large(request)
        if too_large is not None:
            return too_large
        chunks, size = [], 0
        async for chunk in request.content.iter_chunked(READ_CHUNK):
            size += len(chunk)
            if size > self.store.max_blob_size:
                return error_response(413, f"blob exceeds the limit of {self.store.max_blob_size} bytes "
                                           f"({size} bytes received so far)")
            chunks.append(chunk)
        try:
            stored = await asyncio.to_thread(self.store.add, b"".join(chunks), expected, tag)
        except BlobTooLarge as error:
            return error_response(413, str(error))
        except (BlobHashMismatch, InvalidBlobTag) as error:
            return error_response(400, str(error))
        except BlobStoreFull as error:
            return error_response(507, str(error))
        name = format_blob_hash(stored.hash)
        headers = {"Location": f"/blobs/{name}"} if stored.created else None
        return web.json_response({"hash": name, "size": stored.size}, status=201 if stored.created else 200,
                                 headers=headers)

    async def _download(self, request: web.Request, hash_: bytes) -> web.StreamResponse:
        name = format_blob_hash(hash_)
        etag = f'"{name}"'
        from_peers = PEER_FETCH_HEADER not in request.headers
        info = await asyncio.to_thread(self.store.info, hash_)
        if info is not None and etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers={"ETag": etag, "Cache-Control": IMMUTABLE})
        headers = {"ETag": etag, "Cache-Control": IMMUTABLE, "Content-Type": OCTET_STREAM,
                   "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox",
                   "Content-Disposition": "attachment"}
        if request.method == "HEAD" and info is not None:
            return web.Response(status=200, headers={**headers, "Content-Length": str(info.size)})
        data = await self.store.fetch(hash_, from_peers=from_peers)
        if data is None:
            where = "this node" if not (from_peers and self.store.peers) else "this node or its peers"
            return error_response(404, f"blob {name} is not stored on {where}")
        if request.method == "HEAD":
            return web.Response(status=200, headers={**headers, "Content-Length": str(len(data))})
        return web.Response(body=data, headers=headers)
