"""Cloud-specific artifact-store tests on emulators: containment, pagination, S3 extras, env wiring.

The shared behaviour is in tests/unit/artifacts/test_contract.py (which also
runs these backends); this module checks what only object stores have.
"""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.artifact_stores.emulators import AZ_ACCOUNT, Emulator, boto3_client, session_bucket, unique
from tests.unit.artifacts._catalogue import TRAVERSAL

from tracklog.artifacts._fsspec import FsspecArtifactRepository
from tracklog.artifacts.base import MultipartUploads, PresignedUrls
from tracklog.artifacts.registry import get_repository
from tracklog.exceptions import InvalidArgument, MissingExtra, NotFound

CLOUD = ["s3_repo", "gcs_repo", "azure_repo"]


@pytest.fixture(params=CLOUD)
def cloud(request: pytest.FixtureRequest) -> FsspecArtifactRepository:
    repo: FsspecArtifactRepository = request.getfixturevalue(request.param)
    return repo


# -- containment: nothing outside the configured prefix is read, written or deleted ----------


def plant_sentinels(repo: FsspecArtifactRepository) -> dict[str, bytes]:
    """Objects around the repository root ``<bucket>/<uid>/artifacts``; returns store path -> content."""
    bucket, uid, leaf = repo.root.split("/")
    around = [
        f"{bucket}/sentinel.txt",
        f"{bucket}/etc/passwd",
        f"{bucket}/{uid}/sentinel.txt",
        f"{bucket}/{uid}/{leaf}-sibling/sentinel.txt",  # shares the prefix string, not the directory
        f"{bucket}/{uid}/{leaf}x",
        f"{bucket}/{uid}/{leaf}.txt",
    ]
    planted = {path: f"sentinel {path}".encode() for path in around}
    for path, data in planted.items():
        repo.fs.pipe_file(path, data)
    return planted


def assert_intact(repo: FsspecArtifactRepository, planted: dict[str, bytes]) -> None:
    for path, data in planted.items():
        assert repo.fs.cat_file(path) == data, f"{path} was changed"


OPERATIONS: dict[str, Callable[[FsspecArtifactRepository, str, Path], object]] = {
    "list": lambda r, p, s: r.list_artifacts(p),
    "open_read": lambda r, p, s: r.open_read(p),
    "file_size": lambda r, p, s: r.file_size(p),
    "write_stream": lambda r, p, s: r.write_stream(p, iter([b"pwned"])),
    "log_artifact": lambda r, p, s: r.log_artifact(str(s), p),
    "download": lambda r, p, s: r.download_artifacts(p, str(s.parent / "dl")),
    "delete": lambda r, p, s: r.delete_artifacts(p),
}


def test_hostile_paths_never_reach_outside_the_prefix(cloud: FsspecArtifactRepository, tmp_path: Path) -> None:
    planted = plant_sentinels(cloud)
    cloud.write_stream("inside.txt", iter([b"inside"]))
    local = tmp_path / "a.txt"
    local.write_bytes(b"a")
    for bad in TRAVERSAL:
        for name, op in OPERATIONS.items():
            with pytest.raises(InvalidArgument) as excinfo:
                op(cloud, bad, local)
                pytest.fail(f"{name}({bad!r}) was accepted")
            assert excinfo.value.message.startswith("Invalid path"), (name, bad)
    assert_intact(cloud, planted)
    assert [f.path for f in cloud.list_artifacts()] == ["inside.txt"]
    assert not (tmp_path / "dl").exists()


def test_legitimate_operations_stay_inside_the_prefix(cloud: FsspecArtifactRepository, tmp_path: Path) -> None:
    planted = plant_sentinels(cloud)
    cloud.write_stream("a/b.txt", iter([b"b"]))
    cloud.write_stream("c.txt", iter([b"c"]))
    assert [f.path for f in cloud.list_artifacts()] == ["a", "c.txt"]
    out = Path(cloud.download_artifacts("", str(tmp_path / "dl")))
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == ["a/b.txt", "c.txt"]
    cloud.delete_artifacts("a")
    cloud.delete_artifacts()
    assert cloud.list_artifacts() == []
    assert_intact(cloud, planted)


