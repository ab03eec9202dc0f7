"""Where runs go: the tracking URI and the store and artifact root it stands for.

Precedence, first match wins:

1. ``set_tracking_uri(...)`` in this process;
2. the ``TRACKLOG_TRACKING_URI`` environment variable;
3. the ``MLFLOW_TRACKING_URI`` environment variable;
4. the embedded default: ``./mlruns`` of the current directory.

Meaning of a URI:

* a bare path or a ``file:`` URI is an *embedded* store in that folder: the
  SQLite database ``<folder>/tracklog.db`` and artifacts under ``<folder>/artifacts``;
* ``sqlite:///...``, ``postgresql://...``, ``mysql+pymysql://...`` (any
  SQLAlchemy URL of those families) is the SQL store itself; new experiments put
  their artifacts under ``TRACKLOG_DEFAULT_ARTIFACT_ROOT`` /
  ``MLFLOW_DEFAULT_ARTIFACT_ROOT``, or ``./mlruns/artifacts``;
* ``http://`` / ``https://`` is a tracking server (the REST store).

This module imports nothing heavy; the store is built on first use.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from tracklog.exceptions import InvalidArgument

if TYPE_CHECKING:
    from tracklog.store.base import TrackingStore

__all__ = [
    "ARTIFACT_ROOT_ENV_VARS",
    "DEFAULT_FOLDER",
    "TRACKING_URI_ENV_VARS",
    "StoreTarget",
    "get_store_for",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "resolve",
    "set_tracking_uri",
]

TRACKING_URI_ENV_VARS = ("TRACKLOG_TRACKING_URI", "MLFLOW_TRACKING_URI")
ARTIFACT_ROOT_ENV_VARS = ("TRACKLOG_DEFAULT_ARTIFACT_ROOT", "MLFLOW_DEFAULT_ARTIFACT_ROOT")
DEFAULT_FOLDER = "mlruns"
EMBEDDED_DB_NAME = "tracklog.db"
EMBEDDED_ARTIFACTS_DIR = "artifacts"
SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb")
REST_SCHEMES = ("http", "https")

_lock = threading.Lock()
_explicit_uri: str | None = None
_stores: dict[tuple[str, str | None], TrackingStore] = {}

StoreKind = Literal["embedded", "sql", "rest", "other"]


@dataclass(frozen=True, slots=True)
class StoreTarget:
    """What a tracking URI resolves to."""

    tracking_uri: str  # the public spelling (file: URIs are absolute)
    kind: StoreKind
    store_uri: str  # what tracklog.store.registry.get_store receives
    artifact_root: str | None  # default artifact root for new experiments (None: the server decides)


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Send runs to ``uri`` from now on in this process; ``None`` goes back to env/default.

    A relative path is made absolute now, against the current directory."""
    global _explicit_uri
    with _lock:
        _explicit_uri = None if uri is None else _normalize(os.fspath(uri))


def is_tracking_uri_set() -> bool:
    """True if a URI was set explicitly or through an environment variable."""
    return _explicit_uri is not None or _env_uri() is not None


def get_tracking_uri() -> str:
    """The current tracking URI, following the precedence in this module's doc."""
    if _explicit_uri is not None:
        return _explicit_uri
    env = _env_uri()
    if env is not None:
        return _normalize(env)
    return _folder_to_uri(Path.cwd() / DEFAULT_FOLDER)


def resolve(uri: str | os.PathLike[str] | None = None) -> StoreTarget:
    """Resolve ``uri`` (default: the current tracking URI) into a ``StoreTarget``."""
    public = get_tracking_uri() if uri is None else _normalize(os.fspath(uri))
    scheme = _scheme(public)
    if scheme == "file":
        folder = _file_uri_to_path(public)
        return StoreTarget(
            tracking_uri=public,
            kind="embedded",
            store_uri="sqlite:///" + str(folder / EMBEDDED_DB_NAME),
            artifact_root=str(folder / EMBEDDED_ARTIFACTS_DIR),
        )
    if scheme.split("+", 1)[0] in SQL_SCHEMES:
        return StoreTarget(public, "sql", public, _default_artifact_root())
    if scheme in REST_SCHEMES:
        return StoreTarget(public, "rest", public.rstrip("/"), None)
    # Left to the store registry, which names the schemes it knows.
    return StoreTarget(public, "other", public, _default_artifact_root())


def get_store_for(uri: str | os.PathLike[str] | None = None) -> TrackingStore:
    """The (process-cached) store for ``uri``; an embedded folder is created on first use."""
    target = resolve(uri)
    key = (target.store_uri, target.artifact_root)
    with _lock:
        store = _stores.get(key)
        if store is not None:
            return store
    if target.kind == "embedded":
        _file_uri_to_path(target.tracking_uri).mkdir(parents=True, exist_ok=True)
    from tracklog.store.registry import get_store

    store = get_store(target.store_uri, default_artifact_root=target.artifact_root)
    with _lock:
        return _stores.setdefault(key, store)


def _clear_store_cache() -> None:
    """Close and forget cached stores (tests, and ``tracklog`` processes that fork)."""
    with _lock:
        stores = list(_stores.values())
        _stores.clear()
    for store in stores:
        store.close()


def _env_uri() -> str | None:
    for name in TRACKING_URI_ENV_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _default_artifact_root() -> str:
    for name in ARTIFACT_ROOT_ENV_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return str(Path.cwd() / DEFAULT_FOLDER / EMBEDDED_ARTIFACTS_DIR)


def _scheme(uri: str) -> str:
    head, sep, _ = uri.partition(":")
    # "C:\\x" (a Windows drive) is a path, not a scheme.
    if not sep or len(head) == 1 or not head.replace("+", "").replace("-", "").replace(".", "").isalnum():
        return ""
    return head.lower()


def _normalize(uri: str) -> str:
    """Bare paths and relative ``file:`` URIs become absolute ``file://`` URIs."""
    uri = uri.strip()
    if not uri:
        raise InvalidArgument("the tracking URI must not be empty")
    scheme = _scheme(uri)
    if scheme == "":
        return _folder_to_uri(Path(uri).expanduser())
    if scheme == "file":
        return _folder_to_uri(_file_uri_to_path(uri))
    return uri


def _file_uri_to_path(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.netloc not in ("", "localhost"):
        raise InvalidArgument(f"file URIs must be local, got host {parsed.netloc!r} in {uri!r}")
    path = url2pathname(unquote(parsed.path)) if parsed.path else "."
    return Path(path).expanduser().resolve()


def _folder_to_uri(folder: Path) -> str:
    return folder.expanduser().resolve().as_uri()
