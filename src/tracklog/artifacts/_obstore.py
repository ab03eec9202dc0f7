"""Moving bytes through obstore (Rust's ``object_store``) where it is faster than fsspec.

The cloud repositories keep fsspec for listings, deletes and presigned URLs and,
when the ``obstore`` package is installed, hand the data path to an
:class:`ObjectIO`: streamed uploads (one ``PUT`` for small files, a multipart /
block-list upload with a bounded buffer for large ones), streamed downloads
(one ``GET``, re-issued from the new offset after a seek, for HTTP range
requests) and ``file_size``. Measured on the emulators obstore moves large
files 3-13x faster and small files 2-9x faster, with less CPU per byte
(docs/artifacts.md).

``TRACKLOG_ARTIFACTS_OBSTORE=false`` turns it off (everything then goes through
fsspec, as without the package). Keys are the store paths below the bucket or
container, exactly as fsspec names them (obstore stores keys verbatim).
"""

from __future__ import annotations

import io
import itertools
import os
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from tracklog.artifacts._chunks import take_head

if TYPE_CHECKING:
    from obstore.store import ObjectStore

__all__ = ["ObjectIO", "obstore_enabled"]

MiB = 1024 * 1024
# Multipart part (block) size and how many parts are in flight: the memory of one
# streamed upload stays near PART_SIZE * (PARTS_IN_FLIGHT + 1) = 15 MiB whatever the
# file size (12 MiB measured). A stream (size unknown in advance) can have 10,000 S3
# parts of 5 MiB, ~48 GiB (Azure: 50,000 blocks); local files pick their part size
# from their size.
PART_SIZE = 5 * MiB
PARTS_IN_FLIGHT = 2
MAX_PARTS = 9_000  # below S3's 10,000, for the part size of a file of known size
READ_CHUNK = 1 * MiB
# ``write_many``: files up to SMALL_FILE are read whole and PUT on a pool, at most
# SMALL_IN_FLIGHT at once (16 MiB), so a bundle of small files is not one round trip per file.
SMALL_FILE = 1 * MiB
SMALL_IN_FLIGHT = 16
PUT_THREADS = 8


def obstore_enabled() -> bool:
    """True unless ``TRACKLOG_ARTIFACTS_OBSTORE`` says no, and obstore imports."""
    if os.environ.get("TRACKLOG_ARTIFACTS_OBSTORE", "").strip().lower() in ("0", "false", "no", "off"):
        return False
    try:
        import obstore  # noqa: F401
    except ImportError:
        return False
    return True


