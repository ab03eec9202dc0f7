"""The fluent API: ``import tracklog as mlflow`` and log to "the active run".

An active experiment (set with ``set_experiment``) and a per-thread stack of
active runs (``start_run``) are the only state. Logging calls with no active
run start one, as in MLflow. With an embedded or SQL store every call is
synchronous. With a tracking server, params, metrics and tags are queued in this
process's durable spool and delivered in the background (``synchronous=True`` or
``TRACKLOG_ASYNC_LOGGING=false`` to wait for the server); ``flush()`` waits for them,
and every read waits for the writes before it. See ``tracklog.client.spool``.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from tracklog.client import _active
from tracklog.client._active import ActiveRun
from tracklog.client.context import NOTE_CONTENT, PARENT_RUN_ID, RUN_NAME, context_tags
from tracklog.client.tracking import TrackingClient, _metric_value, join_artifact_uri, now_ms
from tracklog.entities import (
    DEFAULT_EXPERIMENT_ID,
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LifecycleStage,
    LoggedModelInput,
    Metric,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from tracklog.exceptions import AlreadyExists, InvalidArgument, MissingExtra, TrackingError

if TYPE_CHECKING:
    import pandas as pd

    from tracklog.system_metrics import SystemMetricsMonitor

__all__ = [
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
]

EXPERIMENT_NAME_ENV_VARS = ("TRACKLOG_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_NAME")
EXPERIMENT_ID_ENV_VARS = ("TRACKLOG_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_ID")
RUN_ID_ENV_VARS = ("TRACKLOG_RUN_ID", "MLFLOW_RUN_ID")
SYSTEM_METRICS_ENV_VARS = ("TRACKLOG_ENABLE_SYSTEM_METRICS_LOGGING", "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING")
LOG_ENVIRONMENT_ENV_VARS = ("TRACKLOG_LOG_ENVIRONMENT",)
SYSTEM_METRICS_INTERVAL_ENV_VARS = (
    "TRACKLOG_SYSTEM_METRICS_SAMPLING_INTERVAL",
    "MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL",
)
DATA_CONTEXT_TAG = "mlflow.data.context"
SEARCH_RUNS_MAX_DEFAULT = 100000

_experiment_lock = threading.Lock()
# (tracking URI, experiment id): an active experiment only applies to the store it was set on.
_active_experiment: tuple[str, str] | None = None


def _client() -> TrackingClient:
    return TrackingClient()


def _env(names: Sequence[str]) -> str | None:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


# -- experiments ---------------------------------------------------------------------
def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Make an experiment active, by name (created if missing) or by id; return it."""
    global _active_experiment
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidArgument("set_experiment needs exactly one of experiment_name or experiment_id")
    client = _client()
    if experiment_id is not None:
        experiment = client.get_experiment(str(experiment_id))
    else:
        assert experiment_name is not None
        experiment = _get_or_create_experiment_or_offline(client, experiment_name)
    if experiment.lifecycle_stage == LifecycleStage.DELETED:
        raise InvalidArgument(
            f"Cannot set a deleted experiment {experiment.name!r} as the active experiment. "
            "Restore it (tracklog experiments restore) or use another name."
        )
    with _experiment_lock:
        _active_experiment = (client.tracking_uri, experiment.experiment_id)
    return experiment


def _get_or_create_experiment(client: TrackingClient, name: str) -> Experiment:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment
    try:
        return client.get_experiment(client.create_experiment(name))
    except AlreadyExists:  # another process created it between our read and our create
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise
        return experiment


