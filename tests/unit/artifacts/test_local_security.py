"""The local repository against the traversal catalogue, planted symlinks and crashes.

Layout of every test: ``tmp/outside/secret.txt`` (a sentinel that must never be
read, changed or deleted) next to ``tmp/root`` (the repository root).
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.unit.artifacts._catalogue import TRAVERSAL

from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.artifacts.paths import TEMP_PREFIX
from tracklog.exceptions import InvalidArgument, NotFound, TrackingError

SECRET = b"top secret"


@pytest.fixture
def world(tmp_path: Path) -> tuple[LocalArtifactRepository, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (outside / "dir").mkdir()
    (outside / "dir" / "inner.txt").write_bytes(SECRET)
    root = tmp_path / "root"
    root.mkdir()
    (root / "ok.txt").write_bytes(b"fine")
    return LocalArtifactRepository(str(root)), outside


def snapshot(path: Path) -> dict[str, bytes | None]:
    return {
        p.relative_to(path).as_posix(): (p.read_bytes() if p.is_file() and not p.is_symlink() else None)
        for p in sorted(path.rglob("*"))
    }


@pytest.fixture
def src(tmp_path: Path) -> Path:
    d = tmp_path / "upload"
    d.mkdir()
    (d / "f.txt").write_bytes(b"payload")
    return d


Op = Callable[[LocalArtifactRepository, str, Path], object]

OPS: dict[str, Op] = {
    "get": lambda r, p, s: r.open_read(p).close(),
    "list": lambda r, p, s: r.list_artifacts(p),
    "size": lambda r, p, s: r.file_size(p),
    "upload": lambda r, p, s: r.log_artifact(str(s / "f.txt"), p),
    "upload_tree": lambda r, p, s: r.log_artifacts(str(s), p),
    "write": lambda r, p, s: r.write_stream(p, iter([b"pwned"])),
    "download": lambda r, p, s: r.download_artifacts(p, str(s / "dl")),
    "delete": lambda r, p, s: r.delete_artifacts(p),
}


def expect_refused(op: str, repo: LocalArtifactRepository, path: str, src: Path, outside: Path) -> InvalidArgument:
    before = snapshot(outside.parent / "outside")
    with pytest.raises(InvalidArgument) as excinfo:
        OPS[op](repo, path, src)
    assert snapshot(outside.parent / "outside") == before
    assert (outside / "secret.txt").read_bytes() == SECRET
    return excinfo.value


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("bad", TRAVERSAL)
def test_catalogue_touches_nothing_outside(
    world: tuple[LocalArtifactRepository, Path], src: Path, op: str, bad: str
) -> None:
    repo, outside = world
    err = expect_refused(op, repo, bad, src, outside)
    assert err.message.startswith("Invalid path")
    assert sorted(p.name for p in Path(repo.root).iterdir()) == ["ok.txt"]


# Spellings that aim at the real sentinel, paired with the same spelling aimed at a missing file.
AIMED = [
    ("../outside/secret.txt", "../outside/missing.txt"),
    ("%2e%2e/outside/secret.txt", "%2e%2e/outside/missing.txt"),
    ("%252e%252e%252foutside%252fsecret.txt", "%252e%252e%252foutside%252fmissing.txt"),
    ("..%5coutside%5csecret.txt", "..%5coutside%5cmissing.txt"),
    ("..\\outside\\secret.txt", "..\\outside\\missing.txt"),
    ("ok.txt/../../outside/secret.txt", "ok.txt/../../outside/missing.txt"),
    ("\uff0e\uff0e/outside/secret.txt", "\uff0e\uff0e/outside/missing.txt"),
    ("%c0%ae%c0%ae/outside/secret.txt", "%c0%ae%c0%ae/outside/missing.txt"),
]


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize(("existing", "missing"), AIMED)
def test_same_error_whether_or_not_the_target_exists(
    world: tuple[LocalArtifactRepository, Path], src: Path, op: str, existing: str, missing: str
) -> None:
    repo, outside = world
    absolute_hit = str(outside / "secret.txt")
    absolute_miss = str(outside / "missing.txt")
    for hit, miss in ((existing, missing), (absolute_hit, absolute_miss)):
        a = expect_refused(op, repo, hit, src, outside)
        b = expect_refused(op, repo, miss, src, outside)
        assert (type(a), a.message, a.error_code) == (type(b), b.message, b.error_code)


# -- planted symlinks -------------------------------------------------------------------


@pytest.fixture
def planted(world: tuple[LocalArtifactRepository, Path]) -> tuple[LocalArtifactRepository, Path]:
    repo, outside = world
    root = Path(repo.root)
    (root / "link_file").symlink_to(outside / "secret.txt")
    (root / "link_dir").symlink_to(outside / "dir")
    (root / "link_missing").symlink_to(outside / "missing.txt")
    (root / "real").mkdir()
    (root / "real" / "nested_link").symlink_to(outside)
    return repo, outside


LINKED_PATHS = [
    "link_file",
    "link_dir",
    "link_dir/inner.txt",
    "link_dir/new.txt",
    "link_dir/sub/new.txt",
    "link_missing",
    "real/nested_link",
    "real/nested_link/secret.txt",
    "real/nested_link/dir",
]


@pytest.mark.parametrize("op", ["get", "list", "size", "write", "upload", "upload_tree", "download", "delete"])
@pytest.mark.parametrize("path", LINKED_PATHS)
def test_planted_symlinks_are_refused(
    planted: tuple[LocalArtifactRepository, Path], src: Path, op: str, path: str
) -> None:
    repo, outside = planted
    with pytest.raises(InvalidArgument) as excinfo:
        OPS[op](repo, path, src)
    assert excinfo.value.message == "Invalid path: symbolic links are not allowed"
    assert snapshot(outside) == {"secret.txt": SECRET, "dir": None, "dir/inner.txt": SECRET}
    assert not (outside / "new.txt").exists()
    assert not (outside / "dir" / "new.txt").exists()


def test_symlink_refusal_does_not_depend_on_the_link_target(
    planted: tuple[LocalArtifactRepository, Path],
) -> None:
    repo, _ = planted
    messages = set()
    for path in ("link_file", "link_missing"):
        with pytest.raises(InvalidArgument) as excinfo:
            repo.open_read(path)
        messages.add(excinfo.value.message)
    assert len(messages) == 1


def test_uploads_through_a_link_are_refused(planted: tuple[LocalArtifactRepository, Path], src: Path) -> None:
    repo, outside = planted
    for path in ("link_dir", "real/nested_link", "real/nested_link/dir"):
        with pytest.raises(InvalidArgument):
            repo.log_artifact(str(src / "f.txt"), path)
    with pytest.raises(InvalidArgument):
        repo.write_stream("link_file", iter([b"pwned"]))
    assert (outside / "secret.txt").read_bytes() == SECRET
    assert os.path.islink(Path(repo.root) / "link_file")


def test_listings_hide_links(planted: tuple[LocalArtifactRepository, Path]) -> None:
    repo, _ = planted
    assert [f.path for f in repo.list_artifacts()] == ["ok.txt", "real"]
    assert repo.list_artifacts("real") == []


def test_tree_download_skips_links(planted: tuple[LocalArtifactRepository, Path], tmp_path: Path) -> None:
    repo, _ = planted
    out = Path(repo.download_artifacts("", str(tmp_path / "dl")))
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    assert files == ["ok.txt", "real"]


def test_deleting_a_tree_unlinks_links_without_following(planted: tuple[LocalArtifactRepository, Path]) -> None:
    repo, outside = planted
    repo.delete_artifacts("real")
    assert not (Path(repo.root) / "real").exists()
    repo.delete_artifacts()
    assert list(Path(repo.root).iterdir()) == []
    assert snapshot(outside) == {"secret.txt": SECRET, "dir": None, "dir/inner.txt": SECRET}


def test_root_itself_may_be_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real_root"
    real.mkdir()
    (tmp_path / "root_link").symlink_to(real)
    repo = LocalArtifactRepository(str(tmp_path / "root_link"))
    repo.write_stream("a/b.txt", iter([b"ok"]))
    assert (real / "a" / "b.txt").read_bytes() == b"ok"


# -- special files ----------------------------------------------------------------------


@pytest.mark.timeout(10)
def test_planted_fifo_does_not_hang_reads(world: tuple[LocalArtifactRepository, Path]) -> None:
    repo, _ = world
    os.mkfifo(Path(repo.root) / "pipe")
    with pytest.raises(InvalidArgument):
        repo.open_read("pipe")
    assert repo.file_size("pipe") is None
    assert [f.path for f in repo.list_artifacts()] == ["ok.txt"]


def test_temp_files_are_hidden_and_reserved(world: tuple[LocalArtifactRepository, Path]) -> None:
    repo, _ = world
    (Path(repo.root) / f"{TEMP_PREFIX}abcd").write_bytes(b"in flight")
    assert [f.path for f in repo.list_artifacts()] == ["ok.txt"]
    with pytest.raises(InvalidArgument):
        repo.open_read(f"{TEMP_PREFIX}abcd")


def test_names_no_path_can_address_are_hidden(world: tuple[LocalArtifactRepository, Path]) -> None:
    repo, _ = world
    root = Path(repo.root)
    (root / "back\\slash").write_bytes(b"x")
    (root / "hash#name").write_bytes(b"x")
    os.close(os.open(os.fsencode(str(root)) + b"/bad\xffutf8", os.O_CREAT | os.O_WRONLY, 0o644))
    assert [f.path for f in repo.list_artifacts()] == ["ok.txt"]


# -- atomicity under faults -----------------------------------------------------------------


def test_disk_full_is_a_clean_error_with_no_leftovers(world: tuple[LocalArtifactRepository, Path]) -> None:
    repo, _ = world

    def chunks() -> Iterator[bytes]:
        yield b"x" * 1000
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(TrackingError) as excinfo:
        repo.write_stream("full/f.bin", chunks())
    assert "No space left" in excinfo.value.message
    assert list((Path(repo.root) / "full").iterdir()) == []


def test_write_onto_a_directory_is_invalid(world: tuple[LocalArtifactRepository, Path]) -> None:
    repo, _ = world
    repo.write_stream("d/f.txt", iter([b"x"]))
    with pytest.raises(InvalidArgument):
        repo.write_stream("d", iter([b"y"]))
    with pytest.raises(InvalidArgument):
        repo.write_stream("d/f.txt/g.txt", iter([b"y"]))
    assert [p.name for p in (Path(repo.root) / "d").iterdir()] == ["f.txt"]


def test_kill_9_mid_upload_leaves_no_file_under_its_final_name(tmp_path: Path) -> None:
    root = tmp_path / "root"
    script = textwrap.dedent(
        f"""
        import sys, time
        from tracklog.artifacts.local import LocalArtifactRepository
        def chunks():
            yield b"a" * 65536
            print("started", flush=True)
            while True:
                time.sleep(0.05)
                yield b"b" * 65536
        LocalArtifactRepository({str(root)!r}).write_stream("run/model.bin", chunks())
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"started"
        time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    repo = LocalArtifactRepository(str(root))
    assert repo.list_artifacts("run") == []
    assert repo.file_size("run/model.bin") is None
    assert not (root / "run" / "model.bin").exists()
    assert [p.name.startswith(TEMP_PREFIX) for p in (root / "run").iterdir()] == [True]
    assert repo.sweep_temp_files(older_than_s=3600) == 0  # might still be in progress
    assert repo.sweep_temp_files(older_than_s=-1) == 1
    assert list((root / "run").iterdir()) == []


