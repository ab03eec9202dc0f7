"""Request parsing: the one place that turns query strings and JSON bodies into typed fields.

Wire rules (MLflow's protobuf JSON):

* GET: fields come from the query string; repeated keys form lists; booleans are
  ``true``/``false``. POST/PATCH/DELETE: a JSON object body (empty body = ``{}``).
* int64 fields accept JSON numbers or decimal strings; doubles accept numbers and
  the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``; enums accept a name or a number.
* Unknown fields are ignored. A field may use its lowerCamelCase spelling; sending
  both spellings is rejected.
* A missing required field is 400 INVALID_PARAMETER_VALUE
  ``Missing value for required parameter 'x'``; a wrongly typed one is 400 too.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from typing import Any, TypeVar

import orjson
from starlette.requests import ClientDisconnect, Request

from tracklog.entities._wire import double_from_wire, int_from_wire
from tracklog.entities.enums import _WireEnum
from tracklog.exceptions import InvalidArgument

__all__ = ["MAX_JSON_DEPTH", "Params", "parse_json_body", "read_params"]

MAX_JSON_DEPTH = 64
E = TypeVar("E", bound=_WireEnum)
_MISSING = object()


@functools.cache  # field names form a small fixed set; this runs for every field of every metric
def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


class Params:
    """Typed access to one request's fields (or to one nested JSON object)."""

    def __init__(self, data: Mapping[str, Any], *, from_query: bool = False, where: str = "") -> None:
        self._data = data
        self._from_query = from_query
        self._where = where

    # -- raw access -------------------------------------------------------------
    def _name(self, name: str) -> str:
        return f"{self._where}{name}"

    def _raw(self, name: str) -> Any:
        value = self._data.get(name, _MISSING)
        camel = _camel(name)
        if camel != name and camel in self._data:
            if value is not _MISSING:
                raise InvalidArgument(
                    f"Parameter '{self._name(name)}' was given twice (as '{name}' and '{camel}')"
                )
            value = self._data[camel]
        if value is None:
            return _MISSING
        if self._from_query:
            # query values are lists of strings; scalars take the first occurrence
            return value
        return value

    def _scalar(self, name: str) -> Any:
        value = self._raw(name)
        if self._from_query and value is not _MISSING:
            return value[0] if value else _MISSING
        return value

    def has(self, name: str) -> bool:
        return self._scalar(name) is not _MISSING

    def missing(self, name: str) -> InvalidArgument:
        return InvalidArgument(f"Missing value for required parameter '{self._name(name)}'")

    def invalid(self, name: str, value: Any, expected: str) -> InvalidArgument:
        return InvalidArgument(
            f"Invalid value {_show(value)} for parameter '{self._name(name)}' supplied: expected {expected}"
        )

    # -- scalars ----------------------------------------------------------------
    def opt_str(self, name: str) -> str | None:
        value = self._scalar(name)
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            raise self.invalid(name, value, "a string")
        return value

    def string(self, name: str, default: str = "") -> str:
        value = self.opt_str(name)
        return default if value is None else value

    def req_str(self, name: str) -> str:
        value = self.opt_str(name)
        if not value:
            raise self.missing(name)
        return value

    def req_id(self, name: str) -> str:
        """An identifier: a non-empty string (integers are accepted for numeric ids)."""
        value = self._scalar(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return self.req_str(name)

    def opt_id(self, name: str) -> str | None:
        return self.req_id(name) if self.has(name) and self._scalar(name) != "" else None

    def run_id(self) -> str:
        """``run_id`` or its legacy alias ``run_uuid`` (``run_id`` wins)."""
        for name in ("run_id", "run_uuid"):
            value = self._scalar(name)
            if value is not _MISSING and value != "":
                if not isinstance(value, str):
                    raise self.invalid(name, value, "a string")
                return value
        raise self.missing("run_id")

    def opt_int(self, name: str) -> int | None:
        value = self._scalar(name)
        if value is _MISSING or value == "":
            return None
        try:
            return int_from_wire(value)
        except (ValueError, TypeError):
            raise self.invalid(name, value, "an integer") from None

    def integer(self, name: str, default: int) -> int:
        value = self.opt_int(name)
        return default if value is None else value

    def req_int(self, name: str) -> int:
        value = self.opt_int(name)
        if value is None:
            raise self.missing(name)
        return value

    def req_float(self, name: str) -> float:
        value = self._scalar(name)
        if value is _MISSING or value == "":
            raise self.missing(name)
        try:
            return double_from_wire(value)
        except (ValueError, TypeError):
            raise self.invalid(name, value, "a number") from None

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self._scalar(name)
        if value is _MISSING or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.invalid(name, value, "true or false")

    def enum(self, cls: type[E], name: str, default: E | None = None) -> E | None:
        value = self._scalar(name)
        if value is _MISSING or value == "":
            return default
        try:
            return cls.parse(value)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise self.invalid(name, value, f"one of {allowed}") from None

    # -- lists ------------------------------------------------------------------
    def str_list(self, name: str) -> list[str]:
        value = self._raw(name)
        if value is _MISSING:
            return []
        if self._from_query:
            return [v for v in value if v != ""] if isinstance(value, list) else []
        if isinstance(value, str):
            raise self.invalid(name, value, "a list of strings")
        if not isinstance(value, list):
            raise self.invalid(name, value, "a list of strings")
        out: list[str] = []
        for item in value:
            if isinstance(item, int) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str):
                raise self.invalid(name, item, "a list of strings")
            out.append(item)
        return out

    def obj_list(self, name: str) -> list[Params]:
        return [self.item(name, i, item) for i, item in enumerate(self.raw_list(name))]

    def raw_list(self, name: str) -> list[Any]:
        """A list field's decoded items, unchecked (pair with ``item`` for typed access)."""
        value = self._raw(name)
        if value is _MISSING:
            return []
        if self._from_query or not isinstance(value, list):
            raise self.invalid(name, value, "a list of objects")
        return value

    def item(self, name: str, index: int, value: Any) -> Params:
        """Typed access to item ``index`` of the list field ``name`` (which must be an object)."""
        if not isinstance(value, dict):
            raise self.invalid(f"{name}[{index}]", value, "an object")
        return Params(value, where=f"{self._where}{name}[{index}].")

    def obj(self, name: str) -> Params | None:
        value = self._scalar(name)
        if value is _MISSING:
            return None
        if not isinstance(value, dict):
            raise self.invalid(name, value, "an object")
        return Params(value, where=f"{self._where}{name}.")

    def raw_dict(self) -> dict[str, Any]:
        """The underlying JSON object (only for nested objects and bodies)."""
        return dict(self._data)

    def with_path_params(self, path_params: Mapping[str, Any]) -> Params:
        data = dict(self._data)
        for key, value in path_params.items():
            data[key] = [value] if self._from_query else value
        return Params(data, from_query=self._from_query, where=self._where)


