"""Migrations: the migrated database equals schema.metadata; versions behind/ahead are handled."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from tracklog.store.sql import schema
from tracklog.store.sql.engine import dispose_engine, get_engine
from tracklog.store.sql.migrate import VERSION_TABLE, SchemaError, SchemaOutdated, ensure_schema, head_revision, upgrade
from tracklog.store.sql.store import SqlStore


def test_migrated_schema_matches_metadata(store: SqlStore) -> None:
    database_uri = store.db_uri
    engine = get_engine(database_uri)

    def created_here(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        """Alembic ignores ``ddl_if``: an index the metadata creates on another dialect only is
        not expected here (``schema.params``' SQLite-only index)."""
        ddl_if = getattr(obj, "_ddl_if", None)
        return reflected or ddl_if is None or ddl_if.dialect in (None, engine.dialect.name)

    with engine.connect() as conn:
        opts = {"compare_type": True, "version_table": VERSION_TABLE, "include_object": created_here}
        ctx = MigrationContext.configure(conn, opts=opts)
        diffs = compare_metadata(ctx, schema.metadata)
        assert diffs == []
        assert ctx.get_current_revision() == head_revision()
        tables = set(inspect(conn).get_table_names()) - {"tracklog_schema_version"}
    assert tables == set(schema.metadata.tables)


def test_upgrade_is_idempotent(store: SqlStore) -> None:
    database_uri = store.db_uri
    assert upgrade(database_uri) == head_revision()


def _set_version(database_uri: str, version: str) -> None:
    with get_engine(database_uri).begin() as conn:
        conn.execute(text("UPDATE tracklog_schema_version SET version_num = :v"), {"v": version})


def test_schema_ahead_is_refused(store: SqlStore) -> None:
    database_uri = store.db_uri
    _set_version(database_uri, "9999_from_the_future")
    try:
        with pytest.raises(SchemaError, match="newer tracklog"):
            ensure_schema(get_engine(database_uri), auto_migrate=True)
    finally:
        _set_version(database_uri, head_revision())


def test_schema_behind_without_auto_migrate(store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> None:
    database_uri = store.db_uri
    # Pretend the code is one revision ahead of the database.
    monkeypatch.setattr("tracklog.store.sql.migrate.head_revision", lambda: "0002_future")
    monkeypatch.setattr("tracklog.store.sql.migrate._check_known", lambda revision: None)
    with pytest.raises(SchemaOutdated, match="tracklog db upgrade"):
        ensure_schema(get_engine(database_uri), auto_migrate=False)


def test_foreign_tables_are_refused(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'other.db'}"
    with get_engine(uri).begin() as conn:
        conn.execute(text("CREATE TABLE something_else (a INTEGER)"))
    try:
        with pytest.raises(SchemaError, match="no tracklog schema version"):
            SqlStore(uri, str(tmp_path))
    finally:
        dispose_engine(uri)


def test_sqlite_pragmas(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'p.db'}"
    SqlStore(uri, str(tmp_path))
    try:
        with get_engine(uri).connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
            assert conn.execute(text("SELECT 'A' LIKE 'a'")).scalar() == 0
    finally:
        dispose_engine(uri)


def test_sqlite_creates_parent_directory(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "t.db"
    uri = f"sqlite:///{path}"
    store = SqlStore(uri, str(tmp_path))
    try:
        assert store.get_experiment("0").name == "Default"
        assert os.path.exists(path)
    finally:
        dispose_engine(uri)
    shutil.rmtree(tmp_path / "deep")
