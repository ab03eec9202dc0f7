"""Run endpoints: lifecycle, logging, batches, inputs/outputs, search and wire conventions."""

from __future__ import annotations

import time

from tests.server.helpers import Api


def _now() -> int:
    return int(time.time() * 1000)


def test_create_and_get(api: Api) -> None:
    exp_id = api.experiment()
    run = api.run(exp_id, run_name="first", tags=[{"key": "t", "value": "1"}])
    info = run["info"]
    assert info["run_id"] == info["run_uuid"] and len(info["run_id"]) == 32
    assert info["run_name"] == "first" and info["status"] == "RUNNING"
    assert info["artifact_uri"] == f"mlflow-artifacts:/{exp_id}/{info['run_id']}/artifacts"
    assert info["lifecycle_stage"] == "active" and "end_time" not in info
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["mlflow.runName"] == "first" and tags["t"] == "1"
    got = api.get("runs/get", {"run_uuid": info["run_id"]})["run"]
    assert got["info"] == info


def test_generated_run_name(api: Api) -> None:
    run = api.run(api.experiment())
    assert run["info"]["run_name"]
    assert {"key": "mlflow.runName", "value": run["info"]["run_name"]} in run["data"]["tags"]


def test_missing_run_is_404(api: Api) -> None:
    api.error("GET", "runs/get", {"run_id": "0" * 32}, 404, "RESOURCE_DOES_NOT_EXIST")
    assert api.error("GET", "runs/get", {}) == "Missing value for required parameter 'run_id'"


def test_update_delete_restore(api: Api) -> None:
    run_id = api.run(api.experiment())["info"]["run_id"]
    end = _now()
    info = api.post("runs/update", {"run_id": run_id, "run_uuid": run_id, "status": "FINISHED",
                                    "end_time": end})["run_info"]
    assert info["status"] == "FINISHED" and info["end_time"] == end
    info = api.post("runs/update", {"run_id": run_id, "status": 4, "run_name": "renamed"})["run_info"]
    assert info["status"] == "FAILED" and info["run_name"] == "renamed"
    tags = {t["key"]: t["value"] for t in api.get("runs/get", {"run_id": run_id})["run"]["data"]["tags"]}
    assert tags["mlflow.runName"] == "renamed"
    api.error("POST", "runs/update", {"run_id": run_id, "status": "DONE"})
    assert api.post("runs/delete", {"run_id": run_id}) == {}
    assert api.get("runs/get", {"run_id": run_id})["run"]["info"]["lifecycle_stage"] == "deleted"
    api.error("POST", "runs/log-parameter", {"run_id": run_id, "key": "a", "value": "1"})
    assert api.post("runs/restore", {"run_id": run_id}) == {}
    assert api.get("runs/get", {"run_id": run_id})["run"]["info"]["lifecycle_stage"] == "active"


def test_params_are_write_once(api: Api) -> None:
    run_id = api.run(api.experiment())["info"]["run_id"]
    body = {"run_id": run_id, "run_uuid": run_id, "key": "lr", "value": "0.1"}
    assert api.post("runs/log-parameter", body) == {}
    assert api.post("runs/log-parameter", body) == {}
    api.error("POST", "runs/log-parameter", {**body, "value": "0.2"})
    params = api.get("runs/get", {"run_id": run_id})["run"]["data"]["params"]
    assert params == [{"key": "lr", "value": "0.1"}]


def test_tags(api: Api) -> None:
    run_id = api.run(api.experiment())["info"]["run_id"]
    api.post("runs/set-tag", {"run_id": run_id, "key": "k", "value": "v1"})
    api.post("runs/set-tag", {"run_uuid": run_id, "key": "k", "value": "v2"})
    tags = {t["key"]: t["value"] for t in api.get("runs/get", {"run_id": run_id})["run"]["data"]["tags"]}
    assert tags["k"] == "v2"
    api.post("runs/delete-tag", {"run_id": run_id, "key": "k"})
    keys = {t["key"] for t in api.get("runs/get", {"run_id": run_id})["run"]["data"]["tags"]}
    assert "k" not in keys
    api.error("POST", "runs/set-tag", {"run_id": run_id})


