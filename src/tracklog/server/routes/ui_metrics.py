"""Chart data for the web UI: bucketed metric histories (a tracklog extension of the MLflow API).

``GET /api/2.0/tracklog/metrics/get-history-sampled`` (also under ``/ajax-api/``) answers, per run,
at most ``max_points`` step buckets with the last point, min, max, count and NaN count of each
(see ``tracklog.store.sampled``). A ``max_points`` above the cap is lowered to it, never refused;
``min_step``/``max_step`` narrow the range (the UI re-fetches the visible range on zoom). The
answer is columnar, one array of numbers per field and run (``SampledSeries.to_dict``).
"""

from __future__ import annotations

from typing import Any

from tracklog.auth.rules import Level, Source, experiment
from tracklog.exceptions import InvalidArgument
from tracklog.server.context import ServerContext
from tracklog.server.request import Params
from tracklog.server.routing import RouteTable
from tracklog.store.sampled import SAMPLED_MAX_POINTS, SAMPLED_MAX_RUNS

table = RouteTable("ui")

SAMPLED_PATH = "/api/2.0/tracklog/metrics/get-history-sampled"
DEFAULT_MAX_POINTS = 1000


@table.json("GET", SAMPLED_PATH,
            "Bucketed history of one metric for several runs (last/min/max per step bucket; charts)",
            ("run_ids!:[str]", "metric_key!", "max_points:int", "min_step:int", "max_step:int"),
            permission=experiment(Level.READ, Source.RUN_IDS))
def get_history_sampled(ctx: ServerContext, p: Params) -> dict[str, Any]:
    # Repeated run_ids=...; exactly the list the access check read (no other spelling is accepted).
    run_ids = p.str_list("run_ids")
    if not run_ids:
        raise p.missing("run_ids")
    if len(run_ids) > SAMPLED_MAX_RUNS:
        raise InvalidArgument(f"At most {SAMPLED_MAX_RUNS} run_ids per request; received {len(run_ids)}.")
    metric_key = p.req_str("metric_key")
    max_points = p.integer("max_points", DEFAULT_MAX_POINTS)
    if max_points < 1:
        raise InvalidArgument(f"max_points must be a positive integer; received {max_points}.")
    max_points = min(max_points, SAMPLED_MAX_POINTS)
    min_step, max_step = p.opt_int("min_step"), p.opt_int("max_step")
    if min_step is not None and max_step is not None and min_step > max_step:
        raise InvalidArgument(f"max_step must be at least min_step; received min_step={min_step}, "
                              f"max_step={max_step}.")
    series = ctx.store.get_metric_history_sampled(run_ids, metric_key, max_points, min_step, max_step)
    return {"series": [s.to_dict() for s in series], "max_points": max_points}
