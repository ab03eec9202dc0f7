"""``metrics/get-history``: fetch every point of one key (paginated like the client, 25,000 a page).

The run is populated once per server through log-batch (1000 points a batch).
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.bulk import extend_history
from benchmarks.rest import Rest, now_ms
from benchmarks.workloads.base import Context, CpuMeter, Measurement, bounded, cpu_measurement, median

KEY = "loss"
FETCHES = 3
ONE_MILLION = 1_000_000


def populate(rest: Rest, points: int, batch_size: int, seconds: float,
             db_path: Path | None = None) -> tuple[str, int]:
    """One run with ``points`` points of KEY; with ``db_path`` (``--populate bulk``) the first
    batch goes through REST and SQL extends it (``benchmarks/bulk.py``)."""
    run_id = rest.create_run(rest.create_experiment("bench-history"))
    logged = 0
    batches = (points + batch_size - 1) // batch_size
    for b in bounded(1 if db_path else batches, seconds):
        ts = now_ms()
        start = b * batch_size
        stop = min(points, start + batch_size)
        rest.log_batch(run_id, metrics=[{"key": KEY, "value": 1.0 / (s + 1), "timestamp": ts, "step": s}
                                        for s in range(start, stop)])
        logged = stop
    if db_path is not None and points > logged:
        logged = extend_history(db_path, run_id, KEY, points, seconds)
    return run_id, logged


def _one_million(ctx: Context) -> list[Measurement]:
    """The issue's streaming target: a run of exactly 1,000,000 points, fetched whole."""
    if "history_1m" not in ctx.state:
        bulk = ctx.db_path if ctx.populate == "bulk" else None
        ctx.state["history_1m"] = populate(ctx.rest, ONE_MILLION, ctx.scale.batch_size,
                                           ctx.scale.populate_seconds, bulk)
    run_id, logged = ctx.state["history_1m"]
    latencies, fetched = [], 0
    for _ in bounded(FETCHES, ctx.scale.loop_seconds):
        began = time.perf_counter()
        fetched = ctx.rest.metric_history(run_id, KEY, max_seconds=ctx.scale.loop_seconds)
        latencies.append(time.perf_counter() - began)
    return [Measurement("metric history", "1M-point full fetch", "s", median(latencies), "lower",
                        detail=f"{fetched} of {logged} points")]


def run(ctx: Context) -> list[Measurement]:
    rest, scale = ctx.rest, ctx.scale
    if "history" not in ctx.state:
        bulk = ctx.db_path if ctx.populate == "bulk" else None
        ctx.state["history"] = populate(rest, scale.history_points, scale.batch_size, scale.populate_seconds,
                                        bulk)
    run_id, logged = ctx.state["history"]
    latencies, fetched = [], 0
    with CpuMeter(ctx) as cpu:
        for _ in bounded(FETCHES, scale.loop_seconds):
            began = time.perf_counter()
            fetched = rest.metric_history(run_id, KEY, max_seconds=scale.loop_seconds)
            latencies.append(time.perf_counter() - began)
    seconds = median(latencies)
    detail = f"{fetched} of {logged} points"
    extra = _one_million(ctx) if scale.history_points > ONE_MILLION else []
    return extra + [
        Measurement("metric history", "full fetch", "ms", seconds * 1000.0, "lower", target=True,
                    detail=detail),
        Measurement("metric history", "throughput", "points/s", fetched / seconds, "higher", detail=detail),
        cpu_measurement("metric history", cpu, len(latencies), detail, "server CPU per full fetch"),
    ]
