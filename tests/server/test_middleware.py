"""Safety middleware: Host allowlist, cross-origin writes, CORS, body rules, headers, 500s."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from starlette.testclient import TestClient

from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.server import Settings, create_app
from tracklog.server.middleware.trusted_host import HostRules

API = "/api/2.0/mlflow"


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1:80", "[::1]:5000", "LOCALHOST"])
def test_default_hosts_allowed(stub_client: TestClient, host: str) -> None:
    r = stub_client.get("/version", headers={"host": host})
    assert r.status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "10.evil.example", "localhost.evil.example",
                                  "127.0.0.1.nip.io", "2130706433", "", "localhost@evil", "[::2]:5000"])
def test_foreign_hosts_rejected(stub_client: TestClient, host: str) -> None:
    r = stub_client.get(f"{API}/experiments/get?experiment_id=0", headers={"host": host})
    assert r.status_code == 403
    assert r.json() == {"error_code": "PERMISSION_DENIED", "message": "Invalid Host header"}
    assert r.headers["x-content-type-options"] == "nosniff"


def test_health_is_exempt_from_host_check(stub_client: TestClient) -> None:
    r = stub_client.get("/health", headers={"host": "evil.example"})
    assert r.status_code == 200 and r.text == "OK"


def test_host_rules_match_addresses_not_text() -> None:
    rules = HostRules.build(["localhost", "10.*", "192.168.0.0/16", "*.corp.example", "fd00::1"])
    assert rules.allows("10.1.2.3:5000")
    assert not rules.allows("10.evil.example")
    assert rules.allows("192.168.7.7")
    assert not rules.allows("192.169.0.1")
    assert rules.allows("ml.corp.example:443")
    assert not rules.allows("corp.example.evil.example")
    assert rules.allows("[fd00::1]:80")
    assert not rules.allows("10.1.2.3.evil.example")
    everything = HostRules.build(["*"])
    assert everything.allows("192.168.1.5:5000") and everything.allows("anything.example")
    assert not everything.allows("")


def test_allowed_hosts_setting(tmp_path: Path, stub_store: mock.Mock) -> None:
    settings = Settings(backend_store_uri="sqlite://", allowed_hosts=("ml.example.com", "10.0.0.0/8"),
                        artifacts_destination=tmp_path.as_uri()).resolved(tmp_path)
    app = create_app(settings, stub_store, LocalArtifactRepository(tmp_path.as_uri()))
    with TestClient(app) as c:
        assert c.get("/version", headers={"host": "ml.example.com:8080"}).status_code == 200
        assert c.get("/version", headers={"host": "10.2.3.4"}).status_code == 200
        assert c.get("/version", headers={"host": "10.evil.example"}).status_code == 403


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://localhost.evil.example",
                                    "http://127.0.0.1.evil.example:80"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_cross_origin_writes_rejected(stub_client: TestClient, stub_store: mock.Mock, origin: str,
                                      method: str) -> None:
    r = stub_client.request(method, f"{API}/experiments/delete", json={"experiment_id": "0"},
                            headers={"origin": origin})
    assert r.status_code == 403
    assert r.json()["error_code"] == "PERMISSION_DENIED"
    assert "access-control-allow-origin" not in r.headers
    assert not stub_store.method_calls


def test_cross_origin_text_plain_and_form_posts_rejected(stub_client: TestClient,
                                                         stub_store: mock.Mock) -> None:
    body = '{"name": "pwned", "artifact_location": "s3://attacker"}'
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        r = stub_client.post(f"{API}/experiments/create", content=body,
                             headers={"content-type": ctype, "origin": "https://evil.example"})
        assert r.status_code == 403
        r = stub_client.post(f"{API}/experiments/create", content=body, headers={"content-type": ctype})
        assert r.status_code == 400
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert not stub_store.method_calls


def test_localhost_origin_may_write(stub_client: TestClient, stub_store: mock.Mock) -> None:
    r = stub_client.post(f"{API}/experiments/delete", json={"experiment_id": "3"},
                         headers={"origin": "http://localhost:3000"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert r.headers.get("access-control-allow-credentials") is None
    stub_store.delete_experiment.assert_called_once_with("3")


def test_same_origin_may_write(stub_client: TestClient, stub_store: mock.Mock) -> None:
    r = stub_client.post(f"{API}/experiments/delete", json={"experiment_id": "3"},
                         headers={"origin": "http://localhost:5000", "host": "localhost:5000"})
    assert r.status_code == 200


def test_cross_origin_get_has_no_cors_header(stub_client: TestClient) -> None:
    r = stub_client.get("/version", headers={"origin": "https://evil.example"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


def test_preflight(stub_client: TestClient) -> None:
    ok = stub_client.options(f"{API}/runs/create", headers={
        "origin": "http://127.0.0.1:8080", "access-control-request-method": "POST"})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == "http://127.0.0.1:8080"
    assert "credentials" not in " ".join(ok.headers.keys())
    echoed = stub_client.options(f"{API}/runs/create", headers={
        "origin": "http://localhost:3000", "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, x-custom, bad header"})
    assert echoed.headers["access-control-allow-headers"] == "content-type, x-custom"
    bad = stub_client.options(f"{API}/runs/create", headers={
        "origin": "https://evil.example", "access-control-request-method": "POST"})
    assert bad.status_code == 403
    assert "access-control-allow-origin" not in bad.headers


def test_cors_allowed_origins_setting(tmp_path: Path, stub_store: mock.Mock) -> None:
    settings = Settings(backend_store_uri="sqlite://", cors_allowed_origins=("https://*.example.com",),
                        artifacts_destination=tmp_path.as_uri()).resolved(tmp_path)
    app = create_app(settings, stub_store, LocalArtifactRepository(tmp_path.as_uri()))
    with TestClient(app, base_url="http://localhost") as c:
        good = c.post(f"{API}/experiments/delete", json={"experiment_id": "1"},
                      headers={"origin": "https://ui.example.com"})
        assert good.status_code == 200
        assert good.headers["access-control-allow-origin"] == "https://ui.example.com"
        bad = c.post(f"{API}/experiments/delete", json={"experiment_id": "1"},
                     headers={"origin": "https://ui.example.com.evil.example"})
        assert bad.status_code == 403


def test_security_headers_everywhere(stub_client: TestClient) -> None:
    for r in (stub_client.get("/health"), stub_client.get(f"{API}/nope"),
              stub_client.get("/version", headers={"host": "evil"})):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "SAMEORIGIN"


def test_oversized_json_body(stub_client: TestClient, stub_store: mock.Mock) -> None:
    big = b'{"name": "' + b"a" * (17 * 1024 * 1024) + b'"}'
    r = stub_client.post(f"{API}/experiments/create", content=big,
                         headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        yield b'{"name": "'
        for _ in range(17):
            yield b"a" * (1024 * 1024)
        yield b'"}'

    r = stub_client.post(f"{API}/experiments/create", content=chunks(),
                         headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert not stub_store.method_calls


@pytest.mark.parametrize("body", [b"{bad json", b'{"name": "x"', b"[1, 2]", b'"str"', b"\xff\xfe{}",
                                  b'{"name": "\xc3\x28"}', b"[" * 10000 + b"]" * 10000,
                                  b'{"a":' * 65 + b"1" + b"}" * 65])
def test_malformed_json_is_400(stub_client: TestClient, stub_store: mock.Mock, body: bytes) -> None:
    r = stub_client.post(f"{API}/experiments/create", content=body,
                         headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert not stub_store.method_calls


def test_nesting_up_to_the_limit_is_fine(stub_client: TestClient, stub_store: mock.Mock) -> None:
    stub_store.create_experiment.return_value = "5"
    body = b'{"name": "x", "extra": ' + b"[" * 60 + b"]" * 60 + b"}"
    r = stub_client.post(f"{API}/experiments/create", content=body,
                         headers={"content-type": "application/json"})
    assert r.status_code == 200
    assert r.json() == {"experiment_id": "5"}


def test_unexpected_exception_is_generic_500(stub_client: TestClient, stub_store: mock.Mock) -> None:
    stub_store.get_experiment.side_effect = RuntimeError("password=hunter2 at /secret/path")
    r = stub_client.get(f"{API}/experiments/get", params={"experiment_id": "1"})
    assert r.status_code == 500
    assert r.json() == {"error_code": "INTERNAL_ERROR", "message": "Internal server error"}
    assert "hunter2" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"


def test_unknown_routes_and_methods(stub_client: TestClient) -> None:
    for path in (f"{API}/nope", "/api/2.0/mlflow/registered-models/get", "/ajax-api/2.0/mlflow/x", "/x"):
        r = stub_client.get(path)
        assert r.status_code == 404
        assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    r = stub_client.get(f"{API}/experiments/create")
    assert r.status_code == 405
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
