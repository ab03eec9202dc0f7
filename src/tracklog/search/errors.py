"""Error messages that quote the input and point at the offending token."""

from __future__ import annotations

import re

from tracklog.exceptions import InvalidArgument
from tracklog.search.limits import ERROR_ECHO

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _echo(text: str) -> str:
    """The input as quoted in a message: truncated, control characters and surrogates escaped."""
    text = text if len(text) <= ERROR_ECHO else text[:ERROR_ECHO] + "..."
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)


def refuse_unstorable(kind: str, text: str) -> None:
    """NUL and lone surrogates cannot be bound on every database: refuse them as bad input."""
    bad = _UNSTORABLE.search(text)
    if bad:
        raise invalid(kind, text, f"character {bad.group()!r} is not allowed", bad.start())


def invalid(kind: str, text: str, message: str, position: int | None = None) -> InvalidArgument:
    """``Invalid <kind> '<text>': <message> at position <n>`` (positions count from 0)."""
    where = f" at position {position}" if position is not None else ""
    return InvalidArgument(f"Invalid {kind} '{_echo(text)}': {message}{where}")


def invalid_filter(text: str, message: str, position: int | None = None) -> InvalidArgument:
    return invalid("filter", text, message, position)


def invalid_order_by(text: str, message: str, position: int | None = None) -> InvalidArgument:
    return invalid("order_by", text, message, position)
