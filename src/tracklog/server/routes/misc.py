"""Server-level routes: health, version, server-info, dataset summaries, OpenAPI document and docs."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from tracklog.auth.rules import AUTHENTICATED, PUBLIC, Level, Source, experiment
from tracklog.exceptions import InvalidArgument
from tracklog.server.context import ServerContext
from tracklog.server.request import Params
from tracklog.server.responses import json_response
from tracklog.server.routes import _multipart as multipart
from tracklog.server.routing import AJAX, API_3, RouteTable

table = RouteTable("server")

# The MLflow release whose REST protocol tracklog speaks (reported by /version).
MLFLOW_PROTOCOL_VERSION = "3.17.2"
MAX_EXPERIMENTS_PER_DATASET_SEARCH = 20


@table.raw("GET", "/health", "Liveness probe: answers OK", mirror=False, produces="text/plain",
            permission=PUBLIC)
async def health(ctx: ServerContext, request: Request) -> Response:
    return PlainTextResponse("OK")


@table.raw("GET", "/version", "The MLflow protocol version this server speaks", mirror=False,
           produces="text/plain",
            permission=PUBLIC)
async def version(ctx: ServerContext, request: Request) -> Response:
    return PlainTextResponse(MLFLOW_PROTOCOL_VERSION)


@table.json("GET", f"{API_3}/server-info", "Server capabilities (store type, artifact serving)",
            permission=AUTHENTICATED)
def server_info(ctx: ServerContext, p: Params) -> dict[str, Any]:
    serving = ctx.settings.serve_artifacts
    destination = ctx.artifacts.destination
    return {
        "store_type": "SqlStore" if type(ctx.store).__name__ == "SqlStore" else None,
        "artifact_serving_enabled": serving,
        # The official client sends files >= 500 MB as parts straight to the store, and fetches
        # presigned URLs for downloads, when the destination supports it (S3).
        "multipart_uploads_enabled": serving and multipart.multipart_uploads(destination),
        "multipart_downloads_enabled": serving and multipart.presigned_downloads(destination),
        "artifacts_presigned_only": False,
        "workspaces_enabled": False,
    }


@table.json("POST", f"{AJAX}/experiments/search-datasets", "Datasets used by experiments' runs (UI)",
            ("experiment_ids!:[str]",), mirror=False,
            permission=experiment(Level.READ, Source.EXPERIMENT_IDS))
def search_datasets(ctx: ServerContext, p: Params) -> dict[str, Any]:
    experiment_ids = p.str_list("experiment_ids")
    if not experiment_ids:
        raise InvalidArgument("SearchDatasets request must specify at least one experiment_id.")
    if len(experiment_ids) > MAX_EXPERIMENTS_PER_DATASET_SEARCH:
        raise InvalidArgument(
            f"SearchDatasets request cannot specify more than {MAX_EXPERIMENTS_PER_DATASET_SEARCH} "
            f"experiment_ids. Received {len(experiment_ids)} experiment_ids."
        )
    summaries = []
    for s in ctx.store.search_datasets(experiment_ids):
        item = {"experiment_id": s.experiment_id, "name": s.name, "digest": s.digest}
        if s.context:
            item["context"] = s.context
        summaries.append(item)
    return {"dataset_summaries": summaries} if summaries else {}


@table.raw("GET", "/api/openapi.json", "This OpenAPI document", mirror=False,
            permission=AUTHENTICATED)
async def openapi_json(ctx: ServerContext, request: Request) -> Response:
    from tracklog.server.openapi import openapi_document

    return json_response(openapi_document(ctx.settings.static_prefix))


@table.raw("GET", "/api/docs", "Rendered API documentation", mirror=False, produces="text/html",
            permission=AUTHENTICATED)
async def openapi_docs(ctx: ServerContext, request: Request) -> Response:
    from tracklog.server.openapi import openapi_document, render_html

    page = render_html(openapi_document(ctx.settings.static_prefix))
    return HTMLResponse(page, headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'",
    })