def _get_or_create_experiment_or_offline(client: TrackingClient, name: str) -> Experiment:
    """As ``_get_or_create_experiment``; with the server unreachable (and offline mode on), a stand-in."""
    from tracklog.client.spool.offline import offline_allowed

    if not client.tracking_uri.lower().startswith(("http://", "https://")) or not offline_allowed():
        return _get_or_create_experiment(client, name)
    from tracklog.client.spool.offline import offline_experiment, probe_store, unreachable
    from tracklog.exceptions import TemporarilyUnavailable

    probing = TrackingClient(client.tracking_uri)
    probing._store = probe_store(client.tracking_uri)  # give up quickly when the server is away
    try:
        return _get_or_create_experiment(probing, name)
    except TemporarilyUnavailable as exc:
        if not unreachable(exc):
            return _get_or_create_experiment(client, name)  # busy, not away: the usual retries
        warnings.warn(
            f"tracklog: the tracking server {client.tracking_uri} cannot be reached; experiment {name!r} "
            "is used offline (its runs are created on the server when it is back, or by 'tracklog sync').",
            stacklevel=3,
        )
        return offline_experiment(name)


def _active_experiment_id(client: TrackingClient) -> str:
    current = _active_experiment
    if current is not None and current[0] == client.tracking_uri:
        return current[1]
    env_id = _env(EXPERIMENT_ID_ENV_VARS)
    if env_id is not None:
        return env_id
    env_name = _env(EXPERIMENT_NAME_ENV_VARS)
    if env_name is not None:
        return _get_or_create_experiment_or_offline(client, env_name).experiment_id
    return DEFAULT_EXPERIMENT_ID


def create_experiment(name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None) -> str:
    return _client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    return _client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return _client().get_experiment_by_name(name)


def delete_experiment(experiment_id: str) -> None:
    _client().delete_experiment(experiment_id)


def set_experiment_tag(key: str, value: Any) -> None:
    client = _client()
    client.set_experiment_tag(_active_experiment_id(client), key, value)


def set_experiment_tags(tags: Mapping[str, Any]) -> None:
    client = _client()
    experiment_id = _active_experiment_id(client)
    for key, value in tags.items():
        client.set_experiment_tag(experiment_id, key, value)


def search_experiments(
    view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """Matching experiments (all of them when ``max_results`` is None), across pages."""
    found: list[Experiment] = []
    for experiment in _client().iter_experiments(view_type, filter_string, order_by):
        if max_results is not None and len(found) >= max_results:
            break
        found.append(experiment)
    return found


# -- runs ----------------------------------------------------------------------------
def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
    log_environment: bool | None = None,
) -> ActiveRun:
    """Start a new run (or resume ``run_id``) and make it the active run.

    ``log_system_metrics`` samples CPU/memory/disk/network (and GPUs) into
    ``system/...`` metrics; ``log_environment`` saves the interpreter's pinned
    requirements as ``environment/requirements.txt``. Both default to their
    environment variables (``TRACKLOG_ENABLE_SYSTEM_METRICS_LOGGING``,
    ``TRACKLOG_LOG_ENVIRONMENT``; MLflow's names are accepted for the first).

    Use it as a context manager: leaving the block ends the run FINISHED, or
    FAILED if an exception escapes (the exception propagates)."""
    parent = _active.top()
    if parent is not None and not nested:
        raise TrackingError(
            f"Run with UUID {parent.info.run_id} is already active. To start a new run, first end "
            "the current run with tracklog.end_run(). To start a nested run, call start_run with "
            "nested=True."
        )
    if parent_run_id is not None and parent is not None and parent.info.run_id != parent_run_id:
        raise InvalidArgument(f"parent_run_id {parent_run_id} is not the active run {parent.info.run_id}")
    client = _client()
    existing_id = run_id or _env(RUN_ID_ENV_VARS)
    user_tags = {k: str(v) for k, v in (tags or {}).items()}
    if description is not None:
        if NOTE_CONTENT in user_tags:
            raise InvalidArgument(f"give the description either as description= or as the {NOTE_CONTENT} tag")
        user_tags[NOTE_CONTENT] = description
    parent_id = parent_run_id or (parent.info.run_id if parent is not None and nested else None)
    if existing_id:
        run = _resume_run(client, existing_id, experiment_id, run_name, user_tags, parent_id)
    else:
        all_tags = context_tags()
        if parent_id:
            all_tags[PARENT_RUN_ID] = parent_id
        all_tags.update(user_tags)
        if run_name is not None:
            all_tags[RUN_NAME] = run_name
        exp_id = str(experiment_id) if experiment_id is not None else _active_experiment_id(client)
        run = client.create_run(exp_id, tags=all_tags, run_name=run_name)
    active = ActiveRun(run, client)
    if _switch(log_system_metrics, SYSTEM_METRICS_ENV_VARS):
        active.monitor = _start_system_metrics(run.info.run_id, client)
    _active.push(active)
    if not existing_id and _switch(log_environment, LOG_ENVIRONMENT_ENV_VARS):
        _log_environment(run.info.run_id)
    return active


