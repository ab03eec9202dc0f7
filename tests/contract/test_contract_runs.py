"""Runs: creation rules, generated names, update, lifecycle, tags."""

from __future__ import annotations

import re

import pytest
from tests.contract.contract_helpers import new_experiment, new_run

from tracklog.entities import LifecycleStage, Param, RunStatus, RunTag
from tracklog.exceptions import InvalidArgument, NotFound
from tracklog.store.base import TrackingStore

NAME_RE = re.compile(r"^[a-z]+-[a-z]+-\d{3}$")


def test_create_run_defaults(store: TrackingStore) -> None:
    eid = new_experiment(store)
    exp = store.get_experiment(eid)
    run = store.create_run(eid, "alice", 1234, tags=[RunTag("mlflow.user", "alice")])
    info = run.info
    assert re.fullmatch(r"[0-9a-f]{32}", info.run_id)
    assert info.experiment_id == eid
    assert info.user_id == "alice"
    assert info.status is RunStatus.RUNNING
    assert info.start_time == 1234 and info.end_time is None
    assert info.lifecycle_stage is LifecycleStage.ACTIVE
    assert info.artifact_uri == f"{exp.artifact_location}/{info.run_id}/artifacts"
    assert NAME_RE.match(info.run_name), info.run_name
    assert run.data.tags_dict == {"mlflow.user": "alice", "mlflow.runName": info.run_name}
    assert store.get_run(info.run_id) == run


def test_generated_names_vary(store: TrackingStore) -> None:
    eid = new_experiment(store)
    names = {store.create_run(eid, "u", 0).info.run_name for _ in range(5)}
    assert len(names) > 1


def test_run_name_sets_tag_and_tag_sets_name(store: TrackingStore) -> None:
    eid = new_experiment(store)
    a = store.create_run(eid, "u", 0, run_name="given")
    assert a.info.run_name == "given" and a.data.tags_dict["mlflow.runName"] == "given"
    b = store.create_run(eid, "u", 0, tags=[RunTag("mlflow.runName", "from-tag")])
    assert b.info.run_name == "from-tag"
    c = store.create_run(eid, "u", 0, run_name="same", tags=[RunTag("mlflow.runName", "same")])
    assert c.info.run_name == "same"


def test_run_name_tag_mismatch(store: TrackingStore) -> None:
    eid = new_experiment(store)
    with pytest.raises(InvalidArgument):
        store.create_run(eid, "u", 0, run_name="a", tags=[RunTag("mlflow.runName", "b")])


def test_create_run_in_missing_or_deleted_experiment(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.create_run("424242", "u", 0)
    eid = new_experiment(store)
    store.delete_experiment(eid)
    with pytest.raises(InvalidArgument, match="must be in the 'active' state"):
        store.create_run(eid, "u", 0)


def test_update_run_info(store: TrackingStore) -> None:
    run = new_run(store)
    rid = run.info.run_id
    info = store.update_run_info(rid, RunStatus.FINISHED, 5000, "renamed")
    assert info.status is RunStatus.FINISHED and info.end_time == 5000 and info.run_name == "renamed"
    fetched = store.get_run(rid)
    assert fetched.info == info
    assert fetched.data.tags_dict["mlflow.runName"] == "renamed"
    assert store.update_run_info(rid).status is RunStatus.FINISHED


def test_set_tag_run_name_renames(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.set_tag(rid, RunTag("mlflow.runName", "via-tag"))
    assert store.get_run(rid).info.run_name == "via-tag"


def test_get_missing_and_bad_run(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.get_run("0" * 32)
    with pytest.raises(InvalidArgument):
        store.get_run("../etc/passwd")


def test_delete_restore_run(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.delete_run(rid)
    assert store.get_run(rid).info.lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(InvalidArgument, match="active"):
        store.set_tag(rid, RunTag("a", "b"))
    with pytest.raises(InvalidArgument, match="active"):
        store.update_run_info(rid, RunStatus.FINISHED)
    store.restore_run(rid)
    assert store.get_run(rid).info.lifecycle_stage is LifecycleStage.ACTIVE
    store.set_tag(rid, RunTag("a", "b"))


def test_tags_upsert_and_delete(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.set_tag(rid, RunTag("k", "1"))
    store.set_tag(rid, RunTag("k", "2"))
    assert store.get_run(rid).data.tags_dict["k"] == "2"
    store.delete_tag(rid, "k")
    assert "k" not in store.get_run(rid).data.tags_dict
    with pytest.raises(NotFound):
        store.delete_tag(rid, "k")


def test_tag_value_limit(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.set_tag(rid, RunTag("big", "x" * 8000))
    assert store.get_run(rid).data.tags_dict["big"] == "x" * 8000
    with pytest.raises(InvalidArgument, match="8000"):
        store.set_tag(rid, RunTag("big", "x" * 8001))
    assert store.get_run(rid).data.tags_dict["big"] == "x" * 8000


def test_unicode_round_trip(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    value = "héllo ✓ 𝔘nicode 🚀 <script>"
    store.set_tag(rid, RunTag("u", value))
    assert store.get_run(rid).data.tags_dict["u"] == value


def test_invalid_text_is_invalid_argument(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    for value in ["nul\x00byte", "lone\ud800surrogate"]:
        with pytest.raises(InvalidArgument):
            store.set_tag(rid, RunTag("k", value))
        with pytest.raises(InvalidArgument):
            store.log_param(rid, Param("k", value))


def test_close_keeps_store_usable(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.close()
    assert store.get_run(rid).info.run_id == rid
