"""The ``ArtifactRepository`` contract: every backend runs these same cases.

To add a backend, write a fixture that yields a fresh, empty repository and add
its name to ``BACKENDS`` (e.g. an ``s3_repo`` fixture over moto).
"""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from tests.aio import run_coroutine
from tests.artifact_stores.emulators import azure_repo, gcs_repo, s3_repo  # noqa: F401 - fixtures
from tests.unit.artifacts._catalogue import EVERY_OP_SAMPLE

from tracklog.artifacts.base import ArtifactRepository
from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.entities import FileInfo
from tracklog.exceptions import InvalidArgument, NotFound

# Cloud backends run against emulators (tests/artifact_stores/emulators.py): skipped
# when one is not installed, a failure under CI=true.
BACKENDS = ["local_repo", "local_file_uri_repo", "s3_repo", "gcs_repo", "azure_repo"]


@pytest.fixture
def local_repo(tmp_path: Path) -> ArtifactRepository:
    return LocalArtifactRepository(str(tmp_path / "store" / "artifacts"))


@pytest.fixture
def local_file_uri_repo(tmp_path: Path) -> ArtifactRepository:
    return LocalArtifactRepository((tmp_path / "store with space" / "artifacts").as_uri())


@pytest.fixture(params=BACKENDS)
def repo(request: pytest.FixtureRequest) -> ArtifactRepository:
    fixture: ArtifactRepository = request.getfixturevalue(request.param)
    return fixture


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """A local tree to upload: a.txt, empty.bin, sub/b.txt, sub/deeper/c.json, ünï/ç.txt."""
    root = tmp_path / "src"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "ünï").mkdir()
    (root / "a.txt").write_bytes(b"alpha")
    (root / "empty.bin").write_bytes(b"")
    (root / "sub" / "b.txt").write_bytes(b"bravo")
    (root / "sub" / "deeper" / "c.json").write_bytes(b'{"c": 1}')
    (root / "ünï" / "ç.txt").write_bytes("çharlie".encode())
    return root


def read(repo: ArtifactRepository, path: str) -> bytes:
    with repo.open_read(path) as fh:
        return fh.read()


def listing(repo: ArtifactRepository, path: str | None = None) -> list[tuple[str, bool, int | None]]:
    return [(f.path, f.is_dir, f.file_size) for f in repo.list_artifacts(path)]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- round trips ----------------------------------------------------------------------


def test_log_artifact_at_root_and_below(repo: ArtifactRepository, src: Path) -> None:
    repo.log_artifact(str(src / "a.txt"))
    repo.log_artifact(str(src / "a.txt"), "x/y")
    assert read(repo, "a.txt") == b"alpha"
    assert read(repo, "x/y/a.txt") == b"alpha"


def test_log_artifacts_round_trips_a_tree(repo: ArtifactRepository, src: Path, tmp_path: Path) -> None:
    repo.log_artifacts(str(src), "model")
    out = repo.download_artifacts("model", str(tmp_path / "dl"))
    assert Path(out) == tmp_path / "dl" / "model"
    assert tree(Path(out)) == tree(src)


def test_log_artifacts_at_root(repo: ArtifactRepository, src: Path) -> None:
    repo.log_artifacts(str(src))
    assert read(repo, "sub/deeper/c.json") == b'{"c": 1}'
    assert read(repo, "ünï/ç.txt") == "çharlie".encode()


def test_download_single_file_keeps_relative_path(repo: ArtifactRepository, src: Path, tmp_path: Path) -> None:
    repo.log_artifacts(str(src), "m")
    out = repo.download_artifacts("m/sub/b.txt", str(tmp_path / "dl"))
    assert out == str(tmp_path / "dl" / "m" / "sub" / "b.txt")
    assert Path(out).read_bytes() == b"bravo"


def test_download_without_destination_uses_a_temp_dir(repo: ArtifactRepository, src: Path) -> None:
    repo.log_artifacts(str(src))
    out = Path(repo.download_artifacts("sub"))
    assert tree(out) == {"b.txt": b"bravo", "deeper/c.json": b'{"c": 1}'}


def test_download_root(repo: ArtifactRepository, src: Path, tmp_path: Path) -> None:
    repo.log_artifacts(str(src))
    out = repo.download_artifacts("", str(tmp_path / "all"))
    assert tree(Path(out)) == tree(src)


