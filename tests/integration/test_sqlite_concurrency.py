"""Several processes on one database: concurrent log_batch and first-time migration on SQLite,
and concurrent first open of a fresh PostgreSQL / MariaDB database (exactly one migration)."""

from __future__ import annotations

import multiprocessing as mp
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from tests.conftest import MY_SERVER, PG_SERVER, SQL_BACKENDS

from tracklog.entities import Metric, Param, RunTag
from tracklog.store.sql import schema
from tracklog.store.sql.engine import dispose_engine
from tracklog.store.sql.migrate import VERSION_TABLE
from tracklog.store.sql.store import SqlStore

WRITERS = 4
BATCHES = 10
POINTS = 200


def _writer(uri: str, root: str, run_id: str, worker: int, barrier: Any, errors: Any) -> None:
    try:
        store = SqlStore(uri, root)
        barrier.wait(timeout=60)
        for b in range(BATCHES):
            base = (worker * BATCHES + b) * POINTS
            metrics = [Metric("loss", float(base + i), 1000 + b, base + i) for i in range(POINTS)]
            # every worker also logs the same shared points: they must be stored once
            metrics += [Metric("shared", float(i), 7, i) for i in range(10)]
            store.log_batch(run_id, metrics=metrics, params=[Param("same", "v")],
                            tags=[RunTag(f"w{worker}", str(b))])
            if b % 5 == 0:
                store.log_batch(run_id, metrics=metrics)  # a client retry
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        errors.put(f"worker {worker}: {type(exc).__name__}: {exc}")


def _migrator(uri: str, root: str, barrier: Any, errors: Any) -> None:
    try:
        barrier.wait(timeout=60)
        SqlStore(uri, root)
    except BaseException as exc:  # noqa: BLE001
        errors.put(f"{type(exc).__name__}: {exc}")


def _run_all(target: Any, args_list: list[tuple[Any, ...]]) -> list[str]:
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(len(args_list))
        errors = manager.Queue()
        procs = [ctx.Process(target=target, args=(*args, barrier, errors)) for args in args_list]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=240)
            assert p.exitcode == 0, f"process exit code {p.exitcode}"
        found = []
        while not errors.empty():
            found.append(errors.get())
        return found


@pytest.mark.slow
def test_concurrent_log_batch_from_processes(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'shared.db'}"
    root = str(tmp_path / "artifacts")
    store = SqlStore(uri, root)
    run_id = store.create_run(store.create_experiment("concurrency"), "u", 0).info.run_id
    errors = _run_all(_writer, [(uri, root, run_id, w) for w in range(WRITERS)])
    assert errors == []
    total = WRITERS * BATCHES * POINTS
    history = store.get_metric_history(run_id, "loss")
    assert len(history) == total
    assert sorted(m.step for m in history) == list(range(total))
    assert len(store.get_metric_history(run_id, "shared")) == 10
    run = store.get_run(run_id)
    latest = run.data.metrics_dict
    assert latest["loss"] == float(total - 1)
    assert latest["shared"] == 9.0
    assert run.data.params_dict == {"same": "v"}
    assert {run.data.tags_dict[f"w{w}"] for w in range(WRITERS)} == {str(BATCHES - 1)}
    dispose_engine(uri)


@pytest.mark.slow
def test_concurrent_first_migration(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    uri = f"sqlite:///{db}"
    errors = _run_all(_migrator, [(uri, str(tmp_path))] * 4)
    assert errors == []
    engine = create_engine(uri)
    try:
        with engine.connect() as conn:
            versions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
            assert len(versions) == 1
            count = conn.execute(select(func.count()).select_from(schema.experiments)).scalar()
            assert count == 1  # only Default
    finally:
        engine.dispose()


@pytest.fixture(params=SQL_BACKENDS[1:])
def fresh_server_database(request: pytest.FixtureRequest) -> Iterator[str]:
    sql_backend = str(request.param)
    request.getfixturevalue("postgres_database" if sql_backend == "postgresql" else "mysql_database")
    server = PG_SERVER if sql_backend == "postgresql" else MY_SERVER
    name = f"tracklog_race_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{server}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    suffix = "?charset=utf8mb4" if sql_backend == "mysql" else ""
    try:
        yield f"{server}/{name}{suffix}"
    finally:
        with admin.connect() as conn:
            force = " WITH (FORCE)" if sql_backend == "postgresql" else ""
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()


@pytest.mark.slow
def test_concurrent_first_open_of_server_database(fresh_server_database: str, tmp_path: Path) -> None:
    errors = _run_all(_migrator, [(fresh_server_database, str(tmp_path))] * 3)
    assert errors == []
    engine = create_engine(fresh_server_database)
    try:
        with engine.connect() as conn:
            assert len(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()) == 1
            assert conn.execute(select(func.count()).select_from(schema.experiments)).scalar() == 1
    finally:
        engine.dispose()
