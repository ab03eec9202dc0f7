"""Server-level routes, the route table/OpenAPI document, static prefix and the error-status map."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from tests.server.helpers import BASE_URL

from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.exceptions import _CODE_TABLE
from tracklog.server import Settings, create_app
from tracklog.server.errors import error_response
from tracklog.server.routing import all_routes
from tracklog.store.base import TrackingStore


def test_health_version_server_info(client: TestClient) -> None:
    assert client.get("/health").text == "OK"
    version = client.get("/version").text
    assert re.fullmatch(r"3\.\d+\.\d+", version)
    info = client.get("/api/3.0/mlflow/server-info").json()
    assert info["store_type"] == "SqlStore"
    assert info["artifact_serving_enabled"] is True
    assert info["multipart_uploads_enabled"] is False and info["multipart_downloads_enabled"] is False
    r = client.post("/api/2.0/mlflow-artifacts/mpu/create/1/x", json={"path": "f", "num_parts": 2})
    assert r.status_code == 501 and r.json()["error_code"] == "NOT_IMPLEMENTED"


def test_openapi_document_comes_from_the_route_table(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    declared = {(r.method.lower(), re.sub(r"\{(\w+)(:path)?\}", r"{\1}", r.path)) for r in all_routes()}
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert declared == documented
    op_ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(op_ids) == len(set(op_ids))
    for path, ops in doc["paths"].items():
        names = set(re.findall(r"\{(\w+)\}", path))
        for op in ops.values():
            in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert in_path == names, (path, op["operationId"])
            assert "200" in op["responses"]
    page = client.get("/api/docs")
    assert page.status_code == 200 and "runs/log-batch" in page.text and "<script" not in page.text


def test_every_route_is_registered_under_api_and_ajax(client: TestClient) -> None:
    app_paths = {r.path for r in client.app.routes if isinstance(r, Route)}  # type: ignore[attr-defined]
    for route in all_routes():
        for path in route.paths:
            assert path in app_paths
        if route.path.startswith("/api/2.0/"):
            assert "/ajax-api/" + route.path[len("/api/"):] in app_paths


def test_openapi_loads_in_schemathesis(client: TestClient) -> None:
    schemathesis = pytest.importorskip("schemathesis")
    schema = schemathesis.openapi.from_dict(client.get("/api/openapi.json").json())
    assert len(list(schema.get_all_operations())) == len(all_routes())


def test_static_prefix(tmp_path: Path, store: TrackingStore) -> None:
    settings = Settings(backend_store_uri="sqlite://", static_prefix="/ml",
                        artifacts_destination=tmp_path.as_uri()).resolved(tmp_path)
    app = create_app(settings, store, LocalArtifactRepository(tmp_path.as_uri()))
    assert any(isinstance(r, Mount) and r.path == "/ml" for r in app.routes)
    with TestClient(app, base_url=BASE_URL) as c:
        assert c.get("/ml/health").text == "OK"
        assert c.get("/ml/health", headers={"host": "evil.example"}).status_code == 200
        assert c.get("/ml/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}).status_code == 200
        assert c.get("/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}).status_code == 404
        assert c.put("/ml/api/2.0/mlflow-artifacts/artifacts/0/x.bin", content=b"raw",
                     headers={"content-type": "application/octet-stream"}).status_code == 200


@pytest.mark.parametrize("code", sorted(_CODE_TABLE))
def test_error_status_map(code: str) -> None:
    cls, status = _CODE_TABLE[code]
    response = error_response(cls("boom", error_code=code))
    assert response.status_code == status
    assert orjson.loads(response.body) == {"error_code": code, "message": "boom"}


def test_client_errors_keep_mlflow_statuses(client: TestClient) -> None:
    cases = [
        ("GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=zz", 404, "RESOURCE_DOES_NOT_EXIST"),
        ("GET", "/api/2.0/mlflow/runs/get?run_id=" + "a" * 32, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("GET", "/api/2.0/mlflow/experiments/get?experiment_id=abc", 400, "INVALID_PARAMETER_VALUE"),
        ("GET", "/api/2.0/mlflow/runs/get?run_id=..%2F..", 400, "INVALID_PARAMETER_VALUE"),
    ]
    for method, url, status, code in cases:
        r = client.request(method, url)
        assert (r.status_code, r.json()["error_code"]) == (status, code), (url, r.text)
        assert set(r.json()) == {"error_code", "message"}
