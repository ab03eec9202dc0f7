"""tracklog: a fast, safe, self-hosted experiment tracker that speaks MLflow's protocol.

``import tracklog as mlflow`` gives MLflow's fluent tracking API. Importing the
package is cheap: every name below is loaded on first use (PEP 562), so pandas,
SQLAlchemy, httpx and numpy are imported only when a feature needs them.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs more than the budget

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    # tracking URI
    "get_tracking_uri": "tracklog.client.uri",
    "set_tracking_uri": "tracklog.client.uri",
    "is_tracking_uri_set": "tracklog.client.uri",
    # clients and errors
    "TrackingClient": "tracklog.client.tracking",
    "MlflowClient": "tracklog.client.tracking",
    "ActiveRun": "tracklog.client._active",
    "TrackingError": "tracklog.exceptions",
    "MlflowException": "tracklog.exceptions",
    # reproducibility
    "log_environment": "tracklog.models.environment",
    # fluent API
    **{
        name: "tracklog.client.fluent"
        for name in (
            "active_run",
            "create_experiment",
            "delete_experiment",
            "delete_run",
            "delete_tag",
            "end_run",
            "flush",
            "get_artifact_uri",
            "get_experiment",
            "get_experiment_by_name",
            "get_parent_run",
            "get_run",
            "last_active_run",
            "log_artifact",
            "log_artifacts",
            "log_dict",
            "log_figure",
            "log_image",
            "log_input",
            "log_metric",
            "log_metrics",
            "log_param",
            "log_params",
            "log_text",
            "search_experiments",
            "search_runs",
            "set_experiment",
            "set_experiment_tag",
            "set_experiment_tags",
            "set_tag",
            "set_tags",
            "start_run",
        )
    },
}

# subpackages reachable as attributes (``tracklog.entities.Metric``) without an explicit import;
# "tracking" is MLflow's name for the client package (``mlflow.tracking.MlflowClient``)
_SUBMODULES = {
    "client": "tracklog.client",
    "naming": "tracklog.naming",
    "system_metrics": "tracklog.system_metrics",
    "entities": "tracklog.entities",
    "exceptions": "tracklog.exceptions",
    "tracking": "tracklog.client",
    # model flavors and autologging, as in ``mlflow.sklearn.log_model`` and ``mlflow.autolog()``
    "autolog": "tracklog.autolog",
    "models": "tracklog.models",
    "pyfunc": "tracklog.pyfunc",
    "sklearn": "tracklog.sklearn",
    "keras": "tracklog.keras",
    "tensorflow": "tracklog.tensorflow",
}

__all__ = [
    "ActiveRun",
    "MlflowClient",
    "MlflowException",
    "TrackingClient",
    "TrackingError",
    "active_run",
    "create_experiment",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_parent_run",
    "get_run",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "last_active_run",
    "log_environment",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

if TYPE_CHECKING:
    from typing import Any

    from tracklog.client._active import ActiveRun as ActiveRun
    from tracklog.client.fluent import (
        active_run as active_run,
    )
    from tracklog.client.fluent import (
        create_experiment as create_experiment,
    )
    from tracklog.client.fluent import (
        delete_experiment as delete_experiment,
    )
    from tracklog.client.fluent import (
        delete_run as delete_run,
    )
    from tracklog.client.fluent import (
        delete_tag as delete_tag,
    )
    from tracklog.client.fluent import (
        end_run as end_run,
    )
    from tracklog.client.fluent import (
        get_artifact_uri as get_artifact_uri,
    )
    from tracklog.client.fluent import (
        get_experiment as get_experiment,
    )
    from tracklog.client.fluent import (
        get_experiment_by_name as get_experiment_by_name,
    )
    from tracklog.client.fluent import (
        get_parent_run as get_parent_run,
    )
    from tracklog.client.fluent import (
        get_run as get_run,
    )
    from tracklog.client.fluent import (
        last_active_run as last_active_run,
    )
    from tracklog.client.fluent import (
        log_artifact as log_artifact,
    )
    from tracklog.client.fluent import (
        log_artifacts as log_artifacts,
    )
    from tracklog.client.fluent import (
        log_dict as log_dict,
    )
    from tracklog.client.fluent import (
        log_figure as log_figure,
    )
    from tracklog.client.fluent import (
        log_image as log_image,
    )
    from tracklog.client.fluent import (
        log_input as log_input,
    )
    from tracklog.client.fluent import (
        log_metric as log_metric,
    )
    from tracklog.client.fluent import (
        log_metrics as log_metrics,
    )
    from tracklog.client.fluent import (
        log_param as log_param,
    )
    from tracklog.client.fluent import (
        log_params as log_params,
    )
    from tracklog.client.fluent import (
        log_text as log_text,
    )
    from tracklog.client.fluent import (
        search_experiments as search_experiments,
    )
    from tracklog.client.fluent import (
        search_runs as search_runs,
    )
    from tracklog.client.fluent import (
        set_experiment as set_experiment,
    )
    from tracklog.client.fluent import (
        set_experiment_tag as set_experiment_tag,
    )
    from tracklog.client.fluent import (
        set_experiment_tags as set_experiment_tags,
    )
    from tracklog.client.fluent import (
        set_tag as set_tag,
    )
    from tracklog.client.fluent import (
        set_tags as set_tags,
    )
    from tracklog.client.fluent import (
        start_run as start_run,
    )
    from tracklog.client.tracking import MlflowClient as MlflowClient
    from tracklog.client.tracking import TrackingClient as TrackingClient
    from tracklog.client.uri import get_tracking_uri as get_tracking_uri
    from tracklog.client.uri import is_tracking_uri_set as is_tracking_uri_set
    from tracklog.client.uri import set_tracking_uri as set_tracking_uri
    from tracklog.exceptions import MlflowException as MlflowException
    from tracklog.exceptions import TrackingError as TrackingError
    from tracklog.models.environment import log_environment as log_environment

del TYPE_CHECKING


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None and name not in _SUBMODULES:
        raise AttributeError(f"module 'tracklog' has no attribute {name!r}")
    from importlib import import_module

    if module_name is not None:
        value = getattr(import_module(module_name), name)
        globals()[name] = value  # later lookups skip __getattr__
        return value
    return import_module(_SUBMODULES[name])


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES})
