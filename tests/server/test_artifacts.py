"""Artifact proxy and run artifact routes: streaming, listing, Range, content types, direct mode."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from starlette.testclient import TestClient
from tests.server.helpers import BASE_URL, Api

from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.server import Settings, create_app
from tracklog.store.base import TrackingStore

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def _run_prefix(api: Api) -> tuple[str, str]:
    run = api.run(api.experiment())["info"]
    return run["run_id"], run["artifact_uri"][len("mlflow-artifacts:/"):]


def test_put_get_list_delete(api: Api, destination: Path) -> None:
    c = api.client
    run_id, prefix = _run_prefix(api)
    assert c.put(f"{PROXY}/{prefix}/dir/a.txt", content=b"hello").json() == {}
    assert c.put(f"{PROXY}/{prefix}/dir/sub/b.bin", content=b"\x00\x01").status_code == 200
    assert c.put(f"{PROXY}/{prefix}/top.json", content=b"{}").status_code == 200
    assert (destination / prefix / "dir" / "a.txt").read_bytes() == b"hello"
    r = c.get(f"{PROXY}/{prefix}/dir/a.txt")
    assert r.content == b"hello" and r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-disposition"].startswith("attachment")
    listing = c.get(PROXY, params={"path": f"{prefix}/dir"}).json()
    assert sorted((f["path"], f["is_dir"]) for f in listing["files"]) == [("a.txt", False), ("sub", True)]
    assert {"path": "a.txt", "is_dir": False, "file_size": 5} in listing["files"]
    assert c.get(PROXY, params={"path": f"{prefix}/missing"}).json() == {}
    assert c.get(PROXY, params={"path": f"{prefix}/dir/a.txt"}).json() == {}
    root = c.get(PROXY).json()
    assert root["files"]
    # the tracking-side listing: paths relative to the run root
    res = api.get("artifacts/list", {"run_id": run_id})
    assert res["root_uri"].startswith("mlflow-artifacts:/")
    assert sorted(f["path"] for f in res["files"]) == ["dir", "top.json"]
    res = api.get("artifacts/list", {"run_uuid": run_id, "path": "dir"})
    assert sorted(f["path"] for f in res["files"]) == ["dir/a.txt", "dir/sub"]
    assert api.get("artifacts/list", {"run_id": run_id, "path": "nothing"}) == {"root_uri": res["root_uri"]}
    # UI download route
    r = c.get("/get-artifact", params={"run_id": run_id, "path": "dir/sub/b.bin"})
    assert r.status_code == 200 and r.content == b"\x00\x01"
    r = c.get("/get-artifact", params={"run_uuid": run_id, "path": "nope"})
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    # errors and delete
    r = c.get(f"{PROXY}/{prefix}/dir")
    assert r.status_code == 400
    r = c.get(f"{PROXY}/{prefix}/dir/none.txt")
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert c.delete(f"{PROXY}/{prefix}/dir").json() == {}
    assert not (destination / prefix / "dir").exists()
    assert (destination / prefix / "top.json").exists()


def test_ajax_upload_artifact(api: Api, destination: Path) -> None:
    run_id, prefix = _run_prefix(api)
    r = api.client.post("/ajax-api/2.0/mlflow/upload-artifact", params={"run_uuid": run_id, "path": "u/x.txt"},
                        content=b"payload", headers={"content-type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    assert (destination / prefix / "u" / "x.txt").read_bytes() == b"payload"


def test_large_streamed_upload_and_range(api: Api, destination: Path) -> None:
    _, prefix = _run_prefix(api)
    block = os.urandom(1024 * 1024)

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield block

    r = api.client.put(f"{PROXY}/{prefix}/big.bin", content=chunks())
    assert r.status_code == 200
    stored = destination / prefix / "big.bin"
    assert stored.stat().st_size == 20 * len(block)
    r = api.client.get(f"{PROXY}/{prefix}/big.bin")
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(block * 20).digest()
    assert r.headers["accept-ranges"] == "bytes"
    r = api.client.get(f"{PROXY}/{prefix}/big.bin", headers={"range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == block[10:20]
    assert r.headers["content-range"] == f"bytes 10-19/{20 * len(block)}"
    r = api.client.get(f"{PROXY}/{prefix}/big.bin", headers={"range": "bytes=-5"})
    assert r.status_code == 206 and r.content == block[-5:]
    r = api.client.get(f"{PROXY}/{prefix}/big.bin", headers={"range": f"bytes={30 * len(block)}-"})
    assert r.status_code == 416


def test_active_content_is_never_rendered(api: Api) -> None:
    _, prefix = _run_prefix(api)
    payloads = {"x.html": b"<script>alert(1)</script>", "x.svg": b"<svg onload=alert(1)>",
                "x.xml": b"<x/>", "x.js": b"alert(1)", "fake.png": b"<html><script>1</script>"}
    for name, data in payloads.items():
        api.client.put(f"{PROXY}/{prefix}/{name}", content=data)
        r = api.client.get(f"{PROXY}/{prefix}/{name}")
        ctype = r.headers["content-type"]
        assert "html" not in ctype and "svg" not in ctype and "javascript" not in ctype, (name, ctype)
        assert r.headers["content-disposition"].startswith("attachment")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in r.headers["content-security-policy"]
    assert api.client.get(f"{PROXY}/{prefix}/fake.png").headers["content-type"] == "image/png"


def test_no_serve_artifacts_direct_mode(tmp_path: Path, store: TrackingStore) -> None:
    root = tmp_path / "direct"
    settings = Settings(backend_store_uri="sqlite://", serve_artifacts=False,
                        default_artifact_root=root.as_uri(), artifacts_destination=root.as_uri()).resolved(tmp_path)
    from tracklog.store.sql import SqlStore

    direct_store = SqlStore(f"sqlite:///{tmp_path / 'direct.db'}", root.as_uri())
    app = create_app(settings, direct_store, LocalArtifactRepository((tmp_path / "dest").as_uri()))
    with TestClient(app, base_url=BASE_URL) as c:
        api = Api(c)
        exp_id = api.experiment("direct")
        exp = api.get("experiments/get", {"experiment_id": exp_id})["experiment"]
        assert exp["artifact_location"] == f"{root.as_uri()}/{exp_id}"
        run = api.run(exp_id)["info"]
        assert run["artifact_uri"].startswith(root.as_uri())
        run_root = Path(run["artifact_uri"][len("file://"):])
        (run_root / "d").mkdir(parents=True)
        (run_root / "d" / "f.txt").write_bytes(b"direct")
        files = api.get("artifacts/list", {"run_id": run["run_id"], "path": "d"})["files"]
        assert files == [{"path": "d/f.txt", "is_dir": False, "file_size": 6}]
        r = c.get("/get-artifact", params={"run_id": run["run_id"], "path": "d/f.txt"})
        assert r.content == b"direct"
        r = c.put(f"{PROXY}/x/y.txt", content=b"1")
        assert r.status_code == 404 and r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
        assert c.get("/api/3.0/mlflow/server-info").json()["artifact_serving_enabled"] is False
    direct_store.close()


def test_small_file_download_whole_range_and_head(api: Api) -> None:
    """Small files go out as one body (one thread trip); Range and HEAD behave as for large ones."""
    _, prefix = _run_prefix(api)
    c = api.client
    data = bytes(range(256)) * 4
    assert c.put(f"{PROXY}/{prefix}/s.bin", content=data).status_code == 200
    r = c.get(f"{PROXY}/{prefix}/s.bin")
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-length"] == "1024" and r.headers["accept-ranges"] == "bytes"
    assert r.headers["content-disposition"].startswith("attachment") and "sandbox" in r.headers[
        "content-security-policy"]
    r = c.get(f"{PROXY}/{prefix}/s.bin", headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == data[10:20] and r.headers["content-range"] == "bytes 10-19/1024"
    r = c.get(f"{PROXY}/{prefix}/s.bin", headers={"Range": "bytes=5000-"})
    assert r.status_code == 416
    r = c.head(f"{PROXY}/{prefix}/s.bin")
    assert r.status_code == 200 and r.content == b"" and r.headers["content-length"] == "1024"
    assert c.put(f"{PROXY}/{prefix}/empty.txt", content=b"").status_code == 200
    r = c.get(f"{PROXY}/{prefix}/empty.txt")
    assert r.status_code == 200 and r.content == b"" and r.headers["content-length"] == "0"
