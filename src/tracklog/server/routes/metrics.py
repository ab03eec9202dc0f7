"""Metric histories: paged history of one key, bulk interval sampling, ajax bulk history."""

from __future__ import annotations

from typing import Any

from tracklog.auth.rules import Level, Source, experiment
from tracklog.exceptions import InvalidArgument
from tracklog.server.context import ServerContext
from tracklog.server.request import Params
from tracklog.server.routes._common import paged
from tracklog.server.routing import AJAX, API, RouteTable
from tracklog.store.base import METRIC_HISTORY_MAX_RESULTS

table = RouteTable("metrics")

MAX_RUNS_PER_BULK_REQUEST = 100
MAX_RESULTS_PER_RUN = 2500


@table.json("GET", f"{API}/metrics/get-history", "Every point of one metric of a run (paged)",
            ("run_id!", "run_uuid", "metric_key!", "max_results:int", "page_token"),
            permission=experiment(Level.READ, Source.RUN_ID))
def get_history(ctx: ServerContext, p: Params) -> dict[str, Any]:
    max_results = p.opt_int("max_results")
    if max_results is not None and max_results < 1:
        raise InvalidArgument("max_results must be a positive integer")
    if max_results is not None:
        max_results = min(max_results, METRIC_HISTORY_MAX_RESULTS)
    metrics, token = ctx.store.get_metric_history_wire(
        p.run_id(), p.req_str("metric_key"), max_results=max_results,
        page_token=p.opt_str("page_token") or None,
    )
    return paged("metrics", metrics, token)


@table.json("GET", f"{API}/metrics/get-history-bulk-interval",
            "Sampled history of one metric for several runs (charts)",
            ("run_ids!:[str]", "metric_key!", "start_step:int", "end_step:int", "max_results:int"),
            permission=experiment(Level.READ, Source.RUN_IDS))
def get_history_bulk_interval(ctx: ServerContext, p: Params) -> dict[str, Any]:
    run_ids = p.str_list("run_ids")
    if not run_ids:
        raise p.missing("run_ids")
    if len(run_ids) > MAX_RUNS_PER_BULK_REQUEST:
        raise InvalidArgument(
            f"GetMetricHistoryBulkInterval request must specify at most {MAX_RUNS_PER_BULK_REQUEST} "
            f"run_ids. Received {len(run_ids)} run_ids."
        )
    metric_key = p.req_str("metric_key")
    max_results = p.integer("max_results", MAX_RESULTS_PER_RUN)
    if not 1 <= max_results <= MAX_RESULTS_PER_RUN:
        raise InvalidArgument(f"max_results must be between 1 and {MAX_RESULTS_PER_RUN}.")
    start, end = p.opt_int("start_step"), p.opt_int("end_step")
    if (start is None) != (end is None):
        raise InvalidArgument("If either start step or end step are specified, both must be specified.")
    if start is not None and end is not None and start > end:
        raise InvalidArgument(
            f"end_step must be greater than start_step. Found start_step={start} and end_step={end}."
        )
    metrics = ctx.store.get_metric_history_bulk_interval(run_ids, metric_key, max_results, start, end)
    return paged("metrics", [m.to_dict() for m in metrics], None)


@table.json("GET", f"{AJAX}/metrics/get-history-bulk", "History of one metric for several runs (UI)",
            ("run_id!:[str]", "metric_key!", "max_results:int"), mirror=False,
            permission=experiment(Level.READ, Source.RUN_IDS))
def get_history_bulk(ctx: ServerContext, p: Params) -> dict[str, Any]:
    run_ids = p.str_list("run_id")
    if not run_ids:
        raise InvalidArgument("GetMetricHistoryBulk request must specify at least one run_id.")
    if len(run_ids) > MAX_RUNS_PER_BULK_REQUEST:
        raise InvalidArgument(
            f"GetMetricHistoryBulk request cannot specify more than {MAX_RUNS_PER_BULK_REQUEST} run_ids. "
            f"Received {len(run_ids)} run_ids."
        )
    metric_key = p.req_str("metric_key")
    limit = min(max(p.integer("max_results", METRIC_HISTORY_MAX_RESULTS), 1), METRIC_HISTORY_MAX_RESULTS)
    out: list[dict[str, Any]] = []
    for run_id in sorted(set(run_ids)):
        page = ctx.store.get_metric_history(run_id, metric_key, max_results=limit)
        for metric in sorted(page, key=lambda m: (m.timestamp, m.step, m.value)):
            item = metric.to_dict()
            item["run_id"] = run_id
            out.append(item)
        if len(out) >= limit:
            break
    return {"metrics": out[:limit]} if out else {}
