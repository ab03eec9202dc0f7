"""get_metric_history (ordering, paging) and get_metric_history_bulk_interval (sampling)."""

from __future__ import annotations

import pytest
from tests.contract.contract_helpers import metric, new_experiment, new_run

from tracklog.exceptions import InvalidArgument, NotFound
from tracklog.store.base import TrackingStore


def test_history_ordered_by_step_then_timestamp(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", 3.0, 30, 2), metric("m", 1.0, 10, 1), metric("m", 2.0, 5, 2),
                                  metric("other", 9.0, 1, 0)])
    history = store.get_metric_history(rid, "m")
    assert [(h.step, h.timestamp, h.value) for h in history] == [(1, 10, 1.0), (2, 5, 2.0), (2, 30, 3.0)]
    assert all(h.run_id == rid and h.key == "m" for h in history)
    assert history.token is None
    assert list(store.get_metric_history(rid, "missing")) == []


def test_history_paging(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", float(i), 1, i) for i in range(25)])
    seen: list[int] = []
    token = None
    pages = 0
    while True:
        page = store.get_metric_history(rid, "m", max_results=10, page_token=token)
        seen += [m.step for m in page]
        pages += 1
        token = page.token
        if token is None:
            break
    assert seen == list(range(25)) and pages == 3


def test_history_errors(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    with pytest.raises(NotFound):
        store.get_metric_history("a" * 32, "m")
    with pytest.raises(InvalidArgument):
        store.get_metric_history(rid, "m", page_token="not-a-token")
    with pytest.raises(InvalidArgument):
        store.get_metric_history(rid, "m", max_results=0)


def test_bulk_interval_sampling_keeps_first_and_last(store: TrackingStore) -> None:
    eid = new_experiment(store)
    a = new_run(store, eid).info.run_id
    b = new_run(store, eid).info.run_id
    store.log_batch(a, metrics=[metric("loss", float(i), 1, i) for i in range(100)])
    store.log_batch(b, metrics=[metric("loss", float(i), 1, i * 2) for i in range(5)])
    got = store.get_metric_history_bulk_interval([a, b], "loss", max_results=10)
    a_steps = [m.step for m in got if m.run_id == a]
    b_steps = [m.step for m in got if m.run_id == b]
    assert len(a_steps) == 10 and a_steps[0] == 0 and a_steps[-1] == 99
    assert a_steps == sorted(a_steps)
    gaps = [y - x for x, y in zip(a_steps, a_steps[1:], strict=False)]
    assert max(gaps) - min(gaps) <= 1  # evenly spread
    assert b_steps == [0, 2, 4, 6, 8]


def test_bulk_interval_step_range(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", float(i), 1, i) for i in range(50)])
    got = store.get_metric_history_bulk_interval([rid], "m", 5, start_step=10, end_step=20)
    steps = [m.step for m in got]
    assert steps[0] == 10 and steps[-1] == 20 and len(steps) == 5


def test_bulk_interval_keeps_every_point_of_a_sampled_step(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", 1.0, 1, 0), metric("m", 2.0, 2, 0), metric("m", 3.0, 1, 1)])
    got = store.get_metric_history_bulk_interval([rid], "m", 10)
    assert [(m.step, m.timestamp) for m in got] == [(0, 1), (0, 2), (1, 1)]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_results": 0}, "max_results"),
        ({"max_results": 2501}, "max_results"),
        ({"max_results": 10, "start_step": 1}, "start_step"),
        ({"max_results": 10, "end_step": 1}, "start_step"),
    ],
)
def test_bulk_interval_errors(store: TrackingStore, kwargs: dict[str, int], match: str) -> None:
    rid = new_run(store).info.run_id
    with pytest.raises(InvalidArgument, match=match):
        store.get_metric_history_bulk_interval([rid], "m", **kwargs)


def test_bulk_interval_run_limit(store: TrackingStore) -> None:
    with pytest.raises(InvalidArgument, match="100"):
        store.get_metric_history_bulk_interval([f"{i:032x}" for i in range(101)], "m", 10)
