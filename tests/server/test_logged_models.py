"""Logged-model endpoints: the sequence mlflow.<flavor>.log_model performs, plus errors."""

from __future__ import annotations

from typing import Any

from tests.server.helpers import Api


def _model(api: Api, exp_id: str, **extra: Any) -> dict[str, Any]:
    return dict(api.post("logged-models", {"experiment_id": exp_id, **extra})["model"])


def test_create_get_finalize(api: Api) -> None:
    exp_id = api.experiment()
    run_id = api.run(exp_id)["info"]["run_id"]
    model = _model(api, exp_id, name="model", source_run_id=run_id, model_type="sklearn",
                   params=[{"key": "alpha", "value": "0.5"}], tags=[{"key": "t", "value": "1"}])
    info = model["info"]
    model_id = info["model_id"]
    assert model_id.startswith("m-") and len(model_id) == 34
    assert info["status"] == "LOGGED_MODEL_PENDING"
    assert info["artifact_uri"] == f"mlflow-artifacts:/{exp_id}/models/{model_id}/artifacts"
    assert info["source_run_id"] == run_id and info["model_type"] == "sklearn"
    assert model["data"]["params"] == [{"key": "alpha", "value": "0.5"}]
    got = api.get(f"logged-models/{model_id}")["model"]
    assert got["info"]["model_id"] == model_id
    done = api.post(f"logged-models/{model_id}", {"model_id": model_id, "status": "LOGGED_MODEL_READY"},
                    method="PATCH")["model"]
    assert done["info"]["status"] == "LOGGED_MODEL_READY"
    again = api.post(f"logged-models/{model_id}", {"status": 3}, method="PATCH")["model"]
    assert again["info"]["status"] == "LOGGED_MODEL_UPLOAD_FAILED"
    api.error("PATCH", f"logged-models/{model_id}", {})
    api.error("GET", "logged-models/m-" + "0" * 32, None, 404, "RESOURCE_DOES_NOT_EXIST")
    generated = _model(api, exp_id)
    assert generated["info"]["name"]
    api.error("POST", "logged-models", {"experiment_id": exp_id, "name": "a/b"})
    api.error("POST", "logged-models", {"name": "x"})


def test_tags_params_delete(api: Api) -> None:
    exp_id = api.experiment()
    model_id = _model(api, exp_id, name="m")["info"]["model_id"]
    assert api.post(f"logged-models/{model_id}/tags", {"tags": [{"key": "a/b", "value": "1"},
                                                               {"key": "c", "value": "2"}]},
                    method="PATCH") == {}
    r = api.client.delete(f"/api/2.0/mlflow/logged-models/{model_id}/tags/a/b")
    assert r.status_code == 200 and r.json() == {}
    tags = api.get(f"logged-models/{model_id}")["model"]["info"]["tags"]
    assert tags == [{"key": "c", "value": "2"}]
    params = [{"key": f"p{i}", "value": str(i)} for i in range(150)]
    assert api.post(f"logged-models/{model_id}/params", {"model_id": model_id, "params": params[:100]}) == {}
    assert api.post(f"logged-models/{model_id}/params", {"model_id": model_id, "params": params[100:]}) == {}
    assert len(api.get(f"logged-models/{model_id}")["model"]["data"]["params"]) == 150
    assert api.post(f"logged-models/{model_id}", {"model_id": model_id}, method="DELETE") == {}
    api.error("GET", f"logged-models/{model_id}", None, 404, "RESOURCE_DOES_NOT_EXIST")
    assert api.get(f"logged-models/{model_id}", {"allow_deleted": "true"})["model"]["info"]["model_id"] == model_id


def test_search(api: Api) -> None:
    exp_id = api.experiment()
    run_id = api.run(exp_id)["info"]["run_id"]
    ids = [_model(api, exp_id, name=f"model{i % 2}", source_run_id=run_id)["info"]["model_id"]
           for i in range(5)]
    res = api.post("logged-models/search", {"experiment_ids": [exp_id], "filter": "name = 'model0'"})
    assert {m["info"]["model_id"] for m in res["models"]} == {ids[0], ids[2], ids[4]}
    seen, token = [], None
    while True:
        body: dict[str, Any] = {"experiment_ids": [exp_id], "max_results": 2,
                                "order_by": [{"field_name": "creation_timestamp", "ascending": True}]}
        if token:
            body["page_token"] = token
        res = api.post("logged-models/search", body)
        seen += [m["info"]["model_id"] for m in res.get("models", [])]
        token = res.get("next_page_token")
        if not token:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    assert api.post("logged-models/search", {"experiment_ids": []}) == {}
    api.error("POST", "logged-models/search", {"experiment_ids": [exp_id], "filter": "name = 'x' OR 1=1"})
    api.error("POST", "logged-models/search", {"experiment_ids": [exp_id], "order_by": ["name"]})


def test_artifact_directories(api: Api) -> None:
    exp_id = api.experiment()
    info = _model(api, exp_id, name="m")["info"]
    model_id = info["model_id"]
    rel = info["artifact_uri"][len("mlflow-artifacts:/"):]
    for name in ("MLmodel", "sub/model.pkl"):
        r = api.client.put(f"/api/2.0/mlflow-artifacts/artifacts/{rel}/{name}", content=b"data")
        assert r.status_code == 200
    res = api.get(f"logged-models/{model_id}/artifacts/directories")
    assert res["root_uri"] == info["artifact_uri"]
    assert sorted((f["path"], f["is_dir"]) for f in res["files"]) == [("MLmodel", False), ("sub", True)]
    res = api.get(f"logged-models/{model_id}/artifacts/directories", {"artifact_directory_path": "sub"})
    assert res["files"] == [{"path": "sub/model.pkl", "is_dir": False, "file_size": 4}]
    r = api.client.get(f"/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files",
                       params={"artifact_file_path": "sub/model.pkl"})
    assert r.status_code == 200 and r.content == b"data"
    api.error("GET", f"logged-models/{model_id}/artifacts/directories",
              {"artifact_directory_path": "../../.."})
