"""The app factory: ``create_app(settings, store, artifact_repo)`` returns the ASGI app.

No module globals carry state: the store, the artifact repository and the
settings travel in a ``ServerContext`` closed over by the route endpoints.
Middleware, outermost first: security headers -> error envelope -> Host allowlist
-> cross-origin protection -> JSON body rules -> router.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from tracklog.artifacts.base import ArtifactRepository
from tracklog.server.artifact_access import ArtifactAccess
from tracklog.server.context import ServerContext
from tracklog.server.errors import error_response
from tracklog.server.middleware.errors import ErrorEnvelopeMiddleware
from tracklog.server.middleware.json_body import JsonBodyMiddleware
from tracklog.server.middleware.origin import OriginMiddleware
from tracklog.server.middleware.security_headers import SecurityHeadersMiddleware
from tracklog.server.middleware.trusted_host import TrustedHostMiddleware
from tracklog.server.routing import AJAX, build_routes
from tracklog.server.settings import Settings
from tracklog.server.ui import ui_routes
from tracklog.store.base import TrackingStore

__all__ = ["create_app"]

RAW_BODY_PATHS = (
    "/api/2.0/mlflow-artifacts/artifacts/",
    "/ajax-api/2.0/mlflow-artifacts/artifacts/",
    f"{AJAX}/upload-artifact",
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


def create_app(
    settings: Settings,
    store: TrackingStore,
    artifact_repo: ArtifactRepository,
    *,
    repository_factory: Callable[[str], ArtifactRepository] | None = None,
) -> Starlette:
    """Build the tracking server for ``store``; ``artifact_repo`` is the artifacts destination."""
    settings = settings.resolved() if settings.backend_store_uri is None else settings
    ctx = ServerContext(settings, store, ArtifactAccess(artifact_repo, repository_factory or _default_factory))
    prefix = settings.static_prefix
    routes: list[BaseRoute] = build_routes(ctx) + ui_routes()  # the web UI last, after the API
    if prefix:
        routes = [Mount(prefix, routes=routes)]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(ErrorEnvelopeMiddleware),
        Middleware(TrustedHostMiddleware, allowed_hosts=_allowed_hosts(settings),
                   exempt_paths=(f"{prefix}/health",)),
        Middleware(OriginMiddleware, allowed_origins=settings.cors_allowed_origins),
        Middleware(JsonBodyMiddleware, max_bytes=settings.max_json_body_bytes,
                   raw_prefixes=tuple(prefix + p for p in RAW_BODY_PATHS)),
    ]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: _http_error})
    app.state.context = ctx
    return app