def test_log_metric_wire_values(api: Api) -> None:
    run_id = api.run(api.experiment())["info"]["run_id"]
    ts = _now()
    big = 2**62
    for step, value in enumerate(["NaN", "Infinity", "-Infinity", 1.5, -0.0, 5e-324]):
        api.post("runs/log-metric", {"run_id": run_id, "key": f"m{step}", "value": value,
                                     "timestamp": str(ts), "step": str(big)})
    metrics = {m["key"]: m for m in api.get("runs/get", {"run_id": run_id})["run"]["data"]["metrics"]}
    assert metrics["m0"]["value"] == "NaN"
    assert metrics["m1"]["value"] == "Infinity"
    assert metrics["m2"]["value"] == "-Infinity"
    assert metrics["m3"]["value"] == 1.5
    assert metrics["m5"]["value"] == 5e-324
    assert metrics["m0"]["step"] == big and metrics["m0"]["timestamp"] == ts
    api.error("POST", "runs/log-metric", {"run_id": run_id, "key": "x", "value": "abc", "timestamp": ts})
    assert "timestamp" in api.error("POST", "runs/log-metric", {"run_id": run_id, "key": "x", "value": 1})
    api.error("POST", "runs/log-metric", {"run_id": run_id, "key": "x", "value": 1, "timestamp": 1.5})


def test_latest_metric_is_highest_step(api: Api) -> None:
    run_id = api.run(api.experiment())["info"]["run_id"]
    ts = _now()
    for step, value in ((0, 1.0), (2, 3.0), (1, 2.0)):
        api.post("runs/log-metric", {"run_id": run_id, "key": "loss", "value": value, "timestamp": ts,
                                     "step": step})
    metrics = api.get("runs/get", {"run_id": run_id})["run"]["data"]["metrics"]
    assert metrics == [{"key": "loss", "value": 3.0, "timestamp": ts, "step": 2}]


def test_log_batch(api: Api) -> None:
    run_id = api.run(api.experiment())["info"]["run_id"]
    ts = _now()
    body = {
        "run_id": run_id,
        "metrics": [{"key": "a", "value": i, "timestamp": ts, "step": i} for i in range(899)],
        "params": [{"key": f"p{i}", "value": str(i)} for i in range(100)],
        "tags": [{"key": "t", "value": "x"}],
    }
    assert api.post("runs/log-batch", body) == {}
    assert api.post("runs/log-batch", body) == {}  # idempotent retry
    hist = api.get("metrics/get-history", {"run_id": run_id, "metric_key": "a"})["metrics"]
    assert len(hist) == 899
    full = {"run_id": run_id, "metrics": [{"key": "b", "value": 1, "timestamp": ts, "step": i}
                                          for i in range(1000)]}
    assert api.post("runs/log-batch", full) == {}


def test_log_batch_limits_write_nothing(api: Api) -> None:
    run_id = api.run(api.experiment())["info"]["run_id"]
    ts = _now()
    too_many = {"run_id": run_id,
                "metrics": [{"key": "a", "value": 1, "timestamp": ts, "step": i} for i in range(1001)]}
    assert "1000" in api.error("POST", "runs/log-batch", too_many)
    api.error("POST", "runs/log-batch", {"run_id": run_id,
                                         "params": [{"key": f"p{i}", "value": "v"} for i in range(101)]})
    api.error("POST", "runs/log-batch", {"run_id": run_id,
                                         "params": [{"key": "d", "value": "1"}, {"key": "d", "value": "2"}]})
    bad_last = {"run_id": run_id, "metrics": [{"key": "ok", "value": 1, "timestamp": ts},
                                              {"key": "bad", "value": "x", "timestamp": ts}]}
    api.error("POST", "runs/log-batch", bad_last)
    api.error("POST", "runs/log-batch", {"run_id": run_id, "metrics": {"key": "a"}})
    data = api.get("runs/get", {"run_id": run_id})["run"]["data"]
    assert "metrics" not in data and "params" not in data


