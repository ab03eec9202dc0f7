"""search_runs and search_experiments through the store: scoping, filters, order_by, paging."""

from __future__ import annotations

import base64
import json
import math

import pytest
from tests.contract.contract_helpers import metric, new_experiment, unique

from tracklog.entities import Dataset, DatasetInput, InputTag, Param, RunStatus, RunTag, ViewType
from tracklog.exceptions import InvalidArgument
from tracklog.store.base import TrackingStore


@pytest.fixture
def world(store: TrackingStore) -> dict[str, object]:
    """Two experiments; five runs in the first with metrics, params, tags and datasets."""
    eid = new_experiment(store)
    other = new_experiment(store)
    runs = []
    for i in range(5):
        run = store.create_run(eid, f"user{i % 2}", 1000 + i, run_name=f"run-{i}")
        rid = run.info.run_id
        metrics = [metric("loss", 1.0 / (i + 1), 1, 0)]
        if i == 4:
            metrics = [metric("loss", math.nan, 1, 0)]
        store.log_batch(rid, metrics=metrics, params=[Param("alpha", f"0.{i}")],
                        tags=[RunTag("team", "a" if i < 3 else "b")])
        runs.append(rid)
    store.log_inputs(runs[0], datasets=[DatasetInput(Dataset("train", "d", "local", "{}"),
                                                     (InputTag("mlflow.data.context", "training"),))])
    store.create_run(other, "x", 5, run_name="elsewhere")
    store.delete_run(runs[3])
    return {"eid": eid, "other": other, "runs": runs}


def _names(runs: list[object]) -> list[str]:
    return [r.info.run_name for r in runs]  # type: ignore[attr-defined]


def test_scope_and_view_type(store: TrackingStore, world: dict[str, object]) -> None:
    eid, other = str(world["eid"]), str(world["other"])
    assert _names(store.search_runs([eid])) == ["run-4", "run-2", "run-1", "run-0"]  # start_time DESC
    assert _names(store.search_runs([eid], run_view_type=ViewType.DELETED_ONLY)) == ["run-3"]
    assert len(store.search_runs([eid], run_view_type=ViewType.ALL)) == 5
    assert len(store.search_runs([eid, other])) == 5
    assert list(store.search_runs([])) == []


def test_filters(store: TrackingStore, world: dict[str, object]) -> None:
    eid = str(world["eid"])
    assert _names(store.search_runs([eid], "metrics.loss < 0.4")) == ["run-2"]
    assert _names(store.search_runs([eid], "params.alpha = '0.1'")) == ["run-1"]
    assert _names(store.search_runs([eid], "tags.team = 'b'")) == ["run-4"]
    assert _names(store.search_runs([eid], "attributes.run_name LIKE 'run-%' and params.alpha != '0.0'")) == [
        "run-4", "run-2", "run-1"]
    assert _names(store.search_runs([eid], "datasets.context = 'training'")) == ["run-0"]
    assert _names(store.search_runs([eid], "attributes.user_id = 'user0' and start_time >= 1002")) == ["run-4", "run-2"]
    rid = world["runs"][1]  # type: ignore[index]
    assert _names(store.search_runs([eid], f"run_id IN ('{rid}')")) == ["run-1"]


def test_order_by_metric_nan_last(store: TrackingStore, world: dict[str, object]) -> None:
    eid = str(world["eid"])
    asc = _names(store.search_runs([eid], order_by=["metrics.loss ASC"]))
    assert asc[-1] == "run-4"  # NaN sorts last
    assert asc[:3] == ["run-2", "run-1", "run-0"]
    assert _names(store.search_runs([eid], order_by=["params.alpha DESC"]))[0] == "run-4"


def test_bad_filters(store: TrackingStore) -> None:
    for bad in ["metrics.loss = 'x'", "params.a = 0.1", "a = 1 or b = 2", "foo.bar = 'x'"]:
        with pytest.raises(InvalidArgument):
            store.search_runs(["0"], bad)
    with pytest.raises(InvalidArgument):
        store.search_runs(["0"], order_by=["start_time; DROP TABLE runs"])


def test_injection_is_harmless(store: TrackingStore, world: dict[str, object]) -> None:
    eid = str(world["eid"])
    try:
        got = store.search_runs([eid], "params.alpha = '0.1''; DROP TABLE runs;--'")
        assert list(got) == []
    except InvalidArgument:
        pass
    assert len(store.search_runs([eid])) == 4


def test_paging_no_duplicates_no_gaps(store: TrackingStore) -> None:
    eid = new_experiment(store)
    made = {store.create_run(eid, "u", 1000 + (i % 3), run_name=f"r{i}").info.run_id for i in range(23)}
    seen: list[str] = []
    token = None
    while True:
        page = store.search_runs([eid], max_results=5, page_token=token)
        seen += [r.info.run_id for r in page]
        token = page.token
        if token is None:
            break
    assert len(seen) == len(set(seen)) == 23 and set(seen) == made


