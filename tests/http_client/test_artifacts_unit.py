"""HttpArtifactRepository without a server: URI resolution, wire shape, concurrency."""

from __future__ import annotations

import functools
import io
import sys
import tarfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tracklog.artifacts.bundle import stream_bundle, unpack_bundle
from tracklog.artifacts.http import BUNDLE_API, BUNDLE_FILE_MAX, HttpArtifactRepository, resolve_artifact_root
from tracklog.client.transport import HttpSettings, HttpTransport
from tracklog.entities import FileInfo
from tracklog.exceptions import InvalidArgument, TrackingError

PREFIX = "/api/2.0/mlflow-artifacts/artifacts"
BUNDLE_PREFIX = BUNDLE_API


@pytest.mark.parametrize(
    ("root", "tracking", "expected"),
    [
        ("mlflow-artifacts:/1/r/artifacts", "http://h:5000", ("http://h:5000", "1/r/artifacts")),
        ("mlflow-artifacts:/1/r/artifacts", "https://h/ml/", ("https://h/ml", "1/r/artifacts")),
        ("mlflow-artifacts://other:7000/2/x", "https://h/ml", ("https://other:7000/ml", "2/x")),
        ("mlflow-artifacts://other:7000/2/x", None, ("http://other:7000", "2/x")),
        ("mlflow-artifacts:/", "http://h", ("http://h", "")),
        (f"http://s:1/p{PREFIX}/3/y", None, ("http://s:1/p", "3/y")),
        (f"https://s{PREFIX}", "http://ignored", ("https://s", "")),
    ],
)
def test_resolve(root: str, tracking: str | None, expected: tuple[str, str],
                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKLOG_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert resolve_artifact_root(root, tracking) == expected


def test_resolve_uses_the_tracking_uri_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKLOG_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env:5000")
    assert resolve_artifact_root("mlflow-artifacts:/1") == ("http://env:5000", "1")


@pytest.mark.parametrize(
    ("root", "tracking"),
    [
        ("mlflow-artifacts:/1/r", "sqlite:///x.db"),
        ("mlflow-artifacts:/../etc", "http://h"),
        ("mlflow-artifacts:/1/%2e%2e/%2e%2e/x", "http://h"),
        ("http://h/not/the/proxy", None),
        ("s3://bucket/x", None),
    ],
)
def test_resolve_rejects(root: str, tracking: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKLOG_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(InvalidArgument):
        resolve_artifact_root(root, tracking)


class FakeProxy:
    """An in-memory artifact proxy with a small per-request delay, counting concurrency."""

    def __init__(self, delay: float = 0.0) -> None:
        self.files: dict[str, bytes] = {}
        self.delay = delay
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()
        self.headers: list[httpx.Headers] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.headers.append(request.headers)
        try:
            time.sleep(self.delay)
            path = request.url.path
            if not path.startswith(PREFIX):  # like mlflow server: no tracklog endpoints
                return httpx.Response(404, html="<!doctype html><title>404 Not Found</title>")
            if request.method == "PUT":
                self.files[path[len(PREFIX) + 1:]] = request.read()
                return httpx.Response(200)
            if request.method == "GET" and path == PREFIX:
                return self._list(request.url.params.get("path", ""))
            if request.method == "GET":
                data = self.files.get(path[len(PREFIX) + 1:])
                if data is None:
                    return httpx.Response(404, json={"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "x"})
                return httpx.Response(200, content=data)
            return httpx.Response(405)
        finally:
            with self.lock:
                self.active -= 1

    def _list(self, directory: str) -> httpx.Response:
        prefix = directory + "/" if directory else ""
        entries: dict[str, dict[str, object]] = {}
        for key, data in self.files.items():
            if key.startswith(prefix):
                head, _, rest = key[len(prefix):].partition("/")
                entries[head] = {"path": head, "is_dir": True} if rest else {
                    "path": head, "is_dir": False, "file_size": len(data)}
        return httpx.Response(200, content=orjson.dumps({"files": list(entries.values())} if entries else {}))

    def repo(self) -> HttpArtifactRepository:
        http = HttpTransport("http://h", HttpSettings(max_retries=0), transport=httpx.MockTransport(self.handler))
        return HttpArtifactRepository("mlflow-artifacts:/1/run/artifacts", "http://h", transport=http)


def test_uploads_run_concurrently_and_fast(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    for i in range(300):
        (src / ("sub" if i % 2 else "") / f"f{i}.txt").write_bytes(str(i).encode())
    proxy = FakeProxy()
    started = time.monotonic()
    proxy.repo().log_artifacts(str(src), "out")
    elapsed = time.monotonic() - started
    assert len(proxy.files) == 300 and proxy.files["1/run/artifacts/out/sub/f1.txt"] == b"1"
    assert elapsed < 3.0, f"client overhead: {300 / elapsed:.0f} files/s"

    slow = FakeProxy(delay=0.05)
    slow.repo().log_artifacts(str(src / "sub"))
    assert slow.peak >= 4  # a pool of about 8 uploads at a time


class BundleProxy(FakeProxy):
    """A fake tracklog server: also unpacks bundles (with the server's own code)."""

    def __init__(self) -> None:
        super().__init__()
        self.bundles: list[int] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path.startswith(BUNDLE_PREFIX + "/"):
            assert request.headers["Content-Type"] == "application/x-tar"
            directory = path[len(BUNDLE_PREFIX) + 1:]

            def write_many(files: Iterable[tuple[str, Iterator[bytes]]]) -> int:
                count = 0
                for name, chunks in files:
                    data = b"".join(chunks)
                    with self.lock:
                        self.files[f"{directory}/{name}"] = data
                    count += 1
                return count

            count = unpack_bundle(iter([request.read()]), write_many)
            with self.lock:
                self.bundles.append(count)
            return httpx.Response(200, json={"files": count})
        if request.method == "GET" and path.startswith(BUNDLE_PREFIX + "/"):
            directory = path[len(BUNDLE_PREFIX) + 1:]
            with self.lock:
                self.bundles.append(-1)
                found = {k[len(directory) + 1:]: v for k, v in self.files.items() if k.startswith(directory + "/")}
            dirs = sorted({n.rsplit("/", 1)[0] for n in found if "/" in n})
            entries = [(d, None, None) for d in dirs] + [
                (n, len(v), functools.partial(io.BytesIO, v)) for n, v in sorted(found.items())]
            return httpx.Response(200, content=b"".join(stream_bundle(entries)))
        return super().handler(request)


def _tree(src: Path, small: int, large: int = 0) -> dict[str, bytes]:
    files = {f"{'sub/' if i % 2 else ''}f{i}.txt": str(i).encode() for i in range(small)}
    files.update({f"big{i}.bin": bytes([i]) * (BUNDLE_FILE_MAX + 1) for i in range(large)})
    for name, data in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    return files


def test_small_files_go_up_in_bundles_large_ones_one_put_each(tmp_path: Path) -> None:
    files = _tree(tmp_path / "src", small=2500, large=2)
    proxy = BundleProxy()
    proxy.repo().log_artifacts(str(tmp_path / "src"), "out")
    assert proxy.files == {f"1/run/artifacts/out/{name}": data for name, data in files.items()}
    # a small probe bundle first, then full ones; the two big files went as PUTs
    assert proxy.bundles[0] == 16 and sorted(proxy.bundles[1:]) == [484, 1000, 1000]
    puts = [h for h in proxy.headers if h.get("Content-Type") != "application/x-tar"]
    assert len(puts) == 2


def test_a_single_small_file_is_one_put(tmp_path: Path) -> None:
    _tree(tmp_path / "src", small=1)
    proxy = BundleProxy()
    proxy.repo().log_artifacts(str(tmp_path / "src"))
    assert proxy.bundles == [] and list(proxy.files) == ["1/run/artifacts/f0.txt"]


@pytest.mark.parametrize("answer", [
    httpx.Response(404, html="<!doctype html><title>404 Not Found</title>"),  # mlflow server
    httpx.Response(404, json={"error_code": "ENDPOINT_NOT_FOUND", "message": "no"}),
    httpx.Response(405),
])
def test_servers_without_bundles_get_one_put_per_file(tmp_path: Path, answer: httpx.Response) -> None:
    files = _tree(tmp_path / "src", small=50)
    proxy = FakeProxy()
    plain = proxy.handler
    posts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request.url.path)
            return answer
        return plain(request)

    http = HttpTransport("http://h", HttpSettings(max_retries=0), transport=httpx.MockTransport(handler))
    HttpArtifactRepository("mlflow-artifacts:/1/run/artifacts", "http://h", transport=http).log_artifacts(
        str(tmp_path / "src"))
    assert posts == [f"{BUNDLE_PREFIX}/1/run/artifacts"]  # one probe, then PUTs only
    assert proxy.files == {f"1/run/artifacts/{name}": data for name, data in files.items()}


def test_bundles_a_reverse_proxy_refuses_as_too_large_go_file_by_file(tmp_path: Path) -> None:
    files = _tree(tmp_path / "src", small=60)
    (tmp_path / "src" / "mid.bin").write_bytes(b"m" * 200_000)
    files["mid.bin"] = b"m" * 200_000
    proxy = BundleProxy()

    def handler(request: httpx.Request) -> httpx.Response:  # nginx with client_max_body_size 100k
        if request.method == "POST" and len(request.read()) > 100_000:
            return httpx.Response(413, html="<html><title>413 Request Entity Too Large</title></html>")
        return proxy.handler(request)

    http = HttpTransport("http://h", HttpSettings(max_retries=0), transport=httpx.MockTransport(handler))
    HttpArtifactRepository("mlflow-artifacts:/1/run/artifacts", "http://h", transport=http).log_artifacts(
        str(tmp_path / "src"))
    assert proxy.files == {f"1/run/artifacts/{name}": data for name, data in files.items()}
    assert proxy.bundles == [16]  # the probe went through; the big second bundle was refused


def test_a_bundle_refused_after_the_probe_goes_file_by_file(tmp_path: Path) -> None:
    """The probe reached a replica with bundles, later bundles one without (a rolling upgrade behind a
    load balancer): those batches must go one PUT per file, never be dropped."""
    files = _tree(tmp_path / "src", small=200)
    proxy = BundleProxy()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and proxy.bundles:
            return httpx.Response(404, html="<!doctype html><title>404 Not Found</title>")
        return proxy.handler(request)

    http = HttpTransport("http://h", HttpSettings(max_retries=0), transport=httpx.MockTransport(handler))
    HttpArtifactRepository("mlflow-artifacts:/1/run/artifacts", "http://h", transport=http).log_artifacts(
        str(tmp_path / "src"))
    assert proxy.bundles == [16]
    assert proxy.files == {f"1/run/artifacts/{name}": data for name, data in files.items()}


@pytest.mark.parametrize("answer", [{"files": 15}, {}])
def test_a_bundle_the_server_did_not_fully_write_is_an_error(tmp_path: Path, answer: dict[str, int]) -> None:
    _tree(tmp_path / "src", small=16)
    proxy = BundleProxy()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json=answer)
        return proxy.handler(request)

    http = HttpTransport("http://h", HttpSettings(max_retries=0), transport=httpx.MockTransport(handler))
    repo = HttpArtifactRepository("mlflow-artifacts:/1/run/artifacts", "http://h", transport=http)
    with pytest.raises(TrackingError, match="of the 16 files"):
        repo.log_artifacts(str(tmp_path / "src"))


def test_a_refused_bundle_is_an_error(tmp_path: Path) -> None:
    _tree(tmp_path / "src", small=3)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error_code": "INVALID_PARAMETER_VALUE", "message": "Invalid path: x"})

    http = HttpTransport("http://h", HttpSettings(max_retries=0), transport=httpx.MockTransport(handler))
    repo = HttpArtifactRepository("mlflow-artifacts:/1/run/artifacts", "http://h", transport=http)
    with pytest.raises(InvalidArgument, match="Invalid path"):
        repo.log_artifacts(str(tmp_path / "src"))


def test_directory_download_is_one_bundle(tmp_path: Path) -> None:
    proxy = BundleProxy()
    for i in range(40):
        proxy.files[f"1/run/artifacts/d/{i % 4}/f{i}.bin"] = bytes([i]) * (i + 1)
    out = Path(proxy.repo().download_artifacts("d", str(tmp_path)))
    got = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert got == {f"{i % 4}/f{i}.bin": bytes([i]) * (i + 1) for i in range(40)}
    assert proxy.bundles == [-1]  # one GET of the tree
    gets = [h for h in proxy.headers if h.get("Content-Type") is None]
    assert len(gets) == 1  # the listing that tells a directory from a file
    assert not [p for p in tmp_path.rglob("*.part-*")]


def test_a_hostile_download_bundle_is_refused(tmp_path: Path) -> None:
    proxy = FakeProxy()
    proxy.files["1/run/artifacts/d/x.txt"] = b"x"
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"!"))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith(BUNDLE_PREFIX):
            return httpx.Response(200, content=evil.getvalue())
        return proxy.handler(request)

    http = HttpTransport("http://h", HttpSettings(max_retries=0), transport=httpx.MockTransport(handler))
    repo = HttpArtifactRepository("mlflow-artifacts:/1/run/artifacts", "http://h", transport=http)
    with pytest.raises(InvalidArgument, match="Invalid path"):
        repo.download_artifacts("d", str(tmp_path / "out"))
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "out" / "escape.txt").exists()


