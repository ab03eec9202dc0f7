"""``tracklog server``: run the tracking server (flags mirror ``mlflow server``).

The options are generated from ``tracklog.server.settings.SETTINGS``; each also
reads its ``TRACKLOG_*`` variable or MLflow's ``MLFLOW_*`` name.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tracklog.server.settings import SETTINGS, Setting, Settings

__all__ = ["server"]

WORKER_HEALTHCHECK_S = 60
# Idle keep-alive connections stay open longer than reverse proxies and load balancers keep
# theirs (nginx upstream keepalive 60 s, AWS ALB 60 s): otherwise the server closes one just as
# the proxy sends a request on it, and the proxy answers 502 (it does not resend a POST).
KEEP_ALIVE_S = 75


def _option(row: Setting) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    kwargs: dict[str, Any] = {"envvar": list(row.env), "help": row.help,
                              "show_default": row.default_doc.replace("`", "")}
    if row.bool_pair:
        return click.option(*row.flags, row.name, default=row.default, **kwargs)
    kind: Any = click.INT if row.type is int else click.STRING
    return click.option(*row.flags, row.name, type=kind, default=None, **kwargs)


def _with_settings_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for row in reversed(SETTINGS):
        func = _option(row)(func)
    return func


def _sweep_temp_files(destination: str) -> None:
    """Remove, in the background, day-old temp files that killed writers left in a local artifact store.

    Uploads write ``.tracklog-tmp-*`` files and rename them when complete; a server killed
    mid-upload leaves its temp file behind (never listed or served). Recent ones are kept: another
    server sharing the directory may be writing them.
    """
    if not destination.startswith("file:"):
        return

    def sweep() -> None:
        from tracklog.artifacts.local import LocalArtifactRepository

        try:
            removed = LocalArtifactRepository(destination).sweep_temp_files()
        except Exception:  # noqa: BLE001 - housekeeping must never stop the server
            logging.getLogger("tracklog.server").warning("Sweeping stale artifact temp files failed",
                                                         exc_info=True)
            return
        if removed:
            logging.getLogger("tracklog.server").warning(
                "Removed %d stale artifact temp file(s) left by interrupted uploads", removed)

    threading.Thread(target=sweep, name="tracklog-temp-sweep", daemon=True).start()


def _local_dir(uri: str) -> Path | None:
    if uri.startswith("sqlite:///"):
        path = uri[len("sqlite:///"):].split("?", 1)[0]
        return Path(path).parent if path and path != ":memory:" else None
    if uri.startswith("file://"):
        return Path(uri[len("file://"):])
    if "://" not in uri and ":" not in uri:
        return Path(uri)
    return None


@click.command("server")
@_with_settings_options
def server(**values: Any) -> None:
    """Run the tracking server (MLflow-compatible REST API, artifact proxy, API docs)."""
    import uvicorn

    started = time.monotonic()
    settings = Settings.from_values(values).resolved()
    from tracklog.server.observability.process import ProcessObservability

    # Before the app exists: validates --log-format/--metrics-port, shares metrics between workers.
    observability = ProcessObservability.setup(settings)
    assert settings.backend_store_uri is not None and settings.artifacts_destination is not None
    for uri in (settings.backend_store_uri, settings.artifacts_destination):
        directory = _local_dir(uri)
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    # Open the store once here: SQLite schemas are created/migrated before any worker starts.
    from tracklog.server.asgi import build_app

    try:
        app = build_app(settings)
        observability.start_metrics_port(app.state.context)
    except BaseException:
        observability.close()
        raise
    _sweep_temp_files(settings.artifacts_destination)
    os.environ.update(settings.to_env())
    host = settings.host
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown = "127.0.0.1"
    url = f"http://{shown}:{settings.port}{settings.static_prefix}"
    click.echo(f"tracklog server: store {settings.backend_store_uri}")
    where = f"proxied to {settings.artifacts_destination}" if settings.serve_artifacts else "direct mode"
    click.echo(f"tracklog server: artifacts {where}")
    click.echo(f"tracklog server: open {url}/  (API docs: {url}/api/docs)  "
               f"[ready in {time.monotonic() - started:.2f}s]")
    sys.stdout.flush()
    logs: dict[str, Any] = {"log_level": "warning", "log_config": observability.log_config, "access_log": False}
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        # uvicorn kills a worker that misses a 5 s ping; one still importing on a busy host would be
        # killed and restarted forever.
        logs["timeout_worker_healthcheck"] = WORKER_HEALTHCHECK_S
    try:
        if settings.workers > 1:
            uvicorn.run("tracklog.server.asgi:app_from_env", factory=True, host=host, port=settings.port,
                        workers=settings.workers, proxy_headers=False,
                        timeout_graceful_shutdown=settings.graceful_timeout,
                        timeout_keep_alive=KEEP_ALIVE_S, **logs)
        else:
            from tracklog.server.heap import freeze_startup_heap

            freeze_startup_heap()
            uvicorn.run(app, host=host, port=settings.port, proxy_headers=False,
                        timeout_graceful_shutdown=settings.graceful_timeout,
                        timeout_keep_alive=KEEP_ALIVE_S, **logs)
    finally:
        observability.close()
