"""The driver-level write path and its neighbours: atomicity, run state, limits, search memo, roll-up cleanup."""

from __future__ import annotations

import math
import threading

import pytest
from sqlalchemy import Connection, func, select
from tests.contract.contract_helpers import metric, new_experiment, new_run

from tracklog.entities import Param, RunStatus, RunTag, ViewType
from tracklog.exceptions import InvalidArgument, NotFound
from tracklog.store.base import TrackingStore
from tracklog.store.sql import schema
from tracklog.store.sql.gc import SqlGarbageCollector
from tracklog.store.sql.rollups import RollupCache
from tracklog.store.sql.store import SqlStore


def _count(store: SqlStore, table: str, run_id: str) -> int:
    t = schema.metadata.tables[table]

    def count(conn: Connection) -> int:
        return int(conn.execute(select(func.count()).select_from(t).where(t.c.run_uuid == run_id)).scalar_one())

    return store._db.read(count)


def test_batch_failing_after_its_points_keeps_nothing(store: TrackingStore) -> None:
    """The points, the params and the latest values written before the failure are all rolled back."""
    assert isinstance(store, SqlStore)
    rid = new_run(store).info.run_id
    with pytest.raises(NotFound):
        store.log_batch(
            rid,
            params=[Param("p", "1")],
            tags=[RunTag("t", "v")],
            metrics=[metric("plain", 1.0), metric("acc", 2.0, model_id="m-" + "0" * 32)],
        )
    for table in ("metrics", "latest_metrics", "params"):
        assert _count(store, table, rid) == 0, table
    assert store.get_metric_history(rid, "plain") == []
    assert "t" not in store.get_run(rid).data.tags_dict
    # the run still takes writes afterwards (no transaction left half-open on the connection)
    store.log_batch(rid, params=[Param("p", "2")], metrics=[metric("plain", 3.0)])
    assert store.get_run(rid).data.params_dict == {"p": "2"}
    assert [m.value for m in store.get_metric_history(rid, "plain")] == [3.0]


def test_params_write_once_same_value_is_idempotent(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, params=[Param("p", "1")])
    store.log_batch(rid, params=[Param("p", "1"), Param("q", "2")])
    with pytest.raises(InvalidArgument, match="Changing param values is not allowed"):
        store.log_batch(rid, params=[Param("p", "3")])
    assert store.get_run(rid).data.params_dict == {"p": "1", "q": "2"}


def test_finished_run_takes_writes_deleted_run_does_not(store: TrackingStore) -> None:
    """MLflow checks the lifecycle stage, not the status: a FINISHED run can still be logged to."""
    rid = new_run(store).info.run_id
    store.update_run_info(rid, RunStatus.FINISHED, 2000)
    store.log_batch(rid, metrics=[metric("m", 1.0)], params=[Param("p", "1")])
    store.set_tag(rid, RunTag("t", "v"))
    store.delete_tag(rid, "t")
    store.delete_run(rid)
    match = "must be in the 'active' state. Current state is deleted"
    with pytest.raises(InvalidArgument, match=match):
        store.log_batch(rid, params=[Param("x", "1")])
    with pytest.raises(InvalidArgument, match=match):
        store.set_tag(rid, RunTag("t", "v"))
    with pytest.raises(InvalidArgument, match=match):
        store.delete_tag(rid, "t")
    store.restore_run(rid)
    store.log_batch(rid, metrics=[metric("m", 2.0, 2, 1)])


def test_longest_keys_and_values_round_trip(store: TrackingStore) -> None:
    key = "k" * 250
    run = store.create_run(new_experiment(store), "u", 1000, [RunTag(key, "é" * 8000)], "r" * 250)
    rid = run.info.run_id
    assert run == store.get_run(rid)  # create_run answers what it wrote
    store.log_batch(rid, params=[Param(key, "v" * 6000)], metrics=[metric(key, -0.0), metric(key, 5e-324, 2, 1)])
    got = store.get_run(rid)
    assert got.data.tags_dict[key] == "é" * 8000
    assert got.data.params_dict[key] == "v" * 6000
    assert [m.value for m in store.get_metric_history(rid, key)] == [0.0, 5e-324]
    # a roll-up of a key that long (primary keys of the roll-up tables)
    assert isinstance(store, SqlStore)
    store._rollups = RollupCache(min_steps=100, buckets=16)
    store.log_batch(rid, metrics=[metric(key, float(i), 3, i) for i in range(2, 300)])
    (series,) = store.get_metric_history_sampled([rid], key, 20)
    assert sum(p.count for p in series.points) == 300
    assert _count(store, "metric_rollups", rid) > 0


