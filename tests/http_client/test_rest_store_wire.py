"""RestStore sends what MLflow's client sends (recorded through ``httpx.MockTransport``)."""

from __future__ import annotations

import math
from typing import Any

import httpx
import orjson
import pytest

from tracklog.client.transport import HttpSettings, HttpTransport
from tracklog.entities import LoggedModelParameter, LoggedModelStatus, Metric, Param, RunStatus
from tracklog.exceptions import EndpointNotFound
from tracklog.store.rest import RestStore


class Server:
    def __init__(self, answers: dict[str, Any] | None = None) -> None:
        self.answers = answers or {}
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.answers.get(f"{request.method} {request.url.path}", {})
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, content=orjson.dumps(answer))

    def store(self) -> RestStore:
        http = HttpTransport("http://h:5000", HttpSettings(max_retries=0),
                             transport=httpx.MockTransport(self.handler))
        return RestStore("http://h:5000", transport=http)

    def sent(self, i: int = -1) -> tuple[str, str, dict[str, list[str]], Any]:
        r = self.requests[i]
        query: dict[str, list[str]] = {}
        for k, v in r.url.params.multi_items():
            query.setdefault(k, []).append(v)
        return r.method, r.url.path, query, orjson.loads(r.content) if r.content else None


API = "/api/2.0/mlflow"


def test_reads_are_gets_with_query_params() -> None:
    srv = Server({f"GET {API}/runs/get": {"run": {"info": {"run_id": "r1", "status": "RUNNING"}}}})
    store = srv.store()
    assert store.get_run("r1").info.run_id == "r1"
    assert srv.sent() == ("GET", f"{API}/runs/get", {"run_id": ["r1"], "run_uuid": ["r1"]}, None)
    store.get_experiment("7")
    assert srv.sent()[:3] == ("GET", f"{API}/experiments/get", {"experiment_id": ["7"]})
    store.get_metric_history("r1", "loss", max_results=10, page_token="tok")
    assert srv.sent()[2] == {"run_id": ["r1"], "run_uuid": ["r1"], "metric_key": ["loss"],
                             "max_results": ["10"], "page_token": ["tok"]}
    store.get_metric_history_bulk_interval(["a", "b"], "loss", 50, 0, 9)
    assert srv.sent()[1:3] == (f"{API}/metrics/get-history-bulk-interval", {
        "run_ids": ["a", "b"], "metric_key": ["loss"], "max_results": ["50"], "start_step": ["0"],
        "end_step": ["9"]})


def test_get_experiment_by_name_none_only_on_resource_does_not_exist() -> None:
    missing = httpx.Response(404, json={"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no"})
    srv = Server({f"GET {API}/experiments/get-by-name": missing})
    assert srv.store().get_experiment_by_name("x") is None
    assert srv.sent()[2] == {"experiment_name": ["x"]}
    srv = Server({f"GET {API}/experiments/get-by-name": httpx.Response(404, text="<html>")})
    with pytest.raises(EndpointNotFound):
        srv.store().get_experiment_by_name("x")


def test_writes_are_json_posts() -> None:
    srv = Server({f"POST {API}/runs/update": {"run_info": {"run_id": "r", "status": "FINISHED"}}})
    store = srv.store()
    store.log_metric("r", Metric("loss", math.nan, 5, 2))
    assert srv.sent() == ("POST", f"{API}/runs/log-metric", {}, {
        "key": "loss", "value": "NaN", "timestamp": 5, "step": 2, "run_id": "r", "run_uuid": "r"})
    store.log_param("r", Param("a", "1"))
    assert srv.sent()[3] == {"run_id": "r", "run_uuid": "r", "key": "a", "value": "1"}
    assert store.update_run_info("r", RunStatus.FINISHED, 10).status is RunStatus.FINISHED
    assert srv.sent()[3] == {"run_id": "r", "run_uuid": "r", "status": "FINISHED", "end_time": 10}
    assert srv.requests[-1].headers["Content-Type"] == "application/json"


