"""N concurrent writers: 16 threads, each with its own keep-alive client, logging metrics to its own run.

Every thread owns a ``Rest`` client (one keep-alive connection), so 16 requests are in
flight at once and no thread queues on another's connection pool lock (a shared
``httpx.Client`` costs ≈ 35 % more client CPU per request on this machine).

Bounded by a shared deadline and a total request budget. Failed requests (non-200 or
transport errors, e.g. SQLite "database is locked") are counted, not raised.

Besides req/s, p99 and errors it reports the CPU both sides spent per request: the
server's process tree, and this (client) process -- the 16 client threads run on the
same 2 cores and share one GIL, so the client's CPU is part of the limit
(``concurrency_floor`` runs the same writers against a no-op server).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import httpx

from benchmarks.rest import Rest
from benchmarks.scales import Scale
from benchmarks.workloads.base import Context, Measurement, percentile

WORKLOAD = "concurrent writers"


@dataclass
class WriterResult:
    latencies: list[float]  # ms, successful requests
    errors: list[str]
    seconds: float  # wall clock of the timed loop
    client_cpu: float  # CPU seconds of this process during the loop
    server_cpu: float  # CPU seconds of the server tree during the loop

    def detail(self, threads: int) -> str:
        return f"{threads} threads, {len(self.latencies)} ok in {self.seconds:.1f}s"


def _writer(base_url: str, run_id: str, budget: int, start: threading.Barrier, deadline: list[float],
            latencies: list[float], errors: list[str]) -> None:
    with Rest(base_url) as rest:
        rest.log_metric(run_id, "warmup", 0.0, 0)  # opens the connection before the clock starts
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


def drive_writers(ctx: Context, run_ids: list[str]) -> WriterResult:
    """One thread (and one client) per run id, logging single metrics until the scale's bounds."""
    scale: Scale = ctx.scale
    budget = max(1, scale.writer_max_requests // len(run_ids))
    per_thread: list[list[float]] = [[] for _ in run_ids]
    errors: list[str] = []
    start = threading.Barrier(len(run_ids) + 1)
    deadline = [time.perf_counter() + 3600.0]
    threads = [
        threading.Thread(target=_writer, args=(ctx.base_url, run_id, budget, start, deadline, lat, errors),
                         name=f"writer-{w}", daemon=True)
        for w, (run_id, lat) in enumerate(zip(run_ids, per_thread, strict=True))
    ]
    for thread in threads:
        thread.start()
    start.wait(timeout=120.0)
    began, cpu0, server0 = time.perf_counter(), time.process_time(), ctx.server_cpu()
    deadline[0] = began + scale.writer_seconds
    for thread in threads:
        thread.join(timeout=scale.writer_seconds + 120.0)
    result = WriterResult([x for lat in per_thread for x in lat], errors, time.perf_counter() - began,
                          time.process_time() - cpu0, ctx.server_cpu() - server0)
    if not result.latencies:
        raise RuntimeError(f"no request succeeded ({len(errors)} errors: {sorted(set(errors))})")
    return result


def measurements(result: WriterResult, threads: int, client: str = "rest", note: str = "") -> list[Measurement]:
    detail = result.detail(threads) + (f"; {note}" if note else "")
    ok = len(result.latencies)
    return [
        Measurement(WORKLOAD, "throughput", "req/s", ok / result.seconds, "higher", client, detail=detail),
        Measurement(WORKLOAD, "p99 latency", "ms", percentile(result.latencies, 99), "lower", client,
                    detail=detail),
        Measurement(WORKLOAD, "errors", "count", float(len(result.errors)), "none", client, detail=detail),
        Measurement(WORKLOAD, "server CPU per request", "ms", result.server_cpu * 1000.0 / ok, "lower", client,
                    detail=detail),
        Measurement(WORKLOAD, "client CPU per request", "ms", result.client_cpu * 1000.0 / ok, "lower", client,
                    detail=detail + "; the 16 client threads, same machine"),
    ]


def run(ctx: Context) -> list[Measurement]:
    experiment_id = ctx.rest.create_experiment("bench-concurrency")
    run_ids = [ctx.rest.create_run(experiment_id, f"writer-{w}") for w in range(ctx.scale.writers)]
    return measurements(drive_writers(ctx, run_ids), len(run_ids))
