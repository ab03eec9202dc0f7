"""Fault-injection fixtures: a private PostgreSQL cluster and throw-away databases (see processes.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from tests.faults.processes import SHARED_PG, PgCluster, missing


@pytest.fixture(autouse=True)
def _default_client_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault tests exercise the clients' *default* retry policies.

    Other suites switch retries off (``MLFLOW_HTTP_REQUEST_MAX_RETRIES=0``) per test and put the
    environment back (tests/compat checks that), but a developer's shell or CI may set these too;
    tracklog's client reads the same variables. With retries off, a restart test's writers would
    give up within the outage."""
    for key in list(os.environ):
        if key.startswith(("MLFLOW_HTTP_REQUEST_", "TRACKLOG_HTTP_")):
            monkeypatch.delenv(key)


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    try:
        yield cluster
    finally:
        cluster.destroy()


def _throwaway_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = f"tracklog_faults_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(f"{SHARED_PG}/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    except Exception as exc:  # noqa: BLE001 - any driver error means "not reachable"
        missing(f"PostgreSQL is not reachable: {exc}")
        return
    try:
        yield f"{SHARED_PG}/{name}"
    finally:
        from tracklog.store.sql.engine import dispose_all

        dispose_all()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def shared_pg_database() -> Iterator[str]:
    """A throw-away database on the machine's shared PostgreSQL (never restarted)."""
    yield from _throwaway_database()


@pytest.fixture(scope="module")
def module_pg_database() -> Iterator[str]:
    """Like ``shared_pg_database``, for a whole test module."""
    yield from _throwaway_database()


@pytest.fixture
def shared_mysql_database() -> Iterator[str]:
    """A throw-away database on the machine's MariaDB (skipped when unreachable; a failure with CI=true)."""
    from tests.conftest import MY_SERVER, _make_database

    from tracklog.store.sql.engine import dispose_all

    try:
        yield from _make_database(MY_SERVER, "test", "MariaDB/MySQL")
    finally:
        dispose_all()
