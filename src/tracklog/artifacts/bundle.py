"""Bundles: many artifact files in one request, as an uncompressed POSIX tar stream.

tracklog's client packs a directory of small files into bundles
(:func:`pack_bundle`) and POSTs each to ``/api/2.0/tracklog/artifacts/bundle/<dir>``;
the server unpacks it member by member while it arrives (:func:`unpack_bundle`),
writing every file through the repository's ``write_many`` (``write_stream`` per
file, sharing directory descriptors on the local store), so each file is atomic
and passes the same path checks as a single upload. MLflow servers do not have the
endpoint: the client then falls back to one PUT per file.

The rules for a bundle, any breach of which rejects it with ``InvalidArgument``:

* plain tar (ustar, GNU or pax), read strictly in order, never seeked; no compression;
* the stream ends with the end-of-archive (zero) block: one that stops at a member
  boundary or on a garbled header is truncated, not shorter (tarfile itself would
  end such an archive quietly);
* members are regular files or directories; symbolic links, hard links, devices,
  FIFOs, sparse (GNU type or pax ``GNU.sparse.*`` keys, whose holes would let a few
  bytes declare a terabyte of zeros) and contiguous files are refused;
* every member name passes ``safe_relpath`` (no absolute paths, ``..``, ``./``,
  backslashes...) and appears once;
* at most ``MAX_MEMBERS`` members, and extended headers (pax, GNU long names) of at
  most ``MAX_HEADER_BYTES`` each (global pax headers: in all), so memory stays bounded
  whatever the stream says (members are not kept once read, unlike tarfile's default).

Files before a refused member have been written (each one whole): a bundle is
atomic per file, not as a whole, like a directory uploaded file by file.
Directory members are checked and otherwise ignored (stores keep no empty
directories through the proxy).
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, BinaryIO, Self

from tracklog.artifacts.paths import invalid_path, safe_relpath
from tracklog.exceptions import InvalidArgument

__all__ = [
    "BUNDLE_MEDIA_TYPE",
    "MAX_HEADER_BYTES",
    "MAX_MEMBERS",
    "bundle_files",
    "bundle_members",
    "pack_bundle",
    "stream_bundle",
    "unpack_bundle",
]

BUNDLE_MEDIA_TYPE = "application/x-tar"
MAX_MEMBERS = 10_000
MAX_HEADER_BYTES = 64 * 1024
_READ_CHUNK = 1024 * 1024
_EOF_HEADER: type[Exception] = tarfile.EOFHeaderError  # type: ignore[attr-defined]  # not in typeshed
_END_SEEN = "_tracklog_end_seen"  # set on the TarFile once its end-of-archive block is read
_ACCEPTED = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE)
_EXTENDED = (
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
)
_KINDS = {
    tarfile.SYMTYPE: "symbolic links",
    tarfile.LNKTYPE: "hard links",
    tarfile.CHRTYPE: "devices",
    tarfile.BLKTYPE: "devices",
    tarfile.FIFOTYPE: "FIFOs",
    tarfile.GNUTYPE_SPARSE: "sparse files",
    tarfile.CONTTYPE: "contiguous files",
}

WriteMany = Callable[[Iterable[tuple[str, Iterator[bytes]]]], int]  # ArtifactRepository.write_many


class _CheckedTarInfo(tarfile.TarInfo):
    """Refuses oversized extended headers before tarfile reads them into memory."""

    def _proc_member(self, tar: tarfile.TarFile) -> Any:
        if self.type in _EXTENDED and self.size > MAX_HEADER_BYTES:
            raise InvalidArgument(
                f"Invalid bundle: an extended header of {self.size} bytes (at most {MAX_HEADER_BYTES})"
            )
        if self.type == tarfile.XGLTYPE:  # global pax headers accumulate, and every member gets a copy
            held = sum(len(key) + len(value) for key, value in tar.pax_headers.items())
            if held + self.size > MAX_HEADER_BYTES:
                raise InvalidArgument(f"Invalid bundle: global extended headers over {MAX_HEADER_BYTES} bytes")
        return super()._proc_member(tar)  # type: ignore[misc]  # private in typeshed, stable since 3.0

    @classmethod
    def fromtarfile(cls, tar: tarfile.TarFile) -> Self:
        """Note the end-of-archive block: tarfile ends an archive quietly on a missing,
        truncated or garbled header too, which for a bundle means a truncated stream."""
        try:
            return super().fromtarfile(tar)
        except _EOF_HEADER:
            setattr(tar, _END_SEEN, True)
            raise


class ChunkReader(io.RawIOBase):
    """A readable raw stream over an iterator of byte chunks; ``on_close`` runs once when it is closed."""

    def __init__(self, chunks: Iterator[bytes], on_close: Callable[[], None] | None = None) -> None:
        self._chunks = chunks
        self._on_close = on_close
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        if not self.closed and self._on_close is not None:
            self._on_close()
        super().close()


def unpack_bundle(chunks: Iterator[bytes], write_many: WriteMany) -> int:
    """Write every file of the tar stream ``chunks`` with ``write_many``; return how many."""
    return write_many(bundle_files(chunks))


def bundle_files(chunks: Iterator[bytes]) -> Iterator[tuple[str, Iterator[bytes]]]:
    """``(checked name, data chunks)`` of every file of a tar stream, in order (directories skipped).

    Each file's chunks must be read (or abandoned) before the next pair is taken.
    """
    for name, data in bundle_members(chunks):
        if data is not None:
            yield name, data


def bundle_members(
    chunks: Iterator[bytes], max_members: int | None = None
) -> Iterator[tuple[str, Iterator[bytes] | None]]:
    """``(checked name, data chunks)`` of every member, ``None`` as the data of a directory.

    ``max_members`` defaults to ``MAX_MEMBERS``; pass 0 for no limit (a client reading
    its own download).
    """
    limit = MAX_MEMBERS if max_members is None else max_members
    seen: set[str] = set()
    try:
        with tarfile.open(fileobj=ChunkReader(chunks), mode="r|", tarinfo=_CheckedTarInfo) as tar:
            while (member := tar.next()) is not None:
                tar.members.clear()  # type: ignore[attr-defined]  # tarfile keeps every member read
                name = _checked_member(member, seen, limit)
                if member.isdir():
                    yield name, None
                    continue
                source = tar.extractfile(member)
                assert source is not None  # a regular file
                yield name, _member_chunks(source, member.size)
            if not getattr(tar, _END_SEEN, False):
                raise InvalidArgument("Invalid bundle: the stream ends without the end-of-archive blocks (truncated?)")
    except tarfile.TarError as exc:
        raise InvalidArgument(f"Invalid bundle: not a readable tar stream ({exc})") from None
    except (EOFError, RecursionError, UnicodeError):
        raise InvalidArgument("Invalid bundle: not a readable tar stream") from None
    for _ in chunks:  # trailing padding after the end-of-archive blocks
        pass


def _checked_member(member: tarfile.TarInfo, seen: set[str], limit: int) -> str:
    if member.type not in _ACCEPTED:
        kind = _KINDS.get(member.type, "special members")
        raise invalid_path(f"{kind} are not allowed in a bundle ('{_shown(member.name)}')")
    if member.issparse():  # a regular-file type with pax GNU.sparse.* keys: holes are made up, not sent
        raise invalid_path(f"sparse files are not allowed in a bundle ('{_shown(member.name)}')")
    name = safe_relpath(member.name)
    if not name:
        raise invalid_path("a bundle member has an empty name")
    if limit and len(seen) >= limit:
        raise InvalidArgument(f"Invalid bundle: more than {limit} members")
    if name in seen:
        raise InvalidArgument(f"Invalid bundle: '{_shown(name)}' appears twice")
    seen.add(name)
    return name


def _member_chunks(source: IO[bytes], size: int) -> Iterator[bytes]:
    left = size
    while left > 0:
        try:
            chunk = source.read(min(left, _READ_CHUNK))
        except (tarfile.TarError, EOFError):  # read by the writer, outside bundle_files' guard
            chunk = b""
        if not chunk:
            raise InvalidArgument("Invalid bundle: the stream ends inside a member")
        left -= len(chunk)
        yield chunk


def _shown(name: str) -> str:
    return name if len(name) <= 200 else name[:200] + "..."


def stream_bundle(
    files: Iterable[tuple[str, int | None, Callable[[], BinaryIO] | None]], piece: int = 256 * 1024
) -> Iterator[bytes]:
    """A pax tar stream of ``(name, size, open)`` entries (``open`` None: a directory), in pieces of
    about ``piece`` bytes; memory stays bounded whatever the files' sizes.

    Each file is sent as opened (its size taken from the open file when it can seek, ``size``
    otherwise); one that is shorter than that when read raises ``InvalidArgument`` mid-stream
    (the reader then sees a truncated tar and refuses it).
    """
    out = bytearray()
    for name, size, opener in files:
        info = tarfile.TarInfo(safe_relpath(name))
        info.mode = 0o644
        if opener is None:
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            out += info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
            continue
        with opener() as fh:
            # the size of the file as opened: a listing can be stale (a file replaced by a longer
            # version since would otherwise go out cut to the listed size, silently)
            info.size = _opened_size(fh, size)
            out += info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
            left = info.size
            while left > 0:
                chunk = fh.read(min(left, _READ_CHUNK))
                if not chunk:
                    raise InvalidArgument(f"'{_shown(name)}' shrank while it was being sent")
                out += chunk
                left -= len(chunk)
                if len(out) >= piece:
                    yield bytes(out)
                    out.clear()
        out += tarfile.NUL * (-info.size % tarfile.BLOCKSIZE)
        if len(out) >= piece:
            yield bytes(out)
            out.clear()
    out += tarfile.NUL * (2 * tarfile.BLOCKSIZE)
    yield bytes(out)


def _opened_size(fh: BinaryIO, listed: int | None) -> int:
    """Size of an opened file (a seek to its end and back: free for local files and the object
    readers, which seek lazily); the listed size if it cannot seek."""
    try:
        if fh.seekable():
            end = fh.seek(0, io.SEEK_END)
            fh.seek(0)
            return end
    except (OSError, ValueError):
        pass
    return listed or 0


def pack_bundle(files: Iterable[tuple[str, str]]) -> bytes:
    """A pax tar of ``(local file, member name)`` pairs, held in memory (callers keep bundles small)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for local, name in files:
            with open(local, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                info = tarfile.TarInfo(safe_relpath(name))
                info.size = size
                info.mode = 0o644
                tar.addfile(info, fh)
    return out.getvalue()