def _switch(flag: bool | None, env_vars: tuple[str, ...]) -> bool:
    if flag is not None:
        return flag
    return (_env(env_vars) or "").lower() in ("1", "true", "yes")


def _log_environment(run_id: str) -> None:
    """Save the interpreter's requirements into the run; never fails the run over it."""
    from tracklog.models.environment import log_environment

    try:
        log_environment(run_id)
    except Exception as exc:  # noqa: BLE001 - capture is best effort, training goes on
        warnings.warn(f"tracklog: could not log the environment: {exc}", stacklevel=3)


def _start_system_metrics(run_id: str, client: TrackingClient) -> SystemMetricsMonitor | None:
    """Sample system metrics into the run; a missing ``psutil`` only warns (as in MLflow)."""
    from tracklog.system_metrics import attach

    interval = float(_env(SYSTEM_METRICS_INTERVAL_ENV_VARS) or 10.0)
    try:
        return attach(run_id, client, interval_s=interval)
    except MissingExtra as exc:
        warnings.warn(f"not logging system metrics: {exc.message}", stacklevel=3)
        return None


def _resume_run(
    client: TrackingClient,
    run_id: str,
    experiment_id: str | None,
    run_name: str | None,
    tags: dict[str, str],
    parent_id: str | None,
) -> Run:
    run = client.get_run(run_id)
    if run.info.lifecycle_stage == LifecycleStage.DELETED:
        raise InvalidArgument(f"Cannot start run with ID {run_id} because it is in the deleted state.")
    if experiment_id is not None and str(experiment_id) != run.info.experiment_id:
        raise InvalidArgument(
            f"Cannot resume run {run_id} in experiment {experiment_id}: it belongs to "
            f"experiment {run.info.experiment_id}."
        )
    if parent_id:
        tags[PARENT_RUN_ID] = parent_id
    if tags:
        client.log_batch(run_id, tags=[RunTag(k, v) for k, v in tags.items()])
    client.update_run(run_id, RunStatus.RUNNING, name=run_name)
    return client.get_run(run_id)


def end_run(status: RunStatus | str = RunStatus.FINISHED) -> None:
    """End the innermost active run of this thread (nothing happens if there is none)."""
    _active.end_top(RunStatus.parse(status))


def flush(timeout: float | None = None) -> None:
    """Wait until every write queued by this process has reached its tracking server.

    Waits at most ``timeout`` seconds (``TRACKLOG_FLUSH_TIMEOUT``, default 60); raises
    ``TemporarilyUnavailable`` naming what is still pending (it stays in the spool), and
    the server's error for any write it refused. Nothing to do with an embedded store."""
    from tracklog.client.spool import flush as flush_spools

    flush_spools(timeout)


def active_run() -> ActiveRun | None:
    """The innermost active run of this thread, or None."""
    return _active.top()


def last_active_run() -> Run | None:
    """The active run if there is one, else the most recently ended one (fresh from the store)."""
    current = _active.top()
    if current is not None:
        return current.client.get_run(current.info.run_id)
    run_id = _active.last_run_id()
    if run_id is None:
        return None
    client = _active.last_client() or _client()
    return client.get_run(run_id)


