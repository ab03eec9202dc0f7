"""``TrackingClient``: explicit-id access to experiments, runs and artifacts.

The same methods (names, arguments, return types) as MLflow's ``MlflowClient``
for tracking, so ``MlflowClient`` is exported as an alias. The client holds no
state besides its tracking URI; the store behind it is built on first use and
shared per process (see ``tracklog.client.uri``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tracklog.client import _artifact_files as files
from tracklog.client.batching import split_entities
from tracklog.client.context import RUN_NAME, USER, current_user
from tracklog.client.uri import get_store_for, get_tracking_uri
from tracklog.entities import (
    DatasetInput,
    Experiment,
    ExperimentTag,
    FileInfo,
    LoggedModelInput,
    Metric,
    PagedList,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)

if TYPE_CHECKING:
    from tracklog.artifacts.base import ArtifactRepository
    from tracklog.store.base import TrackingStore

__all__ = ["MlflowClient", "TrackingClient"]

SEARCH_PAGE_SIZE = 10000
SEARCH_EXPERIMENTS_PAGE_SIZE = 1000
METRIC_HISTORY_PAGE_SIZE = 25000


def now_ms() -> int:
    return int(time.time() * 1000)


class TrackingClient:
    """Experiments, runs, metrics, params, tags, inputs and artifacts by explicit id."""

    def __init__(self, tracking_uri: str | os.PathLike[str] | None = None, registry_uri: str | None = None):
        # registry_uri is accepted for MLflow compatibility; the registry lives with tracking.
        self._tracking_uri = get_tracking_uri() if tracking_uri is None else os.fspath(tracking_uri)
        self._store: TrackingStore | None = None

    @property
    def tracking_uri(self) -> str:
        return self._tracking_uri

    @property
    def store(self) -> TrackingStore:
        if self._store is None:
            self._store = get_store_for(self._tracking_uri)
        return self._store

    # -- experiments -----------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None
    ) -> str:
        exp_tags = [ExperimentTag(k, str(v)) for k, v in (tags or {}).items()]
        return self.store.create_experiment(name, artifact_location, exp_tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.store.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self.store.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_EXPERIMENTS_PAGE_SIZE,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        return self.store.search_experiments(
            ViewType.parse(view_type), max_results, filter_string or None, order_by, page_token
        )

    def iter_experiments(
        self,
        view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
    ) -> Iterator[Experiment]:
        """Every matching experiment, following page tokens."""
        token: str | None = None
        while True:
            page = self.search_experiments(view_type, SEARCH_EXPERIMENTS_PAGE_SIZE, filter_string, order_by, token)
            yield from page
            token = page.token
            if not token:
                return

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self.store.rename_experiment(str(experiment_id), new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        self.store.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        self.store.restore_experiment(str(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        self.store.set_experiment_tag(str(experiment_id), ExperimentTag(key, str(value)))

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self.store.delete_experiment_tag(str(experiment_id), key)

    # -- runs ------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        tag_map = {k: str(v) for k, v in (tags or {}).items()}
        if run_name is not None and RUN_NAME not in tag_map:
            tag_map[RUN_NAME] = run_name
        return self.store.create_run(
            experiment_id=str(experiment_id),
            user_id=tag_map.get(USER) or current_user(),
            start_time=now_ms() if start_time is None else start_time,
            tags=[RunTag(k, v) for k, v in tag_map.items()],
            run_name=run_name,
        )

    def get_run(self, run_id: str) -> Run:
        return self.store.get_run(run_id)

    def get_parent_run(self, run_id: str) -> Run | None:
        parent = self.get_run(run_id).data.tags_dict.get("mlflow.parentRunId")
        return self.get_run(parent) if parent else None

    def update_run(self, run_id: str, status: RunStatus | str | None = None, name: str | None = None) -> None:
        parsed = RunStatus.parse(status) if status is not None else None
        end_time = now_ms() if parsed is not None and parsed.is_terminated else None
        self.store.update_run_info(run_id, status=parsed, end_time=end_time, run_name=name)

    def set_terminated(self, run_id: str, status: RunStatus | str | None = None, end_time: int | None = None) -> None:
        parsed = RunStatus.parse(status or RunStatus.FINISHED)
        self.store.update_run_info(run_id, status=parsed, end_time=now_ms() if end_time is None else end_time)

    def delete_run(self, run_id: str) -> None:
        self.store.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        self.store.restore_run(run_id)

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """Up to ``max_results`` runs, fetched over as many store pages as needed.

        The returned list's ``token`` continues after the last run returned."""
        ids = [experiment_ids] if isinstance(experiment_ids, str) else [str(e) for e in experiment_ids]
        if max_results < 1:
            raise ValueError("max_results must be at least 1")
        runs: list[Run] = []
        token = page_token
        view = ViewType.parse(run_view_type)
        while True:
            want = min(max_results - len(runs), SEARCH_PAGE_SIZE)
            page = self.store.search_runs(ids, filter_string or None, view, want, order_by, token)
            runs.extend(page)
            token = page.token if page else None
            if not token or len(runs) >= max_results:
                return PagedList(runs, token)

    # -- params, metrics, tags ---------------------------------------------------------
    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        self.store.log_param(run_id, Param(key, _param_value(value)))
        return value

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        model_id: str | None = None,
    ) -> None:
        metric = Metric(
            key,
            _metric_value(key, value),
            now_ms() if timestamp is None else int(timestamp),
            int(step or 0),
            model_id=model_id,
            dataset_name=dataset_name,
            dataset_digest=dataset_digest,
        )
        self.store.log_metric(run_id, metric)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> None:
        """Log in batches that respect MLflow's per-request limits (100 params, 100 tags, 1000 total)."""
        for batch_metrics, batch_params, batch_tags in split_entities(metrics, params, tags):
            self.store.log_batch(run_id, batch_metrics, batch_params, batch_tags)

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        self.store.set_tag(run_id, RunTag(key, str(value)))

    def delete_tag(self, run_id: str, key: str) -> None:
        self.store.delete_tag(run_id, key)

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        self.store.log_inputs(run_id, datasets or (), models or ())

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point of the metric ``key``, following page tokens."""
        points: list[Metric] = []
        token: str | None = None
        while True:
            page = self.store.get_metric_history(run_id, key, METRIC_HISTORY_PAGE_SIZE, token)
            points.extend(page)
            token = page.token
            if not token or not page:
                return points

    # -- artifacts ---------------------------------------------------------------------
    def get_artifact_uri(self, run_id: str, artifact_path: str | None = None) -> str:
        root = self.get_run(run_id).info.artifact_uri
        return join_artifact_uri(root, artifact_path)

    def _artifact_repo(self, run_id: str) -> ArtifactRepository:
        from tracklog.artifacts.registry import get_repository

        return get_repository(self.get_run(run_id).info.artifact_uri, tracking_uri=self._tracking_uri)

    def log_artifact(self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        local = os.fspath(local_path)
        repo = self._artifact_repo(run_id)
        if os.path.isdir(local):
            name = os.path.basename(os.path.normpath(local))
            repo.log_artifacts(local, join_artifact_path(artifact_path, name))
        else:
            repo.log_artifact(local, artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        self._artifact_repo(run_id).log_artifacts(os.fspath(local_dir), artifact_path)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        return self._artifact_repo(run_id).list_artifacts(path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | os.PathLike[str] | None = None) -> str:
        dst = os.fspath(dst_path) if dst_path is not None else None
        return self._artifact_repo(run_id).download_artifacts(path, dst)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        with files.staged_file(artifact_file) as (local, directory):
            files.write_text(local, text)
            self._artifact_repo(run_id).log_artifact(str(local), directory)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        with files.staged_file(artifact_file) as (local, directory):
            files.write_dict(local, dictionary)
            self._artifact_repo(run_id).log_artifact(str(local), directory)

    def log_figure(
        self, run_id: str, figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None
    ) -> None:
        with files.staged_file(artifact_file) as (local, directory):
            files.write_figure(local, figure, **(save_kwargs or {}))
            self._artifact_repo(run_id).log_artifact(str(local), directory)

    def log_image(self, run_id: str, image: Any, artifact_file: str) -> None:
        with files.staged_file(artifact_file) as (local, directory):
            files.write_image(local, image)
            self._artifact_repo(run_id).log_artifact(str(local), directory)

    def __repr__(self) -> str:
        return f"TrackingClient(tracking_uri={self._tracking_uri!r})"


MlflowClient = TrackingClient


def join_artifact_path(*parts: str | None) -> str | None:
    kept = [p.strip("/") for p in parts if p and p.strip("/")]
    return "/".join(kept) if kept else None


def join_artifact_uri(root: str, artifact_path: str | None) -> str:
    sub = join_artifact_path(artifact_path)
    return f"{root.rstrip('/')}/{sub}" if sub else root


def _param_value(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _metric_value(key: str, value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        from tracklog.exceptions import InvalidArgument

        raise InvalidArgument(f"Got invalid value {value!r} for metric {key!r} (expected a number)") from exc

