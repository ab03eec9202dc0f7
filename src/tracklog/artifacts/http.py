"""Artifacts through a tracking server's artifact proxy (``/api/2.0/mlflow-artifacts``).

Roots look like ``mlflow-artifacts:/1/<run>/artifacts`` (sent to the tracking server; a
host in the URI, ``mlflow-artifacts://host:port/...``, replaces the tracking host but keeps
its scheme and path prefix) or ``http(s)://host/api/2.0/mlflow-artifacts/artifacts/1/...``.

Uploads are one streamed PUT per file (never read whole into memory); trees go up and
down through a small thread pool; downloads are streamed into a temporary file beside the
target and renamed into place when complete.

Directory uploads to a tracklog server pack small files (up to ``BUNDLE_FILE_MAX``) into
tar bundles of at most ``BUNDLE_FILES`` files / ``BUNDLE_BYTES`` bytes, one POST each
(``tracklog.artifacts.bundle``); bigger files still go one PUT each. The first bundle is
kept small: a server without the endpoint (``mlflow server``) answers it 404, and the whole
directory then goes one PUT per file. Directory downloads likewise ask for the tree as one tar
(``GET`` on the bundle endpoint) and fall back to listing it and one GET per file.
"""

from __future__ import annotations

import functools
import io
import mimetypes
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, suppress
from typing import Any, BinaryIO, NamedTuple
from urllib.parse import quote, urlsplit

import httpx

from tracklog.artifacts._progress import Progress as _Progress
from tracklog.artifacts.base import CHUNK_SIZE, ArtifactRepository
from tracklog.artifacts.bundle import BUNDLE_MEDIA_TYPE, ChunkReader, bundle_members, pack_bundle
from tracklog.artifacts.paths import safe_relpath
from tracklog.client.transport import HttpTransport, get_transport
from tracklog.entities import FileInfo
from tracklog.exceptions import (
    EndpointNotFound,
    InvalidArgument,
    NotFound,
    RequestTooLarge,
    TrackingError,
)

__all__ = ["ARTIFACTS_API", "HttpArtifactRepository", "resolve_artifact_root"]

ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
BUNDLE_API = "/api/2.0/tracklog/artifacts/bundle"
MAX_WORKERS = 8
BUNDLE_FILE_MAX = 1024 * 1024  # files up to this size travel in bundles
BUNDLE_FILES = 1000
BUNDLE_BYTES = 8 * 1024 * 1024
_PROBE_FILES = 16  # the first bundle, which also finds out whether the server has the endpoint
_PROBE_BYTES = 256 * 1024
_TRACKING_ENV = ("TRACKLOG_TRACKING_URI", "MLFLOW_TRACKING_URI")


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def resolve_artifact_root(root_uri: str, tracking_uri: str | None = None) -> tuple[str, str]:
    """(server base URL, root path below the server's artifacts destination) of a root URI."""
    parts = urlsplit(root_uri)
    scheme = parts.scheme.lower()
    if scheme == "mlflow-artifacts":
        tracking = tracking_uri or next((os.environ[n] for n in _TRACKING_ENV if os.environ.get(n)), None)
        track = urlsplit(tracking or "")
        if track.scheme.lower() not in ("http", "https"):
            if not parts.netloc:
                raise InvalidArgument(
                    f"'{root_uri}' is served by a tracking server: set an http(s) tracking URI "
                    "(TRACKLOG_TRACKING_URI) to reach it"
                )
            track = urlsplit("http://")
        server = f"{track.scheme.lower()}://{parts.netloc or track.netloc}{track.path.rstrip('/')}"
        root = parts.path
    elif scheme in ("http", "https"):
        at = parts.path.find(ARTIFACTS_API)
        if at < 0:
            raise InvalidArgument(f"'{root_uri}' is not an artifact-proxy URL (no '{ARTIFACTS_API}' in it)")
        server = f"{scheme}://{parts.netloc}{parts.path[:at]}"
        root = parts.path[at + len(ARTIFACTS_API) :]
    else:
        raise InvalidArgument(f"HttpArtifactRepository cannot serve '{root_uri}'")
    return server, safe_relpath(root.strip("/"))


class _ReportingFile(io.FileIO):
    """A file whose reads feed a progress bar (httpx streams it with Content-Length)."""

    def __init__(self, path: str, progress: _Progress | None) -> None:
        super().__init__(path, "rb")
        self._progress = progress

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if self._progress is not None and chunk:
            self._progress.advance(len(chunk))
        return chunk or b""


