"""Building blocks shared by the per-entity compilers: one comparison -> one SQL predicate.

Every value reaches SQL as a bound parameter. Every predicate is two-valued
(never SQL NULL), so ``NOT`` negates "matches" exactly: a run without the key
does not match ``params.x = 'a'`` and therefore matches ``NOT params.x = 'a'``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, and_, exists, false, not_, or_, true

from tracklog.search import dialects
from tracklog.search.ast import And, Comparison, Expr, ListValue, Not, Op, Value
from tracklog.search.identifiers import AttrType
from tracklog.store.sql.schema import FINITE_KINDS, ValueKind

__all__ = [
    "attribute_predicate",
    "key_value_predicate",
    "metric_predicate",
    "python_values",
    "string_predicate",
    "walk",
]

Leaf = Callable[[Comparison], ColumnElement[bool]]

_COMPARE: dict[Op, Callable[[Any, Any], ColumnElement[bool]]] = {
    Op.EQ: operator.eq,
    Op.NE: operator.ne,
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
}

_NAN = int(ValueKind.NAN)
_POS_INF = int(ValueKind.POS_INF)
_NEG_INF = int(ValueKind.NEG_INF)
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def walk(expr: Expr, leaf: Leaf) -> ColumnElement[bool]:
    """Compile the boolean structure of ``expr``, delegating comparisons to ``leaf``."""
    if isinstance(expr, Comparison):
        return leaf(expr)
    if isinstance(expr, Not):
        return not_(walk(expr.operand, leaf))
    parts = [walk(item, leaf) for item in expr.items]
    combine = and_ if isinstance(expr, And) else or_
    return combine(parts[0], *parts[1:])


def python_values(value: Value | None, attr_type: AttrType = AttrType.STRING) -> list[Any]:
    """The Python values to bind; ids become ``int``."""
    if value is None:
        return []
    items = value.items if isinstance(value, ListValue) else (value,)
    if attr_type is AttrType.ID:
        return [int(item.value) for item in items]
    return [item.value for item in items]


def _one(values: list[Any]) -> Any:
    return values[0]


def string_predicate(column: ColumnElement[Any], op: Op, values: list[Any]) -> ColumnElement[bool]:
    """``=``, ``!=``, ``[NOT] LIKE``, ``[NOT] ILIKE``, ``[NOT] IN`` (and the numeric operators)."""
    if op is Op.IN:
        return column.in_(values)
    if op is Op.NOT_IN:
        return column.not_in(values)
    if op in (Op.LIKE, Op.NOT_LIKE, Op.ILIKE, Op.NOT_ILIKE):
        return dialects.like(
            column,
            str(_one(values)),
            case_sensitive=op in (Op.LIKE, Op.NOT_LIKE),
            negate=op in (Op.NOT_LIKE, Op.NOT_ILIKE),
        )
    return _COMPARE[op](column, _one(values))


def metric_predicate(
    value: ColumnElement[float], kind: ColumnElement[int], op: Op, number: float
) -> ColumnElement[bool]:
    """Compare a stored metric with a finite number, honouring ``value_kind``.

    NaN satisfies no comparison; +Inf is greater (and -Inf smaller) than every
    finite number; equality only holds between finite values.
    """
    finite = and_(kind.in_(FINITE_KINDS), _COMPARE[op](value, number))
    if op is Op.EQ:
        return finite
    if op is Op.NE:
        return or_(kind.in_([_POS_INF, _NEG_INF]), finite)
    infinite = _POS_INF if op in (Op.GT, Op.GE) else _NEG_INF
    return or_(kind == infinite, finite)


def attribute_predicate(column: Column[Any], attr_type: AttrType, op: Op, value: Value | None) -> ColumnElement[bool]:
    """A comparison on a column of the searched table; NULL never matches a comparison."""
    if op is Op.IS_NULL:
        return column.is_(None)
    if op is Op.IS_NOT_NULL:
        return column.is_not(None)
    values = python_values(value, attr_type)
    compare = _id_predicate if attr_type is AttrType.ID else string_predicate
    predicate = compare(column, op, values)
    return and_(column.is_not(None), predicate) if column.nullable else predicate


def _id_predicate(column: ColumnElement[Any], op: Op, ids: list[int]) -> ColumnElement[bool]:
    """Ids outside the 32-bit column range cannot match (and cannot be bound on PostgreSQL)."""
    fitting = [i for i in ids if _INT32_MIN <= i <= _INT32_MAX]
    if op in (Op.EQ, Op.IN):
        return column.in_(fitting) if fitting else false()
    return column.not_in(fitting) if fitting else true()


def key_value_predicate(
    table: Table, owner_key: str, owner: Column[Any], key: str, op: Op, value: Value | None
) -> ColumnElement[bool]:
    """``EXISTS`` over a key/value child table (params, tags) correlated to ``owner``."""
    link = [table.c[owner_key] == owner, table.c.key == key]
    if op is Op.IS_NULL:
        return not_(exists().where(*link).correlate(owner.table))
    if op is Op.IS_NOT_NULL:
        return exists().where(*link).correlate(owner.table)
    condition = string_predicate(table.c.value, op, python_values(value))
    return exists().where(*link, condition).correlate(owner.table)


def metric_number(value: Value | None) -> float:
    assert value is not None and not isinstance(value, ListValue)
    return float(value.value)
