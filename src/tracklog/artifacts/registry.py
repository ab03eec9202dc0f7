"""Artifact repositories by URI scheme.

    get_repository("s3://bucket/prefix")                 -> S3 repository (extra 's3')
    get_repository("mlflow-artifacts:/1/abc", tracking_uri="http://host:5000")

Sources of factories, later ones winning: the built-in table below, then
entry points in the ``tracklog.artifact_repositories`` group (name = scheme,
value = ``module:attr``), then :func:`register_scheme` calls. Factories named by
``module:attr`` strings are imported on first use, so optional dependencies are
only needed for the schemes actually used; a missing module raises
``MissingExtra`` naming the ``pip install`` command.

A factory is called as ``factory(uri, **context)``, receiving only the context
keywords its signature declares (or all of them if it takes ``**kwargs``), so
callers may pass ``tracking_uri=...`` to every scheme.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from tracklog.artifacts.base import ArtifactRepository
from tracklog.artifacts.uri import uri_scheme
from tracklog.exceptions import InvalidArgument, MissingExtra, TrackingError

__all__ = [
    "ENTRY_POINT_GROUP",
    "RepositoryFactory",
    "get_repository",
    "known_schemes",
    "register_scheme",
    "unregister_scheme",
]

ENTRY_POINT_GROUP = "tracklog.artifact_repositories"

RepositoryFactory = Callable[..., ArtifactRepository]


@dataclass(frozen=True, slots=True)
class _Entry:
    target: RepositoryFactory | str  # a factory, or "module:attr" imported lazily
    extra: str | None = None  # the pip extra that provides its dependencies


_LOCAL = "tracklog.artifacts.local:LocalArtifactRepository"
_HTTP = "tracklog.artifacts.http:HttpArtifactRepository"
_S3 = "tracklog.artifacts.s3:S3ArtifactRepository"
_GCS = "tracklog.artifacts.gcs:GcsArtifactRepository"
_AZURE = "tracklog.artifacts.azure:AzureArtifactRepository"

_BUILTIN: dict[str, _Entry] = {
    "": _Entry(_LOCAL),
    "file": _Entry(_LOCAL),
    "mlflow-artifacts": _Entry(_HTTP),
    "http": _Entry(_HTTP),
    "https": _Entry(_HTTP),
    "s3": _Entry(_S3, "s3"),
    "gs": _Entry(_GCS, "gcs"),
    "wasbs": _Entry(_AZURE, "azure"),
    "abfss": _Entry(_AZURE, "azure"),
    "az": _Entry(_AZURE, "azure"),
}

_lock = threading.Lock()
_registered: dict[str, _Entry] = {}
_plugins: dict[str, _Entry] | None = None


def register_scheme(
    scheme: str,
    factory: RepositoryFactory | str,
    *,
    extra: str | None = None,
    replace: bool = False,
) -> None:
    """Map ``scheme`` to a factory (or a ``module:attr`` string imported on first use).

    Re-registering a scheme that is already known needs ``replace=True``.
    """
    key = scheme.lower()
    with _lock:
        if not replace and key in _table_locked():
            raise ValueError(f"artifact URI scheme '{key}' is already registered")
        _registered[key] = _Entry(factory, extra)


def unregister_scheme(scheme: str) -> None:
    """Drop a :func:`register_scheme` registration (built-ins and entry points stay)."""
    with _lock:
        _registered.pop(scheme.lower(), None)


def known_schemes() -> list[str]:
    """Every scheme with a factory, sorted ('' is plain local paths)."""
    with _lock:
        return sorted(_table_locked())


def get_repository(uri: str, **context: Any) -> ArtifactRepository:
    """The repository for ``uri``; ``context`` (e.g. ``tracking_uri``) goes to factories that accept it."""
    scheme = uri_scheme(uri)
    with _lock:
        table = _table_locked()
    entry = table.get(scheme)
    if entry is None:
        raise InvalidArgument(f"Unsupported artifact URI scheme '{scheme}'. Known schemes: {_describe(table)}")
    factory = _load(scheme, entry)
    return factory(uri, **_accepted_kwargs(factory, context))


def _describe(table: dict[str, _Entry]) -> str:
    def one(scheme: str, entry: _Entry) -> str:
        name = repr(scheme) if scheme else "'' (plain paths)"
        return f"{name} (pip install 'tracklog[{entry.extra}]')" if entry.extra else name

    return ", ".join(one(scheme, table[scheme]) for scheme in sorted(table))


def _table_locked() -> dict[str, _Entry]:
    table = dict(_BUILTIN)
    table.update(_load_plugins_locked())
    table.update(_registered)
    return table


def _load_plugins_locked() -> dict[str, _Entry]:
    global _plugins
    if _plugins is None:
        _plugins = {ep.name.lower(): _Entry(ep.value) for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return _plugins


def _load(scheme: str, entry: _Entry) -> RepositoryFactory:
    if not isinstance(entry.target, str):
        return entry.target
    module_name, _, attr = entry.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if entry.extra:
            raise MissingExtra(entry.extra, f"Artifact URI scheme '{scheme}'") from exc
        raise TrackingError(
            f"Artifact URI scheme '{scheme}' is unavailable: cannot import {module_name} ({exc})"
        ) from exc
    factory: RepositoryFactory = getattr(module, attr)
    return factory


def _accepted_kwargs(factory: RepositoryFactory, context: dict[str, Any]) -> dict[str, Any]:
    if not context:
        return {}
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return dict(context)
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return {k: v for k, v in context.items() if k in names}
