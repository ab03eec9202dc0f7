"""Database fixtures for the search tests.

``search_engine`` gives an engine with the full schema for each backend of the
shared ``database_uri`` fixture. On the servers it uses a private sibling
database (``<session db>_search``) so ``metadata.create_all`` here can never
collide with another suite that builds the session database with migrations.
SQLite connections get ``PRAGMA case_sensitive_like=ON`` (as the SQL store sets it)
and ``foreign_keys=ON``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from tracklog.store.sql import schema


class _ServerDatabases:
    def __init__(self) -> None:
        self.engines: dict[str, Engine] = {}
        self.created: list[Any] = []

    def engine_for(self, session_uri: str) -> Engine:
        if session_uri in self.engines:
            return self.engines[session_uri]
        url = make_url(session_uri)
        name = f"{url.database}_search"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        self.created.append(url.set(database=name))
        engine = create_engine(url.set(database=name))
        schema.metadata.create_all(engine)
        self.engines[session_uri] = engine
        return engine

    def drop_all(self) -> None:
        for engine in self.engines.values():
            engine.dispose()
        for url in self.created:
            # The conftest's admin database; the session database may already be gone.
            admin = create_engine(url.set(database="test"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                if url.get_backend_name() == "postgresql":
                    conn.execute(text(f"DROP DATABASE IF EXISTS {url.database} WITH (FORCE)"))
                else:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {url.database}"))
            admin.dispose()


@pytest.fixture(scope="session")
def _server_databases() -> Iterator[_ServerDatabases]:
    databases = _ServerDatabases()
    yield databases
    databases.drop_all()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA case_sensitive_like=ON")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@pytest.fixture
def search_engine(sql_backend: str, database_uri: str, _server_databases: _ServerDatabases) -> Engine:
    """One engine per backend for the whole session (the search tests only read what they seed)."""
    if not database_uri.startswith("sqlite"):
        return _server_databases.engine_for(database_uri)
    if sql_backend not in _server_databases.engines:
        # The first test's SQLite file stays in pytest's temporary directory for the session.
        engine = create_engine(database_uri)
        event.listen(engine, "connect", _sqlite_pragmas)
        schema.metadata.create_all(engine)
        _server_databases.engines[sql_backend] = engine
    return _server_databases.engines[sql_backend]


@pytest.fixture(scope="session")
def seeded() -> dict[object, object]:
    """Per-session cache of seeded worlds, keyed by (suite, engine url)."""
    return {}
