"""Logged models (MLflow 3.x): create, get, finalize, search, tags, params, delete, artifacts."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tracklog.auth.rules import Level, Source, experiment
from tracklog.entities import LoggedModelParameter, LoggedModelStatus, LoggedModelTag
from tracklog.server.context import ServerContext
from tracklog.server.file_response import download_response
from tracklog.server.request import Params, read_params
from tracklog.server.routes._common import paged, tags_of, validate_max_results
from tracklog.server.routing import AJAX, API, RouteTable

table = RouteTable("logged-models")

SEARCH_DEFAULT_MAX_RESULTS = 50
_MODELS = f"{API}/logged-models"


def _order_by(p: Params) -> list[dict[str, object]] | None:
    out: list[dict[str, object]] = []
    for item in p.obj_list("order_by"):
        entry: dict[str, object] = {"field_name": item.req_str("field_name"),
                                    "ascending": item.boolean("ascending", True)}
        for key in ("dataset_name", "dataset_digest"):
            value = item.opt_str(key)
            if value:
                entry[key] = value
        out.append(entry)
    return out or None


def _datasets(p: Params) -> list[dict[str, str]] | None:
    out: list[dict[str, str]] = []
    for item in p.obj_list("datasets"):
        entry = {"dataset_name": item.req_str("dataset_name")}
        digest = item.opt_str("dataset_digest")
        if digest:
            entry["dataset_digest"] = digest
        out.append(entry)
    return out or None


@table.json("POST", _MODELS, "Create a logged model (status LOGGED_MODEL_PENDING)",
            ("experiment_id!", "name", "model_type", "source_run_id", "params:[tag]", "tags:[tag]"),
            permission=experiment(Level.EDIT))
def create(ctx: ServerContext, p: Params) -> dict[str, Any]:
    model = ctx.store.create_logged_model(
        experiment_id=p.req_id("experiment_id"),
        name=p.opt_str("name") or None,
        source_run_id=p.opt_str("source_run_id") or None,
        tags=tags_of(p, "tags", LoggedModelTag),
        params=tags_of(p, "params", LoggedModelParameter),
        model_type=p.opt_str("model_type") or None,
    )
    return {"model": model.to_dict()}


@table.json("POST", f"{_MODELS}/search", "Search logged models",
            ("experiment_ids:[str]", "filter", "datasets:[object]", "max_results:int",
             "order_by:[object]", "page_token"),
            permission=experiment(Level.READ, Source.SEARCH))
def search(ctx: ServerContext, p: Params) -> dict[str, Any]:
    page = ctx.store.search_logged_models(
        experiment_ids=p.str_list("experiment_ids"),
        filter_string=p.opt_str("filter") or None,
        datasets=_datasets(p),
        max_results=validate_max_results(p, SEARCH_DEFAULT_MAX_RESULTS),
        order_by=_order_by(p),
        page_token=p.opt_str("page_token") or None,
    )
    return paged("models", [m.to_dict() for m in page], page.token)


@table.json("GET", f"{_MODELS}/{{model_id}}", "Get a logged model", ("model_id!", "allow_deleted:bool"),
            permission=experiment(Level.READ, Source.MODEL_ID))
def get(ctx: ServerContext, p: Params) -> dict[str, Any]:
    model = ctx.store.get_logged_model(p.req_str("model_id"), allow_deleted=p.boolean("allow_deleted"))
    return {"model": model.to_dict()}


@table.json("PATCH", f"{_MODELS}/{{model_id}}", "Finalize a logged model (set its final status)",
            ("model_id!", "status!:enum"),
            permission=experiment(Level.EDIT, Source.MODEL_ID))
def finalize(ctx: ServerContext, p: Params) -> dict[str, Any]:
    status = p.enum(LoggedModelStatus, "status")
    if status is None:
        raise p.missing("status")
    return {"model": ctx.store.finalize_logged_model(p.req_str("model_id"), status).to_dict()}


@table.json("DELETE", f"{_MODELS}/{{model_id}}", "Soft-delete a logged model", ("model_id!",),
            permission=experiment(Level.MANAGE, Source.MODEL_ID))
def delete(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.delete_logged_model(p.req_str("model_id"))
    return {}


@table.json("PATCH", f"{_MODELS}/{{model_id}}/tags", "Set logged-model tags", ("model_id!", "tags:[tag]"),
            permission=experiment(Level.EDIT, Source.MODEL_ID))
def set_tags(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.set_logged_model_tags(p.req_str("model_id"), tags_of(p, "tags", LoggedModelTag))
    return {}


@table.json("DELETE", f"{_MODELS}/{{model_id}}/tags/{{tag_key:path}}", "Delete a logged-model tag",
            ("model_id!", "tag_key!"),
            permission=experiment(Level.EDIT, Source.MODEL_ID))
def delete_tag(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.delete_logged_model_tag(p.req_str("model_id"), p.req_str("tag_key"))
    return {}


@table.json("POST", f"{_MODELS}/{{model_id}}/params", "Log logged-model params",
            ("model_id!", "params:[tag]"),
            permission=experiment(Level.EDIT, Source.MODEL_ID))
def log_params(ctx: ServerContext, p: Params) -> dict[str, Any]:
    ctx.store.log_logged_model_params(p.req_str("model_id"), tags_of(p, "params", LoggedModelParameter))
    return {}


@table.json("GET", f"{_MODELS}/{{model_id}}/artifacts/directories",
            "List a directory of a logged model's artifacts", ("model_id!", "artifact_directory_path"),
            permission=experiment(Level.READ, Source.MODEL_ID))
def list_directory(ctx: ServerContext, p: Params) -> dict[str, Any]:
    model = ctx.store.get_logged_model(p.req_str("model_id"))
    scope = ctx.artifacts.for_uri(model.artifact_uri)
    files = scope.list(p.opt_str("artifact_directory_path"))
    out: dict[str, Any] = {"root_uri": model.artifact_uri}
    if files:
        out["files"] = [f.to_dict() for f in files]
    return out


@table.raw("GET", f"{AJAX}/logged-models/{{model_id}}/artifacts/files",
           "Download one file of a logged model's artifacts (UI)", ("model_id!", "artifact_file_path!"),
           mirror=False, produces="application/octet-stream",
            permission=experiment(Level.READ, Source.MODEL_ID))
async def download_file(ctx: ServerContext, request: Request) -> Response:
    p = await read_params(request)
    model_id = p.req_str("model_id")
    path = p.req_str("artifact_file_path")
    model = await run_in_threadpool(ctx.store.get_logged_model, model_id)
    return await download_response(ctx.artifacts.for_uri(model.artifact_uri), path, request)
