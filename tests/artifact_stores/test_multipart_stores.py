"""MLflow's large-file protocol on Azure (staged blocks) and GCS (V4 signed URLs), through a real server.

Azure (Azurite): ``mpu/create`` hands out SAS ``Put Block`` URLs, the official
client ``PUT``s the parts straight to the store, ``mpu/complete`` commits them
with ``Put Block List``. Azurite checks the SAS signatures, so this is the real
protocol end to end.

GCS (fake-gcs-server): the emulator does not check signatures (it serves any
request), so the signed URLs are checked twice: their V4 signature is verified
here against the service account's public key (the canonical request rebuilt
from the URL, as Google's servers do), and the official client downloads through
them from the emulator (parallel ranged ``GET`` s) byte for byte. Signed
*upload* URLs are not exercised end to end: fake-gcs-server has no XML-API
``PUT`` (it answers ``400 invalid uploadType``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from tests.artifact_stores.emulators import (
    AZ_ACCOUNT,
    AZ_KEY,
    azure_service,
    gcs_options,
    running,
    session_bucket,
    unique,
)
from tests.artifact_stores.servers import StoreServer, stop, store_server
from tests.compat.multipart import MiB, patterned_file, small_part_clients

from tracklog.artifacts.gcs import GcsArtifactRepository

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("store-servers")]

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402

PROXY = "/api/2.0/mlflow-artifacts"


# -- helpers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sa_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away service-account key file (a fresh RSA key; nothing real signs with it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = tmp_path_factory.mktemp("gcs-key") / "sa.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "tracklog-test",
                "private_key_id": "0123456789abcdef",
                "private_key": pem,
                "client_email": "signer@tracklog-test.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    return path


def verify_v4_signature(url: str, method: str, key_file: Path) -> dict[str, str]:
    """Check a GOOG4-RSA-SHA256 signed URL as GCS does; return its query parameters."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    parts = urlsplit(url)
    items = parts.query.split("&")
    params = {unquote(k): unquote(v) for k, _, v in (item.partition("=") for item in items)}
    canonical_query = "&".join(sorted(i for i in items if not i.startswith("X-Goog-Signature=")))
    canonical_request = "\n".join(
        [method, parts.path, canonical_query, f"host:{parts.netloc}", "", "host", "UNSIGNED-PAYLOAD"]
    )
    scope = params["X-Goog-Credential"].split("/", 1)[1]
    to_sign = "\n".join(
        ["GOOG4-RSA-SHA256", params["X-Goog-Date"], scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    private = serialization.load_pem_private_key(json.loads(key_file.read_text())["private_key"].encode(), None)
    public = private.public_key()
    public.verify(  # type: ignore[union-attr, call-arg]
        bytes.fromhex(params["X-Goog-Signature"]), to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return params


@pytest.fixture
def client_for(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An official client pointed at ``url`` with small thresholds (parts of 5 MiB, 4 MiB download chunks)."""
    with small_part_clients(monkeypatch, proxy_multipart=False) as make:
        yield make


def new_run(client: MlflowClient) -> Any:
    return client.create_run(client.create_experiment(f"mpu-{os.urandom(4).hex()}"))


def server_info(server: StoreServer) -> tuple[bool, bool]:
    info = httpx.get(f"{server.url}/api/3.0/mlflow/server-info", timeout=60).json()
    return info["multipart_uploads_enabled"], info["multipart_downloads_enabled"]


# -- Azure: staged blocks --------------------------------------------------------------


@pytest.fixture(scope="module")
def azure_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    server = store_server("azure", running(request, "azurite"), tmp_path_factory.mktemp("mpu-azure"))
    try:
        yield server
    finally:
        stop(server)


def _blob(server: StoreServer, run: Any, rel: str) -> Any:
    assert server.emu is not None
    container, _, prefix = server.root.removeprefix("wasbs://").partition("/")
    name = f"{prefix}/{run.info.experiment_id}/{run.info.run_id}/artifacts/{rel}"
    return azure_service(server.emu).get_blob_client(container.split("@")[0], name)


def test_azure_server_info_advertises_multipart(azure_server: StoreServer) -> None:
    assert server_info(azure_server) == (True, True)


def test_official_client_large_file_goes_in_blocks_to_azure(
    azure_server: StoreServer, client_for: Any, tmp_path: Path
) -> None:
    client = client_for(azure_server.url)
    run = new_run(client)
    big = tmp_path / "big.bin"
    digest = patterned_file(big, 12 * MiB + 123)
    client.log_artifact(run.info.run_id, str(big), "models")
    listed = client.list_artifacts(run.info.run_id, "models")
    assert [(f.path, f.file_size) for f in listed] == [("models/big.bin", 12 * MiB + 123)]
    committed, uncommitted = _blob(azure_server, run, "models/big.bin").get_block_list("all")
    assert [b.size for b in committed] == [5 * MiB, 5 * MiB, 2 * MiB + 123] and not uncommitted
    out = client.download_artifacts(run.info.run_id, "models/big.bin", str(tmp_path / "dl"))  # SAS, ranged
    assert hashlib.sha256(Path(out).read_bytes()).hexdigest() == digest


def test_azure_blocks_are_invisible_until_complete(azure_server: StoreServer, client_for: Any) -> None:
    client = client_for(azure_server.url)
    run = new_run(client)
    directory = f"{run.info.experiment_id}/{run.info.run_id}/artifacts/d"
    url = f"{azure_server.url}{PROXY}/mpu"
    created = httpx.post(f"{url}/create/{directory}", json={"path": "C:\\local\\f.bin", "num_parts": 2}).json()
    creds = created["credentials"]
    assert [c["part_number"] for c in creds] == [1, 2] and all("comp=block" in c["url"] for c in creds)
    early = httpx.post(
        f"{url}/complete/{directory}",
        json={"path": "f.bin", "upload_id": created["upload_id"], "parts": [{"part_number": 1, "etag": ""}]},
    )
    assert early.status_code == 404, early.text  # nothing staged yet
    assert httpx.put(creds[0]["url"], content=b"x" * (5 * MiB)).status_code == 201
    assert httpx.put(creds[1]["url"], content=b"tail").status_code == 201
    assert client.list_artifacts(run.info.run_id, "d") == []  # staged blocks are not a blob
    missing = httpx.post(
        f"{url}/complete/{directory}",
        json={"path": "f.bin", "upload_id": created["upload_id"], "parts": [{"part_number": 3, "etag": ""}]},
    )
    assert missing.status_code == 404, missing.text
    parts = [{"part_number": n, "etag": "", "url": c["url"]} for n, c in enumerate(creds, 1)]
    done = httpx.post(
        f"{url}/complete/{directory}", json={"path": "f.bin", "upload_id": created["upload_id"], "parts": parts}
    )
    assert done.status_code == 200, done.text
    assert [(f.path, f.file_size) for f in client.list_artifacts(run.info.run_id, "d")] == [("d/f.bin", 5 * MiB + 4)]
    aborted = httpx.post(f"{url}/abort/{directory}", json={"path": "f.bin", "upload_id": created["upload_id"]})
    assert aborted.status_code == 200
    bogus = httpx.post(f"{url}/complete/{directory}", json={"path": "f.bin", "upload_id": "../x", "parts": parts})
    assert bogus.status_code == 404
    for where, name in [("1/%2E%2E/%2E%2E/x", "f.bin"), (directory, "..")]:
        r = httpx.post(f"{url}/create/{where}", json={"path": name, "num_parts": 1})
        assert r.status_code in (400, 404), r.text


def test_azure_part_urls_only_write_their_blob(azure_server: StoreServer, client_for: Any) -> None:
    """The SAS is scoped to one blob with write permission: no reading, no other blob."""
    client = client_for(azure_server.url)
    run = new_run(client)
    directory = f"{run.info.experiment_id}/{run.info.run_id}/artifacts"
    created = httpx.post(
        f"{azure_server.url}{PROXY}/mpu/create/{directory}", json={"path": "a.bin", "num_parts": 1}
    ).json()
    part_url = created["credentials"][0]["url"]
    assert httpx.get(part_url.split("&comp=")[0]).status_code == 403
    other = part_url.replace("/a.bin?", "/b.bin?")
    assert httpx.put(other, content=b"nope").status_code == 403


# -- GCS: V4 signed URLs ---------------------------------------------------------------


def test_gcs_signed_urls_are_valid_v4_signatures(
    request: pytest.FixtureRequest, sa_key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = running(request, "fake-gcs-server")
    repo = GcsArtifactRepository(f"gs://{session_bucket('gcs', emu)}/{unique()}", storage_options=gcs_options(emu))
    assert not repo.can_presign()  # anonymous emulator access, no key
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(sa_key))
    assert repo.can_presign()
    data = os.urandom(3 * MiB)
    repo.write_stream("dir/a b+c.bin", iter([data]))
    url = repo.presigned_download_url("dir/a b+c.bin", 120)
    params = verify_v4_signature(url, "GET", sa_key)
    assert urlsplit(url).path == f"/{repo.bucket}/{repo.prefix}/dir/a%20b%2Bc.bin"
    assert params["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256" and params["X-Goog-Expires"] == "120"
    assert params["X-Goog-Credential"].startswith("signer@tracklog-test.iam.gserviceaccount.com/")
    assert params["X-Goog-Credential"].endswith("/auto/storage/goog4_request")
    signed_at = datetime.strptime(params["X-Goog-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - signed_at).total_seconds()) < 300
    assert httpx.get(url).content == data  # the emulator serves it (without checking the signature)
    ranged = httpx.get(url, headers={"Range": "bytes=1048576-1048675"})
    assert ranged.status_code == 206 and ranged.content == data[MiB : MiB + 100]
    upload = repo.presigned_upload_url("dir/new.bin", 60)
    assert verify_v4_signature(upload, "PUT", sa_key)["X-Goog-SignedHeaders"] == "host"
    from cryptography.exceptions import InvalidSignature

    tampered = url.replace("a%20b%2Bc.bin", "other.bin")
    with pytest.raises(InvalidSignature):
        verify_v4_signature(tampered, "GET", sa_key)
    for bad in ("../x", "dir/../../x", ""):
        with pytest.raises(Exception, match="Invalid path"):
            repo.presigned_download_url(bad)


def _spy(function: Any, calls: list[tuple[int, int]]) -> Any:
    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append((kwargs["range_start"], kwargs["range_end"]))
        return function(*args, **kwargs)

    return spy


def test_official_client_downloads_through_gcs_signed_urls(
    request: pytest.FixtureRequest,
    sa_key: Path,
    client_for: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client fetches ranges of the signed URL from the store itself (``download_chunk``), not the proxy."""
    from mlflow.store.artifact import http_artifact_repo as http_repo

    (tmp_path / "srv").mkdir()
    server = store_server(
        "gcs",
        running(request, "fake-gcs-server"),
        tmp_path / "srv",
        extra_env={"GOOGLE_APPLICATION_CREDENTIALS": str(sa_key)},
    )
    try:
        assert server_info(server) == (False, True)  # signed downloads; uploads stream through the proxy
        client = client_for(server.url)
        run = new_run(client)
        big = tmp_path / "big.bin"
        digest = patterned_file(big, 9 * MiB + 5)
        client.log_artifact(run.info.run_id, str(big), "m")  # mpu answers 501: one streamed PUT
        presigned = httpx.get(
            f"{server.url}{PROXY}/presigned/{run.info.experiment_id}/{run.info.run_id}/artifacts/m/big.bin", timeout=60
        ).json()
        assert presigned["file_size"] == 9 * MiB + 5
        verify_v4_signature(presigned["url"], "GET", sa_key)
        ranged: list[tuple[int, int]] = []
        monkeypatch.setattr(http_repo, "download_chunk", _spy(http_repo.download_chunk, ranged))
        out = client.download_artifacts(run.info.run_id, "m/big.bin", str(tmp_path / "dl"))
        assert hashlib.sha256(Path(out).read_bytes()).hexdigest() == digest
        assert sorted(ranged) == [(0, 4 * MiB - 1), (4 * MiB, 8 * MiB - 1), (8 * MiB, 9 * MiB + 4)]
    finally:
        stop(server)


def test_azure_without_the_account_key_offers_neither(request: pytest.FixtureRequest) -> None:
    """A SAS-only connection string moves bytes (obstore with the SAS) but cannot sign: no multipart, no URLs."""
    from datetime import timedelta

    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    from tracklog.artifacts.azure import AzureArtifactRepository
    from tracklog.server.routes._multipart import multipart_uploads, presigned_downloads

    emu = running(request, "azurite")
    sas = generate_account_sas(
        AZ_ACCOUNT,
        AZ_KEY,
        resource_types=ResourceTypes(service=True, container=True, object=True),
        permission=AccountSasPermissions(read=True, write=True, list=True, delete=True, create=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    conn = f"BlobEndpoint={emu.endpoint}/{AZ_ACCOUNT};SharedAccessSignature={sas}"
    uri = f"wasbs://{session_bucket('azure', emu)}@{AZ_ACCOUNT}.blob.core.windows.net/{unique()}"
    repo = AzureArtifactRepository(uri, storage_options={"connection_string": conn})
    assert repo.fast is not None  # obstore with the SAS
    repo.write_stream("sas/big.bin", iter([b"s" * (6 * MiB)]))
    assert [(f.path, f.file_size) for f in repo.list_artifacts("sas")] == [("sas/big.bin", 6 * MiB)]
    with repo.open_read("sas/big.bin") as fh:
        assert fh.read(3) == b"sss"
    assert not repo.can_presign()
    assert not multipart_uploads(repo) and not presigned_downloads(repo)