@pytest.fixture
def fast_tmp(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs directory when there is one (creating 10,000 files on a busy disk is slow)."""
    if not os.access("/dev/shm", os.W_OK):
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir="/dev/shm", prefix="tracklog-test-") as d:
        yield Path(d)


def test_list_10000_files(fast_tmp: Path) -> None:
    root = fast_tmp / "root"
    (root / "many").mkdir(parents=True)
    dir_fd = os.open(root / "many", os.O_RDONLY | os.O_DIRECTORY)
    try:
        for i in range(10_000):
            fd = os.open(f"f{i:05d}.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=dir_fd)
            os.write(fd, b"x" * (i % 7))
            os.close(fd)
    finally:
        os.close(dir_fd)
    repo = LocalArtifactRepository(str(root))
    started = time.perf_counter()
    infos = repo.list_artifacts("many")
    elapsed = time.perf_counter() - started
    assert len(infos) == 10_000
    assert infos[0].path == "many/f00000.txt" and infos[-1].path == "many/f09999.txt"
    assert infos[12].file_size == 12 % 7
    assert elapsed < 5, f"listing took {elapsed:.2f}s"


# -- roots --------------------------------------------------------------------------------


def test_missing_root_reads_as_empty_and_is_created_on_write(tmp_path: Path) -> None:
    repo = LocalArtifactRepository(str(tmp_path / "not" / "yet"))
    assert repo.list_artifacts() == []
    assert repo.file_size("x") is None
    with pytest.raises(NotFound):
        repo.open_read("x")
    repo.delete_artifacts()
    repo.write_stream("x", iter([b"1"]))
    assert (tmp_path / "not" / "yet" / "x").read_bytes() == b"1"


def test_file_uri_roots(tmp_path: Path) -> None:
    for uri in (f"file://{tmp_path}/u1", f"file:{tmp_path}/u2", f"file://localhost{tmp_path}/u3"):
        repo = LocalArtifactRepository(uri)
        repo.write_stream("a.txt", iter([b"1"]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u1", "u2", "u3"]
    with pytest.raises(InvalidArgument):
        LocalArtifactRepository("file://evil-host/share/x")


def test_written_files_are_not_world_writable(world: tuple[LocalArtifactRepository, Path]) -> None:
    repo, _ = world
    old = os.umask(0o022)
    try:
        repo.write_stream("perm/f.txt", iter([b"x"]))
    finally:
        os.umask(old)
    assert (Path(repo.root) / "perm" / "f.txt").stat().st_mode & 0o777 == 0o644


def test_log_artifacts_copies_file_links_and_skips_dir_links(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (tmp_path / "data.bin").write_bytes(b"data")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.txt").write_bytes(b"x")
    (src / "file_link").symlink_to(tmp_path / "data.bin")
    (src / "dir_link").symlink_to(tmp_path / "elsewhere")
    repo = LocalArtifactRepository(str(tmp_path / "root"))
    repo.log_artifacts(str(src))
    assert [f.path for f in repo.list_artifacts()] == ["file_link"]
    assert not os.path.islink(tmp_path / "root" / "file_link")
    assert (tmp_path / "root" / "file_link").read_bytes() == b"data"


def test_filesystems_that_cannot_fsync_a_directory_still_work(
    world: tuple[LocalArtifactRepository, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat as stat_mod

    repo, _ = world
    real_fsync = os.fsync
    synced: list[bool] = []

    def fsync(fd: int) -> None:
        is_dir = stat_mod.S_ISDIR(os.fstat(fd).st_mode)
        synced.append(is_dir)
        if is_dir:
            raise OSError(errno.EINVAL, "Invalid argument")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setenv("TRACKLOG_ARTIFACTS_FSYNC", "true")
    repo.write_stream("d/f.txt", iter([b"ok"]))
    repo.delete_artifacts("d/f.txt")
    assert repo.list_artifacts("d") == []
    assert synced == [False, True, True]  # the file, its directory after the rename, after the delete
    for off in ("false", ""):  # off by default, as in MLflow
        monkeypatch.setenv("TRACKLOG_ARTIFACTS_FSYNC", off)
        repo.write_stream("d/g.txt", iter([b"ok"]))
    monkeypatch.delenv("TRACKLOG_ARTIFACTS_FSYNC")
    repo.write_stream("d/h.txt", iter([b"ok"]))
    assert len(synced) == 3  # no fsync at all


def test_a_link_swapped_in_during_the_walk_is_refused(
    world: tuple[LocalArtifactRepository, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check-then-use races: the walk holds descriptors, so a swap after any check is still refused."""
    repo, outside = world
    root = Path(repo.root)
    (root / "a" / "b").mkdir(parents=True)
    real_mkdir = os.mkdir

    def racing_mkdir(path: str, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        if path == "b" and not (root / "a" / "b").is_symlink():
            os.rmdir(root / "a" / "b")
            os.symlink(outside, root / "a" / "b")
        real_mkdir(path, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "mkdir", racing_mkdir)
    with pytest.raises(InvalidArgument, match="symbolic links"):
        repo.write_stream("a/b/secret.txt", iter([b"pwned"]))
    assert (outside / "secret.txt").read_bytes() == SECRET
    assert sorted(p.name for p in outside.iterdir()) == ["dir", "secret.txt"]


def test_write_many_reuses_directories_and_closes_them(world: tuple[LocalArtifactRepository, Path]) -> None:
    repo, outside = world
    root = Path(repo.root)
    fds_before = len(os.listdir("/proc/self/fd"))
    files = [(f"d{i % 100}/sub/f{i}.txt", iter([b"%d" % i])) for i in range(300)]
    assert repo.write_many(files) == 300  # more directories than it keeps open at once
    assert (root / "d7" / "sub" / "f207.txt").read_bytes() == b"207"
    assert len(os.listdir("/proc/self/fd")) == fds_before
    (root / "lnk").symlink_to(outside)
    with pytest.raises(InvalidArgument, match="symbolic links"):
        repo.write_many([("ok.txt", iter([b"x"])), ("lnk/owned.txt", iter([b"x"]))])
    assert (root / "ok.txt").exists() and not (outside / "owned.txt").exists()
    assert len(os.listdir("/proc/self/fd")) == fds_before


def test_write_many_after_its_directory_was_deleted(world: tuple[LocalArtifactRepository, Path]) -> None:
    """A DELETE of a directory while a bundle writes into it: the bundle's held descriptor points at
    a removed directory. The next file goes into the directory as it now is (re-created), not into
    the void as a FileNotFoundError (a 500 naming a temp file)."""
    repo, _ = world
    root = Path(repo.root)
    fds_before = len(os.listdir("/proc/self/fd"))

    def files() -> Iterator[tuple[str, Iterator[bytes]]]:
        yield "a/x", iter([b"1"])
        repo.delete_artifacts("a")
        yield "a/y", iter([b"2"])

    assert repo.write_many(files()) == 2
    assert (root / "a" / "y").read_bytes() == b"2" and not (root / "a" / "x").exists()
    assert len(os.listdir("/proc/self/fd")) == fds_before


def test_a_directory_deleted_during_a_write_is_a_clean_error(world: tuple[LocalArtifactRepository, Path]) -> None:
    repo, _ = world
    root = Path(repo.root)

    def chunks() -> Iterator[bytes]:
        yield b"half"
        repo.delete_artifacts("gone")

    with pytest.raises(TrackingError) as excinfo:
        repo.write_stream("gone/f.bin", chunks())
    assert excinfo.value.http_status == 409 and TEMP_PREFIX not in str(excinfo.value)
    assert not (root / "gone").exists()
