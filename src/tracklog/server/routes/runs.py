"""Runs: create, get, update, delete, restore, tags, params, metrics, batches, inputs, outputs, search."""

from __future__ import annotations

from typing import Any

from tracklog.auth.rules import Level, Source, experiment
from tracklog.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from tracklog.entities.experiment import DEFAULT_EXPERIMENT_ID
from tracklog.server.context import ServerContext
from tracklog.server.request import Params
from tracklog.server.routes._common import paged, tags_of, validate_max_results
from tracklog.server.routing import API, RouteTable
from tracklog.store.base import SEARCH_MAX_RESULTS_DEFAULT

table = RouteTable("runs")

_RUN_ID = ("run_id!", "run_uuid")


def metric_of(p: Params) -> Metric:
    return Metric(
        key=p.req_str("key"),
        value=p.req_float("value"),
        timestamp=p.req_int("timestamp"),
        step=p.integer("step", 0),
        model_id=p.opt_str("model_id") or None,
        dataset_name=p.opt_str("dataset_name") or None,
        dataset_digest=p.opt_str("dataset_digest") or None,
    )


_PLAIN_METRIC = frozenset(("key", "value", "timestamp", "step"))
_EXACT_DOUBLE = 2**53


def _plain_metric(item: Any) -> Metric | None:
    """The common batch item -- ``{key, value, timestamp[, step]}`` with JSON-native types --
    read without the per-field machinery; None for anything else (``metric_of`` then reads
    it, with its exact error messages). The result is what ``metric_of`` would return."""
    if type(item) is not dict or not item.keys() <= _PLAIN_METRIC:
        return None
    key, value, timestamp, step = item.get("key"), item.get("value"), item.get("timestamp"), item.get("step", 0)
    if type(key) is not str or not key or type(timestamp) is not int:
        return None
    if step is None:
        step = 0
    elif type(step) is not int:
        return None
    if type(value) is not float:
        if type(value) is not int or not -_EXACT_DOUBLE <= value <= _EXACT_DOUBLE:
            return None
        value = float(value)
    return Metric(key, value, timestamp, step)


def metrics_of(p: Params, name: str) -> list[Metric]:
    """The metric objects of the list field ``name`` (a log-batch carries up to 1000)."""
    out: list[Metric] = []
    for i, item in enumerate(p.raw_list(name)):
        metric = _plain_metric(item)
        out.append(metric if metric is not None else metric_of(p.item(name, i, item)))
    return out


def _dataset_input(p: Params) -> DatasetInput:
    d = p.obj("dataset")
    if d is None:
        raise p.missing("dataset")
    dataset = Dataset(
        name=d.req_str("name"),
        digest=d.req_str("digest"),
        source_type=d.req_str("source_type"),
        source=d.req_str("source"),
        schema=d.opt_str("schema"),
        profile=d.opt_str("profile"),
    )
    return DatasetInput(dataset, tags_of(p, "tags", InputTag))


@table.json("POST", f"{API}/runs/create", "Create a run",
            ("experiment_id", "user_id", "run_name", "start_time:int", "tags:[tag]"),
            permission=experiment(Level.EDIT, Source.DEFAULT_EXPERIMENT_ID))
def create(ctx: ServerContext, p: Params) -> dict[str, Any]:
    run = ctx.store.create_run(
        experiment_id=p.opt_id("experiment_id") or DEFAULT_EXPERIMENT_ID,
        user_id=p.string("user_id"),
        start_time=p.opt_int("start_time"),
        tags=tags_of(p, "tags", RunTag),
        run_name=p.opt_str("run_name") or None,
    )
    return {"run": run.to_dict()}


@table.json("GET", f"{API}/runs/get", "Get a run with its latest metrics, params, tags, inputs, outputs",
            _RUN_ID,
            permission=experiment(Level.READ, Source.RUN_ID))
def get(ctx: ServerContext, p: Params) -> dict[str, Any]:
    return {"run": ctx.store.get_run(p.run_id()).to_dict()}


@table.json("POST", f"{API}/runs/update", "Update a run's status, end time or name",
            (*_RUN_ID, "status:enum", "end_time:int", "run_name"),
            permission=experiment(Level.EDIT, Source.RUN_ID))
def update(ctx: ServerContext, p: Params) -> dict[str, Any]:
    info = ctx.store.update_run_info(
        p.run_id(),
        status=p.enum(RunStatus, "status"),
        end_time=p.opt_int("end_time"),
        run_name=p.opt_str("run_name") or None,
    )
    return {"run_info": info.to_dict()}


