"""The TrackingStore contract suite: every test runs on SQLite, PostgreSQL and MariaDB/MySQL.

Server databases live for the whole session, so each test starts from a clean
store: every row of every table is deleted and the Default experiment is
re-created. SQLite tests get a copy of a database migrated once per session.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, delete

from tracklog.store.base import TrackingStore
from tracklog.store.sql import schema
from tracklog.store.sql.db import Database
from tracklog.store.sql.engine import dispose_engine, get_engine
from tracklog.store.sql.experiments import ensure_default
from tracklog.store.sql.migrate import upgrade
from tracklog.store.sql.store import SqlStore


def _wipe(db_uri: str, artifact_root: str) -> None:
    def wipe(conn: Connection) -> None:
        # Every other table hangs off experiments through ON DELETE CASCADE foreign keys.
        conn.execute(delete(schema.experiments))
        ensure_default(conn, artifact_root)

    Database(get_engine(db_uri)).write(wipe)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated SQLite database file (without the Default experiment)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    uri = f"sqlite:///{path}"
    upgrade(uri)
    dispose_engine(uri)
    return path


@pytest.fixture
def artifact_root(tmp_path: os.PathLike[str]) -> str:
    return os.path.join(os.fspath(tmp_path), "artifacts")


@pytest.fixture
def store(database_uri: str, artifact_root: str, request: pytest.FixtureRequest) -> Iterator[TrackingStore]:
    is_sqlite = database_uri.startswith("sqlite")
    if is_sqlite:
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, database_uri.removeprefix("sqlite:///"))
    sql_store = SqlStore(database_uri, artifact_root)
    if not is_sqlite:
        _wipe(database_uri, artifact_root)
    yield sql_store
    if is_sqlite:
        dispose_engine(database_uri)