class ObjectIO:
    """Streaming reads and writes of keys in one bucket / container.

    ``writes=False`` keeps uploads on fsspec (GCS: obstore speaks the XML API for
    uploads, which the emulators do not serve, so that path would ship untested).
    """

    def __init__(self, store: ObjectStore, *, writes: bool = True) -> None:
        self.store = store
        self.writes = writes

    # -- writes ---------------------------------------------------------------

    def write(self, key: str, chunks: Iterator[bytes], part_size: int = PART_SIZE) -> int:
        """Write ``chunks`` to ``key``; published only when complete, aborted on any error."""
        import obstore as obs

        iterator = iter(chunks)
        head, size, ended = take_head(iterator, part_size)
        if ended:
            obs.put(self.store, key, b"".join(head), use_multipart=False)
            return size
        total = 0
        # An exception inside the block makes the writer abort the multipart upload
        # (no parts are left behind, nothing is published).
        with obs.open_writer(self.store, key, buffer_size=part_size, max_concurrency=PARTS_IN_FLIGHT) as out:
            while head:
                chunk = head.pop(0)
                out.write(chunk)
                total += len(chunk)
            for chunk in iterator:
                out.write(chunk)
                total += len(chunk)
        return total

    async def write_async(self, key: str, chunks: AsyncIterator[bytes]) -> int:
        """``write`` for an async stream, on the event loop (obstore's I/O runs on its own runtime)."""
        import obstore as obs

        stream = aiter(chunks)
        head = bytearray()
        async for chunk in stream:
            head += chunk
            if len(head) >= PART_SIZE:
                break
        else:
            await obs.put_async(self.store, key, bytes(head), use_multipart=False)
            return len(head)
        total = len(head)
        async with obs.open_writer_async(
            self.store, key, buffer_size=PART_SIZE, max_concurrency=PARTS_IN_FLIGHT
        ) as out:
            await out.write(bytes(head))
            del head
            async for chunk in stream:
                await out.write(chunk)
                total += len(chunk)
        return total

    def write_many(self, files: Iterable[tuple[str, Iterator[bytes]]]) -> int:
        """Write ``(key, chunks)`` pairs as ``write`` would, small files concurrently; return how many.

        Each file's chunks are read before the next pair is taken. If taking a pair fails
        (e.g. a refused bundle member) the files before it are still completed.
        """
        import obstore as obs

        count = 0
        with ThreadPoolExecutor(max_workers=PUT_THREADS, thread_name_prefix="tracklog-put") as pool:
            pending: deque[Future[Any]] = deque()
            for key, chunks in files:
                iterator = iter(chunks)
                head, _, ended = take_head(iterator, SMALL_FILE + 1)
                if not ended:
                    self.write(key, itertools.chain(head, iterator))
                else:
                    pending.append(pool.submit(obs.put, self.store, key, b"".join(head), use_multipart=False))
                    if len(pending) >= SMALL_IN_FLIGHT:
                        pending.popleft().result()
                count += 1
            while pending:
                pending.popleft().result()
        return count

    def put_file(self, key: str, local_file: str) -> None:
        """Upload a local file (small ones in one ``PUT``)."""
        size = os.path.getsize(local_file)
        part_size = max(PART_SIZE, -(-size // MAX_PARTS // MiB) * MiB)
        with open(local_file, "rb") as fh:
            self.write(key, iter(lambda: fh.read(MiB), b""), part_size)

    # -- reads ----------------------------------------------------------------

    def size(self, key: str) -> int | None:
        """Size of the object ``key``, or None if there is none."""
        import obstore as obs

        try:
            return int(obs.head(self.store, key)["size"])
        except FileNotFoundError:
            return None

    def open(self, key: str) -> BinaryIO | None:
        """A seekable reader of ``key`` (one ``GET``, started now), or None if there is no such object."""
        reader = _ObjectReader(self.store, key)
        try:
            reader.start(0)
        except FileNotFoundError:
            return None
        return cast(BinaryIO, reader)


class _ObjectReader(io.RawIOBase):
    """Reads an object through one streamed ``GET``; reading after a seek elsewhere re-issues it from there.

    Seeks themselves are free (``seek(0, 2); seek(0)`` to learn the size keeps the first ``GET``),
    and a forward seek within the chunk at hand just skips into it.
    """

    def __init__(self, store: ObjectStore, key: str) -> None:
        super().__init__()
        self._store = store
        self._key = key
        self._pos = 0  # the reader's position
        self._next = 0  # the object offset of ``_buffer[0]`` (the stream continues after the buffer)
        self._size = 0
        self._stream: Iterator[Any] | None = None
        self._buffer = memoryview(b"")

    def start(self, offset: int) -> None:
        import obstore as obs

        options: dict[str, Any] = {"range": {"offset": offset}} if offset else {}
        result = obs.get(self._store, self._key, options=cast(Any, options))
        if not offset:
            self._size = int(result.meta["size"])
        self._stream = iter(result.stream(min_chunk_size=READ_CHUNK))
        self._buffer = memoryview(b"")
        self._pos = self._next = offset

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(base + offset, 0)
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        if self._pos >= self._size:
            return b""
        if size is None or size < 0:
            return self.readall()
        if self._stream is not None and self._next <= self._pos < self._next + len(self._buffer):
            self._buffer = self._buffer[self._pos - self._next :]  # forward within the chunk at hand
            self._next = self._pos
        if self._stream is None or self._pos != self._next:
            self.start(self._pos)
        if not self._buffer:
            chunk = next(cast(Iterator[Any], self._stream), None)
            if chunk is None:
                return b""
            self._buffer = memoryview(chunk)
        data = bytes(self._buffer[:size])
        self._buffer = self._buffer[len(data) :]
        self._pos += len(data)
        self._next = self._pos
        return data

    def readall(self) -> bytes:
        parts = []
        while piece := self.read(READ_CHUNK):
            parts.append(piece)
        return b"".join(parts)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream = None
        self._buffer = memoryview(b"")
        super().close()