def test_search_memo_keeps_experiments_and_views_apart(store: TrackingStore) -> None:
    """Compiled searches are memoized by filter: the experiments and stages searched must not be."""
    a, b = new_experiment(store), new_experiment(store)
    ra = new_run(store, a, run_name="in-a").info.run_id
    rb = new_run(store, b, run_name="in-b").info.run_id
    gone = new_run(store, b, run_name="gone").info.run_id
    for rid in (ra, rb, gone):
        store.log_batch(rid, metrics=[metric("score", 1.0)])
    store.delete_run(gone)
    flt = "metrics.score > 0.5"
    for _ in range(2):
        assert [r.info.run_id for r in store.search_runs([a], flt)] == [ra]
        assert [r.info.run_id for r in store.search_runs([b], flt)] == [rb]
        assert [r.info.run_id for r in store.search_runs([b], flt, ViewType.DELETED_ONLY)] == [gone]
        assert {r.info.run_id for r in store.search_runs([a, b], flt, ViewType.ALL)} == {ra, rb, gone}


def test_purging_a_run_removes_its_rollups(store: TrackingStore) -> None:
    assert isinstance(store, SqlStore)
    store._rollups = RollupCache(min_steps=100, buckets=16)
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", float(i), 1, i) for i in range(300)])
    store.get_metric_history_sampled([rid], "m", 20)
    assert _count(store, "metric_rollup_state", rid) == 1
    assert _count(store, "metric_rollups", rid) > 0
    store.delete_run(rid)
    gc = SqlGarbageCollector(store.db_uri)
    assert gc.purge_run(rid)
    assert _count(store, "metric_rollup_state", rid) == 0
    assert _count(store, "metric_rollups", rid) == 0


def test_concurrent_batches_on_keys_with_rollups_do_not_deadlock(store: TrackingStore) -> None:
    """Two writers on the same run and keys (in opposite orders in their batches), while readers
    create and refresh roll-ups: every lock is taken in key order, so no deadlock or lost point."""
    assert isinstance(store, SqlStore)
    store._rollups = RollupCache(min_steps=100, buckets=16)
    rid = new_run(store).info.run_id
    keys = ["a", "b", "c", "m"]
    store.log_batch(rid, metrics=[metric(k, 0.0, 1, i) for k in keys for i in range(200)])
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer(w: int) -> None:
        try:
            for b in range(15):
                order = keys if w % 2 else list(reversed(keys))
                step = 1000 + b * 10 + w
                store.log_batch(rid, metrics=[metric(k, float(step), 5, step) for k in order])
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    def reader() -> None:
        try:
            while not stop.is_set():
                for k in keys:
                    store.get_metric_history_sampled([rid], k, 20)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    readers = [threading.Thread(target=reader)]
    for t in threads + readers:
        t.start()
    for t in threads:
        t.join(120)
    stop.set()
    for t in readers:
        t.join(120)
    assert errors == []
    for k in keys:
        assert len(store.get_metric_history(rid, k)) == 200 + 45
        (series,) = store.get_metric_history_sampled([rid], k, 1000)
        assert sum(p.count for p in series.points) == 245


