"""Runs: filter comparisons and order keys as SQL correlated to ``schema.runs``.

* params / tags: ``EXISTS`` on (run_uuid, key, value).
* metrics: ``EXISTS`` on ``latest_metrics`` (see ``predicates.metric_predicate``);
  ordering uses a correlated scalar subquery that is NULL for a missing or NaN value.
  ``candidates`` offers the store the run sets of required metric comparisons and
  parameter equalities, read from ``(key, value)`` indexes, to start a selective search from.
* datasets: ``EXISTS`` over ``run_inputs JOIN datasets`` (name, digest) or the
  run's ``input_tags`` row ``mlflow.data.context`` (context): a run matches if
  ANY of its dataset inputs matches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, exists, not_, select

from tracklog.search.ast import And, Comparison, EntityType, Expr, Identifier, Op
from tracklog.search.identifiers import RUNS
from tracklog.search.predicates import (
    attribute_predicate,
    key_value_predicate,
    metric_number,
    metric_predicate,
    python_values,
    string_predicate,
    walk,
)
from tracklog.store.sql import schema
from tracklog.store.sql.schema import ValueKind

__all__ = ["DEFAULT_ORDER", "Candidates", "candidates", "order_expression", "where"]

_runs = schema.runs
_COLUMNS: dict[str, Column[Any]] = {
    "run_id": _runs.c.run_uuid,
    "run_name": _runs.c.name,
    "status": _runs.c.status,
    "user_id": _runs.c.user_id,
    "artifact_uri": _runs.c.artifact_uri,
    "lifecycle_stage": _runs.c.lifecycle_stage,
    "start_time": _runs.c.start_time,
    "end_time": _runs.c.end_time,
}
DATASET_CONTEXT_TAG = "mlflow.data.context"

_LOWER_BOUND = (Op.GT, Op.GE)
_UPPER_BOUND = (Op.LT, Op.LE)
_INDEXED = (Op.GT, Op.GE, Op.LT, Op.LE, Op.EQ)


@dataclass(frozen=True)
class Candidates:
    """``runs``: the run ids of one indexed comparison's matches (of every experiment): exactly
    the runs its ``EXISTS`` probe accepts; ``index_range``: rows of the index range it reads,
    to count how many there are; ``rest``: the filter without that comparison (``None`` when
    it was the whole filter), all a query starting from ``runs`` still has to check."""

    runs: Select[tuple[str]]
    index_range: Select[tuple[str]]
    rest: ColumnElement[bool] | None


DEFAULT_ORDER = (
    (Identifier(EntityType.ATTRIBUTE, "start_time"), False),
    (Identifier(EntityType.ATTRIBUTE, "run_id"), True),
)


def _metric_rows(comparison: Comparison) -> list[ColumnElement[bool]]:
    """The conditions on a ``latest_metrics`` row of the compared key that make it match.

    Besides the exact predicate, ranges carry the bound alone (``value >= x`` for ``>``
    and ``>=``, ``value <= x`` for ``<`` and ``<=``): implied by the predicate (infinities
    are stored as +/-DBL_MAX, see ``store/sql/rows.py``), it lets a database walk the
    ``(key, value)`` index instead of every row of the key."""
    lm = schema.latest_metrics
    number = metric_number(comparison.value)
    conditions = [lm.c.key == comparison.left.key]
    if math.isfinite(number) and comparison.op in _LOWER_BOUND:
        conditions.append(lm.c.value >= number)
    elif math.isfinite(number) and comparison.op in _UPPER_BOUND:
        conditions.append(lm.c.value <= number)
    conditions.append(metric_predicate(lm.c.value, lm.c.value_kind, comparison.op, number))
    return conditions


def _metric(comparison: Comparison) -> ColumnElement[bool]:
    lm = schema.latest_metrics
    link = [lm.c.run_uuid == _runs.c.run_uuid, lm.c.key == comparison.left.key]
    if comparison.op is Op.IS_NULL:
        return not_(exists().where(*link).correlate(_runs))
    if comparison.op is Op.IS_NOT_NULL:
        return exists().where(*link).correlate(_runs)
    return exists().where(lm.c.run_uuid == _runs.c.run_uuid, *_metric_rows(comparison)).correlate(_runs)


def candidates(expr: Expr) -> list[Candidates]:
    """Index-served run sets that every match lies in: one per metric range or equality
    and per parameter equality that the filter requires (a comparison at the top or inside
    a top-level ``AND``).

    A store may start its plan from the smallest of them (``runs.run_uuid IN
    (candidates)``) instead of probing every run of the experiments, and then checks only
    the rest of the filter (probing the runs of the range for the comparison that made it
    would repeat its own condition), so the result is the same either way."""
    items = expr.items if isinstance(expr, And) else (expr,)
    lm, p = schema.latest_metrics, schema.params
    out = []
    for i, item in enumerate(items):
        if (
            isinstance(item, Comparison)
            and item.left.type is EntityType.METRIC
            and item.op in _INDEXED
            and math.isfinite(metric_number(item.value))
        ):
            rows = _metric_rows(item)
            index_range = rows[:-1]  # key and bound: answered from the (key, value) index alone
            out.append(
                Candidates(select(lm.c.run_uuid).where(*rows), select(lm.c.key).where(*index_range), _rest(items, i))
            )
        elif isinstance(item, Comparison) and item.left.type is EntityType.PARAM and item.op is Op.EQ:
            # the conditions of ``key_value_predicate``'s probe; SQLite indexes params (key, value)
            rows = [p.c.key == item.left.key, string_predicate(p.c.value, item.op, python_values(item.value))]
            out.append(Candidates(select(p.c.run_uuid).where(*rows), select(p.c.key).where(*rows), _rest(items, i)))
    return out


def _rest(items: tuple[Expr, ...], i: int) -> ColumnElement[bool] | None:
    """The filter ``AND(items)`` without ``items[i]``."""
    others = items[:i] + items[i + 1 :]
    return None if not others else walk(others[0] if len(others) == 1 else And(others), _leaf)


def _dataset(comparison: Comparison) -> ColumnElement[bool]:
    values = python_values(comparison.value)
    if comparison.left.key == "context":
        tags = schema.input_tags
        return (
            exists()
            .where(
                tags.c.run_uuid == _runs.c.run_uuid,
                tags.c.key == DATASET_CONTEXT_TAG,
                string_predicate(tags.c.value, comparison.op, values),
            )
            .correlate(_runs)
        )
    inputs, datasets = schema.run_inputs, schema.datasets
    return (
        exists()
        .where(
            inputs.c.run_uuid == _runs.c.run_uuid,
            datasets.c.dataset_uuid == inputs.c.dataset_uuid,
            string_predicate(datasets.c[comparison.left.key], comparison.op, values),
        )
        .correlate(_runs)
    )


def _leaf(comparison: Comparison) -> ColumnElement[bool]:
    left = comparison.left
    if left.type is EntityType.METRIC:
        return _metric(comparison)
    if left.type is EntityType.DATASET:
        return _dataset(comparison)
    if left.type in (EntityType.PARAM, EntityType.TAG):
        table = schema.params if left.type is EntityType.PARAM else schema.tags
        return key_value_predicate(table, "run_uuid", _runs.c.run_uuid, left.key, comparison.op, comparison.value)
    attribute = RUNS.attribute(left.key)
    assert attribute is not None
    return attribute_predicate(_COLUMNS[left.key], attribute.type, comparison.op, comparison.value)


def where(expr: Expr) -> ColumnElement[bool]:
    return walk(expr, _leaf)


def order_expression(identifier: Identifier) -> ColumnElement[Any]:
    """The value a run sorts by; NULL when missing (and for a NaN metric)."""
    if identifier.type is EntityType.METRIC:
        lm = schema.latest_metrics
        return (
            select(lm.c.value)
            .where(
                lm.c.run_uuid == _runs.c.run_uuid,
                lm.c.key == identifier.key,
                lm.c.value_kind != int(ValueKind.NAN),
            )
            .correlate(_runs)
            .scalar_subquery()
        )
    if identifier.type in (EntityType.PARAM, EntityType.TAG):
        table = schema.params if identifier.type is EntityType.PARAM else schema.tags
        return (
            select(table.c.value)
            .where(table.c.run_uuid == _runs.c.run_uuid, table.c.key == identifier.key)
            .correlate(_runs)
            .scalar_subquery()
        )
    return _COLUMNS[identifier.key]
