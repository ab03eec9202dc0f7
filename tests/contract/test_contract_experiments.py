"""Experiments: create, read, rename, lifecycle, tags, concurrent creation."""

from __future__ import annotations

import threading

import pytest
from tests.contract.contract_helpers import new_experiment, new_run, unique

from tracklog.entities import ExperimentTag, LifecycleStage, ViewType
from tracklog.exceptions import AlreadyExists, InvalidArgument, NotFound
from tracklog.store.base import TrackingStore


def test_default_experiment_exists(store: TrackingStore, artifact_root: str) -> None:
    exp = store.get_experiment("0")
    assert exp.name == "Default"
    assert exp.lifecycle_stage is LifecycleStage.ACTIVE
    assert exp.artifact_location == f"{artifact_root}/0"
    assert store.get_experiment_by_name("Default") == exp


def test_create_and_get(store: TrackingStore, artifact_root: str) -> None:
    name = unique()
    eid = store.create_experiment(name, tags=[ExperimentTag("team", "ml"), ExperimentTag("x", "1")])
    assert eid.isdigit() and eid != "0"
    exp = store.get_experiment(eid)
    assert exp.name == name
    assert exp.artifact_location == f"{artifact_root}/{eid}"
    assert exp.tags_dict == {"team": "ml", "x": "1"}
    assert exp.creation_time is not None and exp.last_update_time is not None
    assert store.get_experiment_by_name(name) == exp
    assert store.get_experiment_by_name("no such experiment") is None


def test_explicit_artifact_location(store: TrackingStore) -> None:
    eid = store.create_experiment(unique(), artifact_location="s3://bucket/path")
    assert store.get_experiment(eid).artifact_location == "s3://bucket/path"


@pytest.mark.parametrize(
    ("root", "expected_prefix"),
    [
        ("s3://bucket/root/", "s3://bucket/root/"),
        ("mlflow-artifacts:/", "mlflow-artifacts:/"),
        ("file:///tmp/x", "file:///tmp/x/"),
    ],
)
def test_default_root_join_without_double_slash(root: str, expected_prefix: str) -> None:
    from tracklog.store.sql.rows import join_uri

    assert join_uri(root, "7") == expected_prefix + "7"
    assert join_uri(root, "7", "abc", "artifacts") == expected_prefix + "7/abc/artifacts"


def test_duplicate_name_is_already_exists_even_when_deleted(store: TrackingStore) -> None:
    name = unique()
    eid = store.create_experiment(name)
    with pytest.raises(AlreadyExists) as info:
        store.create_experiment(name)
    assert info.value.error_code == "RESOURCE_ALREADY_EXISTS"
    assert info.value.http_status == 400
    store.delete_experiment(eid)
    with pytest.raises(AlreadyExists):
        store.create_experiment(name)


def test_names_are_case_sensitive(store: TrackingStore) -> None:
    name = unique("Case")
    store.create_experiment(name)
    store.create_experiment(name.lower())
    assert store.get_experiment_by_name(name.upper()) is None


def test_bad_names(store: TrackingStore) -> None:
    for name in ["", "   ", "x" * 501, "nul\x00"]:
        with pytest.raises(InvalidArgument):
            store.create_experiment(name)


def test_name_limit(store: TrackingStore) -> None:
    name = (unique() + "n" * 500)[:500]
    assert len(name) == 500
    assert store.get_experiment(store.create_experiment(name)).name == name
    with pytest.raises(InvalidArgument, match="500"):
        store.create_experiment(name + "x")


def test_unknown_and_bad_ids(store: TrackingStore) -> None:
    with pytest.raises(NotFound) as info:
        store.get_experiment("987654")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(InvalidArgument):
        store.get_experiment("abc")
    with pytest.raises(InvalidArgument):
        store.get_experiment("1; DROP TABLE experiments")


