"""Caller-chosen ids and creation times (what an import uses to keep MLflow's ids)."""

from __future__ import annotations

import uuid

import pytest
from tests.contract.contract_helpers import new_experiment, new_run, unique

from tracklog.entities import ExperimentTag, LoggedModelTag, Metric, RunTag
from tracklog.exceptions import AlreadyExists, InvalidArgument, NotFound
from tracklog.store.base import TrackingStore

BAD_EXPERIMENT_IDS = ["", "0", "01", "-1", "1.0", "abc", "../1", "1 OR 1=1", "1; DROP TABLE runs", "９", "2147483648"]
BAD_RUN_IDS = ["", "x" * 32, "A" * 32, "a" * 31, "a" * 33, "../" + "a" * 29, "a" * 16 + "'; --" + "a" * 11]
BAD_MODEL_IDS = ["", "m-", "m-" + "A" * 32, "m-" + "a" * 31, "a" * 34, "m-../" + "a" * 28, "m-" + "g" * 32]


def test_store_says_it_keeps_ids(store: TrackingStore) -> None:
    assert store.keeps_ids is True


def test_chosen_experiment_id(store: TrackingStore, artifact_root: str) -> None:
    probe = int(new_experiment(store))
    chosen = str(probe + 50)
    name = unique()
    got = store.create_experiment(name, tags=[ExperimentTag("k", "v")], experiment_id=chosen, creation_time=1234)
    assert got == chosen
    exp = store.get_experiment(chosen)
    assert (exp.name, exp.creation_time, exp.tags) == (name, 1234, {"k": "v"})
    assert exp.artifact_location == f"{artifact_root}/{chosen}"
    # generated ids continue above the chosen one (PostgreSQL's sequence is moved forward)
    after = [int(new_experiment(store)) for _ in range(2)]
    assert min(after) > int(chosen) and after[0] != after[1]


def test_chosen_experiment_id_below_the_sequence(store: TrackingStore) -> None:
    first, second = int(new_experiment(store)), int(new_experiment(store))
    store.delete_experiment(str(second))
    free = str(second + 100)
    store.create_experiment(unique(), experiment_id=free)
    later = int(new_experiment(store))
    assert later > int(free)
    gap = str(first + 1) if first + 1 != second else str(second + 10)
    try:
        store.get_experiment(gap)
    except NotFound:
        assert store.create_experiment(unique(), experiment_id=gap) == gap
        assert int(new_experiment(store)) > later  # the sequence never moves back


def test_taken_experiment_id_or_name(store: TrackingStore) -> None:
    eid = new_experiment(store)
    name = unique()
    with pytest.raises(AlreadyExists) as err:
        store.create_experiment(name, experiment_id=eid)
    assert err.value.error_code == "RESOURCE_ALREADY_EXISTS"
    assert store.get_experiment_by_name(name) is None
    taken_name = store.get_experiment(eid).name
    free = str(int(eid) + 10)
    with pytest.raises(AlreadyExists):
        store.create_experiment(taken_name, experiment_id=free)
    with pytest.raises(NotFound):
        store.get_experiment(free)


@pytest.mark.parametrize("bad", BAD_EXPERIMENT_IDS)
def test_bad_experiment_id(store: TrackingStore, bad: str) -> None:
    name = unique()
    with pytest.raises(InvalidArgument):
        store.create_experiment(name, experiment_id=bad)
    assert store.get_experiment_by_name(name) is None


def test_bad_creation_time(store: TrackingStore) -> None:
    with pytest.raises(InvalidArgument):
        store.create_experiment(unique(), creation_time=-1)


def test_chosen_run_id(store: TrackingStore) -> None:
    eid = new_experiment(store)
    rid = uuid.uuid4().hex
    run = store.create_run(eid, "alice", 42, tags=[RunTag("t", "1")], run_name="kept", run_id=rid)
    assert run.info.run_id == rid and run.info.start_time == 42 and run.info.run_name == "kept"
    assert run.info.artifact_uri.endswith(f"/{eid}/{rid}/artifacts")
    store.log_batch(rid, metrics=[Metric("m", 1.0, 1, 0)])
    got = store.get_run(rid)
    assert got.data.metrics == {"m": 1.0} and got.data.tags["t"] == "1"
    other = new_experiment(store)
    with pytest.raises(AlreadyExists) as err:
        store.create_run(other, "bob", 1, run_id=rid)
    assert err.value.error_code == "RESOURCE_ALREADY_EXISTS"
    assert store.get_run(rid).info.experiment_id == eid
    assert new_run(store, eid).info.run_id != rid


@pytest.mark.parametrize("bad", BAD_RUN_IDS)
def test_bad_run_id(store: TrackingStore, bad: str) -> None:
    eid = new_experiment(store)
    with pytest.raises(InvalidArgument):
        store.create_run(eid, "alice", 1, run_id=bad)
    assert len(store.search_runs([eid])) == 0


def test_chosen_model_id(store: TrackingStore) -> None:
    eid = new_experiment(store)
    mid = f"m-{uuid.uuid4().hex}"
    model = store.create_logged_model(eid, "m", tags=[LoggedModelTag("t", "1")], model_id=mid,
                                      creation_timestamp_ms=777)
    assert model.model_id == mid and model.creation_timestamp_ms == 777
    assert model.artifact_uri.endswith(f"/models/{mid}/artifacts")
    assert store.get_logged_model(mid).tags == {"t": "1"}
    with pytest.raises(AlreadyExists) as err:
        store.create_logged_model(new_experiment(store), "other", model_id=mid)
    assert err.value.error_code == "RESOURCE_ALREADY_EXISTS"
    assert store.get_logged_model(mid).name == "m"


@pytest.mark.parametrize("bad", BAD_MODEL_IDS)
def test_bad_model_id(store: TrackingStore, bad: str) -> None:
    eid = new_experiment(store)
    with pytest.raises(InvalidArgument):
        store.create_logged_model(eid, "m", model_id=bad)
    with pytest.raises(InvalidArgument):
        store.create_logged_model(eid, "m", creation_timestamp_ms=-5)
    assert len(store.search_logged_models([eid])) == 0
