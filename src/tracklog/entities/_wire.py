"""Helpers shared by the entities to read and write MLflow's protobuf-JSON shape."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

_NON_FINITE_IN = {"NaN": math.nan, "nan": math.nan, "Infinity": math.inf, "inf": math.inf,
                  "-Infinity": -math.inf, "-inf": -math.inf}


def double_to_wire(value: float) -> float | str:
    """Non-finite doubles travel as the strings "NaN", "Infinity" and "-Infinity"."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def double_from_wire(value: Any) -> float:
    if isinstance(value, str):
        if value in _NON_FINITE_IN:
            return _NON_FINITE_IN[value]
        return float(value)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    return float(value)


def int_from_wire(value: Any) -> int:
    """int64 fields arrive as JSON numbers or (protobuf style) as decimal strings."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{value!r} is not an integer")
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise ValueError(f"{value!r} is not an integer")


def kv_list(items: Sequence[Any]) -> list[dict[str, Any]]:
    return [item.to_dict() for item in items]


def get_list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return list(value) if isinstance(value, list) else []


class _KeyValueType(Protocol):
    def __init__(self, key: str, value: str) -> None: ...


_KV = TypeVar("_KV", bound=_KeyValueType)


def kv_tuple(kind: type[_KV], items: Iterable[_KV] | Mapping[str, str]) -> tuple[_KV, ...]:
    """Key/value entities from entities or (as MLflow also accepts) a ``{key: value}`` dict."""
    if isinstance(items, Mapping):
        return tuple(kind(str(k), str(v)) for k, v in items.items())
    return tuple(items)
