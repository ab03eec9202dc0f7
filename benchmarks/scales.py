"""How big each workload is in each ``--scale`` mode.

``quick`` is the CI smoke mode (a few seconds per workload, never asserted on),
``default`` is what docs/performance.md quotes, ``large`` is for manual runs and
may take hours against ``mlflow server``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Scale:
    name: str
    repeat: int
    # single-request latency workloads
    log_metric_calls: int
    run_creates: int
    # log-batch throughput: batches of ``batch_size`` metrics
    log_batches: int
    batch_size: int
    # search: runs in the searched experiment and what each run carries
    search_runs: int
    search_params: int
    search_metrics: int
    search_tags: int
    search_queries: int
    search_page_size: int
    # metric history: points of one key in one run
    history_points: int
    # a run with many metric keys (runs/get latency)
    wide_metric_keys: int
    wide_gets: int
    # artifacts through the proxy
    artifact_large_mb: int
    artifact_small_files: int
    artifact_small_bytes: int
    # concurrent writers
    writers: int
    writer_seconds: float
    writer_max_requests: int
    # client import time
    import_repeats: int
    # upper bound of each timed loop, and of each populate step, in seconds
    loop_seconds: float
    populate_seconds: float

    def with_repeat(self, repeat: int | None) -> Scale:
        return self if repeat is None else replace(self, repeat=repeat)


SCALES: dict[str, Scale] = {
    "quick": Scale(
        name="quick", repeat=1,
        log_metric_calls=50, run_creates=20, log_batches=3, batch_size=1000,
        search_runs=30, search_params=5, search_metrics=5, search_tags=5,
        search_queries=3, search_page_size=20,
        history_points=2_000, wide_metric_keys=50, wide_gets=5,
        artifact_large_mb=2, artifact_small_files=20, artifact_small_bytes=1024,
        writers=16, writer_seconds=1.0, writer_max_requests=400,
        import_repeats=3, loop_seconds=5.0, populate_seconds=60.0,
    ),
    "default": Scale(
        name="default", repeat=3,
        log_metric_calls=300, run_creates=150, log_batches=15, batch_size=1000,
        search_runs=1_000, search_params=20, search_metrics=10, search_tags=10,
        search_queries=5, search_page_size=1000,
        history_points=20_000, wide_metric_keys=1_000, wide_gets=20,
        artifact_large_mb=50, artifact_small_files=200, artifact_small_bytes=1024,
        writers=16, writer_seconds=4.0, writer_max_requests=20_000,
        import_repeats=5, loop_seconds=30.0, populate_seconds=900.0,
    ),
    "large": Scale(
        name="large", repeat=3,
        log_metric_calls=2_000, run_creates=1_000, log_batches=100, batch_size=1000,
        search_runs=100_000, search_params=20, search_metrics=10, search_tags=10,
        search_queries=5, search_page_size=1000,
        history_points=10_000_000, wide_metric_keys=1_000, wide_gets=50,
        artifact_large_mb=500, artifact_small_files=2_000, artifact_small_bytes=1024,
        writers=16, writer_seconds=20.0, writer_max_requests=500_000,
        import_repeats=9, loop_seconds=600.0, populate_seconds=6 * 3600.0,
    ),
}
