"""Artifacts: run listings, the mlflow-artifacts proxy (PUT/GET/list/DELETE) and the UI routes.

Every client-supplied path goes through ``safe_relpath`` (inside ``ArtifactScope``)
before any storage call, including every member name of a bundle (many files in one
tar stream, ``tracklog.artifacts.bundle``). Uploads are streamed to ``write_stream_async`` chunk by
chunk; downloads are streamed from ``open_read`` with Range support.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from tracklog.artifacts.bundle import BUNDLE_MEDIA_TYPE, stream_bundle
from tracklog.auth.rules import Level, Source, experiment
from tracklog.exceptions import EndpointNotFound, InvalidArgument
from tracklog.server.artifact_access import ArtifactScope
from tracklog.server.context import ServerContext
from tracklog.server.file_response import content_disposition, download_response
from tracklog.server.request import Params, parse_json_body, read_params
from tracklog.server.responses import json_response
from tracklog.server.routes import _multipart as multipart
from tracklog.server.routing import AJAX, API, RouteTable

table = RouteTable("artifacts")

PROXY = "/api/2.0/mlflow-artifacts"
BUNDLE = "/api/2.0/tracklog/artifacts/bundle"


@table.json("GET", f"{API}/artifacts/list", "List a directory of a run's artifacts",
            ("run_id!", "run_uuid", "path", "page_token"),
            permission=experiment(Level.READ, Source.RUN_ID))
def list_run_artifacts(ctx: ServerContext, p: Params) -> dict[str, Any]:
    run = ctx.store.get_run(p.run_id())
    scope = ctx.artifacts.for_uri(run.info.artifact_uri)
    files = scope.list(p.opt_str("path"))
    out: dict[str, Any] = {"root_uri": run.info.artifact_uri}
    if files:
        out["files"] = [f.to_dict() for f in files]
    return out


@table.json("POST", f"{API}/artifacts/presigned-upload-url",
            "A presigned URL to upload one file into a run's artifacts (direct stores: S3, Azure with a key)",
            ("run_id!", "path!", "expiration:int"),
            permission=experiment(Level.EDIT, Source.RUN_ID))
def presigned_upload_url(ctx: ServerContext, p: Params) -> dict[str, Any]:
    if p.has("model_id"):
        raise InvalidArgument("Presigned uploads into logged models are not supported; pass run_id")
    uri = ctx.store.get_run(p.run_id()).info.artifact_uri
    return multipart.run_presigned_url(ctx.artifacts.for_uri(uri), uri, p, upload=True)


@table.json("POST", f"{API}/artifacts/presigned-download-url",
            "A presigned URL to download one file of a run's artifacts (direct stores: S3, Azure with a key)",
            ("run_id!", "path!", "expiration:int"),
            permission=experiment(Level.READ, Source.RUN_ID))
def presigned_download_url(ctx: ServerContext, p: Params) -> dict[str, Any]:
    uri = ctx.store.get_run(p.run_id()).info.artifact_uri
    return multipart.run_presigned_url(ctx.artifacts.for_uri(uri), uri, p, upload=False)


def _proxy(ctx: ServerContext) -> ArtifactScope:
    if not ctx.settings.serve_artifacts:
        raise EndpointNotFound(
            "The artifact proxy is disabled: the server runs with --no-serve-artifacts"
        )
    return ctx.artifacts.proxy()


async def _stream_body(request: Request) -> Any:
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except ClientDisconnect:
        raise InvalidArgument("The client closed the connection during the upload") from None


@table.raw("GET", f"{PROXY}/artifacts", "List a directory below the artifacts destination (basenames)",
           ("path",),
            permission=experiment(Level.READ, Source.ARTIFACT_PATH))
async def proxy_list(ctx: ServerContext, request: Request) -> Response:
    p = await read_params(request)
    scope = _proxy(ctx)
    files = await run_in_threadpool(scope.list, p.opt_str("path"))
    if not files:
        return json_response({})
    entries = []
    for info in files:
        entry = info.to_dict()
        entry["path"] = info.path.rsplit("/", 1)[-1]
        entries.append(entry)
    return json_response({"files": entries})


@table.raw("PUT", f"{PROXY}/artifacts/{{artifact_path:path}}", "Upload one file (raw body, streamed)",
           ("artifact_path!",), body="bytes",
            permission=experiment(Level.EDIT, Source.ARTIFACT_PATH))
async def proxy_upload(ctx: ServerContext, request: Request) -> Response:
    scope = _proxy(ctx)
    path = request.path_params["artifact_path"]
    scope.full_path(path)  # validate before reading any byte of the body
    await scope.write_stream(path, _stream_body(request))
    return json_response({})


@table.raw("POST", f"{BUNDLE}/{{artifact_path:path}}",
           "Upload many files into a directory in one request (Content-Type application/x-tar: an "
           "uncompressed tar stream, unpacked as it arrives; each member is written like one PUT). "
           "Answers the number of files written",
           ("artifact_path!",), body="bytes",
            permission=experiment(Level.EDIT, Source.ARTIFACT_PATH))
async def proxy_bundle(ctx: ServerContext, request: Request) -> Response:
    scope = _proxy(ctx)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != BUNDLE_MEDIA_TYPE:  # also what keeps cross-site form posts out (they need a preflight)
        raise InvalidArgument(f"Content-Type must be {BUNDLE_MEDIA_TYPE}")
    path = request.path_params["artifact_path"]
    scope.full_path(path)  # validate before reading any byte of the body
    written = await scope.write_bundle(path, _stream_body(request))
    return json_response({"files": written})


@table.raw("GET", f"{BUNDLE}/{{artifact_path:path}}",
           "Download a directory tree in one response (an uncompressed tar stream, generated as it is "
           "sent; empty for a missing directory)",
           ("artifact_path!",), produces=BUNDLE_MEDIA_TYPE,
            permission=experiment(Level.READ, Source.ARTIFACT_PATH))
async def proxy_bundle_download(ctx: ServerContext, request: Request) -> Response:
    scope = _proxy(ctx)
    path = request.path_params["artifact_path"]
    full = scope.full_path(path)  # checked before the response starts; the tree is listed while streaming
    name = (full.rsplit("/", 1)[-1] or "artifacts") + ".tar"
    entries = await run_in_threadpool(scope.tree_entries, path)
    return StreamingResponse(stream_bundle(entries), media_type=BUNDLE_MEDIA_TYPE,
                             headers={"Content-Disposition": content_disposition(name)})


@table.raw("GET", f"{PROXY}/artifacts/{{artifact_path:path}}", "Download one file (streamed, Range)",
           ("artifact_path!",), produces="application/octet-stream",
            permission=experiment(Level.READ, Source.ARTIFACT_PATH))
async def proxy_download(ctx: ServerContext, request: Request) -> Response:
    return await download_response(_proxy(ctx), request.path_params["artifact_path"], request)


@table.raw("DELETE", f"{PROXY}/artifacts/{{artifact_path:path}}", "Delete a file or a directory tree",
           ("artifact_path!",),
            permission=experiment(Level.MANAGE, Source.ARTIFACT_PATH))
async def proxy_delete(ctx: ServerContext, request: Request) -> Response:
    scope = _proxy(ctx)
    path = request.path_params["artifact_path"]
    if not scope.full_path(path):
        raise InvalidArgument("Invalid path: refusing to delete the artifacts root")
    await run_in_threadpool(scope.delete, path)
    return json_response({})


@table.raw("POST", f"{PROXY}/mpu/{{action}}/{{artifact_path:path}}",
           "Multipart upload into a directory (create / complete / abort; parts go straight to the store)",
           ("action!", "artifact_path!", "path!", "num_parts:int", "upload_id", "parts:[object]"),
            permission=experiment(Level.EDIT, Source.ARTIFACT_PATH))
async def proxy_multipart(ctx: ServerContext, request: Request) -> Response:
    action = request.path_params["action"]
    if action not in multipart.ACTIONS:
        raise EndpointNotFound(f"Unknown multipart action '{action}' (create, complete or abort)")
    scope = _proxy(ctx)
    p = Params(parse_json_body(await _read_small_body(request)))
    return json_response(await run_in_threadpool(
        multipart.handle, scope, action, request.path_params["artifact_path"], p))


@table.raw("GET", f"{PROXY}/presigned/{{artifact_path:path}}",
           "A presigned download URL of one file (stores that support them)",
           ("artifact_path!",),
            permission=experiment(Level.READ, Source.ARTIFACT_PATH))
async def proxy_presigned(ctx: ServerContext, request: Request) -> Response:
    scope = _proxy(ctx)
    return json_response(await run_in_threadpool(
        multipart.presigned_download, scope, request.path_params["artifact_path"]))


async def _read_small_body(request: Request) -> bytes:
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > multipart.MAX_BODY:
                raise InvalidArgument("Request body too large for a multipart-upload call")
    except ClientDisconnect:
        raise InvalidArgument("The client closed the connection while sending the body") from None
    return bytes(body)


@table.raw("GET", "/get-artifact", "Download one file of a run's artifacts (UI)",
           ("run_id!", "run_uuid", "path!"), mirror=False, produces="application/octet-stream",
            permission=experiment(Level.READ, Source.RUN_ID))
async def get_artifact(ctx: ServerContext, request: Request) -> Response:
    p = await read_params(request)
    run_id = p.run_id()
    path = p.req_str("path")
    run = await run_in_threadpool(ctx.store.get_run, run_id)
    return await download_response(ctx.artifacts.for_uri(run.info.artifact_uri), path, request)


@table.raw("POST", f"{AJAX}/upload-artifact", "Upload one file into a run's artifacts (UI, raw body)",
           ("run_uuid!", "run_id", "path!"), mirror=False, body="bytes",
            permission=experiment(Level.EDIT, Source.RUN_ID))
async def upload_artifact(ctx: ServerContext, request: Request) -> Response:
    query: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        query.setdefault(key, []).append(value)
    p = Params(query, from_query=True)
    run_id = p.run_id()
    path = p.req_str("path")
    run = await run_in_threadpool(ctx.store.get_run, run_id)
    scope = ctx.artifacts.for_uri(run.info.artifact_uri)
    scope.full_path(path)
    await scope.write_stream(path, _stream_body(request))
    return json_response({})
