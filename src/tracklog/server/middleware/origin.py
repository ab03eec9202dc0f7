"""Cross-origin protection: foreign origins may not change state; CORS only for allowed origins.

* A request whose ``Origin`` is neither same-origin nor allowed (localhost on any
  port, plus ``--cors-allowed-origins``) gets 403 for POST/PUT/PATCH/DELETE.
  Requests without an ``Origin`` header (non-browser clients) pass.
* Preflights (``OPTIONS`` with ``Access-Control-Request-Method``) are answered
  204 only for allowed origins, 403 otherwise.
* Allowed origins get ``Access-Control-Allow-Origin: <origin>`` (never ``*``)
  and ``Vary: Origin``; credentials are never advertised.

Allowed-origin entries are ``scheme://host[:port]`` with ``*`` globs per part,
compared part by part, so ``http://localhost:*`` does not admit
``http://localhost.evil.example``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.responses import Response

from tracklog.server.errors import json_error
from tracklog.server.middleware.trusted_host import split_host

DEFAULT_ALLOWED_ORIGINS = ("http://localhost:*", "https://localhost:*", "http://127.0.0.1:*",
                           "https://127.0.0.1:*", "http://[::1]:*", "https://[::1]:*")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
_ALLOW_HEADERS = "Content-Type, Authorization, X-Requested-With"
_DEFAULT_PORTS = {"http": "80", "https": "443"}


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: str
    host: str
    port: str

    @classmethod
    def parse(cls, text: str) -> _Origin | None:
        text = text.strip().lower()
        if text == "*":
            return cls("*", "*", "*")
        if "://" not in text:
            return None
        scheme, _, rest = text.partition("://")
        rest = rest.rstrip("/")
        if not rest or "/" in rest or "@" in rest:
            return None
        if rest.startswith("["):
            end = rest.find("]")
            if end < 0:
                return None
            host, port = rest[1:end], rest[end + 2:] if rest[end + 1:end + 2] == ":" else ""
        elif ":" in rest:
            host, port = rest.rsplit(":", 1)
        else:
            host, port = rest, ""
        return cls(scheme, host, port or _DEFAULT_PORTS.get(scheme, ""))

    def matches(self, pattern: _Origin) -> bool:
        return (fnmatch.fnmatchcase(self.scheme, pattern.scheme)
                and fnmatch.fnmatchcase(self.host, pattern.host)
                and fnmatch.fnmatchcase(self.port, pattern.port))


class OriginPolicy:
    """Which origins may change state and receive CORS headers (used by the front middleware)."""

    def __init__(self, allowed_origins: Iterable[str]) -> None:
        self.patterns = [p for p in (_Origin.parse(o) for o in (*DEFAULT_ALLOWED_ORIGINS, *allowed_origins))
                         if p is not None]

    def allowed(self, origin: str, host_header: str) -> bool:
        parsed = _Origin.parse(origin)
        if parsed is None or parsed.scheme == "*":
            return False
        if host_header and parsed.host == split_host(host_header) \
                and parsed.port == _host_port(host_header, parsed.scheme):
            return True  # same origin
        return any(parsed.matches(p) for p in self.patterns)

    @staticmethod
    def preflight(ok: bool, origin: str, requested_headers: str | None) -> Response:
        if not ok:
            return json_error(403, "PERMISSION_DENIED", "Cross-origin request blocked")
        return Response(status_code=204, headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": _ALLOW_METHODS,
            "Access-Control-Allow-Headers": _clean_header_list(requested_headers) or _ALLOW_HEADERS,
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        })


def _host_port(host_header: str, scheme: str) -> str | None:
    host = host_header.strip().lower()
    if host.startswith("["):
        rest = host[host.find("]") + 1:]
        return rest[1:] if rest.startswith(":") else _DEFAULT_PORTS.get(scheme)
    if host.count(":") == 1:
        return host.split(":", 1)[1]
    return _DEFAULT_PORTS.get(scheme)


def _clean_header_list(value: str | None) -> str:
    """Echo a preflight's requested header names (token characters only) for allowed origins."""
    if not value:
        return ""
    names = [n.strip() for n in value.split(",")]
    return ", ".join(n for n in names if n and all(c.isalnum() or c in "-_" for c in n))
