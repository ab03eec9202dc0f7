"""MLflow's multipart upload (``mpu/create|complete|abort``) and presigned downloads through tracklog.

Against an S3 destination (moto) the official client's large-file path sends the
parts straight to the store with the presigned part URLs the server hands out;
against a local destination the server answers the "not supported" 501 the
client falls back from (one streamed PUT).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.artifact_stores.emulators import Emulator, boto3_client, moto  # noqa: F401
from tests.artifact_stores.servers import StoreServer, stop, store_server
from tests.compat.conftest import ServerProcess
from tests.compat.multipart import MiB, patterned_file, small_part_clients

pytestmark = [pytest.mark.compat, pytest.mark.xdist_group("moto-multipart")]

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402

PROXY = "/api/2.0/mlflow-artifacts"
UNSUPPORTED = "Multipart upload is not supported for the current artifact repository"


@pytest.fixture(scope="module")
def s3_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    from tests.artifact_stores.emulators import running

    emu = running(request, "moto")
    server = store_server("s3", emu, tmp_path_factory.mktemp("mpu-s3"))
    try:
        yield server
    finally:
        stop(server)


@pytest.fixture
def client_for(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An official client pointed at ``url``, with small multipart thresholds (3 parts of 5 MiB)."""
    with small_part_clients(monkeypatch, proxy_multipart=True) as make:
        yield make


def _new_run(client: MlflowClient) -> Any:
    exp = client.create_experiment(f"mpu-{os.urandom(4).hex()}")
    return client.create_run(exp)


def test_server_info_advertises_s3_capabilities(s3_server: StoreServer) -> None:
    info = httpx.get(f"{s3_server.url}/api/3.0/mlflow/server-info").json()
    assert info["multipart_uploads_enabled"] is True
    assert info["multipart_downloads_enabled"] is True


def test_official_client_large_file_goes_multipart_to_s3(
    s3_server: StoreServer, moto: Emulator, client_for: Any, tmp_path: Path  # noqa: F811
) -> None:
    client = client_for(s3_server.url)
    run = _new_run(client)
    big = tmp_path / "big.bin"
    digest = patterned_file(big, 12 * MiB + 123)
    client.log_artifact(run.info.run_id, str(big), "models")
    listed = client.list_artifacts(run.info.run_id, "models")
    assert [(f.path, f.file_size) for f in listed] == [("models/big.bin", 12 * MiB + 123)]
    # The object was assembled from 3 parts (an S3 multipart ETag ends in "-<parts>").
    bucket, _, prefix = s3_server.root.removeprefix("s3://").partition("/")
    key = f"{prefix}/{run.info.experiment_id}/{run.info.run_id}/artifacts/models/big.bin"
    assert boto3_client(moto).head_object(Bucket=bucket, Key=key)["ETag"].endswith('-3"')
    # Downloads use the presigned URL (server-info says multipart_downloads_enabled), byte for byte.
    out = client.download_artifacts(run.info.run_id, "models/big.bin", str(tmp_path / "dl"))
    assert hashlib.sha256(Path(out).read_bytes()).hexdigest() == digest


def test_parts_are_invisible_until_complete_and_abort_cleans_up(
    s3_server: StoreServer, moto: Emulator, client_for: Any  # noqa: F811
) -> None:
    client = client_for(s3_server.url)
    run = _new_run(client)
    directory = f"{run.info.experiment_id}/{run.info.run_id}/artifacts/d"
    created = httpx.post(f"{s3_server.url}{PROXY}/mpu/create/{directory}",
                         json={"path": "/somewhere/local/f.bin", "num_parts": 2}).json()
    assert [c["part_number"] for c in created["credentials"]] == [1, 2]
    first = httpx.put(created["credentials"][0]["url"], content=b"x" * (5 * MiB))
    second = httpx.put(created["credentials"][1]["url"], content=b"tail")
    assert first.status_code == second.status_code == 200
    assert client.list_artifacts(run.info.run_id, "d") == []  # nothing published yet
    parts = [{"part_number": 1, "etag": first.headers["ETag"]}, {"part_number": 2, "etag": second.headers["ETag"]}]
    done = httpx.post(f"{s3_server.url}{PROXY}/mpu/complete/{directory}",
                      json={"path": "f.bin", "upload_id": created["upload_id"], "parts": parts})
    assert done.status_code == 200, done.text
    assert [(f.path, f.file_size) for f in client.list_artifacts(run.info.run_id, "d")] == [
        ("d/f.bin", 5 * MiB + 4)]

    aborted = httpx.post(f"{s3_server.url}{PROXY}/mpu/create/{directory}",
                         json={"path": "g.bin", "num_parts": 1}).json()
    assert httpx.put(aborted["credentials"][0]["url"], content=b"never").status_code == 200
    r = httpx.post(f"{s3_server.url}{PROXY}/mpu/abort/{directory}",
                   json={"path": "g.bin", "upload_id": aborted["upload_id"]})
    assert r.status_code == 200, r.text
    bucket, _, prefix = s3_server.root.removeprefix("s3://").partition("/")
    pending = boto3_client(moto).list_multipart_uploads(Bucket=bucket, Prefix=f"{prefix}/{directory}")
    assert pending.get("Uploads", []) == []
    assert [f.path for f in client.list_artifacts(run.info.run_id, "d")] == ["d/f.bin"]


def test_multipart_paths_are_checked(s3_server: StoreServer) -> None:
    for directory, name in [("1/%2E%2E/%2E%2E/x", "f.bin"), ("1/r/artifacts", ".."),
                            ("1/r/artifacts", "C:\\\\tmp\\\\.."), ("1/r/artifacts", "")]:
        r = httpx.post(f"{s3_server.url}{PROXY}/mpu/create/{directory}", json={"path": name, "num_parts": 1})
        assert r.status_code in (400, 404), (directory, name, r.text)
    r = httpx.post(f"{s3_server.url}{PROXY}/mpu/frobnicate/1/r", json={"path": "f", "num_parts": 1})
    assert r.status_code == 404
    r = httpx.post(f"{s3_server.url}{PROXY}/mpu/complete/1/r", json={"path": "f", "upload_id": "u", "parts": []})
    assert r.status_code == 400, r.text
    r = httpx.post(f"{s3_server.url}{PROXY}/mpu/abort/1/r", json={"path": "f", "upload_id": "nope"})
    assert r.status_code == 404, r.text


def test_local_destination_answers_not_supported_and_the_client_falls_back(
    tracklog_server: ServerProcess, client_for: Any, tmp_path: Path
) -> None:
    info = httpx.get(f"{tracklog_server.url}/api/3.0/mlflow/server-info").json()
    assert info["multipart_uploads_enabled"] is False and info["multipart_downloads_enabled"] is False
    r = httpx.post(f"{tracklog_server.url}{PROXY}/mpu/create/1/r/artifacts", json={"path": "f", "num_parts": 1})
    assert r.status_code == 501 and r.json()["message"].startswith(UNSUPPORTED)
    r = httpx.get(f"{tracklog_server.url}{PROXY}/presigned/1/r/artifacts/f")
    assert r.status_code == 501
    client = client_for(tracklog_server.url)
    run = _new_run(client)
    big = tmp_path / "fallback.bin"
    digest = patterned_file(big, 3 * MiB)
    client.log_artifact(run.info.run_id, str(big))
    out = client.download_artifacts(run.info.run_id, "fallback.bin", str(tmp_path / "dl"))
    assert hashlib.sha256(Path(out).read_bytes()).hexdigest() == digest
