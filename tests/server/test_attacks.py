"""The attack catalogue: traversal on every artifact route, symlinks, SQL injection, no state change."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from tests.server.helpers import Api

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
BUNDLE = "/api/2.0/tracklog/artifacts/bundle"
TAR = {"Content-Type": "application/x-tar"}
TRAVERSALS = [
    "../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc%252fpasswd", "%25252e%25252e%25252fetc", "..\\..\\etc\\passwd", "..%5c..%5cetc",
    "%c0%ae%c0%ae/etc", "\uff0e\uff0e/etc", "/etc/passwd", "C:\\x", "\\\\host\\share", "file:///etc",
    "a/../../x", "a/%00b", "a#b", "a?b", "a//b", "a/./b", "a\x01b",
]


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    return secret


@pytest.mark.parametrize("bad", TRAVERSALS)
def test_traversal_rejected_on_every_route(api: Api, destination: Path, planted: Path, bad: str) -> None:
    c: TestClient = api.client
    run = api.run(api.experiment(f"e{abs(hash(bad))}"))["info"]
    run_id = run["run_id"]
    prefix = run["artifact_uri"][len("mlflow-artifacts:/"):]
    c.put(f"{PROXY}/{prefix}/keep.txt", content=b"keep")
    before = sorted(str(p) for p in destination.parent.rglob("*"))
    responses = [
        c.get(PROXY, params={"path": bad}),
        c.get(PROXY, params={"path": f"{prefix}/{bad}"}),
        c.get("/api/2.0/mlflow/artifacts/list", params={"run_id": run_id, "path": bad}),
        c.get("/get-artifact", params={"run_id": run_id, "path": bad}),
        c.post("/ajax-api/2.0/mlflow/upload-artifact", params={"run_uuid": run_id, "path": bad}, content=b"x"),
        c.post(f"{BUNDLE}/{prefix}", headers=TAR, content=_tar_of(bad)),  # as a member name of a bundle
    ]
    if not bad.startswith("/") and "?" not in bad and "#" not in bad:
        # in the URL path itself: encode so the ASGI path (decoded once) is exactly `bad`
        # (httpx would otherwise remove dot segments before sending)
        quoted = bad.replace("%", "%25").replace(".", "%2E").replace("\\", "%5C").replace("\x01", "%01")
        for raw in (f"{PROXY}/{prefix}/{quoted}", f"{PROXY}/{quoted}"):
            responses += [c.get(raw), c.put(raw, content=b"owned"), c.delete(raw)]
        for raw in (f"{BUNDLE}/{prefix}/{quoted}", f"{BUNDLE}/{quoted}"):
            responses += [c.post(raw, headers=TAR, content=_tar_of("owned.txt")), c.get(raw)]
    for r in responses:
        assert r.status_code in (400, 404), (bad, r.request.url, r.status_code, r.text)
        assert "TOP SECRET" not in r.text
        if r.status_code == 404:  # only "endpoint"/"no such file" 404s, never a read
            assert r.json()["error_code"] in ("ENDPOINT_NOT_FOUND", "RESOURCE_DOES_NOT_EXIST")
    after = sorted(str(p) for p in destination.parent.rglob("*"))
    assert after == before
    assert planted.read_text() == "TOP SECRET"


def _tar_of(name: str) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = 5
        tar.addfile(info, io.BytesIO(b"owned"))
    return out.getvalue()


def test_same_error_whether_or_not_target_exists(api: Api) -> None:
    a = api.client.get(f"{PROXY}/../../etc/passwd")
    b = api.client.get(f"{PROXY}/../../does/not/exist")
    assert a.status_code == b.status_code
    a = api.client.get(PROXY, params={"path": "../../etc"})
    b = api.client.get(PROXY, params={"path": "../../nonexistent"})
    assert (a.status_code, a.json()) == (b.status_code, b.json()) and a.status_code == 400


def test_planted_symlink_is_refused(api: Api, destination: Path, planted: Path) -> None:
    _, prefix = (lambda r: (r["run_id"], r["artifact_uri"][len("mlflow-artifacts:/"):]))(
        api.run(api.experiment())["info"])
    (destination / prefix).mkdir(parents=True)
    os.symlink(planted, destination / prefix / "link.txt")
    os.symlink(planted.parent, destination / prefix / "linkdir")
    c = api.client
    for r in (c.get(f"{PROXY}/{prefix}/link.txt"), c.get(f"{PROXY}/{prefix}/linkdir/secret.txt"),
              c.put(f"{PROXY}/{prefix}/linkdir/new.txt", content=b"x"),
              c.delete(f"{PROXY}/{prefix}/linkdir/secret.txt"),
              c.post(f"{BUNDLE}/{prefix}/linkdir", headers=TAR, content=_tar_of("new.txt")),
              c.post(f"{BUNDLE}/{prefix}", headers=TAR, content=_tar_of("linkdir/new.txt")),
              c.post(f"{BUNDLE}/{prefix}", headers=TAR, content=_tar_of("link.txt")),
              c.get(f"{BUNDLE}/{prefix}/linkdir")):
        assert r.status_code in (400, 404), r.text
        assert "TOP SECRET" not in r.text
    listing = c.get(PROXY, params={"path": f"{prefix}/linkdir"})
    assert "secret.txt" not in listing.text
    assert planted.exists() and not (planted.parent / "new.txt").exists()


@pytest.mark.parametrize("filter_string", [
    "metrics.a > 0 OR 1=1",
    "params.x = 'a'; DROP TABLE runs;--",
    "params.`x' OR '1'='1` = 'a'",
    "attributes.run_name = 'a' UNION SELECT * FROM experiments",
    "tags.t = 'x' --",
])
def test_sql_injection_in_filters(api: Api, filter_string: str) -> None:
    exp_id = api.experiment()
    run_id = api.run(exp_id)["info"]["run_id"]
    r = api.client.post("/api/2.0/mlflow/runs/search", json={"experiment_ids": [exp_id], "filter": filter_string})
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        assert r.json() == {}
    # the database is intact
    assert api.get("runs/get", {"run_id": run_id})["run"]["info"]["run_id"] == run_id


@pytest.mark.parametrize("order_by", ["start_time; DROP TABLE runs", "metrics.a DESC, (SELECT 1)",
                                      "run_name) --", "params.`a` ASC; DELETE FROM runs"])
def test_sql_injection_in_order_by(api: Api, order_by: str) -> None:
    exp_id = api.experiment()
    run_id = api.run(exp_id)["info"]["run_id"]
    r = api.client.post("/api/2.0/mlflow/runs/search", json={"experiment_ids": [exp_id], "order_by": [order_by]})
    assert r.status_code == 400, r.text
    assert api.get("runs/get", {"run_id": run_id})["run"]["info"]["run_id"] == run_id


def test_cross_origin_attack_changes_nothing(api: Api) -> None:
    c = api.client
    before = api.post("experiments/search", {})
    for ctype, body in (("text/plain", '{"name": "evil"}'), ("application/x-www-form-urlencoded", "name=evil")):
        r = c.post("/api/2.0/mlflow/experiments/create", content=body,
                   headers={"content-type": ctype, "origin": "https://evil.example"})
        assert r.status_code == 403
        r = c.post("/api/2.0/mlflow/experiments/create", content=body, headers={"content-type": ctype})
        assert r.status_code == 400
    r = c.put(f"{PROXY}/0/x.txt", content=b"x", headers={"origin": "https://evil.example"})
    assert r.status_code == 403
    r = c.post("/api/2.0/mlflow/experiments/create", json={"name": "evil"}, headers={"host": "evil.example"})
    assert r.status_code == 403
    assert api.post("experiments/search", {}) == before


def test_oversized_values_and_keys_are_400(api: Api) -> None:
    run_id = api.run(api.experiment())["info"]["run_id"]
    api.error("POST", "runs/log-parameter", {"run_id": run_id, "key": "k", "value": "v" * 1_000_000})
    api.error("POST", "runs/log-parameter", {"run_id": run_id, "key": "k" * 10_000, "value": "v"})
    api.error("POST", "runs/set-tag", {"run_id": run_id, "key": "bad\x00key", "value": "v"})
    r = api.client.post("/api/2.0/mlflow/runs/set-tag", content=b'{"run_id": "x", "key": "\xff"}',
                        headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert "params" not in api.get("runs/get", {"run_id": run_id})["run"]["data"]


def test_reflected_input_is_json_escaped(api: Api) -> None:
    r = api.client.get("/api/2.0/mlflow/experiments/get-by-name",
                       params={"experiment_name": "<script>alert(1)</script>"})
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    r = api.client.post("/api/2.0/mlflow/experiments/create", content=b"x",
                        headers={"content-type": "text/html<script>"})
    assert r.status_code == 400 and "<script>" not in r.text