def test_log_inputs_and_outputs(api: Api) -> None:
    exp_id = api.experiment()
    run_id = api.run(exp_id)["info"]["run_id"]
    dataset = {"name": "iris", "digest": "abc123", "source_type": "local", "source": '{"uri": "x"}',
               "schema": '{"cols": []}', "profile": '{"rows": 3}'}
    body = {"run_id": run_id, "datasets": [
        {"tags": [{"key": "mlflow.data.context", "value": "training"}], "dataset": dataset}]}
    assert api.post("runs/log-inputs", body) == {}
    assert api.post("runs/log-inputs", body) == {}
    model = api.post("logged-models", {"experiment_id": exp_id, "name": "m", "source_run_id": run_id})["model"]
    model_id = model["info"]["model_id"]
    assert api.post("runs/outputs", {"run_id": run_id, "models": [{"model_id": model_id, "step": 3}]}) == {}
    api.post("runs/log-inputs", {"run_id": run_id, "models": [{"model_id": model_id}]})
    run = api.get("runs/get", {"run_id": run_id})["run"]
    inputs = run["inputs"]["dataset_inputs"]
    assert len(inputs) == 1 and inputs[0]["dataset"]["name"] == "iris"
    assert inputs[0]["tags"] == [{"key": "mlflow.data.context", "value": "training"}]
    assert run["outputs"]["model_outputs"] == [{"model_id": model_id, "step": 3}]
    assert run["inputs"]["model_inputs"] == [{"model_id": model_id}]
    api.error("POST", "runs/log-inputs", {"run_id": run_id, "datasets": [{"dataset": {"name": "x"}}]})
    summaries = api.client.post("/ajax-api/2.0/mlflow/experiments/search-datasets",
                                json={"experiment_ids": [exp_id]}).json()
    assert summaries["dataset_summaries"] == [
        {"experiment_id": exp_id, "name": "iris", "digest": "abc123", "context": "training"}]


def test_search_runs(api: Api) -> None:
    exp_id = api.experiment()
    ids = []
    for i in range(5):
        run_id = api.run(exp_id, run_name=f"r{i}")["info"]["run_id"]
        ids.append(run_id)
        api.post("runs/log-metric", {"run_id": run_id, "key": "acc", "value": i / 10, "timestamp": _now()})
        api.post("runs/log-parameter", {"run_id": run_id, "key": "alpha", "value": str(i % 2)})
    res = api.post("runs/search", {"experiment_ids": [exp_id], "filter": "metrics.acc >= 0.2 and params.alpha = '0'",
                                   "order_by": ["metrics.acc DESC"]})
    assert [r["info"]["run_name"] for r in res["runs"]] == ["r4", "r2"]
    seen = []
    token = None
    while True:
        body = {"experiment_ids": [exp_id], "max_results": 2, "order_by": ["attributes.run_name ASC"]}
        if token:
            body["page_token"] = token
        res = api.post("runs/search", body)
        seen += [r["info"]["run_name"] for r in res.get("runs", [])]
        token = res.get("next_page_token")
        if not token:
            break
    assert seen == [f"r{i}" for i in range(5)]
    assert api.post("runs/search", {"experiment_ids": []}) == {}
    assert api.post("runs/search", {"experiment_ids": [exp_id], "filter": "params.alpha = 'zzz'"}) == {}
    api.error("POST", "runs/search", {"experiment_ids": [exp_id], "max_results": 50001})
    api.error("POST", "runs/search", {"experiment_ids": [exp_id], "page_token": "garbage!!"})


def test_run_create_errors(api: Api) -> None:
    api.error("POST", "runs/create", {"experiment_id": "12345"}, 404, "RESOURCE_DOES_NOT_EXIST")
    api.error("POST", "runs/create", {"experiment_id": "0", "start_time": "yesterday"})
    run = api.post("runs/create", {"start_time": _now()})["run"]
    assert run["info"]["experiment_id"] == "0"
