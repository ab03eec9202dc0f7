"""Artifacts on a local (or NFS-mounted) filesystem.

Every operation walks from the repository root one directory at a time with
directory descriptors opened ``O_NOFOLLOW``, so a symbolic link anywhere below
the root is refused even if it is swapped in between a check and a use. Files
are opened ``O_NOFOLLOW`` too; listings and tree copies skip links.

Every write is atomic: bytes go to ``<TEMP_PREFIX><random>`` in the destination
directory, then are ``os.replace``-d onto the final name. On any error the temp
file is removed, so a partial file never appears under its final name (a
killed process never leaves one). Listings hide temp files.

``TRACKLOG_ARTIFACTS_FSYNC=true`` also fsyncs the file before the rename and
the directory after it, so a power loss cannot lose a file whose upload was
answered. It is off by default, as in MLflow (which never fsyncs): measured
on the benchmark machine an fsync costs 2-4 ms per file, 10-30x the server's
whole CPU cost of a small upload, and doubles the time of a 50 MB one (see
docs/artifacts.md).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import suppress
from typing import BinaryIO

from tracklog.artifacts.base import CHUNK_SIZE, ArtifactRepository
from tracklog.artifacts.paths import TEMP_PREFIX, invalid_path, is_temp_name, join_relpath, safe_relpath
from tracklog.artifacts.uri import local_path_from_uri
from tracklog.entities import FileInfo
from tracklog.exceptions import Conflict, InvalidArgument, NotFound, TrackingError

__all__ = ["LocalArtifactRepository"]

# POSIX only (Linux, macOS): the descriptor walk needs O_NOFOLLOW, O_DIRECTORY and dir_fd.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_DIR_FLAGS = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
_READ_FLAGS = os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0)  # never hang on a FIFO
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9._\- ]*")
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
_MAX_OPEN_DIRS = 64  # directory descriptors ``write_many`` keeps open at once


class _Missing(Exception):
    """A path component does not exist (or is a file where a directory was needed)."""


class LocalArtifactRepository(ArtifactRepository):
    """Files below a local directory, given as a plain path or a ``file:`` URI."""

    def __init__(self, root_uri: str) -> None:
        super().__init__(root_uri)
        self.root = local_path_from_uri(root_uri)

    # -- uploads --------------------------------------------------------------

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        dest = join_relpath(artifact_path, os.path.basename(local_file))
        with open(local_file, "rb") as src:
            self.write_stream(dest, _read_chunks(src))

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        """Copy a tree. Links to files are copied as their content; links to directories are skipped."""
        base = safe_relpath(artifact_path)
        files, empty_dirs = _plan_upload(local_dir, base)  # validate every name before writing any
        for src, dest in files:
            with open(src, "rb") as fh:
                self.write_stream(dest, _read_chunks(fh))
        for rel in empty_dirs:
            os.close(self._open_dir(_segments(rel), create=True))

    def write_stream(self, path: str, chunks: Iterator[bytes]) -> int:
        rel, parent, name = _file_target(path)
        dir_fd = self._open_parent(rel, parent)
        try:
            return _write_at(dir_fd, rel, name, chunks)
        finally:
            os.close(dir_fd)

    def write_many(self, files: Iterable[tuple[str, Iterator[bytes]]]) -> int:
        """Like ``write_stream`` per file, keeping the descriptors of the directories written into
        open between files (a bundle of many small files walks each directory once, not per file)."""
        open_dirs: dict[tuple[str, ...], int] = {}
        count = 0
        try:
            for path, chunks in files:
                rel, parent, name = _file_target(path)
                dir_fd = open_dirs.get(tuple(parent))
                if dir_fd is not None and os.fstat(dir_fd).st_nlink == 0:  # deleted since (a concurrent DELETE)
                    os.close(open_dirs.pop(tuple(parent)))
                    dir_fd = None
                if dir_fd is None:
                    if len(open_dirs) >= _MAX_OPEN_DIRS:
                        _close_all(open_dirs)
                    dir_fd = open_dirs[tuple(parent)] = self._open_parent(rel, parent)
                _write_at(dir_fd, rel, name, chunks)
                count += 1
        finally:
            _close_all(open_dirs)
        return count

    def _open_parent(self, rel: str, parent: list[str]) -> int:
        try:
            return self._open_dir(parent, create=True)
        except _Missing:
            raise InvalidArgument(f"Cannot write '{rel}': a parent is not a directory") from None

    # -- reads ----------------------------------------------------------------

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        rel = safe_relpath(path)
        try:
            dir_fd = self._open_dir(_segments(rel), create=False)
        except _Missing:
            return []
        try:
            infos = [info for info in _scan(dir_fd, rel)]
        finally:
            os.close(dir_fd)
        infos.sort(key=lambda info: info.path)
        return infos

    def open_read(self, path: str) -> BinaryIO:
        rel = safe_relpath(path)
        if not rel:
            raise InvalidArgument("Cannot read the artifact root: it is a directory")
        try:
            fd = self._open_file(rel)
        except _Missing:
            raise NotFound(f"Artifact '{rel}' does not exist") from None
        return os.fdopen(fd, "rb")

    def file_size(self, path: str) -> int | None:
        rel = safe_relpath(path)
        st = self._lstat(rel) if rel else None
        return st.st_size if st is not None and stat.S_ISREG(st.st_mode) else None

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        """Copy a file or tree to ``dst_path/<artifact_path>`` (a new temp dir when None)."""
        rel = safe_relpath(artifact_path)
        kind = self._kind(rel)
        if kind is None:
            raise NotFound(f"Artifact '{rel}' does not exist")
        dst_root = os.path.abspath(dst_path) if dst_path else tempfile.mkdtemp(prefix="tracklog-download-")
        target = os.path.join(dst_root, *_segments(rel))
        if kind == "file":
            self._download_file(rel, target)
            return target
        os.makedirs(target, exist_ok=True)
        for info in self._walk_tree(rel):
            inner = info.path[len(rel) + 1 :] if rel else info.path
            local = os.path.join(target, *inner.split("/"))
            if info.is_dir:
                os.makedirs(local, exist_ok=True)
            else:
                self._download_file(info.path, local)
        return target

    # -- deletes --------------------------------------------------------------

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete a file or tree (all contents when None). Links inside a tree are unlinked, never followed."""
        rel = safe_relpath(artifact_path)
        if not rel:
            self._delete_root_contents()
            return
        parent, name = _split(rel)
        try:
            dir_fd = self._open_dir(parent, create=False)
        except _Missing:
            return
        try:
            try:
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            except (FileNotFoundError, NotADirectoryError):
                return
            if stat.S_ISLNK(st.st_mode):
                raise invalid_path("symbolic links are not allowed")
            _remove_at(dir_fd, name, st.st_mode)
            _fsync_dir(dir_fd)
        finally:
            os.close(dir_fd)

    def sweep_temp_files(self, older_than_s: float = 24 * 3600) -> int:
        """Remove temp files left by writers that died (``kill -9``, power loss); return how many.

        Only files older than ``older_than_s`` go, so uploads in progress are untouched.
        """
        cutoff = time.time() - older_than_s
        removed = 0
        pending: list[list[str]] = [[]]
        while pending:
            segments = pending.pop()
            try:
                dir_fd = self._open_dir(segments, create=False)
            except (_Missing, InvalidArgument):
                continue
            try:
                removed += _sweep_dir(dir_fd, segments, cutoff, pending)
            finally:
                os.close(dir_fd)
        return removed

    # -- internals ------------------------------------------------------------

    def _open_root(self, create: bool) -> int:
        if create:
            os.makedirs(self.root, exist_ok=True)
        try:
            return os.open(self.root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            raise _Missing() from None

    def _open_dir(self, segments: list[str], *, create: bool) -> int:
        """Descriptor of ``root/<segments>``, walked without following any link."""
        fd = self._open_root(create)
        try:
            for segment in segments:
                if create:
                    with suppress(FileExistsError):
                        os.mkdir(segment, dir_fd=fd)
                child = _open_dir_at(fd, segment)
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _open_file(self, rel: str) -> int:
        """Read descriptor of a regular file; ``_Missing`` if absent."""
        parent, name = _split(rel)
        dir_fd = self._open_dir(parent, create=False)
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
        except (FileNotFoundError, NotADirectoryError):
            raise _Missing() from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise invalid_path("symbolic links are not allowed") from None
            raise
        finally:
            os.close(dir_fd)
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            what = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise InvalidArgument(f"Cannot read '{rel}': it is {what}")
        os.set_blocking(fd, True)
        return fd

    def _kind(self, rel: str) -> str | None:
        """'file', 'dir' or None (missing); refuses links."""
        if not rel:
            return "dir"
        st = self._lstat(rel)
        if st is None:
            return None
        if stat.S_ISDIR(st.st_mode):
            return "dir"
        return "file" if stat.S_ISREG(st.st_mode) else None

    def _lstat(self, rel: str) -> os.stat_result | None:
        """The entry's own stat (None if missing), reached without following any link; refuses links."""
        parent, name = _split(rel)
        try:
            dir_fd = self._open_dir(parent, create=False)
        except _Missing:
            return None
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return None
        finally:
            os.close(dir_fd)
        if stat.S_ISLNK(st.st_mode):
            raise invalid_path("symbolic links are not allowed")
        return st

    def _walk_tree(self, rel_dir: str) -> Iterator[FileInfo]:
        """Every directory and regular file below ``rel_dir`` (iterative, links skipped)."""
        pending = [rel_dir]
        while pending:
            current = pending.pop()
            try:
                dir_fd = self._open_dir(_segments(current), create=False)
            except _Missing:
                continue
            try:
                infos = list(_scan(dir_fd, current))
            finally:
                os.close(dir_fd)
            for info in infos:
                if info.is_dir:
                    pending.append(info.path)
                yield info

    def _download_file(self, rel: str, target: str) -> None:
        try:
            fd = self._open_file(rel)
        except _Missing:
            raise NotFound(f"Artifact '{rel}' does not exist") from None
        directory, name = os.path.split(target)
        os.makedirs(directory, exist_ok=True)
        with os.fdopen(fd, "rb") as src:
            dir_fd = os.open(directory, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
            try:
                _atomic_write(dir_fd, name, _read_chunks(src))
            finally:
                os.close(dir_fd)

    def _delete_root_contents(self) -> None:
        try:
            root_fd = self._open_root(create=False)
        except _Missing:
            return
        try:
            with os.scandir(root_fd) as entries:
                names = [entry.name for entry in entries]
            for name in names:
                with suppress(FileNotFoundError):
                    _remove_at(root_fd, name, os.stat(name, dir_fd=root_fd, follow_symlinks=False).st_mode)
            _fsync_dir(root_fd)
        finally:
            os.close(root_fd)


# -- helpers on descriptors ---------------------------------------------------------


def _file_target(path: str) -> tuple[str, list[str], str]:
    """(canonical path, parent segments, file name) of a path to write."""
    rel = safe_relpath(path)
    if not rel:
        raise invalid_path("a file name is required")
    parent, name = _split(rel)
    return rel, parent, name


def _write_at(dir_fd: int, rel: str, name: str, chunks: Iterable[bytes]) -> int:
    try:
        _refuse_link(dir_fd, name)
        return _atomic_write(dir_fd, name, chunks)
    except IsADirectoryError:
        raise InvalidArgument(f"Cannot write '{rel}': it is a directory") from None
    except FileNotFoundError:  # the directory was removed (a concurrent DELETE) while writing into it
        raise Conflict(f"Cannot write '{rel}': its directory was deleted during the write") from None
    except OSError as exc:
        if exc.errno in _NO_SPACE:
            raise TrackingError("No space left in the artifact store") from exc
        raise


def _close_all(fds: dict[tuple[str, ...], int]) -> None:
    for fd in fds.values():
        os.close(fd)
    fds.clear()


def _segments(rel: str) -> list[str]:
    return rel.split("/") if rel else []


def _split(rel: str) -> tuple[list[str], str]:
    segments = rel.split("/")
    return segments[:-1], segments[-1]


def _open_dir_at(dir_fd: int, name: str) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        raise _Missing() from None
    except OSError as exc:
        if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
            raise
    # O_DIRECTORY|O_NOFOLLOW gives ENOTDIR for a link: tell a link from a plain file.
    _refuse_link(dir_fd, name)
    raise _Missing()


def _refuse_link(dir_fd: int, name: str) -> None:
    try:
        mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    if stat.S_ISLNK(mode):
        raise invalid_path("symbolic links are not allowed")


def _remove_at(dir_fd: int, name: str, mode: int) -> None:
    """Remove a file, link (the link itself) or tree below ``dir_fd`` without following links."""
    if stat.S_ISDIR(mode):
        shutil.rmtree(name, dir_fd=dir_fd)  # fd-based on Linux: avoids symlink attacks
    else:
        os.unlink(name, dir_fd=dir_fd)


def _sweep_dir(dir_fd: int, segments: list[str], cutoff: float, pending: list[list[str]]) -> int:
    removed = 0
    with os.scandir(dir_fd) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append([*segments, entry.name])
                continue
            stale = (
                is_temp_name(entry.name)
                and entry.is_file(follow_symlinks=False)
                and entry.stat(follow_symlinks=False).st_mtime < cutoff
            )
            if stale:
                with suppress(FileNotFoundError):
                    os.unlink(entry.name, dir_fd=dir_fd)
                    removed += 1
    return removed


def _atomic_write(dir_fd: int, name: str, chunks: Iterable[bytes]) -> int:
    """Write ``chunks`` to a temp file beside ``name`` and rename it into place (fsyncs: ``_durable``)."""
    temp = TEMP_PREFIX + secrets.token_hex(8)
    fd = os.open(temp, _TEMP_FLAGS, 0o666, dir_fd=dir_fd)
    total = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                total += len(chunk)
            if _durable():
                out.flush()
                os.fsync(out.fileno())
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp, dir_fd=dir_fd)
        raise
    _fsync_dir(dir_fd)
    return total


def _durable() -> bool:
    """Whether writes are fsynced (``TRACKLOG_ARTIFACTS_FSYNC``, default off; read per call)."""
    return os.environ.get("TRACKLOG_ARTIFACTS_FSYNC", "").strip().lower() in ("1", "true", "yes", "on")


def _fsync_dir(dir_fd: int) -> None:
    """Persist a rename. Some filesystems (CIFS, some FUSE) cannot fsync a directory: the rename stands."""
    if not _durable():
        return
    try:
        os.fsync(dir_fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise


def _scan(dir_fd: int, rel_dir: str) -> Iterator[FileInfo]:
    """Direct children of an open directory, paths relative to the repository root."""
    prefix = f"{rel_dir}/" if rel_dir else ""
    with os.scandir(dir_fd) as entries:
        for entry in entries:
            if not _listable(entry.name) or entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                yield FileInfo(path=prefix + entry.name, is_dir=True)
            elif entry.is_file(follow_symlinks=False):
                size = entry.stat(follow_symlinks=False).st_size
                yield FileInfo(path=prefix + entry.name, is_dir=False, file_size=size)


def _listable(name: str) -> bool:
    """Hide temp files and names no API path could address."""
    if _PLAIN_NAME.fullmatch(name):
        return True
    if is_temp_name(name):
        return False
    try:
        return safe_relpath(name) == name
    except InvalidArgument:
        return False


def _read_chunks(fh: BinaryIO) -> Iterator[bytes]:
    while chunk := fh.read(CHUNK_SIZE):
        yield chunk


def _plan_upload(local_dir: str, base: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(source file, destination path) pairs and empty directories of a local tree."""
    if not os.path.isdir(local_dir):
        raise InvalidArgument(f"Not a directory: '{local_dir}'")
    files: list[tuple[str, str]] = []
    empty_dirs: list[str] = []
    for dirpath, dirnames, filenames in os.walk(local_dir):
        rel_dir = os.path.relpath(dirpath, local_dir)
        parts = [] if rel_dir == os.curdir else rel_dir.split(os.sep)
        dest_dir = join_relpath(base, *parts)
        for filename in sorted(filenames):
            files.append((os.path.join(dirpath, filename), join_relpath(dest_dir, filename)))
        if not filenames and not dirnames and dest_dir:
            empty_dirs.append(dest_dir)
    return files, empty_dirs
