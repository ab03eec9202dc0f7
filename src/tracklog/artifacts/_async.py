"""Bridge an async byte stream into a repository's blocking ``write_stream``."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracklog.artifacts.base import ArtifactRepository

_DONE = object()


async def write_async_via_thread(repo: ArtifactRepository, path: str, chunks: AsyncIterator[bytes]) -> int:
    """Feed chunks through a small bounded queue to a writer thread (bounded memory)."""
    q: queue.Queue[object] = queue.Queue(maxsize=8)
    loop = asyncio.get_running_loop()
    failed = False

    def gen() -> Iterator[bytes]:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)
            yield item

    task = loop.run_in_executor(None, repo.write_stream, path, gen())
    try:
        async for chunk in chunks:
            if chunk:
                await loop.run_in_executor(None, q.put, chunk)
    except BaseException as exc:  # the client went away: make the writer discard the temp file
        failed = True
        await loop.run_in_executor(None, q.put, exc)
        raise
    finally:
        if not failed:
            await loop.run_in_executor(None, q.put, _DONE)
    return await task
