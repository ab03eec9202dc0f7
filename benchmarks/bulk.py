"""``--populate bulk``: grow the large data sets with SQL instead of millions of REST calls.

Populating 100,000 runs or 10 million metric points through REST takes hours against
``mlflow server`` (≈ 5 runs/s, ≈ 2,000 points/s here) and tens of minutes against
tracklog, and it measures the *write* path, which the other workloads already time.
``bulk`` mode makes one template through REST (so the server writes it with its own
schema and rules), then copies it inside the server's SQLite file:

* ``clone_runs``: every row of every table that has a ``run_uuid`` column is copied for
  each new run, with a new run id, a new run name, a start time 1 ms after the previous
  run's (an order by start time must not see 100,000 ties), fresh random metric values (latest
  value, min and max alike) and the param values re-drawn from ``v0``..``v9``, so
  filters keep their selectivity;
* ``extend_history``: the template run's one metric point becomes ``points`` points,
  steps 0..points-1.

It works on both servers' schemas because it only relies on the column names the two
share (``run_uuid``, ``name``/``key``, ``value``, ``step``). The server keeps running:
SQLite's WAL lets the copy commit alongside it. SQLite only (``--backend sqlite``).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path

CHUNK_RUNS = 5_000
CHUNK_POINTS = 1_000_000


def _connect(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, timeout=600, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 600000")
    return conn


def _tables_with(conn: sqlite3.Connection, column: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
        if column in columns:
            out[table] = columns
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def clone_runs(db_path: Path, template_run_id: str, copies: int, seconds: float) -> int:
    """Copy the template run ``copies`` times (bounded by ``seconds``); return the copies made."""
    conn = _connect(db_path)
    made, deadline = 0, time.perf_counter() + seconds
    try:
        tables = _tables_with(conn, "run_uuid")
        conn.execute("CREATE TEMP TABLE bulk_ids (n INTEGER PRIMARY KEY, run_uuid TEXT NOT NULL)")
        while made < copies and time.perf_counter() < deadline:
            chunk = min(CHUNK_RUNS, copies - made)
            conn.execute("DELETE FROM bulk_ids")
            conn.executemany("INSERT INTO bulk_ids VALUES (?, ?)",
                             [(made + i + 1, uuid.uuid4().hex) for i in range(chunk)])
            conn.execute("BEGIN IMMEDIATE")
            for table, columns in tables.items():
                metric_table = "value" in columns and "step" in columns
                select = []
                for c in columns:
                    if c == "run_uuid":
                        select.append("b.run_uuid")
                    elif table == "runs" and c == "name":
                        select.append("'run-' || b.n")
                    elif table == "runs" and c == "start_time":  # distinct, like runs created one by one
                        select.append("t.start_time + b.n")
                    elif table == "params" and c == "value":
                        select.append("'v' || (abs(random()) % 10)")
                    elif metric_table and c in ("value", "min_value", "max_value"):
                        select.append("(abs(random()) % 1000000) / 1000000.0")
                    else:
                        select.append("t." + _q(c))
                conn.execute(
                    f"INSERT INTO {_q(table)} ({', '.join(_q(c) for c in columns)}) "
                    f"SELECT {', '.join(select)} FROM {_q(table)} AS t, bulk_ids AS b WHERE t.run_uuid = ?",
                    (template_run_id,),
                )
            conn.execute("COMMIT")
            made += chunk
        conn.execute("DROP TABLE bulk_ids")
    finally:
        conn.close()
    return made


def extend_history(db_path: Path, run_id: str, key: str, points: int, seconds: float) -> int:
    """Extend ``key`` of ``run_id`` (steps 0..n-1 logged) to steps 0..points-1: copies of its first
    point with value 1/(step+1), in chunks (bounded by ``seconds``); return the points it holds."""
    conn = _connect(db_path)
    done, deadline = 1, time.perf_counter() + seconds
    try:
        columns = _tables_with(conn, "run_uuid")["metrics"]
        select = ["s.step" if c == "step" else "1.0 / (s.step + 1)" if c == "value" else "t." + _q(c)
                  for c in columns]
        first, last = conn.execute("SELECT min(step), max(step) FROM metrics WHERE run_uuid = ? AND key = ?",
                                   (run_id, key)).fetchone()
        if first is None:
            raise ValueError(f"run {run_id} has no point of {key!r} to copy")
        done = last + 1
        while done < points and time.perf_counter() < deadline:
            stop = min(points, done + CHUNK_POINTS)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                f"WITH RECURSIVE s(step) AS (SELECT ? UNION ALL SELECT step + 1 FROM s WHERE step + 1 < ?) "
                f"INSERT INTO metrics ({', '.join(_q(c) for c in columns)}) "
                f"SELECT {', '.join(select)} FROM s, (SELECT * FROM metrics WHERE run_uuid = ? AND key = ? "
                f"AND step = ? LIMIT 1) AS t",
                (done, stop, run_id, key, first),
            )
            conn.execute("COMMIT")
            done = stop
    finally:
        conn.close()
    return done
