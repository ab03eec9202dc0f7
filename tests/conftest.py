"""Shared fixtures: real databases, one throw-away database per test session and backend.

PostgreSQL (127.0.0.1:5432, trust auth) and MariaDB (127.0.0.1:3306, root, no
password) are the machine's services. With ``CI=true`` a missing service fails
the run instead of skipping. Override with TRACKLOG_TEST_POSTGRES_URI /
TRACKLOG_TEST_MYSQL_URI (server URIs without a database name).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

PG_SERVER = os.environ.get("TRACKLOG_TEST_POSTGRES_URI", "postgresql+psycopg://postgres@127.0.0.1:5432")
MY_SERVER = os.environ.get("TRACKLOG_TEST_MYSQL_URI", "mysql+pymysql://root@127.0.0.1:3306")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Spools of async logging (tracklog.client.spool) go to a throw-away folder, never ~/.cache.
if not os.environ.get("TRACKLOG_SPOOL_DIR"):
    import tempfile

    os.environ["TRACKLOG_SPOOL_DIR"] = tempfile.mkdtemp(prefix="tracklog-test-spool-")


# Variables that pick an experiment or run for the fluent API. MLflow's own ``set_experiment``
# exports MLFLOW_EXPERIMENT_ID, so a compat test in the same worker would otherwise steer
# every later test's runs into its experiment.
_SELECTION_VARS = (
    "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID",
    "TRACKLOG_EXPERIMENT_ID", "TRACKLOG_EXPERIMENT_NAME", "TRACKLOG_RUN_ID",
)


@pytest.fixture(autouse=True)
def _isolated_environment() -> Iterator[None]:
    """Each test starts without experiment/run selection variables and leaves os.environ as it was."""
    saved = dict(os.environ)
    for name in _SELECTION_VARS:
        os.environ.pop(name, None)
    yield
    os.environ.clear()
    os.environ.update(saved)


def _unavailable(what: str, exc: BaseException) -> None:
    msg = f"{what} is not reachable: {exc}"
    if IN_CI:
        pytest.fail(msg + " (CI=true: a missing service is a failure)")
    pytest.skip(msg)


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main") + "_" + uuid.uuid4().hex[:8]


def _make_database(server_uri: str, admin_db: str, what: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = f"tracklog_test_{_worker_suffix()}"
    try:
        admin = create_engine(f"{server_uri}/{admin_db}", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    except Exception as exc:  # noqa: BLE001 - any driver error means "not reachable"
        _unavailable(what, exc)
        return
    suffix = "?charset=utf8mb4" if server_uri.startswith("mysql") else ""
    try:
        yield f"{server_uri}/{name}{suffix}"
    finally:
        with admin.connect() as conn:
            if server_uri.startswith("postgresql"):
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """URI of an empty PostgreSQL database that lives for the test session."""
    yield from _make_database(PG_SERVER, "test", "PostgreSQL")


@pytest.fixture(scope="session")
def mysql_database() -> Iterator[str]:
    """URI of an empty MariaDB/MySQL database that lives for the test session."""
    yield from _make_database(MY_SERVER, "test", "MariaDB/MySQL")


SQL_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
]


@pytest.fixture(params=SQL_BACKENDS)
def sql_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_uri(sql_backend: str, request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """A database URI for ``sql_backend``: a fresh SQLite file, or the session's server database."""
    if sql_backend == "sqlite":
        return f"sqlite:///{os.path.join(os.fspath(tmp_path), 'tracking.db')}"
    fixture = "postgres_database" if sql_backend == "postgresql" else "mysql_database"
    return str(request.getfixturevalue(fixture))
