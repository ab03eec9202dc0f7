"""Copying artifact trees between repositories, file by file, on a thread pool.

A file whose size in the destination already matches the source is skipped, so an
interrupted copy resumes where it stopped (each write is atomic in the repositories).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from tracklog.artifacts.base import CHUNK_SIZE, ArtifactRepository
from tracklog.entities import FileInfo

__all__ = ["ArtifactCopier", "CopyResult", "walk_files"]

DEFAULT_WORKERS = 8


def walk_files(repo: ArtifactRepository, path: str | None = None) -> Iterator[FileInfo]:
    """Every file below ``path`` (the root when None), depth first; paths relative to the root."""
    for info in repo.list_artifacts(path):
        if info.is_dir:
            yield from walk_files(repo, info.path)
        else:
            yield info


@dataclass
class CopyResult:
    copied: int = 0
    skipped: int = 0
    nbytes: int = 0


def _read_chunks(repo: ArtifactRepository, path: str) -> Iterator[bytes]:
    with repo.open_read(path) as handle:
        while True:
            chunk = handle.read(CHUNK_SIZE)
            if not chunk:
                return
            yield chunk


class ArtifactCopier:
    """Copies trees on a shared pool; ``on_file`` is called (from workers) after each file."""

    def __init__(
        self,
        workers: int = DEFAULT_WORKERS,
        on_file: Callable[[int], None] | None = None,
        on_listed: Callable[[int], None] | None = None,
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="tracklog-copy")
        self._on_file = on_file
        self._on_listed = on_listed

    def copy_tree(self, src: ArtifactRepository, dst: ArtifactRepository) -> CopyResult:
        """Copy every file of ``src`` into ``dst``; the first error is raised after all files ran."""
        files = list(walk_files(src))
        if self._on_listed is not None:
            self._on_listed(len(files))
        futures: list[Future[tuple[bool, int]]] = [self._pool.submit(self._copy_one, src, dst, f) for f in files]
        result = CopyResult()
        error: BaseException | None = None
        for future in futures:
            try:
                copied, size = future.result()
            except Exception as exc:  # noqa: BLE001 - collected, re-raised below
                error = error or exc
                continue
            if copied:
                result.copied += 1
                result.nbytes += size
            else:
                result.skipped += 1
        if error is not None:
            raise error
        return result

    def _copy_one(self, src: ArtifactRepository, dst: ArtifactRepository, info: FileInfo) -> tuple[bool, int]:
        size = info.file_size if info.file_size is not None else src.file_size(info.path)
        if size is not None and dst.file_size(info.path) == size:
            self._notify(size)
            return False, size
        written = dst.write_stream(info.path, _read_chunks(src, info.path))
        self._notify(written)
        return True, written

    def _notify(self, nbytes: int) -> None:
        if self._on_file is not None:
            self._on_file(nbytes)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
