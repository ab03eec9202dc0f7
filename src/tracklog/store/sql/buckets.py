"""Step buckets of one metric computed by the database: the aggregate both charts and roll-ups use.

Buckets are aligned to step 0: bucket ``i`` of width ``W`` holds steps ``[i*W, (i+1)*W)``. Each
carries its first/last step, point count, NaN count, min/max over its non-NaN values (+/-inf
kept: they are stored as +/-DBL_MAX with a value kind, see ``rows.py``) and its last point. One
``GROUP BY run, bucket`` query computes them; a second, index-only lookup reads each bucket's last
point. Buckets of width ``W`` merge exactly into buckets of any multiple of ``W`` (``merge``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, case, func, literal, select

from tracklog.store.sql import schema as s
from tracklog.store.sql.db import chunks
from tracklog.store.sql.rows import DBL_MAX, decode_value
from tracklog.store.sql.schema import ValueKind

__all__ = ["Bucket", "aggregate", "merge", "scope"]


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


def scope(metric_key: str, lo: int | None, hi: int | None) -> list[ColumnElement[bool]]:
    m = s.metrics
    out: list[ColumnElement[bool]] = [m.c.key == metric_key]
    if lo is not None:
        out.append(m.c.step >= lo)
    if hi is not None:
        out.append(m.c.step <= hi)
    return out


def merge(buckets: Sequence[Bucket], factor: int) -> list[Bucket]:
    """Merge consecutive buckets ``factor`` at a time (their indexes divided by factor).

    One pass with plain locals: this runs over every stored bucket of a chart's runs."""
    if factor == 1:
        return list(buckets)
    out: list[Bucket] = []
    append = out.append
    if not buckets:
        return out
    b = buckets[0]
    index, first, last, count, nans, lo, hi, ts, value = (
        b.index // factor, b.first_step, b.last_step, b.count, b.nan_count, b.min, b.max, b.timestamp, b.value)
    for b in buckets[1:]:
        i = b.index // factor
        if i != index:
            append(Bucket(index, first, last, count, nans, lo, hi, ts, value))
            index, first, last, count, nans, lo, hi, ts, value = (
                i, b.first_step, b.last_step, b.count, b.nan_count, b.min, b.max, b.timestamp, b.value)
            continue
        last, ts, value = b.last_step, b.timestamp, b.value
        count += b.count
        nans += b.nan_count
        m = b.min
        if m == m and not m >= lo:  # NaN never wins; anything beats a NaN so far (NaN >= x is False)
            lo = m
        m = b.max
        if m == m and not m <= hi:
            hi = m
    append(Bucket(index, first, last, count, nans, lo, hi, ts, value))
    return out


def aggregate(conn: Connection, run_ids: list[str], metric_key: str, width: int,
              lo: int | None, hi: int | None) -> dict[str, list[Bucket]]:
    """0-aligned buckets of ``width`` steps per run within [lo, hi], in step order."""
    out: dict[str, list[Bucket]] = {run_id: [] for run_id in run_ids}
    if not run_ids:
        return out
    m = s.metrics
    where = scope(metric_key, lo, hi)
    # The bucket expression must see non-negative operands (SQLite and MySQL truncate toward zero).
    first = conn.execute(select(func.min(m.c.step)).where(m.c.run_uuid.in_(run_ids), *where)).scalar()
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
        .where(m.c.run_uuid.in_(run_ids), *where)
        .group_by(m.c.run_uuid, bucket)
    )
    raw: dict[str, list[tuple[int, int, int, int, int, float, float]]] = {run_id: [] for run_id in run_ids}
    for run_id, b, fst, lst, count, nans, vmin, vmax, pos_inf, neg_inf in conn.execute(query):
        low = _bound(vmin, bool(pos_inf), bool(neg_inf))
        high = _bound(vmax, bool(pos_inf), bool(neg_inf))
        # +/-DBL_MAX stands for both the infinity and the finite number: a bucket holding both has
        # that finite number as its min (max). Rare: looked up only then.
        if low == math.inf and _has_finite(conn, run_id, metric_key, int(fst), int(lst), DBL_MAX):
            low = DBL_MAX
        if high == -math.inf and _has_finite(conn, run_id, metric_key, int(fst), int(lst), -DBL_MAX):
            high = -DBL_MAX
        raw[run_id].append((int(b) + origin // width, int(fst), int(lst), int(count), int(nans or 0), low, high))
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


def _has_finite(conn: Connection, run_id: str, key: str, first: int, last: int, value: float) -> bool:
    m = s.metrics
    query = select(m.c.step).where(
        m.c.run_uuid == run_id, m.c.key == key, m.c.step >= first, m.c.step <= last,
        m.c.value_kind == int(ValueKind.FINITE), m.c.value == value,
    ).limit(1)
    return conn.execute(query).first() is not None


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
