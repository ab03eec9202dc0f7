"""Schema migrations: one Alembic history, run under a lock, never twice.

``ensure_schema(engine, auto_migrate)`` is what ``SqlStore`` calls on start:

* schema at head: nothing to do (the common case, checked without a lock);
* empty database: initialized, on every backend;
* schema behind the code: upgraded when ``auto_migrate`` (the default for
  SQLite, where tracklog is embedded), otherwise ``SchemaOutdated`` telling to
  run ``tracklog db upgrade URI``;
* schema ahead of the code (a newer tracklog migrated it), or tables that are
  not tracklog's: refused.

Every migration takes a lock first (PostgreSQL ``pg_advisory_lock``,
MySQL/MariaDB ``GET_LOCK``, SQLite an exclusive ``fcntl`` lock on
``<db file>.migrate.lock``) and then re-reads the version, so two processes
starting at once migrate exactly once.
"""

from __future__ import annotations

import fcntl
import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, inspect, text

from tracklog.exceptions import TrackingError
from tracklog.store.sql.engine import WRITE_OPTION, get_engine, is_memory_sqlite

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_PG_LOCK_KEY = 0x7472_6B6C  # "trkl"
_MYSQL_LOCK_NAME = "tracklog_migrate"
_LOCK_TIMEOUT_S = 600
_process_lock = threading.Lock()
#: Alembic's version table, named so that it can't be mistaken for another application's.
VERSION_TABLE = "tracklog_schema_version"

__all__ = ["SchemaError", "SchemaOutdated", "current_revision", "ensure_schema", "head_revision", "upgrade"]


class SchemaError(TrackingError):
    """The database schema cannot be used by this version of tracklog."""


class SchemaOutdated(SchemaError):
    """The schema is behind the code; ``tracklog db upgrade URI`` fixes it."""


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@functools.cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def upgrade(db_uri: str) -> str | None:
    """Bring the database at ``db_uri`` to the newest schema (the ``tracklog db upgrade`` command).

    Returns the revision found before upgrading (None for an empty database)."""
    engine = get_engine(db_uri)
    return _migrate(engine, allow_upgrade=True)


def ensure_schema(engine: Engine, auto_migrate: bool | None = None) -> None:
    """Check the schema on store start; initialize or upgrade it when allowed (see module doc)."""
    if auto_migrate is None:
        auto_migrate = engine.dialect.name == "sqlite"
    head = head_revision()
    with engine.connect() as conn:
        if current_revision(conn) == head:
            return
    _migrate(engine, allow_upgrade=auto_migrate)


def _migrate(engine: Engine, *, allow_upgrade: bool) -> str | None:
    head = head_revision()
    with _process_lock, _migration_lock(engine) as conn:
        found = current_revision(conn)
        if found == head:
            return found
        if found is None:
            names = set(inspect(conn).get_table_names()) - {VERSION_TABLE}
            if names:
                raise SchemaError(
                    "The database has tables but no tracklog schema version "
                    f"(found {', '.join(sorted(names)[:5])}...); use an empty database for tracklog"
                )
        else:
            _check_known(found)
            if not allow_upgrade:
                raise SchemaOutdated(
                    f"The database schema is at revision {found}, older than this tracklog "
                    f"({head}). Back up the database, then run: tracklog db upgrade <URI>"
                )
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
        return found


def _check_known(revision: str) -> None:
    script = ScriptDirectory.from_config(_config())
    try:
        known = script.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise SchemaError(
            f"The database schema is at revision {revision!r}, which this tracklog does not know: "
            "it was migrated by a newer tracklog. Upgrade tracklog instead."
        )


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    name = engine.dialect.name
    if name == "sqlite":
        with _sqlite_file_lock(engine), engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            yield conn
        return
    with engine.connect() as conn:
        if name == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
        else:
            got = conn.execute(
                text("SELECT GET_LOCK(:n, :t)"), {"n": _mysql_lock_name(engine), "t": _LOCK_TIMEOUT_S}
            ).scalar()
            if got != 1:
                raise SchemaError("Timed out waiting for another process's schema migration")
        conn.commit()
        try:
            yield conn
        finally:
            conn.rollback()
            if name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
            else:
                conn.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": _mysql_lock_name(engine)})
            conn.commit()


def _mysql_lock_name(engine: Engine) -> str:
    """GET_LOCK names are server-wide: one lock per database (names are at most 64 characters)."""
    return f"{_MYSQL_LOCK_NAME}:{engine.url.database or ''}"[:64]


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    if is_memory_sqlite(engine.url):
        yield
        return
    database = engine.url.database or ""
    lock_path = os.path.abspath(database) + ".migrate.lock"
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