class _Upload(NamedTuple):
    local: str
    name: str  # below the upload's base directory
    size: int


def _batches(jobs: list[_Upload]) -> list[list[_Upload]]:
    """A small first bundle (the probe), then bundles of up to BUNDLE_FILES files / BUNDLE_BYTES."""
    batches: list[list[_Upload]] = [[]]
    size = 0
    for job in jobs:
        first = len(batches) == 1
        max_files, max_bytes = (_PROBE_FILES, _PROBE_BYTES) if first else (BUNDLE_FILES, BUNDLE_BYTES)
        if batches[-1] and (len(batches[-1]) >= max_files or size + job.size > max_bytes):
            batches.append([])
            size = 0
        batches[-1].append(job)
        size += job.size
    return batches


def _no_endpoint(exc: TrackingError) -> bool:
    """What a server without the bundle endpoint answers (mlflow: 404, or 405 for the method)."""
    return isinstance(exc, EndpointNotFound) or " failed with 405 " in str(exc)


def _too_large(exc: TrackingError) -> bool:
    """A 413 (from a reverse proxy's body-size limit; tracklog's bundle endpoint has none)."""
    return isinstance(exc, RequestTooLarge) or " failed with 413 " in str(exc)


def _run_parallel(task: Callable[[Any], None], items: Sequence[Any], workers: int) -> None:
    """Run ``task`` on every item with a thread pool; re-raise the first failure."""
    if len(items) <= 1 or workers <= 1:
        for item in items:
            task(item)
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="tracklog-art") as pool:
        futures = [pool.submit(task, item) for item in items]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        for future in done:
            error = future.exception()
            if error is not None:
                raise error


