"""Small helpers for artifact URIs: join, classify, convert, validate.

Artifact URIs are plain local paths (``/data/mlruns``), ``file:`` URIs, object
store URIs (``s3://bucket/prefix``, ``gs://``, ``wasbs://``, ``abfss://``), or
proxied URIs (``mlflow-artifacts:/1/abc/artifacts``, ``http(s)://``).
None of these helpers touches storage.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from tracklog.artifacts.paths import MAX_DECODE_ROUNDS, safe_relpath
from tracklog.exceptions import InvalidArgument

__all__ = [
    "append_path",
    "is_local_uri",
    "local_path_from_uri",
    "uri_scheme",
    "validate_artifact_location",
]

_LOCAL_HOSTS = ("", "localhost")


def uri_scheme(uri: str) -> str:
    """Lower-cased scheme of ``uri``; '' for plain paths."""
    return urlsplit(uri).scheme.lower()


def is_local_uri(uri: str) -> bool:
    """True for plain paths and ``file:`` URIs without a remote host."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "":
        return not uri.startswith("//")  # '//host/share' is a network path, not local
    return scheme == "file" and parts.netloc.lower() in _LOCAL_HOSTS


def local_path_from_uri(uri: str) -> str:
    """Absolute local path named by a plain path or a ``file:`` URI.

    Plain paths are returned made absolute and are not percent-decoded;
    ``file:`` URIs are decoded once. ``file://otherhost/...``, queries and
    fragments are rejected.
    """
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "":
        if uri.startswith("//"):
            raise InvalidArgument("Invalid artifact URI: network paths are not local")
        return os.path.abspath(uri)
    if scheme != "file":
        raise InvalidArgument(f"Not a local artifact URI (scheme '{scheme}')")
    if parts.netloc.lower() not in _LOCAL_HOSTS:
        raise InvalidArgument("Invalid artifact URI: file URIs with a remote host are not supported")
    if parts.query or parts.fragment or "?" in uri or "#" in uri:
        raise InvalidArgument("Invalid artifact URI: queries and fragments are not allowed")
    path = unquote(parts.path, errors="strict")
    if not path.startswith("/"):
        raise InvalidArgument("Invalid artifact URI: file URIs must be absolute")
    if "\x00" in path:
        raise InvalidArgument("Invalid artifact URI: NUL byte")
    return path


def append_path(uri: str, relpath: str | None) -> str:
    """``uri`` with a validated relative path appended, with exactly one ``/`` between.

    Works for plain paths, ``file:`` (the relative part is percent-encoded there,
    so ``local_path_from_uri`` maps it back exactly), ``s3://bucket[/prefix]``,
    ``mlflow-artifacts:/x`` and ``http(s)://``. A base URI with a query or a
    fragment is refused (the path would land in the wrong component, which is
    how CVE-2023-6909 escaped).
    """
    rel = safe_relpath(relpath)
    if "?" in uri or "#" in uri:
        raise InvalidArgument("Invalid artifact URI: queries and fragments are not allowed")
    if not rel:
        return uri
    parts = urlsplit(uri)
    if parts.scheme.lower() == "file":
        rel = quote(rel, safe="/")  # local_path_from_uri decodes file URIs once: keep names exact
    path = parts.path
    prefix = uri[: len(uri) - len(path)] if path else uri
    if path.strip("/") == "":
        return f"{prefix}/{rel}"
    return f"{prefix}{path.rstrip('/')}/{rel}"


def validate_artifact_location(
    location: str,
    allowed_roots: Iterable[str | Path],
    *,
    allowed_schemes: Iterable[str] | None = None,
) -> str:
    """Check an experiment's ``artifact_location``; return it unchanged if safe.

    Rejected (``InvalidArgument``): control characters, backslashes, ``;``,
    queries and fragments (raw or percent-encoded), a ``..`` or ``.`` segment in
    any component after decoding to a fixpoint, relative local paths, schemes
    that are not registered, and anything not inside one of ``allowed_roots``
    (local roots are compared by real path, remote roots segment by segment on
    the URI). An empty ``allowed_roots`` refuses every location.
    """
    if not isinstance(location, str) or not location:
        raise InvalidArgument("Invalid artifact location: empty")
    _decode_location(location)  # every decoding of every component must be clean
    scheme = uri_scheme(location)
    known = set(allowed_schemes) if allowed_schemes is not None else _registered_schemes()
    if scheme not in known:
        raise InvalidArgument(f"Invalid artifact location: unsupported scheme '{scheme}'")
    roots = [str(r) for r in allowed_roots]
    if is_local_uri(location):
        if not scheme and not os.path.isabs(location):
            raise InvalidArgument("Invalid artifact location: local paths must be absolute")
        _require_local_inside(local_path_from_uri(location), roots)
    else:
        _require_remote_inside(location, roots)
    return location


def _decode_location(location: str) -> str:
    value = location
    for _ in range(MAX_DECODE_ROUNDS + 1):
        _check_location_text(value)
        try:
            decoded = unquote(value, errors="strict")
        except UnicodeDecodeError:
            raise InvalidArgument("Invalid artifact location: bad percent-encoding") from None
        if decoded == value:
            return value
        value = decoded
    raise InvalidArgument("Invalid artifact location: too many levels of percent-encoding")


def _check_location_text(value: str) -> None:
    if any(ord(c) < 0x20 or c == "\x7f" for c in value):
        raise InvalidArgument("Invalid artifact location: control characters")
    for bad in ("\\", "?", "#", ";"):
        if bad in value:
            raise InvalidArgument("Invalid artifact location: queries, fragments, ';' and '\\' are not allowed")
    parts = urlsplit(value)
    for component in (parts.netloc, parts.path):
        if any(seg in (".", "..") for seg in component.split("/")):
            raise InvalidArgument("Invalid artifact location: '.' and '..' segments are not allowed")


def _require_local_inside(path: str, roots: list[str]) -> None:
    real = os.path.realpath(path)
    for root in roots:
        if not is_local_uri(root):
            continue
        real_root = os.path.realpath(local_path_from_uri(root))
        if os.path.commonpath([real_root, real]) == real_root:
            return
    raise InvalidArgument("Invalid artifact location: outside the allowed artifact roots")


def _require_remote_inside(location: str, roots: list[str]) -> None:
    loc = urlsplit(location)
    for root in roots:
        base = urlsplit(root)
        if base.scheme.lower() != loc.scheme.lower() or base.netloc.lower() != loc.netloc.lower():
            continue
        root_path = posixpath.join("/", base.path.strip("/"))
        loc_path = posixpath.join("/", loc.path.strip("/"))
        if root_path == "/" or loc_path == root_path or loc_path.startswith(root_path + "/"):
            return
    raise InvalidArgument("Invalid artifact location: outside the allowed artifact roots")


def _registered_schemes() -> set[str]:
    from tracklog.artifacts.registry import known_schemes

    return set(known_schemes())
