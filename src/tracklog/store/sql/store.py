"""``SqlStore``: the ``TrackingStore`` on SQLite, PostgreSQL and MySQL/MariaDB.

The class is thin: each method opens one transaction (``Database.read`` /
``Database.write``) and calls the function of the module that owns the concept.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import OperationalError

from tracklog.entities import (
    DatasetInput,
    Experiment,
    ExperimentTag,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from tracklog.exceptions import TemporarilyUnavailable
from tracklog.store.base import (
    SEARCH_MAX_RESULTS_DEFAULT,
    SEARCH_MAX_RESULTS_THRESHOLD,
    DatasetSummary,
    TrackingStore,
)
from tracklog.store.sampled import SampledSeries
from tracklog.store.sql import experiments, inputs, logged_models, rollups, runs, sampling
from tracklog.store.sql import metrics as metric_ops
from tracklog.store.sql.db import Database
from tracklog.store.sql.engine import get_engine, normalize_url
from tracklog.store.sql.migrate import ensure_schema
from tracklog.validation import validate_max_results

# Databases whose schema was checked and whose Default experiment exists, in this process.
_ready: set[str] = set()
_ready_lock = threading.Lock()


class SqlStore(TrackingStore):
    """Tracking store on a SQL database.

    ``db_uri``: ``sqlite:///path.db``, ``postgresql://...`` or ``mysql://...`` (drivers are picked
    automatically). ``default_artifact_root``: where new experiments' artifacts go
    (``<root>/<experiment id>``). ``auto_migrate``: upgrade an outdated schema on start; the
    default (None) does so for SQLite only. An empty database is always initialized.
    """

    keeps_ids = True

    def __init__(self, db_uri: str, default_artifact_root: str, *, auto_migrate: bool | None = None) -> None:
        url = normalize_url(db_uri)
        self.db_uri = db_uri
        self.default_artifact_root = default_artifact_root
        self._db = Database(get_engine(db_uri))
        self._rollups = rollups.RollupCache()  # recent chart roll-ups of long metric histories
        self._rollup_keeper = rollups.RollupKeeper(self._db, self._rollups)
        key = url.render_as_string(hide_password=False)
        with _ready_lock:
            if key not in _ready:
                try:
                    ensure_schema(self._db.engine, auto_migrate)
                except OperationalError as exc:
                    raise TemporarilyUnavailable(
                        f"Cannot open the tracking database {url.render_as_string(hide_password=True)}: "
                        f"{type(exc.orig).__name__}"
                    ) from exc
                self._db.write(experiments.ensure_default, default_artifact_root)
                _ready.add(key)

    @property
    def dialect(self) -> str:
        return self._db.dialect

    # -- experiments -------------------------------------------------------------
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[ExperimentTag] = (),
        *,
        experiment_id: str | None = None,
        creation_time: int | None = None,
    ) -> str:
        return self._db.write(
            experiments.create_experiment, name, artifact_location, tags, self.default_artifact_root,
            experiment_id, creation_time,
        )

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._db.read(experiments.get_experiment, experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self._db.read(experiments.get_experiment_by_name, name)

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        validate_max_results(max_results, 1, SEARCH_MAX_RESULTS_THRESHOLD)
        items, token = self._db.read(
            experiments.search_experiments, view_type, max_results, filter_string, order_by, page_token
        )
        return PagedList(items, token)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._db.write(experiments.rename_experiment, experiment_id, new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        self._db.write(experiments.delete_experiment, experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        self._db.write(experiments.restore_experiment, experiment_id)

    def set_experiment_tag(self, experiment_id: str, tag: ExperimentTag) -> None:
        self._db.write(experiments.set_experiment_tag, experiment_id, tag)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._db.write(experiments.delete_experiment_tag, experiment_id, key)

    # -- runs --------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int | None,
        tags: Sequence[RunTag] = (),
        run_name: str | None = None,
        *,
        run_id: str | None = None,
    ) -> Run:
        return self._db.write(runs.create_run, experiment_id, user_id, start_time, tags, run_name, run_id)

    def get_run(self, run_id: str) -> Run:
        return self._db.read(runs.get_run, run_id)

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        return self._db.write(runs.update_run_info, run_id, status, end_time, run_name)

    def delete_run(self, run_id: str) -> None:
        self._db.write(runs.delete_run, run_id)

    def restore_run(self, run_id: str) -> None:
        self._db.write(runs.restore_run, run_id)

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        self._db.write(runs.set_tag, run_id, tag)

    def delete_tag(self, run_id: str, key: str) -> None:
        self._db.write(runs.delete_tag, run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        if not (metrics or params or tags):
            return
        self._db.write(metric_ops.log_batch, run_id, metrics, params, tags)
        if metrics:
            self._rollup_keeper.after_write(run_id, metrics)

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] = (),
        models: Sequence[LoggedModelInput] = (),
    ) -> None:
        self._db.write(inputs.log_inputs, run_id, datasets, models)

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        self._db.write(inputs.log_outputs, run_id, models)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        validate_max_results(max_results, 1, SEARCH_MAX_RESULTS_THRESHOLD)
        items, token = self._db.read(
            runs.search_runs, experiment_ids, filter_string, run_view_type, max_results, order_by,
            page_token,
        )
        return PagedList(items, token)

    def search_runs_wire(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        validate_max_results(max_results, 1, SEARCH_MAX_RESULTS_THRESHOLD)
        return self._db.read(
            runs.search_runs_wire, experiment_ids, filter_string, run_view_type, max_results, order_by,
            page_token,
        )

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        items, token = self._db.read(
            metric_ops.get_metric_history, run_id, metric_key, max_results, page_token
        )
        return PagedList(items, token)

    def get_metric_history_wire(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        return self._db.read(metric_ops.get_metric_history_wire, run_id, metric_key, max_results, page_token)

    def get_metric_history_bulk_interval(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_results: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[Metric]:
        return self._db.read(
            metric_ops.get_metric_history_bulk_interval, run_ids, metric_key, max_results, start_step,
            end_step,
        )

    def get_metric_history_sampled(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_points: int,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> list[SampledSeries]:
        sampling.check_sampled_args(run_ids, metric_key, max_points, min_step, max_step)
        rollups.sync(self._db, self._rollups, run_ids, metric_key)
        return self._db.read(sampling.get_metric_history_sampled, self._rollups, run_ids, metric_key,
                             max_points, min_step, max_step)

    def search_datasets(self, experiment_ids: Sequence[str]) -> list[DatasetSummary]:
        return self._db.read(inputs.search_datasets, experiment_ids)

    # -- logged models -----------------------------------------------------------
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Sequence[LoggedModelTag] = (),
        params: Sequence[LoggedModelParameter] = (),
        model_type: str | None = None,
        *,
        model_id: str | None = None,
        creation_timestamp_ms: int | None = None,
    ) -> LoggedModel:
        return self._db.write(
            logged_models.create_logged_model, experiment_id, name, source_run_id, tags, params,
            model_type, model_id, creation_timestamp_ms,
        )

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        return self._db.read(logged_models.get_logged_model, model_id, allow_deleted)

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        return self._db.write(logged_models.finalize_logged_model, model_id, status)

    def set_logged_model_tags(self, model_id: str, tags: Sequence[LoggedModelTag]) -> None:
        self._db.write(logged_models.set_logged_model_tags, model_id, tags)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self._db.write(logged_models.delete_logged_model_tag, model_id, key)

    def log_logged_model_params(self, model_id: str, params: Sequence[LoggedModelParameter]) -> None:
        self._db.write(logged_models.log_logged_model_params, model_id, params)

    def delete_logged_model(self, model_id: str) -> None:
        self._db.write(logged_models.delete_logged_model, model_id)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[dict[str, str]] | None = None,
        max_results: int = 50,
        order_by: Sequence[dict[str, object]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        validate_max_results(max_results, 1, SEARCH_MAX_RESULTS_THRESHOLD)
        items, token = self._db.read(
            logged_models.search_logged_models, experiment_ids, filter_string, datasets, max_results,
            order_by, page_token,
        )
        return PagedList(items, token)

    # -- lifecycle ---------------------------------------------------------------
    def close(self) -> None:
        """Close idle pooled connections (the engine stays usable and shared per URI)."""
        self._rollup_keeper.close()
        self._db.engine.dispose()

