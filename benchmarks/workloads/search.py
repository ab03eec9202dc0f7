"""``runs/search`` over one experiment of N runs carrying params, metrics and tags.

The experiment is populated once per server (create + one log-batch per run), then
each repetition times: the first page with no filter, a filter on a metric and a
param, a selective metric range (about 0.1 % of the runs: an index range), an order by
a metric, and a full pagination through every run.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from benchmarks.bulk import clone_runs
from benchmarks.rest import Rest, now_ms
from benchmarks.scales import Scale
from benchmarks.workloads.base import Context, CpuMeter, Measurement, bounded, median

FILTER = "metrics.m0 > 0.5 AND params.p0 = 'v3'"
# ~0.1 % of the runs: the "indexed filter" over the 100,000-run experiment
SELECTIVE_FILTER = "metrics.m0 > 0.999"
ORDER_BY = ["metrics.m0 DESC"]


def run_payload(i: int, scale: Scale, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    ts = now_ms()
    return {
        "params": [{"key": f"p{j}", "value": f"v{(i + j) % 10}"} for j in range(scale.search_params)],
        "metrics": [{"key": f"m{j}", "value": rng.random(), "timestamp": ts, "step": 0}
                    for j in range(scale.search_metrics)],
        "tags": [{"key": f"t{j}", "value": f"tag-{i % 7}-{j}"} for j in range(scale.search_tags)],
    }


def populate(rest: Rest, scale: Scale, db_path: Path | None = None) -> tuple[str, int, float]:
    """Create the experiment; return (experiment_id, runs created, runs/s).

    With ``db_path`` (``--populate bulk``) only the first run goes through REST; the
    others are SQL copies of it (``benchmarks/bulk.py``)."""
    rng = random.Random(42)
    experiment_id = rest.create_experiment("bench-search")
    began, created = time.perf_counter(), 0
    for i in bounded(1 if db_path else scale.search_runs, scale.populate_seconds):
        run_id = rest.create_run(experiment_id, f"run-{i}")
        rest.log_batch(run_id, **run_payload(i, scale, rng))
        created += 1
    if db_path is not None:
        created += clone_runs(db_path, run_id, scale.search_runs - created, scale.populate_seconds)
    return experiment_id, created, created / (time.perf_counter() - began)


def _query_latency(ctx: Context, experiment_id: str, filter_string: str = "",
                   order_by: list[str] | None = None) -> tuple[float, int, float]:
    """Median latency (ms), runs returned and server CPU per query (ms) of one query shape."""
    scale, latencies, found = ctx.scale, [], 0
    with CpuMeter(ctx) as cpu:
        for _ in bounded(scale.search_queries, scale.loop_seconds):
            began = time.perf_counter()
            found = sum(len(page) for page in ctx.rest.search_pages(experiment_id, scale.search_page_size,
                                                                      filter_string, order_by))
            latencies.append((time.perf_counter() - began) * 1000.0)
    return median(latencies), found, cpu.per_call_ms(len(latencies))


def _full_pagination(rest: Rest, experiment_id: str, scale: Scale, runs: int) -> tuple[float, int]:
    max_pages = runs // scale.search_page_size + 2
    began = time.perf_counter()
    found = sum(len(page) for page in rest.search_pages(experiment_id, scale.search_page_size,
                                                          max_pages=max_pages, max_seconds=scale.loop_seconds))
    return time.perf_counter() - began, found


def run(ctx: Context) -> list[Measurement]:
    rest, scale = ctx.rest, ctx.scale
    out: list[Measurement] = []
    if "search" not in ctx.state:
        bulk = ctx.db_path if ctx.populate == "bulk" else None
        experiment_id, runs, rate = populate(rest, scale, bulk)
        ctx.state["search"] = (experiment_id, runs)
        label = "populate (bulk SQL copies)" if bulk else "populate (create + log-batch)"
        out.append(Measurement("search", label, "runs/s", rate, "higher", detail=f"{runs} runs"))
    experiment_id, runs = ctx.state["search"]
    size = f"{runs} runs, page {scale.search_page_size}"
    plain, n_plain, cpu_plain = _query_latency(ctx, experiment_id)
    filtered, n_filtered, cpu_filtered = _query_latency(ctx, experiment_id, FILTER)
    selective, n_selective, cpu_selective = _query_latency(ctx, experiment_id, SELECTIVE_FILTER)
    ordered, n_ordered, _ = _query_latency(ctx, experiment_id, order_by=ORDER_BY)
    seconds, n_all = _full_pagination(rest, experiment_id, scale, runs)
    return out + [
        Measurement("search", "no filter, first page", "ms", plain, "lower", target=True,
                    detail=f"{size}; {n_plain} returned"),
        Measurement("search", "filter metric+param", "ms", filtered, "lower", target=True,
                    detail=f"{FILTER!r}; {n_filtered} returned"),
        Measurement("search", "selective indexed filter", "ms", selective, "lower",
                    detail=f"{SELECTIVE_FILTER!r}; {n_selective} returned"),
        Measurement("search", "order by metric, first page", "ms", ordered, "lower",
                    detail=f"{ORDER_BY[0]!r}; {n_ordered} returned"),
        Measurement("search", "full pagination", "s", seconds, "lower",
                    detail=f"{n_all} of {runs} runs"),
        Measurement("search", "server CPU per query, no filter", "ms", cpu_plain, "lower", detail=size),
        Measurement("search", "server CPU per query, filter", "ms", cpu_filtered, "lower", detail=size),
        Measurement("search", "server CPU per query, selective filter", "ms", cpu_selective, "lower",
                    detail=size),
    ]
