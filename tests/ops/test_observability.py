"""In-process: /metrics, request ids, JSON logs and access logs (each test builds its own app)."""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient
from tests.auth.conftest import auth_template_db  # noqa: F401 - fixture
from tests.auth.helpers import AuthWorld, make_world

from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.server import Settings, create_app
from tracklog.server.middleware.metrics import UNMATCHED, RouteTemplates
from tracklog.server.observability.logs import JsonFormatter, TextFormatter, logging_config
from tracklog.server.observability.process import ProcessObservability
from tracklog.store.base import TrackingStore
from tracklog.store.registry import get_store

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


def _app(tmp_path: Path, store: TrackingStore | None = None, **settings: Any) -> tuple[TestClient, TrackingStore]:
    destination = tmp_path / "artifacts"
    destination.mkdir(exist_ok=True)
    s = Settings(backend_store_uri=f"sqlite:///{tmp_path / 'tracking.db'}",
                 artifacts_destination=destination.as_uri(), **settings).resolved(tmp_path)
    assert s.backend_store_uri and s.default_artifact_root
    real = store or get_store(s.backend_store_uri, s.default_artifact_root)
    app = create_app(s, real, LocalArtifactRepository(destination.as_uri()))
    return TestClient(app, base_url="http://localhost:5000", raise_server_exceptions=False), real


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    c, store = _app(tmp_path)
    with c:
        yield c
    store.close()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """JSON lines of the tracklog loggers (as ``tracklog server --log-format json`` writes them)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(n) for n in ("tracklog", "tracklog.access")]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    loggers[0].addHandler(handler)  # tracklog.access propagates to it
    for lg in loggers:
        lg.setLevel(logging.INFO)
        lg.propagate = lg is not loggers[0] or lg.propagate
    yield stream
    loggers[0].removeHandler(handler)
    for lg, (level, propagate) in zip(loggers, saved, strict=True):
        lg.setLevel(level)
        lg.propagate = propagate


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    eid = client.post(f"{API}/experiments/create", json={"name": "e"}).json()["experiment_id"]
    run = client.post(f"{API}/runs/create", json={"experiment_id": eid}).json()["run"]["info"]
    client.post(f"{API}/runs/log-batch", json={"run_id": run["run_id"], "metrics": [
        {"key": "m", "value": 1.0, "timestamp": 1, "step": s} for s in range(5)]})
    for name in ("a.txt", "b.txt", "deep/c.txt"):
        path = f"{ARTIFACTS}/{eid}/{run['run_id']}/artifacts/{name}"
        assert client.put(path, content=b"12345").status_code == 200
    client.post(f"{API}/runs/delete", json={"run_id": run["run_id"]})
    for _ in range(3):
        client.get(f"{API}/experiments/get", params={"experiment_id": "424242"})  # 404
    client.get("/no/such/api", headers={"accept": "application/json"})

    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert value(found, "tracklog_http_requests_total", method="GET", route=f"{API}/experiments/get",
                 status="404") == 3
    # three different artifact paths, one series: the template, never the raw path
    assert value(found, "tracklog_http_requests_total", method="PUT",
                 route="/api/2.0/mlflow-artifacts/artifacts/{artifact_path:path}", status="200") == 3
    assert not any("a.txt" in str(labels) for _, labels in found)
    assert value(found, "tracklog_http_request_duration_seconds_count", method="GET",
                 route=f"{API}/experiments/get") == 3
    assert value(found, "tracklog_runs", status="RUNNING", lifecycle="deleted") == 1
    assert value(found, "tracklog_experiments", lifecycle="active") == 2  # Default + e
    assert value(found, "tracklog_metric_rows") == 5
    assert value(found, "tracklog_artifact_bytes", experiment_id=eid) == 15
    assert value(found, "tracklog_artifact_bytes", experiment_id="0") == 0
    assert value(found, "tracklog_artifact_usage_complete") == 1
    assert value(found, "tracklog_db_pool_size") >= 1
    assert value(found, "tracklog_db_pool_checked_out") == 0  # nothing in use between requests


def test_artifact_sizes_are_cached(client: TestClient, tmp_path: Path) -> None:
    client.put(f"{ARTIFACTS}/0/r/artifacts/a.bin", content=b"x" * 10)
    assert value(samples(client.get("/metrics").text), "tracklog_artifact_bytes", experiment_id="0") == 10
    client.put(f"{ARTIFACTS}/0/r/artifacts/b.bin", content=b"x" * 10)
    found = samples(client.get("/metrics").text)
    assert value(found, "tracklog_artifact_bytes", experiment_id="0") == 10  # until the TTL expires
    assert value(found, "tracklog_artifact_usage_age_seconds") >= 0


def test_artifact_walk_is_bounded(tmp_path: Path) -> None:
    from tracklog.server.artifact_access import ArtifactAccess
    from tracklog.server.observability.artifact_usage import ArtifactUsage

    root = tmp_path / "dest"
    for exp in ("1", "2"):
        for i in range(5):
            (root / exp / "r").mkdir(parents=True, exist_ok=True)
            (root / exp / "r" / f"f{i}").write_bytes(b"ab")
    access = ArtifactAccess(LocalArtifactRepository(root.as_uri()), LocalArtifactRepository)
    locations = [("1", "mlflow-artifacts:/1"), ("2", "mlflow-artifacts:/2")]
    full = ArtifactUsage(access).measure(locations)
    assert full.bytes_by_experiment == {"1": 10, "2": 10} and full.complete and full.objects == 10
    part = ArtifactUsage(access, max_objects=7).measure(locations)
    assert part.bytes_by_experiment == {"1": 10} and not part.complete and part.objects <= 7
    few = ArtifactUsage(access, max_experiments=1).measure(locations)
    assert few.bytes_by_experiment == {"1": 10} and not few.complete


def test_request_ids(client: TestClient) -> None:
    generated = client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/health").headers["x-request-id"] != generated
    assert client.get("/health", headers={"X-Request-ID": "nginx-abc.123"}).headers["x-request-id"] == \
        "nginx-abc.123"
    for insane in (b"x" * 129, b"two words", b'evil\\n{"level":"ERROR"}', "ü".encode(), b""):
        got = client.get("/health", headers={"X-Request-ID": insane})
        assert re.fullmatch(r"[0-9a-f]{32}", got.headers["x-request-id"]), insane
    # errors carry it too
    missing = client.get(f"{API}/experiments/get", params={"experiment_id": "1234"})
    assert missing.status_code == 404 and missing.headers["x-request-id"]


def test_500_log_carries_the_request_id(tmp_path: Path, captured: io.StringIO) -> None:
    broken = mock.Mock(spec=TrackingStore)
    broken.get_experiment.side_effect = RuntimeError("secret detail")
    c, _ = _app(tmp_path, store=broken)
    with c:
        response = c.get(f"{API}/experiments/get", params={"experiment_id": "1"},
                         headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500 and response.headers["x-request-id"] == "req-500"
    assert "secret detail" not in response.text
    errors = [line for line in _lines(captured) if line["level"] == "ERROR"]
    assert errors and all(line["request_id"] == "req-500" for line in errors)
    assert "secret detail" in errors[0]["exception"]


def test_access_log_lines(tmp_path: Path, captured: io.StringIO) -> None:
    c, store = _app(tmp_path, access_log=True)
    with c:
        c.get(f"{API}/experiments/search", params={"max_results": 5}, headers={"X-Request-ID": "r1"})
        c.put(f"{ARTIFACTS}/0/x/artifacts/f.txt", content=b"x")
    lines = [line for line in _lines(captured) if line["logger"] == "tracklog.access"]
    assert len(lines) == 2
    first, second = lines
    assert first["method"] == "GET" and first["route"] == f"{API}/experiments/search"
    assert first["status"] == 200 and first["request_id"] == "r1" and first["duration_ms"] >= 0
    assert "user" not in first
    assert second["route"].endswith("{artifact_path:path}") and second["path"].endswith("f.txt")
    store.close()


def test_no_access_log_by_default(client: TestClient, captured: io.StringIO) -> None:
    client.get("/health")
    assert not [line for line in _lines(captured) if line["logger"] == "tracklog.access"]


@pytest.fixture
def auth_world(tmp_path: Path, auth_template_db: Path) -> Iterator[AuthWorld]:  # noqa: F811
    yield from make_world(tmp_path, auth_template_db, get_store, auth=True, access_log=True)


def test_metrics_need_an_admin_with_auth(auth_world: AuthWorld, captured: io.StringIO) -> None:
    auth_world.user("viewer")
    assert auth_world.status(None, "GET", "/metrics") == 401
    assert auth_world.status("viewer", "GET", "/metrics") == 403
    scraped = auth_world.call("admin", "GET", "/metrics")
    assert scraped.status_code == 200 and "tracklog_http_requests_total" in scraped.text
    auth_world.ok("viewer", "GET", "experiments/search", {"max_results": 1})
    users = {line.get("user") for line in _lines(captured) if line["logger"] == "tracklog.access"}
    assert {"admin", "viewer", None} <= users


def test_refused_requests_name_the_user_but_never_a_failed_attempt(auth_world: AuthWorld,
                                                                  captured: io.StringIO) -> None:
    from tests.auth.helpers import basic

    auth_world.user("viewer")
    exp = auth_world.ok("admin", "POST", "experiments/create", {"name": "private"})["experiment_id"]
    assert auth_world.status("viewer", "GET", "/metrics") == 403  # admin-only route (middleware)
    assert auth_world.status("viewer", "GET", "experiments/get", {"experiment_id": exp}) == 403  # no grant
    tried = auth_world.call(None, "GET", "experiments/search", headers=basic("pasted-secret-1", "wrong-secret-2"))
    assert tried.status_code == 401
    assert auth_world.status(None, "GET", "experiments/search") == 401
    lines = [line for line in _lines(captured) if line["logger"] == "tracklog.access"]
    refused = [(line["status"], line["route"], line.get("user")) for line in lines if line["status"] in (401, 403)]
    assert refused == [
        (403, "/metrics", "viewer"),
        (403, f"{API}/experiments/get", "viewer"),
        (401, f"{API}/experiments/search", None),
        (401, f"{API}/experiments/search", None),
    ]
    # the name a failed Basic attempt tried is on tracklog.auth's own line (same request id), never
    # in the access log; the password is nowhere
    assert "pasted-secret-1" not in json.dumps(lines)
    failed = [line for line in _lines(captured) if line["logger"] == "tracklog.auth"]
    assert [line["request_id"] for line in failed] == [lines[-2]["request_id"]]
    assert "wrong-secret-2" not in captured.getvalue()


def test_metrics_port_setting_moves_metrics_off_the_main_port(tmp_path: Path) -> None:
    c, store = _app(tmp_path, metrics_port=9999)
    with c:
        assert c.get("/metrics").status_code == 404
    store.close()


def test_route_templates() -> None:
    templates = RouteTemplates([f"{API}/runs/get", "/api/2.0/mlflow-artifacts/artifacts/{artifact_path:path}",
                                f"{API}/logged-models/{{model_id}}", "/", "/{path:path}"], prefix="/mlflow")
    assert templates(f"/mlflow{API}/runs/get") == f"{API}/runs/get"
    assert templates("/mlflow/api/2.0/mlflow-artifacts/artifacts/1/a/b.txt").endswith("{artifact_path:path}")
    assert templates(f"/mlflow{API}/logged-models/m-123") == f"{API}/logged-models/{{model_id}}"
    assert templates("/mlflow/experiments/3") == "/{path:path}"
    assert templates("/mlflow") == "/"
    assert templates(f"{API}/runs/get") == UNMATCHED  # outside the prefix
    for i in range(10_000):
        templates(f"/mlflow/ui/{i}")
    assert len(templates._cache) <= 4096


def test_every_declared_route_has_its_own_template() -> None:
    from tracklog.server.routing import all_routes

    templates = RouteTemplates.of_app("")
    for route in all_routes():
        for path in route.paths:
            if "{" not in path:
                assert templates(path) == path


def test_formatters() -> None:
    from tracklog.server.observability.request_id import REQUEST_ID

    record = logging.LogRecord("tracklog.server", logging.WARNING, __file__, 1, "hello %s", ("there",), None)
    token = REQUEST_ID.set("abc")
    try:
        line = json.loads(JsonFormatter().format(record))
        text = TextFormatter().format(record)
    finally:
        REQUEST_ID.reset(token)
    assert line["message"] == "hello there" and line["request_id"] == "abc" and line["level"] == "WARNING"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert text.endswith("WARNING tracklog.server [abc] hello there")
    assert "request_id" not in json.loads(JsonFormatter().format(record))
    with pytest.raises(ValueError):
        logging_config("xml")
    assert logging_config("json", access_log=True)["loggers"]["tracklog.access"]["level"] == "INFO"


def test_process_setup_creates_and_removes_the_multiprocess_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklog.exceptions import InvalidArgument

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    obs = ProcessObservability.setup(Settings())
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    assert obs.created_dir == directory and os.path.isdir(directory)
    obs.close()
    assert not os.path.exists(directory) and "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/operator/choice")
    assert ProcessObservability.setup(Settings()).created_dir is None  # the operator's dir is kept
    for bad in (Settings(log_format="yaml"), Settings(metrics_port=5000), Settings(metrics_port=70000)):
        with pytest.raises(InvalidArgument):
            ProcessObservability.setup(bad)


def test_metrics_port_serves_from_the_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx
    from tests.artifact_stores.emulators import free_port

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    port = free_port()
    c, store = _app(tmp_path)
    obs = ProcessObservability.setup(Settings(metrics_port=port))
    try:
        obs.start_metrics_port(c.app.state.context)  # type: ignore[attr-defined]
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics")
        assert scraped.status_code == 200
        assert value(samples(scraped.text), "tracklog_experiments", lifecycle="active") == 1
    finally:
        obs.close()
        store.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics")
