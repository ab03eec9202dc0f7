"""Small helpers shared by the route modules (building entities from request fields)."""

from __future__ import annotations

from typing import Any, TypeVar

from tracklog.entities.tag import _KeyValue
from tracklog.exceptions import InvalidArgument
from tracklog.server.request import Params
from tracklog.store.base import SEARCH_MAX_RESULTS_THRESHOLD

KV = TypeVar("KV", bound=_KeyValue)


def paged(key: str, items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    """A search response; empty lists and a missing token are omitted (protobuf JSON)."""
    out: dict[str, Any] = {}
    if items:
        out[key] = items
    if token:
        out["next_page_token"] = token
    return out


def tags_of(p: Params, name: str, cls: type[KV]) -> tuple[KV, ...]:
    """A list of ``{key, value}`` objects; the key is required, the value defaults to ''."""
    return tuple(cls(item.req_str("key"), item.string("value")) for item in p.obj_list(name))


def validate_max_results(p: Params, default: int, high: int = SEARCH_MAX_RESULTS_THRESHOLD) -> int:
    value = p.integer("max_results", default)
    if value < 1 or value > high:
        raise InvalidArgument(
            f"Invalid value {value} for parameter 'max_results' supplied: it must be between 1 and {high}"
        )
    return value
