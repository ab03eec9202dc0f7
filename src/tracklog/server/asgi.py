"""Import-string entry point for uvicorn workers: settings come from ``TRACKLOG_*`` env vars.

``uvicorn tracklog.server.asgi:app_from_env --factory`` builds the store, the
artifacts-destination repository and the app in each worker process.
"""

from __future__ import annotations

from starlette.applications import Starlette

from tracklog.server.settings import Settings

__all__ = ["app_from_env", "build_app"]


def build_app(settings: Settings) -> Starlette:
    """Open the store and the artifacts destination named by ``settings`` and build the app."""
    from tracklog.artifacts.registry import get_repository
    from tracklog.server.app import create_app
    from tracklog.store.registry import get_store

    settings = settings.resolved()
    assert settings.backend_store_uri is not None and settings.artifacts_destination is not None
    store = get_store(settings.backend_store_uri, settings.default_artifact_root)
    destination = get_repository(settings.artifacts_destination)
    return create_app(settings, store, destination)


def app_from_env() -> Starlette:
    from tracklog.server.heap import freeze_startup_heap

    app = build_app(Settings.from_env())
    freeze_startup_heap()  # this is a uvicorn worker process: its start-up heap is built
    return app
