"""``TrackingClient``: explicit-id access to experiments, runs and artifacts.

The same methods (names, arguments, return types) as MLflow's ``MlflowClient``
for tracking, so ``MlflowClient`` is exported as an alias. The client holds no
state besides its tracking URI; the store behind it is built on first use and
shared per process (see ``tracklog.client.uri``).

With an ``http(s)`` tracking URI, params, metrics and tags go through this process's
spool (``tracklog.client.spool``) unless ``synchronous=True`` or
``TRACKLOG_ASYNC_LOGGING=false``: the call returns once the write is queued. Every other
call first waits for the queued writes to be delivered (read-your-writes, and the order
of writes is kept), and accepts the local id of a run started offline.
"""

from __future__ import annotations

import os
import time
import warnings
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
    from tracklog.client.spool import LiveSpool
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
        self._remote = self._tracking_uri.lower().startswith(("http://", "https://"))
        self._async_default: bool | None = None  # TRACKLOG_ASYNC_LOGGING, read on first write

    @property
    def tracking_uri(self) -> str:
        return self._tracking_uri

    @property
    def store(self) -> TrackingStore:
        if self._store is None:
            self._store = get_store_for(self._tracking_uri)
        return self._store

    # -- the spool -------------------------------------------------------------------
    def _spool(self, synchronous: bool | None) -> LiveSpool | None:
        """The spool a write goes to, or None to write straight to the store."""
        if not self._remote or synchronous:
            return None
        if synchronous is None:
            if self._async_default is None:
                from tracklog.client.spool import async_enabled

                self._async_default = async_enabled()
            if not self._async_default:
                return None
        import sqlite3

        from tracklog.client.spool import spool_for

        try:
            return spool_for(self._tracking_uri)
        except (OSError, ImportError, sqlite3.Error) as exc:  # no spool folder (or no flock): log synchronously
            warnings.warn(f"tracklog: cannot open a spool ({exc}); logging synchronously instead", stacklevel=3)
            self._async_default = False
            return None

    def _live_spool(self) -> LiveSpool | None:
        if not self._remote:
            return None
        from tracklog.client.spool import live_spool

        return live_spool(self._tracking_uri)

    def _settle(self, run_id: str) -> str:
        """Deliver queued writes first (read-your-writes, ordering); the server's id of ``run_id``."""
        spool = self._live_spool()
        if spool is None:
            return run_id
        if not spool.is_offline(run_id):
            spool.flush()
        return spool.resolve(run_id)

    def _settle_all(self) -> None:
        spool = self._live_spool()
        if spool is not None:
            spool.flush()

    def flush(self, timeout: float | None = None) -> None:
        """Deliver every write this process queued for this client's server (see ``tracklog.flush``)."""
        spool = self._live_spool()
        if spool is not None:
            spool.flush(timeout)

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
        user_id = tag_map.get(USER) or current_user()
        start = now_ms() if start_time is None else start_time
        spool = self._spool(None)
        if spool is not None and spool.settings.offline:
            from tracklog.client.spool.offline import create_run_or_offline

            return create_run_or_offline(spool, self.store, str(experiment_id), user_id, start, tag_map, run_name)
        return self.store.create_run(
            experiment_id=str(experiment_id),
            user_id=user_id,
            start_time=start,
            tags=[RunTag(k, v) for k, v in tag_map.items()],
            run_name=run_name,
        )

    def get_run(self, run_id: str) -> Run:
        return self.store.get_run(self._settle(run_id))

    def get_parent_run(self, run_id: str) -> Run | None:
        parent = self.get_run(run_id).data.tag_dict.get("mlflow.parentRunId")
        return self.get_run(parent) if parent else None

    def update_run(self, run_id: str, status: RunStatus | str | None = None, name: str | None = None) -> None:
        parsed = RunStatus.parse(status) if status is not None else None
        end_time = now_ms() if parsed is not None and parsed.is_terminated else None
        self.store.update_run_info(self._settle(run_id), status=parsed, end_time=end_time, run_name=name)

    def set_terminated(self, run_id: str, status: RunStatus | str | None = None, end_time: int | None = None) -> None:
        """End the run; with the spool, wait (``TRACKLOG_EXIT_FLUSH_TIMEOUT``) for its writes to arrive."""
        parsed = RunStatus.parse(status or RunStatus.FINISHED)
        end = now_ms() if end_time is None else end_time
        spool = self._spool(None)
        if spool is None:
            self.store.update_run_info(self._settle(run_id), status=parsed, end_time=end)
            return
        spool.terminate(run_id, parsed, end)
        if spool.exiting:
            return
        if not spool.flush(spool.settings.exit_timeout, raise_errors=False):
            warnings.warn(f"tracklog: {spool.pending_message(spool.settings.exit_timeout)}", stacklevel=2)
        spool.raise_errors()

    def delete_run(self, run_id: str) -> None:
        self.store.delete_run(self._settle(run_id))

    def restore_run(self, run_id: str) -> None:
        self.store.restore_run(self._settle(run_id))

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
        self._settle_all()
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
        spool = self._spool(synchronous)
        if spool is not None:
            spool.log_param(run_id, key, _param_value(value))
        else:
            self.store.log_param(self._settle(run_id), Param(key, _param_value(value)))
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
        spool = self._spool(synchronous)
        if spool is not None:
            extra = _metric_extra(model_id, dataset_name, dataset_digest)
            spool.log_metric(run_id, key, _metric_value(key, value), now_ms() if timestamp is None else int(timestamp),
                             int(step or 0), extra)
            return
        metric = Metric(
            key,
            _metric_value(key, value),
            now_ms() if timestamp is None else int(timestamp),
            int(step or 0),
            model_id=model_id,
            dataset_name=dataset_name,
            dataset_digest=dataset_digest,
        )
        self.store.log_metric(self._settle(run_id), metric)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> None:
        """Log in batches that respect MLflow's per-request limits (100 params, 100 tags, 1000 total)."""
        spool = self._spool(synchronous)
        if spool is not None:
            for p in params:
                spool.log_param(run_id, p.key, p.value)
            for t in tags:
                spool.set_tag(run_id, t.key, t.value)
            for m in metrics:
                extra = _metric_extra(m.model_id, m.dataset_name, m.dataset_digest)
                spool.log_metric(run_id, m.key, m.value, m.timestamp, m.step, extra)
            return
        target = self._settle(run_id)
        for batch_metrics, batch_params, batch_tags in split_entities(metrics, params, tags):
            self.store.log_batch(target, batch_metrics, batch_params, batch_tags)

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        spool = self._spool(synchronous)
        if spool is not None:
            spool.set_tag(run_id, key, str(value))
            return
        self.store.set_tag(self._settle(run_id), RunTag(key, str(value)))

    def delete_tag(self, run_id: str, key: str) -> None:
        self.store.delete_tag(self._settle(run_id), key)

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        self.store.log_inputs(self._settle(run_id), datasets or (), models or ())

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point of the metric ``key``, following page tokens."""
        points: list[Metric] = []
        target = self._settle(run_id)
        token: str | None = None
        while True:
            page = self.store.get_metric_history(target, key, METRIC_HISTORY_PAGE_SIZE, token)
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

        spool = self._live_spool()
        if spool is not None and spool.is_offline(run_id):  # kept in the spool, uploaded on delivery
            return get_repository(spool.offline_artifact_dir(run_id))
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


def _metric_extra(model_id: str | None, dataset_name: str | None, dataset_digest: str | None) -> str | None:
    if model_id is None and dataset_name is None and dataset_digest is None:
        return None
    import json

    return json.dumps({"model_id": model_id, "dataset_name": dataset_name, "dataset_digest": dataset_digest})


def _metric_value(key: str, value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        from tracklog.exceptions import InvalidArgument

        raise InvalidArgument(f"Got invalid value {value!r} for metric {key!r} (expected a number)") from exc

