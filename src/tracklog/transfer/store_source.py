"""Reading from any tracking store: a running MLflow (or tracklog) server through
``RestStore``, or a tracklog store for ``tracklog export``.

Experiments come from ``search_experiments`` (ALL), runs from ``search_runs`` pages,
every metric point from ``get_metric_history`` pages per key, logged models from
``search_logged_models`` pages, and artifacts through the repository of each run's
(or model's) artifact URI.
"""

from __future__ import annotations

from collections.abc import Iterator

from tracklog.artifacts.base import ArtifactRepository
from tracklog.artifacts.registry import get_repository
from tracklog.entities import Experiment, LoggedModel, Metric, Run, ViewType
from tracklog.store.base import TrackingStore

__all__ = ["StoreSource"]

RUNS_PAGE = 1000
EXPERIMENTS_PAGE = 1000
MODELS_PAGE = 100
HISTORY_PAGE = 25000


class StoreSource:
    """A ``Source`` over a ``TrackingStore``; ``tracking_uri`` resolves ``mlflow-artifacts:`` URIs."""

    def __init__(
        self, store: TrackingStore, tracking_uri: str, label: str | None = None, *, owns_store: bool = True
    ) -> None:
        self.store = store
        self.owns_store = owns_store
        self.tracking_uri = tracking_uri
        self.label = label or tracking_uri

    def experiments(self) -> list[Experiment]:
        out: list[Experiment] = []
        token: str | None = None
        while True:
            page = self.store.search_experiments(ViewType.ALL, EXPERIMENTS_PAGE, page_token=token)
            out.extend(page)
            token = page.token
            if not token:
                return sorted(out, key=_experiment_order)

    def runs(self, experiment_id: str) -> list[Run]:
        out: list[Run] = []
        token: str | None = None
        while True:
            page = self.store.search_runs(
                [experiment_id], run_view_type=ViewType.ALL, max_results=RUNS_PAGE,
                order_by=["start_time ASC", "run_id ASC"], page_token=token,
            )
            out.extend(page)
            token = page.token
            if not token:
                return out

    def metric_history(self, run: Run) -> Iterator[Metric]:
        for key in sorted({m.key for m in run.data.metric_list}):
            token: str | None = None
            while True:
                page = self.store.get_metric_history(run.info.run_id, key, HISTORY_PAGE, token)
                yield from page
                token = page.token
                if not token or not page:
                    break

    def logged_models(self, experiment_id: str) -> list[LoggedModel]:
        out: list[LoggedModel] = []
        token: str | None = None
        while True:
            page = self.store.search_logged_models(
                [experiment_id], max_results=MODELS_PAGE, page_token=token,
                order_by=[{"field_name": "creation_timestamp", "ascending": True}],
            )
            out.extend(page)
            token = page.token
            if not token:
                return out

    def run_artifacts(self, run: Run) -> ArtifactRepository | None:
        uri = run.info.artifact_uri
        return get_repository(uri, tracking_uri=self.tracking_uri) if uri else None

    def model_artifacts(self, model: LoggedModel) -> ArtifactRepository | None:
        uri = model.artifact_uri
        return get_repository(uri, tracking_uri=self.tracking_uri) if uri else None

    def close(self) -> None:
        if self.owns_store:
            self.store.close()


def _experiment_order(experiment: Experiment) -> tuple[int, str]:
    ident = experiment.experiment_id
    return (int(ident), ident) if ident.isdigit() else (1 << 62, ident)
