"""TrackingClient logic that needs no database: paging, batch splitting, value coercion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tracklog.client.batching import split_entities
from tracklog.client.tracking import TrackingClient, join_artifact_uri
from tracklog.entities import Metric, PagedList, Param, Run, RunInfo, RunStatus, RunTag, ViewType
from tracklog.exceptions import InvalidArgument


def _run(i: int) -> Run:
    return Run(RunInfo(f"r{i}", "0", f"n{i}", "u", RunStatus.FINISHED, i, i + 1, f"/a/r{i}"))


class PagingStore:
    """Serves ``total`` runs in pages no bigger than ``cap``; records each request."""

    def __init__(self, total: int, cap: int) -> None:
        self.runs = [_run(i) for i in range(total)]
        self.cap = cap
        self.requests: list[tuple[int, str | None]] = []
        self.batches: list[tuple[int, int, int]] = []
        self.metrics: list[Metric] = []

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        run_view_type: ViewType,
        max_results: int,
        order_by: Sequence[str] | None,
        page_token: str | None,
    ) -> PagedList[Run]:
        self.requests.append((max_results, page_token))
        start = int(page_token or 0)
        end = min(start + min(max_results, self.cap), len(self.runs))
        return PagedList(self.runs[start:end], str(end) if end < len(self.runs) else None)

    def get_metric_history(
        self, run_id: str, key: str, max_results: int | None, page_token: str | None
    ) -> PagedList[Metric]:
        points = [Metric(key, float(i), i, i) for i in range(7)]
        start = int(page_token or 0)
        end = min(start + 3, len(points))
        return PagedList(points[start:end], str(end) if end < len(points) else None)

    def log_batch(self, run_id: str, metrics: Any = (), params: Any = (), tags: Any = ()) -> None:
        self.batches.append((len(metrics), len(params), len(tags)))

    def log_metric(self, run_id: str, metric: Metric) -> None:
        self.metrics.append(metric)


def _client(store: Any) -> TrackingClient:
    client = TrackingClient("http://unused.invalid")
    client._store = store
    client._async_default = False  # write straight to the injected store, not through a spool
    return client


def test_search_runs_follows_pages_past_1000() -> None:
    store = PagingStore(total=2500, cap=1000)
    runs = _client(store).search_runs(["0"], max_results=2200)
    assert [r.info.run_id for r in runs] == [f"r{i}" for i in range(2200)]
    assert runs.token == "2200"
    assert [t for _, t in store.requests] == [None, "1000", "2000"]
    assert store.requests[-1][0] == 200  # asks only for what is still missing


def test_search_runs_stops_at_the_last_page() -> None:
    store = PagingStore(total=5, cap=2)
    runs = _client(store).search_runs("0", max_results=100)
    assert len(runs) == 5 and runs.token is None


def test_search_runs_rejects_non_positive_max_results() -> None:
    with pytest.raises(ValueError):
        _client(PagingStore(1, 1)).search_runs(["0"], max_results=0)


def test_metric_history_follows_tokens() -> None:
    points = _client(PagingStore(0, 1)).get_metric_history("r", "loss")
    assert [p.step for p in points] == list(range(7))


def test_log_batch_respects_mlflow_limits() -> None:
    store = PagingStore(0, 1)
    metrics = [Metric(f"m{i}", 1.0, 0) for i in range(2500)]
    params = [Param(f"p{i}", "v") for i in range(150)]
    tags = [RunTag(f"t{i}", "v") for i in range(120)]
    _client(store).log_batch("r", metrics, params, tags)
    assert sum(b[0] for b in store.batches) == 2500
    assert sum(b[1] for b in store.batches) == 150
    assert sum(b[2] for b in store.batches) == 120
    for m, p, t in store.batches:
        assert p <= 100 and t <= 100 and m + p + t <= 1000


def test_empty_batch_makes_no_call() -> None:
    assert split_entities([], [], []) == []


def test_log_metric_coerces_and_defaults() -> None:
    store = PagingStore(0, 1)
    client = _client(store)
    client.log_metric("r", "acc", 1)
    client.log_metric("r", "flag", True, timestamp=5, step=2)
    assert store.metrics[0].value == 1.0 and store.metrics[0].step == 0 and store.metrics[0].timestamp > 0
    assert (store.metrics[1].value, store.metrics[1].timestamp, store.metrics[1].step) == (1.0, 5, 2)
    with pytest.raises(InvalidArgument, match="acc"):
        client.log_metric("r", "acc", "high")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("root", "path", "expected"),
    [
        ("/a/b", None, "/a/b"),
        ("/a/b/", "x/y.txt", "/a/b/x/y.txt"),
        ("mlflow-artifacts:/1/r/artifacts", "/m/", "mlflow-artifacts:/1/r/artifacts/m"),
    ],
)
def test_join_artifact_uri(root: str, path: str | None, expected: str) -> None:
    assert join_artifact_uri(root, path) == expected
