"""Request fast paths: log-batch items (``routes.runs.metrics_of`` reads exactly what ``metric_of``
reads) and the JSON depth limit."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tracklog.entities import Metric
from tracklog.exceptions import InvalidArgument
from tracklog.server.request import MAX_JSON_DEPTH, Params, parse_json_body
from tracklog.server.routes.runs import metric_of, metrics_of

ITEMS: list[Any] = [
    {"key": "loss", "value": 0.5, "timestamp": 1, "step": 2},
    {"key": "loss", "value": 3, "timestamp": 1},  # int value, no step
    {"key": "loss", "value": -0.0, "timestamp": 1, "step": None},
    {"key": "loss", "value": "NaN", "timestamp": "5", "step": "7"},  # protobuf-JSON strings
    {"key": "loss", "value": "-Infinity", "timestamp": 1},
    {"key": "loss", "value": 2**60, "timestamp": 1},  # beyond exact doubles: the slow path
    {"key": "acc", "value": 1.0, "timestamp": 1, "model_id": "m-1", "dataset_name": "d"},
    {"key": "acc", "value": 1.0, "timestamp": 1.0, "step": 3.0},
    {"key": "x", "value": 1.5, "timestamp": 1, "unknown": [1, 2]},
]


def _slow(items: list[Any]) -> list[Metric]:
    return [metric_of(p) for p in Params({"metrics": items}).obj_list("metrics")]


def _same(a: Metric, b: Metric) -> bool:
    """Equal fields, and the same value down to its type, the sign of zero and NaN."""
    return replace(a, value=0.0) == replace(b, value=0.0) and repr(a.value) == repr(b.value)


def test_fast_path_matches_the_field_by_field_reader() -> None:
    fast = metrics_of(Params({"metrics": ITEMS}), "metrics")
    slow = _slow(ITEMS)
    assert len(fast) == len(slow) == len(ITEMS)
    for a, b in zip(fast, slow, strict=True):
        assert _same(a, b), (a, b)


@pytest.mark.parametrize("item", [
    {"key": "", "value": 1.0, "timestamp": 1},
    {"key": "k", "value": True, "timestamp": 1},
    {"key": "k", "value": 1.0, "timestamp": True},
    {"key": "k", "value": 1.0},
    {"key": "k", "timestamp": 1},
    {"key": 3, "value": 1.0, "timestamp": 1},
    {"key": "k", "value": 1.0, "timestamp": 1, "step": 1.5},
    "not an object",
])
def test_fast_path_errors_are_the_readers_errors(item: Any) -> None:
    with pytest.raises(InvalidArgument) as slow:
        _slow([{"key": "ok", "value": 1.0, "timestamp": 1}, item])
    with pytest.raises(InvalidArgument) as fast:
        metrics_of(Params({"metrics": [{"key": "ok", "value": 1.0, "timestamp": 1}, item]}), "metrics")
    assert str(fast.value) == str(slow.value)
    assert "metrics[1]" in str(fast.value)


def test_depth_limit_counts_every_container() -> None:
    inner = MAX_JSON_DEPTH - 1  # the body object itself is level 1
    deepest = b'{"a": ' + b"[" * inner + b"]" * inner + b"}"
    assert isinstance(parse_json_body(deepest)["a"], list)
    parse_json_body(b'{"m": [{"k": 1}], "a": ' + b"[" * inner + b"]" * inner + b"}")
    for body in (b'{"a": ' + b"[" * (inner + 1) + b"]" * (inner + 1) + b"}",
                 b'{"a": [1, {"b": ' + b"[" * (inner - 1) + b"]" * (inner - 1) + b"}]}"):
        with pytest.raises(InvalidArgument, match="nested deeper"):
            parse_json_body(body)
