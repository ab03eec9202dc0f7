"""Bridge an async byte stream into a blocking consumer (a repository's ``write_stream``, a tar reader).

A body that ends within ``SMALL_BODY`` bytes (most artifacts: metrics files,
configs, images) is gathered on the event loop and written with one call on
the shared thread pool, which costs no thread start and no per-chunk hand-off.

For larger bodies the blocking writer runs on its own thread (never on the event loop's shared
executor: writers waiting for chunks would otherwise occupy every pool thread
that is needed to hand them those chunks, and concurrent uploads would
deadlock). Chunks travel through a small bounded queue, so memory stays bounded
whatever the upload size; the event loop only leaves for a thread when the
queue is full.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from tracklog.artifacts.base import ArtifactRepository

T = TypeVar("T")
_DONE = object()
_QUEUE_CHUNKS = 8
SMALL_BODY = 1024 * 1024
# Network chunks (often 64 KiB) are merged into pieces of this size before they cross to the
# writer thread: 16x fewer queue hand-offs and writes for a large upload, same memory bound.
PIECE = 1024 * 1024


async def write_async_via_thread(repo: ArtifactRepository, path: str, chunks: AsyncIterator[bytes]) -> int:
    """Write ``chunks`` to ``path`` through ``repo.write_stream``, off the event loop."""
    return await consume_via_thread(lambda pieces: repo.write_stream(path, pieces), chunks)


async def consume_via_thread(consume: Callable[[Iterator[bytes]], T], chunks: AsyncIterator[bytes]) -> T:
    """Run the blocking ``consume`` on a thread, fed the bytes of ``chunks``; return its result.

    ``consume`` must read its iterator to the end (or fail): the whole body is handed to it.
    """
    stream = aiter(chunks)
    head: list[bytes] = []
    size = 0
    async for chunk in stream:
        if chunk:
            head.append(chunk)
            size += len(chunk)
            if size > SMALL_BODY:
                return await _consume_streamed(consume, head, stream)
    return await asyncio.to_thread(consume, iter(head))


async def _pieces(head: list[bytes], rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The already-read chunks, then the rest of the stream, merged into pieces of ~PIECE bytes."""
    buffer = bytearray()
    for chunk in head:
        buffer += chunk
    head.clear()
    async for chunk in rest:
        buffer += chunk
        if len(buffer) >= PIECE:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


async def _consume_streamed(
    consume: Callable[[Iterator[bytes]], T], head: list[bytes], rest: AsyncIterator[bytes]
) -> T:
    """Large bodies: a dedicated consumer thread fed through a small bounded queue."""
    chunks = _pieces(head, rest)
    q: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_CHUNKS)
    result: Future[T] = Future()

    def items() -> Iterator[bytes]:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)
            yield item

    def run() -> None:
        try:
            result.set_result(consume(items()))
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            result.set_exception(exc)

    def put_blocking(item: object) -> bool:
        # Waits for room, but gives up as soon as the writer has stopped (it failed early).
        while not result.done():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    async def put(item: object) -> bool:
        try:
            q.put_nowait(item)
            return True
        except queue.Full:
            return await asyncio.to_thread(put_blocking, item)

    threading.Thread(target=run, name="tracklog-artifact-writer", daemon=True).start()
    try:
        async for chunk in chunks:
            if chunk and not await put(chunk):
                break
    except BaseException as exc:  # the client went away: make the writer discard its temp file
        await put(exc)
        raise
    await put(_DONE)
    return await asyncio.wrap_future(result)