def test_rename(store: TrackingStore) -> None:
    eid = new_experiment(store)
    other = new_experiment(store)
    new_name = unique("renamed")
    store.rename_experiment(eid, new_name)
    assert store.get_experiment(eid).name == new_name
    with pytest.raises(AlreadyExists):
        store.rename_experiment(eid, store.get_experiment(other).name)
    store.rename_experiment(eid, new_name)  # same name again is fine
    store.delete_experiment(eid)
    with pytest.raises(InvalidArgument):
        store.rename_experiment(eid, unique())


def test_delete_and_restore_cascade_to_runs(store: TrackingStore) -> None:
    eid = new_experiment(store)
    keep_deleted = new_run(store, eid).info.run_id
    store.delete_run(keep_deleted)
    a = new_run(store, eid).info.run_id
    b = new_run(store, eid).info.run_id
    store.delete_experiment(eid)
    exp = store.get_experiment(eid)
    assert exp.lifecycle_stage is LifecycleStage.DELETED
    for rid in (a, b, keep_deleted):
        assert store.get_run(rid).info.lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(InvalidArgument, match="active"):
        store.create_run(eid, "u", 0)
    store.restore_experiment(eid)
    assert store.get_experiment(eid).lifecycle_stage is LifecycleStage.ACTIVE
    assert store.get_run(a).info.lifecycle_stage is LifecycleStage.ACTIVE
    assert store.get_run(b).info.lifecycle_stage is LifecycleStage.ACTIVE
    # deleted before the experiment: stays deleted
    assert store.get_run(keep_deleted).info.lifecycle_stage is LifecycleStage.DELETED


def test_a_run_deleted_in_the_same_millisecond_stays_deleted_after_restore(
    store: TrackingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clock does not move between the run's deletion and the experiment's (a fast store)."""
    import tracklog.store.sql.experiments as experiments
    import tracklog.store.sql.runs as runs

    eid = new_experiment(store)
    keep_deleted = new_run(store, eid).info.run_id
    other = new_run(store, eid).info.run_id
    frozen = experiments.now_ms()
    monkeypatch.setattr(experiments, "now_ms", lambda: frozen)
    monkeypatch.setattr(runs, "now_ms", lambda: frozen)
    store.delete_run(keep_deleted)
    store.delete_experiment(eid)
    store.restore_experiment(eid)
    assert store.get_run(other).info.lifecycle_stage is LifecycleStage.ACTIVE
    assert store.get_run(keep_deleted).info.lifecycle_stage is LifecycleStage.DELETED


def test_default_experiment_cannot_be_deleted(store: TrackingStore) -> None:
    with pytest.raises(InvalidArgument):
        store.delete_experiment("0")


def test_experiment_tags(store: TrackingStore) -> None:
    eid = new_experiment(store)
    store.set_experiment_tag(eid, ExperimentTag("mlflow.note.content", "hello"))
    store.set_experiment_tag(eid, ExperimentTag("mlflow.note.content", "bye"))
    assert store.get_experiment(eid).tags_dict == {"mlflow.note.content": "bye"}
    store.delete_experiment_tag(eid, "mlflow.note.content")
    assert store.get_experiment(eid).tags_dict == {}
    with pytest.raises(NotFound):
        store.delete_experiment_tag(eid, "missing")


def test_experiment_tag_limits(store: TrackingStore) -> None:
    eid = new_experiment(store)
    store.set_experiment_tag(eid, ExperimentTag("k" * 250, "v" * 20000))
    with pytest.raises(InvalidArgument, match="250"):
        store.set_experiment_tag(eid, ExperimentTag("k" * 251, "v"))
    with pytest.raises(InvalidArgument, match="20000"):
        store.set_experiment_tag(eid, ExperimentTag("k", "v" * 20001))
    with pytest.raises(InvalidArgument):
        store.set_experiment_tag(eid, ExperimentTag("bad/../key", "v"))


def test_concurrent_create_same_name_gives_one_experiment(store: TrackingStore) -> None:
    name = unique("race")
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(store.create_experiment(name))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1, errors
    assert len(errors) == 7
    assert all(isinstance(e, AlreadyExists) for e in errors), errors
    assert store.get_experiment_by_name(name) is not None
    matching = [e for e in store.search_experiments(ViewType.ALL, 1000) if e.name == name]
    assert len(matching) == 1