def test_keys_that_are_not_valid_paths_are_ignored(cloud: FsspecArtifactRepository, tmp_path: Path) -> None:
    """Another tool may write keys like ``<root>/../x``: never list, download or map them locally."""
    planted = {f"{cloud.root}/sub/%2e%2e/x.txt": b"encoded dots"}
    if not type(cloud).__name__.startswith("Azure"):  # Azure's SDK and service normalise '..' in blob URLs
        planted[f"{cloud.root}/../escape.txt"] = b"dots"
    for path, data in planted.items():
        cloud.fs.pipe_file(path, data)
    cloud.write_stream("sub/ok.txt", iter([b"ok"]))
    assert [f.path for f in cloud.list_artifacts("sub")] == ["sub/ok.txt"]
    out = Path(cloud.download_artifacts("", str(tmp_path / "dl" / "root")))
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["dl/root/sub/ok.txt"]
    assert out == tmp_path / "dl" / "root"


def test_root_prefix_is_validated() -> None:
    from tracklog.artifacts._fsspec import split_bucket_uri

    assert split_bucket_uri("s3://b/x/y/", "s3") == ("b", "x/y")
    assert split_bucket_uri("s3://b", "s3") == ("b", "")
    for bad in ["s3://b/x/../y", "s3://b/%2e%2e/y", "s3://b/x?y", "s3://b/x#y", "s3:///x", "gs://b/x"]:
        with pytest.raises(InvalidArgument):
            split_bucket_uri(bad, "s3")


# -- pagination -------------------------------------------------------------------------


def fill(repo: FsspecArtifactRepository, rel_dir: str, count: int) -> dict[str, bytes]:
    objects = {f"{rel_dir}/f{i:05d}.txt": str(i).encode() for i in range(count)}
    repo.fs.pipe({f"{repo.root}/{rel}": data for rel, data in objects.items()})
    return objects


@pytest.mark.parametrize("name, count", [("s3_repo", 1_005), ("gcs_repo", 1_005)])
def test_listing_paginates_beyond_one_page(request: pytest.FixtureRequest, name: str, count: int) -> None:
    """S3 (ListObjectsV2) and GCS pages hold 1,000 keys."""
    repo: FsspecArtifactRepository = request.getfixturevalue(name)
    objects = fill(repo, "many", count)
    repo.write_stream("many/sub/x.txt", iter([b"x"]))
    listed = repo.list_artifacts("many")
    assert [f.path for f in listed] == sorted([*objects, "many/sub"])
    assert all(f.file_size == len(objects[f.path]) for f in listed if not f.is_dir)
    repo.delete_artifacts("many")  # S3 DeleteObjects takes 1,000 keys per call
    assert repo.list_artifacts("many") == []


