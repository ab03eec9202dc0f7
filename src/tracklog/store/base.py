"""The tracking-store interface: every backend (SQL, REST) implements exactly this.

Semantics follow MLflow's tracking store, with tracklog's stricter guarantees:

* each write call is one all-or-nothing transaction (a bad batch writes nothing);
* logging writes are idempotent (the same metric point, param value or tag again is fine);
* values over a limit raise ``InvalidArgument`` naming the limit (never silent truncation);
* NaN and +/-Infinity metric values are stored and read back exactly.

Page tokens are opaque strings; ``None`` means there is no further page.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

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
from tracklog.store.sampled import SampledSeries

SEARCH_MAX_RESULTS_DEFAULT = 1000
SEARCH_MAX_RESULTS_THRESHOLD = 50000
METRIC_HISTORY_MAX_RESULTS = 25000


class DatasetSummary(tuple[str, str, str, str | None]):
    """(experiment_id, name, digest, context) of a dataset used by an experiment's runs."""

    __slots__ = ()

    @property
    def experiment_id(self) -> str:
        return self[0]

    @property
    def name(self) -> str:
        return self[1]

    @property
    def digest(self) -> str:
        return self[2]

    @property
    def context(self) -> str | None:
        return self[3]


class TrackingStore(ABC):
    """Experiments, runs, metrics, params, tags, inputs/outputs and logged models."""

    #: Whether the create calls honour caller-chosen ids (``experiment_id=``, ``run_id=``,
    #: ``model_id=``) and creation times. MLflow's REST API has no such fields, so a
    #: store behind it refuses them; an import then maps ids instead of keeping them.
    keeps_ids: ClassVar[bool] = False

    # -- experiments -------------------------------------------------------------
    @abstractmethod
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[ExperimentTag] = (),
        *,
        experiment_id: str | None = None,
        creation_time: int | None = None,
    ) -> str:
        """Create an experiment and return its id; a taken name (even deleted) is AlreadyExists.

        ``experiment_id`` (``keeps_ids`` stores only): use this id, a positive decimal integer,
        instead of the next one; a taken id is AlreadyExists. Later generated ids stay above it.
        ``creation_time`` (ms): instead of now."""

    @abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return the experiment (active or deleted) or raise NotFound."""

    @abstractmethod
    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the experiment with this exact name (active or deleted), or None."""

    @abstractmethod
    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]: ...

    @abstractmethod
    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...

    @abstractmethod
    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete the experiment and mark its active runs deleted."""

    @abstractmethod
    def restore_experiment(self, experiment_id: str) -> None:
        """Undo ``delete_experiment`` (runs deleted with it come back too)."""

    @abstractmethod
    def set_experiment_tag(self, experiment_id: str, tag: ExperimentTag) -> None: ...

    @abstractmethod
    def delete_experiment_tag(self, experiment_id: str, key: str) -> None: ...

    # -- runs --------------------------------------------------------------------
    @abstractmethod
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
        """Create a RUNNING run; generates a name when neither run_name nor mlflow.runName is given.

        ``run_id`` (``keeps_ids`` stores only): use this id, 32 lowercase hex digits like the
        generated ones, instead of a new one; a taken id is AlreadyExists."""

    @abstractmethod
    def get_run(self, run_id: str) -> Run: ...

    @abstractmethod
    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo: ...

    @abstractmethod
    def delete_run(self, run_id: str) -> None: ...

    @abstractmethod
    def restore_run(self, run_id: str) -> None: ...

    @abstractmethod
    def set_tag(self, run_id: str, tag: RunTag) -> None: ...

    @abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None: ...

    def log_param(self, run_id: str, param: Param) -> None:
        self.log_batch(run_id, params=[param])

    def log_metric(self, run_id: str, metric: Metric) -> None:
        self.log_batch(run_id, metrics=[metric])

    @abstractmethod
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Log everything in one transaction, or nothing (validation happens first)."""

    @abstractmethod
    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] = (),
        models: Sequence[LoggedModelInput] = (),
    ) -> None: ...

    @abstractmethod
    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None: ...

    @abstractmethod
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]: ...

    def search_runs_wire(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The page of ``search_runs`` in wire form (``Run.to_dict()``), and its token.

        Backends may render rows directly instead of building entities first."""
        page = self.search_runs(experiment_ids, filter_string, run_view_type, max_results, order_by, page_token)
        return [run.to_dict() for run in page], page.token

    @abstractmethod
    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        """Every point of one metric, ordered by step then timestamp."""

    def get_metric_history_wire(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The page of ``get_metric_history`` in wire form (``Metric.to_dict()``), and its token.

        Backends may serialize rows directly instead of building entities first."""
        page = self.get_metric_history(run_id, metric_key, max_results, page_token)
        return [m.to_dict() for m in page], page.token

    @abstractmethod
    def get_metric_history_bulk_interval(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_results: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[Metric]:
        """Per run, at most max_results points sampled evenly over steps (first and last kept).

        Returned metrics carry ``run_id``."""

    @abstractmethod
    def get_metric_history_sampled(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_points: int,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> list[SampledSeries]:
        """Per run (in the given order), at most max_points step buckets shared by all runs.

        Each bucket carries its last point plus min/max/count/NaN count (see ``tracklog.store.sampled``);
        max_points above ``SAMPLED_MAX_POINTS`` is capped, a bad argument is InvalidArgument."""

    @abstractmethod
    def search_datasets(self, experiment_ids: Sequence[str]) -> list[DatasetSummary]: ...

    # -- logged models -----------------------------------------------------------
    @abstractmethod
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
        """Create a PENDING logged model. ``model_id`` (``keeps_ids`` stores only): use this id,
        ``m-`` and 32 lowercase hex digits, instead of a new one; a taken id is AlreadyExists.
        ``creation_timestamp_ms``: instead of now."""

    @abstractmethod
    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel: ...

    @abstractmethod
    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel: ...

    @abstractmethod
    def set_logged_model_tags(self, model_id: str, tags: Sequence[LoggedModelTag]) -> None: ...

    @abstractmethod
    def delete_logged_model_tag(self, model_id: str, key: str) -> None: ...

    @abstractmethod
    def log_logged_model_params(self, model_id: str, params: Sequence[LoggedModelParameter]) -> None: ...

    @abstractmethod
    def delete_logged_model(self, model_id: str) -> None: ...

    @abstractmethod
    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[dict[str, str]] | None = None,
        max_results: int = 50,
        order_by: Sequence[dict[str, object]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]: ...

    # -- lifecycle ---------------------------------------------------------------
    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the default does nothing."""
