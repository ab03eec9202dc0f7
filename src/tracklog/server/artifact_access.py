"""Where the server reads and writes artifacts, with every path passed through ``safe_relpath``.

* ``mlflow-artifacts:/<p>`` URIs (proxied mode) live in the artifacts-destination
  repository, below ``<p>``.
* Any other URI (direct mode: ``file:``, ``s3://``...) is opened through the
  artifact registry.

``ArtifactScope`` is a view of one repository below a validated prefix: callers
pass paths relative to the scope and get listings relative to it.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from typing import BinaryIO
from urllib.parse import urlsplit

from tracklog.artifacts._async import consume_via_thread
from tracklog.artifacts.base import ArtifactRepository
from tracklog.artifacts.bundle import unpack_bundle
from tracklog.artifacts.paths import safe_relpath
from tracklog.entities import FileInfo
from tracklog.exceptions import InvalidArgument

__all__ = ["PROXY_SCHEME", "ArtifactAccess", "ArtifactScope"]

PROXY_SCHEME = "mlflow-artifacts"
TreeEntry = tuple[str, int | None, Callable[[], BinaryIO] | None]
RepositoryFactory = Callable[[str], ArtifactRepository]


def _checked(path: str | None) -> str:
    # U+FFFD is what ASGI servers substitute for invalid UTF-8 (e.g. overlong %c0%ae)
    # when they decode the URL path or query: refuse it rather than store mojibake.
    if path and "\ufffd" in path:
        raise InvalidArgument("Invalid path: not valid UTF-8")
    return safe_relpath(path)


def _join(prefix: str, path: str) -> str:
    return f"{prefix}/{path}" if prefix and path else prefix or path


class ArtifactScope:
    """A repository seen from below ``prefix`` (already validated)."""

    def __init__(self, repo: ArtifactRepository, prefix: str = "") -> None:
        self.repo = repo
        self.prefix = prefix

    def full_path(self, path: str | None) -> str:
        return _join(self.prefix, _checked(path))

    def list(self, path: str | None = None) -> list[FileInfo]:
        full = self.full_path(path)
        infos = self.repo.list_artifacts(full or None)
        if not self.prefix:
            return infos
        cut = len(self.prefix) + 1
        return [FileInfo(i.path[cut:] if i.path.startswith(self.prefix + "/") else i.path,
                         i.is_dir, i.file_size) for i in infos]

    def open_read(self, path: str) -> BinaryIO:
        return self.repo.open_read(self._file_path(path))

    def file_size(self, path: str) -> int | None:
        return self.repo.file_size(self._file_path(path))

    def delete(self, path: str | None) -> None:
        full = self.full_path(path)
        self.repo.delete_artifacts(full or None)

    async def write_stream(self, path: str, chunks: AsyncIterator[bytes]) -> int:
        return await self.repo.write_stream_async(self._file_path(path), chunks)

    async def write_bundle(self, directory: str, chunks: AsyncIterator[bytes]) -> int:
        """Unpack a tar bundle below ``directory``, each member written like one upload; return the count."""
        base = _join(self.prefix, _checked(directory))

        def write_many(files: Iterable[tuple[str, Iterator[bytes]]]) -> int:
            # names are checked by bundle_files, and again by the repository
            return self.repo.write_many((_join(base, name), data) for name, data in files)

        return await consume_via_thread(lambda body: unpack_bundle(body, write_many), chunks)

    def tree_entries(self, directory: str) -> Iterator[TreeEntry]:
        """``(path below directory, size, open)`` of every directory (open None) and file of a tree,
        as ``stream_bundle`` takes them. The top directory is listed now (so a bad path or a link
        fails before a response starts), the rest lazily, one directory at a time."""
        base = _checked(directory)
        return self._tree(base, self.list(base or None))

    def _tree(self, base: str, top: Sequence[FileInfo]) -> Iterator[TreeEntry]:
        cut = len(base) + 1 if base else 0
        pending: list[Sequence[FileInfo]] = [top]
        while pending:
            for info in pending.pop():
                if info.is_dir:
                    pending.append(self.list(info.path))
                    yield info.path[cut:], None, None
                else:
                    yield info.path[cut:], info.file_size, functools.partial(self.open_read, info.path)

    def _file_path(self, path: str) -> str:
        rel = _checked(path)
        if not rel:
            raise InvalidArgument("Invalid path: a file path is required")
        return _join(self.prefix, rel)


class ArtifactAccess:
    """Resolves artifact root URIs (of runs, models, experiments) to scopes."""

    def __init__(self, destination: ArtifactRepository, repository_factory: RepositoryFactory) -> None:
        self.destination = destination
        self._factory = repository_factory

    def proxy(self) -> ArtifactScope:
        """The artifacts-destination root, as the proxy routes see it."""
        return ArtifactScope(self.destination)

    def for_uri(self, uri: str) -> ArtifactScope:
        if uri.lower().startswith(PROXY_SCHEME + ":"):
            return ArtifactScope(self.destination, proxied_path(uri))
        return ArtifactScope(self._factory(uri))


def proxied_path(uri: str) -> str:
    """The destination-relative path of a ``mlflow-artifacts:[//host]/<p>`` URI."""
    parts = urlsplit(uri)
    if parts.query or parts.fragment or "?" in uri or "#" in uri:
        raise InvalidArgument("Invalid artifact URI: queries and fragments are not allowed")
    return safe_relpath(parts.path.lstrip("/"))
