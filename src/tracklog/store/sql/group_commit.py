"""Group commit: concurrent SQLite write transactions of one process share one database transaction.

SQLite has one writer at a time. Left to itself, every thread that wants to write
starts ``BEGIN IMMEDIATE`` and, while another holds the lock, sleeps in SQLite's busy
handler (1, 2, 5 ... 100 ms naps): with 16 concurrent writers most of a request's
latency was that sleeping, not work. Here the writers of one engine queue instead:

* a thread that wants to write appends its job to the engine's queue, then takes the
  *leader* lock; whoever holds it drains the queue (up to ``MAX_BATCH`` jobs) and runs
  every drained job in **one** transaction, each job inside its own ``SAVEPOINT``;
* a job that raises is rolled back to its savepoint and gets its own exception; the
  others are unaffected (errors are isolated per request);
* the transaction commits once; only then is any job of the batch answered, so a
  request is acknowledged only once its rows are committed, exactly as before;
* a transient failure of the whole transaction ("database is locked" by another
  process, e.g. a second worker or ``tracklog gc``) rolls everything back and runs the
  whole batch again (each job is a function of the connection, so re-running it is
  what a retry always did); a failure of the commit itself reaches every job of the batch.

A lone job (the common case without concurrency) runs without a savepoint, so a single
client pays nothing extra. Each job runs in its caller's ``contextvars`` context (the
request id in log lines stays the caller's). Jobs see the effects of the jobs before
them in the same batch, as they would have had they committed one after the other.
"""

from __future__ import annotations

import contextvars
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

MAX_BATCH = 64

# Opens a write transaction and runs ``body(conn)`` in it, with the database's retry policy
# (``Database._transact``): ``body`` is called again, from the start, after a transient failure.
Transact = Callable[[Callable[[Connection], None]], None]


def _taken_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(eq=False, slots=True)
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    wake: threading.Lock = field(default_factory=_taken_lock)
    done: bool = False
    result: Any = None
    error: BaseException | None = None

    def call(self, conn: Connection) -> None:
        self.result = self.context.run(self.fn, conn, *self.args, **self.kwargs)

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class _JobFailed(Exception):
    """A job of an optimistic batch raised (the batch is rolled back and run with savepoints)."""


class GroupCommit:
    """The write queue of one engine (see the module docstring)."""

    def __init__(self, is_transient: Callable[[BaseException], bool],
                 job_error: Callable[[Exception], BaseException]) -> None:
        self._is_transient = is_transient
        self._job_error = job_error  # what a failed job raises (the database's usual error mapping)
        self._mutex = threading.Lock()
        self._pending: deque[_Job] = deque()
        self._leading = False

    def run(self, transact: Transact, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(conn, *args, **kwargs)`` in a committed write transaction; return its result."""
        job = _Job(fn, args, kwargs)
        with self._mutex:
            self._pending.append(job)
            follow, self._leading = self._leading, True
        if follow:
            job.wake.acquire()  # released when the job is done, or when this thread is to lead
            if job.done:
                return job.outcome()
        # Leading: this job is the oldest pending one, so it is in the batch.
        with self._mutex:
            batch = [self._pending.popleft() for _ in range(min(len(self._pending), MAX_BATCH))]
        successor = None
        try:
            self._lead(transact, batch)
        finally:
            with self._mutex:
                for done in batch:
                    done.done = True
                if self._pending:
                    successor = self._pending[0]  # stays "leading" on its behalf
                else:
                    self._leading = False
            for done in batch:
                if done is not job:
                    done.wake.release()
            if successor is not None:
                successor.wake.release()
        return job.outcome()

    def _lead(self, transact: Transact, batch: list[_Job]) -> None:
        try:
            if len(batch) == 1:
                transact(batch[0].call)
                return
            try:
                transact(lambda conn: self._run_optimistic(conn, batch))
            except _JobFailed:
                # Some job raised: nothing was committed; again, each job in its own savepoint.
                transact(lambda conn: self._run_batch(conn, batch))
        except BaseException as exc:  # noqa: BLE001 - the transaction failed: every job of it failed
            for job in batch:
                job.result, job.error = None, exc

    def _run_optimistic(self, conn: Connection, batch: list[_Job]) -> None:
        """Every job in the one transaction, no savepoints (the common case: nothing fails)."""
        for job in batch:
            try:
                job.call(conn)
            except Exception as exc:
                if self._is_transient(exc):
                    raise  # the whole transaction is retried
                raise _JobFailed from exc

    def _run_batch(self, conn: Connection, batch: list[_Job]) -> None:
        for job in batch:
            job.result, job.error = None, None
            savepoint = conn.begin_nested()
            try:
                job.call(conn)
            except Exception as exc:
                savepoint.rollback()
                if self._is_transient(exc):
                    raise  # the whole transaction is retried
                job.error = self._job_error(exc)
            else:
                savepoint.commit()