def _run_target(run_id: str | None = None) -> tuple[TrackingClient, str]:
    """The client and run id that a logging call writes to (starting a run if needed)."""
    if run_id is not None:
        current = _active.top()
        client = current.client if current is not None and current.info.run_id == run_id else _client()
        return client, run_id
    current = _active.top() or start_run()
    return current.client, current.info.run_id


def get_run(run_id: str) -> Run:
    return _client().get_run(run_id)


def get_parent_run(run_id: str) -> Run | None:
    return _client().get_parent_run(run_id)


def delete_run(run_id: str) -> None:
    _client().delete_run(run_id)


# -- params, metrics, tags -------------------------------------------------------------
def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    client, run_id = _run_target()
    return client.log_param(run_id, key, value, synchronous=synchronous)


def log_params(params: Mapping[str, Any], synchronous: bool | None = None, run_id: str | None = None) -> None:
    client, target = _run_target(run_id)
    client.log_batch(target, params=[Param(k, str(v)) for k, v in params.items()], synchronous=synchronous)


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    client, target = _run_target(run_id)
    client.log_metric(target, key, value, timestamp=timestamp, step=step, synchronous=synchronous)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
) -> None:
    client, target = _run_target(run_id)
    ts = now_ms() if timestamp is None else int(timestamp)
    points = [Metric(k, _metric_value(k, v), ts, int(step or 0)) for k, v in metrics.items()]
    client.log_batch(target, metrics=points, synchronous=synchronous)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    client, run_id = _run_target()
    client.set_tag(run_id, key, value, synchronous=synchronous)


def set_tags(tags: Mapping[str, Any], synchronous: bool | None = None) -> None:
    client, run_id = _run_target()
    client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()], synchronous=synchronous)


def delete_tag(key: str) -> None:
    client, run_id = _run_target()
    client.delete_tag(run_id, key)


# -- inputs -----------------------------------------------------------------------------
def log_input(
    dataset: Any = None,
    context: str | None = None,
    tags: Mapping[str, Any] | None = None,
    model: Any = None,
) -> None:
    """Record that the active run used ``dataset`` (and/or a logged ``model``).

    ``dataset`` is a ``tracklog.entities.Dataset``, an MLflow dataset object (its
    name, digest, source and schema are read), or a mapping with those keys."""
    if dataset is None and model is None:
        raise InvalidArgument("log_input needs a dataset or a model")
    client, run_id = _run_target()
    datasets: list[DatasetInput] = []
    if dataset is not None:
        input_tags = [InputTag(k, str(v)) for k, v in (tags or {}).items()]
        if context is not None:
            input_tags.insert(0, InputTag(DATA_CONTEXT_TAG, context))
        datasets.append(DatasetInput(_as_dataset(dataset), tuple(input_tags)))
    models = [LoggedModelInput(str(getattr(model, "model_id", model)))] if model is not None else []
    client.log_inputs(run_id, datasets, models)


def _as_dataset(obj: Any) -> Dataset:
    if isinstance(obj, Dataset):
        return obj
    if isinstance(obj, Mapping):
        return Dataset.from_dict(dict(obj))
    to_entity = getattr(obj, "_to_mlflow_entity", None)
    source = to_entity() if callable(to_entity) else obj
    fields = ("name", "digest", "source_type", "source")
    if all(hasattr(source, f) for f in fields):
        schema = getattr(source, "schema", None)
        profile = getattr(source, "profile", None)
        return Dataset(
            name=str(source.name),
            digest=str(source.digest),
            source_type=str(source.source_type),
            source=str(source.source),
            schema=schema if isinstance(schema, str) or schema is None else str(schema),
            profile=profile if isinstance(profile, str) or profile is None else str(profile),
        )
    raise InvalidArgument(
        f"log_input expects a tracklog Dataset, an MLflow dataset or a mapping, got {type(obj).__name__}"
    )