def test_download_tree_is_concurrent_and_leaves_no_temp_files(tmp_path: Path) -> None:
    proxy = FakeProxy(delay=0.02)
    for i in range(40):
        proxy.files[f"1/run/artifacts/d/{i % 4}/f{i}.bin"] = bytes([i]) * (i + 1)
    out = Path(proxy.repo().download_artifacts("d", str(tmp_path)))
    got = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert got == {f"{i % 4}/f{i}.bin": bytes([i]) * (i + 1) for i in range(40)}
    assert proxy.peak >= 4


def test_put_shape(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_bytes(b"{}")
    proxy = FakeProxy()
    proxy.repo().log_artifact(str(tmp_path / "model.json"), "a b")
    assert proxy.files == {"1/run/artifacts/a b/model.json": b"{}"}
    headers = proxy.headers[-1]
    assert headers["Content-Type"] == "application/json" and headers["Content-Length"] == "2"


def test_listing_paths_are_relative_to_the_root() -> None:
    proxy = FakeProxy()
    proxy.files.update({"1/run/artifacts/dir/a.txt": b"abc", "1/run/artifacts/dir/e/f": b"", "1/other": b""})
    repo = proxy.repo()
    assert repo.list_artifacts() == [FileInfo("dir", True)]
    assert repo.list_artifacts("dir") == [FileInfo("dir/a.txt", False, 3), FileInfo("dir/e", True)]
    assert repo.list_artifacts("nothing") == []
    assert repo.file_size("dir/a.txt") == 3


class FakeTty:
    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize(("size", "files", "shown"), [
    (60 * 1024 * 1024, 1, True), (1024, 101, True), (1024, 100, False), (50 * 1024 * 1024, 1, False),
])
def test_progress_bar_only_for_big_transfers_on_a_tty(monkeypatch: pytest.MonkeyPatch, size: int, files: int,
                                                      shown: bool) -> None:
    from tracklog.artifacts import http as http_module

    monkeypatch.setattr(sys, "stderr", FakeTty())
    progress = http_module._Progress("upload", size, files)
    progress.advance(10)
    progress.close()
    assert (progress._bar is not None) is shown


def test_no_progress_bar_without_a_tty() -> None:
    from tracklog.artifacts import http as http_module

    progress = http_module._Progress("upload", 10**9, 1000)  # pytest captures stderr: not a TTY
    assert progress._bar is None


class BrokenOnce(httpx.SyncByteStream):
    """A body that breaks off after its first chunk."""

    def __iter__(self) -> Iterator[bytes]:
        yield b"partial"
        raise httpx.ReadError("connection reset")


def test_a_download_that_breaks_off_is_restarted_and_leaves_no_partial_file(tmp_path: Path) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(200, stream=BrokenOnce())
        return httpx.Response(200, content=b"complete body")

    http = HttpTransport("http://h", HttpSettings(max_retries=2), transport=httpx.MockTransport(handler))
    repo = HttpArtifactRepository("mlflow-artifacts:/1/r", "http://h", transport=http)
    target = tmp_path / "a" / "b.txt"
    repo._get_file("a/b.txt", str(target), None)
    assert target.read_bytes() == b"complete body" and len(calls) == 2
    assert [p.name for p in target.parent.iterdir()] == ["b.txt"]


def test_open_read_streams(tmp_path: Path) -> None:
    proxy = FakeProxy()
    proxy.files["1/run/artifacts/x.bin"] = bytes(range(256)) * 10_000
    with proxy.repo().open_read("x.bin") as stream:
        assert stream.read(3) == bytes([0, 1, 2])
        rest = stream.read()
    assert len(rest) == 2_560_000 - 3
