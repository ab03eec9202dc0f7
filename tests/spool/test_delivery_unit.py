"""Delivery logic against an in-memory fake store: ordering, bisection of refusals, dedupe, transient errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tracklog.client.spool._deliver import LOCAL_ID_TAG, Delivery, Transient, is_transient
from tracklog.client.spool._file import CREATE_RUN, METRIC, PARAM, TAG, TERMINATE, SpoolFile
from tracklog.entities import Metric, PagedList, Param, Run, RunInfo, RunStatus, RunTag
from tracklog.exceptions import InvalidArgument, NotFound, RateLimited, TemporarilyUnavailable, TrackingError


class FakeStore:
    """Just the calls the sender makes; refuses params named 'bad' like a server would."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.metrics: list[Metric] = []
        self.params: dict[str, str] = {}
        self.tags: dict[str, str] = {}
        self.down = False
        self.runs: dict[str, list[RunTag]] = {}

    def log_batch(self, run_id: str, metrics: list[Metric], params: list[Param], tags: list[RunTag]) -> None:
        if self.down:
            raise TemporarilyUnavailable("connection refused")
        if run_id == "gone":
            raise NotFound(f"run {run_id} not found")
        if any(p.key == "bad" for p in params):
            raise InvalidArgument("param 'bad' is not allowed")
        self.calls.append(("log_batch", (len(metrics), len(params), len(tags))))
        self.metrics += metrics
        self.params.update({p.key: p.value for p in params})
        self.tags.update({t.key: t.value for t in tags})

    def update_run_info(self, run_id: str, status: RunStatus, end_time: int | None) -> None:
        self.calls.append(("update", (run_id, status)))

    def search_runs(self, experiment_ids: list[str], filter_string: str, *args: Any) -> PagedList[Run]:
        found = [r for r, tags in self.runs.items() if any(t.key == LOCAL_ID_TAG and t.value in filter_string
                                                          for t in tags)]
        return PagedList([_run(r) for r in found], None)

    def create_run(self, experiment_id: str, user_id: str, start_time: int | None, tags: list[RunTag],
                   run_name: str | None) -> Run:
        run_id = f"server{len(self.runs)}"
        self.runs[run_id] = list(tags)
        self.calls.append(("create_run", experiment_id))
        return _run(run_id)


def _run(run_id: str) -> Run:
    return Run(RunInfo(run_id, "0", "", "me", RunStatus.RUNNING, 0, None, "file:///nowhere"))


@pytest.fixture()
def spool(tmp_path: Path) -> SpoolFile:
    return SpoolFile.create(tmp_path, "http://fake")


def _deliver(spool: SpoolFile, store: FakeStore) -> Delivery:
    delivery = Delivery(spool, store, "http://fake")  # type: ignore[arg-type]
    while delivery.step():
        pass
    return delivery


def test_batches_respect_limits_params_first_and_everything_is_deleted(spool: SpoolFile) -> None:
    rows = [(i + 1, "r", METRIC, "m", float(i), 10 + i, i, None) for i in range(2500)]
    rows += [(3000 + i, "r", PARAM, f"p{i}", "v", None, None, None) for i in range(150)]
    spool.append(rows)
    store = FakeStore()
    delivery = _deliver(spool, store)
    sizes = [c[1] for c in store.calls]
    assert all(m <= 1000 and p <= 100 and m + p + t <= 1000 for m, p, t in sizes)
    assert sizes[0][1] == 100  # params go first
    assert [m.step for m in store.metrics] == list(range(2500)) and len(store.params) == 150
    assert delivery.delivered == 2650 and spool.counts()["pending"] == 0


def test_a_refused_item_is_isolated_and_kept(spool: SpoolFile) -> None:
    rows = [(i + 1, "r", METRIC, "m", float(i), 10, i, None) for i in range(200)]
    rows += [(500, "r", PARAM, "bad", "x", None, None, None), (501, "r", PARAM, "good", "y", None, None, None)]
    spool.append(rows)
    store = FakeStore()
    delivery = _deliver(spool, store)
    assert len(store.metrics) == 200 and store.params == {"good": "y"}
    assert len(delivery.errors) == 1 and isinstance(delivery.errors[0], InvalidArgument)
    assert "param 'bad'" in delivery.errors[0].message and str(spool.path) in delivery.errors[0].message
    assert spool.counts() == {"pending": 0, "rejected": 1, "offline_runs": 0}
    spool.requeue_rejected()
    assert spool.counts()["pending"] == 1


def test_unknown_run_is_refused_without_bisecting(spool: SpoolFile) -> None:
    spool.append([(i + 1, "gone", METRIC, "m", 1.0, 10, i, None) for i in range(300)])
    delivery = _deliver(spool, FakeStore())
    assert len(delivery.errors) == 1 and spool.counts()["rejected"] == 300


def test_transient_failure_keeps_everything(spool: SpoolFile) -> None:
    spool.append([(1, "r", METRIC, "m", float("nan"), 10, 0, None), (2, "r", TAG, "t", "a", None, None, None)])
    store = FakeStore()
    store.down = True
    with pytest.raises(Transient):
        Delivery(spool, store, "http://fake").step()  # type: ignore[arg-type]
    assert spool.counts()["pending"] == 2
    store.down = False
    _deliver(spool, store)
    assert store.tags == {"t": "a"} and store.metrics[0].value != store.metrics[0].value  # NaN kept


def test_last_tag_wins_and_identical_points_go_once(spool: SpoolFile) -> None:
    spool.append([(1, "r", TAG, "t", "a", None, None, None), (2, "r", METRIC, "m", 1.0, 5, 0, None),
                  (3, "r", TAG, "t", "b", None, None, None), (4, "r", METRIC, "m", 1.0, 5, 0, None)])
    store = FakeStore()
    _deliver(spool, store)
    assert store.tags == {"t": "b"} and len(store.metrics) == 1 and spool.counts()["pending"] == 0


def test_offline_run_is_created_once_then_mapped(spool: SpoolFile) -> None:
    body = json.dumps({"experiment_id": "0", "user_id": "me", "start_time": 1, "tags": {"a": "b"}})
    spool.add_offline_run("local1", "0", None)
    spool.append([(1, "local1", CREATE_RUN, None, None, None, None, body),
                  (2, "local1", METRIC, "m", 1.0, 5, 0, None),
                  (3, "local1", TERMINATE, None, None, None, None, json.dumps({"status": "FINISHED", "end_time": 9}))])
    store = FakeStore()
    delivery = _deliver(spool, store)
    assert delivery.mapped == {"local1": "server0"}
    assert ("update", ("server0", RunStatus.FINISHED)) in store.calls
    # The create is sent again (its answer was lost): the run is found by its tag, not created twice.
    spool.append([(4, "local1", CREATE_RUN, None, None, None, None, body)])
    _deliver(spool, store)
    assert [c for c in store.calls if c[0] == "create_run"] == [("create_run", "0")]


@pytest.mark.parametrize(("error", "transient"), [
    (TemporarilyUnavailable("x"), True), (RateLimited("x"), True), (TrackingError("x"), True),
    (InvalidArgument("x"), False), (NotFound("x"), False), (OSError("x"), True), (ValueError("x"), False),
])
def test_error_classes(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient
