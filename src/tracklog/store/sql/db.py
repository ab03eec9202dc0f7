"""Transactions: one call = one transaction, transient failures retried as a whole.

``Database.write(fn, ...)`` runs ``fn(conn, ...)`` in a write transaction (on
SQLite ``BEGIN IMMEDIATE``). Deadlocks, serialization failures and a locked
SQLite database roll the transaction back and run ``fn`` again (a few times,
with a short backoff); anything else is rolled back and raised. On SQLite the
writes of one process go through the engine's group commit (``group_commit.py``):
concurrent writes queue in the process and share one transaction, each in its own
savepoint, instead of napping in SQLite's busy handler. A database that
stays unreachable surfaces as ``TemporarilyUnavailable`` (503, retried by
clients), never as an internal error: a refused or dropped connection, a
connection the pool found dead, and a pool with no free connection within its
timeout (every connection busy) all answer 503 TEMPORARILY_UNAVAILABLE. The
engine's pool pings connections on checkout, so the first request after a
database restart gets a fresh connection instead of a dead one.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tracklog.exceptions import TemporarilyUnavailable
from tracklog.store.sql.engine import WRITE_OPTION, is_memory_sqlite
from tracklog.store.sql.group_commit import GroupCommit

P = ParamSpec("P")
T = TypeVar("T")

_RETRIES = 6
# MySQL/MariaDB: deadlock, lock wait timeout. PostgreSQL: serialization failure, deadlock.
_MYSQL_TRANSIENT = {1213, 1205}
_PG_TRANSIENT = {"40001", "40P01"}
_MEMORY_LOCK = threading.RLock()
_groups: weakref.WeakKeyDictionary[Engine, GroupCommit] = weakref.WeakKeyDictionary()
_groups_lock = threading.Lock()


def is_transient(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in _PG_TRANSIENT:
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL_TRANSIENT:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database is busy" in text


class Database:
    """An engine plus the transaction helpers every store module uses."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect: str = engine.dialect.name
        # An in-memory SQLite database is one shared connection: transactions must take turns.
        self._serial: AbstractContextManager[Any] = (
            _MEMORY_LOCK if is_memory_sqlite(engine.url) else nullcontext()
        )
        # SQLite has one writer: the process's writers queue and commit together (group_commit.py).
        self._group = _group_of(engine) if self.dialect == "sqlite" else None

    @property
    def is_mysql(self) -> bool:
        return self.dialect in ("mysql", "mariadb")

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read transaction (a consistent snapshot where the database offers one)."""
        try:
            with self._serial, self.engine.connect() as conn, conn.begin():
                yield conn
        except PoolTimeout as exc:
            raise _pool_exhausted() from exc
        except DBAPIError as exc:
            if is_unavailable(exc):
                raise _unavailable(exc) from exc
            raise

    def read(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        with self.reading() as conn:
            return fn(conn, *args, **kwargs)

    def write(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._group is not None:
            result: T = self._group.run(self._transact, fn, *args, **kwargs)
            return result
        return self._transact(fn, *args, **kwargs)

    def _transact(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """One write transaction running ``fn``; transient failures run it again from the start."""
        for attempt in range(_RETRIES):
            try:
                with self._serial, self.engine.connect() as conn:
                    conn.execution_options(**{WRITE_OPTION: True})
                    with conn.begin():
                        return fn(conn, *args, **kwargs)
            except PoolTimeout as exc:
                raise _pool_exhausted() from exc
            except DBAPIError as exc:
                if is_transient(exc) and attempt < _RETRIES - 1:
                    time.sleep(0.01 * (2**attempt) * (1 + random.random()))
                    continue
                if is_unavailable(exc):
                    raise _unavailable(exc) from exc
                raise
        raise AssertionError("unreachable")  # pragma: no cover


def _group_of(engine: Engine) -> GroupCommit:
    """The engine's write queue, shared by every ``Database`` on it (store, gc, auth store)."""
    with _groups_lock:
        group = _groups.get(engine)
        if group is None:
            group = _groups[engine] = GroupCommit(is_transient, _job_error)
        return group


def _job_error(exc: Exception) -> BaseException:
    """What a failed write raises: an unreachable database is a 503, anything else as it was."""
    if isinstance(exc, DBAPIError) and not is_transient(exc) and is_unavailable(exc):
        return _unavailable(exc)
    return exc


def is_unavailable(exc: DBAPIError) -> bool:
    """The database could not be reached or dropped the connection (not a bad statement)."""
    return isinstance(exc, OperationalError) or exc.connection_invalidated


_logger = logging.getLogger("tracklog.store.sql")
_last_report = [0.0]  # monotonic time of the last "unavailable" log line (one every 10 s at most)


def _unavailable(exc: DBAPIError) -> TemporarilyUnavailable:
    now = time.monotonic()
    if now - _last_report[0] >= 10.0:
        _last_report[0] = now
        _logger.warning("tracking database unavailable, answering 503: %s", str(exc.orig).strip()[:500])
    return TemporarilyUnavailable(f"The tracking database is unavailable ({type(exc.orig).__name__})")


def _pool_exhausted() -> TemporarilyUnavailable:
    return TemporarilyUnavailable("The tracking database is busy (no free connection); retry later")


def chunks(items: list[Any], size: int = 2000) -> Iterator[list[Any]]:
    """Split long IN lists (SQLite and PostgreSQL cap the number of bound parameters)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
