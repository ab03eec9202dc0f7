"""get_metric_history_sampled: bucketed histories that keep last/min/max, NaN and +/-inf."""

from __future__ import annotations

import math

import pytest
from tests.contract.contract_helpers import metric, new_experiment, new_run

from tracklog.entities import Metric
from tracklog.exceptions import InvalidArgument, NotFound
from tracklog.store.base import TrackingStore
from tracklog.store.sampled import SAMPLED_MAX_POINTS, SampledPoint, SampledSeries
from tracklog.store.sql import rollups
from tracklog.store.sql.rollups import RollupCache
from tracklog.store.sql.sampling import get_metric_history_sampled
from tracklog.store.sql.store import SqlStore


def test_small_history_is_exact(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", float(i) * 2, 100 + i, i) for i in range(5)])
    (series,) = store.get_metric_history_sampled([rid], "m", max_points=10)
    assert series.run_id == rid and series.key == "m" and series.total == 5 and series.exact
    assert [(p.step, p.timestamp, p.value, p.min, p.max, p.count) for p in series.points] == [
        (i, 100 + i, i * 2.0, i * 2.0, i * 2.0, 1) for i in range(5)
    ]


def test_buckets_keep_spikes_and_last_values(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    values = [1.0] * 1000
    values[437] = 1e6  # a spike that even sampling 1 step in 100 would miss
    values[612] = -5.0
    store.log_batch(rid, metrics=[metric("loss", v, i, i) for i, v in enumerate(values)])
    (series,) = store.get_metric_history_sampled([rid], "loss", max_points=10)
    assert len(series.points) == 10 and series.bucket_width == 100 and series.total == 1000
    assert [p.step for p in series.points] == [99 + 100 * k for k in range(10)]
    assert [p.first_step for p in series.points] == [100 * k for k in range(10)]
    assert max(p.max for p in series.points) == 1e6
    assert series.points[4].max == 1e6 and series.points[4].value == 1.0
    assert series.points[6].min == -5.0
    assert all(p.count == 100 for p in series.points) and not series.exact


def test_nan_and_infinities_stay_visible(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    pts = [metric("m", 0.5, i, i) for i in range(40)]
    pts[3] = metric("m", math.nan, 3, 3)
    pts[15] = metric("m", math.inf, 15, 15)
    pts[25] = metric("m", -math.inf, 25, 25)
    pts[39] = metric("m", math.nan, 39, 39)
    store.log_batch(rid, metrics=pts)
    (series,) = store.get_metric_history_sampled([rid], "m", max_points=4)
    b = series.points
    assert [p.count for p in b] == [10, 10, 10, 10]
    assert b[0].nan_count == 1 and b[0].value == 0.5 and b[0].min == 0.5
    assert b[1].max == math.inf and b[1].min == 0.5
    assert b[2].min == -math.inf and b[2].max == 0.5
    assert b[3].nan_count == 1 and math.isnan(b[3].value) and b[3].max == 0.5


def test_all_nan_bucket_has_nan_bounds(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", math.nan, 1, 0), metric("m", math.nan, 2, 1)])
    (series,) = store.get_metric_history_sampled([rid], "m", max_points=1)
    (p,) = series.points
    assert p.count == 2 and p.nan_count == 2 and math.isnan(p.min) and math.isnan(p.max)


def test_runs_share_buckets_and_keep_request_order(store: TrackingStore) -> None:
    eid = new_experiment(store)
    a = new_run(store, eid).info.run_id
    b = new_run(store, eid).info.run_id
    c = new_run(store, eid).info.run_id
    store.log_batch(a, metrics=[metric("m", float(i), 1, i) for i in range(100)])
    store.log_batch(b, metrics=[metric("m", float(-i), 1, i) for i in range(50, 200)])
    got = store.get_metric_history_sampled([b, c, a, b], "m", max_points=20)
    assert [s.run_id for s in got] == [b, c, a]
    sb, sc, sa = got
    assert sa.bucket_width == sb.bucket_width == 10  # steps 0..199 in 20 buckets
    assert sc.points == () and sc.total == 0
    assert [p.step for p in sa.points] == [9 + 10 * k for k in range(10)]
    assert [p.step for p in sb.points] == [59 + 10 * k for k in range(14)] + [199]
    assert sb.total == 150 and sa.total == 100


def test_step_range_zooms_in(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", float(i), 1, i) for i in range(1000)])
    (series,) = store.get_metric_history_sampled([rid], "m", max_points=50, min_step=100, max_step=149)
    assert series.exact and [p.step for p in series.points] == list(range(100, 150))
    (series,) = store.get_metric_history_sampled([rid], "m", max_points=50, min_step=990)
    assert [p.step for p in series.points] == list(range(990, 1000))
    (series,) = store.get_metric_history_sampled([rid], "m", max_points=50, min_step=5000, max_step=6000)
    assert series.points == () and series.total == 0


def test_same_step_twice_last_timestamp_wins(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", 7.0, 20, 3), metric("m", 9.0, 10, 3), metric("m", 1.0, 5, 1)])
    (series,) = store.get_metric_history_sampled([rid], "m", max_points=100)
    assert [(p.step, p.value, p.min, p.max, p.count) for p in series.points] == [
        (1, 1.0, 1.0, 1.0, 1), (3, 7.0, 7.0, 9.0, 2)]


def test_huge_max_points_is_capped(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    n = SAMPLED_MAX_POINTS * 2
    store.log_batch(rid, metrics=[metric("m", float(i), 1, i) for i in range(1000)])
    store.log_batch(rid, metrics=[metric("m", 1.0, 1, n - 1)])
    (series,) = store.get_metric_history_sampled([rid], "m", max_points=10**9)
    assert series.bucket_width == 2 and len(series.points) <= SAMPLED_MAX_POINTS
    assert series.total == 1001


def test_errors(store: TrackingStore) -> None:
    rid = new_run(store).info.run_id
    with pytest.raises(NotFound):
        store.get_metric_history_sampled(["a" * 32], "m", max_points=10)
    with pytest.raises(InvalidArgument):
        store.get_metric_history_sampled([], "m", max_points=10)
    with pytest.raises(InvalidArgument):
        store.get_metric_history_sampled([rid], "m", max_points=0)
    with pytest.raises(InvalidArgument):
        store.get_metric_history_sampled([rid], "m", max_points=10, min_step=5, max_step=4)
    with pytest.raises(InvalidArgument):
        store.get_metric_history_sampled([rid] * 101, "m", max_points=10)


def _view(series: list[SampledSeries]) -> list[tuple[str, int, int, list[tuple[object, ...]]]]:
    def num(v: float) -> object:
        return "nan" if math.isnan(v) else v
    return [(s.run_id, s.total, s.bucket_width,
             [(p.first_step, p.step, p.timestamp, num(p.value), num(p.min), num(p.max), p.count, p.nan_count)
              for p in s.points]) for s in series]


def _reference(store: TrackingStore, ids: list[str], width: int, lo: int | None,
               hi: int | None) -> list[SampledSeries]:
    """Buckets computed in Python from the full history."""
    out = []
    for rid in ids:
        pts = [m for m in store.get_metric_history(rid, "m")
               if (lo is None or m.step >= lo) and (hi is None or m.step <= hi)]
        groups: dict[int, list[Metric]] = {}
        for m in pts:
            groups.setdefault(m.step // width, []).append(m)
        points = []
        for _, g in sorted(groups.items()):
            ok = [m.value for m in g if not math.isnan(m.value)]
            points.append(SampledPoint(step=g[-1].step, timestamp=g[-1].timestamp, value=g[-1].value,
                                       min=min(ok) if ok else math.nan, max=max(ok) if ok else math.nan,
                                       count=len(g), nan_count=len(g) - len(ok), first_step=g[0].step))
        out.append(SampledSeries(rid, "m", tuple(points), len(pts), width))
    return out


def _small_rollups(store: TrackingStore) -> SqlStore:
    assert isinstance(store, SqlStore)
    store._rollups = RollupCache(min_steps=100, buckets=16)
    return store


def _fresh(store: SqlStore) -> SqlStore:
    """Another store on the same database (another process, as far as the memory cache knows)."""
    other = SqlStore(store.db_uri, store.default_artifact_root)
    other._rollups = RollupCache(min_steps=100, buckets=16)
    return other


def _check(store: SqlStore, ids: list[str], cases: list[tuple[int, int | None, int | None]]) -> None:
    for max_points, lo, hi in cases:
        cached = store.get_metric_history_sampled(ids, "m", max_points, lo, hi)
        again = store.get_metric_history_sampled(ids, "m", max_points, lo, hi)
        direct = store._db.read(get_metric_history_sampled, None, ids, "m", max_points, lo, hi)
        assert _view(cached) == _view(again)
        for got in (cached, direct):
            assert _view(got) == _view(_reference(store, ids, got[0].bucket_width, lo, hi)), (max_points, lo, hi)
            assert all(len(s.points) <= max_points for s in got)


CASES = [(20, None, None), (7, None, None), (40, None, None), (20, 33, 541), (10, -10, 100), (3, 181, 182),
         (1000, None, None), (15, 100, None), (15, None, 100), (4, None, None), (2, None, None)]


def test_rollups_answer_like_a_full_scan(store: TrackingStore) -> None:
    """Long runs are served from stored roll-ups; every view must equal the direct aggregate."""
    store = _small_rollups(store)
    eid = new_experiment(store)
    long_a = new_run(store, eid).info.run_id
    long_b = new_run(store, eid).info.run_id
    short = new_run(store, eid).info.run_id
    pts = [metric("m", math.sin(i / 7) * 10, 1000 + i, i) for i in range(0, 600, 2)]
    pts[40] = metric("m", math.nan, 1080, 80)
    pts[90] = metric("m", math.inf, 1180, 180)
    pts[91] = metric("m", 1e9, 1182, 182)
    store.log_batch(long_a, metrics=pts)
    store.log_batch(long_b, metrics=[metric("m", float(-i), 5, i) for i in range(-50, 900, 3)])
    store.log_batch(short, metrics=[metric("m", 1.0, 1, 33), metric("m", 2.0, 2, 95)])
    ids = [long_a, short, long_b]
    _check(store, ids, CASES)
    assert len(store._rollups) == 2
    # Persisted: a new process answers from the stored buckets (the same answers); whole-range views
    # whose width is a multiple of 4 roll-up buckets read the coarse level.
    fresh = _fresh(store)
    _check(fresh, ids, CASES)
    _check(fresh, [long_a], [(3, None, None), (5, None, None), (2, None, None)])  # widths 4, 2, 5 x 64
    assert any(rollups.COARSE in r.levels for r in fresh._rollups._items.values())
    # Logging a late point marks the roll-up dirty; the next answer (any process) sees it.
    store.log_batch(long_a, metrics=[metric("m", -1e12, 5000, 301)])
    (series,) = store.get_metric_history_sampled([long_a], "m", 20)
    assert min(p.min for p in series.points) == -1e12
    _check(_fresh(store), ids, CASES[:4])


@pytest.mark.parametrize("chunk", [256, 3])
def test_rollups_follow_other_writers_and_late_points(store: TrackingStore, chunk: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A running run: appends, a late point in the middle and a duplicate, written by another process.
    chunk=3: stored rows of 3 buckets, so only the chunks from the dirty one on are rewritten."""
    monkeypatch.setattr(rollups, "ROLLUP_CHUNK", chunk)
    store = _small_rollups(store)
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", float(i), 1, i) for i in range(300)])
    store.get_metric_history_sampled([rid], "m", 10)
    other = _fresh(store)
    other.log_batch(rid, metrics=[metric("m", 5.0, 2, 400)])
    (series,) = store.get_metric_history_sampled([rid], "m", 10)
    assert series.points[-1].step == 400 and series.total == 301
    other.log_batch(rid, metrics=[metric("m", 1e6, 3, 17), metric("m", 0.0, 1, 0)])  # late + duplicate
    (series,) = store.get_metric_history_sampled([rid], "m", 10)
    assert series.total == 302 and max(p.max for p in series.points) == 1e6
    _check(store, [rid], CASES)
    # Growing far past the roll-up's buckets coarsens it (from the stored buckets, no rescan).
    for start in (400, 1200):
        other.log_batch(rid, metrics=[metric("m", float(i % 7), 4, i) for i in range(start, start + 800)])
    _check(store, [rid], CASES)
    _check(_fresh(store), [rid], CASES)


def test_rollup_state_is_written_with_the_points(store: TrackingStore) -> None:
    """The write hook only touches keys that have a roll-up; dirty_from is the lowest step written."""
    from sqlalchemy import select

    from tracklog.store.sql import schema

    store = _small_rollups(store)
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", 1.0, 1, i) for i in range(200)] + [metric("other", 1.0, 1, 0)])
    store.get_metric_history_sampled([rid], "m", 10)
    st = schema.metric_rollup_state

    def state() -> list[tuple[object, ...]]:
        with store._db.reading() as conn:
            return [tuple(r) for r in conn.execute(select(st.c.key, st.c.width, st.c.seq, st.c.dirty_from)
                                                    .where(st.c.run_uuid == rid))]

    assert state() == [("m", 16, 0, None)]
    store.log_batch(rid, metrics=[metric("m", 2.0, 2, 150), metric("m", 2.0, 2, 90), metric("other", 2.0, 2, 5)])
    assert state() == [("m", 16, 1, 90)]
    store.get_metric_history_sampled([rid], "m", 10)
    assert state() == [("m", 16, 1, None)]


def test_keeper_builds_rollups_while_a_run_grows(store: TrackingStore) -> None:
    """Writes that reach a multiple of refresh_steps bring the roll-up up to date in the background:
    the first chart view reads stored buckets, nothing dirty is left to scan."""
    from sqlalchemy import select

    from tracklog.store.sql import schema

    store = _small_rollups(store)
    store._rollup_keeper = rollups.RollupKeeper(store._db, store._rollups, refresh_steps=100)
    rid = new_run(store).info.run_id
    for start in range(0, 301, 50):
        store.log_batch(rid, metrics=[metric("m", math.cos(i), 7, i) for i in range(start, min(start + 50, 301))])
    store._rollup_keeper.close()  # waits for the background refreshes
    st = schema.metric_rollup_state
    with store._db.reading() as conn:
        (dirty,) = conn.execute(select(st.c.dirty_from).where(st.c.run_uuid == rid, st.c.key == "m")).one()
    assert dirty is None
    _check(_fresh(store), [rid], CASES)


def test_rollups_stay_exact_under_concurrent_writes(store: TrackingStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer logs out-of-order batches while two readers (separate stores: separate memory) chart
    the run; whatever interleaving happened, the final answers equal the full-history reference."""
    import random
    import threading

    monkeypatch.setattr(rollups, "ROLLUP_CHUNK", 3)
    store = _small_rollups(store)
    rid = new_run(store).info.run_id
    store.log_batch(rid, metrics=[metric("m", float(i), 1, i) for i in range(0, 400, 2)])
    readers = [_fresh(store), _fresh(store)]
    rnd = random.Random(5)
    done = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for n in range(30):
                steps = rnd.sample(range(0, 1200), 15)
                store.log_batch(rid, metrics=[metric("m", rnd.uniform(-9, 9), 10 + n, s) for s in steps])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            done.set()

    def read(reader: SqlStore) -> None:
        try:
            while not done.is_set():
                reader.get_metric_history_sampled([rid], "m", 10)
                reader.get_metric_history_sampled([rid], "m", 40, 100, 700)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read, args=(r,)) for r in readers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    for reader in [*readers, _fresh(store)]:
        _check(reader, [rid], CASES)
