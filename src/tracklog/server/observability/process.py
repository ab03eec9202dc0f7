"""What ``tracklog server`` sets up around uvicorn for metrics and logs.

* ``PROMETHEUS_MULTIPROC_DIR``: unless the operator set it, a fresh temporary directory,
  created before any worker starts and removed when the server stops. Every worker (and a
  single-process server too) writes its samples there, so ``/metrics`` is the same whichever
  worker answers. An operator-provided directory is used as is (empty it before each start,
  as prometheus_client requires).
* the uvicorn ``log_config`` for ``--log-format`` and ``--access-log`` (``logs.logging_config``),
  applied by uvicorn in each worker process;
* ``--metrics-port``: prometheus_client's HTTP server on ``--host:<port>`` in the supervising
  process (a thread), reading the shared directory plus the store's numbers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any

from tracklog.exceptions import InvalidArgument
from tracklog.server.context import ServerContext
from tracklog.server.observability.logs import logging_config
from tracklog.server.settings import Settings

__all__ = ["ProcessObservability"]

ENV = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(slots=True)
class ProcessObservability:
    settings: Settings
    log_config: dict[str, Any]
    created_dir: str | None = None
    _metrics_server: Any = field(default=None)

    @classmethod
    def setup(cls, settings: Settings) -> ProcessObservability:
        """Validate the settings and prepare the metrics directory (call before building the app)."""
        try:
            config = logging_config(settings.log_format, settings.access_log)
        except ValueError as exc:
            raise InvalidArgument(str(exc)) from None
        port = settings.metrics_port
        if port is not None and (not 0 < port < 65536 or port == settings.port):
            raise InvalidArgument("--metrics-port must be a free port other than --port (1-65535)")
        created = None
        if not os.environ.get(ENV):
            created = tempfile.mkdtemp(prefix="tracklog-metrics-")
            os.environ[ENV] = created
        return cls(settings, config, created)

    def start_metrics_port(self, ctx: ServerContext) -> None:
        """Serve ``/metrics`` on ``--metrics-port`` (when set) from this process."""
        port = self.settings.metrics_port
        if port is None:
            return
        from prometheus_client import CollectorRegistry, start_http_server
        from prometheus_client.multiprocess import MultiProcessCollector

        from tracklog.server.observability.store_metrics import StoreCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(StoreCollector(ctx))
        self._metrics_server = start_http_server(port, addr=self.settings.host, registry=registry)

    def close(self) -> None:
        if self._metrics_server is not None:
            server = self._metrics_server[0] if isinstance(self._metrics_server, tuple) else None
            if server is not None:
                server.shutdown()
                server.server_close()
            self._metrics_server = None
        if self.created_dir is not None:
            shutil.rmtree(self.created_dir, ignore_errors=True)
            if os.environ.get(ENV) == self.created_dir:
                del os.environ[ENV]
            self.created_dir = None
