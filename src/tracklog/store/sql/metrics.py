"""log_batch (metrics, params, tags in one transaction) and reading metric history.

Writes are idempotent: an identical metric point is skipped by the primary key,
a param logged again with the same value is fine, tags are upserted.
``latest_metrics`` is maintained per batch: the winner per key is computed in
Python, then one conditional upsert per batch makes the stored row the
maximum of (old, new) under the latest-metric order, so concurrent writers can
never move it backwards. See ``latest.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from tracklog.entities import Metric, Param, RunTag
from tracklog.exceptions import InvalidArgument, NotFound
from tracklog.store.sql import schema as s
from tracklog.store.sql.dialect import insert_ignore, insert_ignore_bulk
from tracklog.store.sql.fetch import driver_rows
from tracklog.store.sql.latest import upsert_latest
from tracklog.store.sql.paging import decode_after, encode_after
from tracklog.store.sql.rollups import mark_dirty
from tracklog.store.sql.rows import DBL_MAX, decode_value, encode_value, history_wire, metric_from_row
from tracklog.store.sql.runs import check_active_run, run_row, write_tags
from tracklog.validation import validate_batch, validate_key, validate_max_results, validate_run_id

MAX_BULK_RUN_IDS = 100
_FINITE = int(s.ValueKind.FINITE)
MAX_BULK_RESULTS = 2500


def log_batch(
    conn: Connection,
    run_id: str,
    metrics: Sequence[Metric],
    params: Sequence[Param],
    tags: Sequence[RunTag],
) -> None:
    """Validate everything first; then write (the caller's transaction makes it all-or-nothing)."""
    validate_run_id(run_id)
    validate_batch(metrics, params, tags)
    check_active_run(conn, run_id)
    if params:
        _write_params(conn, run_id, params)
    if metrics:
        _write_metrics(conn, run_id, metrics)
    write_tags(conn, run_id, tags)


def _write_params(conn: Connection, run_id: str, params: Sequence[Param]) -> None:
    wanted = {p.key: p.value for p in params}
    rows = [{"run_uuid": run_id, "key": k, "value": v} for k, v in sorted(wanted.items())]
    insert_ignore(conn, s.params, rows)
    p = s.params
    stored = conn.execute(
        select(p.c.key, p.c.value).where(p.c.run_uuid == run_id, p.c.key.in_(list(wanted)))
    )
    for key, value in stored:
        if value != wanted[key]:
            raise InvalidArgument(
                f"Changing param values is not allowed. Param with key={key!r} was already logged "
                f"with value={value!r} for run ID={run_id!r}. Attempted logging new value "
                f"{wanted[key]!r}."
            )


def _write_metrics(conn: Connection, run_id: str, metrics: Sequence[Metric]) -> None:
    points: set[tuple[Any, ...]] = set()  # rows of ``metrics`` in column order; a set drops repeats
    model_points: dict[tuple[Any, ...], dict[str, Any]] = {}
    for m in metrics:
        value = m.value
        if value != 0.0 and -DBL_MAX <= value <= DBL_MAX:  # finite and not +/-0.0 (NaN fails both)
            kind, stored = _FINITE, float(value)
        else:
            encoded, stored = encode_value(value)
            kind = int(encoded)
        points.add((run_id, m.key, m.step, m.timestamp, kind, stored))
        if m.model_id:
            model_points[(m.model_id, m.key, m.step, m.timestamp)] = {
                "run_uuid": run_id, "key": m.key, "step": m.step, "timestamp": m.timestamp,
                "value_kind": kind, "value": stored, "model_id": m.model_id,
                "dataset_name": m.dataset_name, "dataset_digest": m.dataset_digest,
            }
    # Sorted so concurrent writers take row locks in the same order (no deadlocks).
    insert_ignore_bulk(conn, s.metrics, sorted(points))
    if model_points:
        _check_models_exist(conn, {k[0] for k in model_points})
        insert_ignore(conn, s.logged_model_metrics, [model_points[k] for k in sorted(model_points)])
    upsert_latest(conn, run_id, metrics)
    mark_dirty(conn, run_id, metrics)  # chart roll-ups: after upsert_latest (lock order, see rollups.py)


def _check_models_exist(conn: Connection, model_ids: set[str]) -> None:
    lm = s.logged_models
    found = {r[0] for r in conn.execute(select(lm.c.model_id).where(lm.c.model_id.in_(sorted(model_ids))))}
    missing = sorted(model_ids - found)
    if missing:
        raise NotFound(f"Logged model with ID {missing[0]!r} not found (a metric names it as model_id)")


def _history_page(
    conn: Connection,
    run_id: str,
    metric_key: str,
    max_results: int | None,
    page_token: str | None,
) -> tuple[list[Any], str | None]:
    """(step, timestamp, value_kind, value) tuples of one page, and the next page's token.

    Keyset paging on the primary-key order: a page starts after the sort key of the
    previous page's last row, so every page is one index range scan, however deep."""
    run_row(conn, run_id)
    if max_results is not None:
        validate_max_results(max_results, 1, 2**31 - 1)
    after = decode_after(page_token, (int, int, int, float))
    m = s.metrics
    query = (
        select(m.c.step, m.c.timestamp, m.c.value_kind, m.c.value)
        .where(m.c.run_uuid == run_id, m.c.key == metric_key)
        .order_by(m.c.step, m.c.timestamp, m.c.value_kind, m.c.value)
    )
    if after is not None:
        step, timestamp, kind, value = after
        # (step, timestamp, value_kind, value) > after, spelled out (row values are not portable);
        # the leading "step >=" gives every database an index range to start from.
        query = query.where(m.c.step >= step, or_(
            m.c.step > step,
            and_(m.c.step == step, or_(
                m.c.timestamp > timestamp,
                and_(m.c.timestamp == timestamp, or_(
                    m.c.value_kind > kind,
                    and_(m.c.value_kind == kind, m.c.value > value),
                )),
            )),
        ))
    if max_results is not None:
        query = query.limit(max_results + 1)
    rows = driver_rows(conn, query)
    token = None
    if max_results is not None and len(rows) > max_results:
        rows = rows[:max_results]
        last = rows[-1]
        token = encode_after((int(last[0]), int(last[1]), int(last[2]), float(last[3])))
    return rows, token


def get_metric_history(
    conn: Connection,
    run_id: str,
    metric_key: str,
    max_results: int | None,
    page_token: str | None,
) -> tuple[list[Metric], str | None]:
    rows, token = _history_page(conn, run_id, metric_key, max_results, page_token)
    return [Metric(metric_key, decode_value(kind, value), int(timestamp), int(step), run_id=run_id)
            for step, timestamp, kind, value in rows], token


def get_metric_history_wire(
    conn: Connection,
    run_id: str,
    metric_key: str,
    max_results: int | None,
    page_token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """``get_metric_history`` already in wire form (what the REST endpoint returns)."""
    rows, token = _history_page(conn, run_id, metric_key, max_results, page_token)
    return history_wire(rows, metric_key, run_id), token


def sample_steps(steps: list[int], max_results: int) -> list[int]:
    """At most ``max_results`` of the sorted ``steps``, evenly spread, first and last kept."""
    if len(steps) <= max_results:
        return steps
    if max_results == 1:
        return [steps[0]]
    last = len(steps) - 1
    picked = {round(i * last / (max_results - 1)) for i in range(max_results)}
    return [steps[i] for i in sorted(picked)]


def get_metric_history_bulk_interval(
    conn: Connection,
    run_ids: Sequence[str],
    metric_key: str,
    max_results: int,
    start_step: int | None,
    end_step: int | None,
) -> list[Metric]:
    _check_bulk_args(run_ids, metric_key, max_results, start_step, end_step)
    m = s.metrics
    scope = [m.c.key == metric_key]
    if start_step is not None and end_step is not None:
        scope += [m.c.step >= start_step, m.c.step <= end_step]
    out: list[Metric] = []
    for run_id in dict.fromkeys(run_ids):
        run_row(conn, run_id)
        steps_query = select(m.c.step).distinct().where(m.c.run_uuid == run_id, *scope).order_by(m.c.step)
        steps = sample_steps([int(r[0]) for r in conn.execute(steps_query)], max_results)
        if not steps:
            continue
        points = conn.execute(
            select(m.c.key, m.c.step, m.c.timestamp, m.c.value_kind, m.c.value)
            .where(and_(m.c.run_uuid == run_id, m.c.key == metric_key, m.c.step.in_(steps)))
            .order_by(m.c.step, m.c.timestamp, m.c.value_kind, m.c.value)
        )
        out.extend(metric_from_row(r, run_id=run_id) for r in points)
    return out


def _check_bulk_args(
    run_ids: Sequence[str],
    metric_key: str,
    max_results: int,
    start_step: int | None,
    end_step: int | None,
) -> None:
    if not run_ids:
        raise InvalidArgument("run_ids must contain at least one run ID")
    if len(run_ids) > MAX_BULK_RUN_IDS:
        raise InvalidArgument(
            f"At most {MAX_BULK_RUN_IDS} run IDs may be given to get metric history; got {len(run_ids)}"
        )
    for run_id in run_ids:
        validate_run_id(run_id)
    validate_key("metric", metric_key)
    validate_max_results(max_results, 1, MAX_BULK_RESULTS)
    if (start_step is None) != (end_step is None):
        raise InvalidArgument("start_step and end_step must be given together, or neither")
    if start_step is not None and end_step is not None and start_step > end_step:
        raise InvalidArgument(f"end_step ({end_step}) must be at least start_step ({start_step})")
