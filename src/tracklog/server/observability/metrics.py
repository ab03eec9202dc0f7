"""Prometheus metrics of one server process, and the ``/metrics`` exposition.

Metric names (all prefixed ``tracklog_``):

* ``http_requests_total{method, route, status}`` and ``http_request_duration_seconds{method,
  route}`` (histogram): ``route`` is the route *template* (``/api/2.0/mlflow/runs/get``,
  ``/api/2.0/mlflow-artifacts/artifacts/{artifact_path:path}``), never the raw path, so the
  number of series stays bounded whatever clients send;
* ``db_pool_checked_out`` and ``db_pool_size``: SQLAlchemy pool connections in use and the
  pool's capacity (``pool_size + max_overflow``), summed over the live worker processes;
* the store's numbers (``tracklog.server.observability.store_metrics``).

Several workers (``tracklog server --workers N``): ``tracklog server`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh temporary directory before any worker starts, every
worker writes its samples there, and whichever worker answers ``/metrics`` reads them all
(prometheus_client's multiprocess mode), so counters and histograms are totals over the
workers, pool gauges are sums over the live workers, and a restarted worker's counts are kept.
Without that variable (an app built in-process, e.g. in tests) each app has its own registry.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from typing import Any

from tracklog.server.context import ServerContext

__all__ = ["LATENCY_BUCKETS", "ServerMetrics", "multiprocess_mode"]

logger = logging.getLogger("tracklog.server")

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_marked_at_exit: set[int] = set()
_mark_lock = threading.Lock()


def multiprocess_mode() -> bool:
    """True when samples go to ``PROMETHEUS_MULTIPROC_DIR`` (set before prometheus_client loaded)."""
    from prometheus_client import values

    wanted = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    active = values.ValueClass is not values.MutexValue
    if wanted and not active:
        logger.warning("PROMETHEUS_MULTIPROC_DIR was set after prometheus_client was imported: "
                       "metrics are per process")
    return wanted and active


class ServerMetrics:
    """The metric objects of one app, and ``render()`` for ``/metrics``."""

    def __init__(self, ctx: ServerContext) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        from tracklog.server.observability.store_metrics import StoreCollector

        self.multiprocess = multiprocess_mode()
        # In multiprocess mode the samples live in files; the registry is built per scrape.
        self.registry: CollectorRegistry | None = None if self.multiprocess else CollectorRegistry()
        reg = self.registry
        self.requests = Counter("tracklog_http_requests", "HTTP requests by method, route template and status.",
                                ["method", "route", "status"], registry=reg)
        self.latency = Histogram("tracklog_http_request_duration_seconds",
                                 "Time to answer HTTP requests (until the response is complete).",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=reg)
        self.pool_checked_out = Gauge("tracklog_db_pool_checked_out",
                                      "Database connections in use (summed over worker processes).",
                                      registry=reg, multiprocess_mode="livesum")
        self.pool_size = Gauge("tracklog_db_pool_size",
                               "Database pool capacity: pool_size + max_overflow (summed over worker processes).",
                               registry=reg, multiprocess_mode="livesum")
        self.store = StoreCollector(ctx)
        if reg is not None:
            reg.register(self.store)
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._watch_pool(ctx)
        if self.multiprocess:
            _mark_dead_at_exit()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request (label children are cached: no allocation after warm-up)."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            shown = method if method in _METHODS else "other"
            children = (self.requests.labels(shown, route, str(status)), self.latency.labels(shown, route))
            if len(self._children) < 10_000:
                self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """The exposition text (or OpenMetrics when ``accept`` asks) and its content type."""
        from prometheus_client import CollectorRegistry
        from prometheus_client.exposition import choose_encoder

        registry = self.registry
        if registry is None:
            from prometheus_client.multiprocess import MultiProcessCollector

            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            registry.register(self.store)
        encoder, content_type = choose_encoder(accept or "")
        return encoder(registry), content_type

    def _watch_pool(self, ctx: ServerContext) -> None:
        db_uri = getattr(ctx.store, "db_uri", None)
        if not isinstance(db_uri, str):
            return
        from sqlalchemy import event

        from tracklog.store.sql.engine import get_engine

        pool = get_engine(db_uri).pool
        size = getattr(pool, "size", None)
        overflow = getattr(pool, "_max_overflow", 0)
        if callable(size):
            self.pool_size.set(size() + max(int(overflow), 0))
        checked_out = getattr(pool, "checkedout", None)
        if callable(checked_out):
            self.pool_checked_out.set(checked_out())
        gauge = self.pool_checked_out
        event.listen(pool, "checkout", lambda *_: gauge.inc())
        event.listen(pool, "checkin", lambda *_: gauge.dec())


def _mark_dead_at_exit() -> None:
    """Drop this process's live gauges from the shared directory when it exits."""
    pid = os.getpid()
    with _mark_lock:
        if pid in _marked_at_exit:
            return
        _marked_at_exit.add(pid)

    def mark() -> None:
        from prometheus_client import multiprocess

        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if directory and os.path.isdir(directory):
            multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]

    atexit.register(mark)
