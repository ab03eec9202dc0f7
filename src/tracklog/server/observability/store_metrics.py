"""The store's numbers, read at scrape time and cached.

* ``tracklog_runs{status, lifecycle}`` and ``tracklog_experiments{lifecycle}``: exact counts
  (one ``GROUP BY`` each), and ``tracklog_logged_models{lifecycle}``;
* ``tracklog_metric_rows``: rows of the metric-history table -- PostgreSQL's and MySQL's
  planner estimate (``pg_class.reltuples``, ``information_schema.tables.table_rows``: no
  table scan, refreshed by autovacuum/ANALYZE), an exact ``COUNT(*)`` on SQLite;
* ``tracklog_artifact_bytes{experiment_id}`` for active experiments, with
  ``tracklog_artifact_usage_complete`` (0 when the bounded measurement stopped early, see
  ``artifact_usage``) and ``tracklog_artifact_usage_age_seconds``.

Database numbers are cached for ``DB_TTL_S`` (30 s), artifact sizes for ``ARTIFACT_TTL_S``
(5 min): a scrape every 15 s costs one small query most of the time and never a full walk.
A failing database or artifact store drops those series from the scrape (and logs a warning);
it never fails the scrape.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Connection, func, select, text

from tracklog.server.context import ServerContext
from tracklog.server.observability.artifact_usage import ArtifactUsage, UsageSnapshot

__all__ = ["ARTIFACT_TTL_S", "DB_TTL_S", "StoreCollector"]

logger = logging.getLogger("tracklog.server")
DB_TTL_S = 30.0
ARTIFACT_TTL_S = 300.0
T = TypeVar("T")


class _Cached(Generic[T]):
    """A value recomputed at most once per ``ttl`` seconds (concurrent callers wait for one computation)."""

    def __init__(self, ttl: float, compute: Callable[[], T]) -> None:
        self.ttl = ttl
        self.compute = compute
        self._lock = threading.Lock()
        self._value: T | None = None
        self._at = float("-inf")

    def get(self) -> tuple[T, float]:
        with self._lock:
            now = time.monotonic()
            if self._value is None or now - self._at >= self.ttl:
                self._value = self.compute()
                self._at = now
            return self._value, now - self._at


class StoreCollector(Collector):
    """A prometheus_client collector reading the tracking store (SQL stores only)."""

    def __init__(self, ctx: ServerContext) -> None:
        self.db_uri: str | None = getattr(ctx.store, "db_uri", None)
        self.usage = ArtifactUsage(ctx.artifacts)
        self._counts: _Cached[dict[str, Any]] = _Cached(DB_TTL_S, self._read_counts)
        self._sizes: _Cached[UsageSnapshot] = _Cached(ARTIFACT_TTL_S, self._measure)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self.db_uri is None:
            return
        try:
            counts, _ = self._counts.get()
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because the database does
            logger.warning("metrics: cannot read the tracking database: %s", type(exc).__name__)
            return
        yield from _families(counts)
        try:
            snap, age = self._sizes.get()
        except Exception as exc:  # noqa: BLE001
            logger.warning("metrics: cannot measure artifacts: %s", type(exc).__name__)
            return
        sizes = GaugeMetricFamily("tracklog_artifact_bytes", "Bytes of artifacts per active experiment.",
                                  labels=["experiment_id"])
        for experiment_id, size in sorted(snap.bytes_by_experiment.items(), key=lambda kv: int(kv[0])):
            sizes.add_metric([experiment_id], size)
        yield sizes
        yield GaugeMetricFamily("tracklog_artifact_usage_complete",
                                "1 when every active experiment was measured, 0 when the bounded walk stopped early.",
                                value=1 if snap.complete else 0)
        yield GaugeMetricFamily("tracklog_artifact_usage_age_seconds",
                                "Seconds since tracklog_artifact_bytes was measured.", value=age)

    def _database(self) -> Any:
        from tracklog.store.sql.db import Database
        from tracklog.store.sql.engine import get_engine

        assert self.db_uri is not None
        return Database(get_engine(self.db_uri))

    def _read_counts(self) -> dict[str, Any]:
        result: dict[str, Any] = self._database().read(_counts)
        return result

    def _measure(self) -> UsageSnapshot:
        locations: list[tuple[str, str]] = self._database().read(_active_locations, self.usage.max_experiments + 1)
        return self.usage.measure(locations)


def _counts(conn: Connection) -> dict[str, Any]:
    from tracklog.store.sql import schema as s

    runs = conn.execute(select(s.runs.c.status, s.runs.c.lifecycle_stage, func.count())
                        .group_by(s.runs.c.status, s.runs.c.lifecycle_stage)).all()
    experiments = conn.execute(select(s.experiments.c.lifecycle_stage, func.count())
                               .group_by(s.experiments.c.lifecycle_stage)).all()
    models = conn.execute(select(s.logged_models.c.lifecycle_stage, func.count())
                          .group_by(s.logged_models.c.lifecycle_stage)).all()
    return {"runs": [tuple(r) for r in runs], "experiments": [tuple(r) for r in experiments],
            "models": [tuple(r) for r in models], "metric_rows": _metric_rows(conn)}


def _metric_rows(conn: Connection) -> int:
    from tracklog.store.sql import schema as s

    dialect = conn.dialect.name
    if dialect == "postgresql":
        estimate = conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('metrics')")).scalar()
        if estimate is not None and estimate >= 0:
            return int(estimate)
    elif dialect in ("mysql", "mariadb"):
        estimate = conn.execute(text("SELECT table_rows FROM information_schema.tables "
                                     "WHERE table_schema = DATABASE() AND table_name = 'metrics'")).scalar()
        if estimate is not None:
            return int(estimate)
    return int(conn.execute(select(func.count()).select_from(s.metrics)).scalar_one())


def _active_locations(conn: Connection, limit: int) -> list[tuple[str, str]]:
    from tracklog.store.sql import schema as s

    e = s.experiments
    rows = conn.execute(select(e.c.experiment_id, e.c.artifact_location).where(e.c.lifecycle_stage == "active")
                        .order_by(e.c.experiment_id).limit(limit)).all()
    return [(str(row[0]), str(row[1])) for row in rows]


def _families(counts: dict[str, Any]) -> Iterator[GaugeMetricFamily]:
    runs = GaugeMetricFamily("tracklog_runs", "Runs by status and lifecycle stage.", labels=["status", "lifecycle"])
    for status, lifecycle, n in counts["runs"]:
        runs.add_metric([status, lifecycle], n)
    yield runs
    for name, key, what in (("tracklog_experiments", "experiments", "Experiments"),
                            ("tracklog_logged_models", "models", "Logged models")):
        family = GaugeMetricFamily(name, f"{what} by lifecycle stage.", labels=["lifecycle"])
        for lifecycle, n in counts[key]:
            family.add_metric([lifecycle], n)
        yield family
    yield GaugeMetricFamily("tracklog_metric_rows",
                            "Rows in the metric history (an estimate on PostgreSQL and MySQL).",
                            value=counts["metric_rows"])
