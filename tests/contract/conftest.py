"""The TrackingStore contract suite: every test runs on SQLite, PostgreSQL and MariaDB/MySQL.

Server databases live for the whole session, so each test starts from a clean
store: every row of every table is deleted and the Default experiment is
re-created (every table hangs off ``experiments`` with ON DELETE CASCADE). SQLite
tests share one database file per session in the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, delete

from tracklog.store.sql import schema
from tracklog.store.sql.db import Database
from tracklog.store.sql.engine import dispose_engine, get_engine
from tracklog.store.sql.experiments import ensure_default
from tracklog.store.sql.store import SqlStore


def _wipe(db_uri: str, artifact_root: str) -> None:
    def wipe(conn: Connection) -> None:
        # Every other table hangs off experiments through ON DELETE CASCADE foreign keys.
        conn.execute(delete(schema.experiments))
        ensure_default(conn, artifact_root)

    Database(get_engine(db_uri)).write(wipe)


@pytest.fixture(scope="session")
def sqlite_session_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One SQLite database for the session, wiped before each test like the server databases."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('contract') / 'contract.db'}"
    yield uri
    dispose_engine(uri)


@pytest.fixture
def artifact_root(tmp_path: os.PathLike[str]) -> str:
    return os.path.join(os.fspath(tmp_path), "artifacts")


@pytest.fixture
def store(sql_backend: str, request: pytest.FixtureRequest, artifact_root: str) -> Iterator[SqlStore]:
    """A clean store; ``store.db_uri`` is its database."""
    if sql_backend == "sqlite":
        db_uri = str(request.getfixturevalue("sqlite_session_uri"))
    else:
        db_uri = str(request.getfixturevalue("database_uri"))
    sql_store = SqlStore(db_uri, artifact_root)
    _wipe(db_uri, artifact_root)
    yield sql_store
