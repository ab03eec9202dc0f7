"""Metric histories: paged (or streamed) history of one key, bulk interval sampling, ajax bulk history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tracklog.auth.rules import Level, Source, experiment
from tracklog.exceptions import InvalidArgument
from tracklog.server.context import ServerContext
from tracklog.server.request import Params, read_params
from tracklog.server.responses import json_response
from tracklog.server.routes._common import paged
from tracklog.server.routing import AJAX, API, RouteTable
from tracklog.store.base import METRIC_HISTORY_MAX_RESULTS

table = RouteTable("metrics")

MAX_RUNS_PER_BULK_REQUEST = 100
MAX_RESULTS_PER_RUN = 2500
#: points per store read when a whole history is streamed (no ``max_results``)
STREAM_PAGE = METRIC_HISTORY_MAX_RESULTS


@table.raw("GET", f"{API}/metrics/get-history", "Every point of one metric of a run (paged)",
           ("run_id!", "run_uuid", "metric_key!", "max_results:int", "page_token"),
           permission=experiment(Level.READ, Source.RUN_ID))
async def get_history(ctx: ServerContext, request: Request) -> Response:
    """One page when ``max_results`` is given (what the clients ask for); without it, every
    point, streamed: the store is read in keyset pages of ``STREAM_PAGE`` points and each page
    is sent as soon as it is rendered, so a 10-million-point history never sits in memory."""
    p = await read_params(request)
    max_results = p.opt_int("max_results")
    if max_results is not None and max_results < 1:
        raise InvalidArgument("max_results must be a positive integer")
    run_id, key, token = p.run_id(), p.req_str("metric_key"), p.opt_str("page_token") or None
    limit = STREAM_PAGE if max_results is None else min(max_results, METRIC_HISTORY_MAX_RESULTS)
    metrics, token = await run_in_threadpool(ctx.store.get_metric_history_wire, run_id, key, limit, token)
    if max_results is not None or token is None:
        return json_response(paged("metrics", metrics, token if max_results is not None else None))
    return StreamingResponse(_stream(ctx, run_id, key, metrics, token), media_type="application/json")


async def _stream(ctx: ServerContext, run_id: str, key: str, first: list[dict[str, Any]], token: str | None
                  ) -> AsyncIterator[bytes]:
    """``{"metrics": [...]}`` page by page (the first page is read before the response starts,
    so a missing run is still a 404)."""
    yield b'{"metrics":[' + orjson.dumps(first)[1:-1]
    while token is not None:
        page, token = await run_in_threadpool(ctx.store.get_metric_history_wire, run_id, key, STREAM_PAGE, token)
        if page:
            yield b"," + orjson.dumps(page)[1:-1]
    yield b"]}"


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
