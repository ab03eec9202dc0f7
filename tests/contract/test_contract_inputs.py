"""Run inputs (datasets with dedup, models), outputs and search_datasets."""

from __future__ import annotations

import pytest
from tests.contract.contract_helpers import new_experiment, new_run

from tracklog.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LoggedModelInput,
    LoggedModelOutput,
)
from tracklog.exceptions import InvalidArgument
from tracklog.store.base import TrackingStore


def _input(name: str, digest: str, context: str | None = "training") -> DatasetInput:
    tags = (InputTag("mlflow.data.context", context),) if context else ()
    return DatasetInput(Dataset(name, digest, "local", '{"uri": "x"}', '{"cols": []}', "{}"), tags)


def test_log_inputs_round_trip(store: TrackingStore) -> None:
    run = new_run(store)
    rid = run.info.run_id
    store.log_inputs(rid, datasets=[_input("train", "d1")], models=[LoggedModelInput("m-" + "a" * 32)])
    got = store.get_run(rid).inputs
    (di,) = got.dataset_inputs
    assert di.dataset == Dataset("train", "d1", "local", '{"uri": "x"}', '{"cols": []}', "{}")
    assert di.tags == (InputTag("mlflow.data.context", "training"),)
    assert got.model_inputs == (LoggedModelInput("m-" + "a" * 32),)


def test_datasets_deduplicated_per_experiment(store: TrackingStore) -> None:
    eid = new_experiment(store)
    a = new_run(store, eid).info.run_id
    b = new_run(store, eid).info.run_id
    for rid in (a, b, a):
        store.log_inputs(rid, datasets=[_input("train", "d1")])
    store.log_inputs(b, datasets=[_input("eval", "d2", "eval"), _input("train", "d1")])
    assert len(store.get_run(a).inputs.dataset_inputs) == 1
    assert {d.dataset.name for d in store.get_run(b).inputs.dataset_inputs} == {"train", "eval"}
    summaries = store.search_datasets([eid])
    assert sorted((s.name, s.digest, s.context) for s in summaries) == [
        ("eval", "d2", "eval"), ("train", "d1", "training")]
    assert all(s.experiment_id == eid for s in summaries)


def test_search_datasets_scoped_by_experiment(store: TrackingStore) -> None:
    e1, e2 = new_experiment(store), new_experiment(store)
    store.log_inputs(new_run(store, e1).info.run_id, datasets=[_input("one", "x")])
    store.log_inputs(new_run(store, e2).info.run_id, datasets=[_input("two", "y", None)])
    assert [s.name for s in store.search_datasets([e1])] == ["one"]
    (two,) = store.search_datasets([e2])
    assert two.context is None
    assert len(store.search_datasets([e1, e2])) == 2
    assert store.search_datasets([]) == []


def test_log_outputs(store: TrackingStore) -> None:
    run = new_run(store)
    model = store.create_logged_model(run.info.experiment_id, "model", run.info.run_id)
    store.log_outputs(run.info.run_id, [LoggedModelOutput(model.model_id, 3)])
    store.log_outputs(run.info.run_id, [LoggedModelOutput(model.model_id, 3)])  # retry
    assert store.get_run(run.info.run_id).outputs.model_outputs == (LoggedModelOutput(model.model_id, 3),)


def test_inputs_on_deleted_run_refused(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.delete_run(rid)
    with pytest.raises(InvalidArgument, match="active"):
        store.log_inputs(rid, datasets=[_input("t", "d")])


def test_bad_model_id_refused(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    with pytest.raises(InvalidArgument):
        store.log_inputs(rid, models=[LoggedModelInput("../../x")])
    with pytest.raises(InvalidArgument):
        store.log_outputs(rid, [LoggedModelOutput("nope", 0)])
