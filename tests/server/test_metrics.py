"""Metric history endpoints: paging, bulk interval sampling, ajax bulk history."""

from __future__ import annotations

import math

import pytest
from tests.server.helpers import Api

from tracklog.server.routes import metrics as metric_routes


def _run_with_history(api: Api, exp_id: str, n: int = 30) -> str:
    run_id = api.run(exp_id)["info"]["run_id"]
    api.post("runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "loss", "value": 1.0 / (i + 1), "timestamp": 1000 + i, "step": i} for i in range(n)]})
    return str(run_id)


def test_get_history_paged(api: Api) -> None:
    run_id = _run_with_history(api, api.experiment())
    full = api.get("metrics/get-history", {"run_id": run_id, "metric_key": "loss"})
    assert [m["step"] for m in full["metrics"]] == list(range(30))
    assert "next_page_token" not in full
    got, token = [], None
    while True:
        params = {"run_uuid": run_id, "metric_key": "loss", "max_results": 7}
        if token:
            params["page_token"] = token
        page = api.get("metrics/get-history", params)
        got += page["metrics"]
        token = page.get("next_page_token")
        if not token:
            break
    assert got == full["metrics"]
    assert api.get("metrics/get-history", {"run_id": run_id, "metric_key": "nope"}) == {}
    api.error("GET", "metrics/get-history", {"run_id": run_id})
    api.error("GET", "metrics/get-history", {"run_id": run_id, "metric_key": "loss", "max_results": "x"})
    api.error("GET", "metrics/get-history", {"run_id": "f" * 32, "metric_key": "loss"}, 404,
              "RESOURCE_DOES_NOT_EXIST")


def test_whole_history_is_streamed_in_store_pages(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without max_results every point comes back (read and sent STREAM_PAGE points at a time),
    exactly as one page would render them, non-finite values and -0.0 included."""
    monkeypatch.setattr(metric_routes, "STREAM_PAGE", 4)
    run_id = _run_with_history(api, api.experiment(), 10)
    specials = [math.nan, math.inf, -math.inf, -0.0]
    api.post("runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "loss", "value": str(v) if not math.isfinite(v) else v, "timestamp": 5000, "step": 10 + i}
        for i, v in enumerate(specials)]})
    full = api.get("metrics/get-history", {"run_id": run_id, "metric_key": "loss"})
    assert [m["step"] for m in full["metrics"]] == list(range(14))
    assert [m["value"] for m in full["metrics"][10:]] == ["NaN", "Infinity", "-Infinity", -0.0]
    assert math.copysign(1.0, full["metrics"][13]["value"]) < 0
    assert "next_page_token" not in full
    paged = api.get("metrics/get-history", {"run_id": run_id, "metric_key": "loss", "max_results": 100})
    assert paged["metrics"] == full["metrics"]
    assert api.get("metrics/get-history", {"run_id": run_id, "metric_key": "loss", "max_results": 3})[
        "next_page_token"]


def test_bulk_interval(api: Api) -> None:
    exp_id = api.experiment()
    a, b = _run_with_history(api, exp_id, 50), _run_with_history(api, exp_id, 10)
    res = api.get("metrics/get-history-bulk-interval",
                  {"run_ids": [a, b], "metric_key": "loss", "max_results": 5})
    by_run: dict[str, list[int]] = {}
    for m in res["metrics"]:
        by_run.setdefault(m["run_id"], []).append(m["step"])
    assert len(by_run[a]) <= 6 and by_run[a][0] == 0 and by_run[a][-1] == 49
    res = api.get("metrics/get-history-bulk-interval",
                  {"run_ids": [a], "metric_key": "loss", "start_step": 10, "end_step": 12})
    assert [m["step"] for m in res["metrics"]] == [10, 11, 12]
    api.error("GET", "metrics/get-history-bulk-interval", {"run_ids": [a], "metric_key": "loss", "start_step": 1})
    api.error("GET", "metrics/get-history-bulk-interval", {"run_ids": [a], "metric_key": "loss",
                                                            "max_results": 2501})
    api.error("GET", "metrics/get-history-bulk-interval", {"run_ids": [str(i) for i in range(101)],
                                                            "metric_key": "loss"})
    api.error("GET", "metrics/get-history-bulk-interval", {"metric_key": "loss"})


def test_ajax_bulk(api: Api) -> None:
    exp_id = api.experiment()
    a, b = _run_with_history(api, exp_id, 3), _run_with_history(api, exp_id, 2)
    r = api.client.get("/ajax-api/2.0/mlflow/metrics/get-history-bulk",
                       params={"run_id": [a, b], "metric_key": "loss"})
    assert r.status_code == 200
    metrics = r.json()["metrics"]
    assert len(metrics) == 5 and {m["run_id"] for m in metrics} == {a, b}
    r = api.client.get("/ajax-api/2.0/mlflow/metrics/get-history-bulk", params={"metric_key": "loss"})
    assert r.status_code == 400
    assert api.client.get("/api/2.0/mlflow/metrics/get-history-bulk",
                          params={"run_id": a, "metric_key": "loss"}).status_code == 404
