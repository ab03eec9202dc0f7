"""OpenAPI 3 document and a self-contained HTML page, both generated from the route table."""

from __future__ import annotations

import html
import re
from typing import Any

from tracklog import __version__
from tracklog.server.routing import ApiRoute, all_routes, field_spec

__all__ = ["openapi_document", "render_html"]

_TAG = {"type": "object", "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
        "required": ["key"]}
_METRIC = {"type": "object", "required": ["key", "value", "timestamp"], "properties": {
    "key": {"type": "string"},
    "value": {"oneOf": [{"type": "number"}, {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}]},
    "timestamp": {"$ref": "#/components/schemas/Int64"},
    "step": {"$ref": "#/components/schemas/Int64"},
}}
_TYPES: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"$ref": "#/components/schemas/Int64"},
    "number": _METRIC["properties"]["value"],  # type: ignore[index]
    "bool": {"type": "boolean"},
    "enum": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    "object": {"type": "object"},
    "tag": _TAG,
    "metric": _METRIC,
}
_PATH_PARAM = re.compile(r"\{([a-z_]+)(?::path)?\}")


def _schema(kind: str) -> dict[str, Any]:
    if kind.startswith("[") and kind.endswith("]"):
        return {"type": "array", "items": _schema(kind[1:-1])}
    return dict(_TYPES.get(kind, {"type": "string"}))


def _operation(route: ApiRoute) -> dict[str, Any]:
    path_names = set(_PATH_PARAM.findall(route.path))
    parameters: list[dict[str, Any]] = []
    body_props: dict[str, Any] = {}
    required: list[str] = []
    for spec in route.fields:
        name, kind, is_required = field_spec(spec)
        if name in path_names:
            parameters.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
        elif route.method in ("GET", "DELETE") or route.body == "bytes":
            parameters.append({"name": name, "in": "query", "required": is_required,
                               "schema": _schema(kind), **({"explode": True} if kind.startswith("[") else {})})
        else:
            body_props[name] = _schema(kind)
            if is_required:
                required.append(name)
    for name in sorted(path_names - {p["name"] for p in parameters}):
        parameters.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    op: dict[str, Any] = {
        "summary": route.summary,
        "operationId": f"{route.method.lower()}_{re.sub(r'[^a-zA-Z0-9]+', '_', route.path).strip('_')}",
        "tags": [route.tag],
        "responses": {
            "200": _success(route.produces),
            "default": {"description": "Error", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        },
    }
    if parameters:
        op["parameters"] = parameters
    if route.body == "bytes":
        op["requestBody"] = {"content": {"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}}}
    elif body_props:
        schema: dict[str, Any] = {"type": "object", "properties": body_props}
        if required:
            schema["required"] = required
        media = "application/x-www-form-urlencoded" if route.body == "form" else "application/json"
        op["requestBody"] = {"required": bool(required), "content": {media: {"schema": schema}}}
    return op


def _success(produces: str) -> dict[str, Any]:
    if produces == "application/json":
        schema: dict[str, Any] = {"type": "object"}
    else:
        schema = {"type": "string"} if produces.startswith("text/") else {"type": "string", "format": "binary"}
    return {"description": "Success", "content": {produces: {"schema": schema}}}


def openapi_document(prefix: str = "") -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in all_routes():
        template = _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", route.path)
        paths.setdefault(prefix + template, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "tracklog tracking server",
            "version": __version__,
            "description": "MLflow-compatible tracking REST API. Every /api/ path is also served "
                           "under /ajax-api/.",
        },
        "paths": paths,
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error_code", "message"], "properties": {
                "error_code": {"type": "string"}, "message": {"type": "string"}}},
            "Int64": {"oneOf": [{"type": "integer", "format": "int64"}, {"type": "string", "pattern": "^-?[0-9]+$"}]},
        }},
    }


def render_html(doc: dict[str, Any]) -> str:
    """A plain page listing every operation and its parameters (no scripts, no CDN)."""
    e = html.escape
    rows: list[str] = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            params = [p["name"] + ("*" if p.get("required") else "") for p in op.get("parameters", [])]
            body = op.get("requestBody", {}).get("content", {})
            for media in body.values():
                props = media.get("schema", {}).get("properties", {})
                req = set(media.get("schema", {}).get("required", []))
                params += [n + ("*" if n in req else "") for n in props]
            rows.append(
                f"<tr><td class=m>{e(method.upper())}</td><td><code>{e(path)}</code></td>"
                f"<td>{e(op['summary'])}</td><td>{e(', '.join(params))}</td></tr>"
            )
    info = doc["info"]
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>{e(info['title'])} API</title><style>"
        "body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}"
        ".m{font-weight:bold}</style></head><body>"
        f"<h1>{e(info['title'])} {e(info['version'])}</h1><p>{e(info['description'])} "
        "Parameters marked * are required. Machine-readable: <a href=openapi.json>openapi.json</a>.</p>"
        "<table><tr><th>Method</th><th>Path</th><th>Summary</th><th>Parameters</th></tr>"
        + "".join(rows) + "</table></body></html>"
    )
