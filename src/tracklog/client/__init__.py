"""The Python client: tracking URI rules, ``TrackingClient`` and the fluent API.

``tracklog.tracking`` is an alias of this package, so MLflow code spelling
``mlflow.tracking.MlflowClient`` works after ``import tracklog as mlflow``.
"""

from __future__ import annotations

__all__ = ["MlflowClient", "TrackingClient"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from tracklog.client import tracking

        return getattr(tracking, name)
    raise AttributeError(f"module 'tracklog.client' has no attribute {name!r}")