class HttpArtifactRepository(ArtifactRepository):
    """Files below ``root_uri``, read and written through a tracking server's artifact proxy."""

    def __init__(
        self,
        root_uri: str,
        tracking_uri: str | None = None,
        *,
        transport: HttpTransport | None = None,
        max_workers: int = MAX_WORKERS,
    ) -> None:
        super().__init__(root_uri)
        self.server_url, self.root_path = resolve_artifact_root(root_uri, tracking_uri)
        self._http = transport or get_transport(self.server_url)
        self.max_workers = max_workers

    # -- paths ---------------------------------------------------------------------
    def _remote(self, path: str | None) -> str:
        """Path below the server's destination root; the repository root when empty."""
        return _join(self.root_path, safe_relpath(path))

    def _file_endpoint(self, remote: str) -> str:
        return ARTIFACTS_API + "/" + quote(remote, safe="/")

    def _file_remote(self, path: str | None) -> str:
        rel = safe_relpath(path)
        if not rel:
            raise InvalidArgument("Invalid path: a file path is required")
        return _join(self.root_path, rel)

    # -- uploads -------------------------------------------------------------------
    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        rel = _join(safe_relpath(artifact_path), safe_relpath(os.path.basename(local_file)))
        size = os.path.getsize(local_file)
        progress = _Progress(f"upload {rel}", size, 1)
        try:
            self._put_file(local_file, rel, progress)
        finally:
            progress.close()

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        base = safe_relpath(artifact_path)
        local_dir = os.path.abspath(local_dir)
        jobs: list[_Upload] = []
        for folder, _dirs, names in os.walk(local_dir):
            sub = os.path.relpath(folder, local_dir)
            sub_rel = "" if sub == "." else sub.replace(os.sep, "/")
            for name in sorted(names):
                local = os.path.join(folder, name)
                jobs.append(_Upload(local, safe_relpath(_join(sub_rel, name)), os.path.getsize(local)))
        total = sum(job.size for job in jobs)
        progress = _Progress(f"upload {len(jobs)} files", total, len(jobs))
        try:
            self._upload_tree(base, jobs, progress)
        finally:
            progress.close()

    def _upload_tree(self, base: str, jobs: list[_Upload], progress: _Progress) -> None:
        """Small files in bundles when the server takes them, the rest (or all) one PUT each."""
        small = [job for job in jobs if job.size <= BUNDLE_FILE_MAX]
        tasks: list[Callable[[], object]] = []
        if len(small) > 1:
            batches = _batches(small)
            if self._put_bundle(base, batches[0], progress):
                tasks = [functools.partial(self._put_batch, base, batch, progress) for batch in batches[1:]]
                jobs = [job for job in jobs if job.size > BUNDLE_FILE_MAX]
        tasks += [functools.partial(self._put_file, job.local, _join(base, job.name), progress) for job in jobs]
        _run_parallel(lambda task: task(), tasks, self.max_workers)

    def _put_batch(self, base: str, batch: list[_Upload], progress: _Progress | None) -> None:
        """A bundle after the probe. A server that no longer takes bundles (404/405: behind a load
        balancer, a replica without the endpoint) gets one PUT per file: the batch is never dropped."""
        if not self._put_bundle(base, batch, progress):
            for job in batch:
                self._put_file(job.local, _join(base, job.name), progress)

    def _put_bundle(self, base: str, batch: list[_Upload], progress: _Progress | None) -> bool:
        """POST one bundle below ``base``; False if the server has no bundle endpoint."""
        body = pack_bundle((job.local, job.name) for job in batch)
        directory = _join(self.root_path, base)
        try:
            response = self._http.request(
                "POST",
                BUNDLE_API + "/" + quote(directory, safe="/"),
                content=body,
                headers={"Content-Type": BUNDLE_MEDIA_TYPE},
                retry_safe=True,
            )
        except TrackingError as exc:
            if _no_endpoint(exc):
                return False
            if not _too_large(exc):
                raise
            # a proxy in front (nginx's default client_max_body_size is 1 MiB) refused the bundle:
            # this batch goes one PUT per file, as it would without bundles
            for job in batch:
                self._put_file(job.local, _join(base, job.name), progress)
            return True
        written = _written(response)
        if written != len(batch):  # never a silent loss: the server must account for every file
            raise TrackingError(f"The server wrote {written} of the {len(batch)} files of a bundle below '{base}'")
        if progress is not None:
            progress.advance(sum(job.size for job in batch))
        return True

    def _put_file(self, local_file: str, rel: str, progress: _Progress | None) -> None:
        """One streamed PUT; the file is reopened for each attempt and feeds ``progress``."""
        mime = mimetypes.guess_type(rel)[0] or "application/octet-stream"
        self._http.request(
            "PUT",
            self._file_endpoint(_join(self.root_path, rel)),
            content=lambda: _ReportingFile(local_file, progress),
            headers={"Content-Type": mime},
        )

    def write_stream(self, path: str, chunks: Iterator[bytes]) -> int:
        remote = self._file_remote(path)
        written = 0

        def counted() -> Iterator[bytes]:
            nonlocal written
            for chunk in chunks:
                if chunk:
                    written += len(chunk)
                    yield chunk

        mime = mimetypes.guess_type(remote)[0] or "application/octet-stream"
        self._http.request("PUT", self._file_endpoint(remote), content=counted(), headers={"Content-Type": mime})
        return written

    # -- listing -------------------------------------------------------------------
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        rel = safe_relpath(path)
        remote = _join(self.root_path, rel)
        body = self._http.call("GET", ARTIFACTS_API, params={"path": remote or None})
        infos: list[FileInfo] = []
        for entry in body.get("files") or []:
            if not isinstance(entry, dict):
                continue
            name = safe_relpath(str(entry.get("path", "")))
            is_dir = bool(entry.get("is_dir", False))
            size = entry.get("file_size")
            # Protobuf JSON omits a zero size: a file without one is empty.
            infos.append(FileInfo(_join(rel, name), is_dir, None if is_dir else int(size or 0)))
        # Some servers list a file as itself: that is "a file", not a directory.
        if rel and len(infos) == 1 and not infos[0].is_dir and infos[0].path == _join(rel, rel.split("/")[-1]):
            return []
        return sorted(infos, key=lambda f: f.path)

    def file_size(self, path: str) -> int | None:
        rel = safe_relpath(path)
        if not rel:
            return None
        parent = rel.rpartition("/")[0]
        for info in self.list_artifacts(parent or None):
            if info.path == rel:
                return None if info.is_dir else info.file_size
        return None

    def _walk(self, top: list[FileInfo]) -> tuple[list[FileInfo], list[str]]:
        """Every file below the listing ``top`` and every directory (including empty ones)."""
        files: list[FileInfo] = []
        dirs: list[str] = []
        pending = list(top)
        while pending:
            info = pending.pop()
            if info.is_dir:
                dirs.append(info.path)
                pending.extend(self.list_artifacts(info.path))
            else:
                files.append(info)
        return files, dirs

    # -- downloads -----------------------------------------------------------------
    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        rel = safe_relpath(artifact_path)
        dst = os.path.abspath(dst_path) if dst_path else tempfile.mkdtemp(prefix="tracklog-artifacts-")
        os.makedirs(dst, exist_ok=True)
        target = os.path.join(dst, *rel.split("/")) if rel else dst
        top = self.list_artifacts(rel or None)
        if rel and not top:  # a file (or an empty directory, or nothing at all)
            try:
                self._get_file(rel, target, None)
            except InvalidArgument:  # the server says it is a directory: an empty one
                os.makedirs(target, exist_ok=True)
            return target
        os.makedirs(target, exist_ok=True)
        if self._get_bundle(rel, target):
            return target
        files, dirs = self._walk(top)
        for d in dirs:
            os.makedirs(os.path.join(dst, *d.split("/")), exist_ok=True)
        total = sum(f.file_size or 0 for f in files)
        progress = _Progress(f"download {len(files)} files", total, len(files))
        try:
            _run_parallel(
                lambda f: self._get_file(f.path, os.path.join(dst, *f.path.split("/")), progress),
                files,
                self.max_workers,
            )
        finally:
            progress.close()
        return target

    def _get_bundle(self, rel: str, target: str) -> bool:
        """The tree below ``rel`` in one tar response, into ``target``; False if the server cannot."""
        try:
            with self._http.stream("GET", BUNDLE_API + "/" + quote(_join(self.root_path, rel), safe="/")) as response:
                for name, data in bundle_members(response.iter_bytes(CHUNK_SIZE), max_members=0):
                    local = os.path.join(target, *name.split("/"))  # a safe_relpath-checked name
                    if data is None:
                        os.makedirs(local, exist_ok=True)
                    else:
                        _write_local(local, data)
        except httpx.TransportError:  # broke off mid-way: the per-file path retries file by file
            return False
        except TrackingError as exc:
            if _no_endpoint(exc):
                return False
            raise
        return True

    def _get_file(self, rel: str, local: str, progress: _Progress | None) -> None:
        """Stream one file into ``local`` through a temporary file; retry broken transfers."""
        os.makedirs(os.path.dirname(local) or ".", exist_ok=True)
        tmp = os.path.join(os.path.dirname(local), f".{os.path.basename(local)}.part-{uuid.uuid4().hex[:12]}")
        attempts = self._http.settings.max_retries + 1
        for attempt in range(attempts):
            try:
                with self._http.stream("GET", self._file_endpoint(_join(self.root_path, rel))) as response:
                    own = progress or _Progress(f"download {rel}", _length(response), 1)
                    try:
                        with open(tmp, "wb") as out:
                            for chunk in response.iter_bytes(CHUNK_SIZE):
                                out.write(chunk)
                                own.advance(len(chunk))
                    finally:
                        if own is not progress:
                            own.close()
                os.replace(tmp, local)
                return
            except httpx.TransportError:  # the body broke off mid-way: start this file again
                if attempt + 1 == attempts:
                    raise
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)

    def open_read(self, path: str) -> BinaryIO:
        remote = self._file_remote(path)
        context: AbstractContextManager[httpx.Response] = self._http.stream("GET", self._file_endpoint(remote))
        response = context.__enter__()

        def finish() -> None:
            context.__exit__(None, None, None)

        raw = ChunkReader(response.iter_bytes(CHUNK_SIZE), on_close=finish)
        return io.BufferedReader(raw, buffer_size=CHUNK_SIZE)

    # -- deletes -------------------------------------------------------------------
    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        remote = self._remote(artifact_path)
        if not remote:
            raise InvalidArgument("refusing to delete the server's whole artifacts destination")
        with suppress(NotFound):
            self._http.call("DELETE", self._file_endpoint(remote))


def _write_local(local: str, chunks: Iterator[bytes]) -> None:
    """Write a downloaded file through a temporary file beside it, renamed into place when complete."""
    os.makedirs(os.path.dirname(local) or ".", exist_ok=True)
    tmp = os.path.join(os.path.dirname(local), f".{os.path.basename(local)}.part-{uuid.uuid4().hex[:12]}")
    try:
        with open(tmp, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        os.replace(tmp, local)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _written(response: httpx.Response) -> int | None:
    """The ``files`` count of a bundle POST's answer (None if it has none)."""
    try:
        files = response.json().get("files")
    except (ValueError, AttributeError):
        return None
    return files if isinstance(files, int) else None


def _length(response: httpx.Response) -> int | None:
    raw = response.headers.get("Content-Length")
    return int(raw) if raw and raw.isdigit() else None
