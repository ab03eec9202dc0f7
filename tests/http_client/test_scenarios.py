"""The compat scenarios, run with tracklog's RestStore against a real server of each kind.

``server_kind`` is "mlflow" (``mlflow server`` 3.17) or "tracklog" (``tracklog server``).
Where the two servers legitimately differ (MLflow clamps infinite metric values), each
test asserts what that server does.
"""

from __future__ import annotations

import math
import sys
import time
import uuid

import pytest

from tracklog.entities import (
    Dataset,
    DatasetInput,
    ExperimentTag,
    InputTag,
    LifecycleStage,
    LoggedModelOutput,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from tracklog.exceptions import AlreadyExists, InvalidArgument, NotFound
from tracklog.store.rest import RestStore

# One worker runs every test that needs the server subprocesses (scripts/test.sh: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("http-client-servers")


def now_ms() -> int:
    return int(time.time() * 1000)


def new_run(store: RestStore, experiment_id: str, name: str | None = None) -> str:
    return store.create_run(experiment_id, "tester", now_ms(), run_name=name).info.run_id


# -- experiments -------------------------------------------------------------------
def test_experiment_crud(store: RestStore) -> None:
    name = f"crud-{uuid.uuid4().hex[:10]}"
    exp_id = store.create_experiment(name, tags=[ExperimentTag("team", "a")])
    exp = store.get_experiment(exp_id)
    assert exp.name == name and exp.tags_dict == {"team": "a"}
    assert exp.lifecycle_stage is LifecycleStage.ACTIVE
    assert exp.artifact_location.endswith(exp_id)
    by_name = store.get_experiment_by_name(name)
    assert by_name is not None and by_name.experiment_id == exp_id
    assert store.get_experiment_by_name(f"missing-{uuid.uuid4().hex}") is None
    with pytest.raises(AlreadyExists):
        store.create_experiment(name)
    with pytest.raises(NotFound):
        store.get_experiment("987654321")

    store.set_experiment_tag(exp_id, ExperimentTag("team", "b"))
    store.set_experiment_tag(exp_id, ExperimentTag("note", "x"))
    store.delete_experiment_tag(exp_id, "note")
    assert store.get_experiment(exp_id).tags_dict == {"team": "b"}

    store.rename_experiment(exp_id, name + "-renamed")
    assert store.get_experiment(exp_id).name == name + "-renamed"

    store.delete_experiment(exp_id)
    assert store.get_experiment(exp_id).lifecycle_stage is LifecycleStage.DELETED
    active = store.search_experiments(filter_string=f"name = '{name}-renamed'")
    deleted = store.search_experiments(ViewType.DELETED_ONLY, filter_string=f"name = '{name}-renamed'")
    assert [e.experiment_id for e in active] == []
    assert [e.experiment_id for e in deleted] == [exp_id]
    store.restore_experiment(exp_id)
    assert store.get_experiment(exp_id).lifecycle_stage is LifecycleStage.ACTIVE


def test_search_experiments_filter_order_pages(store: RestStore) -> None:
    prefix = f"srch-{uuid.uuid4().hex[:8]}"
    ids = [store.create_experiment(f"{prefix}-{i}", tags=[ExperimentTag("i", str(i))]) for i in range(5)]
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = store.search_experiments(max_results=2, filter_string=f"name LIKE '{prefix}-%'",
                                        order_by=["name DESC"], page_token=token)
        seen += [e.experiment_id for e in page]
        pages += 1
        token = page.token
        if token is None:
            break
    assert seen == list(reversed(ids))
    assert pages >= 3
    tagged = store.search_experiments(filter_string=f"name LIKE '{prefix}-%' and tags.i = '3'")
    assert [e.experiment_id for e in tagged] == [ids[3]]


# -- runs --------------------------------------------------------------------------
def test_run_lifecycle(store: RestStore, experiment_id: str) -> None:
    run = store.create_run(experiment_id, "tester", 1_700_000_000_000, tags=[RunTag("k", "v")],
                           run_name="first")
    info = run.info
    assert info.status is RunStatus.RUNNING and info.run_name == "first"
    assert info.experiment_id == experiment_id and info.end_time is None
    assert run.data.tags_dict["k"] == "v" and run.data.tags_dict["mlflow.runName"] == "first"
    assert info.artifact_uri.endswith(f"{info.run_id}/artifacts")

    updated = store.update_run_info(info.run_id, RunStatus.FINISHED, 1_700_000_100_000, "renamed")
    assert updated.status is RunStatus.FINISHED and updated.end_time == 1_700_000_100_000
    fetched = store.get_run(info.run_id)
    assert fetched.info.run_name == "renamed" and fetched.data.tags_dict["mlflow.runName"] == "renamed"

    generated = store.create_run(experiment_id, "tester", now_ms()).info
    assert generated.run_name  # the server names unnamed runs

    store.delete_run(info.run_id)
    assert store.get_run(info.run_id).info.lifecycle_stage is LifecycleStage.DELETED
    store.restore_run(info.run_id)
    assert store.get_run(info.run_id).info.lifecycle_stage is LifecycleStage.ACTIVE
    with pytest.raises(NotFound):
        store.get_run(uuid.uuid4().hex)


def test_params_are_write_once(store: RestStore, experiment_id: str) -> None:
    run_id = new_run(store, experiment_id)
    store.log_param(run_id, Param("lr", "0.1"))
    store.log_param(run_id, Param("lr", "0.1"))  # the same value again is fine (retries rely on it)
    with pytest.raises(InvalidArgument):
        store.log_param(run_id, Param("lr", "0.2"))
    store.log_batch(run_id, params=[Param("lr", "0.1"), Param("bs", "32")])
    assert store.get_run(run_id).data.params_dict == {"lr": "0.1", "bs": "32"}


def test_tags(store: RestStore, experiment_id: str) -> None:
    run_id = new_run(store, experiment_id)
    store.set_tag(run_id, RunTag("stage", "a"))
    store.set_tag(run_id, RunTag("stage", "b"))
    store.set_tag(run_id, RunTag("gone", "x"))
    store.delete_tag(run_id, "gone")
    tags = store.get_run(run_id).data.tags_dict
    assert tags["stage"] == "b" and "gone" not in tags


def test_metric_history_exact(store: RestStore, experiment_id: str, server_kind: str) -> None:
    run_id = new_run(store, experiment_id)
    values = [0.5, math.nan, -1.25, 1e-300, 3.0]
    for step, value in enumerate(values):
        store.log_metric(run_id, Metric("loss", value, 1000 + step, step))
    store.log_metric(run_id, Metric("loss", 3.0, 1004, 4))  # an identical point again
    history = store.get_metric_history(run_id, "loss")
    assert history.token is None
    got = sorted((m.step, m.timestamp, m.value) for m in history)
    assert [(s, t) for s, t, _ in got] == [(i, 1000 + i) for i in range(5)]
    for (_, _, value), expected in zip(got, values, strict=True):
        assert (math.isnan(value) and math.isnan(expected)) or value == expected
    assert store.get_run(run_id).data.metrics_dict == {"loss": 3.0}

    store.log_batch(run_id, metrics=[Metric("inf", math.inf, 1, 0), Metric("inf", -math.inf, 2, 1)])
    inf_values = [m.value for m in sorted(store.get_metric_history(run_id, "inf"), key=lambda m: m.step)]
    if server_kind == "mlflow":  # MLflow's SQL store clamps to the largest finite double
        assert inf_values == [sys.float_info.max, -sys.float_info.max]
    else:
        assert inf_values == [math.inf, -math.inf]


def test_metric_history_pages(store: RestStore, experiment_id: str) -> None:
    run_id = new_run(store, experiment_id)
    store.log_batch(run_id, metrics=[Metric("acc", i / 10, 100 + i, i) for i in range(7)])
    first = store.get_metric_history(run_id, "acc", max_results=3)
    assert len(first) == 3 and first.token is not None
    points = list(first)
    token: str | None = first.token
    while token:
        page = store.get_metric_history(run_id, "acc", max_results=3, page_token=token)
        points += page
        token = page.token
    assert [m.step for m in points] == list(range(7))


def test_log_batch_is_split_to_server_limits(store: RestStore, experiment_id: str) -> None:
    run_id = new_run(store, experiment_id)
    params = [Param(f"p{i:03d}", str(i)) for i in range(250)]
    tags = [RunTag(f"t{i:03d}", "x" * 7000) for i in range(150)]  # ~1 MB of tags: byte split too
    metrics = [Metric(f"m{i % 3}", float(i), 1000 + i, i // 3) for i in range(2500)]
    store.log_batch(run_id, metrics=metrics, params=params, tags=tags)
    data = store.get_run(run_id).data
    assert data.params_dict == {p.key: p.value for p in params}
    assert all(data.tags_dict[t.key] == t.value for t in tags)
    histories = {k: store.get_metric_history(run_id, k) for k in ("m0", "m1", "m2")}
    assert sum(len(h) for h in histories.values()) == 2500
    assert data.metrics_dict["m0"] == 2499.0


def test_search_runs_filter_order_pages(store: RestStore, experiment_id: str) -> None:
    run_ids = []
    for i in range(5):
        run_id = new_run(store, experiment_id, name=f"r{i}")
        store.log_batch(run_id, metrics=[Metric("m", float(i), now_ms(), 0)],
                        params=[Param("parity", str(i % 2))])
        run_ids.append(run_id)
    found = store.search_runs([experiment_id], "metrics.m >= 2 and params.parity = '0'",
                              order_by=["metrics.m DESC"])
    assert [r.info.run_id for r in found] == [run_ids[4], run_ids[2]]
    assert found[0].data.params_dict == {"parity": "0"}

    ordered: list[str] = []
    token = None
    while True:
        page = store.search_runs([experiment_id], order_by=["metrics.m ASC"], max_results=2, page_token=token)
        ordered += [r.info.run_id for r in page]
        token = page.token
        if not token:
            break
    assert ordered == run_ids
    named = store.search_runs([experiment_id], "attributes.run_name LIKE 'r%' and run_name != 'r1'")
    assert len(named) == 4
    store.delete_run(run_ids[0])
    assert len(store.search_runs([experiment_id])) == 4
    assert [r.info.run_id for r in store.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)] == [
        run_ids[0]
    ]


def test_metric_history_bulk_interval(store: RestStore, experiment_id: str) -> None:
    runs = [new_run(store, experiment_id) for _ in range(2)]
    for run_id in runs:
        store.log_batch(run_id, metrics=[Metric("x", float(s), 10 + s, s) for s in range(20)])
    points = store.get_metric_history_bulk_interval(runs, "x", max_results=5)
    for run_id in runs:
        steps = sorted(m.step for m in points if m.run_id == run_id)
        assert 2 <= len(steps) <= 5 and steps[0] == 0 and steps[-1] == 19


def test_log_inputs_and_datasets(store: RestStore, experiment_id: str) -> None:
    run_id = new_run(store, experiment_id)
    dataset = Dataset("iris", "abc123", "local", '{"uri": "/data/iris.csv"}', schema='{"cols": []}')
    store.log_inputs(run_id, [DatasetInput(dataset, (InputTag("mlflow.data.context", "training"),))])
    store.log_inputs(run_id, [DatasetInput(dataset, (InputTag("mlflow.data.context", "training"),))])
    inputs = store.get_run(run_id).inputs.dataset_inputs
    assert len(inputs) == 1 and inputs[0].dataset.name == "iris" and inputs[0].dataset.digest == "abc123"
    assert inputs[0].tags == (InputTag("mlflow.data.context", "training"),)
    summaries = store.search_datasets([experiment_id])
    assert [(s.experiment_id, s.name, s.digest, s.context) for s in summaries] == [
        (experiment_id, "iris", "abc123", "training")
    ]


def test_logged_models(store: RestStore, experiment_id: str) -> None:
    run_id = new_run(store, experiment_id)
    params = [LoggedModelParameter(f"p{i:03d}", str(i)) for i in range(120)]  # > 100: a second call
    model = store.create_logged_model(experiment_id, "model", run_id, [LoggedModelTag("a", "1")], params,
                                      "sklearn")
    assert model.model_id.startswith("m-") and model.status is LoggedModelStatus.PENDING
    assert model.artifact_uri.endswith(f"models/{model.model_id}/artifacts")
    assert set(model.params) == {p.key for p in params}

    ready = store.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    assert ready.status is LoggedModelStatus.READY
    store.set_logged_model_tags(model.model_id, [LoggedModelTag("b", "2"), LoggedModelTag("c", "3")])
    store.delete_logged_model_tag(model.model_id, "c")
    fetched = store.get_logged_model(model.model_id)
    assert fetched.tags == {"a": "1", "b": "2"}
    assert fetched.source_run_id == run_id and fetched.model_type == "sklearn"

    store.log_outputs(run_id, [LoggedModelOutput(model.model_id, 3)])
    assert store.get_run(run_id).outputs.model_outputs == (LoggedModelOutput(model.model_id, 3),)

    other = store.create_logged_model(experiment_id, "other", run_id)
    found = store.search_logged_models([experiment_id], "name = 'model'")
    assert [m.model_id for m in found] == [model.model_id]
    page = store.search_logged_models([experiment_id], max_results=1,
                                      order_by=[{"field_name": "creation_timestamp", "ascending": True}])
    assert len(page) == 1 and page.token is not None
    rest = store.search_logged_models([experiment_id], max_results=1, page_token=page.token,
                                      order_by=[{"field_name": "creation_timestamp", "ascending": True}])
    assert {page[0].model_id, rest[0].model_id} == {model.model_id, other.model_id}

    store.delete_logged_model(other.model_id)
    with pytest.raises(NotFound):
        store.get_logged_model(other.model_id)
    assert store.get_logged_model(other.model_id, allow_deleted=True).model_id == other.model_id
