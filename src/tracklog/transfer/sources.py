"""The sources an import reads from, one reader per kind, and the choice by URI.

    http(s)://host:port            a running MLflow (or tracklog) server   -> StoreSource over RestStore
    sqlite:///mlflow.db, postgresql://..., mysql+pymysql://...
                                   an MLflow database (+ its artifact root) -> MlflowSqlSource
    ./mlruns, file:///path/mlruns  an MLflow file store folder             -> MlflowFileSource
    a tracklog export directory    (``tracklog import tracklog DIR``)      -> ExportDirSource
"""

from __future__ import annotations

import os

from tracklog.exceptions import InvalidArgument
from tracklog.transfer.base import Source
from tracklog.transfer.export_dir import ExportDirSource
from tracklog.transfer.mlflow_files import MlflowFileSource
from tracklog.transfer.mlflow_sql import MlflowSqlSource
from tracklog.transfer.store_source import StoreSource

__all__ = [
    "ExportDirSource",
    "MlflowFileSource",
    "MlflowSqlSource",
    "Source",
    "StoreSource",
    "open_mlflow_source",
    "open_store_source",
]

_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb")


def open_store_source(tracking_uri: str) -> StoreSource:
    """A source over the tracklog (or MLflow server) at ``tracking_uri``."""
    from tracklog.client.uri import get_store_for, resolve

    target = resolve(tracking_uri)
    return StoreSource(get_store_for(tracking_uri), target.tracking_uri, owns_store=False)


def open_mlflow_source(uri: str, artifact_root: str | None = None) -> Source:
    """The reader for an MLflow ``uri``: a server URL or a database URL."""
    scheme = uri.split(":", 1)[0].split("+", 1)[0].lower() if ":" in uri else ""
    if scheme in ("http", "https"):
        from tracklog.store.rest import RestStore

        url = uri.rstrip("/")
        return StoreSource(RestStore(url), url)
    if scheme in _SQL_SCHEMES:
        return MlflowSqlSource(uri, artifact_root)
    if scheme == "file" or (not scheme and os.path.isdir(uri)):
        return MlflowFileSource(uri)
    raise InvalidArgument(
        f"Cannot read MLflow data from {uri!r}: give a server URL (http://host:5000) or a database URL "
        "(sqlite:///mlflow.db, postgresql://..., mysql+pymysql://...) or an mlruns folder"
    )
