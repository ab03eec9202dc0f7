"""SQLite group commit (store/sql/group_commit.py): concurrent writes of one process share a transaction,
each is answered after the commit, and one failing write never fails or leaks into the others."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError, OperationalError

from tracklog.entities import Metric
from tracklog.exceptions import InvalidArgument
from tracklog.store.sql.db import Database
from tracklog.store.sql.engine import dispose_engine, get_engine
from tracklog.store.sql.store import SqlStore


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    uri = f"sqlite:///{tmp_path / 'group.db'}"
    database = Database(get_engine(uri))
    database.write(lambda c: c.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")))
    yield database
    dispose_engine(uri)


def _rows(db: Database) -> dict[int, str]:
    return dict(db.read(lambda c: [(int(k), str(v)) for k, v in c.execute(text("SELECT k, v FROM t"))]))


class _Batch:
    """Write jobs started from threads while a first job holds the leadership, so they form one batch."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.gate = threading.Event()
        self.outcomes: dict[str, Any] = {}
        self.transactions: dict[str, int] = {}
        self.threads: list[threading.Thread] = []

    def _call(self, name: str, fn: Callable[[Connection], Any]) -> None:
        def job(conn: Connection) -> Any:
            self.transactions[name] = id(conn.get_transaction())
            return fn(conn)

        try:
            self.outcomes[name] = self.db.write(job)
        except Exception as exc:  # noqa: BLE001 - recorded for the test
            self.outcomes[name] = exc

    def start(self, name: str, fn: Callable[[Connection], Any]) -> None:
        thread = threading.Thread(target=self._call, args=(name, fn))
        thread.start()
        self.threads.append(thread)

    def run(self, jobs: dict[str, Callable[[Connection], Any]]) -> None:
        def first(conn: Connection) -> str:
            assert self.gate.wait(30)
            conn.execute(text("INSERT INTO t VALUES (0, 'first')"))
            return "first"

        self.start("first", first)
        group = self.db._group
        assert group is not None
        deadline = time.monotonic() + 30
        while not group._leading and time.monotonic() < deadline:
            time.sleep(0.001)
        for name, fn in jobs.items():
            self.start(name, fn)
        while len(group._pending) < len(jobs) and time.monotonic() < deadline:
            time.sleep(0.001)
        assert len(group._pending) == len(jobs)
        self.gate.set()
        for thread in self.threads:
            thread.join(30)


def _insert(k: int, v: str) -> Callable[[Connection], int]:
    def fn(conn: Connection) -> int:
        conn.execute(text("INSERT INTO t VALUES (:k, :v)"), {"k": k, "v": v})
        return k

    return fn


def test_queued_writes_share_one_transaction_and_get_their_own_results(db: Database) -> None:
    batch = _Batch(db)
    batch.run({f"w{i}": _insert(i, f"v{i}") for i in range(1, 9)})
    assert batch.outcomes == {"first": "first", **{f"w{i}": i for i in range(1, 9)}}
    assert len({batch.transactions[f"w{i}"] for i in range(1, 9)}) == 1  # one batch after the first
    assert _rows(db) == {0: "first", **{i: f"v{i}" for i in range(1, 9)}}


def test_a_failing_write_is_isolated_and_rolled_back(db: Database) -> None:
    def half_then_fail(conn: Connection) -> None:
        conn.execute(text("INSERT INTO t VALUES (50, 'partial')"))
        raise InvalidArgument("bad request")

    def duplicate(conn: Connection) -> None:
        conn.execute(text("INSERT INTO t VALUES (0, 'again')"))  # the first job's key

    batch = _Batch(db)
    batch.run({"a": _insert(1, "a"), "bad": half_then_fail, "b": _insert(2, "b"), "dup": duplicate,
               "c": _insert(3, "c")})
    assert isinstance(batch.outcomes["bad"], InvalidArgument)
    assert isinstance(batch.outcomes["dup"], IntegrityError)
    assert [batch.outcomes[n] for n in ("a", "b", "c")] == [1, 2, 3]
    assert _rows(db) == {0: "first", 1: "a", 2: "b", 3: "c"}  # nothing of "bad" or "dup"


def test_a_transient_failure_reruns_the_whole_batch_once_committed(db: Database) -> None:
    calls = {"flaky": 0, "steady": 0}

    def flaky(conn: Connection) -> str:
        calls["flaky"] += 1
        conn.execute(text("INSERT INTO t VALUES (7, 'flaky')"))
        if calls["flaky"] == 1:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return "ok"

    def steady(conn: Connection) -> str:
        calls["steady"] += 1
        conn.execute(text("INSERT INTO t VALUES (8, 'steady')"))
        return "ok"

    batch = _Batch(db)
    batch.run({"steady": steady, "flaky": flaky})
    assert batch.outcomes["steady"] == batch.outcomes["flaky"] == "ok"
    assert calls == {"flaky": 2, "steady": 2}  # rolled back together, run again together
    assert _rows(db) == {0: "first", 7: "flaky", 8: "steady"}


def test_a_lone_write_raises_as_before(db: Database) -> None:
    with pytest.raises(IntegrityError):
        db.write(lambda c: c.execute(text("INSERT INTO t VALUES (1, 'x'), (1, 'y')")))
    assert _rows(db) == {}
    assert db.write(_insert(1, "x")) == 1


def test_many_threads_through_the_store(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    store = SqlStore(uri, str(tmp_path / "artifacts"))
    experiment_id = store.create_experiment("group")
    run_ids = [store.create_run(experiment_id, "u", 0).info.run_id for _ in range(16)]
    errors: list[BaseException] = []

    def writer(run_id: str) -> None:
        try:
            for step in range(40):
                store.log_metric(run_id, Metric("m", float(step), 1000 + step, step))
                if step == 20:  # a bad request in the middle of the traffic
                    with pytest.raises(InvalidArgument):
                        store.log_metric(run_id, Metric("", 1.0, 1, 1))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(r,)) for r in run_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    for run_id in run_ids:
        history = store.get_metric_history(run_id, "m")
        assert [m.step for m in history] == list(range(40))
        assert store.get_run(run_id).data.metrics["m"] == 39.0
    dispose_engine(uri)
