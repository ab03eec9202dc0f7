"""One spool: a SQLite file (WAL) holding the writes a process has not delivered yet.

Tables:

* ``ops``: pending operations in log order (``seq``): metric points, params, tags, the
  creation of runs started offline and run terminations;
* ``runs``: runs created offline, ``local_id`` -> ``server_id`` once the server has them;
* ``rejected``: operations the server refused for good, with its message (kept, never dropped);
* ``meta``: tracking URI, owner pid, creation time.

A live process holds an exclusive ``flock`` on ``<file>.lock`` for as long as the spool is
open; ``tracklog sync`` skips spools whose lock it cannot take. The lock is released by the
kernel when the process dies, even by ``kill -9``.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = ["CREATE_RUN", "METRIC", "PARAM", "TAG", "TERMINATE", "Op", "SpoolFile", "lock_is_free"]

METRIC, PARAM, TAG, TERMINATE, CREATE_RUN = 0, 1, 2, 3, 4
KIND_NAMES = {METRIC: "metric", PARAM: "param", TAG: "tag", TERMINATE: "run update", CREATE_RUN: "run creation"}
SUFFIX = ".spool.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ops (
    seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, kind INTEGER NOT NULL,
    key TEXT, value, ts INTEGER, step INTEGER, extra TEXT);
CREATE TABLE IF NOT EXISTS runs (
    local_id TEXT PRIMARY KEY, server_id TEXT, experiment_id TEXT, experiment_name TEXT);
CREATE TABLE IF NOT EXISTS rejected (
    seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, kind INTEGER NOT NULL,
    key TEXT, value, ts INTEGER, step INTEGER, extra TEXT, error TEXT NOT NULL);
"""

# (seq, run_id, kind, key, value, ts, step, extra)
Row = tuple[int, str, int, str | None, Any, int | None, int | None, str | None]


@dataclass(frozen=True, slots=True)
class Op:
    seq: int
    run_id: str
    kind: int
    key: str | None
    value: Any
    ts: int | None
    step: int | None
    extra: str | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Op:
        return cls(*row)

    def describe(self) -> str:
        name = KIND_NAMES.get(self.kind, "operation")
        return f"{name} {self.key!r}" if self.key is not None else name


def encode_value(kind: int, value: Any) -> Any:
    """SQLite stores NaN as NULL; NULL in a metric row means NaN."""
    if kind == METRIC and isinstance(value, float) and math.isnan(value):
        return None
    return value


def decode_value(kind: int, value: Any) -> Any:
    if kind == METRIC:
        return math.nan if value is None else float(value)
    return value


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    # NORMAL: a commit survives the death of the process (kill -9); an OS crash may lose the last ones.
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def lock_is_free(db_path: Path) -> bool:
    """True when no live process owns the spool at ``db_path``."""
    handle = _try_lock(db_path)
    if handle is None:
        return False
    handle.close()
    return True


def _try_lock(db_path: Path) -> IO[str] | None:
    import fcntl

    handle = open(str(db_path) + ".lock", "a+")  # noqa: SIM115 - held for the spool's lifetime
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


