"""Error messages that quote the input and point at the offending token."""

from __future__ import annotations

from tracklog.exceptions import InvalidArgument
from tracklog.search.limits import ERROR_ECHO


def _echo(text: str) -> str:
    return text if len(text) <= ERROR_ECHO else text[:ERROR_ECHO] + "..."


def invalid(kind: str, text: str, message: str, position: int | None = None) -> InvalidArgument:
    """``Invalid <kind> '<text>': <message> at position <n>`` (positions count from 0)."""
    where = f" at position {position}" if position is not None else ""
    return InvalidArgument(f"Invalid {kind} '{_echo(text)}': {message}{where}")


def invalid_filter(text: str, message: str, position: int | None = None) -> InvalidArgument:
    return invalid("filter", text, message, position)


def invalid_order_by(text: str, message: str, position: int | None = None) -> InvalidArgument:
    return invalid("order_by", text, message, position)
