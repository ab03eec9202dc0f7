"""Bucketed metric histories for charts: one request, several runs, one shared bucket grid.

Buckets are aligned to step 0: bucket ``i`` of width ``W`` holds steps ``[i*W, (i+1)*W)``, the
same for every run of a request, so grouped runs line up bucket by bucket and a zoomed view
re-uses the bucket edges of the full view. Short runs are aggregated directly by the database
(``buckets.aggregate``); long runs with a roll-up (``rollups.py``) are answered from it, merged to
the request's width (exact: the widths are powers of two and share the alignment), with only
the buckets cut by a zoom edge re-read. Requests finer than the roll-up (deep zooms) scan only
their own range.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from tracklog.exceptions import InvalidArgument
from tracklog.store.sampled import SAMPLED_MAX_POINTS, SAMPLED_MAX_RUNS, SampledPoint, SampledSeries
from tracklog.store.sql import rollups
from tracklog.store.sql import schema as s
from tracklog.store.sql.buckets import Bucket, aggregate, scope
from tracklog.store.sql.rollups import RollupCache
from tracklog.store.sql.runs import run_row
from tracklog.validation import validate_key, validate_run_id

__all__ = ["check_sampled_args", "fit_width", "get_metric_history_sampled"]


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
    """The buckets of each run; ``cache`` None: everything aggregated directly (no roll-ups)."""
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
    found = rollups.states(conn, [r for r in ids if scoped[r] is not None], metric_key) if cache is not None else {}
    unit = max((st.width for st in found.values()), default=1)
    by_run: dict[str, list[Bucket]]
    if cache is not None and found and ideal >= unit:
        long_runs = {run_id: rollups.current(conn, cache, run_id, metric_key, st) for run_id, st in found.items()}
        unit = max(r.width for r in long_runs.values())  # a roll-up may have been coarsened
        width = fit_width(lo, hi, max_points, unit)
        short = [r for r in ids if r not in long_runs and scoped[r] is not None]
        by_run = aggregate(conn, short, metric_key, width, min_step, max_step) if short else {}
        for run_id, rollup in long_runs.items():
            by_run[run_id] = rollup.view(conn, run_id, metric_key, width, min_step, max_step)
    else:
        width = ideal
        by_run = aggregate(conn, [r for r in ids if scoped[r] is not None], metric_key, width, min_step, max_step)
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


def _extent(conn: Connection, run_id: str, metric_key: str, lo: int | None, hi: int | None) -> tuple[int, int] | None:
    """Smallest and largest step of the run's metric within [lo, hi] (two index seeks)."""
    m = s.metrics
    base = select(m.c.step).where(m.c.run_uuid == run_id, *scope(metric_key, lo, hi))
    first = conn.execute(base.order_by(m.c.step).limit(1)).scalar()
    if first is None:
        return None
    last = conn.execute(base.order_by(m.c.step.desc()).limit(1)).scalar()
    return int(first), int(last if last is not None else first)
