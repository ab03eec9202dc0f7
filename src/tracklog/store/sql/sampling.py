"""Bucketed metric histories for charts, computed by the database and cached as roll-ups.

Buckets are aligned to step 0: bucket ``i`` of width ``W`` holds steps ``[i*W, (i+1)*W)``, the
same for every run of a request, so grouped runs line up bucket by bucket and a zoomed view
re-uses the bucket edges of the full view. Each bucket carries its first/last step, point
count, NaN count, min/max over its non-NaN values (+/-inf kept: they are stored as +/-DBL_MAX
with a value kind, see ``rows.py``) and its last point. One ``GROUP BY run, bucket`` query
computes them; a second, index-only lookup reads each bucket's last point.

Scanning every point of a long run costs about 1 µs per point even on an index (SQLite, this
machine: 2 s for 20 runs x 100,000 points), so long runs (``ROLLUP_MIN_STEPS`` steps or more)
are aggregated once into at most ``ROLLUP_BUCKETS`` power-of-two-wide buckets, kept in a small
per-store LRU (``RollupCache``), and coarser requests merge those buckets (exactly: the
widths divide each other and share the alignment). A roll-up is dropped when this store logs
to the run, and is re-checked on every read against the run's ``latest_metrics`` row (last
point, min and max), which catches appends by other processes. Requests finer than the
roll-up (deep zooms) scan only their own range.
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, func, literal, select

from tracklog.exceptions import InvalidArgument
from tracklog.store.sampled import SAMPLED_MAX_POINTS, SAMPLED_MAX_RUNS, SampledPoint, SampledSeries
from tracklog.store.sql import schema as s
from tracklog.store.sql.db import Database, chunks
from tracklog.store.sql.rows import DBL_MAX, decode_value
from tracklog.store.sql.runs import run_row
from tracklog.store.sql.schema import ValueKind
from tracklog.validation import validate_key, validate_run_id

__all__ = ["ROLLUP_BUCKETS", "ROLLUP_MIN_STEPS", "RollupCache", "fit_width", "get_metric_history_sampled"]

#: Buckets of a cached roll-up (at most); its width is the smallest power of two that fits.
ROLLUP_BUCKETS = 4096
#: Runs spanning fewer steps are always aggregated directly (cheap enough, nothing cached).
ROLLUP_MIN_STEPS = 20_000
ROLLUP_CACHE_ENTRIES = 64
#: Roll-ups built at once (one connection each) when a request finds several missing.
ROLLUP_THREADS = max(2, min(8, os.cpu_count() or 2))


@dataclass(frozen=True, slots=True)
class Bucket:
    index: int  # bucket number: steps [index * width, (index + 1) * width)
    first_step: int
    last_step: int
    count: int
    nan_count: int
    min: float
    max: float
    timestamp: int  # of the last point
    value: float  # of the last point


@dataclass(frozen=True, slots=True)
class _Rollup:
    width: int
    fingerprint: tuple[Any, ...]
    buckets: tuple[Bucket, ...]
    #: The last few merged views, by (width, min_step, max_step): re-drawing a chart costs nothing.
    views: dict[tuple[int, int | None, int | None], list[Bucket]] = field(default_factory=dict)

    def view(self, conn: Connection, run_id: str, metric_key: str, width: int,
             lo: int | None, hi: int | None) -> list[Bucket]:
        key = (width, lo, hi)
        found = self.views.get(key)
        if found is None:
            found = _merge(_clip(conn, run_id, metric_key, self, lo, hi), width // self.width)
            if len(self.views) >= 4:
                self.views.pop(next(iter(self.views)))
            self.views[key] = found
        return found


class RollupCache:
    """A small thread-safe LRU of per-(run, key) roll-ups, owned by one store."""

    def __init__(self, entries: int = ROLLUP_CACHE_ENTRIES, *, min_steps: int = ROLLUP_MIN_STEPS,
                 buckets: int = ROLLUP_BUCKETS) -> None:
        self.min_steps = min_steps
        self.buckets = buckets
        self._entries = entries
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str], _Rollup] = OrderedDict()

    def get(self, run_id: str, key: str, fingerprint: tuple[Any, ...]) -> _Rollup | None:
        with self._lock:
            item = self._items.get((run_id, key))
            if item is None:
                return None
            if item.fingerprint != fingerprint:
                del self._items[(run_id, key)]
                return None
            self._items.move_to_end((run_id, key))
            return item

    def peek(self, run_id: str, key: str) -> _Rollup | None:
        with self._lock:
            return self._items.get((run_id, key))

    def put(self, run_id: str, key: str, rollup: _Rollup) -> None:
        with self._lock:
            self._items[(run_id, key)] = rollup
            self._items.move_to_end((run_id, key))
            while len(self._items) > self._entries:
                self._items.popitem(last=False)

    def forget(self, run_id: str) -> None:
        """Drop the run's roll-ups (called after this store logged to it)."""
        with self._lock:
            for k in [k for k in self._items if k[0] == run_id]:
                del self._items[k]


