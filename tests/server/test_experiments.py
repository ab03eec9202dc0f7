"""Experiment endpoints: happy paths, errors and MLflow's exact codes."""

from __future__ import annotations

from starlette.testclient import TestClient
from tests.server.helpers import Api


def test_default_experiment_exists(api: Api) -> None:
    exp = api.get("experiments/get", {"experiment_id": "0"})["experiment"]
    assert exp["name"] == "Default" and exp["lifecycle_stage"] == "active"
    assert api.get("experiments/get-by-name", {"experiment_name": "Default"})["experiment"]["experiment_id"] == "0"


def test_create_get_and_locations(api: Api) -> None:
    exp_id = api.experiment("alpha", tags=[{"key": "team", "value": "ml"}])
    assert isinstance(exp_id, str) and exp_id.isdigit()
    exp = api.get("experiments/get", {"experiment_id": exp_id})["experiment"]
    assert exp["name"] == "alpha"
    assert exp["artifact_location"] == f"mlflow-artifacts:/{exp_id}"
    assert {"key": "team", "value": "ml"} in exp["tags"]
    assert isinstance(exp["creation_time"], int)
    by_name = api.get("experiments/get-by-name", {"experiment_name": "alpha"})["experiment"]
    assert by_name["experiment_id"] == exp_id


def test_get_by_name_missing_is_exact_404(api: Api) -> None:
    msg = api.error("GET", "experiments/get-by-name", {"experiment_name": "nope"}, 404,
                    "RESOURCE_DOES_NOT_EXIST")
    assert "nope" in msg
    assert "experiment_name" in api.error("GET", "experiments/get-by-name", {})


def test_duplicate_name_is_400_already_exists(api: Api) -> None:
    api.experiment("dup")
    api.error("POST", "experiments/create", {"name": "dup"}, 400, "RESOURCE_ALREADY_EXISTS")
    assert api.error("POST", "experiments/create", {}) == "Missing value for required parameter 'name'"
    api.error("POST", "experiments/create", {"name": 5})


def test_unknown_experiment_is_404(api: Api) -> None:
    api.error("GET", "experiments/get", {"experiment_id": "424242"}, 404, "RESOURCE_DOES_NOT_EXIST")


def test_artifact_location_must_stay_inside_root(api: Api) -> None:
    for bad in ("file:///etc", "/etc", "mlflow-artifacts:/../../etc", "http:///#/../../etc/",
                "s3://b/p?../../", "mlflow-artifacts:/1/%2e%2e/%2e%2e"):
        api.error("POST", "experiments/create", {"name": f"x{hash(bad)}", "artifact_location": bad})
    exp_id = api.experiment("inside", artifact_location="mlflow-artifacts:/custom/place")
    exp = api.get("experiments/get", {"experiment_id": exp_id})["experiment"]
    assert exp["artifact_location"] == "mlflow-artifacts:/custom/place"


def test_search_get_and_post(api: Api) -> None:
    for name in ("s-a", "s-b", "other"):
        api.experiment(name)
    res = api.post("experiments/search", {"max_results": 1000, "filter": "name LIKE 's-%'",
                                          "order_by": ["name DESC"]})
    assert [e["name"] for e in res["experiments"]] == ["s-b", "s-a"]
    res = api.get("experiments/search", {"filter": "name = 'other'"})
    assert [e["name"] for e in res["experiments"]] == ["other"]
    page1 = api.post("experiments/search", {"max_results": 2, "order_by": ["name ASC"]})
    assert len(page1["experiments"]) == 2 and page1["next_page_token"]
    page2 = api.post("experiments/search", {"max_results": 2, "order_by": ["name ASC"],
                                            "page_token": page1["next_page_token"]})
    names = [e["name"] for e in page1["experiments"] + page2["experiments"]]
    assert names == sorted(names) and len(names) == 4
    api.error("POST", "experiments/search", {"max_results": 50001})
    api.error("POST", "experiments/search", {"filter": "name = 'x' OR 1=1"})
    api.error("POST", "experiments/search", {"view_type": "SOMETIMES"})


def test_update_delete_restore_tags(api: Api) -> None:
    exp_id = api.experiment("life")
    assert api.post("experiments/update", {"experiment_id": exp_id, "new_name": "life2"}) == {}
    assert api.get("experiments/get", {"experiment_id": exp_id})["experiment"]["name"] == "life2"
    run = api.run(exp_id)
    assert api.post("experiments/delete", {"experiment_id": exp_id}) == {}
    exp = api.get("experiments/get-by-name", {"experiment_name": "life2"})["experiment"]
    assert exp["lifecycle_stage"] == "deleted"
    got = api.get("runs/get", {"run_id": run["info"]["run_id"]})["run"]
    assert got["info"]["lifecycle_stage"] == "deleted"
    deleted = api.post("experiments/search", {"view_type": "DELETED_ONLY"})["experiments"]
    assert [e["experiment_id"] for e in deleted] == [exp_id]
    api.error("POST", "runs/create", {"experiment_id": exp_id})
    assert api.post("experiments/restore", {"experiment_id": exp_id}) == {}
    assert api.get("experiments/get", {"experiment_id": exp_id})["experiment"]["lifecycle_stage"] == "active"
    api.post("experiments/set-experiment-tag", {"experiment_id": exp_id, "key": "mlflow.note.content",
                                                "value": "hello"})
    tags = api.get("experiments/get", {"experiment_id": exp_id})["experiment"]["tags"]
    assert {"key": "mlflow.note.content", "value": "hello"} in tags
    api.post("experiments/delete-experiment-tag", {"experiment_id": exp_id, "key": "mlflow.note.content"})
    assert "tags" not in api.get("experiments/get", {"experiment_id": exp_id})["experiment"]
    api.error("POST", "experiments/delete", {"experiment_id": "999"}, 404, "RESOURCE_DOES_NOT_EXIST")


def test_ajax_mirror(client: TestClient) -> None:
    r = client.get("/ajax-api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
    assert r.status_code == 200 and r.json()["experiment"]["name"] == "Default"


def test_integer_experiment_id_and_unknown_fields(api: Api) -> None:
    exp = api.post("experiments/search", {"max_results": "5", "unknown_field": {"x": 1}})
    assert exp["experiments"][0]["experiment_id"] == "0"
    assert api.post("experiments/set-experiment-tag", {"experiment_id": 0, "key": "k", "value": "v"}) == {}
