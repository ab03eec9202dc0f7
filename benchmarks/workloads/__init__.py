"""One module per workload; ``WORKLOADS`` lists them in the order they run.

Each takes a :class:`~benchmarks.workloads.base.Context` (a base URL, a REST client,
the scale) and returns a list of :class:`~benchmarks.workloads.base.Measurement`.
Server memory and client import time are measured by the runner itself
(``servers.RssSampler`` and ``workloads.import_time``).
"""

from __future__ import annotations

from benchmarks.workloads import (
    artifacts,
    client_overhead,
    concurrency,
    concurrency_floor,
    floor,
    log_batch,
    log_metric,
    metric_history,
    official_client,
    run_create,
    search,
    wide_run,
)
from benchmarks.workloads.base import Context, Measurement, Workload

WORKLOADS: dict[str, Workload] = {
    "log_metric": log_metric.run,
    "log_batch": log_batch.run,
    "run_create": run_create.run,
    "floor": floor.run,
    "search": search.run,
    "metric_history": metric_history.run,
    "wide_run": wide_run.run,
    "artifacts": artifacts.run,
    "concurrency": concurrency.run,
    "concurrency_floor": concurrency_floor.run,
    "official_client": official_client.run,
    "client_overhead": client_overhead.run,
}

__all__ = ["WORKLOADS", "Context", "Measurement", "Workload"]
