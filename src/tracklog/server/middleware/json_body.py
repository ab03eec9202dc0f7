"""JSON endpoints: require ``Content-Type: application/json`` on writes and cap the body size.

* POST/PATCH (and a DELETE or PUT that carries a body) to a JSON endpoint with
  another content type get 400 INVALID_PARAMETER_VALUE: this is what stops
  "simple" cross-site form and ``text/plain`` posts.
* JSON bodies over ``max_bytes`` get 413, judged by ``Content-Length`` before
  reading and by counting while streaming (chunked bodies).
* Raw-byte endpoints (artifact uploads) are exempt from both: they stream.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracklog.exceptions import RequestTooLarge
from tracklog.server.errors import json_error

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class JsonBodyMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, raw_prefixes: Iterable[str]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.raw_prefixes = tuple(raw_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS \
                or scope["path"].startswith(self.raw_prefixes):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        has_body = (length is not None and length.strip() not in ("", "0")) \
            or "transfer-encoding" in headers
        content_type = headers.get("content-type")
        needs_json = scope["method"] in ("POST", "PATCH") or has_body
        if needs_json and (content_type is None and has_body or
                           content_type is not None and not is_json_type(content_type)):
            await json_error(400, "INVALID_PARAMETER_VALUE",
                             "Content-Type must be application/json")(scope, receive, send)
            return
        if length is not None:
            try:
                too_big = int(length) > self.max_bytes
            except ValueError:
                await json_error(400, "BAD_REQUEST", "Invalid Content-Length")(scope, receive, send)
                return
            if too_big:
                await json_error(413, RequestTooLarge.error_code,
                                 f"Request body exceeds {self.max_bytes} bytes")(scope, receive, send)
                return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise RequestTooLarge(f"Request body exceeds {self.max_bytes} bytes")
            return message

        await self.app(scope, limited_receive, send)