def test_download_missing_is_not_found(repo: ArtifactRepository, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        repo.download_artifacts("nope.txt", str(tmp_path / "dl"))


def test_unicode_and_spaces_in_names(repo: ArtifactRepository) -> None:
    names = ["dir with space/ﬁle name.txt", "日本語/データ.csv", "emoji/🙂.txt", "ü/ñ/ø.bin"]
    for i, name in enumerate(names):
        repo.write_stream(name, iter([f"payload {i}".encode()]))
    for i, name in enumerate(names):
        assert read(repo, name) == f"payload {i}".encode()
    assert [f.path for f in repo.list_artifacts("日本語")] == ["日本語/データ.csv"]


def test_empty_file(repo: ArtifactRepository) -> None:
    assert repo.write_stream("empty.txt", iter([])) == 0
    assert read(repo, "empty.txt") == b""
    assert repo.file_size("empty.txt") == 0
    assert listing(repo) == [("empty.txt", False, 0)]


def test_overwrite_replaces_content(repo: ArtifactRepository) -> None:
    repo.write_stream("f.txt", iter([b"first version, long"]))
    repo.write_stream("f.txt", iter([b"second"]))
    assert read(repo, "f.txt") == b"second"
    assert repo.file_size("f.txt") == 6


def test_trailing_slash_is_normalized(repo: ArtifactRepository, src: Path) -> None:
    repo.log_artifacts(str(src), "m/")
    assert listing(repo, "m/sub/") == listing(repo, "m/sub")
    assert read(repo, "m/a.txt") == b"alpha"


def test_30_mb_file_in_chunks_with_bounded_memory(repo: ArtifactRepository) -> None:
    chunk = os.urandom(1024 * 1024)
    digest = hashlib.sha256()

    def chunks() -> Iterator[bytes]:
        for i in range(30):
            piece = chunk[i:] + chunk[:i]
            digest.update(piece)
            yield piece

    tracemalloc.start()
    try:
        written = repo.write_stream("big/blob.bin", chunks())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written == 30 * 1024 * 1024
    assert peak < 16 * 1024 * 1024, f"write_stream held {peak} bytes"
    assert repo.file_size("big/blob.bin") == written
    check = hashlib.sha256()
    with repo.open_read("big/blob.bin") as fh:
        while piece := fh.read(1024 * 1024):
            check.update(piece)
    assert check.hexdigest() == digest.hexdigest()


def test_write_stream_async(repo: ArtifactRepository) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(5):
            yield bytes([i]) * 1000

    assert run_coroutine(repo.write_stream_async("async/x.bin", chunks())) == 5000
    assert read(repo, "async/x.bin") == b"".join(bytes([i]) * 1000 for i in range(5))


# -- list semantics -------------------------------------------------------------------


def test_list_direct_children_relative_to_root_sorted(repo: ArtifactRepository, src: Path) -> None:
    repo.log_artifacts(str(src), "m")
    assert listing(repo) == [("m", True, None)]
    assert listing(repo, "m") == [
        ("m/a.txt", False, 5),
        ("m/empty.bin", False, 0),
        ("m/sub", True, None),
        ("m/ünï", True, None),
    ]
    assert listing(repo, "m/sub") == [("m/sub/b.txt", False, 5), ("m/sub/deeper", True, None)]


def test_list_missing_dir_or_file_path_is_empty(repo: ArtifactRepository, src: Path) -> None:
    assert repo.list_artifacts() == []
    assert repo.list_artifacts("nope") == []
    repo.log_artifacts(str(src))
    assert repo.list_artifacts("a.txt") == []
    assert repo.list_artifacts("a.txt/below") == []
    assert repo.list_artifacts("missing/deeper") == []


def test_list_entries_are_file_infos(repo: ArtifactRepository, src: Path) -> None:
    repo.log_artifact(str(src / "a.txt"))
    (info,) = repo.list_artifacts(None)
    assert info == FileInfo(path="a.txt", is_dir=False, file_size=5)
    assert info.to_dict() == {"path": "a.txt", "is_dir": False, "file_size": 5}


# -- delete semantics -----------------------------------------------------------------


def test_delete_file(repo: ArtifactRepository, src: Path) -> None:
    repo.log_artifacts(str(src))
    repo.delete_artifacts("sub/b.txt")
    assert repo.file_size("sub/b.txt") is None
    assert [f.path for f in repo.list_artifacts("sub")] == ["sub/deeper"]


def test_delete_tree(repo: ArtifactRepository, src: Path) -> None:
    repo.log_artifacts(str(src))
    repo.delete_artifacts("sub")
    assert repo.list_artifacts("sub") == []
    assert "sub" not in [f.path for f in repo.list_artifacts()]
    assert read(repo, "a.txt") == b"alpha"


def test_delete_everything(repo: ArtifactRepository, src: Path) -> None:
    repo.log_artifacts(str(src))
    repo.delete_artifacts()
    assert repo.list_artifacts() == []
    repo.write_stream("again.txt", iter([b"x"]))  # the repository stays usable
    assert read(repo, "again.txt") == b"x"


def test_delete_missing_is_fine(repo: ArtifactRepository) -> None:
    repo.delete_artifacts("never/existed.txt")
    repo.delete_artifacts("never")
    repo.delete_artifacts()


# -- read errors ----------------------------------------------------------------------


def test_open_read_missing_is_not_found(repo: ArtifactRepository) -> None:
    with pytest.raises(NotFound):
        repo.open_read("missing.txt")
    with pytest.raises(NotFound):
        repo.open_read("missing/dir/file.txt")


def test_open_read_directory_is_invalid(repo: ArtifactRepository, src: Path) -> None:
    repo.log_artifacts(str(src))
    with pytest.raises(InvalidArgument):
        repo.open_read("sub")
    with pytest.raises(InvalidArgument):
        repo.open_read("")


def test_file_size_of_missing_or_directory_is_none(repo: ArtifactRepository, src: Path) -> None:
    repo.log_artifacts(str(src))
    assert repo.file_size("missing") is None
    assert repo.file_size("sub") is None
    assert repo.file_size("a.txt/x") is None
    assert repo.file_size("sub/b.txt") == 5


# -- write_stream atomicity -----------------------------------------------------------


class Boom(Exception):
    pass


def failing_chunks(after: int) -> Iterator[bytes]:
    for _ in range(after):
        yield b"x" * 65536
    raise Boom("client went away")


def test_failed_write_leaves_nothing_visible(repo: ArtifactRepository) -> None:
    with pytest.raises(Boom):
        repo.write_stream("d/partial.bin", failing_chunks(3))
    assert repo.file_size("d/partial.bin") is None
    assert [f.path for f in repo.list_artifacts("d")] == []
    with pytest.raises(NotFound):
        repo.open_read("d/partial.bin")


def test_failed_overwrite_keeps_the_old_file(repo: ArtifactRepository) -> None:
    repo.write_stream("keep.bin", iter([b"old"]))
    with pytest.raises(Boom):
        repo.write_stream("keep.bin", failing_chunks(2))
    assert read(repo, "keep.bin") == b"old"
    assert listing(repo) == [("keep.bin", False, 3)]


def test_failed_async_write_leaves_nothing_visible(repo: ArtifactRepository) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"a" * 1000
        raise Boom("disconnect")

    with pytest.raises(Boom):
        run_coroutine(repo.write_stream_async("async/partial.bin", chunks()))
    assert repo.file_size("async/partial.bin") is None
    assert repo.list_artifacts("async") == []


# -- hostile paths on every operation ---------------------------------------------------

OPERATIONS: dict[str, Callable[[ArtifactRepository, str, Path], object]] = {
    "list": lambda r, p, s: r.list_artifacts(p),
    "open_read": lambda r, p, s: r.open_read(p),
    "file_size": lambda r, p, s: r.file_size(p),
    "write_stream": lambda r, p, s: r.write_stream(p, iter([b"pwned"])),
    "log_artifact": lambda r, p, s: r.log_artifact(str(s / "a.txt"), p),
    "log_artifacts": lambda r, p, s: r.log_artifacts(str(s), p),
    "download": lambda r, p, s: r.download_artifacts(p, str(s.parent / "dl")),
    "delete": lambda r, p, s: r.delete_artifacts(p),
}


@pytest.mark.parametrize("op", sorted(OPERATIONS))
@pytest.mark.parametrize("bad", EVERY_OP_SAMPLE)
def test_hostile_paths_are_rejected_by_every_operation(repo: ArtifactRepository, src: Path, op: str, bad: str) -> None:
    repo.write_stream("existing.txt", iter([b"keep"]))
    with pytest.raises(InvalidArgument) as excinfo:
        OPERATIONS[op](repo, bad, src)
    assert excinfo.value.message.startswith("Invalid path")
    assert listing(repo) == [("existing.txt", False, 4)]


# -- concurrency and upload validation ----------------------------------------------------


def test_concurrent_writers_leave_one_complete_version(repo: ArtifactRepository) -> None:
    from concurrent.futures import ThreadPoolExecutor

    payloads = [bytes([i]) * (200_000 + i) for i in range(8)]

    def write(i: int) -> int:
        return repo.write_stream("shared/f.bin", iter([payloads[i][:100_000], payloads[i][100_000:]]))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(8)))
    assert read(repo, "shared/f.bin") in payloads
    assert [f.path for f in repo.list_artifacts("shared")] == ["shared/f.bin"]


def test_literal_percent_names_round_trip(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.write_stream("my%20file.txt", iter([b"literal"]))
    repo.write_stream("my file.txt", iter([b"space"]))
    assert read(repo, "my%20file.txt") == b"literal"
    assert read(repo, "my file.txt") == b"space"
    assert [f.path for f in repo.list_artifacts()] == ["my file.txt", "my%20file.txt"]


def test_log_artifacts_validates_every_name_before_writing(repo: ArtifactRepository, tmp_path: Path) -> None:
    tree_dir = tmp_path / "hostile"
    (tree_dir / "sub").mkdir(parents=True)
    (tree_dir / "a.txt").write_bytes(b"a")
    (tree_dir / "sub" / "%2e%2e").write_bytes(b"decodes to ..")
    with pytest.raises(InvalidArgument):
        repo.log_artifacts(str(tree_dir), "m")
    assert repo.list_artifacts() == []