def test_default_order_pages_resume_after_the_last_run(store: TrackingStore) -> None:
    """Default-order pages carry the last run's position (keyset); they match one big page,
    with start-time ties, with a filter, and offset-only tokens are still honoured."""
    eid = new_experiment(store)
    for i in range(23):
        run = store.create_run(eid, "u", 1000 + (i % 3), run_name=f"r{i}")
        store.log_batch(run.info.run_id, metrics=[metric("m", float(i % 4), 1, 0)], params=[], tags=[])
    for filter_string in (None, "metrics.m >= 1"):
        whole = [r.info.run_id for r in store.search_runs([eid], filter_string, max_results=100)]
        paged: list[str] = []
        token = None
        while True:
            page = store.search_runs([eid], filter_string, max_results=4, page_token=token)
            paged += [r.info.run_id for r in page]
            token = page.token
            if token is None:
                break
        assert paged == whole
    whole = [r.info.run_id for r in store.search_runs([eid], max_results=100)]
    offset_only = base64.urlsafe_b64encode(json.dumps({"offset": 20}).encode()).decode()
    assert [r.info.run_id for r in store.search_runs([eid], max_results=100, page_token=offset_only)] == whole[20:]
    by_name = store.search_runs([eid], max_results=5, order_by=["attributes.run_name ASC"])
    assert by_name.token is not None
    rest = store.search_runs([eid], max_results=100, order_by=["attributes.run_name ASC"], page_token=by_name.token)
    assert len(rest) == 18
    with pytest.raises(InvalidArgument):
        bad = base64.urlsafe_b64encode(json.dumps({"offset": 4, "run_after": [1, 2]}).encode()).decode()
        store.search_runs([eid], page_token=bad)


def test_search_validation(store: TrackingStore) -> None:
    with pytest.raises(InvalidArgument):
        store.search_runs(["0"], max_results=0)
    with pytest.raises(InvalidArgument):
        store.search_runs(["0"], max_results=50001)
    with pytest.raises(InvalidArgument):
        store.search_runs(["0"], page_token="@@@")
    with pytest.raises(InvalidArgument):
        store.search_runs(["abc"])
    store.search_runs(["0"], max_results=50000)


def test_search_returns_full_runs(store: TrackingStore, world: dict[str, object]) -> None:
    eid = str(world["eid"])
    (run,) = store.search_runs([eid], "attributes.run_name = 'run-0'")
    assert run == store.get_run(run.info.run_id)
    assert run.inputs.dataset_inputs and run.data.params_dict == {"alpha": "0.0"}


def test_search_experiments(store: TrackingStore) -> None:
    prefix = unique("search")
    ids = [store.create_experiment(f"{prefix}-{i}") for i in range(4)]
    store.set_experiment_tag(ids[1], __import__("tracklog.entities", fromlist=["ExperimentTag"])
                             .ExperimentTag("team", "x"))
    store.delete_experiment(ids[3])
    active = store.search_experiments(filter_string=f"name LIKE '{prefix}%'")
    assert sorted(e.experiment_id for e in active) == sorted(ids[:3])
    deleted = store.search_experiments(ViewType.DELETED_ONLY, filter_string=f"name LIKE '{prefix}%'")
    assert [e.experiment_id for e in deleted] == [ids[3]]
    tagged = store.search_experiments(filter_string="tags.team = 'x'")
    assert [e.experiment_id for e in tagged] == [ids[1]]
    by_name = store.search_experiments(ViewType.ALL, order_by=["name DESC"],
                                       filter_string=f"name LIKE '{prefix}%'")
    assert [e.name for e in by_name] == [f"{prefix}-{i}" for i in (3, 2, 1, 0)]
    seen: list[str] = []
    token = None
    while True:
        page = store.search_experiments(ViewType.ALL, max_results=2, page_token=token)
        seen += [e.experiment_id for e in page]
        token = page.token
        if token is None:
            break
    assert len(seen) == len(set(seen)) == 5  # four plus Default
    with pytest.raises(InvalidArgument):
        store.search_experiments(max_results=0)


def test_finished_status_filter(store: TrackingStore) -> None:
    eid = new_experiment(store)
    a = store.create_run(eid, "u", 1).info.run_id
    store.create_run(eid, "u", 2)
    store.update_run_info(a, RunStatus.FINISHED, 10)
    assert [r.info.run_id for r in store.search_runs([eid], "attributes.status = 'FINISHED'")] == [a]


def test_query_count_does_not_grow_with_page_size(store: TrackingStore) -> None:
    from sqlalchemy import event

    from tracklog.store.sql.store import SqlStore

    assert isinstance(store, SqlStore)
    eid = new_experiment(store)
    for i in range(12):
        rid = store.create_run(eid, "u", i).info.run_id
        store.log_batch(rid, metrics=[metric("m", 1.0)], params=[Param("p", "1")], tags=[RunTag("t", "1")])
        store.log_inputs(rid, datasets=[DatasetInput(Dataset(f"d{i}", "x", "local", "{}"))])
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = store._db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        store.search_runs([eid], max_results=3)
        small = len(statements)
        statements.clear()
        store.search_runs([eid], max_results=12)
        large = len(statements)
        statements.clear()
        store.get_run(rid)
        single = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert small == large
    assert single <= 5  # run row, children, datasets, input tags (+ BEGIN on SQLite)


def test_negative_zero_compares_as_zero(store: TrackingStore) -> None:
    eid = new_experiment(store)
    rid = store.create_run(eid, "u", 0).info.run_id
    store.log_metric(rid, metric("m", -0.0))
    assert [r.info.run_id for r in store.search_runs([eid], "metrics.m = 0")] == [rid]
    assert [r.info.run_id for r in store.search_runs([eid], "metrics.m < 1")] == [rid]


def test_wire_search_renders_like_the_entities(store: TrackingStore, world: dict[str, object]) -> None:
    """search_runs_wire (rows straight to dicts) == the entity path's to_dict, with and
    without a run that has dataset inputs (those pages take the entity path)."""
    eid = str(world["eid"])
    for filter_string in (None, "params.alpha != '0.0'", "metrics.loss > 0.3"):
        wire, token = store.search_runs_wire([eid], filter_string, ViewType.ALL, 10)
        page = store.search_runs([eid], filter_string, ViewType.ALL, 10)
        assert wire == [run.to_dict() for run in page]
        assert token == page.token
