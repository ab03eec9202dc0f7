"""The artifact-repository interface: one per storage backend, chosen by URI scheme.

A repository is rooted at one URI (a run's ``artifact_uri``, an experiment's
location, or the server's artifacts destination). Every ``path`` argument is a
relative, ``/``-separated path below that root; implementations must pass it
through ``tracklog.artifacts.paths.safe_relpath`` (canonicalize, then contain)
before touching storage, so no spelling of ``..``, absolute paths, encoded
traversal or symlinks can escape the root.

Optional capabilities (multipart uploads, presigned URLs) are separate
protocols so a backend only implements what its store supports.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import BinaryIO, Protocol, runtime_checkable

from tracklog.entities import FileInfo

CHUNK_SIZE = 1024 * 1024


class ArtifactRepository(ABC):
    """Files below one root URI."""

    def __init__(self, root_uri: str) -> None:
        self.root_uri = root_uri

    @abstractmethod
    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        """Copy one local file into ``artifact_path`` (a directory below the root)."""

    @abstractmethod
    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        """Copy a local directory tree into ``artifact_path``."""

    @abstractmethod
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """Direct children of ``path`` (root when None), with paths relative to the root.

        A missing directory, or a path that is a file, gives an empty list."""

    @abstractmethod
    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        """Download a file or directory tree; return the local path of what was downloaded."""

    @abstractmethod
    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete a file or a whole tree (the root when None). Missing paths are fine."""

    @abstractmethod
    def open_read(self, path: str) -> BinaryIO:
        """Open one file for streaming reads; NotFound if missing, InvalidArgument if a directory."""

    @abstractmethod
    def write_stream(self, path: str, chunks: Iterator[bytes]) -> int:
        """Write a file from chunks; it appears under its final name only when complete.

        Returns the number of bytes written."""

    def write_many(self, files: Iterable[tuple[str, Iterator[bytes]]]) -> int:
        """Write several files, each as ``write_stream`` would (each file's chunks are read before
        the next pair is taken); return how many. Backends may override to share work between files."""
        count = 0
        for path, chunks in files:
            self.write_stream(path, chunks)
            count += 1
        return count

    @abstractmethod
    def file_size(self, path: str) -> int | None:
        """Size of a file, or None if it does not exist (or is a directory)."""

    async def write_stream_async(self, path: str, chunks: AsyncIterator[bytes]) -> int:
        """Async variant used by the server; the default spools through a thread."""
        from tracklog.artifacts._async import write_async_via_thread

        return await write_async_via_thread(self, path, chunks)


@runtime_checkable
class MultipartUploads(Protocol):
    """Optional: stores that let clients upload parts directly (S3-style)."""

    def create_multipart_upload(self, path: str, num_parts: int) -> tuple[str, list[dict[str, object]]]: ...

    def complete_multipart_upload(self, path: str, upload_id: str, parts: list[dict[str, object]]) -> None: ...

    def abort_multipart_upload(self, path: str, upload_id: str) -> None: ...


@runtime_checkable
class PresignedUrls(Protocol):
    """Optional: stores that can hand out time-limited URLs."""

    def presigned_download_url(self, path: str, expiration_s: int = 900) -> str: ...

    def presigned_upload_url(self, path: str, expiration_s: int = 900) -> str: ...
