"""Tracking stores by URI scheme.

``get_store(uri, default_artifact_root)`` picks the store class from the URI's
scheme (the part before ``:``, without any ``+driver``):

    sqlite, postgresql, postgres, mysql, mariadb   -> SqlStore   (tracklog.store.sql)
    http, https                                    -> RestStore  (tracklog.store.rest)

Other packages add schemes through the ``tracklog.tracking_stores`` entry-point
group; each entry point names a factory ``(uri, default_artifact_root) -> TrackingStore``.
SQL stores share one engine per database URI within a process.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points

from tracklog.exceptions import InvalidArgument
from tracklog.store.base import TrackingStore

ENTRY_POINT_GROUP = "tracklog.tracking_stores"
DEFAULT_ARTIFACT_ROOT = "./mlartifacts"

StoreFactory = Callable[[str, str | None], TrackingStore]

# scheme -> pip extra that provides its driver (None: in the core install)
_SQL_SCHEMES: dict[str, str | None] = {
    "sqlite": None,
    "postgresql": "postgres",
    "postgres": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
}
_HTTP_SCHEMES = ("http", "https")


def _sql_store(uri: str, default_artifact_root: str | None) -> TrackingStore:
    from tracklog.store.sql.store import SqlStore

    return SqlStore(uri, default_artifact_root or DEFAULT_ARTIFACT_ROOT)


def _rest_store(uri: str, default_artifact_root: str | None) -> TrackingStore:
    module = importlib.import_module("tracklog.store.rest")
    store: TrackingStore = module.RestStore(uri)
    return store


def scheme_of(uri: str) -> str:
    if ":" not in uri:
        raise InvalidArgument(
            f"The tracking store URI has no scheme; known schemes: {', '.join(known_schemes())}"
        )
    return uri.split(":", 1)[0].split("+", 1)[0].lower()


def _plugins() -> dict[str, StoreFactory]:
    found: dict[str, StoreFactory] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found[ep.name.lower()] = ep.load()
    return found


def _builtin() -> dict[str, StoreFactory]:
    table: dict[str, StoreFactory] = {scheme: _sql_store for scheme in _SQL_SCHEMES}
    table.update({scheme: _rest_store for scheme in _HTTP_SCHEMES})
    return table


def known_schemes() -> list[str]:
    return sorted({*_builtin(), *_plugin_names()})


def _plugin_names() -> list[str]:
    return [ep.name.lower() for ep in entry_points(group=ENTRY_POINT_GROUP)]


def get_store(uri: str, default_artifact_root: str | None = None) -> TrackingStore:
    """The tracking store for ``uri``; unknown schemes raise ``InvalidArgument`` listing known ones."""
    scheme = scheme_of(uri)
    factory = _builtin().get(scheme)
    if factory is None:
        factory = _plugins().get(scheme)
    if factory is None:
        extras = ", ".join(
            f"{s} (pip install 'tracklog[{e}]')" if e else s for s, e in sorted(_SQL_SCHEMES.items())
        )
        others = sorted({*_HTTP_SCHEMES, *_plugin_names()})
        raise InvalidArgument(
            f"Unknown tracking store scheme {scheme!r}. Known schemes: {extras}, "
            f"{', '.join(others)}"
        )
    return factory(uri, default_artifact_root)
