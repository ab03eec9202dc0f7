"""Shared logic for object-store repositories (S3, GCS, Azure) built on fsspec.

A subclass only builds the fsspec filesystem and says where its root is
(``bucket/prefix`` without a scheme); everything else lives here:

* every user path goes through ``safe_relpath`` first, and every key that
  comes back from the store is mapped back to a relative path only if it lies
  strictly below ``<root>/`` and is itself a valid relative path, so keys
  planted outside the prefix (or named ``../x`` by another tool) are never
  listed, downloaded or deleted;
* writes stream through the filesystem's chunked/multipart upload with a
  bounded buffer; object stores publish an object only when the single PUT or
  the multipart "complete" succeeds, and a failed stream aborts the upload;
* listings rely on the filesystem's paginated listing (ListObjectsV2
  continuation tokens, GCS page tokens, Azure markers);
* tree downloads and uploads run on a small thread pool, with a progress bar
  for big transfers when stderr is a terminal;
* when a subclass sets ``fast`` (an obstore :class:`ObjectIO`), the data path
  (uploads, reads, sizes) goes through it instead of fsspec.

Object stores have no directories: a "directory" is a common key prefix, so
empty directories do not survive an upload.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any, BinaryIO, cast

from tracklog.artifacts._chunks import take_head
from tracklog.artifacts._obstore import ObjectIO
from tracklog.artifacts._progress import Progress
from tracklog.artifacts.base import CHUNK_SIZE, ArtifactRepository
from tracklog.artifacts.paths import TEMP_PREFIX, invalid_path, join_relpath, safe_relpath
from tracklog.entities import FileInfo
from tracklog.exceptions import InvalidArgument, NotFound

__all__ = ["FsspecArtifactRepository", "split_bucket_uri"]

MiB = 1024 * 1024
# Upload part size: S3's minimum part is 5 MiB and GCS wants multiples of 256 KiB.
# Peak memory of a stream is about twice this (buffer + the part being sent).
WRITE_BLOCK_SIZE = 5 * MiB
READ_BLOCK_SIZE = 4 * MiB
TRANSFER_THREADS = 8


def split_bucket_uri(uri: str, scheme: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of ``scheme://bucket[/prefix]``; the prefix is validated like any path."""
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    if parts.scheme.lower() != scheme or not parts.netloc:
        raise InvalidArgument(f"Invalid artifact URI '{uri}': expected {scheme}://<bucket>/<prefix>")
    if parts.query or parts.fragment or "?" in uri or "#" in uri:
        raise InvalidArgument("Invalid artifact URI: queries and fragments are not allowed")
    return parts.netloc, root_prefix(parts.path)


def root_prefix(path: str) -> str:
    """Canonical key prefix of a root URI's path ('' for a whole bucket)."""
    stripped = path.strip("/")
    if not stripped:
        return ""
    try:
        return safe_relpath(stripped)
    except InvalidArgument as exc:
        raise InvalidArgument(f"Invalid artifact URI prefix '{path}': {exc.message}") from None


