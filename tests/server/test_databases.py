"""The REST layer against every SQL backend (SQLite, PostgreSQL, MariaDB): representative flows."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from tests.server.conftest import make_store
from tests.server.helpers import BASE_URL, Api

from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.server import Settings, create_app


@pytest.fixture
def db_api(database_uri: str, tmp_path: Path) -> Iterator[Api]:
    dest = tmp_path / "dest"
    settings = Settings(backend_store_uri=database_uri, artifacts_destination=dest.as_uri()).resolved(tmp_path)
    store = make_store(database_uri, "mlflow-artifacts:/")
    app = create_app(settings, store, LocalArtifactRepository(dest.as_uri()))
    with TestClient(app, base_url=BASE_URL) as client:
        yield Api(client)
    store.close()


def test_tracking_flow(db_api: Api) -> None:
    api = db_api
    name = f"db-{uuid.uuid4().hex[:8]}"
    exp_id = api.experiment(name)
    api.error("POST", "experiments/create", {"name": name}, 400, "RESOURCE_ALREADY_EXISTS")
    run_id = api.run(exp_id, run_name="r1")["info"]["run_id"]
    ts = int(time.time() * 1000)
    api.post("runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "m", "value": v, "timestamp": ts, "step": i}
        for i, v in enumerate([1.0, "NaN", "Infinity", "-Infinity", 2.5])],
        "params": [{"key": "alpha", "value": "0.5"}], "tags": [{"key": "Team", "value": "A"}]})
    hist = api.get("metrics/get-history", {"run_id": run_id, "metric_key": "m"})["metrics"]
    assert [m["value"] for m in hist] == [1.0, "NaN", "Infinity", "-Infinity", 2.5]
    api.error("POST", "runs/log-parameter", {"run_id": run_id, "key": "alpha", "value": "0.6"})
    other = api.run(exp_id, run_name="r2")["info"]["run_id"]
    api.post("runs/log-metric", {"run_id": other, "key": "m", "value": 0.5, "timestamp": ts})
    res = api.post("runs/search", {"experiment_ids": [exp_id], "filter": "metrics.m > 1 and tags.Team = 'A'"})
    assert [r["info"]["run_id"] for r in res["runs"]] == [run_id]
    res = api.post("runs/search", {"experiment_ids": [exp_id], "filter": "tags.Team = 'a'"})
    assert res == {}
    api.error("POST", "runs/search", {"experiment_ids": [exp_id], "filter": "params.alpha = 'x'; DROP TABLE runs"})
    res = api.post("runs/search", {"experiment_ids": [exp_id], "filter": "params.alpha = 'x'' OR ''1''=''1'"})
    assert res == {}
    res = api.post("runs/search", {"experiment_ids": [exp_id], "order_by": ["metrics.m ASC"]})
    assert [r["info"]["run_id"] for r in res["runs"]] == [other, run_id]


def test_logged_model_flow(db_api: Api) -> None:
    api = db_api
    exp_id = api.experiment(f"lm-{uuid.uuid4().hex[:8]}")
    run_id = api.run(exp_id)["info"]["run_id"]
    model = api.post("logged-models", {"experiment_id": exp_id, "name": "model", "source_run_id": run_id})
    model_id = model["model"]["info"]["model_id"]
    api.post("runs/outputs", {"run_id": run_id, "models": [{"model_id": model_id, "step": 0}]})
    api.post(f"logged-models/{model_id}", {"status": "LOGGED_MODEL_READY"}, method="PATCH")
    found = api.post("logged-models/search", {"experiment_ids": [exp_id], "filter": "name = 'model'"})
    assert [m["info"]["model_id"] for m in found["models"]] == [model_id]
    assert found["models"][0]["info"]["status"] == "LOGGED_MODEL_READY"
    api.client.put(f"/api/2.0/mlflow-artifacts/artifacts/{exp_id}/models/{model_id}/artifacts/MLmodel",
                   content=b"flavors: {}")
    listing = api.get(f"logged-models/{model_id}/artifacts/directories")
    assert listing["files"] == [{"path": "MLmodel", "is_dir": False, "file_size": 11}]
