"""The bundle route (many files in one tar stream): round trip, and every hostile tar it must refuse."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.server.helpers import Api

from tracklog.artifacts.bundle import MAX_HEADER_BYTES, MAX_MEMBERS, pack_bundle

BUNDLE = "/api/2.0/tracklog/artifacts/bundle"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"


TAR = {"Content-Type": "application/x-tar"}


def _prefix(api: Api) -> str:
    run = api.run(api.experiment())["info"]
    return str(run["artifact_uri"][len("mlflow-artifacts:/") :])


def _tar(*members: tuple[tarfile.TarInfo, bytes | None], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, None


def _pax(name: str, headers: dict[str, str]) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.pax_headers = headers
    return info, b""


def _global_then_dir(i: int) -> bytes:
    """A 40 KB global pax header (a new key each time), then a directory member."""
    header: bytes = tarfile.TarInfo._create_pax_generic_header(  # type: ignore[attr-defined]
        {f"k{i}": "v" * 40_000}, tarfile.XGLTYPE, "utf-8"
    )
    member = tarfile.TarInfo(f"d{i}")
    member.type = tarfile.DIRTYPE
    return header + member.tobuf(tarfile.USTAR_FORMAT)


def _files_below(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_bundle_round_trip(api: Api, destination: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    names = ["a.txt", "sub/b.bin", "sub/deeper/c.json", "unicodé név.txt"]
    for i, name in enumerate(names):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(os.urandom(100 * i + 1))
    body = pack_bundle((str(src / n), n) for n in names)
    prefix = _prefix(api)
    r = api.client.post(f"{BUNDLE}/{prefix}/out", headers=TAR, content=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"files": 4}
    for name in names:
        assert (destination / prefix / "out" / name).read_bytes() == (src / name).read_bytes()
        assert api.client.get(f"{PROXY}/{prefix}/out/{name}").content == (src / name).read_bytes()
    # directory members are accepted (and create nothing); an empty bundle writes nothing
    dir_member = tarfile.TarInfo("emptydir")
    dir_member.type = tarfile.DIRTYPE
    assert api.client.post(f"{BUNDLE}/{prefix}/d", headers=TAR, content=_tar((dir_member, None))).json() == {"files": 0}
    assert api.client.post(f"{BUNDLE}/{prefix}/e", headers=TAR, content=_tar()).json() == {"files": 0}


def test_large_bundle_is_streamed(api: Api, destination: Path) -> None:
    """A bundle bigger than the small-body threshold goes through the streaming bridge."""
    big = os.urandom(3 * 1024 * 1024 + 17)
    body = _tar(_file("big.bin", big), *(_file(f"s/{i}.txt", b"%d" % i) for i in range(300)))
    prefix = _prefix(api)
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    r = api.client.post(f"{BUNDLE}/{prefix}", headers=TAR, content=iter(chunks))
    assert r.json() == {"files": 301}
    assert (destination / prefix / "big.bin").read_bytes() == big
    assert (destination / prefix / "s" / "299.txt").read_bytes() == b"299"


HOSTILE: dict[str, Callable[[], bytes]] = {
    "dot-dot": lambda: _tar(_file("../escape.txt")),
    "inner dot-dot": lambda: _tar(_file("a/../../escape.txt")),
    "absolute": lambda: _tar(_file("/tmp/escape.txt")),
    "dot segment": lambda: _tar(_file("./a.txt")),
    "backslash": lambda: _tar(_file("..\\escape.txt")),
    "encoded dot-dot": lambda: _tar(_file("%2e%2e/escape.txt")),
    "reserved temp name": lambda: _tar(_file(".tracklog-tmp-x")),
    "symlink": lambda: _tar(_special("link", tarfile.SYMTYPE, "/etc/passwd")),
    "symlink then write through it": lambda: _tar(_special("d", tarfile.SYMTYPE, "/tmp"), _file("d/x")),
    "hard link": lambda: _tar(_special("hard", tarfile.LNKTYPE, "/etc/passwd")),
    "character device": lambda: _tar(_special("dev", tarfile.CHRTYPE)),
    "block device": lambda: _tar(_special("blk", tarfile.BLKTYPE)),
    "fifo": lambda: _tar(_special("fifo", tarfile.FIFOTYPE)),
    "duplicate names": lambda: _tar(_file("same.txt", b"1"), _file("same.txt", b"2")),
    "duplicate spelled differently": lambda: _tar(_file("d/same.txt"), _file("d/same.txt/")),
    "gnu long name dot-dot": lambda: _tar(_file("../" + "a" * 200 + "/x"), fmt=tarfile.GNU_FORMAT),
    # pax sparse members keep the regular-file type: a few bytes would declare a terabyte of holes
    "pax sparse 0.1": lambda: _tar(_pax("s.bin", {"GNU.sparse.map": "0,0", "GNU.sparse.realsize": str(10**12)})),
    "pax sparse 0.0": lambda: _tar(_pax("s.bin", {"GNU.sparse.size": str(10**12), "GNU.sparse.numblocks": "0"})),
    # global pax headers accumulate (and each member gets a copy): capped in all, like one header
    "global header flood": lambda: b"".join(_global_then_dir(i) for i in range(3)) + b"\x00" * 1024,
    "not a tar": lambda: b"this is not a tar stream" * 100,
    "gzip": lambda: b"\x1f\x8b\x08\x00" + b"\x00" * 1020,
    "truncated member": lambda: _tar(_file("t.bin", b"y" * 5000))[: 512 + 1024],
    # cut at a member boundary (no end-of-archive blocks): tarfile alone would take it as complete
    "truncated between members": lambda: _tar(_file("t1", b"1"), _file("t2", b"2"), fmt=tarfile.USTAR_FORMAT)[:1024],
    "truncated inside a header": lambda: _tar(_file("t1", b"1"), _file("t2", b"2"), fmt=tarfile.USTAR_FORMAT)[:1300],
    "garbled header after a member": lambda: (
        _tar(_file("t1", b"1"), fmt=tarfile.USTAR_FORMAT)[:1024] + b"garbage!" * 64 + b"\x00" * 1024
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_bundles_are_refused(api: Api, destination: Path, tmp_path: Path, case: str) -> None:
    prefix = _prefix(api)
    before = _files_below(tmp_path)
    r = api.client.post(f"{BUNDLE}/{prefix}/in", headers=TAR, content=HOSTILE[case]())
    assert r.status_code == 400, (case, r.status_code, r.text)
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    after = [p for p in _files_below(tmp_path) if p not in before]
    # at most files before the refused member were written, each whole, inside the run's directory
    assert all(p.startswith(f"artifacts/{prefix}/in/") for p in after), after
    assert not any(".tracklog-tmp-" in p for p in after)
    assert not (tmp_path / "escape.txt").exists() and not (destination / "escape.txt").exists()


def test_huge_member_count_is_refused_at_the_cap(api: Api, destination: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Members past the cap are refused there, without reading (or writing) the rest."""
    import tracklog.artifacts.bundle as bundle

    monkeypatch.setattr(bundle, "MAX_MEMBERS", 100)
    prefix = _prefix(api)
    body = _tar(*(_file(f"m{i}", b"") for i in range(5000)), fmt=tarfile.USTAR_FORMAT)
    r = api.client.post(f"{BUNDLE}/{prefix}/many", headers=TAR, content=body)
    assert r.status_code == 400 and "more than 100 members" in r.json()["message"]
    assert len(list((destination / prefix / "many").iterdir())) == 100
    assert MAX_MEMBERS >= 1000  # the real cap still lets the client send its batches


