"""Garbage collection (``tracklog.store.gc``): exactly the old soft-deleted rows go, nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from tests.contract.contract_helpers import metric, new_experiment, new_run

from tracklog.entities import DatasetInput, ExperimentTag, Param, RunTag
from tracklog.entities.dataset import Dataset
from tracklog.exceptions import InvalidArgument
from tracklog.store.gc import GarbageCollector, collector_for
from tracklog.store.sql import schema
from tracklog.store.sql.db import Database
from tracklog.store.sql.engine import get_engine
from tracklog.store.sql.store import SqlStore

OLD = 1_000  # deleted_time of "long ago" rows (epoch ms)
CUTOFF = 10_000


def _age(store: SqlStore, table: schema.Table, key: object, ident: object, when: int | None) -> None:
    Database(get_engine(store.db_uri)).write(
        lambda conn: conn.execute(update(table).where(key == ident).values(deleted_time=when))
    )


def _count(store: SqlStore, table: schema.Table, **where: object) -> int:
    def count(conn: object) -> int:
        query = select(func.count()).select_from(table)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        return int(conn.execute(query).scalar_one())  # type: ignore[attr-defined]

    return Database(get_engine(store.db_uri)).read(count)


def _full_run(store: SqlStore, eid: str) -> str:
    run = new_run(store, eid)
    rid = run.info.run_id
    store.log_batch(rid, metrics=[metric("loss", 0.5, step=s) for s in range(3)],
                    params=[Param("lr", "0.1")], tags=[RunTag("t", "v")])
    store.log_inputs(rid, datasets=[DatasetInput(Dataset("d", "abc", "local", "{}"))])
    return rid


@pytest.fixture
def gc(store: SqlStore) -> GarbageCollector:
    collector = collector_for(store)
    assert isinstance(collector, GarbageCollector)
    return collector


def test_purges_only_old_deleted_runs(store: SqlStore, gc: GarbageCollector) -> None:
    eid = new_experiment(store)
    old, recent, active, undated = (_full_run(store, eid) for _ in range(4))
    for rid in (old, recent, undated):
        store.delete_run(rid)
    _age(store, schema.runs, schema.runs.c.run_uuid, old, OLD)
    _age(store, schema.runs, schema.runs.c.run_uuid, undated, None)

    assert [t.id for t in gc.deleted_runs(CUTOFF)] == [old]
    assert {t.id for t in gc.deleted_runs()} == {old, recent, undated}
    target = gc.deleted_runs(CUTOFF)[0]
    assert target.kind == "run" and target.experiment_id == eid and target.deleted_time == OLD
    assert target.artifact_uri == store.get_run(old).info.artifact_uri

    assert gc.purge_run(old) is True
    assert gc.purge_run(old) is False  # already gone
    for table in (schema.runs, schema.metrics, schema.latest_metrics, schema.params, schema.tags,
                  schema.run_inputs):
        assert _count(store, table, run_uuid=old) == 0, table.name
    for rid in (recent, active, undated):
        store.get_run(rid)
        assert _count(store, schema.metrics, run_uuid=rid) == 3
    assert _count(store, schema.datasets, experiment_id=int(eid)) == 1  # datasets belong to the experiment


def test_restored_run_is_never_purged(store: SqlStore, gc: GarbageCollector) -> None:
    rid = _full_run(store, new_experiment(store))
    store.delete_run(rid)
    planned = gc.deleted_runs()
    store.restore_run(rid)
    assert [t.id for t in planned] == [rid]
    assert gc.purge_run(rid) is False
    assert store.get_run(rid).info.lifecycle_stage.value == "active"
    assert _count(store, schema.params, run_uuid=rid) == 1


def test_named_runs_must_be_deleted_and_old_enough(store: SqlStore, gc: GarbageCollector) -> None:
    eid = new_experiment(store)
    old, recent, active = (_full_run(store, eid) for _ in range(3))
    store.delete_run(old)
    store.delete_run(recent)
    _age(store, schema.runs, schema.runs.c.run_uuid, old, OLD)
    assert [t.id for t in gc.deleted_runs(CUTOFF, [old])] == [old]
    assert [t.id for t in gc.deleted_runs(None, [recent, old])] == [recent, old]
    for ids, words in (([active], "not deleted"), ([recent], "too recently"),
                       (["f" * 32], "does not exist"), ([old, active], "not deleted")):
        with pytest.raises(InvalidArgument, match=words):
            gc.deleted_runs(CUTOFF, ids)
    with pytest.raises(InvalidArgument):
        gc.deleted_runs(None, ["../etc"])


def test_purge_experiment_removes_everything_in_it(store: SqlStore, gc: GarbageCollector) -> None:
    keep = new_experiment(store)
    kept_run = _full_run(store, keep)
    eid = store.create_experiment("doomed", tags=[ExperimentTag("team", "a")])
    runs = [_full_run(store, eid) for _ in range(2)]
    model = store.create_logged_model(eid, "m", source_run_id=runs[0])
    store.delete_experiment(eid)
    recent = new_experiment(store)
    store.delete_experiment(recent)
    _age(store, schema.experiments, schema.experiments.c.experiment_id, int(eid), OLD)

    assert [t.id for t in gc.deleted_experiments(CUTOFF)] == [eid]
    with pytest.raises(InvalidArgument, match="not deleted"):
        gc.deleted_experiments(CUTOFF, [keep])
    contents = gc.experiment_contents(eid)
    assert {(t.kind, t.id) for t in contents} == {("run", runs[0]), ("run", runs[1]),
                                                  ("logged_model", model.model_id)}
    assert all(t.artifact_uri for t in contents)

    assert gc.purge_experiment(eid) is True
    assert store.get_experiment_by_name("doomed") is None
    for table in (schema.runs, schema.logged_models, schema.experiment_tags, schema.datasets):
        assert _count(store, table, experiment_id=int(eid)) == 0, table.name
    for rid in runs:
        assert _count(store, schema.metrics, run_uuid=rid) == 0
    assert _count(store, schema.metrics, run_uuid=kept_run) == 3
    assert store.get_experiment(recent).lifecycle_stage.value == "deleted"
    assert gc.purge_experiment(keep) is False  # active: never removed
    store.get_run(kept_run)


def test_restored_experiment_is_never_purged(store: SqlStore, gc: GarbageCollector) -> None:
    eid = new_experiment(store)
    rid = _full_run(store, eid)
    store.delete_experiment(eid)
    store.restore_experiment(eid)
    assert gc.purge_experiment(eid) is False
    store.get_run(rid)