def _check_depth(node: Any, depth: int = 1) -> None:
    """Refuse containers nested deeper than ``MAX_JSON_DEPTH`` (recursion is bounded by it).

    Decoded JSON holds exact ``dict``/``list`` objects, so one ``type()`` test per value
    suffices; a 1000-point batch costs a fraction of a millisecond."""
    if depth > MAX_JSON_DEPTH:
        raise InvalidArgument(f"Request body is nested deeper than {MAX_JSON_DEPTH} levels")
    for value in node.values() if type(node) is dict else node:
        kind = type(value)
        if kind is dict or kind is list:
            _check_depth(value, depth + 1)


def _nonfinite(token: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[token]


def parse_json_body(body: bytes) -> dict[str, Any]:
    """Parse a request body into a JSON object; malformed, non-UTF-8 or too deep -> 400."""
    if not body.strip():
        return {}
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        # Python clients may send bare NaN/Infinity tokens, which orjson rejects.
        try:
            text = body.decode("utf-8")
            data = json.loads(text, parse_constant=_nonfinite)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise InvalidArgument("Request body is not valid UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise InvalidArgument("Request body must be a JSON object")
    _check_depth(data)
    return data


async def read_params(request: Request) -> Params:
    """The request's fields: the query string for GET, the JSON body otherwise."""
    if request.method in ("GET", "HEAD"):
        query: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            query.setdefault(key, []).append(value)
        params = Params(query, from_query=True)
    else:
        try:
            body = await request.body()
        except ClientDisconnect:
            raise InvalidArgument("The client closed the connection while sending the body") from None
        params = Params(parse_json_body(body))
    if request.path_params:
        params = params.with_path_params(request.path_params)
    return params
