"""The obstore data path of the cloud repositories, and its fsspec fallback.

The contract suite runs every cloud repository with obstore (the default when it
is installed); these tests pin that it is really in use, that
``TRACKLOG_ARTIFACTS_OBSTORE=false`` falls back to fsspec, and what only the
obstore path has (range reads by re-issued GETs, aborted multipart uploads,
the SDK credential chains).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
from tests.aio import run_coroutine
from tests.artifact_stores.emulators import (
    AZ_ACCOUNT,
    S3_KEY,
    azure_options,
    boto3_client,
    gcs_options,
    running,
    s3_options,
    session_bucket,
    unique,
)

from tracklog.artifacts._fsspec import FsspecArtifactRepository
from tracklog.artifacts.azure import AzureArtifactRepository
from tracklog.artifacts.gcs import GcsArtifactRepository
from tracklog.artifacts.s3 import S3ArtifactRepository

MiB = 1024 * 1024
EMULATOR = {"s3": "moto", "gcs": "fake-gcs-server", "azure": "azurite"}


def make_repo(request: pytest.FixtureRequest, kind: str) -> FsspecArtifactRepository:
    emu = running(request, EMULATOR[kind])
    bucket = session_bucket(kind, emu)
    if kind == "s3":
        return S3ArtifactRepository(f"s3://{bucket}/{unique()}", storage_options=s3_options(emu))
    if kind == "gcs":
        return GcsArtifactRepository(f"gs://{bucket}/{unique()}", storage_options=gcs_options(emu))
    uri = f"wasbs://{bucket}@{AZ_ACCOUNT}.blob.core.windows.net/{unique()}"
    return AzureArtifactRepository(uri, storage_options=azure_options(emu))


def body(size: int, digest: Any = None) -> Iterator[bytes]:
    block = os.urandom(MiB)
    for i in range(size // MiB):
        piece = block[i:] + block[:i]
        if digest is not None:
            digest.update(piece)
        yield piece


@pytest.mark.parametrize("kind", ["s3", "gcs", "azure"])
def test_obstore_moves_the_bytes_by_default(request: pytest.FixtureRequest, kind: str) -> None:
    repo = make_repo(request, kind)
    assert repo.fast is not None
    assert repo.fast.writes is (kind != "gcs")  # GCS uploads stay on gcsfs (XML API untested on emulators)


@pytest.mark.parametrize("kind", ["s3", "gcs", "azure"])
def test_fsspec_fallback_when_turned_off(
    request: pytest.FixtureRequest, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKLOG_ARTIFACTS_OBSTORE", "false")
    repo = make_repo(request, kind)
    assert repo.fast is None
    sent = hashlib.sha256()
    assert repo.write_stream("a/big.bin", body(12 * MiB, sent)) == 12 * MiB
    repo.write_stream("a/small.txt", iter([b"small"]))
    monkeypatch.delenv("TRACKLOG_ARTIFACTS_OBSTORE")
    fast = make_repo(request, kind)
    fast.root = repo.root  # same prefix: what fsspec wrote, obstore reads
    fast.root_uri = repo.root_uri
    with fast.open_read("a/big.bin") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == sent.hexdigest()
    assert fast.file_size("a/small.txt") == 5


@pytest.mark.parametrize("kind", ["s3", "gcs", "azure"])
def test_reader_seeks_by_reissuing_the_get(request: pytest.FixtureRequest, kind: str) -> None:
    repo = make_repo(request, kind)
    data = bytes(range(256)) * (3 * MiB // 256)
    repo.write_stream("r.bin", iter([data]))
    with repo.open_read("r.bin") as fh:
        assert fh.seekable()
        assert fh.seek(0, os.SEEK_END) == len(data)
        fh.seek(MiB + 17)
        assert fh.read(100) == data[MiB + 17 : MiB + 117]
        assert fh.tell() == MiB + 117
        fh.seek(5)
        assert fh.read(3) == data[5:8]
        fh.seek(len(data) - 4)
        assert fh.read() == data[-4:]
        assert fh.read(10) == b""


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_failed_large_stream_publishes_nothing(request: pytest.FixtureRequest, kind: str) -> None:
    repo = make_repo(request, kind)

    def failing() -> Iterator[bytes]:
        yield from body(12 * MiB)
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        repo.write_stream("x/partial.bin", failing())
    assert repo.file_size("x/partial.bin") is None
    assert repo.list_artifacts("x") == []
    if kind == "s3":
        assert isinstance(repo, S3ArtifactRepository)
        uploads = boto3_client(running(request, "moto")).list_multipart_uploads(Bucket=repo.bucket)
        assert not [u for u in uploads.get("Uploads", []) if u["Key"].startswith(repo.prefix + "/")]


def test_async_write_on_the_event_loop(request: pytest.FixtureRequest) -> None:
    repo = make_repo(request, "azure")
    sent = hashlib.sha256()

    async def chunks() -> Any:
        for piece in body(11 * MiB, sent):
            yield piece

    assert run_coroutine(repo.write_stream_async("async/big.bin", chunks())) == 11 * MiB
    with repo.open_read("async/big.bin") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == sent.hexdigest()


def test_s3_credentials_from_the_aws_chain(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """No keys in the options: obstore gets them from botocore's chain (here the environment)."""
    emu = running(request, "moto")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_KEY["key"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_KEY["secret"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", emu.endpoint)
    repo = S3ArtifactRepository(f"s3://{session_bucket('s3', emu)}/{unique()}")
    assert repo.fast is not None
    repo.write_stream("env.txt", iter([b"from the chain"]))
    with repo.open_read("env.txt") as fh:
        assert fh.read() == b"from the chain"


def test_azure_connection_string_from_the_environment(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = running(request, "azurite")
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", emu.extra["connection_string"])
    uri = f"wasbs://{session_bucket('azure', emu)}@{AZ_ACCOUNT}.blob.core.windows.net/{unique()}"
    repo = AzureArtifactRepository(uri)
    assert repo.fast is not None
    repo.write_stream("env.txt", iter([b"azure env"]))
    assert repo.file_size("env.txt") == 9


def test_stores_are_built_once_per_settings(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Repositories are often built per call; the obstore store (and its credentials) is reused."""
    first, second = make_repo(request, "s3"), make_repo(request, "s3")
    assert first.fast is not None and first.fast is second.fast
    monkeypatch.setenv("MLFLOW_S3_ADDRESSING_STYLE", "path")  # a setting it reads: a new store
    assert make_repo(request, "s3").fast is not first.fast


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_write_many_puts_small_files_concurrently(request: pytest.FixtureRequest, kind: str) -> None:
    repo = make_repo(request, kind)
    files = {f"many/f{i:03d}.txt": os.urandom(i * 37) for i in range(40)}
    files["many/big.bin"] = os.urandom(3 * MiB)
    files["many/zzz.txt"] = b"after the big one"
    pairs = ((path, iter([data[: len(data) // 2], data[len(data) // 2 :]])) for path, data in files.items())
    assert repo.write_many(pairs) == len(files)
    for path, data in files.items():
        with repo.open_read(path) as fh:
            assert fh.read() == data, path


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_write_many_completes_earlier_files_when_a_later_one_is_refused(
    request: pytest.FixtureRequest, kind: str
) -> None:
    repo = make_repo(request, kind)

    def pairs() -> Iterator[tuple[str, Iterator[bytes]]]:
        for i in range(5):
            yield f"ok/{i}.txt", iter([b"x" * 1000])
        raise ValueError("refused member")

    with pytest.raises(ValueError, match="refused member"):
        repo.write_many(pairs())
    assert [(f.path, f.file_size) for f in repo.list_artifacts("ok")] == [(f"ok/{i}.txt", 1000) for i in range(5)]
    with pytest.raises(Exception, match="Invalid path"):
        repo.write_many(iter([("../escape.txt", iter([b"no"]))]))


def test_learning_the_size_costs_no_extra_get(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxy seeks to the end and back before streaming: still one GET; a range is one more."""
    import obstore

    repo = make_repo(request, "s3")
    data = os.urandom(3 * MiB)
    repo.write_stream("count.bin", iter([data]))
    calls: list[object] = []
    real_get = obstore.get
    monkeypatch.setattr(obstore, "get", lambda *a, **k: calls.append(k.get("options")) or real_get(*a, **k))
    with repo.open_read("count.bin") as fh:
        assert fh.seek(0, os.SEEK_END) == len(data)
        fh.seek(0)
        assert fh.read(10) == data[:10]
        fh.seek(100)  # forward within the chunk at hand
        assert fh.read(5) == data[100:105]
        assert len(calls) == 1
        fh.seek(2 * MiB + 1)
        assert fh.read(7) == data[2 * MiB + 1 : 2 * MiB + 8]
        assert len(calls) == 2 and calls[1] == {"range": {"offset": 2 * MiB + 1}}


def test_cloud_store_benchmark_runs(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """``python -m benchmarks.cloud_stores`` (the figures in docs/artifacts.md), tiny sizes."""
    from benchmarks.cloud_stores import run_store

    running(request, "moto")
    monkeypatch.setenv("TRACKLOG_ARTIFACTS_OBSTORE", "true")  # run_store sets it; restored after the test
    result = run_store("s3", True, 6, 5)
    assert result["engine"] == "obstore" and result["small_get"]["files_per_s"] > 0
    assert result["large_put"]["mb_per_s"] > 0
