"""The one path-safety gate: canonicalize a relative artifact path, then contain it.

Every backend and every server route passes user-supplied artifact paths
through :func:`safe_relpath` before touching storage; local storage then goes
through :func:`contained` (or the descriptor-based walk in ``local.py``) so no
spelling of ``..``, absolute paths, encoded traversal or a planted symlink can
reach outside the repository root.

The rules, in order:

1. Percent-decode repeatedly until the value stops changing (at most
   ``MAX_DECODE_ROUNDS`` rounds; still changing is an error). Invalid UTF-8
   after decoding (overlong ``%c0%ae`` and friends) is rejected. Rules 2-4 must
   hold for the given string *and for every decoding of it*, so whichever layer
   (proxy, object store, HTTP server) decodes it how many times, it stays
   inside the root. The given spelling is what gets stored: a file literally
   named ``my%20file.txt`` keeps that name, as in MLflow.
2. Reject NUL, control, surrogate and bidi-override characters; backslashes;
   ``#`` and ``?``; any non-ASCII character whose NFKC form contains a
   separator-like character (fullwidth ``．``, ``／``, ``＼``, one-dot leaders...).
3. Reject absolute paths, ``//`` prefixes, drive letters (``C:``) and URI
   schemes (``file:``) in the first segment.
4. Split on ``/``: one trailing ``/`` is dropped; empty segments, ``.`` and
   ``..`` segments, the reserved temp-file prefix and over-long names are rejected.

Every rejection raises ``InvalidArgument`` whose message depends only on the
input string, never on what exists on disk.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path
from urllib.parse import unquote

from tracklog.exceptions import InvalidArgument

__all__ = [
    "MAX_DECODE_ROUNDS",
    "TEMP_PREFIX",
    "contained",
    "invalid_path",
    "is_temp_name",
    "join_relpath",
    "safe_relpath",
]

MAX_DECODE_ROUNDS = 10
# Writers create ``<TEMP_PREFIX><random>`` beside the final name; listings hide it
# and user paths may not use it.
TEMP_PREFIX = ".tracklog-tmp-"
MAX_PATH_LENGTH = 4096
MAX_SEGMENT_BYTES = 255

_SCHEME_OR_DRIVE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_FORBIDDEN_ASCII = frozenset("\\#?")
# Characters that must never appear through Unicode compatibility folding.
_SEPARATOR_LIKE = frozenset("./\\:%#?")
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BAD_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def invalid_path(reason: str) -> InvalidArgument:
    """The one error for unsafe paths. ``reason`` must not depend on storage state."""
    return InvalidArgument(f"Invalid path: {reason}")


def safe_relpath(path: str | None) -> str:
    """Canonical ``a/b/c`` form of a user-supplied relative path ('' for the root).

    Raises ``InvalidArgument("Invalid path: ...")`` for anything that could name
    a location outside the root, whether or not that location exists.
    """
    if path is None or path == "":
        return ""
    if not isinstance(path, str):
        raise invalid_path("not a string")
    if len(path) > MAX_PATH_LENGTH * 3:
        raise invalid_path("too long")
    return _validate_every_decoding(path)


def join_relpath(*parts: str | None) -> str:
    """Join relative paths with ``/`` and validate the result."""
    kept = [safe_relpath(p) for p in parts]
    return safe_relpath("/".join(p for p in kept if p))


def is_temp_name(name: str) -> bool:
    """True for the in-progress files writers create (hidden from listings)."""
    return name.startswith(TEMP_PREFIX)


def contained(root: Path, relpath: str) -> Path:
    """Absolute path of ``relpath`` below ``root``, refusing any escape.

    ``relpath`` is validated again with :func:`safe_relpath`. Each existing
    component below ``root`` is ``lstat``-ed and a symbolic link anywhere in the
    chain is refused (the root itself may be a link: that is the operator's
    choice). Finally the real path must lie inside the real root. Callers that
    open files should still use ``O_NOFOLLOW`` (``local.py`` walks with
    directory descriptors so a link swapped in later is refused too).
    """
    rel = safe_relpath(relpath)
    real_root = Path(os.path.realpath(root))
    current = real_root
    for segment in rel.split("/") if rel else ():
        current = current / segment
        try:
            mode = os.lstat(current).st_mode
        except (FileNotFoundError, NotADirectoryError):
            break  # nothing further exists, so nothing further can be a link
        if stat.S_ISLNK(mode):
            raise invalid_path("symbolic links are not allowed")
        if not stat.S_ISDIR(mode):
            break
    target = real_root / rel if rel else real_root
    resolved = os.path.realpath(target)
    if os.path.commonpath([str(real_root), resolved]) != str(real_root):
        raise invalid_path("outside the artifact root")
    return target


def _validate_every_decoding(raw: str) -> str:
    """Canonical form of ``raw``, after checking it and each of its percent-decodings."""
    canonical = _canonical_segments(raw)
    value = raw
    for _ in range(MAX_DECODE_ROUNDS):
        decoded = _decode_once(value)
        if decoded == value:
            return canonical
        value = decoded
        _canonical_segments(value)
    if _decode_once(value) != value:
        raise invalid_path("too many levels of percent-encoding")
    return canonical


def _decode_once(value: str) -> str:
    try:
        return unquote(value, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise invalid_path("percent-encoding is not valid UTF-8") from None


def _check_characters(value: str) -> None:
    for ch in value:
        if ch.isascii():
            if ch in _FORBIDDEN_ASCII:
                raise invalid_path("backslashes, '#' and '?' are not allowed")
            if ord(ch) < 0x20 or ch == "\x7f":
                raise invalid_path("control characters are not allowed")
            continue
        if unicodedata.category(ch) in _BAD_CATEGORIES or ch in _BIDI_CONTROLS or ch == "\ufeff":
            raise invalid_path("control characters are not allowed")
        if ch == "\ufffd":  # what decoders substitute for invalid UTF-8 (e.g. an overlong %c0%ae)
            raise invalid_path("not valid UTF-8")
        folded = unicodedata.normalize("NFKC", ch)
        if folded != ch and any(c in _SEPARATOR_LIKE for c in folded):
            raise invalid_path("characters that normalize to '.', '/' or '\\' are not allowed")


def _canonical_segments(value: str) -> str:
    _check_characters(value)
    if value.startswith("/"):
        raise invalid_path("absolute paths are not allowed")
    if _SCHEME_OR_DRIVE.match(value):
        raise invalid_path("URI schemes and drive letters are not allowed")
    if value.endswith("/"):
        value = value[:-1]
    if not value:
        raise invalid_path("empty path")
    if len(value) > MAX_PATH_LENGTH:
        raise invalid_path("too long")
    segments = value.split("/")
    for segment in segments:
        _check_segment(segment)
    return value


def _check_segment(segment: str) -> None:
    if segment == "":
        raise invalid_path("empty path segments are not allowed")
    if segment in (".", ".."):
        raise invalid_path("'.' and '..' segments are not allowed")
    if unicodedata.normalize("NFKC", segment) in (".", ".."):
        raise invalid_path("'.' and '..' segments are not allowed")
    if is_temp_name(segment):
        raise invalid_path(f"names starting with '{TEMP_PREFIX}' are reserved")
    if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
        raise invalid_path("a path segment is too long")