class SpoolFile:
    """The spool file of one process and tracking URI (or, for ``tracklog sync``, of a dead one)."""

    def __init__(self, path: Path, lock: IO[str] | None) -> None:
        self.path = path
        self._lock_handle = lock
        self._lock = threading.Lock()
        self._conn = _connect(path)
        self._conn.executescript(_SCHEMA)

    @classmethod
    def create(cls, directory: Path, tracking_uri: str) -> SpoolFile:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"spool-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        lock = _try_lock(path)
        if lock is None:  # pragma: no cover - a fresh random name
            raise RuntimeError(f"cannot lock the new spool {path}")
        spool = cls(path, lock)
        spool.set_meta({"tracking_uri": tracking_uri, "pid": str(os.getpid()),
                        "host": socket.gethostname(), "created": str(int(time.time()))})
        return spool

    @classmethod
    def claim(cls, path: Path) -> SpoolFile | None:
        """Open an existing spool for delivery, or None if its owner is still alive."""
        lock = _try_lock(path)
        if lock is None:
            return None
        return cls(path, lock)

    @property
    def artifacts_dir(self) -> Path:
        return self.path.with_name(self.path.name[: -len(SUFFIX)] + ".artifacts")

    # -- meta --------------------------------------------------------------------------
    def set_meta(self, values: dict[str, str]) -> None:
        with self._tx() as conn:
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(values.items()))

    def meta(self) -> dict[str, str]:
        with self._lock:
            return dict(self._conn.execute("SELECT key, value FROM meta").fetchall())

    # -- writing -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def append(self, rows: Iterable[Row]) -> None:
        """One transaction (a group commit) for every row given."""
        with self._tx() as conn:
            conn.executemany("INSERT OR REPLACE INTO ops VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def add_offline_run(self, local_id: str, experiment_id: str | None, experiment_name: str | None) -> None:
        with self._tx() as conn:
            conn.execute("INSERT OR REPLACE INTO runs VALUES (?, NULL, ?, ?)",
                         (local_id, experiment_id, experiment_name))

    # -- delivery ----------------------------------------------------------------------
    def pending(self, limit: int, below: int | None = None) -> list[Op]:
        query = "SELECT * FROM ops" + (" WHERE seq < ?" if below is not None else "") + " ORDER BY seq LIMIT ?"
        args: tuple[int, ...] = (below, limit) if below is not None else (limit,)
        with self._lock:
            rows = self._conn.execute(query, args).fetchall()
        return [Op.from_row(r) for r in rows]

    def delete(self, seqs: Sequence[int]) -> None:
        with self._tx() as conn:
            conn.executemany("DELETE FROM ops WHERE seq = ?", [(s,) for s in seqs])

    def reject(self, ops: Sequence[Op], error: str) -> None:
        with self._tx() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO rejected VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(o.seq, o.run_id, o.kind, o.key, o.value, o.ts, o.step, o.extra, error) for o in ops],
            )
            conn.executemany("DELETE FROM ops WHERE seq = ?", [(o.seq,) for o in ops])

    def requeue_rejected(self) -> None:
        """Queue refused operations again (they keep their place in the log order)."""
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO ops SELECT seq, run_id, kind, key, value, ts, step, extra FROM rejected"
            )
            conn.execute("DELETE FROM rejected")

    def map_run(self, local_id: str, server_id: str) -> None:
        with self._tx() as conn:
            conn.execute("UPDATE runs SET server_id = ? WHERE local_id = ?", (server_id, local_id))

    def run_mapping(self) -> dict[str, str | None]:
        with self._lock:
            return dict(self._conn.execute("SELECT local_id, server_id FROM runs").fetchall())

    def offline_run(self, local_id: str) -> tuple[str | None, str | None] | None:
        """(experiment id, experiment name) of a run created offline, else None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT experiment_id, experiment_name FROM runs WHERE local_id = ?", (local_id,)
            ).fetchone()
        return None if row is None else (row[0], row[1])

    # -- status ------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        with self._lock:
            pending = self._conn.execute("SELECT count(*) FROM ops").fetchone()[0]
            rejected = self._conn.execute("SELECT count(*) FROM rejected").fetchone()[0]
            runs = self._conn.execute("SELECT count(*) FROM runs WHERE server_id IS NULL").fetchone()[0]
        return {"pending": int(pending), "rejected": int(rejected), "offline_runs": int(runs)}

    def rejected(self, limit: int = 20) -> list[tuple[Op, str]]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM rejected ORDER BY seq LIMIT ?", (limit,)).fetchall()
        return [(Op.from_row(r[:8]), str(r[8])) for r in rows]

    def has_artifacts(self) -> bool:
        directory = self.artifacts_dir
        return directory.is_dir() and any(directory.iterdir())

    def close(self, *, delete: bool = False) -> None:
        with self._lock:
            self._conn.close()
        if delete:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(str(self.path) + suffix)
            import shutil

            shutil.rmtree(self.artifacts_dir, ignore_errors=True)
        if self._lock_handle is not None:
            if delete:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(str(self.path) + ".lock")
            self._lock_handle.close()
            self._lock_handle = None


def list_spools(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"*{SUFFIX}"))
