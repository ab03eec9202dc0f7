"""The route table: one declaration per endpoint registers it and documents it (OpenAPI).

Each routes module owns a ``RouteTable`` and declares its endpoints with
``@table.json(...)`` (a synchronous handler ``(ctx, params) -> dict`` run in the
thread pool, answered as JSON) or ``@table.raw(...)`` (an async handler
``(ctx, request) -> Response`` for streaming and non-JSON routes). ``build_routes``
turns every table into Starlette routes, mirroring ``/api/...`` paths under
``/ajax-api/...`` for the web UI; ``tracklog.server.openapi`` reads the same tables.
``static_table`` indexes the endpoints of paths without parameters for ``FastRouter``,
which dispatches them with one dict lookup instead of Starlette's linear regex scan.

Each declaration also names its access rule (``permission=``, see ``tracklog.auth.rules``).
With authentication on, every endpoint checks it before its handler runs and a route
without a rule is refused (deny by default); with authentication off it is not consulted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tracklog.auth.rules import Rule
from tracklog.server.context import ServerContext
from tracklog.server.handler_pool import HandlerPool
from tracklog.server.request import Params, read_params
from tracklog.server.responses import json_response

__all__ = ["API", "API_3", "AJAX", "ApiRoute", "FastRouter", "HandlerPool", "RouteTable", "build_routes",
           "endpoints", "field_spec", "static_table"]

API = "/api/2.0/mlflow"
API_3 = "/api/3.0/mlflow"
AJAX = "/ajax-api/2.0/mlflow"

JsonHandler = Callable[[ServerContext, Params], dict[str, Any]]
RawHandler = Callable[[ServerContext, Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class ApiRoute:
    method: str
    path: str  # full path, e.g. /api/2.0/mlflow/runs/get
    summary: str
    tag: str
    fields: tuple[str, ...] = ()  # "name", "name!" (required), "name:int", "name:[str]"...
    json_handler: JsonHandler | None = None
    raw_handler: RawHandler | None = None
    mirror: bool = True  # also serve /ajax-api/... for /api/... paths
    body: str = "json"  # request body kind for docs: json | bytes | none
    produces: str = "application/json"
    permission: Rule | None = None  # the access rule; None is refused when auth is on

    @property
    def paths(self) -> tuple[str, ...]:
        if self.mirror and self.path.startswith("/api/"):
            return (self.path, "/ajax-api/" + self.path[len("/api/"):])
        return (self.path,)


def field_spec(spec: str) -> tuple[str, str, bool]:
    """Parse ``"name!:type"`` into (name, type, required); the type defaults to str."""
    name, _, kind = spec.partition(":")
    required = name.endswith("!")
    return name.rstrip("!"), kind or "str", required


class RouteTable:
    """The endpoints of one resource module."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.routes: list[ApiRoute] = []

    def json(self, method: str, path: str, summary: str, fields: Iterable[str] = (), *,
             mirror: bool = True, permission: Rule | None = None) -> Callable[[JsonHandler], JsonHandler]:
        def register(handler: JsonHandler) -> JsonHandler:
            self.routes.append(ApiRoute(method, path, summary, self.tag, tuple(fields),
                                        json_handler=handler, mirror=mirror,
                                        body="none" if method == "GET" else "json", permission=permission))
            return handler

        return register

    def raw(self, method: str, path: str, summary: str, fields: Iterable[str] = (), *,
            mirror: bool = True, body: str = "none", produces: str = "application/json",
            permission: Rule | None = None) -> Callable[[RawHandler], RawHandler]:
        def register(handler: RawHandler) -> RawHandler:
            self.routes.append(ApiRoute(method, path, summary, self.tag, tuple(fields),
                                        raw_handler=handler, mirror=mirror, body=body, produces=produces,
                                        permission=permission))
            return handler

        return register


def _endpoint(route: ApiRoute, ctx: ServerContext, pool: HandlerPool) -> Callable[[Request], Awaitable[Response]]:
    if ctx.auth is not None:
        from tracklog.server.middleware.auth import guarded_endpoint

        return guarded_endpoint(route, ctx)
    if route.raw_handler is not None:
        raw = route.raw_handler

        async def raw_endpoint(request: Request) -> Response:
            return await raw(ctx, request)

        return raw_endpoint
    handler = route.json_handler
    assert handler is not None

    async def json_endpoint(request: Request) -> Response:
        params = await read_params(request)
        result = await pool.run(handler, ctx, params)
        return json_response(result)

    return json_endpoint


def all_routes() -> list[ApiRoute]:
    """Every declared endpoint, in registration order (the one source of truth)."""
    from tracklog.server.routes import TABLES

    return [route for table in TABLES for route in table.routes]


Endpoint = Callable[[Request], Awaitable[Response]]


def endpoints(ctx: ServerContext, pool: HandlerPool) -> dict[str, dict[str, Endpoint]]:
    """path -> method -> endpoint, for every declared route."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for route in all_routes():
        endpoint = _endpoint(route, ctx, pool)
        for path in route.paths:
            by_path.setdefault(path, {})[route.method] = endpoint
    return by_path


def build_routes(by_path: dict[str, dict[str, Endpoint]]) -> list[BaseRoute]:
    """Starlette routes for every endpoint (see ``endpoints``); several methods on one path share a Route."""
    out: list[BaseRoute] = []
    for path, methods in by_path.items():
        out.append(Route(path, _dispatch(methods), methods=list(methods)))
    return out


def _dispatch(methods: dict[str, Callable[[Request], Awaitable[Response]]]
              ) -> Callable[[Request], Awaitable[Response]]:
    if len(methods) == 1:
        return next(iter(methods.values()))

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await methods[method](request)

    return endpoint


def static_table(by_path: dict[str, dict[str, Endpoint]]) -> dict[str, dict[str, Endpoint]]:
    """The entries of ``endpoints`` whose path has no ``{parameters}``."""
    return {path: methods for path, methods in by_path.items() if "{" not in path}


class FastRouter:
    """Dispatch static paths with a dict lookup; anything else goes to ``fallback`` (Starlette's router).

    Paths with parameters, the web UI, unknown paths and wrong methods (404/405) are all
    left to the fallback, so their behaviour is Starlette's. Exceptions from an endpoint
    propagate to the front middleware's error envelope, as they would through Starlette.
    """

    def __init__(self, table: dict[str, dict[str, Endpoint]], fallback: ASGIApp) -> None:
        self.table = table
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            methods = self.table.get(scope["path"])
            if methods is not None:
                method = scope["method"]
                endpoint = methods.get("GET" if method == "HEAD" else method)
                if endpoint is not None:
                    scope["endpoint"] = endpoint
                    scope["path_params"] = {}
                    response = await endpoint(Request(scope, receive, send))
                    await response(scope, receive, send)
                    return
        await self.fallback(scope, receive, send)
