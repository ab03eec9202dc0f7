"""Round trips through a real ``tracklog server`` on every store, proxied and direct, with both clients.

For local, S3 (moto), GCS (fake-gcs-server) and Azure (Azurite):

* proxied: ``--artifacts-destination <store>``; the clients hold no store credentials;
* direct: ``--no-serve-artifacts --default-artifact-root <store>``; the clients write
  to the store themselves with the emulator's settings in their environment.

Each case logs a tree with nested directories and a large (sparse, generated) file
through tracklog's client and through the official mlflow client, lists it with
sizes, downloads it byte for byte and deletes the run's tree. The many-files
case checks that listings (through the server when proxied, by the clients
themselves when direct) follow every store page: 10,000
files on the local store; on the emulators (whose writes are slow) 1,001 files,
one more than an S3 or GCS page (Azure's 5,000-blob pages are crossed at the
repository level in test_cloud_stores.py). ``TRACKLOG_TEST_MANY_FILES=10000``
runs the full count everywhere.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.artifact_stores.emulators import running
from tests.artifact_stores.servers import StoreServer, client_env, stop, store_server
from tests.compat.conftest import CLIENT_ENV

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("store-servers")]

MiB = 1024 * 1024
KINDS = ["local", "s3", "gcs", "azure"]
EMULATOR = {"s3": "moto", "gcs": "fake-gcs-server", "azure": "azurite"}
# One > 100 MB file per store through the proxy with tracklog's client; smaller (still multi-part:
# above the 5 MiB part size) elsewhere, so the whole module stays within a minute or two.
BIG_PROXIED = 101 * MiB
BIG_OTHER = 6 * MiB + 7
MANY = {"local": 10_000} if not os.environ.get("TRACKLOG_TEST_MANY_FILES") else {
    kind: int(os.environ["TRACKLOG_TEST_MANY_FILES"]) for kind in ["local", "s3", "gcs", "azure"]}


@pytest.fixture(scope="module", params=[(kind, mode) for kind in KINDS for mode in ("proxied", "direct")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    kind, mode = request.param
    emu = running(request, EMULATOR[kind]) if kind in EMULATOR else None
    srv = store_server(kind, emu, tmp_path_factory.mktemp(f"{kind}-{mode}"), proxied=mode == "proxied")
    try:
        yield srv
    finally:
        stop(srv)


@pytest.fixture
def env(server: StoreServer, monkeypatch: pytest.MonkeyPatch) -> StoreServer:
    """The clients' environment: the tracking URI, and in direct mode the store's settings."""
    for key in [k for k in os.environ if k.startswith(("MLFLOW_", "TRACKLOG_", "AWS_", "AZURE_"))]:
        monkeypatch.delenv(key)
    for key in ("STORAGE_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in CLIENT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    monkeypatch.setenv("TRACKLOG_TRACKING_URI", server.url)
    if server.mode == "direct":
        for key, value in client_env(server.kind, server.emu).items():
            monkeypatch.setenv(key, value)
    return server


def make_tree(root: Path, big: int) -> dict[str, str]:
    """A tree with nested directories and one sparse ``big.bin``; returns relative path -> sha256."""
    files = {
        "a.txt": b"alpha\n",
        "empty.txt": b"",
        "sub/b.json": b'{"b": 1}',
        "sub/deeper/c.bin": os.urandom(300_000),
        "sub/deeper/d d.txt": "unicode ✓ name".encode(),
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    with open(root / "big.bin", "wb") as out:  # sparse, with data at both ends and the middle
        out.truncate(big)
        for offset in (0, big // 2, big - 4096):
            out.seek(offset)
            out.write(os.urandom(4096))
    return {p.relative_to(root).as_posix(): _sha(p) for p in root.rglob("*") if p.is_file()}


def _sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): _sha(p) for p in root.rglob("*") if p.is_file()}


def _big_size(server: StoreServer, client: str) -> int:
    return BIG_PROXIED if server.mode == "proxied" and client == "tracklog" else BIG_OTHER


def _check_listing(listed: list[Any], tree: Path) -> None:
    expected = sorted(
        [(f"out/{p.name}", False, p.stat().st_size) for p in tree.iterdir() if p.is_file()]
        + [("out/sub", True, None)]
    )
    assert sorted((f.path, f.is_dir, f.file_size if not f.is_dir else None) for f in listed) == expected


# What /server-info advertises per destination: (multipart uploads, presigned downloads).
# GCS signs URLs only with a service-account key (test_multipart_stores.py runs a server with one).
CAPABILITIES = {"local": (False, False), "s3": (True, True), "gcs": (False, False), "azure": (True, True)}


def test_server_info_advertises_what_the_destination_supports(env: StoreServer) -> None:
    import httpx

    info = httpx.get(f"{env.url}/api/3.0/mlflow/server-info", timeout=60).json()
    expected = CAPABILITIES[env.kind] if env.mode == "proxied" else (False, False)
    assert (info["multipart_uploads_enabled"], info["multipart_downloads_enabled"]) == expected


def test_tracklog_client_roundtrip(env: StoreServer, tmp_path: Path) -> None:
    from tracklog import TrackingClient
    from tracklog.artifacts import get_repository

    tree = tmp_path / "tree"
    expected = make_tree(tree, _big_size(env, "tracklog"))
    client = TrackingClient(env.url)
    run = client.create_run(client.create_experiment(f"tl-{os.urandom(4).hex()}"))
    run_id = run.info.run_id
    if env.mode == "proxied":
        assert run.info.artifact_uri.startswith("mlflow-artifacts:")
    client.log_artifacts(run_id, str(tree), "out")
    _check_listing(client.list_artifacts(run_id, "out"), tree)
    assert [(f.path, f.file_size) for f in client.list_artifacts(run_id, "out/sub/deeper")] == [
        ("out/sub/deeper/c.bin", 300_000), ("out/sub/deeper/d d.txt", len("unicode ✓ name".encode()))]
    got = Path(client.download_artifacts(run_id, "out", str(tmp_path / "dl")))
    assert _tree(got) == expected
    get_repository(run.info.artifact_uri, tracking_uri=env.url).delete_artifacts()
    assert client.list_artifacts(run_id) == []


def test_official_client_roundtrip(env: StoreServer, tmp_path: Path) -> None:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    tree = tmp_path / "tree"
    expected = make_tree(tree, _big_size(env, "mlflow"))
    mlflow.set_tracking_uri(env.url)
    client = MlflowClient(tracking_uri=env.url)
    run = client.create_run(client.create_experiment(f"ml-{os.urandom(4).hex()}"))
    run_id = run.info.run_id
    client.log_artifacts(run_id, str(tree), "out")
    _check_listing(client.list_artifacts(run_id, "out"), tree)
    got = Path(client.download_artifacts(run_id, "out", str(tmp_path / "dl")))
    assert _tree(got) == expected
    get_artifact_repository(run.info.artifact_uri).delete_artifacts()
    assert client.list_artifacts(run_id) == []


def test_many_files_in_one_directory_are_listed_fully(env: StoreServer, tmp_path: Path) -> None:
    """Listings follow every store page (S3/GCS: 1,000 keys, Azure: 5,000), proxied or direct."""
    from mlflow import MlflowClient

    from tracklog import TrackingClient

    count = MANY.get(env.kind, 1_001)
    client = TrackingClient(env.url)
    run = client.create_run(client.create_experiment(f"many-{os.urandom(4).hex()}"))
    _plant(env, run, count)
    listed = client.list_artifacts(run.info.run_id, "many")
    assert len(listed) == count
    assert [f.path for f in listed] == [f"many/f{i:05d}.txt" for i in range(count)]
    assert all(f.file_size == len(str(i)) for i, f in enumerate(listed))
    official = MlflowClient(tracking_uri=env.url).list_artifacts(run.info.run_id, "many")
    assert len(official) == count and official[-1].file_size == len(str(count - 1))


def _plant(env: StoreServer, run: Any, count: int) -> None:
    """Write ``count`` tiny files straight into the store below the run's ``many/`` directory."""
    from tracklog.artifacts import get_repository
    from tracklog.server.artifact_access import proxied_path

    uri = run.info.artifact_uri
    if uri.startswith("mlflow-artifacts:"):  # proxied: below the server's destination
        root, below = env.root, proxied_path(uri) + "/"
    else:  # direct: the run's own root in the store
        root, below = uri, ""
    objects = {f"{below}many/f{i:05d}.txt": str(i).encode() for i in range(count)}
    if env.kind == "local":
        from tracklog.artifacts import local_path_from_uri

        base = Path(local_path_from_uri(root))
        (base / below / "many").mkdir(parents=True, exist_ok=True)
        for rel, data in objects.items():
            (base / rel).write_bytes(data)
        return
    emu = env.emu
    assert emu is not None
    from tests.artifact_stores.emulators import azure_options, gcs_options, s3_options

    options = {"s3": s3_options, "gcs": gcs_options, "azure": azure_options}[env.kind](emu)
    repo: Any = get_repository(root, storage_options=options)
    repo.fs.pipe({f"{repo.root}/{rel}": data for rel, data in objects.items()})


