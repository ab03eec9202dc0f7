"""Splitting log-batch requests to the server's limits."""

from __future__ import annotations

import orjson
import pytest

from tracklog.client.batching import BatchLimits, split_batch
from tracklog.entities import Metric, Param, RunTag


def metrics(n: int, key: str = "m") -> list[Metric]:
    return [Metric(key, float(i), 1000 + i, i) for i in range(n)]


def params(n: int, value: str = "v") -> list[Param]:
    return [Param(f"p{i:04d}", value) for i in range(n)]


def tags(n: int, value: str = "v") -> list[RunTag]:
    return [RunTag(f"t{i:04d}", value) for i in range(n)]


def shape(bodies: list[bytes]) -> list[tuple[int, int, int]]:
    decoded = [orjson.loads(b) for b in bodies]
    return [(len(d["params"]), len(d["tags"]), len(d["metrics"])) for d in decoded]


def test_nothing_to_log_sends_nothing() -> None:
    assert split_batch("r") == []


@pytest.mark.parametrize(
    ("n_metrics", "n_params", "n_tags", "expected"),
    [
        (1000, 0, 0, [(0, 0, 1000)]),
        (1001, 0, 0, [(0, 0, 1000), (0, 0, 1)]),
        (0, 100, 0, [(100, 0, 0)]),
        (0, 101, 0, [(100, 0, 0), (1, 0, 0)]),
        (0, 0, 100, [(0, 100, 0)]),
        (0, 0, 101, [(0, 100, 0), (0, 1, 0)]),
        (800, 100, 100, [(100, 100, 800)]),
        (801, 100, 100, [(100, 100, 800), (0, 0, 1)]),
        (2500, 250, 150, [(100, 100, 800), (100, 50, 850), (50, 0, 850)]),
    ],
)
def test_exact_count_limits(n_metrics: int, n_params: int, n_tags: int,
                            expected: list[tuple[int, int, int]]) -> None:
    bodies = split_batch("r", metrics(n_metrics), params(n_params), tags(n_tags))
    assert shape(bodies) == expected


def test_params_go_before_metrics_and_order_is_kept() -> None:
    ms, ps, ts = metrics(1500), params(250), tags(30)
    decoded = [orjson.loads(b) for b in split_batch("run-1", ms, ps, ts)]
    assert decoded[0]["params"][0] == {"key": "p0000", "value": "v"}
    assert [p["key"] for d in decoded for p in d["params"]] == [p.key for p in ps]
    assert [t["key"] for d in decoded for t in d["tags"]] == [t.key for t in ts]
    assert [m["step"] for d in decoded for m in d["metrics"]] == list(range(1500))
    assert all(d["run_id"] == "run-1" for d in decoded)
    # every param is sent no later than the batch holding the first metric
    first_metric_batch = next(i for i, d in enumerate(decoded) if d["metrics"])
    assert first_metric_batch == 0 and len(decoded[0]["params"]) == 100


def test_body_size_limit_splits_big_values() -> None:
    ps, ts = params(100, "p" * 6000), tags(100, "t" * 8000)
    bodies = split_batch("r", metrics(10), ps, ts)
    assert len(bodies) == 2
    assert all(len(b) <= 1_000_000 for b in bodies)
    decoded = [orjson.loads(b) for b in bodies]
    assert sum(len(d["params"]) for d in decoded) == 100
    assert sum(len(d["tags"]) for d in decoded) == 100
    assert sum(len(d["metrics"]) for d in decoded) == 10


def test_size_is_exact_at_the_limit() -> None:
    limits = BatchLimits(max_bytes=400)
    bodies = split_batch("r", [], params(40, "x" * 20), limits=limits)
    assert all(len(b) <= 400 for b in bodies)
    assert sum(len(orjson.loads(b)["params"]) for b in bodies) == 40
    # each body is as full as it can be: one more param would not have fitted
    for body in bodies[:-1]:
        assert len(body) + len(orjson.dumps({"key": "p0000", "value": "x" * 20})) + 1 > 400


def test_an_item_larger_than_the_limit_goes_alone() -> None:
    limits = BatchLimits(max_bytes=100)
    bodies = split_batch("r", [], [Param("big", "x" * 500), Param("small", "y")], limits=limits)
    assert shape(bodies) == [(1, 0, 0), (1, 0, 0)]


def test_non_finite_values_travel_as_strings() -> None:
    body = orjson.loads(split_batch("r", [Metric("m", float("nan"), 1), Metric("m", float("-inf"), 2)])[0])
    assert [m["value"] for m in body["metrics"]] == ["NaN", "-Infinity"]
