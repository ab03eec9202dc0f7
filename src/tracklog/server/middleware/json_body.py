"""JSON endpoints: require ``Content-Type: application/json`` on writes and cap the body size.

* POST/PATCH (and a DELETE or PUT that carries a body) to a JSON endpoint with
  another content type get 400 INVALID_PARAMETER_VALUE: this is what stops
  "simple" cross-site form and ``text/plain`` posts.
* JSON bodies over ``max_bytes`` get 413, judged by ``Content-Length`` before
  reading and by counting while streaming (chunked bodies).
* Raw-byte endpoints (artifact uploads) are exempt from both: they stream.

``JsonBodyRules`` holds the checks; the front middleware (``front.py``) applies them
in its single pass, and ``JsonBodyMiddleware`` applies them on their own where
authentication must run first (``--auth``).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracklog.exceptions import RequestTooLarge
from tracklog.server.errors import json_error

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class JsonBodyRules:
    def __init__(self, max_bytes: int, raw_prefixes: Iterable[str]) -> None:
        self.max_bytes = max_bytes
        self.raw_prefixes = tuple(raw_prefixes)

    def applies(self, method: str, path: str) -> bool:
        return method in _BODY_METHODS and not path.startswith(self.raw_prefixes)

    def refusal(self, method: str, length: str | None, content_type: str | None,
                chunked: bool) -> Response | None:
        """The error response for a request that breaks the rules, or None."""
        has_body = (length is not None and length.strip() not in ("", "0")) or chunked
        needs_json = method in ("POST", "PATCH") or has_body
        if needs_json and (content_type is None and has_body or
                           content_type is not None and not is_json_type(content_type)):
            return json_error(400, "INVALID_PARAMETER_VALUE", "Content-Type must be application/json")
        if length is not None:
            try:
                too_big = int(length) > self.max_bytes
            except ValueError:
                return json_error(400, "BAD_REQUEST", "Invalid Content-Length")
            if too_big:
                return json_error(413, RequestTooLarge.error_code, f"Request body exceeds {self.max_bytes} bytes")
        return None

    def limited(self, receive: Receive) -> Receive:
        """``receive`` that raises ``RequestTooLarge`` once the body passes ``max_bytes``."""
        seen = 0
        max_bytes = self.max_bytes

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    raise RequestTooLarge(f"Request body exceeds {max_bytes} bytes")
            return message

        return limited_receive


class JsonBodyMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, raw_prefixes: Iterable[str]) -> None:
        self.app = app
        self.rules = JsonBodyRules(max_bytes, raw_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.rules.applies(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self.rules.refusal(scope["method"], headers.get("content-length"), headers.get("content-type"),
                                     "transfer-encoding" in headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, self.rules.limited(receive), send)
