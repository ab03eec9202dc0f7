"""The app factory: ``create_app(settings, store, artifact_repo)`` returns the ASGI app.

No module globals carry state: the store, the artifact repository and the
settings travel in a ``ServerContext`` closed over by the route endpoints.
Middleware, outermost first: the front middleware (security headers, error envelope,
Host allowlist, cross-origin protection and -- without ``--auth`` -- the JSON body
rules, in one pass: ``middleware/front.py``) -> [authentication, then the JSON body
rules, with ``--auth``] -> ``FastRouter`` (static API paths by dict lookup) -> Starlette's
router (paths with parameters, the web UI, 404/405).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp

from tracklog.artifacts.base import ArtifactRepository
from tracklog.auth.policy import UI_RULE, RouteRules
from tracklog.auth.rules import Rule
from tracklog.auth.service import AuthService
from tracklog.exceptions import InvalidArgument
from tracklog.server.artifact_access import ArtifactAccess
from tracklog.server.context import ServerContext
from tracklog.server.errors import error_response
from tracklog.server.middleware.auth import AuthMiddleware
from tracklog.server.middleware.front import FrontMiddleware
from tracklog.server.middleware.json_body import JsonBodyMiddleware, JsonBodyRules
from tracklog.server.middleware.metrics import InstrumentationMiddleware
from tracklog.server.routing import (
    AJAX,
    Endpoint,
    FastRouter,
    HandlerPool,
    all_routes,
    build_routes,
    endpoints,
    static_table,
)
from tracklog.server.settings import Settings
from tracklog.server.ui import ui_routes
from tracklog.store.base import TrackingStore
from tracklog.store.sql.auth_store import AuthStore

__all__ = ["create_app"]

logger = logging.getLogger("tracklog.server")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Threads for the synchronous handlers: the SQL engine's pool_size + max_overflow (store/sql/engine.py).
HANDLER_THREADS = 15

RAW_BODY_PATHS = (
    "/api/2.0/mlflow-artifacts/artifacts/",
    "/ajax-api/2.0/mlflow-artifacts/artifacts/",
    f"{AJAX}/upload-artifact",
    # bundles: Content-Type application/x-tar is required by the route (not a CORS-safelisted
    # type, so a cross-site page cannot post one without a preflight)
    "/api/2.0/tracklog/artifacts/bundle/",
    "/ajax-api/2.0/tracklog/artifacts/bundle/",
    "/signin",  # the sign-in page's HTML form (urlencoded; see routes/sessions.py)
)


def _default_factory(uri: str) -> ArtifactRepository:
    from tracklog.artifacts.registry import get_repository

    return get_repository(uri)


async def _http_error(request: Request, exc: Exception) -> Response:
    return error_response(exc)


def _allowed_hosts(settings: Settings) -> tuple[str, ...]:
    """The configured hosts plus the address the server is bound to (unless it is a wildcard)."""
    if settings.host and settings.host not in ("0.0.0.0", "::", ""):
        return (*settings.allowed_hosts, settings.host)
    return settings.allowed_hosts


class TracklogApp(Starlette):
    """Starlette with a lean stack: ``user_middleware`` -> ``FastRouter`` -> [exceptions -> router].

    Starlette's own outer ``ServerErrorMiddleware`` is left out (the front middleware renders
    every error), and its ``ExceptionMiddleware`` (404/405 and ``HTTPException``) wraps only
    the fallback router, so the common requests pass through no ``send`` wrapper but the front's.
    """

    fast_paths: dict[str, dict[str, Endpoint]] = {}

    def build_middleware_stack(self) -> ASGIApp:
        handlers = {key: value for key, value in self.exception_handlers.items() if key not in (500, Exception)}
        app: ASGIApp = ExceptionMiddleware(self.router, handlers=handlers, debug=self.debug)
        if self.fast_paths:
            app = FastRouter(self.fast_paths, app)
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return app


def create_app(
    settings: Settings,
    store: TrackingStore,
    artifact_repo: ArtifactRepository,
    *,
    repository_factory: Callable[[str], ArtifactRepository] | None = None,
) -> TracklogApp:
    """Build the tracking server for ``store``; ``artifact_repo`` is the artifacts destination."""
    settings = settings.resolved() if settings.backend_store_uri is None else settings
    auth = _auth_service(settings) if settings.auth else None
    if auth is None and settings.host not in _LOOPBACK:
        logger.warning("tracklog server: authentication is OFF and the server listens on %s: anyone who "
                       "can reach it can read and change everything (start it with --auth)", settings.host)
    ctx = ServerContext(settings, store, ArtifactAccess(artifact_repo, repository_factory or _default_factory),
                        auth)
    prefix = settings.static_prefix
    by_path = endpoints(ctx, HandlerPool(HANDLER_THREADS))
    routes: list[BaseRoute] = build_routes(by_path) + ui_routes()  # the web UI last, after the API
    if prefix:
        routes = [Mount(prefix, routes=routes)]
    json_rules = JsonBodyRules(settings.max_json_body_bytes, tuple(prefix + p for p in RAW_BODY_PATHS))
    middleware = [
        Middleware(InstrumentationMiddleware, context=ctx),  # outermost: request id, metrics
        Middleware(FrontMiddleware, allowed_hosts=_allowed_hosts(settings), exempt_paths=(f"{prefix}/health",),
                   allowed_origins=settings.cors_allowed_origins, json_rules=None if auth else json_rules),
    ]
    if auth is not None:
        # Authentication answers before the body rules do (401 before 400/413).
        middleware.append(Middleware(AuthMiddleware, service=auth, rules=_route_rules(prefix)))
        middleware.append(Middleware(JsonBodyMiddleware, max_bytes=json_rules.max_bytes,
                                     raw_prefixes=json_rules.raw_prefixes))
    app = TracklogApp(routes=routes, middleware=middleware, exception_handlers={HTTPException: _http_error})
    if not prefix:  # under --static-prefix everything goes through the Mount
        app.fast_paths = static_table(by_path)
    app.state.context = ctx
    return app


def _auth_service(settings: Settings) -> AuthService:
    """The authentication service on the tracking database; the first admin comes from the env."""
    from tracklog.auth.rules import Level
    from tracklog.auth.service import AuthConfig

    assert settings.backend_store_uri is not None
    try:
        default = Level.parse(settings.auth_default_permission)
    except ValueError as exc:
        raise InvalidArgument(f"--auth-default-permission: {exc}") from None
    if settings.auth_session_hours < 1:
        raise InvalidArgument("--auth-session-hours must be at least 1")
    config = AuthConfig(default, settings.auth_proxy_header or None, settings.auth_trusted_proxies,
                        session_lifetime=settings.auth_session_hours * 3600.0,
                        secure_cookies=settings.auth_secure_cookies)
    service = AuthService(AuthStore(settings.backend_store_uri), config)
    username = os.environ.get("TRACKLOG_ADMIN_USERNAME", "").strip()
    password = os.environ.get("TRACKLOG_ADMIN_PASSWORD", "")
    if username and password and service.ensure_admin(username, password):
        logger.warning("tracklog server: created the administrator %r (TRACKLOG_ADMIN_USERNAME)", username)
    if service.store.count_admins() == 0:
        logger.warning("tracklog server: --auth is on but no administrator exists; set TRACKLOG_ADMIN_USERNAME "
                       "and TRACKLOG_ADMIN_PASSWORD or run 'tracklog users create --admin NAME'")
    if settings.auth_proxy_header and not settings.auth_trusted_proxies:
        logger.warning("tracklog server: --auth-proxy-header is ignored without --auth-trusted-proxies")
    return service


def _route_rules(prefix: str) -> RouteRules:
    declared: list[tuple[str, str, Rule | None]] = [
        (route.method, path, route.permission) for route in all_routes() for path in route.paths
    ]
    ui: list[tuple[str, str, Rule | None]] = [("GET", "/", UI_RULE), ("GET", "/{path:path}", UI_RULE)]
    return RouteRules(declared + ui, prefix)