def test_run_presigned_urls(env: StoreServer) -> None:
    """``artifacts/presigned-upload-url`` / ``presigned-download-url`` on runs stored directly in S3/Azure."""
    import httpx

    from tracklog import TrackingClient

    client = TrackingClient(env.url)
    run_id = client.create_run(client.create_experiment(f"sign-{os.urandom(4).hex()}")).info.run_id
    api = f"{env.url}/api/2.0/mlflow/artifacts"
    http = httpx.Client(timeout=60)  # the shared CI machine can be slow
    up = http.post(f"{api}/presigned-upload-url", json={"run_id": run_id, "path": "p/up.txt", "expiration": 60})
    if env.mode == "proxied":
        assert up.status_code == 400 and up.json()["error_code"] == "INVALID_PARAMETER_VALUE", up.text
        return
    if not CAPABILITIES[env.kind][1]:
        assert up.status_code == 501 and up.json()["error_code"] == "NOT_IMPLEMENTED", up.text
        return
    assert up.status_code == 200, up.text
    headers = {"x-ms-blob-type": "BlockBlob"} if env.kind == "azure" else {}
    assert http.put(up.json()["presigned_url"], content=b"signed bytes", headers=headers).status_code in (200, 201)
    assert [(f.path, f.file_size) for f in client.list_artifacts(run_id, "p")] == [("p/up.txt", 12)]
    down = http.post(f"{api}/presigned-download-url", json={"run_id": run_id, "path": "p/up.txt"}).json()
    assert down["file_size"] == 12
    assert http.get(down["presigned_url"]).content == b"signed bytes"
    bad = http.post(f"{api}/presigned-download-url", json={"run_id": run_id, "path": "p/up.txt", "expiration": 0})
    assert bad.status_code == 400
    outside = http.post(f"{api}/presigned-upload-url", json={"run_id": run_id, "path": "../../x"})
    assert outside.status_code == 400
