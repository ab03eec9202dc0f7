"""Opaque page tokens: base64 of a JSON object, validated on the way back in.

Offset tokens (``{"offset": n}``) serve searches; keyset tokens (``{"after": [...]}``,
the sort key of the last row served) serve metric history, whose pages must not
re-walk the index from the start (``OFFSET`` makes paging quadratic). Run searches in the
default order carry both (``{"offset": n, "run_after": [start_time, run_id]}``) and resume
after the run; in any other order they use the offset.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from tracklog.exceptions import InvalidArgument

_MAX_TOKEN_LENGTH = 8192


def encode_token(offset: int, **context: Any) -> str:
    payload = {"offset": offset, **context}
    return base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode()).decode()


def _payload(token: str) -> dict[str, Any]:
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH:
        raise InvalidArgument("Invalid page token")
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidArgument(f"Invalid page token {token[:100]!r}: not a tracklog page token") from None
    if not isinstance(payload, dict):
        raise InvalidArgument("Invalid page token: not a tracklog page token")
    return payload


def encode_after(key: tuple[Any, ...]) -> str:
    """A keyset token: resume after the row whose sort key is ``key`` (ints and floats)."""
    return base64.urlsafe_b64encode(json.dumps({"after": list(key)}).encode()).decode()


def decode_after(token: str | None, kinds: tuple[type, ...]) -> tuple[Any, ...] | None:
    """The sort key carried by a keyset token (None when absent); ``kinds`` types each part."""
    if not token:
        return None
    after = _payload(token).get("after")
    if not isinstance(after, list) or len(after) != len(kinds):
        raise InvalidArgument("Invalid page token: bad position")
    out: list[Any] = []
    for value, kind in zip(after, kinds, strict=True):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and isinstance(value, float)):
            raise InvalidArgument("Invalid page token: bad position")
        out.append(kind(value))
    return tuple(out)


def decode_run_after(token: str | None) -> tuple[int | None, str] | None:
    """The (start_time, run_id) of the last run served, carried by run-search tokens issued
    for the default order (``None`` when absent: an older or other-order token)."""
    if not token:
        return None
    after = _payload(token).get("run_after")
    if after is None:
        return None
    if (not isinstance(after, list) or len(after) != 2 or not isinstance(after[1], str)
            or not (after[0] is None or (isinstance(after[0], int) and not isinstance(after[0], bool)))):
        raise InvalidArgument("Invalid page token: bad position")
    return after[0], after[1]


def decode_token(token: str | None, **expected: Any) -> int:
    """The offset carried by ``token`` (0 when absent); checks any embedded request fields."""
    if not token:
        return 0
    payload = _payload(token)
    offset = payload.get("offset")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidArgument("Invalid page token: bad offset")
    for name, value in expected.items():
        if payload.get(name) != value:
            raise InvalidArgument(
                f"Invalid page token: it was issued for a different {name}; repeat the original request"
            )
    return offset


def page_of(rows: list[Any], offset: int, max_results: int, **context: Any) -> tuple[list[Any], str | None]:
    """Split rows fetched with ``LIMIT max_results + 1`` into a page and the next token."""
    if len(rows) > max_results:
        return rows[:max_results], encode_token(offset + max_results, **context)
    return rows, None
