"""Experiments: get-by-name, create, get, search, update, delete, restore, tags."""

from __future__ import annotations

from typing import Any

from tracklog.auth.rules import CREATOR, Level, Source, experiment
from tracklog.entities import ExperimentTag, ViewType
from tracklog.exceptions import NotFound
from tracklog.server.context import ServerContext
from tracklog.server.locations import check_experiment_location
from tracklog.server.request import Params
from tracklog.server.routes._common import paged, tags_of, validate_max_results
from tracklog.server.routing import API, RouteTable
from tracklog.store.base import SEARCH_MAX_RESULTS_DEFAULT

table = RouteTable("experiments")

_SEARCH_FIELDS = ("max_results:int", "page_token", "filter", "order_by:[str]", "view_type:enum")


@table.json("GET", f"{API}/experiments/get-by-name", "Get an experiment by name", ("experiment_name!",),
            permission=experiment(Level.READ, Source.EXPERIMENT_NAME))
def get_by_name(ctx: ServerContext, p: Params) -> dict[str, Any]:
    name = p.req_str("experiment_name")
    experiment = ctx.store.get_experiment_by_name(name)
    if experiment is None:
        raise NotFound(f"Could not find experiment with name '{name}'")
    return {"experiment": experiment.to_dict()}


@table.json("POST", f"{API}/experiments/create", "Create an experiment",
            ("name!", "artifact_location", "tags:[tag]"),
            permission=CREATOR)
def create(ctx: ServerContext, p: Params) -> dict[str, Any]:
    name = p.req_str("name")
    location = p.opt_str("artifact_location") or None
    if location is not None:
        check_experiment_location(ctx.settings, location)
    tags = tags_of(p, "tags", ExperimentTag)
    experiment_id = ctx.store.create_experiment(name, location, tags)
    return {"experiment_id": experiment_id}


@table.json("GET", f"{API}/experiments/get", "Get an experiment by id", ("experiment_id!",),
            permission=experiment(Level.READ))
def get(ctx: ServerContext, p: Params) -> dict[str, Any]:
    return {"experiment": ctx.store.get_experiment(p.req_id("experiment_id")).to_dict()}


def _search(ctx: ServerContext, p: Params) -> dict[str, Any]:
    view = p.enum(ViewType, "view_type", ViewType.ACTIVE_ONLY) or ViewType.ACTIVE_ONLY
    page = ctx.store.search_experiments(
        view_type=view,
        max_results=validate_max_results(p, SEARCH_MAX_RESULTS_DEFAULT),
        filter_string=p.opt_str("filter") or None,
        order_by=p.str_list("order_by") or None,
        page_token=p.opt_str("page_token") or None,
    )
    return paged("experiments", [e.to_dict() for e in page], page.token)


table.json("POST", f"{API}/experiments/search", "Search experiments", _SEARCH_FIELDS,
            permission=experiment(Level.READ, Source.EXPERIMENT_SEARCH))(_search)
table.json("GET", f"{API}/experiments/search", "Search experiments (query string)", _SEARCH_FIELDS,
            permission=experiment(Level.READ, Source.EXPERIMENT_SEARCH))(_search)


@table.json("POST", f"{API}/experiments/update", "Rename an experiment", ("experiment_id!", "new_name!"),
            permission=experiment(Level.EDIT))
def update(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.rename_experiment(p.req_id("experiment_id"), p.req_str("new_name"))
    return {}


@table.json("POST", f"{API}/experiments/delete", "Soft-delete an experiment and its runs",
            ("experiment_id!",),
            permission=experiment(Level.MANAGE))
def delete(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.delete_experiment(p.req_id("experiment_id"))
    return {}


@table.json("POST", f"{API}/experiments/restore", "Restore a deleted experiment", ("experiment_id!",),
            permission=experiment(Level.MANAGE))
def restore(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.restore_experiment(p.req_id("experiment_id"))
    return {}


@table.json("POST", f"{API}/experiments/set-experiment-tag", "Set an experiment tag",
            ("experiment_id!", "key!", "value"),
            permission=experiment(Level.EDIT))
def set_tag(ctx: ServerContext, p: Params) -> dict[str, Any]:
    tag = ExperimentTag(p.req_str("key"), p.string("value"))
    ctx.store.set_experiment_tag(p.req_id("experiment_id"), tag)
    return {}


@table.json("POST", f"{API}/experiments/delete-experiment-tag", "Delete an experiment tag",
            ("experiment_id!", "key!"),
            permission=experiment(Level.EDIT))
def delete_tag(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.delete_experiment_tag(p.req_id("experiment_id"), p.req_str("key"))
    return {}
