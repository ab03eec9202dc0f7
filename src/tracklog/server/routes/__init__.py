"""One module per resource; each owns a ``RouteTable`` and ``TABLES`` lists them all."""

from __future__ import annotations

from tracklog.server.routes import (
    artifacts,
    auth,
    experiments,
    groups,
    logged_models,
    metrics,
    misc,
    operations,
    runs,
    sessions,
    ui_metrics,
)
from tracklog.server.routing import RouteTable

TABLES: tuple[RouteTable, ...] = (
    experiments.table,
    runs.table,
    metrics.table,
    logged_models.table,
    artifacts.table,
    misc.table,
    auth.table,
    sessions.table,
    groups.table,
    ui_metrics.table,
    operations.table,  # last: /metrics
)

__all__ = ["TABLES"]
