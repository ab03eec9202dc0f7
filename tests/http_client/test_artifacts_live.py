"""HttpArtifactRepository against a real server's artifact proxy (MLflow's and tracklog's)."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from tracklog.artifacts.http import HttpArtifactRepository
from tracklog.client.transport import HttpTransport
from tracklog.entities import FileInfo
from tracklog.exceptions import InvalidArgument, NotFound
from tracklog.store.rest import RestStore

# One worker runs every test that needs the server subprocesses (scripts/test.sh: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("http-client-servers")

BIG = 30 * 1024 * 1024


@pytest.fixture
def repo(store: RestStore, experiment_id: str, server_url: str, live_http: HttpTransport) -> HttpArtifactRepository:
    run = store.create_run(experiment_id, "tester", int(time.time() * 1000))
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
    return HttpArtifactRepository(run.info.artifact_uri, tracking_uri=server_url, transport=live_http)


def make_tree(root: Path) -> dict[str, bytes]:
    files = {
        "a.txt": b"hello\n",
        "dir/b.json": b'{"x": 1}',
        "dir/sub/c.bin": os.urandom(70_000),
        "dir/sub/with space.txt": b"spaced",
        "empty.txt": b"",
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_tree_upload_list_download_delete(repo: HttpArtifactRepository, tmp_path: Path) -> None:
    files = make_tree(tmp_path / "src")
    repo.log_artifacts(str(tmp_path / "src"))
    repo.log_artifacts(str(tmp_path / "src" / "dir"), "copy")

    assert repo.list_artifacts() == [
        FileInfo("a.txt", False, 6),
        FileInfo("copy", True),
        FileInfo("dir", True),
        FileInfo("empty.txt", False, 0),
    ]
    assert repo.list_artifacts("dir") == [FileInfo("dir/b.json", False, 8), FileInfo("dir/sub", True)]
    assert [f.path for f in repo.list_artifacts("dir/sub")] == ["dir/sub/c.bin", "dir/sub/with space.txt"]
    assert repo.list_artifacts("missing") == []
    assert repo.list_artifacts("a.txt") == []  # a file is not a directory
    assert repo.file_size("dir/sub/c.bin") == 70_000
    assert repo.file_size("dir") is None and repo.file_size("nope.txt") is None

    out = Path(repo.download_artifacts("", str(tmp_path / "all")))
    assert read_tree(out) == {**files, **{f"copy/{k[4:]}": v for k, v in files.items() if k.startswith("dir/")}}
    sub = repo.download_artifacts("dir/sub", str(tmp_path / "sub"))
    assert sub == str(tmp_path / "sub" / "dir" / "sub")
    assert read_tree(Path(sub)) == {"c.bin": files["dir/sub/c.bin"], "with space.txt": b"spaced"}
    one = repo.download_artifacts("dir/b.json", str(tmp_path / "one"))
    assert Path(one).read_bytes() == b'{"x": 1}'
    with pytest.raises(NotFound):
        repo.download_artifacts("missing.txt", str(tmp_path / "none"))

    with repo.open_read("dir/sub/c.bin") as stream:
        assert stream.read(10) == files["dir/sub/c.bin"][:10]
        assert stream.read() == files["dir/sub/c.bin"][10:]
    with pytest.raises(NotFound):
        repo.open_read("missing.txt")

    repo.delete_artifacts("dir")
    assert [f.path for f in repo.list_artifacts()] == ["a.txt", "copy", "empty.txt"]
    repo.delete_artifacts("dir")  # already gone: fine


def test_large_file_round_trip(repo: HttpArtifactRepository, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with open(big, "wb") as out:
        for _ in range(BIG // (1024 * 1024)):
            chunk = os.urandom(1024 * 1024)
            digest.update(chunk)
            out.write(chunk)
    repo.log_artifact(str(big), "data")
    assert repo.list_artifacts("data") == [FileInfo("data/big.bin", False, BIG)]
    local = Path(repo.download_artifacts("data/big.bin", str(tmp_path / "dl")))
    assert local.stat().st_size == BIG
    check = hashlib.sha256()
    with open(local, "rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            check.update(block)
    assert check.hexdigest() == digest.hexdigest()
    assert not [p for p in local.parent.iterdir() if p.name != "big.bin"]  # no temp files left


def test_write_stream(repo: HttpArtifactRepository) -> None:
    written = repo.write_stream("logs/out.txt", iter([b"a" * 100_000, b"", b"b" * 5]))
    assert written == 100_005
    with repo.open_read("logs/out.txt") as stream:
        assert stream.read() == b"a" * 100_000 + b"b" * 5


def test_paths_are_checked(repo: HttpArtifactRepository, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_bytes(b"x")
    for bad in ("../x", "/abs", "a/../../b", "%2e%2e/x"):
        with pytest.raises(InvalidArgument):
            repo.log_artifact(str(tmp_path / "f.txt"), bad)
        with pytest.raises(InvalidArgument):
            repo.list_artifacts(bad)
    with pytest.raises(InvalidArgument):
        repo.delete_artifacts(None) if not repo.root_path else repo.open_read("")


FILES = 120  # over 100: the many-files path of the repository


def test_many_small_files(server_url: str, live_http: HttpTransport, tmp_path: Path) -> None:
    # Eight concurrent uploads: this once deadlocked tracklog's server (its blocking writers
    # used the event loop's shared executor, which also delivered their chunks).
    server, settings = server_url, live_http.settings
    http = HttpTransport(server, settings)
    store = RestStore(server, transport=http)
    run = store.create_run(store.create_experiment(f"many-{time.time_ns()}"), "tester", None)
    repo = HttpArtifactRepository(run.info.artifact_uri, tracking_uri=server, transport=http)
    src = tmp_path / "many"
    src.mkdir()
    for i in range(FILES):
        (src / f"f{i:03d}.txt").write_bytes(str(i).encode())
    try:
        repo.log_artifacts(str(src), "many")  # throughput is measured without a server in test_artifacts_unit
        assert len(repo.list_artifacts("many")) == FILES
        out = Path(repo.download_artifacts("many", str(tmp_path / "back")))
        assert len(list(out.iterdir())) == FILES
    finally:
        http.close()
