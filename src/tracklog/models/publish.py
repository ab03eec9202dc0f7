"""Logging a model: MLflow 3.x's logged-model sequence, for any flavor.

1. create a LoggedModel (``m-…`` id, source run, the run's params copied);
2. link it to the run as an output, and re-log the run's latest metrics with its model_id;
3. save the model into a temporary directory (the flavor's ``save`` callback),
   record the model file's SHA-256 as logged-model tags;
4. upload the directory to the model's ``artifact_uri`` through the artifact
   registry (local, object store or a tracking server's proxy);
5. finalize READY, or UPLOAD_FAILED if anything above failed (the error propagates).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracklog.entities import (
    LoggedModel,
    LoggedModelOutput,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    Metric,
)
from tracklog.models.hashing import FILE_TAG, FORMAT_TAG, SHA256_TAG, sha256_file
from tracklog.models.mlmodel import MLmodel

if TYPE_CHECKING:
    from tracklog.client.tracking import TrackingClient

__all__ = ["ModelInfo", "SavedFile", "empty_model_dir", "model_name", "publish"]

_PARAMS_PER_REQUEST = 100


@dataclass(frozen=True)
class SavedFile:
    """What a flavor's save callback wrote: the serialized model file (relative path) and its format."""

    path: str
    serialization_format: str


@dataclass(frozen=True)
class ModelInfo:
    """What ``log_model`` returns (the fields of MLflow's ``ModelInfo`` that tracklog fills)."""

    model_id: str
    model_uri: str
    run_id: str | None
    name: str
    artifact_uri: str
    flavors: dict[str, dict[str, Any]]
    signature: dict[str, Any] | None
    utc_time_created: str
    model_uuid: str
    sha256: str
    serialization_format: str

    @property
    def artifact_path(self) -> str:
        return self.name

    @property
    def registered_model_version(self) -> None:
        return None


SaveCallback = Callable[[Path, MLmodel], SavedFile]


def model_name(name: str | None, artifact_path: str | None, registered_model_name: str | None) -> str:
    """The logged model's name from ``log_model``'s arguments (MLflow 3's ``name`` or MLflow 2's ``artifact_path``)."""
    from tracklog.exceptions import InvalidArgument

    if registered_model_name is not None:
        raise InvalidArgument(
            "registered_model_name is not supported: tracklog has no model registry. Log the model, then "
            "refer to it by info.model_uri (models:/<model_id>) or runs:/<run_id>/<name>."
        )
    if name is not None and artifact_path is not None and name != artifact_path:
        raise InvalidArgument("give the model's name once: name= or artifact_path, not both")
    return name or artifact_path or "model"


def empty_model_dir(path: str | os.PathLike[str]) -> Path:
    """``save_model``'s target directory, created; refused when it exists with something in it."""
    from tracklog.exceptions import AlreadyExists

    folder = Path(path)
    if folder.exists() and any(folder.iterdir()):
        raise AlreadyExists(f"Path '{folder}' already exists and is not empty")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _target() -> tuple[TrackingClient, str | None, str]:
    """(client, active run id or None, experiment id) for a fluent log_model call."""
    from tracklog.client import fluent
    from tracklog.client.tracking import TrackingClient

    active = fluent.active_run()
    if active is not None:
        return active.client, active.info.run_id, active.info.experiment_id
    client = TrackingClient()
    return client, None, fluent._active_experiment_id(client)


def publish(
    save: SaveCallback,
    name: str,
    *,
    model_type: str | None = None,
    tags: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
) -> ModelInfo:
    """Log a model with the MLflow 3.x sequence; ``save`` writes the model files into a directory."""
    client, run_id, experiment_id = _target()
    store = client.store
    copied = _copied_params(client, run_id, params)
    model = store.create_logged_model(
        experiment_id,
        name,
        run_id,
        tags=[LoggedModelTag(k, str(v)) for k, v in (tags or {}).items()],
        params=copied[:_PARAMS_PER_REQUEST],
        model_type=model_type,
    )
    try:
        for start in range(_PARAMS_PER_REQUEST, len(copied), _PARAMS_PER_REQUEST):
            store.log_logged_model_params(model.model_id, copied[start : start + _PARAMS_PER_REQUEST])
        if run_id is not None:
            store.log_outputs(run_id, [LoggedModelOutput(model.model_id, 0)])
            _link_metrics(client, run_id, model.model_id)
        info = _save_and_upload(client, model, save, name, run_id)
    except BaseException:
        _mark_failed(client, model.model_id)
        raise
    store.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    return info


def _copied_params(
    client: TrackingClient, run_id: str | None, extra: Mapping[str, Any] | None
) -> list[LoggedModelParameter]:
    values: dict[str, str] = {}
    if run_id is not None:
        values.update(client.get_run(run_id).data.params_dict)
    values.update({k: str(v) for k, v in (extra or {}).items()})
    return [LoggedModelParameter(k, v) for k, v in values.items()]


def _link_metrics(client: TrackingClient, run_id: str, model_id: str) -> None:
    """Re-log each metric's latest point with the model id, as MLflow's client does."""
    latest: list[Metric] = []
    for key in client.get_run(run_id).data.metrics_dict:
        history = client.get_metric_history(run_id, key)
        if not history:
            continue
        last_step = max(m.step for m in history)
        point = max((m for m in history if m.step == last_step), key=lambda m: m.timestamp)
        latest.append(Metric(key, point.value, point.timestamp, point.step, model_id=model_id))
    if latest:
        client.log_batch(run_id, metrics=latest)


def _save_and_upload(
    client: TrackingClient, model: LoggedModel, save: SaveCallback, name: str, run_id: str | None
) -> ModelInfo:
    from tracklog.artifacts.registry import get_repository

    with tempfile.TemporaryDirectory(prefix="tracklog-log-model-") as tmp:
        folder = Path(tmp)
        meta = MLmodel(artifact_path=name, run_id=run_id, model_id=model.model_id)
        saved = save(folder, meta)
        digest = sha256_file(folder / saved.path)
        client.store.set_logged_model_tags(
            model.model_id,
            [
                LoggedModelTag(SHA256_TAG, digest),
                LoggedModelTag(FORMAT_TAG, saved.serialization_format),
                LoggedModelTag(FILE_TAG, saved.path),
            ],
        )
        repo = get_repository(model.artifact_uri, tracking_uri=client.tracking_uri)
        repo.log_artifacts(tmp, None)
    return ModelInfo(
        model_id=model.model_id,
        model_uri=f"models:/{model.model_id}",
        run_id=run_id,
        name=name,
        artifact_uri=model.artifact_uri,
        flavors=meta.flavors,
        signature=meta.signature,
        utc_time_created=meta.utc_time_created,
        model_uuid=meta.model_uuid,
        sha256=digest,
        serialization_format=saved.serialization_format,
    )


def _mark_failed(client: TrackingClient, model_id: str) -> None:
    with contextlib.suppress(Exception):  # the original error is the one worth raising
        client.store.finalize_logged_model(model_id, LoggedModelStatus.UPLOAD_FAILED)