# -- artifacts --------------------------------------------------------------------------
def get_artifact_uri(artifact_path: str | None = None) -> str:
    current = _active.top() or start_run()
    return join_artifact_uri(current.info.artifact_uri, artifact_path)


def log_artifact(
    local_path: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    client, target = _run_target(run_id)
    client.log_artifact(target, local_path, artifact_path)


def log_artifacts(
    local_dir: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    client, target = _run_target(run_id)
    client.log_artifacts(target, local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    client, target = _run_target(run_id)
    client.log_text(target, text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    """JSON, or YAML when ``artifact_file`` ends in ``.yaml``/``.yml``."""
    client, target = _run_target(run_id)
    client.log_dict(target, dictionary, artifact_file)


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None, run_id: str | None = None
) -> None:
    """A matplotlib (or plotly) figure, saved in the format its extension names."""
    client, target = _run_target(run_id)
    client.log_figure(target, figure, artifact_file, save_kwargs=save_kwargs)


def log_image(image: Any, artifact_file: str, run_id: str | None = None) -> None:
    """A numpy array or PIL image, saved in the format its extension names."""
    client, target = _run_target(run_id)
    client.log_image(target, image, artifact_file)


# -- search -----------------------------------------------------------------------------
@overload
def search_runs(
    experiment_ids: Sequence[str] | None = ...,
    filter_string: str = ...,
    run_view_type: ViewType | str = ...,
    max_results: int = ...,
    order_by: Sequence[str] | None = ...,
    output_format: Literal["pandas"] = ...,
    search_all_experiments: bool = ...,
    experiment_names: Sequence[str] | None = ...,
) -> pd.DataFrame: ...


@overload
def search_runs(
    experiment_ids: Sequence[str] | None = ...,
    filter_string: str = ...,
    run_view_type: ViewType | str = ...,
    max_results: int = ...,
    order_by: Sequence[str] | None = ...,
    *,
    output_format: Literal["list"],
    search_all_experiments: bool = ...,
    experiment_names: Sequence[str] | None = ...,
) -> list[Run]: ...


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    max_results: int = SEARCH_RUNS_MAX_DEFAULT,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> pd.DataFrame | list[Run]:
    """Runs as a DataFrame (``output_format="pandas"``) or a list of ``Run``.

    Without ``experiment_ids``/``experiment_names`` the active experiment is
    searched, or every experiment with ``search_all_experiments=True``."""
    if output_format not in ("pandas", "list"):
        raise InvalidArgument(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    client = _client()
    ids = _search_experiment_ids(client, experiment_ids, experiment_names, search_all_experiments, run_view_type)
    runs: list[Run] = list(client.search_runs(ids, filter_string, run_view_type, max_results, order_by)) if ids else []
    if output_format == "list":
        return runs
    from tracklog.client._frames import runs_to_frame

    return runs_to_frame(runs)


def _search_experiment_ids(
    client: TrackingClient,
    experiment_ids: Sequence[str] | None,
    experiment_names: Sequence[str] | None,
    search_all: bool,
    run_view_type: ViewType | str,
) -> list[str]:
    if experiment_ids and experiment_names:
        raise InvalidArgument("give experiment_ids or experiment_names, not both")
    if experiment_ids:
        return [experiment_ids] if isinstance(experiment_ids, str) else [str(e) for e in experiment_ids]
    if experiment_names:
        found = (client.get_experiment_by_name(name) for name in experiment_names)
        return [e.experiment_id for e in found if e is not None]
    if search_all:
        view = ViewType.ACTIVE_ONLY if ViewType.parse(run_view_type) == ViewType.ACTIVE_ONLY else ViewType.ALL
        return [e.experiment_id for e in client.iter_experiments(view)]
    return [_active_experiment_id(client)]


def _reset_state() -> None:
    """Forget the active experiment and runs (tests; nothing is written)."""
    global _active_experiment
    with _experiment_lock:
        _active_experiment = None
    _active._reset()
