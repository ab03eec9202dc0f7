"""Logged models: filter comparisons and order keys correlated to ``schema.logged_models``.

A model's value for ``metrics.k`` is its latest ``logged_model_metrics`` row for
key ``k`` (greatest timestamp, then greatest step, then smallest run id). When
the request names datasets, only rows on those datasets count, and the model
must have at least one metric on one of them. A NaN latest value satisfies no
comparison and sorts last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, FromClause, and_, case, exists, not_, null, or_, select

from tracklog.search.ast import Comparison, EntityType, Expr, Identifier, Op, OrderKey
from tracklog.search.identifiers import LOGGED_MODELS
from tracklog.search.predicates import (
    attribute_predicate,
    key_value_predicate,
    metric_number,
    metric_predicate,
    walk,
)
from tracklog.store.sql import schema
from tracklog.store.sql.schema import ValueKind

__all__ = ["DEFAULT_ORDER", "DatasetRef", "has_metrics_on", "order_expression", "where"]

_models = schema.logged_models
_metrics = schema.logged_model_metrics
_COLUMNS: dict[str, Column[Any]] = {
    "name": _models.c.name,
    "model_id": _models.c.model_id,
    "model_type": _models.c.model_type,
    "status": _models.c.status,
    "source_run_id": _models.c.source_run_id,
    "creation_timestamp": _models.c.creation_timestamp_ms,
    "last_updated_timestamp": _models.c.last_updated_timestamp_ms,
}

DEFAULT_ORDER = (
    (Identifier(EntityType.ATTRIBUTE, "creation_timestamp"), False),
    (Identifier(EntityType.ATTRIBUTE, "model_id"), True),
)


@dataclass(frozen=True)
class DatasetRef:
    name: str
    digest: str | None = None


def _on_datasets(rows: FromClause, datasets: Sequence[DatasetRef]) -> list[ColumnElement[bool]]:
    """At most one condition: the row belongs to one of ``datasets`` (none when the list is empty)."""
    if not datasets:
        return []
    options = [
        and_(rows.c.dataset_name == d.name, rows.c.dataset_digest == d.digest)
        if d.digest is not None
        else rows.c.dataset_name == d.name
        for d in datasets
    ]
    return [or_(*options)]


def has_metrics_on(datasets: Sequence[DatasetRef]) -> ColumnElement[bool]:
    """The model has at least one metric on one of ``datasets``."""
    rows = _metrics.alias()
    return exists().where(rows.c.model_id == _models.c.model_id, *_on_datasets(rows, datasets)).correlate(_models)


def _metric(comparison: Comparison, datasets: Sequence[DatasetRef]) -> ColumnElement[bool]:
    row, newer = _metrics.alias(), _metrics.alias()
    link = [row.c.model_id == _models.c.model_id, row.c.key == comparison.left.key, *_on_datasets(row, datasets)]
    if comparison.op is Op.IS_NULL:
        return not_(exists().where(*link).correlate(_models))
    if comparison.op is Op.IS_NOT_NULL:
        return exists().where(*link).correlate(_models)
    is_newer = or_(
        newer.c.timestamp > row.c.timestamp,
        and_(
            newer.c.timestamp == row.c.timestamp,
            or_(newer.c.step > row.c.step, and_(newer.c.step == row.c.step, newer.c.run_uuid < row.c.run_uuid)),
        ),
    )
    superseded = (
        exists()
        .where(
            newer.c.model_id == row.c.model_id,
            newer.c.key == row.c.key,
            *_on_datasets(newer, datasets),
            is_newer,
        )
        .correlate(row)
    )
    condition = metric_predicate(row.c.value, row.c.value_kind, comparison.op, metric_number(comparison.value))
    return exists().where(*link, condition, not_(superseded)).correlate(_models)


def where(expr: Expr, datasets: Sequence[DatasetRef]) -> ColumnElement[bool]:
    def leaf(comparison: Comparison) -> ColumnElement[bool]:
        left = comparison.left
        if left.type is EntityType.METRIC:
            return _metric(comparison, datasets)
        if left.type in (EntityType.PARAM, EntityType.TAG):
            table = schema.logged_model_params if left.type is EntityType.PARAM else schema.logged_model_tags
            return key_value_predicate(table, "model_id", _models.c.model_id, left.key, comparison.op, comparison.value)
        attribute = LOGGED_MODELS.attribute(left.key)
        assert attribute is not None
        return attribute_predicate(_COLUMNS[left.key], attribute.type, comparison.op, comparison.value)

    return walk(expr, leaf)


def order_expression(key: OrderKey) -> ColumnElement[Any]:
    """An attribute column, or the latest value of a metric (NULL when missing or NaN)."""
    identifier = key.identifier
    if identifier.type is not EntityType.METRIC:
        return _COLUMNS[identifier.key]
    rows = _metrics.alias()
    datasets = [DatasetRef(key.dataset_name, key.dataset_digest)] if key.dataset_name is not None else []
    return (
        select(case((rows.c.value_kind == int(ValueKind.NAN), null()), else_=rows.c.value))
        .where(rows.c.model_id == _models.c.model_id, rows.c.key == identifier.key, *_on_datasets(rows, datasets))
        .order_by(rows.c.timestamp.desc(), rows.c.step.desc(), rows.c.run_uuid.asc())
        .limit(1)
        .correlate(_models)
        .scalar_subquery()
    )
