"""``runs/log-batch`` throughput: batches of 1000 metric points (100 keys x 10 steps) into one run."""

from __future__ import annotations

import time

from benchmarks.rest import now_ms
from benchmarks.workloads.base import Context, CpuMeter, Measurement, bounded, cpu_measurement, median

KEYS = 100


def batch(index: int, size: int) -> list[dict[str, object]]:
    ts = now_ms()
    steps = max(1, size // KEYS)
    return [
        {"key": f"m{j % KEYS}", "value": (index * size + j) * 1e-3, "timestamp": ts,
         "step": index * steps + j // KEYS}
        for j in range(size)
    ]


def run(ctx: Context) -> list[Measurement]:
    rest, scale = ctx.rest, ctx.scale
    run_id = rest.create_run(rest.create_experiment("bench-log-batch"))
    bodies = [batch(i, scale.batch_size) for i in range(scale.log_batches)]
    # Warm-up: the steps right after the measured ones (no point collides). A far-off index
    # (it was 10,000,000: steps 10^8) made the run span 10^8 steps, so the server built chart
    # roll-ups of all its keys in the background during the measured loop (~3 ms a batch).
    rest.log_batch(run_id, metrics=batch(len(bodies), scale.batch_size))
    latencies, points = [], 0
    began = time.perf_counter()
    with CpuMeter(ctx) as cpu:
        for i in bounded(len(bodies), scale.loop_seconds):
            t0 = time.perf_counter()
            rest.log_batch(run_id, metrics=bodies[i])
            latencies.append((time.perf_counter() - t0) * 1000.0)
            points += len(bodies[i])
    elapsed = time.perf_counter() - began
    detail = f"{len(latencies)} x {scale.batch_size} metrics"
    return [
        Measurement("log batch", "throughput", "points/s", points / elapsed, "higher", target=True,
                    detail=detail),
        Measurement("log batch", "p50 batch latency", "ms", median(latencies), "lower", detail=detail),
        cpu_measurement("log batch", cpu, len(latencies), detail, "server CPU per batch"),
    ]
