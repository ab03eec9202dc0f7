"""The latest value per (run, metric key), maintained with one atomic upsert per batch.

Order ("latest"): highest step, then latest timestamp, then largest value; NaN
loses every tie against a number. The winner of the batch is computed in
Python; the upsert then keeps whichever of (stored row, batch winner) is later,
evaluated by the database on the locked row, so concurrent batches can't
regress it. ``min_value``/``max_value`` track every non-NaN point.

PostgreSQL and SQLite evaluate every ``SET`` expression against the old row.
MySQL/MariaDB evaluate ``ON DUPLICATE KEY UPDATE`` assignments left to right,
each seeing the previous ones, so there the comparison is made once, in the
first assignment of the latest fields, and kept in a session variable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, text

from tracklog.entities import Metric
from tracklog.store.sql import driver
from tracklog.store.sql import schema as s
from tracklog.store.sql.dialect import columnar, pg_unnest_insert
from tracklog.store.sql.rows import DBL_MAX, encode_value
from tracklog.store.sql.schema import ValueKind

_FIELDS = ("run_uuid", "key", "step", "timestamp", "value_kind", "value", "min_value", "max_value")
_LATEST = ("step", "timestamp", "value_kind", "value")
_statements: dict[str, Any] = {}
_sql: dict[str, str] = {}  # the same statements as SQL text


def order_key(metric: Metric) -> tuple[int, int, int, float]:
    """Python twin of the SQL comparison (``_wins``)."""
    nan = math.isnan(metric.value)
    return (metric.step, metric.timestamp, 0 if nan else 1, 0.0 if nan else metric.value)


def batch_rows(run_id: str, metrics: Sequence[Metric]) -> list[dict[str, Any]]:
    """One row per key: the batch's latest point (``order_key``) and its min/max over non-NaN points."""
    best: dict[str, tuple[tuple[int, int, int, float], Metric]] = {}
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for m in metrics:
        key, value = m.key, m.value
        nan = value != value
        order = (m.step, m.timestamp, 0, 0.0) if nan else (m.step, m.timestamp, 1, value)
        current = best.get(key)
        if current is None or order > current[0]:
            best[key] = (order, m)
        if nan:
            continue
        # the stored double (encode_value): -0.0 -> 0.0, +/-Inf -> +/-DBL_MAX
        stored = value + 0.0 if -DBL_MAX <= value <= DBL_MAX else (DBL_MAX if value > 0 else -DBL_MAX)
        seen = low.get(key)
        if seen is None or stored < seen:
            low[key] = stored
        seen = high.get(key)
        if seen is None or stored > seen:
            high[key] = stored
    rows = []
    for key in sorted(best):
        m = best[key][1]
        kind, stored = encode_value(m.value)
        rows.append({
            "run_uuid": run_id, "key": key, "step": m.step, "timestamp": m.timestamp,
            "value_kind": int(kind), "value": stored,
            "min_value": low.get(key), "max_value": high.get(key),
        })
    return rows


def _wins(new: Callable[[str], str], old: Callable[[str], str]) -> str:
    nan, pos, neg = int(ValueKind.NAN), int(ValueKind.POS_INF), int(ValueKind.NEG_INF)
    nk, ok = new("value_kind"), old("value_kind")
    nv, ov = new("value"), old("value")
    value_wins = (
        f"({ok} = {nan} AND {nk} <> {nan}) OR ({ok} <> {nan} AND {nk} <> {nan} AND "
        f"({nv} > {ov} OR ({nv} = {ov} AND (({nk} = {pos} AND {ok} <> {pos}) "
        f"OR ({ok} = {neg} AND {nk} <> {neg})))))"
    )
    ns, os_ = new("step"), old("step")
    nt, ot = new("timestamp"), old("timestamp")
    return f"({ns} > {os_} OR ({ns} = {os_} AND ({nt} > {ot} OR ({nt} = {ot} AND ({value_wins})))))"


def _extreme(new: str, old: str, op: str) -> str:
    return (
        f"CASE WHEN {old} IS NULL THEN {new} WHEN {new} IS NULL THEN {old} "
        f"WHEN {new} {op} {old} THEN {new} ELSE {old} END"
    )


def _statement(dialect: str) -> Any:
    if dialect in _statements:
        return _statements[dialect]
    mysql = dialect in ("mysql", "mariadb")

    def q(c: str) -> str:
        return f"`{c}`" if mysql else f'"{c}"'

    columns = ", ".join(q(c) for c in _FIELDS)
    values = ", ".join(f":{c}" for c in _FIELDS)
    head = f"INSERT INTO latest_metrics ({columns}) VALUES ({values}) "
    if dialect == "postgresql":
        # One array per column (see dialect.pg_unnest_insert): one round trip per batch.
        head = str(pg_unnest_insert(s.latest_metrics, _FIELDS, "")) + " "
    if mysql:
        def new(c: str) -> str:
            return f"VALUES({q(c)})"

        def old(c: str) -> str:
            return q(c)

        sets = [
            f"{q('min_value')} = {_extreme(new('min_value'), old('min_value'), '<')}",
            f"{q('max_value')} = {_extreme(new('max_value'), old('max_value'), '>')}",
            # Evaluated before any latest field changes; the variable carries the verdict.
            f"{q('value')} = IF((@tracklog_wins := ({_wins(new, old)})), {new('value')}, {old('value')})",
        ]
        sets += [f"{q(c)} = IF(@tracklog_wins, {new(c)}, {old(c)})" for c in _LATEST if c != "value"]
        sql = head + "ON DUPLICATE KEY UPDATE " + ", ".join(sets)
    else:
        def new(c: str) -> str:
            return f"excluded.{q(c)}"

        def old(c: str) -> str:
            return f"latest_metrics.{q(c)}"

        wins = _wins(new, old)
        sets = [f"{q(c)} = CASE WHEN {wins} THEN {new(c)} ELSE {old(c)} END" for c in _LATEST]
        sets += [
            f"{q('min_value')} = {_extreme(new('min_value'), old('min_value'), '<')}",
            f"{q('max_value')} = {_extreme(new('max_value'), old('max_value'), '>')}",
        ]
        sql = head + f"ON CONFLICT (run_uuid, {q('key')}) DO UPDATE SET " + ", ".join(sets)
    _sql[dialect] = sql
    _statements[dialect] = text(sql)
    return _statements[dialect]


def upsert_latest(conn: Connection, run_id: str, metrics: Sequence[Metric]) -> None:
    rows = batch_rows(run_id, metrics)
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(_statement(dialect), columnar(rows, _FIELDS))
    elif dialect == "sqlite":
        # sqlite3 takes the ``:name`` parameters itself: no per-row processing by SQLAlchemy.
        _statement(dialect)
        driver.run(conn, _sql[dialect], rows)
    else:
        conn.execute(_statement(dialect), rows)