def test_search_passes_page_tokens_through() -> None:
    srv = Server({f"POST {API}/runs/search": {"runs": [], "next_page_token": "next"}})
    page = srv.store().search_runs(["1"], "metrics.a > 1", max_results=5, order_by=["metrics.a"],
                                   page_token="prev")
    assert page.token == "next"
    assert srv.sent()[3] == {"experiment_ids": ["1"], "run_view_type": "ACTIVE_ONLY", "max_results": 5,
                             "filter": "metrics.a > 1", "order_by": ["metrics.a"], "page_token": "prev"}
    srv = Server({f"POST {API}/experiments/search": {"experiments": [], "next_page_token": ""}})
    assert srv.store().search_experiments().token is None


def test_log_batch_is_split() -> None:
    srv = Server()
    srv.store().log_batch("r", metrics=[Metric("m", 1.0, i, i) for i in range(2500)],
                          params=[Param(f"p{i}", "v") for i in range(120)])
    sizes = [(len(b["params"]), len(b["metrics"])) for b in (orjson.loads(r.content) for r in srv.requests)]
    assert sizes == [(100, 900), (20, 980), (0, 620)]  # at most 1000 entities per request
    assert {r.url.path for r in srv.requests} == {f"{API}/runs/log-batch"}


def test_search_datasets_uses_the_ajax_route() -> None:
    srv = Server({"POST /ajax-api/2.0/mlflow/experiments/search-datasets": {"dataset_summaries": [
        {"experiment_id": "1", "name": "iris", "digest": "d", "context": "training"},
        {"experiment_id": "1", "name": "wine", "digest": "e"}]}})
    summaries = srv.store().search_datasets(["1"])
    assert [tuple(s) for s in summaries] == [("1", "iris", "d", "training"), ("1", "wine", "e", None)]


def test_logged_model_routes() -> None:
    model = {"model": {"info": {"model_id": "m-1", "status": "LOGGED_MODEL_READY"}}}
    srv = Server({f"POST {API}/logged-models": model, f"GET {API}/logged-models/m-1": model,
                  f"PATCH {API}/logged-models/m-1": model})
    store = srv.store()
    store.create_logged_model("1", "net", params=[LoggedModelParameter(f"p{i}", "v") for i in range(150)])
    calls = [(r.method, r.url.path) for r in srv.requests]
    assert calls == [("POST", f"{API}/logged-models"), ("POST", f"{API}/logged-models/m-1/params"),
                     ("GET", f"{API}/logged-models/m-1")]
    assert len(orjson.loads(srv.requests[0].content)["params"]) == 100
    assert len(orjson.loads(srv.requests[1].content)["params"]) == 50
    store.get_logged_model("m-1", allow_deleted=True)
    assert srv.sent()[2] == {"allow_deleted": ["true"]}
    store.finalize_logged_model("m-1", LoggedModelStatus.READY)
    assert srv.sent() == ("PATCH", f"{API}/logged-models/m-1", {},
                          {"model_id": "m-1", "status": "LOGGED_MODEL_READY"})
    store.delete_logged_model_tag("m-1", "a/b c")
    assert srv.requests[-1].url.raw_path == b"/api/2.0/mlflow/logged-models/m-1/tags/a%2Fb%20c"
    store.delete_logged_model("m-1")
    assert srv.sent() == ("DELETE", f"{API}/logged-models/m-1", {}, {"model_id": "m-1"})
    store.search_logged_models(["1"], "name = 'x'", [{"dataset_name": "d"}], 10,
                               [{"field_name": "metrics.acc", "ascending": False}], "tok")
    assert srv.sent()[3] == {"experiment_ids": ["1"], "max_results": 10, "filter": "name = 'x'",
                             "datasets": [{"dataset_name": "d"}],
                             "order_by": [{"field_name": "metrics.acc", "ascending": False}],
                             "page_token": "tok"}