def check_sampled_args(
    run_ids: Sequence[str], metric_key: str, max_points: int, min_step: int | None, max_step: int | None
) -> None:
    if not run_ids:
        raise InvalidArgument("run_ids must contain at least one run ID")
    if len(run_ids) > SAMPLED_MAX_RUNS:
        raise InvalidArgument(f"At most {SAMPLED_MAX_RUNS} run IDs may be sampled at once; got {len(run_ids)}")
    for run_id in run_ids:
        validate_run_id(run_id)
    validate_key("metric", metric_key)
    if max_points < 1:
        raise InvalidArgument(f"max_points must be a positive integer; got {max_points}")
    if min_step is not None and max_step is not None and min_step > max_step:
        raise InvalidArgument(f"max_step ({max_step}) must be at least min_step ({min_step})")


def fit_width(lo: int, hi: int, max_points: int, unit: int = 1) -> int:
    """The smallest multiple of ``unit`` whose 0-aligned buckets cover [lo, hi] in at most max_points."""
    ideal = -((lo - hi - 1) // max_points)  # ceil(span / max_points)
    width = max(unit, -(-ideal // unit) * unit)
    while hi // width - lo // width + 1 > max_points:
        width += unit
    return width


def get_metric_history_sampled(
    conn: Connection,
    cache: RollupCache | None,
    run_ids: Sequence[str],
    metric_key: str,
    max_points: int,
    min_step: int | None,
    max_step: int | None,
) -> list[SampledSeries]:
    check_sampled_args(run_ids, metric_key, max_points, min_step, max_step)
    max_points = min(max_points, SAMPLED_MAX_POINTS)
    ids = list(dict.fromkeys(run_ids))
    for run_id in ids:
        run_row(conn, run_id)
    full = {run_id: _extent(conn, run_id, metric_key, None, None) for run_id in ids}
    scoped = {
        run_id: (_extent(conn, run_id, metric_key, min_step, max_step) if ext and (min_step, max_step) != (None, None)
                 else ext)
        for run_id, ext in full.items()
    }
    present = [e for e in scoped.values() if e is not None]
    if not present:
        return [SampledSeries(run_id, metric_key, (), 0, 1) for run_id in ids]
    lo, hi = min(e[0] for e in present), max(e[1] for e in present)
    ideal = fit_width(lo, hi, max_points)
    long_runs = {
        run_id: _rollup_width(ext, cache.buckets) for run_id, ext in full.items()
        if cache is not None and ext is not None and scoped[run_id] is not None
        and ext[1] - ext[0] + 1 >= cache.min_steps
    }
    unit = max(long_runs.values(), default=1)
    by_run: dict[str, list[Bucket]]
    if cache is not None and long_runs and ideal >= unit:
        width = fit_width(lo, hi, max_points, unit)
        short = [r for r in ids if r not in long_runs and scoped[r] is not None]
        by_run = _aggregate(conn, short, metric_key, width, min_step, max_step) if short else {}
        prints = _fingerprints(conn, list(long_runs), metric_key)
        for run_id, w0 in long_runs.items():
            rollup = cache.get(run_id, metric_key, prints.get(run_id, ()))
            if rollup is None or rollup.width != w0:
                built = _aggregate(conn, [run_id], metric_key, w0, None, None)[run_id]
                rollup = _Rollup(w0, prints.get(run_id, ()), tuple(built))
                cache.put(run_id, metric_key, rollup)
            by_run[run_id] = rollup.view(conn, run_id, metric_key, width, min_step, max_step)
    else:
        width = ideal
        by_run = _aggregate(conn, [r for r in ids if scoped[r] is not None], metric_key, width, min_step, max_step)
    out: list[SampledSeries] = []
    for run_id in ids:
        buckets = by_run.get(run_id, [])
        points = tuple(
            SampledPoint(step=b.last_step, timestamp=b.timestamp, value=b.value, min=b.min, max=b.max,
                         count=b.count, nan_count=b.nan_count, first_step=b.first_step)
            for b in buckets
        )
        out.append(SampledSeries(run_id, metric_key, points, sum(b.count for b in buckets), width))
    return out


def warm_rollups(db: Database, cache: RollupCache, run_ids: Sequence[str], metric_key: str,
                 max_points: int, threads: int = ROLLUP_THREADS) -> None:
    """Build the missing roll-ups of a request's long runs concurrently, one connection each.

    The request itself would build them one after another inside its read transaction; a
    database (and SQLite, which releases the GIL while it scans) runs these scans in parallel.
    Invalid arguments are left for the request to report."""
    try:
        check_sampled_args(run_ids, metric_key, max_points, None, None)
    except InvalidArgument:
        return
    ids = list(dict.fromkeys(run_ids))

    def plan(conn: Connection) -> list[tuple[str, int, tuple[Any, ...]]]:
        prints = _fingerprints(conn, ids, metric_key)
        todo = []
        for run_id in ids:
            cached = cache.peek(run_id, metric_key)
            if cached is not None and cached.fingerprint == prints.get(run_id, ()):
                continue
            ext = _extent(conn, run_id, metric_key, None, None)
            if ext is not None and ext[1] - ext[0] + 1 >= cache.min_steps:
                todo.append((run_id, _rollup_width(ext, cache.buckets), prints.get(run_id, ())))
        return todo

    todo = db.read(plan)
    if len(todo) < 2 or threads < 2:
        return  # nothing to overlap: the request builds it

    def build(item: tuple[str, int, tuple[Any, ...]]) -> None:
        run_id, width, fingerprint = item
        buckets = db.read(_aggregate, [run_id], metric_key, width, None, None)[run_id]
        cache.put(run_id, metric_key, _Rollup(width, fingerprint, tuple(buckets)))

    with ThreadPoolExecutor(max_workers=min(threads, len(todo)), thread_name_prefix="rollup") as pool:
        list(pool.map(build, todo))


def _rollup_width(extent: tuple[int, int], buckets: int) -> int:
    width = 1
    while extent[1] // width - extent[0] // width + 1 > buckets:
        width *= 2
    return width


def _scope(metric_key: str, lo: int | None, hi: int | None) -> list[ColumnElement[bool]]:
    m = s.metrics
    out: list[ColumnElement[bool]] = [m.c.key == metric_key]
    if lo is not None:
        out.append(m.c.step >= lo)
    if hi is not None:
        out.append(m.c.step <= hi)
    return out


def _extent(conn: Connection, run_id: str, metric_key: str, lo: int | None, hi: int | None) -> tuple[int, int] | None:
    """Smallest and largest step of the run's metric within [lo, hi] (two index seeks)."""
    m = s.metrics
    base = select(m.c.step).where(m.c.run_uuid == run_id, *_scope(metric_key, lo, hi))
    first = conn.execute(base.order_by(m.c.step).limit(1)).scalar()
    if first is None:
        return None
    last = conn.execute(base.order_by(m.c.step.desc()).limit(1)).scalar()
    return int(first), int(last if last is not None else first)


def _fingerprints(conn: Connection, run_ids: list[str], metric_key: str) -> dict[str, tuple[Any, ...]]:
    lm = s.latest_metrics
    rows = conn.execute(
        select(lm.c.run_uuid, lm.c.step, lm.c.timestamp, lm.c.value_kind, lm.c.value, lm.c.min_value,
               lm.c.max_value)
        .where(lm.c.run_uuid.in_(run_ids), lm.c.key == metric_key)
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def _clip(conn: Connection, run_id: str, metric_key: str, rollup: _Rollup,
          lo: int | None, hi: int | None) -> list[Bucket]:
    """The roll-up's buckets inside [lo, hi]; the (at most two) buckets cut by an edge are re-read."""
    w = rollup.width
    inner = [
        b for b in rollup.buckets
        if (lo is None or b.index * w >= lo) and (hi is None or (b.index + 1) * w - 1 <= hi)
    ]
    edges: list[tuple[int, int]] = []
    if lo is not None and lo % w:
        edges.append((lo, lo // w * w + w - 1 if hi is None else min(hi, lo // w * w + w - 1)))
    if hi is not None and (hi + 1) % w:
        start = max(hi // w * w, lo if lo is not None else hi // w * w)
        if not edges or start > edges[0][1]:
            edges.append((start, hi))
    for a, b in edges:
        inner += _aggregate(conn, [run_id], metric_key, w, a, b).get(run_id, [])
    return sorted(inner, key=lambda b: b.index)


def _merge(buckets: Sequence[Bucket], factor: int) -> list[Bucket]:
    """Merge consecutive buckets ``factor`` at a time (their indexes divided by factor)."""
    if factor == 1:
        return list(buckets)
    out: list[Bucket] = []
    i, n = 0, len(buckets)
    while i < n:
        index = buckets[i].index // factor
        j = i + 1
        while j < n and buckets[j].index // factor == index:
            j += 1
        group = buckets[i:j]
        last = group[-1]
        mins = [b.min for b in group if b.min == b.min]  # NaN != NaN
        maxs = [b.max for b in group if b.max == b.max]
        out.append(Bucket(index, group[0].first_step, last.last_step, sum(b.count for b in group),
                          sum(b.nan_count for b in group), min(mins) if mins else math.nan,
                          max(maxs) if maxs else math.nan, last.timestamp, last.value))
        i = j
    return out


def _aggregate(conn: Connection, run_ids: list[str], metric_key: str, width: int,
               lo: int | None, hi: int | None) -> dict[str, list[Bucket]]:
    """0-aligned buckets of ``width`` steps per run within [lo, hi], in step order."""
    out: dict[str, list[Bucket]] = {run_id: [] for run_id in run_ids}
    if not run_ids:
        return out
    m = s.metrics
    scope = _scope(metric_key, lo, hi)
    # The bucket expression must see non-negative operands (SQLite and MySQL truncate toward zero).
    first = conn.execute(select(func.min(m.c.step)).where(m.c.run_uuid.in_(run_ids), *scope)).scalar()
    if first is None:
        return out
    origin = int(first) // width * width
    bucket = ((m.c.step - literal(origin)) // literal(width)).label("bucket")
    not_nan = m.c.value_kind != int(ValueKind.NAN)
    query = (
        select(
            m.c.run_uuid,
            bucket,
            func.min(m.c.step),
            func.max(m.c.step),
            func.count(),
            func.sum(case((m.c.value_kind == int(ValueKind.NAN), 1), else_=0)),
            func.min(case((not_nan, m.c.value))),
            func.max(case((not_nan, m.c.value))),
            func.max(case((m.c.value_kind == int(ValueKind.POS_INF), 1), else_=0)),
            func.max(case((m.c.value_kind == int(ValueKind.NEG_INF), 1), else_=0)),
        )
        .where(m.c.run_uuid.in_(run_ids), *scope)
        .group_by(m.c.run_uuid, bucket)
    )
    raw: dict[str, list[tuple[int, int, int, int, int, float, float]]] = {run_id: [] for run_id in run_ids}
    for run_id, b, fst, lst, count, nans, vmin, vmax, pos_inf, neg_inf in conn.execute(query):
        raw[run_id].append((
            int(b) + origin // width, int(fst), int(lst), int(count), int(nans or 0),
            _bound(vmin, bool(pos_inf), bool(neg_inf)), _bound(vmax, bool(pos_inf), bool(neg_inf)),
        ))
    for run_id, rows in raw.items():
        rows.sort()
        lasts = _last_points(conn, run_id, metric_key, [r[2] for r in rows])
        out[run_id] = [Bucket(i, fst, lst, c, n, vmin, vmax, *lasts[lst]) for i, fst, lst, c, n, vmin, vmax in rows]
    return out


def _bound(stored: float | None, pos_inf: bool, neg_inf: bool) -> float:
    """A bucket's min or max back from its stored double (+/-DBL_MAX may stand for +/-inf)."""
    if stored is None:
        return math.nan
    value = float(stored)
    if pos_inf and value >= DBL_MAX:
        return math.inf
    if neg_inf and value <= -DBL_MAX:
        return -math.inf
    return value


def _last_points(conn: Connection, run_id: str, key: str, steps: list[int]) -> dict[int, tuple[int, float]]:
    """(timestamp, value) of the last point (highest timestamp, then value order) at each step."""
    m = s.metrics
    out: dict[int, tuple[int, float]] = {}
    for part in chunks(steps, 1000):
        rows = conn.execute(
            select(m.c.step, m.c.timestamp, m.c.value_kind, m.c.value)
            .where(m.c.run_uuid == run_id, m.c.key == key, m.c.step.in_(part))
            .order_by(m.c.step, m.c.timestamp, m.c.value_kind, m.c.value)
        )
        for step, timestamp, kind, value in rows:
            out[int(step)] = (int(timestamp), decode_value(kind, value))
    return out