def test_refresh_racing_a_coarsening_refresh_stays_exact(store: TrackingStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two refreshes of one stale roll-up (the keeper and a chart request) start from the same state;
    the first coarsens it (width doubled, every stored row rewritten, ``seq`` unchanged). The second
    must not merge those coarser stored rows with buckets of the old width, nor store the mix."""
    from tests.contract.test_contract_sampling import CASES, _check, _fresh

    from tracklog.store.sql import rollups

    assert isinstance(store, SqlStore)
    monkeypatch.setattr(rollups, "ROLLUP_CHUNK", 3)
    store._rollups = RollupCache(min_steps=100, buckets=16)
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", float(i % 17), 1, i) for i in range(300)])
    store.get_metric_history_sampled([rid], "m", 20)  # built: width 32
    store.log_batch(rid, metrics=[metric("m", float(-(i % 13)), 2, i) for i in range(300, 1200)])
    db = store._db
    state = db.read(rollups.states, [rid], "m")[rid]
    assert state.dirty_from == 300 and state.width == 32
    for _ in range(2):  # the first persists a coarser roll-up; the second started from the same state
        rollup, changed_from = db.read(rollups._compute, rid, "m", state, 16)
        assert sum(b.count for b in rollups.unpack(rollup.levels[1])) == 1200  # what a request would cache
        db.write(rollups._persist, rid, "m", rollup, changed_from)
    _check(_fresh(store), [rid], CASES)


def test_chart_of_a_run_purged_meanwhile_creates_no_state(store: TrackingStore) -> None:
    """``sync`` plans the roll-up states of long runs, then creates them in another transaction: a run
    purged in between (``tracklog gc``) has no ``latest_metrics`` rows left and gets no state (no
    foreign-key error for the chart request)."""
    from tracklog.store.sql import rollups

    assert isinstance(store, SqlStore)
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", 1.0)])
    store._db.write(rollups._create_states, "m", {rid: 4, "f" * 32: 4})
    assert set(store._db.read(rollups.states, [rid, "f" * 32], "m")) == {rid}


def test_concurrent_failing_batches_keep_nothing_and_spoil_no_other(store: TrackingStore) -> None:
    """Concurrent writers (on SQLite: one shared group-commit transaction): batches failing after
    their points are written leave nothing behind; the others are all kept."""
    assert isinstance(store, SqlStore)
    rid = new_run(store).info.run_id
    errors: list[BaseException] = []
    failed: list[int] = []

    def writer(w: int) -> None:
        try:
            for b in range(10):
                n = w * 100 + b
                points = [metric("good", float(n), 1, n)]
                if b % 3 == 1:
                    points.append(metric("bad", 1.0, 1, n, model_id="m-" + "0" * 32))
                try:
                    store.log_batch(rid, params=[Param(f"p{n}", "v")], metrics=points)
                except NotFound:
                    failed.append(n)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(failed) == sorted(w * 100 + b for w in range(4) for b in (1, 4, 7))
    kept = {int(m.step) for m in store.get_metric_history(rid, "good")}
    assert kept == {w * 100 + b for w in range(4) for b in range(10)} - set(failed)
    assert set(store.get_run(rid).data.params_dict) == {f"p{n}" for n in kept}
    assert _count(store, "metrics", rid) == len(kept)


def test_lazy_level_load_after_a_coarsening_refresh_stays_exact(store: TrackingStore) -> None:
    """A clean roll-up loads its levels lazily. On PostgreSQL (READ COMMITTED) a later statement of the
    same request can already see rows a concurrent write + refresh stored at a doubled width: those
    must not be read as buckets of the roll-up's own width."""
    from tracklog.store.sql import rollups
    from tracklog.store.sql.buckets import Bucket, aggregate, merge

    assert isinstance(store, SqlStore)
    store._rollups = RollupCache(min_steps=100, buckets=16)
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", float(i % 17), 1, i) for i in range(300)])
    store.get_metric_history_sampled([rid], "m", 20)
    state = store._db.read(rollups.states, [rid], "m")[rid]
    assert state.dirty_from is None and state.width == 32
    store.log_batch(rid, metrics=[metric("m", float(-(i % 13)), 2, i) for i in range(300, 1200)])
    store.get_metric_history_sampled([rid], "m", 20)  # refreshed: coarsened
    assert store._db.read(rollups.states, [rid], "m")[rid].width > 32
    stale = rollups.Rollup(state.width, state.seq)  # what the request read before the refresh

    def levels(conn: Connection) -> tuple[list[Bucket], list[Bucket], list[Bucket]]:
        base = aggregate(conn, [rid], "m", 32, None, None)[rid]
        return stale.level(conn, rid, "m", 1), stale.level(conn, rid, "m", rollups.COARSE), base

    got_base, got_coarse, base = store._db.read(levels)
    assert got_base == base
    assert got_coarse == merge(base, rollups.COARSE)


def test_bucket_bounds_keep_dbl_max_apart_from_infinity(store: TrackingStore) -> None:
    """Infinities are stored as +/-DBL_MAX with a value kind: a bucket holding both +inf and the finite
    DBL_MAX has min DBL_MAX (not inf); one holding -inf and -DBL_MAX has max -DBL_MAX."""
    big = 1.7976931348623157e308
    rid = new_run(store).info.run_id
    store.log_batch(
        rid,
        metrics=[
            metric("m", math.inf, 1, 0),
            metric("m", big, 1, 1),
            metric("m", -math.inf, 1, 2),
            metric("m", -big, 1, 3),
        ],
    )
    (series,) = store.get_metric_history_sampled([rid], "m", 2)
    assert series.bucket_width == 2
    (up, down) = series.points
    assert (up.min, up.max) == (big, math.inf)
    assert (down.min, down.max) == (-math.inf, -big)
