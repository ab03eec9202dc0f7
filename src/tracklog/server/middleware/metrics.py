"""Request instrumentation, outermost: request id, Prometheus counters/latency, access log.

For each HTTP request:

* the request id (a sane incoming ``X-Request-ID``, else a new one) is set in a context
  variable for the request's log lines -- including the 500 error log of the front middleware,
  which runs inside this one -- and returned in the ``X-Request-ID`` response header;
* when the response is complete, its method, route *template*, status and duration are
  counted (``ServerMetrics.observe``) and, with ``--access-log``, logged on ``tracklog.access``;
* the app's ``ServerMetrics`` travels in ``scope["tracklog.metrics"]`` to the ``/metrics``
  route (``routes/operations.py``), so no module global is needed.

Cheap by design: one ``send`` wrapper, label children cached in ``ServerMetrics``, and the
route template found by a dict lookup (static paths, and a bounded cache of paths matched
once against the templates with parameters).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracklog.server.context import ServerContext
from tracklog.server.observability.logs import ACCESS_LOGGER
from tracklog.server.observability.metrics import ServerMetrics
from tracklog.server.observability.request_id import HEADER, REQUEST_ID, request_id_from

__all__ = ["METRICS_KEY", "InstrumentationMiddleware", "RouteTemplates"]

METRICS_KEY = "tracklog.metrics"
PRINCIPAL_KEY = "tracklog.principal"  # set by the authentication middleware (``middleware/auth.py``)
UNMATCHED = "<unmatched>"
_CACHE_SIZE = 4096
access_logger = logging.getLogger(ACCESS_LOGGER)


class RouteTemplates:
    """Maps a request path to the template of the route that serves it (bounded memory)."""

    def __init__(self, templates: Iterable[str], prefix: str = "") -> None:
        self.prefix = prefix
        ordered = list(dict.fromkeys(templates))
        self.static = {t for t in ordered if "{" not in t}
        self.dynamic = [(compile_path(t)[0], t) for t in ordered if "{" in t]
        self._cache: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        found = self._cache.get(path)
        if found is not None:
            return found
        found = self._match(path)
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        self._cache[path] = found
        return found

    def _match(self, path: str) -> str:
        if self.prefix:
            if path != self.prefix and not path.startswith(self.prefix + "/"):
                return UNMATCHED
            path = path[len(self.prefix):] or "/"
        if path in self.static:
            return path
        for regex, template in self.dynamic:
            if regex.match(path):
                return template
        return UNMATCHED

    @classmethod
    def of_app(cls, prefix: str) -> RouteTemplates:
        """The templates of every route-table endpoint and of the web UI, in routing order."""
        from tracklog.server.routing import all_routes
        from tracklog.server.ui import ui_routes

        api = [path for route in all_routes() for path in route.paths]
        ui = [str(getattr(route, "path", "")) for route in ui_routes()]
        return cls([*api, *(p for p in ui if p)], prefix)


class InstrumentationMiddleware:
    def __init__(self, app: ASGIApp, *, context: ServerContext) -> None:
        self.app = app
        self.metrics = ServerMetrics(context)
        self.templates = RouteTemplates.of_app(context.settings.static_prefix)
        self.access_log = bool(getattr(context.settings, "access_log", False))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope["headers"])
        token = REQUEST_ID.set(request_id)
        scope[METRICS_KEY] = self.metrics
        header = (HEADER, request_id.encode("ascii"))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = self.templates(scope["path"])
            self.metrics.observe(scope["method"], route, status, seconds)
            if self.access_log:
                self._log(scope, route, status, seconds, request_id)
            REQUEST_ID.reset(token)

    @staticmethod
    def _log(scope: Scope, route: str, status: int, seconds: float, request_id: str) -> None:
        principal = scope.get(PRINCIPAL_KEY)
        user = getattr(principal, "username", None)
        duration_ms = round(seconds * 1000, 3)
        fields = {"method": scope["method"], "route": route, "path": scope["path"], "status": status,
                  "duration_ms": duration_ms, "request_id": request_id}
        if user is not None:
            fields["user"] = user
        client = scope.get("client")
        if client:
            fields["client"] = client[0]
        access_logger.info("%s %s %d %.1fms%s", scope["method"], route, status, duration_ms,
                           f" user={user}" if user is not None else "", extra={"fields": fields})