class FsspecArtifactRepository(ArtifactRepository):
    """Files below ``<bucket>/<prefix>`` of an fsspec object-store filesystem."""

    write_block_size = WRITE_BLOCK_SIZE

    def __init__(self, root_uri: str, fs: Any, root: str, fast: ObjectIO | None = None) -> None:
        super().__init__(root_uri)
        self.fs = fs
        self.root = root.rstrip("/")
        self.fast = fast  # obstore for the data path, when installed and configured

    def _object_key(self, path: str) -> str:
        """Key below the bucket / container of a validated, non-root relative path."""
        rel = safe_relpath(path)
        if not rel:
            raise invalid_path("a file name is required")
        return self._key(rel).split("/", 1)[1]

    # -- keys -----------------------------------------------------------------

    def _key(self, rel: str) -> str:
        """Store path (no scheme) of a validated relative path."""
        return f"{self.root}/{rel}" if rel else self.root

    def _rel(self, name: str) -> str | None:
        """Relative path of a store path strictly below the root, or None (outside, or unaddressable)."""
        name = name.rstrip("/")
        base = self.root + "/"
        if not name.startswith(base):
            return None
        rel = name[len(base) :]
        try:
            return rel if rel and safe_relpath(rel) == rel else None
        except InvalidArgument:
            return None

    # -- uploads --------------------------------------------------------------

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        dest = join_relpath(artifact_path, os.path.basename(local_file))
        self._upload_file(local_file, dest)

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        plan = _plan_upload(local_dir, safe_relpath(artifact_path))  # every name checked before any write
        sizes = {source: os.path.getsize(source) for source, _ in plan}
        progress = Progress(f"upload {len(plan)} files", sum(sizes.values()), len(plan))

        def upload(pair: tuple[str, str]) -> None:
            self._upload_file(*pair)
            progress.advance(sizes[pair[0]])

        try:
            _run_parallel(upload, plan)
        finally:
            progress.close()

    def _upload_file(self, local_file: str, dest: str) -> None:
        if self.fast is not None and self.fast.writes:
            self.fast.put_file(self._object_key(dest), local_file)
            return
        with open(local_file, "rb") as fh:
            self.write_stream(dest, _read_chunks(fh))

    def write_stream(self, path: str, chunks: Iterator[bytes]) -> int:
        if self.fast is not None and self.fast.writes:
            return self.fast.write(self._object_key(path), chunks)
        rel = safe_relpath(path)
        if not rel:
            raise invalid_path("a file name is required")
        key = self._key(rel)
        iterator = iter(chunks)
        head, size, ended = take_head(iterator, self.write_block_size)
        if ended:
            # Small file: one PUT (S3 PutObject, GCS simple upload, Azure Put Blob) — atomic,
            # and concurrent writers cannot trip over each other's staged parts.
            self.fs.pipe_file(key, b"".join(head))
            return size
        out = self.fs.open(key, "wb", block_size=self.write_block_size)
        total = 0
        try:
            for chunk in _chain(head, iterator):
                out.write(chunk)
                total += len(chunk)
        except BaseException:
            self._discard(out)
            raise
        out.close()  # completes the multipart / resumable / block-list upload: only now is it visible
        return total

    def write_many(self, files: Iterable[tuple[str, Iterator[bytes]]]) -> int:
        if self.fast is not None and self.fast.writes:
            return self.fast.write_many((self._object_key(path), chunks) for path, chunks in files)
        return super().write_many(files)

    async def write_stream_async(self, path: str, chunks: AsyncIterator[bytes]) -> int:
        if self.fast is not None and self.fast.writes:
            return await self.fast.write_async(self._object_key(path), chunks)
        return await super().write_stream_async(path, chunks)

    def _discard(self, out: Any) -> None:
        """Abort an unfinished upload so nothing is published (and no parts linger)."""
        try:
            out.discard()  # s3fs aborts the multipart upload; gcsfs cancels the resumable session
        finally:
            out.closed = True  # never let close()/__del__ commit what was buffered

    # -- reads ----------------------------------------------------------------

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        rel = safe_relpath(path)
        try:
            entries = self.fs.ls(self._key(rel), detail=True)
        except (FileNotFoundError, NotADirectoryError):
            return []
        parent = rel + "/" if rel else ""
        found: dict[str, FileInfo] = {}
        for entry in entries:
            child = self._rel(str(entry["name"]))
            if child is None or not child.startswith(parent) or "/" in child[len(parent) :]:
                continue  # the file itself (path names a file), or something outside this directory
            if entry.get("type") == "directory":
                found[child] = FileInfo(path=child, is_dir=True)
            elif child not in found:
                found[child] = FileInfo(path=child, is_dir=False, file_size=int(entry.get("size") or 0))
        return sorted(found.values(), key=lambda info: info.path)

    def open_read(self, path: str) -> BinaryIO:
        rel = safe_relpath(path)
        if not rel:
            raise InvalidArgument("Cannot read the artifact root: it is a directory")
        if self.fast is not None:
            reader = self.fast.open(self._object_key(rel))  # one GET, no HEAD first
            if reader is not None:
                return reader
            if self._files_below(rel):
                raise InvalidArgument(f"Cannot read '{rel}': it is a directory")
            raise NotFound(f"Artifact '{rel}' does not exist")
        info = self._info(rel)
        if info is None:
            raise NotFound(f"Artifact '{rel}' does not exist")
        if info.get("type") != "file":
            raise InvalidArgument(f"Cannot read '{rel}': it is a directory")
        try:
            handle = self.fs.open(self._key(rel), "rb", block_size=READ_BLOCK_SIZE, cache_type="readahead")
        except FileNotFoundError:
            raise NotFound(f"Artifact '{rel}' does not exist") from None
        return cast(BinaryIO, handle)

    def file_size(self, path: str) -> int | None:
        rel = safe_relpath(path)
        if not rel:
            return None
        if self.fast is not None:
            return self.fast.size(self._object_key(rel))
        info = self._info(rel)
        if info is None or info.get("type") != "file":
            return None
        return int(info.get("size") or 0)

    def _info(self, rel: str) -> dict[str, Any] | None:
        try:
            info: dict[str, Any] = self.fs.info(self._key(rel))
        except (FileNotFoundError, NotADirectoryError):
            return None
        return info

    def _files_below(self, rel: str) -> list[tuple[str, int]]:
        """(relative path, size) of every object strictly below ``rel`` (the whole root when '')."""
        base = self._key(rel)
        try:
            found = self.fs.find(base, detail=True)
        except FileNotFoundError:
            return []
        if not isinstance(found, dict):  # adlfs answers a list when ``base`` is a single blob
            found = {str(info["name"]): info for info in found if isinstance(info, dict)}
        parent = rel + "/" if rel else ""
        files = []
        for name, info in found.items():
            child = self._rel(str(name))
            if child is None or not child.startswith(parent) or info.get("type") == "directory":
                continue
            files.append((child, int(info.get("size") or 0)))
        return sorted(files)

    # -- downloads ------------------------------------------------------------

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        """Copy a file or tree to ``dst_path/<artifact_path>`` (a new temp dir when None)."""
        rel = safe_relpath(artifact_path)
        info = self._info(rel) if rel else None
        is_file = info is not None and info.get("type") == "file"
        files = [] if is_file else self._files_below(rel)
        if rel and not is_file and not files:
            raise NotFound(f"Artifact '{rel}' does not exist")
        dst_root = os.path.abspath(dst_path) if dst_path else tempfile.mkdtemp(prefix="tracklog-download-")
        target = os.path.join(dst_root, *rel.split("/")) if rel else dst_root
        if is_file:
            self._download_file(rel, target)
            return target
        os.makedirs(target, exist_ok=True)
        skip = len(rel) + 1 if rel else 0
        jobs = [(child, os.path.join(target, *child[skip:].split("/")), size) for child, size in files]
        progress = Progress(f"download {len(jobs)} files", sum(size for _, size in files), len(jobs))

        def download(job: tuple[str, str, int]) -> None:
            self._download_file(job[0], job[1])
            progress.advance(job[2])

        try:
            _run_parallel(download, jobs)
        finally:
            progress.close()
        return target

    def _download_file(self, rel: str, local: str) -> None:
        """Stream one object to ``local`` through a temp file renamed into place."""
        directory, name = os.path.split(local)
        os.makedirs(directory, exist_ok=True)
        temp = os.path.join(directory, TEMP_PREFIX + secrets.token_hex(8))
        try:
            with self.open_read(rel) as src, open(temp, "xb") as out:
                while chunk := src.read(CHUNK_SIZE):
                    out.write(chunk)
            os.replace(temp, local)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temp)
            raise

    # -- deletes --------------------------------------------------------------

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete one object or every object below a prefix; nothing outside the root is touched."""
        rel = safe_relpath(artifact_path)
        keys = [self._key(child) for child, _ in self._files_below(rel)]
        if rel:
            info = self._info(rel)
            if info is not None and info.get("type") == "file":
                keys.append(self._key(rel))
        if keys:
            with suppress(FileNotFoundError):
                self.fs.rm(keys)  # batched deletes (S3 DeleteObjects, GCS batch, Azure per blob)


# -- helpers --------------------------------------------------------------------------


def _read_chunks(fh: BinaryIO) -> Iterator[bytes]:
    while chunk := fh.read(CHUNK_SIZE):
        yield chunk


def _run_parallel(work: Any, jobs: Iterable[Any]) -> None:
    """Run ``work(job)`` for every job on a small pool; the first error propagates."""
    jobs = list(jobs)
    if len(jobs) <= 1:
        for job in jobs:
            work(job)
        return
    with ThreadPoolExecutor(max_workers=min(TRANSFER_THREADS, len(jobs))) as pool:
        for future in [pool.submit(work, job) for job in jobs]:
            future.result()


def _plan_upload(local_dir: str, base: str) -> list[tuple[str, str]]:
    """(source file, destination path) pairs of a local tree, every destination validated."""
    if not os.path.isdir(local_dir):
        raise InvalidArgument(f"Not a directory: '{local_dir}'")
    plan: list[tuple[str, str]] = []
    for dirpath, _dirnames, filenames in os.walk(local_dir):
        rel_dir = os.path.relpath(dirpath, local_dir)
        parts = [] if rel_dir == os.curdir else rel_dir.split(os.sep)
        dest_dir = join_relpath(base, *parts)
        for filename in sorted(filenames):
            source = os.path.join(dirpath, filename)
            if os.path.isfile(source):
                plan.append((source, join_relpath(dest_dir, filename)))
    return plan


def _chain(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    """The buffered first chunks (released as they are written), then the rest of the stream."""
    while head:
        yield head.pop(0)
    yield from rest
