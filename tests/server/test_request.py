"""Request parsing: types, aliases, camelCase, missing and wrong values."""

from __future__ import annotations

import math

import pytest

from tracklog.entities import RunStatus, ViewType
from tracklog.exceptions import InvalidArgument
from tracklog.server.request import Params, parse_json_body


def test_json_types() -> None:
    p = Params({"a": "x", "n": "12", "m": 7, "f": "NaN", "g": "-Infinity", "b": True,
                "e": 3, "l": ["a", 1], "runId": "r"})
    assert p.req_str("a") == "x"
    assert p.req_int("n") == 12 and p.req_int("m") == 7
    assert math.isnan(p.req_float("f")) and p.req_float("g") == -math.inf
    assert p.boolean("b") is True
    assert p.enum(RunStatus, "e") is RunStatus.FINISHED
    assert p.str_list("l") == ["a", "1"]
    assert p.run_id() == "r"


def test_query_types() -> None:
    p = Params({"x": ["1"], "ids": ["a", "b"], "flag": ["false"], "v": ["DELETED_ONLY"]}, from_query=True)
    assert p.req_int("x") == 1
    assert p.str_list("ids") == ["a", "b"]
    assert p.boolean("flag", True) is False
    assert p.enum(ViewType, "v") is ViewType.DELETED_ONLY


def test_run_id_wins_over_run_uuid() -> None:
    assert Params({"run_id": "a", "run_uuid": "b"}).run_id() == "a"
    assert Params({"run_uuid": "b"}).run_id() == "b"
    with pytest.raises(InvalidArgument, match="Missing value for required parameter 'run_id'"):
        Params({}).run_id()


@pytest.mark.parametrize(("data", "call"), [
    ({"x": 1.5}, lambda p: p.req_int("x")),
    ({"x": True}, lambda p: p.req_int("x")),
    ({"x": "abc"}, lambda p: p.req_float("x")),
    ({"x": 5}, lambda p: p.req_str("x")),
    ({"x": "maybe"}, lambda p: p.boolean("x")),
    ({"x": "NOPE"}, lambda p: p.enum(RunStatus, "x")),
    ({"x": "a"}, lambda p: p.str_list("x")),
    ({"x": [1]}, lambda p: p.obj_list("x")),
    ({"a_b": "1", "aB": "2"}, lambda p: p.string("a_b")),
])
def test_wrong_types_are_invalid_argument(data: dict[str, object], call: object) -> None:
    with pytest.raises(InvalidArgument):
        call(Params(data))  # type: ignore[operator]


def test_parse_json_body() -> None:
    assert parse_json_body(b"") == {}
    assert parse_json_body(b'{"v": NaN}')["v"] != parse_json_body(b'{"v": NaN}')["v"]
    with pytest.raises(InvalidArgument):
        parse_json_body(b'{"v": 1} trailing')
