"""N concurrent writers: 16 threads, each logging metrics to its own run.

The threads share the context's keep-alive client (httpx clients are thread-safe and
its pool holds 32 connections), so 16 requests are in flight at once.

Bounded by a shared deadline and a total request budget. Failed requests (non-200 or
transport errors, e.g. SQLite "database is locked") are counted, not raised.
"""

from __future__ import annotations

import threading
import time

import httpx

from benchmarks.rest import Rest
from benchmarks.workloads.base import Context, Measurement, percentile


def _writer(rest: Rest, run_id: str, budget: int, start: threading.Barrier, deadline: list[float],
            latencies: list[float], errors: list[str]) -> None:
    start.wait()
    for i in range(budget):
        if time.perf_counter() > deadline[0]:
            return
        began = time.perf_counter()
        try:
            rest.log_metric(run_id, "throughput", float(i), i)
        except (RuntimeError, httpx.HTTPError) as exc:
            errors.append(type(exc).__name__)
            continue
        latencies.append((time.perf_counter() - began) * 1000.0)


def run(ctx: Context) -> list[Measurement]:
    scale = ctx.scale
    experiment_id = ctx.rest.create_experiment("bench-concurrency")
    run_ids = [ctx.rest.create_run(experiment_id, f"writer-{w}") for w in range(scale.writers)]
    budget = max(1, scale.writer_max_requests // scale.writers)
    per_thread: list[list[float]] = [[] for _ in run_ids]
    errors: list[str] = []
    start = threading.Barrier(len(run_ids) + 1)
    deadline = [0.0]
    threads = [
        threading.Thread(target=_writer, args=(ctx.rest, run_id, budget, start, deadline, lat, errors),
                         name=f"writer-{w}", daemon=True)
        for w, (run_id, lat) in enumerate(zip(run_ids, per_thread, strict=True))
    ]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + scale.writer_seconds
    start.wait()
    for thread in threads:
        thread.join(timeout=scale.writer_seconds + 120.0)
    elapsed = time.perf_counter() - began
    latencies = [x for lat in per_thread for x in lat]
    if not latencies:
        raise RuntimeError(f"no request succeeded ({len(errors)} errors: {sorted(set(errors))})")
    detail = f"{scale.writers} threads, {len(latencies)} ok in {elapsed:.1f}s"
    return [
        Measurement("concurrent writers", "throughput", "req/s", len(latencies) / elapsed, "higher",
                    detail=detail),
        Measurement("concurrent writers", "p99 latency", "ms", percentile(latencies, 99), "lower",
                    detail=detail),
        Measurement("concurrent writers", "errors", "count", float(len(errors)), "none", detail=detail),
    ]
