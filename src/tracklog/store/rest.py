"""The tracking store over HTTP: MLflow's REST protocol, spoken to tracklog's or MLflow's server.

Every method is one call (or a few, for log-batch splitting and logged-model params) to
``<tracking_uri>/api/2.0/mlflow/...`` in the same shape as MLflow's own client: GET with a
query string for reads by id or name, POST with a JSON body for the rest, PATCH/DELETE for
logged models. Retry classes follow MLflow's: creates are retried only on 408/429.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from tracklog.client.batching import split_batch
from tracklog.client.transport import HttpTransport, Params, get_transport
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
from tracklog.exceptions import InvalidArgument, NotFound
from tracklog.store.base import SEARCH_MAX_RESULTS_DEFAULT, DatasetSummary, TrackingStore
from tracklog.store.sampled import SampledSeries

__all__ = ["RestStore"]

API = "/api/2.0/mlflow"
AJAX_API = "/ajax-api/2.0/mlflow"
LOGGED_MODEL_PARAMS_PER_REQUEST = 100
SAMPLED_PATH = "/api/2.0/tracklog/metrics/get-history-sampled"


def _token(body: dict[str, Any]) -> str | None:
    token = body.get("next_page_token")
    return str(token) if token else None


def _items(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = body.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _model_path(model_id: str) -> str:
    return f"{API}/logged-models/{quote(model_id, safe='')}"


class RestStore(TrackingStore):
    """A ``TrackingStore`` whose data lives behind a tracking server at ``tracking_uri``."""

    def __init__(self, tracking_uri: str, *, transport: HttpTransport | None = None) -> None:
        self.tracking_uri = tracking_uri.rstrip("/")
        self._http = transport or get_transport(self.tracking_uri)

    # -- plumbing ------------------------------------------------------------------
    def _get(self, path: str, params: Params | None = None) -> dict[str, Any]:
        return self._http.call("GET", API + path, params=params)

    def _post(self, path: str, body: dict[str, Any], *, retry_safe: bool) -> dict[str, Any]:
        return self._http.call("POST", API + path, json=body, retry_safe=retry_safe)

    # -- experiments ---------------------------------------------------------------
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[ExperimentTag] = (),
        *,
        experiment_id: str | None = None,
        creation_time: int | None = None,
    ) -> str:
        _refuse_chosen(experiment_id=experiment_id, creation_time=creation_time)
        body: dict[str, Any] = {"name": name, "tags": [t.to_dict() for t in tags]}
        if artifact_location:
            body["artifact_location"] = artifact_location
        return str(self._post("/experiments/create", body, retry_safe=False)["experiment_id"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        body = self._get("/experiments/get", {"experiment_id": str(experiment_id)})
        return Experiment.from_dict(body.get("experiment") or {})

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            body = self._get("/experiments/get-by-name", {"experiment_name": name})
        except NotFound as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
        return Experiment.from_dict(body.get("experiment") or {})

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        body: dict[str, Any] = {"view_type": ViewType.parse(view_type).value, "max_results": max_results}
        if filter_string:
            body["filter"] = filter_string
        if order_by:
            body["order_by"] = list(order_by)
        if page_token:
            body["page_token"] = page_token
        out = self._post("/experiments/search", body, retry_safe=True)
        return PagedList([Experiment.from_dict(e) for e in _items(out, "experiments")], _token(out))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._post("/experiments/update", {"experiment_id": str(experiment_id), "new_name": new_name},
                   retry_safe=True)

    def delete_experiment(self, experiment_id: str) -> None:
        self._post("/experiments/delete", {"experiment_id": str(experiment_id)}, retry_safe=True)

    def restore_experiment(self, experiment_id: str) -> None:
        self._post("/experiments/restore", {"experiment_id": str(experiment_id)}, retry_safe=True)

    def set_experiment_tag(self, experiment_id: str, tag: ExperimentTag) -> None:
        body = {"experiment_id": str(experiment_id), "key": tag.key, "value": tag.value}
        self._post("/experiments/set-experiment-tag", body, retry_safe=True)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        body = {"experiment_id": str(experiment_id), "key": key}
        self._post("/experiments/delete-experiment-tag", body, retry_safe=True)

    # -- runs ----------------------------------------------------------------------
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
        _refuse_chosen(run_id=run_id)
        body: dict[str, Any] = {
            "experiment_id": str(experiment_id),
            "user_id": user_id,
            "tags": [t.to_dict() for t in tags],
        }
        if start_time is not None:
            body["start_time"] = start_time
        if run_name is not None:
            body["run_name"] = run_name
        out = self._post("/runs/create", body, retry_safe=False)
        return Run.from_dict(out.get("run") or {})

    def get_run(self, run_id: str) -> Run:
        out = self._get("/runs/get", {"run_id": run_id, "run_uuid": run_id})
        return Run.from_dict(out.get("run") or {})

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        body: dict[str, Any] = {"run_id": run_id, "run_uuid": run_id}
        if status is not None:
            body["status"] = RunStatus.parse(status).value
        if end_time is not None:
            body["end_time"] = end_time
        if run_name is not None:
            body["run_name"] = run_name
        out = self._post("/runs/update", body, retry_safe=True)
        return RunInfo.from_dict(out.get("run_info") or {})

    def delete_run(self, run_id: str) -> None:
        self._post("/runs/delete", {"run_id": run_id}, retry_safe=True)

    def restore_run(self, run_id: str) -> None:
        self._post("/runs/restore", {"run_id": run_id}, retry_safe=True)

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        body = {"run_id": run_id, "run_uuid": run_id, "key": tag.key, "value": tag.value}
        self._post("/runs/set-tag", body, retry_safe=True)

    def delete_tag(self, run_id: str, key: str) -> None:
        self._post("/runs/delete-tag", {"run_id": run_id, "key": key}, retry_safe=True)

    def log_param(self, run_id: str, param: Param) -> None:
        body = {"run_id": run_id, "run_uuid": run_id, "key": param.key, "value": param.value}
        self._post("/runs/log-parameter", body, retry_safe=True)

    def log_metric(self, run_id: str, metric: Metric) -> None:
        body = metric.to_dict()
        body.pop("run_id", None)
        body.update(run_id=run_id, run_uuid=run_id)
        self._post("/runs/log-metric", body, retry_safe=True)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Split to the server's limits (see ``tracklog.client.batching``); one request per part."""
        for body in split_batch(run_id, metrics, params, tags):
            self._http.request("POST", API + "/runs/log-batch", content=body,
                               headers={"Content-Type": "application/json"}, retry_safe=True)

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] = (),
        models: Sequence[LoggedModelInput] = (),
    ) -> None:
        body = {
            "run_id": run_id,
            "datasets": [d.to_dict() for d in datasets],
            "models": [m.to_dict() for m in models],
        }
        self._post("/runs/log-inputs", body, retry_safe=False)

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        body = {"run_id": run_id, "models": [m.to_dict() for m in models]}
        self._post("/runs/outputs", body, retry_safe=False)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        body: dict[str, Any] = {
            "experiment_ids": [str(e) for e in experiment_ids],
            "run_view_type": ViewType.parse(run_view_type).value,
            "max_results": max_results,
        }
        if filter_string:
            body["filter"] = filter_string
        if order_by:
            body["order_by"] = list(order_by)
        if page_token:
            body["page_token"] = page_token
        out = self._post("/runs/search", body, retry_safe=True)
        return PagedList([Run.from_dict(r) for r in _items(out, "runs")], _token(out))

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        """One page (the server's default size unless ``max_results``); follow ``.token`` for more."""
        params: Params = {
            "run_id": run_id,
            "run_uuid": run_id,
            "metric_key": metric_key,
            "max_results": max_results,
            "page_token": page_token or None,
        }
        out = self._get("/metrics/get-history", params)
        return PagedList([Metric.from_dict(m) for m in _items(out, "metrics")], _token(out))

    def get_metric_history_bulk_interval(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_results: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[Metric]:
        params: Params = {
            "run_ids": [str(r) for r in run_ids],
            "metric_key": metric_key,
            "max_results": max_results,
            "start_step": start_step,
            "end_step": end_step,
        }
        out = self._get("/metrics/get-history-bulk-interval", params)
        return [Metric.from_dict(m) for m in _items(out, "metrics")]

    def get_metric_history_sampled(
        self,
        run_ids: Sequence[str],
        metric_key: str,
        max_points: int,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> list[SampledSeries]:
        # A tracklog extension: MLflow's server has no such endpoint (use the bulk interval there).
        params: Params = {
            "run_ids": [str(r) for r in run_ids], "metric_key": metric_key, "max_points": max_points,
            "min_step": min_step, "max_step": max_step,
        }
        out = self._http.call("GET", SAMPLED_PATH, params=params, retry_safe=True)
        return [SampledSeries.from_dict(d) for d in _items(out, "series")]

    def search_datasets(self, experiment_ids: Sequence[str]) -> list[DatasetSummary]:
        # The proto path lacks its leading slash, so MLflow serves this on the ajax route only.
        body = {"experiment_ids": [str(e) for e in experiment_ids]}
        out = self._http.call("POST", AJAX_API + "/experiments/search-datasets", json=body,
                              retry_safe=True)
        return [
            DatasetSummary((
                str(s.get("experiment_id", "")),
                str(s.get("name", "")),
                str(s.get("digest", "")),
                str(s["context"]) if s.get("context") else None,
            ))
            for s in _items(out, "dataset_summaries")
        ]

    # -- logged models -------------------------------------------------------------
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
        _refuse_chosen(model_id=model_id, creation_timestamp_ms=creation_timestamp_ms)
        first, rest = params[:LOGGED_MODEL_PARAMS_PER_REQUEST], params[LOGGED_MODEL_PARAMS_PER_REQUEST:]
        body: dict[str, Any] = {
            "experiment_id": str(experiment_id),
            "params": [p.to_dict() for p in first],
            "tags": [t.to_dict() for t in tags],
        }
        for key, value in (("name", name), ("source_run_id", source_run_id), ("model_type", model_type)):
            if value is not None:
                body[key] = value
        out = self._http.call("POST", API + "/logged-models", json=body, retry_safe=False)
        model = LoggedModel.from_dict(out.get("model") or {})
        if rest:
            self.log_logged_model_params(model.model_id, rest)
            model = self.get_logged_model(model.model_id)
        return model

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        params: Params | None = {"allow_deleted": True} if allow_deleted else None
        out = self._http.call("GET", _model_path(model_id), params=params)
        return LoggedModel.from_dict(out.get("model") or {})

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        body = {"model_id": model_id, "status": LoggedModelStatus.parse(status).value}
        out = self._http.call("PATCH", _model_path(model_id), json=body)
        return LoggedModel.from_dict(out.get("model") or {})

    def set_logged_model_tags(self, model_id: str, tags: Sequence[LoggedModelTag]) -> None:
        body = {"model_id": model_id, "tags": [t.to_dict() for t in tags]}
        self._http.call("PATCH", _model_path(model_id) + "/tags", json=body)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self._http.call("DELETE", _model_path(model_id) + "/tags/" + quote(key, safe=""))

    def log_logged_model_params(self, model_id: str, params: Sequence[LoggedModelParameter]) -> None:
        for start in range(0, len(params), LOGGED_MODEL_PARAMS_PER_REQUEST):
            chunk = params[start : start + LOGGED_MODEL_PARAMS_PER_REQUEST]
            body = {"model_id": model_id, "params": [p.to_dict() for p in chunk]}
            self._http.call("POST", _model_path(model_id) + "/params", json=body, retry_safe=True)

    def delete_logged_model(self, model_id: str) -> None:
        self._http.call("DELETE", _model_path(model_id), json={"model_id": model_id})

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[dict[str, str]] | None = None,
        max_results: int = 50,
        order_by: Sequence[dict[str, object]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        body: dict[str, Any] = {"experiment_ids": [str(e) for e in experiment_ids], "max_results": max_results}
        if filter_string:
            body["filter"] = filter_string
        if datasets:
            body["datasets"] = [_dataset_filter(d) for d in datasets]
        if order_by:
            body["order_by"] = [_model_order(o) for o in order_by]
        if page_token:
            body["page_token"] = page_token
        out = self._post("/logged-models/search", body, retry_safe=True)
        return PagedList([LoggedModel.from_dict(m) for m in _items(out, "models")], _token(out))

    def close(self) -> None:
        """Nothing to do: the connection pool is shared by every store of this server."""


def _dataset_filter(entry: dict[str, str]) -> dict[str, str]:
    out = {"dataset_name": entry["dataset_name"]}
    if entry.get("dataset_digest"):
        out["dataset_digest"] = entry["dataset_digest"]
    return out


def _model_order(entry: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {"field_name": entry["field_name"], "ascending": bool(entry.get("ascending", True))}
    for key in ("dataset_name", "dataset_digest"):
        if entry.get(key):
            out[key] = entry[key]
    return out


def _refuse_chosen(**values: object) -> None:
    """MLflow's create requests carry no id or creation time: refuse rather than drop them."""
    given = sorted(k for k, v in values.items() if v is not None)
    if given:
        raise InvalidArgument(f"{', '.join(given)}: not supported by MLflow's REST API (keeps_ids is False)")
