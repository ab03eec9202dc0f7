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
from tracklog.store.sql import schema as s
from tracklog.store.sql.dialect import columnar, pg_unnest_insert
from tracklog.store.sql.rows import encode_value
from tracklog.store.sql.schema import ValueKind

_FIELDS = ("run_uuid", "key", "step", "timestamp", "value_kind", "value", "min_value", "max_value")
_LATEST = ("step", "timestamp", "value_kind", "value")
_statements: dict[str, Any] = {}


def order_key(metric: Metric) -> tuple[int, int, int, float]:
    """Python twin of the SQL comparison (``_wins``)."""
    nan = math.isnan(metric.value)
    return (metric.step, metric.timestamp, 0 if nan else 1, 0.0 if nan else metric.value)


def batch_rows(run_id: str, metrics: Sequence[Metric]) -> list[dict[str, Any]]:
    best: dict[str, Metric] = {}
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for m in metrics:
        current = best.get(m.key)
        if current is None or order_key(m) > order_key(current):
            best[m.key] = m
        kind, stored = encode_value(m.value)
        if kind != ValueKind.NAN:
            low[m.key] = min(low.get(m.key, stored), stored)
            high[m.key] = max(high.get(m.key, stored), stored)
    rows = []
    for key in sorted(best):
        m = best[key]
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
    _statements[dialect] = text(sql)
    return _statements[dialect]


def upsert_latest(conn: Connection, run_id: str, metrics: Sequence[Metric]) -> None:
    rows = batch_rows(run_id, metrics)
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(_statement("postgresql"), columnar(rows, _FIELDS))
    else:
        conn.execute(_statement(conn.dialect.name), rows)