@table.json("POST", f"{API}/runs/delete", "Soft-delete a run", ("run_id!",),
            permission=experiment(Level.MANAGE, Source.RUN_ID))
def delete(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.delete_run(p.run_id())
    return {}


@table.json("POST", f"{API}/runs/restore", "Restore a deleted run", ("run_id!",),
            permission=experiment(Level.MANAGE, Source.RUN_ID))
def restore(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.restore_run(p.run_id())
    return {}


@table.json("POST", f"{API}/runs/set-tag", "Set a run tag (upsert)", (*_RUN_ID, "key!", "value"),
            permission=experiment(Level.EDIT, Source.RUN_ID))
def set_tag(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.set_tag(p.run_id(), RunTag(p.req_str("key"), p.string("value")))
    return {}


@table.json("POST", f"{API}/runs/delete-tag", "Delete a run tag", ("run_id!", "key!"),
            permission=experiment(Level.EDIT, Source.RUN_ID))
def delete_tag(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.delete_tag(p.run_id(), p.req_str("key"))
    return {}


@table.json("POST", f"{API}/runs/log-parameter", "Log a parameter (write-once)",
            (*_RUN_ID, "key!", "value"),
            permission=experiment(Level.EDIT, Source.RUN_ID))
def log_param(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.log_param(p.run_id(), Param(p.req_str("key"), p.string("value")))
    return {}


@table.json("POST", f"{API}/runs/log-metric", "Log one metric point",
            (*_RUN_ID, "key!", "value!:number", "timestamp!:int", "step:int", "model_id",
             "dataset_name", "dataset_digest"),
            permission=experiment(Level.EDIT, Source.RUN_ID))
def log_metric(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.log_metric(p.run_id(), metric_of(p))
    return {}


@table.json("POST", f"{API}/runs/log-batch", "Log metrics, params and tags in one transaction",
            ("run_id!", "metrics:[metric]", "params:[tag]", "tags:[tag]"),
            permission=experiment(Level.EDIT, Source.RUN_ID))
def log_batch(ctx: ServerContext, p: Params) -> dict[str, Any]:
    run_id = p.run_id()
    metrics = metrics_of(p, "metrics")
    params = tags_of(p, "params", Param)
    tags = tags_of(p, "tags", RunTag)
    ctx.store.log_batch(run_id, metrics=metrics, params=params, tags=tags)
    return {}


@table.json("POST", f"{API}/runs/log-inputs", "Log dataset and model inputs",
            ("run_id!", "datasets:[object]", "models:[object]"),
            permission=experiment(Level.EDIT, Source.RUN_ID))
def log_inputs(ctx: ServerContext, p: Params) -> dict[str, Any]:
    run_id = p.run_id()
    datasets = [_dataset_input(d) for d in p.obj_list("datasets")]
    models = [LoggedModelInput(m.req_str("model_id")) for m in p.obj_list("models")]
    ctx.store.log_inputs(run_id, datasets=datasets, models=models)
    return {}


@table.json("POST", f"{API}/runs/outputs", "Log model outputs of a run", ("run_id!", "models:[object]"),
            permission=experiment(Level.EDIT, Source.RUN_ID))
def log_outputs(ctx: ServerContext, p: Params) -> dict[str, Any]:
    run_id = p.run_id()
    models = [LoggedModelOutput(m.req_str("model_id"), m.integer("step", 0)) for m in p.obj_list("models")]
    ctx.store.log_outputs(run_id, models)
    return {}


@table.json("POST", f"{API}/runs/search", "Search runs",
            ("experiment_ids:[str]", "filter", "run_view_type:enum", "max_results:int", "order_by:[str]",
             "page_token"),
            permission=experiment(Level.READ, Source.SEARCH))
def search(ctx: ServerContext, p: Params) -> dict[str, Any]:
    experiment_ids = p.str_list("experiment_ids")
    view = p.enum(ViewType, "run_view_type", ViewType.ACTIVE_ONLY) or ViewType.ACTIVE_ONLY
    max_results = validate_max_results(p, SEARCH_MAX_RESULTS_DEFAULT)
    if not experiment_ids:
        return {}
    runs, token = ctx.store.search_runs_wire(
        experiment_ids,
        filter_string=p.opt_str("filter") or None,
        run_view_type=view,
        max_results=max_results,
        order_by=p.str_list("order_by") or None,
        page_token=p.opt_str("page_token") or None,
    )
    return paged("runs", runs, token)
