"""Streaming artifact downloads: chunked reads in a thread, HTTP Range, safe content types.

Artifacts are attacker-controlled content served from the tracking origin, so a
download is always an attachment, never rendered: HTML, SVG, XML and script
types are sent as ``application/octet-stream``, every response carries
``nosniff`` (global middleware) and a ``sandbox`` Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import mimetypes
import posixpath
import re
from typing import BinaryIO
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tracklog.artifacts.base import CHUNK_SIZE
from tracklog.server.artifact_access import ArtifactScope

__all__ = ["content_type_for", "download_response"]

ARTIFACT_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_ACTIVE_TYPES = frozenset({
    "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
    "text/javascript", "application/javascript", "application/ecmascript", "text/ecmascript",
    "application/x-javascript", "text/xsl", "application/pdf",
})
SMALL_FILE = 256 * 1024
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def content_type_for(path: str) -> str:
    guessed, _ = mimetypes.guess_type(posixpath.basename(path), strict=False)
    if guessed is None or guessed in _ACTIVE_TYPES or guessed.endswith("+xml"):
        return "application/octet-stream"
    if guessed.startswith("text/"):
        return f"{guessed}; charset=utf-8"
    return guessed


def content_disposition(path: str) -> str:
    name = posixpath.basename(path) or "artifact"
    ascii_name = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\;' else "_" for c in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """(start, end inclusive), None for "whole file", or "unsatisfiable"."""
    if not header:
        return None
    match = _RANGE_RE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None  # multi-range or malformed: ignore the header, send everything
    first, last = match.group(1), match.group(2)
    if not first:
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return max(size - length, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, min(end, size - 1)


class _FileStream(Response):
    """Sends ``length`` bytes of ``fileobj`` from ``start`` and closes it."""

    def __init__(self, fileobj: BinaryIO, start: int, length: int | None, status_code: int,
                 headers: dict[str, str]) -> None:
        # No super().__init__: it would render an empty body and claim Content-Length: 0.
        self.status_code = status_code
        self.background = None
        self.init_headers(headers)
        self.fileobj = fileobj
        self.start = start
        self.length = length

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code,
                        "headers": self.raw_headers})
            if scope.get("method") == "HEAD":
                await send({"type": "http.response.body", "body": b""})
                return
            if self.start:
                await run_in_threadpool(self.fileobj.seek, self.start)
            remaining = self.length
            while remaining is None or remaining > 0:
                size = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                chunk = await run_in_threadpool(self.fileobj.read, size)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await run_in_threadpool(self.fileobj.close)


def _size_of(fileobj: BinaryIO) -> int | None:
    try:
        if not fileobj.seekable():
            return None
        size = fileobj.seek(0, 2)
        fileobj.seek(0)
        return size
    except (OSError, ValueError):
        return None


def _open_sized(scope: ArtifactScope, path: str, whole: bool) -> tuple[BinaryIO | None, int | None, bytes]:
    """(open file, size, b"") -- or, for a small file wanted whole, (None, size, its bytes), closed."""
    fileobj = scope.open_read(path)
    try:
        size = _size_of(fileobj)
        if not (whole and size is not None and size <= SMALL_FILE):
            return fileobj, size, b""
        data = fileobj.read(size)
    except BaseException:
        fileobj.close()
        raise
    fileobj.close()
    return None, len(data), data


async def download_response(scope: ArtifactScope, path: str, request: Request) -> Response:
    """Stream one artifact file (NotFound if missing, InvalidArgument for a directory).

    A file of at most ``SMALL_FILE`` bytes asked for whole is opened, read and closed in one
    trip to a thread and sent as one body (most artifacts are small); others are streamed.
    """
    range_header = request.headers.get("range")
    fileobj, size, data = await asyncio.to_thread(_open_sized, scope, path, not range_header)
    headers = {
        "Content-Type": content_type_for(path),
        "Content-Disposition": content_disposition(path),
        "Content-Security-Policy": ARTIFACT_CSP,
        "Cache-Control": "private, no-cache",
    }
    if fileobj is None:
        headers["Accept-Ranges"] = "bytes"
        return Response(data, status_code=200, headers=headers)
    if size is None:
        return _FileStream(fileobj, 0, None, 200, headers)
    headers["Accept-Ranges"] = "bytes"
    wanted = _parse_range(range_header, size)
    if wanted == "unsatisfiable":
        await run_in_threadpool(fileobj.close)
        headers["Content-Range"] = f"bytes */{size}"
        headers["Content-Length"] = "0"
        return Response(b"", status_code=416, headers=headers)
    if isinstance(wanted, tuple):
        start, end = wanted
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(end - start + 1)
        return _FileStream(fileobj, start, end - start + 1, 206, headers)
    headers["Content-Length"] = str(size)
    return _FileStream(fileobj, 0, size, 200, headers)
