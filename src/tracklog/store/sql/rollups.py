"""Persisted chart roll-ups of long metric histories, kept valid by a write counter.

Scanning every point costs about 1 µs per point even on the covering index (SQLite: 2 s for
20 runs x 100,000 points), so a (run, key) spanning ``ROLLUP_MIN_STEPS`` steps or more gets a
roll-up: its buckets at a power-of-two width (at most ``ROLLUP_BUCKETS`` of them when built) are
stored in ``metric_rollups`` (packed, 256 buckets per row), together with a coarser level (the same
merged 4 at a time) that whole-range charts read; other requests merge the base buckets exactly
(``buckets.merge``).

Validity, for any writer in any process, out-of-order and late points included:

* ``metric_rollup_state`` holds per (run, key) the width, ``seq`` and ``dirty_from``. Every metric
  write to the key bumps ``seq`` and lowers ``dirty_from`` to the batch's smallest step
  (``mark_dirty``, called by ``log_batch`` in the same transaction as the points).
* A reader recomputes only the buckets from ``dirty_from`` on (a running run: the tail; a late
  point: from its bucket), merges them with the stored ones and persists the result with a
  compare-and-set: the buckets are written, and ``dirty_from`` cleared, only if ``seq`` has not
  moved since the reader's snapshot (checked on the locked state row). A write that raced the
  reader leaves ``dirty_from`` set, so the next reader recomputes it.
* A state row is created while holding the run's ``latest_metrics`` row lock (which every metric
  writer takes first): writers that committed before are in the reader's scan, later ones see the
  state row and mark it dirty. On SQLite writers are serialized anyway.
* Each process keeps recent roll-ups in memory (``RollupCache``), valid while ``seq`` is unchanged.
* ``RollupKeeper`` refreshes the roll-up of a growing run in the background every
  ``ROLLUP_REFRESH_STEPS`` steps, so chart views rarely find much to recompute.

A run that grows past twice ``ROLLUP_BUCKETS`` buckets is coarsened (width doubled until it fits)
from its stored buckets, without a scan.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, insert, select, update

from tracklog.entities import Metric
from tracklog.store.sql import driver
from tracklog.store.sql import schema as s
from tracklog.store.sql.buckets import Bucket, aggregate, merge
from tracklog.store.sql.db import Database, chunks
from tracklog.store.sql.dialect import insert_ignore

__all__ = ["ROLLUP_BUCKETS", "ROLLUP_MIN_STEPS", "Rollup", "RollupCache", "RollupKeeper", "State", "mark_dirty",
           "states", "sync"]

#: Buckets of a roll-up when built (at most); its width is the smallest power of two that fits.
ROLLUP_BUCKETS = 4096
#: Runs spanning fewer steps are always aggregated directly (cheap enough, nothing stored).
ROLLUP_MIN_STEPS = 20_000
ROLLUP_CACHE_ENTRIES = 64
#: The keeper brings a key's roll-up up to date each time a write reaches a multiple of this step.
ROLLUP_REFRESH_STEPS = 10_000
#: Roll-ups computed at once (one connection each) when a request finds several out of date.
ROLLUP_THREADS = max(2, min(8, os.cpu_count() or 2))
_logger = logging.getLogger("tracklog.store.sql")
#: ``dirty_from`` of a state whose buckets were never built (lower than any step).
NEVER = -(2**63)
#: Buckets per stored row, and their packing (the ``Bucket`` fields in order; doubles keep NaN/inf).
ROLLUP_CHUNK = 256
RECORD = struct.Struct("<qqqqqddqd")
#: Stored levels: the base buckets (level 0, for zooms) and the same merged 4 at a time (level 2,
#: <= 1,024 buckets when built: what a whole-range chart of ~1,000 points reads, with no merging).
COARSE_LEVEL = 2
COARSE = 2**COARSE_LEVEL


@dataclass(frozen=True, slots=True)
class State:
    width: int
    seq: int
    dirty_from: int | None


@dataclass(frozen=True, slots=True)
class Rollup:
    """A roll-up as of write counter ``seq``: its levels by merge factor (1: the base buckets of
    ``width`` steps, ``COARSE``: merged 4 at a time). A roll-up read from a clean state loads each
    level from the stored rows when a view first needs it (the rows are those of ``seq``: any
    write would have moved it); one computed from a dirty state holds both levels."""

    width: int
    seq: int
    #: Packed records (``RECORD``) in bucket order: 72 bytes a bucket, not a few hundred as objects.
    levels: dict[int, bytes] = field(default_factory=dict)
    #: The last merged views, by (width, min_step, max_step): re-drawing a chart costs nothing.
    views: dict[tuple[int, int | None, int | None], list[Bucket]] = field(default_factory=dict)

    def level(self, conn: Connection, run_id: str, metric_key: str, factor: int) -> list[Bucket]:
        found = self.levels.get(factor)
        if found is None:
            level = 0 if factor == 1 else COARSE_LEVEL
            found, width = _stored_level(conn, run_id, metric_key, level)
            if width not in (None, self.width):
                # A write and a refresh that coarsened the roll-up committed since its state was read (a
                # later statement sees them on PostgreSQL, READ COMMITTED): these rows are of another
                # width. This roll-up's buckets from the points instead.
                base = aggregate(conn, [run_id], metric_key, self.width, None, None)[run_id]
                found = pack(base if factor == 1 else merge(base, COARSE))
            self.levels[factor] = found
        return unpack(found)

    def view(self, conn: Connection, run_id: str, metric_key: str, width: int,
             lo: int | None, hi: int | None) -> list[Bucket]:
        """The buckets of ``width`` (a multiple of the roll-up's) within [lo, hi]."""
        key = (width, lo, hi)
        found = self.views.get(key)
        if found is None:
            factor = width // self.width
            if lo is None and hi is None and factor % COARSE == 0:
                found = merge(self.level(conn, run_id, metric_key, COARSE), factor // COARSE)
            else:
                base = self.level(conn, run_id, metric_key, 1)
                found = merge(_clip(conn, run_id, metric_key, self.width, base, lo, hi), factor)
            if len(self.views) >= 2:
                with contextlib.suppress(RuntimeError, StopIteration):  # shared by request threads: a racing
                    self.views.pop(next(iter(self.views)), None)  # eviction is harmless
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
        self._items: OrderedDict[tuple[str, str], Rollup] = OrderedDict()

    def get(self, run_id: str, key: str, seq: int) -> Rollup | None:
        with self._lock:
            item = self._items.get((run_id, key))
            if item is None or item.seq != seq:
                return None
            self._items.move_to_end((run_id, key))
            return item

    def put(self, run_id: str, key: str, rollup: Rollup) -> None:
        with self._lock:
            old = self._items.get((run_id, key))
            if old is not None and old.seq > rollup.seq:
                return  # a newer snapshot is already here
            self._items[(run_id, key)] = rollup
            self._items.move_to_end((run_id, key))
            while len(self._items) > self._entries:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class RollupKeeper:
    """Keeps the roll-ups of growing runs current in the background, so that no chart view
    (the first one included) scans a long history: after a write that reaches a multiple of
    ``refresh_steps`` (at ``min_steps`` or beyond), ``sync`` runs for that (run, key) on one
    background thread. Each time it reads only the steps written since the previous time."""

    def __init__(self, db: Database, cache: RollupCache, refresh_steps: int = ROLLUP_REFRESH_STEPS) -> None:
        self._db = db
        self._cache = cache
        self._every = refresh_steps
        self._lock = threading.Lock()
        self._pending: set[tuple[str, str]] = set()
        self._pool: ThreadPoolExecutor | None = None

    def after_write(self, run_id: str, metrics: Sequence[Metric]) -> None:
        if not metrics:
            return
        every, floor = self._every, self._cache.min_steps
        # Every key's step span lies inside the batch's: if no key of the batch could be due by the
        # batch's span (the usual batch), none is, and the per-key spans are not worth computing.
        steps = [m.step for m in metrics]
        hi = max(steps)
        if hi < floor or hi // every * every < min(steps):
            return
        span: dict[str, tuple[int, int]] = {}
        for m in metrics:
            lo, hi = span.get(m.key, (m.step, m.step))
            span[m.key] = (min(lo, m.step), max(hi, m.step))
        due = [key for key, (lo, hi) in span.items() if hi >= floor and hi // every * every >= lo]
        for key in due:
            with self._lock:
                if (run_id, key) in self._pending:
                    continue
                self._pending.add((run_id, key))
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rollup-keeper")
                self._pool.submit(self._run, run_id, key)

    def _run(self, run_id: str, key: str) -> None:
        with self._lock:
            self._pending.discard((run_id, key))
        try:
            sync(self._db, self._cache, [run_id], key, threads=1, remember=False)
        except Exception:  # noqa: BLE001 - a background refresh must never break writes; readers redo it
            _logger.warning("background roll-up refresh of %s/%s failed", run_id, key, exc_info=True)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)  # finishes the queued refreshes (one per (run, key) at most)


# -- the write hook ----------------------------------------------------------------------------


def mark_dirty(conn: Connection, run_id: str, metrics: Sequence[Metric]) -> None:
    """Called by ``log_batch`` after its points are written (same transaction): bump the roll-up
    state of the batch's keys, if they have one (one UPDATE by primary key per key; a no-op for
    keys without a roll-up). Constant SQL text run by the driver (``driver.run``): through a Core
    or ``text()`` statement, SQLAlchemy's per-execution work cost more than the UPDATEs (100 keys:
    0.19 -> 0.07 ms on SQLite)."""
    if not metrics:
        return
    lows: dict[str, int] = {}
    for m in metrics:
        low = lows.get(m.key)
        if low is None or m.step < low:
            lows[m.key] = m.step
    params = [{"run": run_id, "key": key, "lo": lows[key]} for key in sorted(lows)]
    driver.run(conn, _MARK, params if len(params) > 1 else params[0])


_MARK = (
    "UPDATE metric_rollup_state SET seq = seq + 1, dirty_from = CASE WHEN dirty_from IS NULL "
    'OR dirty_from > :lo THEN :lo ELSE dirty_from END WHERE run_uuid = :run AND "key" = :key'
)


# -- reading -----------------------------------------------------------------------------------


def states(conn: Connection, run_ids: Sequence[str], metric_key: str) -> dict[str, State]:
    st = s.metric_rollup_state
    out: dict[str, State] = {}
    for part in chunks(list(run_ids), 500):
        rows = conn.execute(select(st.c.run_uuid, st.c.width, st.c.seq, st.c.dirty_from)
                            .where(st.c.run_uuid.in_(part), st.c.key == metric_key))
        for run_id, width, seq, dirty in rows:
            out[run_id] = State(int(width), int(seq), None if dirty is None else int(dirty))
    return out


def current(conn: Connection, cache: RollupCache, run_id: str, metric_key: str, state: State) -> Rollup:
    """The run's roll-up as of this transaction's ``state``: from memory, else stored rows plus
    the buckets from ``dirty_from`` on recomputed (nothing is written here)."""
    found = cache.get(run_id, metric_key, state.seq)
    if found is not None:
        return found
    rollup, _ = _compute(conn, run_id, metric_key, state, cache.buckets)
    cache.put(run_id, metric_key, rollup)
    return rollup


def _compute(conn: Connection, run_id: str, metric_key: str, state: State,
             max_buckets: int) -> tuple[Rollup, int | None]:
    """(roll-up, first base chunk that differs from the stored rows; None: rewrite all)."""
    width, dirty = state.width, state.dirty_from
    if dirty is None:
        return Rollup(width, state.seq), 0  # levels load lazily from the stored rows
    # Recompute whole chunks: from the one holding dirty_from's bucket.
    start = None if dirty == NEVER else dirty // width // ROLLUP_CHUNK
    kept = [] if start is None else _stored(conn, run_id, metric_key, 0, start)
    if start is not None and _stored_width(conn, run_id, metric_key) != width:
        # Another refresh from the same state coarsened the stored rows meanwhile (``state`` may come
        # from an earlier transaction; READ COMMITTED reads each statement afresh): ``kept`` is of
        # another width. Rebuild from the points instead of mixing widths.
        start, kept = None, []
    lo = None if start is None else start * ROLLUP_CHUNK * width
    fresh = aggregate(conn, [run_id], metric_key, width, lo, None)[run_id]
    buckets = kept + fresh
    changed_from: int | None = start
    if buckets and buckets[-1].index - buckets[0].index + 1 > 2 * max_buckets:
        factor = 1
        while buckets[-1].index // factor - buckets[0].index // factor + 1 > max_buckets:
            factor *= 2
        buckets, width, changed_from = merge(buckets, factor), width * factor, None
    return Rollup(width, state.seq, {1: pack(buckets), COARSE: pack(merge(buckets, COARSE))}), changed_from


def _stored_width(conn: Connection, run_id: str, metric_key: str) -> int | None:
    st = s.metric_rollup_state
    width = conn.execute(select(st.c.width).where(st.c.run_uuid == run_id, st.c.key == metric_key)).scalar()
    return None if width is None else int(width)


def _stored_level(conn: Connection, run_id: str, metric_key: str, level: int) -> tuple[bytes, int | None]:
    """A level's stored rows, and the state's width read by the same statement (None: no rows)."""
    r, st = s.metric_rollups, s.metric_rollup_state
    query = (select(r.c.data, st.c.width)
             .join(st, (st.c.run_uuid == r.c.run_uuid) & (st.c.key == r.c.key))
             .where(r.c.run_uuid == run_id, r.c.key == metric_key, r.c.level == level).order_by(r.c.chunk))
    rows = conn.execute(query).all()
    return b"".join(bytes(data) for data, _ in rows), (int(rows[0][1]) if rows else None)


def _stored_bytes(conn: Connection, run_id: str, metric_key: str, level: int, below_chunk: int | None) -> bytes:
    r = s.metric_rollups
    query = (select(r.c.data).where(r.c.run_uuid == run_id, r.c.key == metric_key, r.c.level == level)
             .order_by(r.c.chunk))
    if below_chunk is not None:
        query = query.where(r.c.chunk < below_chunk)
    return b"".join(bytes(data) for (data,) in conn.execute(query).all())


def _stored(conn: Connection, run_id: str, metric_key: str, level: int, below_chunk: int | None) -> list[Bucket]:
    return unpack(_stored_bytes(conn, run_id, metric_key, level, below_chunk))


def pack(buckets: Sequence[Bucket]) -> bytes:
    return b"".join(RECORD.pack(*_fields(b)) for b in buckets)


def unpack(data: bytes) -> list[Bucket]:
    make = Bucket
    return [make(*rec) for rec in RECORD.iter_unpack(data)]


def _clip(conn: Connection, run_id: str, metric_key: str, w: int, buckets: list[Bucket],
          lo: int | None, hi: int | None) -> list[Bucket]:
    """The base buckets (width ``w``) inside [lo, hi]; the (at most two) buckets cut by an edge are re-read."""
    if lo is None and hi is None:
        return list(buckets)
    inner = [
        b for b in buckets
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
        inner += aggregate(conn, [run_id], metric_key, w, a, b).get(run_id, [])
    return sorted(inner, key=lambda b: b.index)


# -- keeping them up to date -------------------------------------------------------------------


def rollup_width(first: int, last: int, max_buckets: int) -> int:
    width = 1
    while last // width - first // width + 1 > max_buckets:
        width *= 2
    return width


def sync(db: Database, cache: RollupCache, run_ids: Sequence[str], metric_key: str,
         threads: int = ROLLUP_THREADS, remember: bool = True) -> None:
    """Before a chart request (and from the keeper): create the roll-up state of long runs that
    have none, and bring stale roll-ups up to date and store them (``remember``: keep them in
    memory too). Stale roll-ups are handled concurrently, one connection each (SQLite releases the
    GIL while it scans). Up-to-date ones are left to the request, which reads their stored rows."""
    ids = list(dict.fromkeys(run_ids))
    known, missing = db.read(_plan, ids, metric_key, cache.min_steps, cache.buckets)
    if missing:
        db.write(_create_states, metric_key, missing)
        known = db.read(states, ids, metric_key)
    todo = [run_id for run_id, st in known.items() if st.dirty_from is not None]
    if not todo:
        return

    def refresh(run_id: str) -> None:
        state = db.read(states, [run_id], metric_key).get(run_id)
        if state is None or state.dirty_from is None:
            return
        rollup, changed_from = db.read(_compute, run_id, metric_key, state, cache.buckets)
        if remember:
            cache.put(run_id, metric_key, rollup)
        db.write(_persist, run_id, metric_key, rollup, changed_from)

    if len(todo) == 1 or threads < 2:
        for run_id in todo:
            refresh(run_id)
        return
    with ThreadPoolExecutor(max_workers=min(threads, len(todo)), thread_name_prefix="rollup") as pool:
        list(pool.map(refresh, todo))


def _plan(conn: Connection, ids: list[str], metric_key: str, min_steps: int,
          max_buckets: int) -> tuple[dict[str, State], dict[str, int]]:
    """(states found, {run: width} of long runs without a state)."""
    known = states(conn, ids, metric_key)
    m = s.metrics
    missing: dict[str, int] = {}
    for run_id in ids:
        if run_id in known:
            continue
        base = select(m.c.step).where(m.c.run_uuid == run_id, m.c.key == metric_key)
        first = conn.execute(base.order_by(m.c.step).limit(1)).scalar()
        if first is None:
            continue
        last = int(conn.execute(base.order_by(m.c.step.desc()).limit(1)).scalar_one())
        if last - int(first) + 1 >= min_steps:
            missing[run_id] = rollup_width(int(first), last, max_buckets)
    return known, missing


def _create_states(conn: Connection, metric_key: str, widths: dict[str, int]) -> None:
    ids = sorted(widths)
    lm = s.latest_metrics
    # Wait for (and block) metric writers of these keys: see the module docstring. A run purged since
    # it was planned has no row left, and gets no state (its insert would break the foreign key).
    locked = {run_id for (run_id,) in conn.execute(
        select(lm.c.run_uuid).where(lm.c.run_uuid.in_(ids), lm.c.key == metric_key)
        .order_by(lm.c.run_uuid).with_for_update())}
    insert_ignore(conn, s.metric_rollup_state, [
        {"run_uuid": run_id, "key": metric_key, "width": widths[run_id], "seq": 0, "dirty_from": NEVER}
        for run_id in ids if run_id in locked])


def _persist(conn: Connection, run_id: str, metric_key: str, rollup: Rollup, changed_from: int | None) -> None:
    """Store the roll-up computed at ``rollup.seq`` unless a writer moved ``seq`` since then."""
    st, r = s.metric_rollup_state, s.metric_rollups
    found = conn.execute(select(st.c.seq, st.c.dirty_from).where(st.c.run_uuid == run_id, st.c.key == metric_key)
                         .with_for_update()).first()
    if found is None or int(found.seq) != rollup.seq:
        return  # a writer got in between: the state stays dirty and the next reader recomputes
    if found.dirty_from is None:
        return  # another refresh already stored the roll-up of this ``seq``
    for level, factor in ((0, 1), (COARSE_LEVEL, COARSE)):
        # Level-2 bucket i merges base buckets 4i..4i+3: its rows change from the chunk holding
        # the first changed base bucket's index // 4.
        first = None if changed_from is None else changed_from * ROLLUP_CHUNK // factor // ROLLUP_CHUNK
        stale = delete(r).where(r.c.run_uuid == run_id, r.c.key == metric_key, r.c.level == level)
        if first is not None:
            stale = stale.where(r.c.chunk >= first)
        conn.execute(stale)
        by_chunk: dict[int, list[Bucket]] = {}
        for b in unpack(rollup.levels[factor]):
            c = b.index // ROLLUP_CHUNK
            if first is None or c >= first:
                by_chunk.setdefault(c, []).append(b)
        rows = [{"run_uuid": run_id, "key": metric_key, "level": level, "chunk": c, "data": pack(bs)}
                for c, bs in by_chunk.items()]
        for part in chunks(rows, 200):
            conn.execute(insert(r), part)
    conn.execute(update(st).where(st.c.run_uuid == run_id, st.c.key == metric_key)
                 .values(width=rollup.width, dirty_from=None))


def _fields(b: Bucket) -> tuple[int, int, int, int, int, float, float, int, float]:
    return (b.index, b.first_step, b.last_step, b.count, b.nan_count, b.min, b.max, b.timestamp, b.value)