def test_oversized_extended_header_is_refused_before_it_is_read(api: Api) -> None:
    prefix = _prefix(api)
    header = tarfile.TarInfo("././@PaxHeader")
    header.type = tarfile.XHDTYPE
    header.size = 8**11 - 1  # 8 GiB declared, never sent
    body = header.tobuf(format=tarfile.USTAR_FORMAT) + b"\x00" * 1024
    r = api.client.post(f"{BUNDLE}/{prefix}", headers=TAR, content=body)
    assert r.status_code == 400 and str(MAX_HEADER_BYTES) in r.json()["message"]


def test_bundle_path_in_the_url_is_checked(api: Api) -> None:
    prefix = _prefix(api)
    for bad in (f"{prefix}/%2e%2e/%2e%2e/x", f"{prefix}/%252e%252e/x", f"{prefix}/.tracklog-tmp-a"):
        r = api.client.post(f"{BUNDLE}/{bad}", headers=TAR, content=_tar(_file("a")))
        assert r.status_code in (400, 404), (bad, r.status_code)


def test_bundle_needs_the_tar_content_type(api: Api, destination: Path) -> None:
    """A cross-site page can post text/plain or a form without a preflight: those are refused."""
    prefix = _prefix(api)
    for headers in ({"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}, {}):
        r = api.client.post(f"{BUNDLE}/{prefix}", headers=headers, content=_tar(_file("a")))
        assert r.status_code == 400 and "application/x-tar" in r.json()["message"], headers
    assert not (destination / prefix / "a").exists()


def test_directory_download_as_one_tar(api: Api, destination: Path) -> None:
    prefix = _prefix(api)
    files = {"a.txt": b"a", "sub/b.bin": os.urandom(300_000), "sub/deeper/c.json": b"{}", "unicodé.txt": b"u"}
    for name, data in files.items():
        assert api.client.put(f"{PROXY}/{prefix}/tree/{name}", content=data).status_code == 200
    (destination / prefix / "tree" / "empty").mkdir()
    (destination / prefix / "tree" / "link").symlink_to(destination)  # never followed, never listed
    r = api.client.get(f"{BUNDLE}/{prefix}/tree")
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-tar"
    assert r.headers["content-disposition"].startswith('attachment; filename="tree.tar"')
    got: dict[str, bytes | None] = {}
    with tarfile.open(fileobj=io.BytesIO(r.content), mode="r|") as tar:
        for member in tar:
            source = tar.extractfile(member) if member.isfile() else None
            got[member.name] = source.read() if source else None
    assert got == {**files, "sub": None, "sub/deeper": None, "empty": None}
    # a missing directory is an empty tar; traversal in the URL is refused
    with tarfile.open(fileobj=io.BytesIO(api.client.get(f"{BUNDLE}/{prefix}/nothing").content)) as tar:
        assert tar.getnames() == []
    for bad in (f"{prefix}/%2e%2e/%2e%2e", f"{prefix}/%252e%252e/x"):
        assert api.client.get(f"{BUNDLE}/{bad}").status_code in (400, 404)


def test_directory_download_sends_each_file_as_opened(
    api: Api, destination: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file replaced by a longer version between the listing and its read: the tar must carry the
    version it opened, whole (it carried the listed size's first bytes of the new one: a silent cut)."""
    from tracklog.server.artifact_access import ArtifactScope

    prefix = _prefix(api)
    for name in ("a.txt", "b.txt"):
        assert api.client.put(f"{PROXY}/{prefix}/grow/{name}", content=b"old").status_code == 200
    real_open = ArtifactScope.open_read

    def open_after_a_rewrite(self: ArtifactScope, path: str) -> object:
        (destination / path).write_bytes(b"new, longer")
        return real_open(self, path)

    monkeypatch.setattr(ArtifactScope, "open_read", open_after_a_rewrite)
    r = api.client.get(f"{BUNDLE}/{prefix}/grow")
    with tarfile.open(fileobj=io.BytesIO(r.content), mode="r|") as tar:
        got = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
    assert got == {"a.txt": b"new, longer", "b.txt": b"new, longer"}


def test_memory_stays_bounded_whatever_the_member_headers() -> None:
    """tarfile keeps every member it reads, pax headers included: 10,000 members with 60 KB
    headers held ~600 MB per request. The reader must not."""
    import tracemalloc

    from tracklog.artifacts.bundle import bundle_members

    def stream() -> Iterator[bytes]:
        for i in range(1500):
            member = tarfile.TarInfo(f"d{i}")
            member.type = tarfile.DIRTYPE
            member.pax_headers = {"comment": "v" * 60_000}
            yield member.tobuf(tarfile.PAX_FORMAT)
        yield b"\x00" * 1024

    tracemalloc.start()
    try:
        assert sum(1 for _ in bundle_members(stream())) == 1500
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024, f"{peak / 2**20:.0f} MiB held"
