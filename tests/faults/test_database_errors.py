"""Database failures map to a retryable 503 TEMPORARILY_UNAVAILABLE, never to a 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from tracklog.exceptions import TemporarilyUnavailable
from tracklog.server.errors import error_response
from tracklog.store.sql.db import Database


def test_exhausted_pool_is_temporarily_unavailable(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}", poolclass=QueuePool, pool_size=1,
                           max_overflow=0, pool_timeout=0.1)
    db = Database(engine)
    with engine.connect():  # the only connection is busy
        with pytest.raises(TemporarilyUnavailable) as caught:
            db.read(lambda conn: conn.execute(text("SELECT 1")).scalar())
        response = error_response(caught.value)
        assert response.status_code == 503
        assert b"TEMPORARILY_UNAVAILABLE" in bytes(response.body)
        with pytest.raises(TemporarilyUnavailable):
            db.write(lambda conn: conn.execute(text("SELECT 1")).scalar())
    assert db.read(lambda conn: conn.execute(text("SELECT 1")).scalar()) == 1
    engine.dispose()


def test_unreachable_database_is_temporarily_unavailable() -> None:
    from tests.nginx import free_port

    # Nothing listens on this port: the connection is refused.
    engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x",
                           connect_args={"connect_timeout": 2})
    db = Database(engine)
    with pytest.raises(TemporarilyUnavailable):
        db.read(lambda conn: conn.execute(text("SELECT 1")).scalar())
    with pytest.raises(TemporarilyUnavailable):
        db.write(lambda conn: conn.execute(text("SELECT 1")).scalar())
    engine.dispose()


def test_bad_statement_is_not_unavailable(tmp_path: Path) -> None:
    db = Database(create_engine(f"sqlite:///{tmp_path / 'y.db'}"))
    db.write(lambda conn: conn.execute(text("CREATE TABLE t (a INTEGER PRIMARY KEY)")))
    db.write(lambda conn: conn.execute(text("INSERT INTO t VALUES (1)")))
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        db.write(lambda conn: conn.execute(text("INSERT INTO t VALUES (1)")))
