"""Operations routes: ``GET /metrics`` (Prometheus exposition).

With ``--auth`` only administrators may read it (the route table's ``ADMIN`` rule, enforced
by the authentication middleware like every other route). With ``--metrics-port`` the
metrics are served on that port instead (``observability.process``) and this route answers
404. The ``ServerMetrics`` object comes from the instrumentation middleware
(``scope["tracklog.metrics"]``).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tracklog.auth.rules import ADMIN
from tracklog.exceptions import NotFound
from tracklog.server.context import ServerContext
from tracklog.server.routing import RouteTable

table = RouteTable("operations")

METRICS_KEY = "tracklog.metrics"  # see tracklog.server.middleware.metrics


@table.raw("GET", "/metrics", "Prometheus metrics (requests, latency, runs, artifact bytes, DB pool)",
           mirror=False, produces="text/plain", permission=ADMIN)
async def metrics(ctx: ServerContext, request: Request) -> Response:
    server_metrics = request.scope.get(METRICS_KEY)
    if server_metrics is None or getattr(ctx.settings, "metrics_port", None):
        raise NotFound("Metrics are not served on this port" if server_metrics is not None
                       else "Metrics are not enabled")
    body, content_type = await run_in_threadpool(server_metrics.render, request.headers.get("accept"))
    return Response(body, media_type=content_type)
