"""The id of the request being served, for logs and the ``X-Request-ID`` response header.

An incoming ``X-Request-ID`` (set by a proxy such as nginx's ``$request_id``) is kept when it
is sane: 1 to 128 characters from ``A-Z a-z 0-9 - _ . : + / = @``. Anything else (too long,
spaces, control characters that could forge log lines) is replaced by a fresh random id.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar

__all__ = ["HEADER", "REQUEST_ID", "current_request_id", "new_request_id", "request_id_from"]

HEADER = b"x-request-id"
REQUEST_ID: ContextVar[str | None] = ContextVar("tracklog_request_id", default=None)
_SANE = re.compile(rb"[A-Za-z0-9\-_.:+/=@]{1,128}")


def new_request_id() -> str:
    return os.urandom(16).hex()


def request_id_from(headers: list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...]) -> str:
    """The sane incoming ``X-Request-ID`` of an ASGI header list, else a new id."""
    for name, value in headers:
        if name == HEADER:  # ASGI servers lower-case header names
            if _SANE.fullmatch(value):
                return value.decode("ascii")
            break
    return new_request_id()


def current_request_id() -> str | None:
    """The id of the request this code runs for (None outside a request)."""
    return REQUEST_ID.get()
