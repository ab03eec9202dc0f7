"""Reading an MLflow ``mlruns/`` file store folder (the layout of MLflow's ``FileStore``).

    mlruns/<exp_id>/meta.yaml                      the experiment (deleted ones live in mlruns/.trash/<exp_id>)
    mlruns/<exp_id>/tags/<key>                     experiment tags, one file each (keys may contain '/')
    mlruns/<exp_id>/datasets/<dataset_id>/meta.yaml
    mlruns/<exp_id>/<run_id>/meta.yaml             the run info (status as MLflow's number)
    mlruns/<exp_id>/<run_id>/params/<key>          the value
    mlruns/<exp_id>/<run_id>/tags/<key>            the value
    mlruns/<exp_id>/<run_id>/metrics/<key>         lines "timestamp value [step [dataset_name dataset_digest]]"
    mlruns/<exp_id>/<run_id>/inputs/<id>/meta.yaml     source_type DATASET|MODEL, source_id, tags
    mlruns/<exp_id>/<run_id>/outputs/<id>/meta.yaml    source_type RUN_OUTPUT, destination_id (model), step
    mlruns/<exp_id>/<run_id>/artifacts/...
    mlruns/<exp_id>/models/<model_id>/meta.yaml, params/, tags/, metrics/ ("ts value step run_id [name digest]"),
                                        artifacts/
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from tracklog.artifacts.base import ArtifactRepository
from tracklog.artifacts.registry import get_repository
from tracklog.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    ExperimentTag,
    InputTag,
    LifecycleStage,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
)
from tracklog.exceptions import InvalidArgument

__all__ = ["MlflowFileSource"]

_RESERVED = {"tags", "datasets", "traces", "models"}
_TRASH = ".trash"
_META = "meta.yaml"


def _yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        value = yaml.safe_load(handle)
    return value if isinstance(value, dict) else {}


def _key_files(folder: Path) -> list[tuple[str, str]]:
    """(key, file content) for every file below ``folder``; the key is the relative path."""
    if not folder.is_dir():
        return []
    out = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            out.append((path.relative_to(folder).as_posix(), path.read_text(encoding="utf-8")))
    return sorted(out)


def _metric_lines(folder: Path) -> Iterator[tuple[str, list[str]]]:
    for key, text in _key_files(folder):
        for line in text.splitlines():
            if line.strip():
                yield key, line.strip().split(" ")


def _float(text: str) -> float:
    value = float(text)
    return math.nan if math.isnan(value) else value


class MlflowFileSource:
    """A ``Source`` over an ``mlruns/`` folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(str(root).removeprefix("file://")).expanduser().resolve()
        if not self.root.is_dir():
            raise InvalidArgument(f"{self.root} is not an MLflow mlruns folder")
        self.label = self.root.as_uri()
        self._exp_dirs: dict[str, Path] = {}
        self._run_dirs: dict[str, Path] = {}

    def experiments(self) -> list[Experiment]:
        out = []
        for parent in (self.root, self.root / _TRASH):
            if not parent.is_dir():
                continue
            for folder in sorted(parent.iterdir()):
                if not (folder / _META).is_file():
                    continue
                meta = _yaml(folder / _META)
                ident = str(meta.get("experiment_id", folder.name))
                self._exp_dirs[ident] = folder
                tags = tuple(ExperimentTag(k, v) for k, v in _key_files(folder / "tags"))
                deleted = parent.name == _TRASH or meta.get("lifecycle_stage") == "deleted"
                out.append(Experiment(
                    experiment_id=ident, name=str(meta.get("name", ident)),
                    artifact_location=str(meta.get("artifact_location") or ""),
                    lifecycle_stage=LifecycleStage.DELETED if deleted else LifecycleStage.ACTIVE,
                    creation_time=meta.get("creation_time"), last_update_time=meta.get("last_update_time"),
                    tags=tags,
                ))
        return sorted(out, key=lambda e: (int(e.experiment_id) if e.experiment_id.isdigit() else 1 << 62))

    def _experiment_dir(self, experiment_id: str) -> Path:
        if not self._exp_dirs:
            self.experiments()
        return self._exp_dirs[experiment_id]

    def runs(self, experiment_id: str) -> list[Run]:
        folder = self._experiment_dir(experiment_id)
        runs = []
        for run_dir in sorted(folder.iterdir()):
            if run_dir.name in _RESERVED or not (run_dir / _META).is_file():
                continue
            runs.append(self._run(experiment_id, folder, run_dir))
        return sorted(runs, key=lambda r: (r.info.start_time or 0, r.info.run_id))

    def _run(self, experiment_id: str, exp_dir: Path, run_dir: Path) -> Run:
        meta = _yaml(run_dir / _META)
        ident = str(meta.get("run_id") or meta.get("run_uuid") or run_dir.name)
        self._run_dirs[ident] = run_dir
        info = RunInfo(
            run_id=ident, experiment_id=experiment_id, run_name=str(meta.get("run_name") or ""),
            user_id=str(meta.get("user_id") or ""), status=RunStatus.parse(meta.get("status", 1)),
            start_time=meta.get("start_time"), end_time=meta.get("end_time"),
            artifact_uri=str(meta.get("artifact_uri") or ""),
            lifecycle_stage=LifecycleStage.parse(meta.get("lifecycle_stage") or "active"),
        )
        data = RunData(
            params=tuple(Param(k, v) for k, v in _key_files(run_dir / "params")),
            tags=tuple(RunTag(k, v) for k, v in _key_files(run_dir / "tags")),
        )
        return Run(info, data, self._inputs(exp_dir, run_dir), self._outputs(run_dir))

    def _inputs(self, exp_dir: Path, run_dir: Path) -> RunInputs:
        datasets, models = [], []
        for meta in self._vertex_metas(run_dir / "inputs"):
            if meta.get("source_type") == "DATASET":
                ds_meta = exp_dir / "datasets" / str(meta.get("source_id")) / _META
                if not ds_meta.is_file():
                    continue
                d = _yaml(ds_meta)
                dataset = Dataset(
                    name=str(d.get("name", "")), digest=str(d.get("digest", "")),
                    source_type=str(d.get("source_type", "")), source=str(d.get("source", "")),
                    schema=d.get("schema"), profile=d.get("profile"),
                )
                tags = tuple(InputTag(str(k), str(v)) for k, v in sorted((meta.get("tags") or {}).items()))
                datasets.append(DatasetInput(dataset, tags))
            elif meta.get("source_type") == "MODEL":
                models.append(LoggedModelInput(str(meta.get("source_id"))))
        return RunInputs(tuple(datasets), tuple(models))

    def _outputs(self, run_dir: Path) -> RunOutputs:
        return RunOutputs(tuple(
            LoggedModelOutput(str(meta.get("destination_id")), int(meta.get("step") or 0))
            for meta in self._vertex_metas(run_dir / "outputs")
        ))

    @staticmethod
    def _vertex_metas(folder: Path) -> list[dict[str, Any]]:
        if not folder.is_dir():
            return []
        return [_yaml(p / _META) for p in sorted(folder.iterdir()) if (p / _META).is_file()]

    def metric_history(self, run: Run) -> Iterator[Metric]:
        run_dir = self._run_dirs[run.info.run_id]
        seen: set[tuple[str, int, int, str]] = set()
        for key, parts in _metric_lines(run_dir / "metrics"):
            step = int(parts[2]) if len(parts) >= 3 else 0
            point = (key, int(parts[0]), step, parts[1])
            if point in seen:  # the file store appends a point again when log_model links it
                continue
            seen.add(point)
            yield Metric(key, _float(parts[1]), int(parts[0]), step)

    def logged_models(self, experiment_id: str) -> list[LoggedModel]:
        models_dir = self._experiment_dir(experiment_id) / "models"
        if not models_dir.is_dir():
            return []
        out = []
        for folder in sorted(models_dir.iterdir()):
            if not (folder / _META).is_file():
                continue
            meta = _yaml(folder / _META)
            if meta.get("lifecycle_stage") == "deleted":
                continue
            out.append(self._model(experiment_id, folder, meta))
        return sorted(out, key=lambda m: (m.creation_timestamp_ms, m.model_id))

    def _model(self, experiment_id: str, folder: Path, meta: dict[str, Any]) -> LoggedModel:
        model_id = str(meta.get("model_id", folder.name))
        metrics = []
        for key, parts in _metric_lines(folder / "metrics"):
            dataset = (parts[4], parts[5]) if len(parts) >= 6 else (None, None)
            metrics.append(Metric(key, _float(parts[1]), int(parts[0]), int(parts[2]), model_id,
                                  dataset[0], dataset[1], parts[3]))
        status = meta.get("status", "PENDING")
        return LoggedModel(
            model_id=model_id, experiment_id=experiment_id, name=str(meta.get("name", "")),
            artifact_uri=str(meta.get("artifact_location") or ""),
            creation_timestamp_ms=int(meta.get("creation_timestamp") or 0),
            last_updated_timestamp_ms=int(meta.get("last_updated_timestamp") or 0),
            status=LoggedModelStatus.parse(f"LOGGED_MODEL_{status}" if status in ("PENDING", "READY") else
                                           "LOGGED_MODEL_UPLOAD_FAILED" if status == "FAILED" else status),
            model_type=meta.get("model_type"), source_run_id=meta.get("source_run_id"),
            status_message=meta.get("status_message"),
            tags=tuple(LoggedModelTag(k, v) for k, v in _key_files(folder / "tags")),
            params=tuple(LoggedModelParameter(k, v) for k, v in _key_files(folder / "params")),
            metrics=tuple(metrics),
        )

    def _local_or(self, uri: str, fallback: Path) -> ArtifactRepository | None:
        """The repository at ``uri``; the folder inside mlruns when a local ``uri`` has moved away."""
        if uri.startswith("file:") or "://" not in uri:
            path = Path(uri.removeprefix("file://")).expanduser()
            if not path.exists() and fallback.exists():
                return get_repository(str(fallback))
        return get_repository(uri) if uri else None

    def run_artifacts(self, run: Run) -> ArtifactRepository | None:
        return self._local_or(run.info.artifact_uri, self._run_dirs[run.info.run_id] / "artifacts")

    def model_artifacts(self, model: LoggedModel) -> ArtifactRepository | None:
        fallback = self._experiment_dir(model.experiment_id) / "models" / model.model_id / "artifacts"
        return self._local_or(model.artifact_uri, fallback)

    def close(self) -> None:
        return None
