"""Small builders shared by the contract tests."""

from __future__ import annotations

import itertools
import time

from tracklog.entities import Metric, Run
from tracklog.store.base import TrackingStore

_counter = itertools.count()


def unique(prefix: str = "exp") -> str:
    return f"{prefix}-{next(_counter)}-{time.monotonic_ns()}"


def new_experiment(store: TrackingStore, prefix: str = "exp") -> str:
    return store.create_experiment(unique(prefix))


def new_run(store: TrackingStore, experiment_id: str | None = None, **kwargs: object) -> Run:
    eid = experiment_id if experiment_id is not None else new_experiment(store)
    return store.create_run(eid, "alice", kwargs.pop("start_time", 1000), **kwargs)  # type: ignore[arg-type]


def metric(key: str, value: float, timestamp: int = 1, step: int = 0, **kw: object) -> Metric:
    return Metric(key, value, timestamp, step, **kw)  # type: ignore[arg-type]
