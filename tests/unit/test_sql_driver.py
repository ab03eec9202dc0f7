"""``store/sql/driver.py``: SQL text per dialect, and driver errors wrapped as SQLAlchemy's."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError, OperationalError

from tracklog.store.sql import driver
from tracklog.store.sql.db import is_transient


def test_sql_text_per_dialect() -> None:
    sql = 'SELECT "key" FROM tags WHERE run_uuid = :run_id AND value LIKE \'a%\''
    assert driver.driver_sql("sqlite", sql) == sql
    assert driver.driver_sql("postgresql", sql) == (
        'SELECT "key" FROM tags WHERE run_uuid = %(run_id)s AND value LIKE \'a%%\''
    )
    assert driver.driver_sql("mysql", sql) == "SELECT `key` FROM tags WHERE run_uuid = %(run_id)s AND value LIKE 'a%%'"


def test_sqlite_statements_run_in_the_transaction_and_errors_are_wrapped(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        driver.run(conn, 'CREATE TABLE t ("key" TEXT PRIMARY KEY, n INTEGER)', {})
        driver.run(conn, 'INSERT INTO t ("key", n) VALUES (:key, :n)', [{"key": "a", "n": 1}, {"key": "b", "n": 2}])
        assert driver.rows(conn, 'SELECT n FROM t WHERE "key" = :key', {"key": "b"}) == [(2,)]
        with pytest.raises(IntegrityError):
            driver.run(conn, 'INSERT INTO t ("key", n) VALUES (:key, :n)', {"key": "a", "n": 3})
    with engine.connect() as conn:
        assert driver.rows(conn, "SELECT count(*) FROM t", {}) == [(2,)]  # committed with the transaction
        with pytest.raises(OperationalError):
            driver.rows(conn, "SELECT nope FROM t", {})
    engine.dispose()


def test_a_locked_database_stays_transient(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = create_engine(f"sqlite:///{path}")
    waiter = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.01})
    with holder.connect() as locked:
        locked.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        locked.commit()
        locked.exec_driver_sql("BEGIN IMMEDIATE")
        with waiter.connect() as conn, pytest.raises(OperationalError) as failed:
            driver.run(conn, "INSERT INTO t (n) VALUES (:n)", {"n": 1})
        assert is_transient(failed.value)
        locked.rollback()
    holder.dispose()
    waiter.dispose()
