"""Engine creation: URI normalization, driver checks, SQLite pragmas, one engine per URI.

* ``postgresql://`` / ``postgres://`` use psycopg 3 (``postgresql+psycopg://``);
  ``mysql://`` / ``mariadb://`` use PyMySQL with ``charset=utf8mb4``.
* SQLite connections run in WAL mode with a busy timeout, foreign keys on,
  ``synchronous=NORMAL`` and ``case_sensitive_like=ON`` (the search compiler
  relies on a case-sensitive LIKE). The driver's own transaction handling is
  switched off so that tracklog emits ``BEGIN`` itself: write transactions
  start with ``BEGIN IMMEDIATE`` and therefore queue on the busy timeout
  instead of failing half-way with "database is locked".
* Server databases get a pre-pinging, bounded pool so a restarted database is
  survived and connections are not leaked.
* Engines are cached per normalized URL for the life of the process.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from tracklog.exceptions import InvalidArgument, MissingExtra
from tracklog.store.sql import driver

WRITE_OPTION = "tracklog_write"
SQLITE_BUSY_TIMEOUT_MS = 60_000

# scheme (before any "+driver") -> (family, driver used when none is given, extra to install)
_SCHEMES: dict[str, tuple[str, str | None, str | None]] = {
    "sqlite": ("sqlite", None, None),
    "postgresql": ("postgresql", "psycopg", "postgres"),
    "postgres": ("postgresql", "psycopg", "postgres"),
    "mysql": ("mysql", "pymysql", "mysql"),
    "mariadb": ("mariadb", "pymysql", "mysql"),
}
SQL_SCHEMES = tuple(_SCHEMES)

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def normalize_url(db_uri: str) -> URL:
    """Parse ``db_uri`` and pick tracklog's default driver for the database family."""
    try:
        url = make_url(db_uri)
    except ArgumentError as exc:
        raise InvalidArgument(f"Invalid database URI {_redact(db_uri)!r}: {exc}") from None
    base, _, driver = url.drivername.partition("+")
    if base not in _SCHEMES:
        raise InvalidArgument(
            f"Unsupported database scheme {base!r}; known: {', '.join(sorted(_SCHEMES))}"
        )
    family, default_driver, _extra = _SCHEMES[base]
    drivername = family if not (driver or default_driver) else f"{family}+{driver or default_driver}"
    url = url.set(drivername=drivername)
    if family in ("mysql", "mariadb") and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


def extra_for(db_uri: str) -> str | None:
    """The pip extra that provides the driver for ``db_uri``'s scheme, if any."""
    base = db_uri.split(":", 1)[0].split("+", 1)[0].lower()
    entry = _SCHEMES.get(base)
    return entry[2] if entry else None


def _redact(db_uri: str) -> str:
    try:
        return make_url(db_uri).render_as_string(hide_password=True)
    except ArgumentError:
        return db_uri.split("@")[-1]


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def get_engine(db_uri: str) -> Engine:
    """The process-wide engine for ``db_uri`` (created on first use)."""
    url = normalize_url(db_uri)
    key = url.render_as_string(hide_password=False)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _create(url, db_uri)
            _engines[key] = engine
        return engine


def dispose_engine(db_uri: str) -> None:
    """Close the cached engine of ``db_uri`` (if any) and forget it."""
    key = normalize_url(db_uri).render_as_string(hide_password=False)
    with _engines_lock:
        engine = _engines.pop(key, None)
    if engine is not None:
        engine.dispose()


def dispose_all() -> None:
    """Close every cached engine's pooled connections and forget the engines (tests, shutdown)."""
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()


def _create(url: URL, db_uri: str) -> Engine:
    backend = url.get_backend_name()
    kwargs: dict[str, Any] = {"future": True}
    if backend == "sqlite":
        if is_memory_sqlite(url):
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        elif url.database and not url.database.startswith("file:"):
            os.makedirs(os.path.dirname(os.path.abspath(url.database)), exist_ok=True)
    else:
        kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=10, pool_recycle=1800)
        if "connect_timeout" not in url.query:
            # Fail fast (a 503 the client retries) instead of hanging on an unreachable server.
            kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(url, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        extra = extra_for(db_uri)
        if extra is None:
            raise InvalidArgument(f"No driver for database URI {_redact(db_uri)!r}: {exc}") from None
        raise MissingExtra(extra, f"The {backend} tracking store") from None
    if backend == "sqlite":
        _install_sqlite_hooks(engine)
    return engine


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # tracklog emits BEGIN itself (see _on_begin), so the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA case_sensitive_like = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        # On the sqlite3 handle (driver.run; a busy error is wrapped as SQLAlchemy would): through
        # exec_driver_sql the BEGIN cost more than a one-point write's INSERT and upsert together.
        driver.run(conn, "BEGIN IMMEDIATE" if immediate else "BEGIN", {})
