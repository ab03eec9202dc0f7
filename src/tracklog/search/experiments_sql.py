"""Experiments: filter comparisons and order keys as SQL correlated to ``schema.experiments``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, ColumnElement, select

from tracklog.search.ast import Comparison, EntityType, Expr, Identifier
from tracklog.search.identifiers import EXPERIMENTS
from tracklog.search.predicates import attribute_predicate, key_value_predicate, walk
from tracklog.store.sql import schema

__all__ = ["DEFAULT_ORDER", "order_expression", "where"]

_experiments = schema.experiments
_COLUMNS: dict[str, Column[Any]] = {
    "name": _experiments.c.name,
    "experiment_id": _experiments.c.experiment_id,
    "creation_time": _experiments.c.creation_time,
    "last_update_time": _experiments.c.last_update_time,
}

DEFAULT_ORDER = (
    (Identifier(EntityType.ATTRIBUTE, "creation_time"), False),
    (Identifier(EntityType.ATTRIBUTE, "experiment_id"), True),
)


def _leaf(comparison: Comparison) -> ColumnElement[bool]:
    left = comparison.left
    if left.type is EntityType.TAG:
        return key_value_predicate(
            schema.experiment_tags,
            "experiment_id",
            _experiments.c.experiment_id,
            left.key,
            comparison.op,
            comparison.value,
        )
    attribute = EXPERIMENTS.attribute(left.key)
    assert attribute is not None
    return attribute_predicate(_COLUMNS[left.key], attribute.type, comparison.op, comparison.value)


def where(expr: Expr) -> ColumnElement[bool]:
    return walk(expr, _leaf)


def order_expression(identifier: Identifier) -> ColumnElement[Any]:
    if identifier.type is EntityType.TAG:
        tags = schema.experiment_tags
        return (
            select(tags.c.value)
            .where(tags.c.experiment_id == _experiments.c.experiment_id, tags.c.key == identifier.key)
            .correlate(_experiments)
            .scalar_subquery()
        )
    return _COLUMNS[identifier.key]
