"""The front middleware: every per-request safety rule in one pure-ASGI pass.

In the order the checks apply (each one used to be a middleware of its own):

1. **security headers** -- ``X-Content-Type-Options: nosniff`` and ``X-Frame-Options:
   SAMEORIGIN`` on every response (unless the response set them);
2. **error envelope** -- any exception that escapes the app (or a check below) becomes the
   ``{"error_code", "message"}`` envelope (``errors.error_response``: ``TrackingError``
   keeps its code, anything else is logged and answered 500 without exception text);
   if the response had already started, the connection is simply ended;
3. **Host allowlist** (``trusted_host.HostRules``; ``exempt_paths`` such as /health skip it);
4. **cross-origin protection** (``origin.OriginPolicy``): foreign origins may not change
   state, preflights are answered here, allowed origins get CORS headers;
5. **JSON body rules** (``json_body.JsonBodyRules``): content type on writes and the
   body-size cap; skipped here (``json_rules=None``) when authentication must run first.

The headers are read in one loop over ``scope["headers"]`` and ``send`` is wrapped
once, instead of once per rule.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracklog.server.errors import error_response, json_error
from tracklog.server.middleware.json_body import JsonBodyRules
from tracklog.server.middleware.origin import UNSAFE_METHODS, OriginPolicy
from tracklog.server.middleware.trusted_host import DEFAULT_ALLOWED_HOSTS, HostRules

__all__ = ["FrontMiddleware"]

logger = logging.getLogger("tracklog.server")

_SECURITY_HEADERS = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"SAMEORIGIN"))
_WANTED = frozenset({b"host", b"origin", b"content-length", b"content-type", b"transfer-encoding",
                     b"access-control-request-method", b"access-control-request-headers"})
_HOST_CACHE_SIZE = 256


def _secure(message: Message) -> None:
    headers = list(message.get("headers", []))
    present = {name.lower() for name, _ in headers}
    headers.extend(h for h in _SECURITY_HEADERS if h[0] not in present)
    message["headers"] = headers


class FrontMiddleware:
    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str], exempt_paths: Iterable[str],
                 allowed_origins: Iterable[str], json_rules: JsonBodyRules | None) -> None:
        self.app = app
        self.hosts = HostRules.build([*DEFAULT_ALLOWED_HOSTS, *allowed_hosts])
        self.exempt = frozenset(exempt_paths)
        self.origins = OriginPolicy(allowed_origins)
        self.json_rules = json_rules
        self._host_verdicts: dict[str, bool] = {}  # Host header value -> allowed (bounded)

    def _host_allowed(self, host: str) -> bool:
        verdict = self._host_verdicts.get(host)
        if verdict is None:
            verdict = self.hosts.allows(host)
            if len(self._host_verdicts) >= _HOST_CACHE_SIZE:
                self._host_verdicts.clear()
            self._host_verdicts[host] = verdict
        return verdict

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        cors: list[tuple[bytes, bytes]] = []

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                _secure(message)
            await send(message)

        async def send_inner(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [*message.get("headers", []), *cors]
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in _SECURITY_HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        try:
            await self._checked(scope, receive, send_inner, cors)
        except Exception as exc:  # noqa: BLE001 - this is the last line of defence
            if started:
                logger.error("Error after the response started", exc_info=exc)
                return
            await error_response(exc)(scope, receive, send_secure)

    async def _checked(self, scope: Scope, receive: Receive, send: Send, cors: list[tuple[bytes, bytes]]) -> None:
        found: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _WANTED and name not in found:
                found[name] = value
        path, method = scope["path"], scope["method"]
        host = found.get(b"host", b"").decode("latin-1")
        if path not in self.exempt and not self._host_allowed(host):
            await json_error(403, "PERMISSION_DENIED", "Invalid Host header")(scope, receive, send)
            return
        raw_origin = found.get(b"origin")
        if raw_origin is not None:
            origin = raw_origin.decode("latin-1")
            ok = self.origins.allowed(origin, host)
            if method == "OPTIONS" and b"access-control-request-method" in found:
                requested = found.get(b"access-control-request-headers")
                response = self.origins.preflight(ok, origin, None if requested is None
                                                  else requested.decode("latin-1"))
                await response(scope, receive, send)
                return
            if not ok and method in UNSAFE_METHODS:
                await json_error(403, "PERMISSION_DENIED", "Cross-origin request blocked")(scope, receive, send)
                return
            if ok:
                cors += [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        rules = self.json_rules
        if rules is not None and rules.applies(method, path):
            length = found.get(b"content-length")
            content_type = found.get(b"content-type")
            refusal = rules.refusal(method, None if length is None else length.decode("latin-1"),
                                    None if content_type is None else content_type.decode("latin-1"),
                                    b"transfer-encoding" in found)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            receive = rules.limited(receive)
        await self.app(scope, receive, send)