def test_azure_listing_follows_continuation_markers(
    azure_repo: FsspecArtifactRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Azure pages hold 5,000 blobs; shrink them to 7 so 40 blobs take several pages (with markers)."""
    from azure.storage.blob.aio import ContainerClient

    pages: list[int] = []
    for method in ("walk_blobs", "list_blobs"):
        original = getattr(ContainerClient, method)

        def small_pages(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            kwargs["results_per_page"] = 7
            pages.append(7)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(ContainerClient, method, small_pages)
    objects = fill(azure_repo, "many", 40)
    azure_repo.write_stream("many/sub/x.txt", iter([b"x"]))
    assert [f.path for f in azure_repo.list_artifacts("many")] == sorted([*objects, "many/sub"])
    assert pages, "the listing did not go through the patched client"
    azure_repo.delete_artifacts("many")
    assert azure_repo.list_artifacts("many") == []


def test_download_tree_of_many_files(s3_repo: FsspecArtifactRepository, tmp_path: Path) -> None:
    objects = fill(s3_repo, "tree/a", 60)
    out = Path(s3_repo.download_artifacts("tree", str(tmp_path)))
    got = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert got == objects


# -- S3: streamed uploads, presigned URLs, client multipart ------------------------------------


def s3_uploads_in_progress(moto: Emulator, repo: Any) -> list[str]:
    listed = boto3_client(moto).list_multipart_uploads(Bucket=repo.bucket, Prefix=repo.prefix + "/")
    return [u["Key"] for u in listed.get("Uploads", [])]


def test_s3_failed_stream_aborts_the_multipart_upload(moto: Emulator, s3_repo: Any) -> None:
    def chunks() -> Any:
        for _ in range(12):
            yield os.urandom(1024 * 1024)  # two parts get uploaded before the failure
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        s3_repo.write_stream("big/partial.bin", chunks())
    assert s3_uploads_in_progress(moto, s3_repo) == []
    assert s3_repo.file_size("big/partial.bin") is None


def test_s3_large_stream_uses_multipart(moto: Emulator, s3_repo: Any) -> None:
    data = os.urandom(11 * 1024 * 1024 + 7)
    assert s3_repo.write_stream("big.bin", (data[i : i + 65536] for i in range(0, len(data), 65536))) == len(data)
    head = boto3_client(moto).head_object(Bucket=s3_repo.bucket, Key=f"{s3_repo.prefix}/big.bin")
    assert head["ETag"].strip('"').endswith("-3")  # 5 MiB + 5 MiB + the rest
    with s3_repo.open_read("big.bin") as fh:
        assert hashlib.sha256(fh.read()).digest() == hashlib.sha256(data).digest()


def http(method: str, url: str, data: bytes | None = None) -> tuple[int, bytes, dict[str, str]]:
    headers = {"Content-Type": "application/octet-stream"} if data is not None else {}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback emulator
        return response.status, response.read(), dict(response.headers)


def test_s3_presigned_urls(s3_repo: Any) -> None:
    assert isinstance(s3_repo, PresignedUrls)
    put = s3_repo.presigned_upload_url("pre/signed.bin", expiration_s=60)
    assert "X-Amz-Signature=" in put and "X-Amz-Expires=60" in put
    assert http("PUT", put, b"uploaded directly")[0] == 200
    get = s3_repo.presigned_download_url("pre/signed.bin")
    status, body, _ = http("GET", get)
    assert (status, body) == (200, b"uploaded directly")
    assert s3_repo.file_size("pre/signed.bin") == len(b"uploaded directly")
    with pytest.raises(InvalidArgument):
        s3_repo.presigned_download_url("../../other-prefix/secret")
    with pytest.raises(InvalidArgument):
        s3_repo.presigned_upload_url("")


def test_s3_multipart_create_complete_via_presigned_part_urls(moto: Emulator, s3_repo: Any) -> None:
    assert isinstance(s3_repo, MultipartUploads)
    parts_data = [os.urandom(5 * 1024 * 1024), os.urandom(1234)]
    upload_id, credentials = s3_repo.create_multipart_upload("mpu/model.bin", num_parts=2)
    assert [c["part_number"] for c in credentials] == [1, 2]
    assert all(c["headers"] == {} and "uploadId=" in str(c["url"]) for c in credentials)
    assert s3_uploads_in_progress(moto, s3_repo) == [f"{s3_repo.prefix}/mpu/model.bin"]
    assert s3_repo.file_size("mpu/model.bin") is None  # nothing visible before complete
    parts = []
    for cred, data in zip(credentials, parts_data, strict=True):
        status, _, headers = http("PUT", str(cred["url"]), data)
        assert status == 200
        parts.append({"part_number": cred["part_number"], "etag": headers["ETag"]})
    s3_repo.complete_multipart_upload("mpu/model.bin", upload_id, list(reversed(parts)))
    with s3_repo.open_read("mpu/model.bin") as fh:
        assert fh.read() == b"".join(parts_data)
    assert s3_uploads_in_progress(moto, s3_repo) == []


def test_s3_multipart_abort(moto: Emulator, s3_repo: Any) -> None:
    upload_id, credentials = s3_repo.create_multipart_upload("mpu/aborted.bin", num_parts=1)
    http("PUT", str(credentials[0]["url"]), b"part")
    s3_repo.abort_multipart_upload("mpu/aborted.bin", upload_id)
    assert s3_uploads_in_progress(moto, s3_repo) == []
    assert s3_repo.file_size("mpu/aborted.bin") is None
    with pytest.raises((NotFound, OSError)):
        s3_repo.complete_multipart_upload("mpu/aborted.bin", upload_id, [{"part_number": 1, "etag": '"x"'}])


def test_s3_multipart_validates_input(s3_repo: Any) -> None:
    for bad_path in ["../x", "/abs", ""]:
        with pytest.raises(InvalidArgument):
            s3_repo.create_multipart_upload(bad_path, num_parts=1)
    with pytest.raises(InvalidArgument):
        s3_repo.create_multipart_upload("ok.bin", num_parts=0)
    with pytest.raises(InvalidArgument):
        s3_repo.complete_multipart_upload("ok.bin", "id", [{"part_number": "x", "etag": "e"}])
    with pytest.raises(InvalidArgument):
        s3_repo.complete_multipart_upload("ok.bin", "id", [])


# -- wiring from the environment, through the registry --------------------------------------------


def test_registry_builds_s3_from_env(moto: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklog.artifacts.s3 import S3ArtifactRepository

    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = session_bucket("s3", moto)
    repo = get_repository(f"s3://{bucket}/{unique()}")
    assert isinstance(repo, S3ArtifactRepository)
    repo.write_stream("env.txt", iter([b"via env"]))
    assert repo.list_artifacts()[0].path == "env.txt"


def test_registry_builds_gcs_from_emulator_host(fake_gcs: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklog.artifacts.gcs import GcsArtifactRepository

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake_gcs.endpoint)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "tracklog-test")
    repo = get_repository(f"gs://{session_bucket('gcs', fake_gcs)}/{unique()}")
    assert isinstance(repo, GcsArtifactRepository)
    repo.write_stream("env.txt", iter([b"via env"]))
    assert repo.list_artifacts()[0].path == "env.txt"


@pytest.mark.parametrize("form", ["wasbs", "abfss", "az"])
def test_registry_builds_azure_from_connection_string(
    azurite: Emulator, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    from tracklog.artifacts.azure import AzureArtifactRepository

    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.extra["connection_string"])
    container = session_bucket("azure", azurite)
    uri = {
        "wasbs": f"wasbs://{container}@{AZ_ACCOUNT}.blob.core.windows.net/{unique()}",
        "abfss": f"abfss://{container}@{AZ_ACCOUNT}.dfs.core.windows.net/{unique()}",
        "az": f"az://{container}/{unique()}",
    }[form]
    repo = get_repository(uri)
    assert isinstance(repo, AzureArtifactRepository)
    repo.write_stream("env.txt", iter([b"via env"]))
    assert repo.list_artifacts()[0].path == "env.txt"


def test_azure_uri_forms() -> None:
    from tracklog.artifacts.azure import parse_azure_uri

    assert parse_azure_uri("wasbs://c@acct.blob.core.windows.net/a/b") == ("c", "acct", "a/b")
    assert parse_azure_uri("abfss://c@acct.dfs.core.windows.net/") == ("c", "acct", "")
    assert parse_azure_uri("az://c/p") == ("c", None, "p")
    for bad in [
        "wasbs://acct.blob.core.windows.net/x",
        "wasbs://c@evil.example/x",
        "wasbs://c@.blob.core.windows.net/x",
        "abfss://c@acct.dfs.core.windows.net/../x",
        "az://c/x?sig=1",
        "az:///x",
    ]:
        with pytest.raises(InvalidArgument):
            parse_azure_uri(bad)


@pytest.mark.parametrize(
    "scheme, module, dependency, extra",
    [
        ("s3", "tracklog.artifacts.s3", "s3fs", "s3"),
        ("gs", "tracklog.artifacts.gcs", "gcsfs", "gcs"),
        ("wasbs", "tracklog.artifacts.azure", "adlfs", "azure"),
    ],
)
def test_missing_extra_names_the_pip_command(
    monkeypatch: pytest.MonkeyPatch, scheme: str, module: str, dependency: str, extra: str
) -> None:
    monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setitem(sys.modules, dependency, None)  # makes `import <dependency>` fail
    uri = {"s3": "s3://b/p", "gs": "gs://b/p", "wasbs": "wasbs://c@a.blob.core.windows.net/p"}[scheme]
    with pytest.raises(MissingExtra, match=rf"pip install 'tracklog\[{extra}\]'"):
        get_repository(uri)


# -- Azure: SAS URLs with the account key ------------------------------------------------------


def test_azure_presigned_urls(azure_repo: Any) -> None:
    assert azure_repo.can_presign()
    azure_repo.write_stream("sas/read.txt", iter([b"read me via SAS"]))
    status, body, _ = http("GET", azure_repo.presigned_download_url("sas/read.txt", 60))
    assert (status, body) == (200, b"read me via SAS")
    put = urllib.request.Request(azure_repo.presigned_upload_url("sas/up.txt", 60), data=b"uploaded", method="PUT",
                                 headers={"x-ms-blob-type": "BlockBlob"})
    with urllib.request.urlopen(put) as response:
        assert response.status == 201
    assert azure_repo.open_read("sas/up.txt").read() == b"uploaded"
    with pytest.raises(InvalidArgument):
        azure_repo.presigned_download_url("../outside.txt")


def test_azure_without_an_account_key_cannot_presign(azurite: Emulator) -> None:
    from tracklog.artifacts.azure import AzureArtifactRepository
    from tracklog.exceptions import NotImplementedByServer

    uri = f"wasbs://c@{AZ_ACCOUNT}.blob.core.windows.net/p"
    options = {"account_name": AZ_ACCOUNT, "sas_token": "sv=2020-01-01&sig=x"}
    repo = AzureArtifactRepository(uri, storage_options=options)
    assert not repo.can_presign()
    with pytest.raises(NotImplementedByServer):
        repo.presigned_download_url("f.txt")


# -- progress of tree transfers (a bar on a TTY; here a recorder) ------------------------------


def test_tree_transfers_report_progress(s3_repo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklog.artifacts import _fsspec

    reports: list[tuple[str, int | None, int, list[int]]] = []

    class Recorder:
        def __init__(self, description: str, total_bytes: int | None, files: int) -> None:
            self.advanced: list[int] = []
            reports.append((description, total_bytes, files, self.advanced))

        def advance(self, nbytes: int) -> None:
            self.advanced.append(nbytes)

        def close(self) -> None:
            pass

    monkeypatch.setattr(_fsspec, "Progress", Recorder)
    src = tmp_path / "src"
    (src / "d").mkdir(parents=True)
    (src / "a.bin").write_bytes(b"a" * 10)
    (src / "d" / "b.bin").write_bytes(b"b" * 32)
    s3_repo.log_artifacts(str(src), "tree")
    s3_repo.download_artifacts("tree", str(tmp_path / "out"))
    assert [(d, t, f, sorted(a)) for d, t, f, a in reports] == [
        ("upload 2 files", 42, 2, [10, 32]), ("download 2 files", 42, 2, [10, 32])]
