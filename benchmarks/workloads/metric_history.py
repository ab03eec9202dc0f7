"""``metrics/get-history``: fetch every point of one key (paginated like the client, 25,000 a page).

The run is populated once per server through log-batch (1000 points a batch).
"""

from __future__ import annotations

import time

from benchmarks.rest import Rest, now_ms
from benchmarks.workloads.base import Context, CpuMeter, Measurement, bounded, cpu_measurement, median

KEY = "loss"
FETCHES = 3


def populate(rest: Rest, points: int, batch_size: int, seconds: float) -> tuple[str, int]:
    run_id = rest.create_run(rest.create_experiment("bench-history"))
    logged = 0
    for b in bounded((points + batch_size - 1) // batch_size, seconds):
        ts = now_ms()
        start = b * batch_size
        stop = min(points, start + batch_size)
        rest.log_batch(run_id, metrics=[{"key": KEY, "value": 1.0 / (s + 1), "timestamp": ts, "step": s}
                                        for s in range(start, stop)])
        logged = stop
    return run_id, logged


def run(ctx: Context) -> list[Measurement]:
    rest, scale = ctx.rest, ctx.scale
    if "history" not in ctx.state:
        ctx.state["history"] = populate(rest, scale.history_points, scale.batch_size, scale.populate_seconds)
    run_id, logged = ctx.state["history"]
    latencies, fetched = [], 0
    with CpuMeter(ctx) as cpu:
        for _ in bounded(FETCHES, scale.loop_seconds):
            began = time.perf_counter()
            fetched = rest.metric_history(run_id, KEY, max_seconds=scale.loop_seconds)
            latencies.append(time.perf_counter() - began)
    seconds = median(latencies)
    detail = f"{fetched} of {logged} points"
    return [
        Measurement("metric history", "full fetch", "ms", seconds * 1000.0, "lower", target=True,
                    detail=detail),
        Measurement("metric history", "throughput", "points/s", fetched / seconds, "higher", detail=detail),
        cpu_measurement("metric history", cpu, len(latencies), detail, "server CPU per full fetch"),
    ]
