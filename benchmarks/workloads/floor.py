"""The floor: what the same requests cost when the server does nothing, and what SQLite alone costs.

Two lower bounds that tracklog's write figures are read against (client ``floor``):

* **HTTP floor** -- the raw-REST client posts the very same log-metric, log-batch and
  run-create bodies to ``benchmarks/noop_server.py``, a bare ASGI app on the same uvicorn
  stack and options as ``tracklog server`` that reads the body and answers ``{}``. Its
  latency and server CPU per request are what loopback HTTP through uvicorn costs by
  itself, so ``tracklog = floor + X``.
* **database floor** -- in this process, no HTTP: the 1000-point log-batch body decoded
  with orjson and written with one ``executemany`` into a bare SQLite table shaped like
  tracklog's ``metrics`` (same primary key, WAL, ``synchronous=NORMAL``) in a
  ``BEGIN IMMEDIATE`` ... ``COMMIT`` transaction; and the single log-metric body as one
  insert plus commit. CPU time of this process per batch / per point.

The floor does not depend on the server under test: it is measured once per repetition
(with the tracklog pass) and reported in the tracklog column, without a ratio.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from benchmarks.benchvenv import ROOT
from benchmarks.rest import Rest, now_ms
from benchmarks.servers import Server, free_port
from benchmarks.workloads.base import (
    Context,
    CpuMeter,
    Measurement,
    bounded,
    cpu_measurement,
    latency_measurements,
    median,
    timed_calls,
)
from benchmarks.workloads.log_batch import batch

CLIENT = "floor"
# The floor is cheap: 10x the calls keep its CPU figure above the kernel's 10 ms accounting tick.
CALLS_FACTOR = 10
RUN_ID = "0" * 32
_TABLE = ("CREATE TABLE IF NOT EXISTS metrics (run_uuid VARCHAR(32) NOT NULL, key VARCHAR(250) NOT NULL, "
          "step BIGINT NOT NULL, timestamp BIGINT NOT NULL, value_kind SMALLINT NOT NULL, value FLOAT NOT NULL, "
          "PRIMARY KEY (run_uuid, key, step, timestamp, value_kind, value))")
_INSERT = ("INSERT INTO metrics (run_uuid, key, step, timestamp, value_kind, value) VALUES (?, ?, ?, ?, 1, ?) "
           "ON CONFLICT DO NOTHING")


def run(ctx: Context) -> list[Measurement]:
    if ctx.server != "tracklog":
        return []
    return [*_http_floor(ctx), *_database_floor(ctx)]


def _as_floor(measurements: list[Measurement], detail: str) -> list[Measurement]:
    return [dataclasses.replace(m, client=CLIENT, target=False, detail=f"{m.detail}; {detail}")
            for m in measurements]


def _http_floor(ctx: Context) -> list[Measurement]:
    log_path = ctx.workdir / "floor" / "noop.log"
    port = free_port()
    server = Server("noop", [sys.executable, "-m", "benchmarks.noop_server", "--port", str(port)],
                    port, log_path, env={"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])})
    server.start()
    try:
        server.wait_healthy(60.0)
        server.wait_quiet(timeout=30.0)
        with Rest(server.base_url) as rest:
            noop = dataclasses.replace(ctx, rest=rest, server_cpu=server.cpu_seconds)
            return _noop_calls(noop)
    finally:
        server.stop()


def _noop_calls(ctx: Context) -> list[Measurement]:
    rest, scale = ctx.rest, ctx.scale
    what = "no-op ASGI app on uvicorn"
    out: list[Measurement] = []
    run_id = "f" * 32
    for i in range(5):
        rest.log_metric(run_id, "warmup", float(i), i)
    with CpuMeter(ctx) as cpu:
        latencies = timed_calls(lambda i: rest.log_metric(run_id, "loss", 1.0 / (i + 1), i),
                                scale.log_metric_calls * CALLS_FACTOR, scale.loop_seconds)
    out += _as_floor(latencies_of("log metric", latencies, cpu), what)
    bodies = [batch(i, scale.batch_size) for i in range(scale.log_batches)]
    rest.log_batch(run_id, metrics=bodies[0])
    latencies = []
    with CpuMeter(ctx) as cpu:
        for i in bounded(len(bodies) * CALLS_FACTOR, scale.loop_seconds):
            t0 = time.perf_counter()
            rest.log_batch(run_id, metrics=bodies[i % len(bodies)])
            latencies.append((time.perf_counter() - t0) * 1000.0)
    detail = f"{len(latencies)} x {scale.batch_size} metrics; {what}"
    out += [
        Measurement("log batch", "p50 batch latency", "ms", median(latencies), "lower", CLIENT, detail=detail),
        dataclasses.replace(cpu_measurement("log batch", cpu, len(latencies), detail, "server CPU per batch"),
                            client=CLIENT),
    ]
    with CpuMeter(ctx) as cpu:
        latencies = timed_calls(
            lambda i: rest.post("/runs/create", {"experiment_id": "1", "start_time": now_ms(), "run_name": f"r{i}"}),
            scale.run_creates * CALLS_FACTOR, scale.loop_seconds)
    out += _as_floor(latencies_of("run create", latencies, cpu), what)
    return out


def latencies_of(workload: str, latencies: list[float], cpu: CpuMeter) -> list[Measurement]:
    return latency_measurements(workload, latencies, target=False, cpu=cpu)


def _database_floor(ctx: Context) -> list[Measurement]:
    """CPU of decode + write + commit, in this process, on a bare table (no server, no HTTP)."""
    scale = ctx.scale
    path = ctx.workdir / "floor" / f"bare-{ctx.rep}.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = _connect(path)
    try:
        bodies = [orjson.dumps({"run_id": RUN_ID, "metrics": batch(i, scale.batch_size)})
                  for i in range(scale.log_batches)]
        _write_batch(conn, bodies[0])  # warm-up (creates the first pages)
        cpu_batches = []
        for body in bodies[1:] or bodies:
            c0 = time.process_time()
            _write_batch(conn, body)
            cpu_batches.append((time.process_time() - c0) * 1000.0)
        points = [orjson.dumps({"run_id": RUN_ID, "key": "loss", "value": 1.0 / (i + 1), "timestamp": now_ms(),
                                "step": i}) for i in range(scale.log_metric_calls)]
        c0 = time.process_time()
        for body in points:
            _write_point(conn, body)
        per_point = (time.process_time() - c0) * 1e6 / len(points)
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    detail = "in-process CPU, orjson + sqlite3, bare metrics table"
    return [
        Measurement("log batch", "SQLite alone: decode + executemany + commit", "ms",
                    sum(cpu_batches) / len(cpu_batches), "lower", CLIENT,
                    detail=f"{len(cpu_batches)} x {scale.batch_size} metrics; {detail}"),
        Measurement("log metric", "SQLite alone: decode + insert + commit", "µs", per_point, "lower", CLIENT,
                    detail=f"{len(points)} points; {detail}"),
    ]


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(_TABLE)
    return conn


def _write_batch(conn: sqlite3.Connection, body: bytes) -> None:
    data: dict[str, Any] = orjson.loads(body)
    run_id = data["run_id"]
    rows = [(run_id, m["key"], m["step"], m["timestamp"], float(m["value"])) for m in data["metrics"]]
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(_INSERT, rows)
    conn.execute("COMMIT")


def _write_point(conn: sqlite3.Connection, body: bytes) -> None:
    m: dict[str, Any] = orjson.loads(body)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(_INSERT, (m["run_id"], m["key"], m["step"], m["timestamp"], float(m["value"])))
    conn.execute("COMMIT")
