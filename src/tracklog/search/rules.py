"""Type rules: which operators and values each kind of identifier accepts.

================  =====================================================  ==============
identifier        operators                                              values
================  =====================================================  ==============
metrics.k         = != < <= > >=, IS [NOT] NULL                           number
params.k, tags.k  = !=, [NOT] LIKE, [NOT] ILIKE, [NOT] IN, IS [NOT] NULL  string(s)
datasets.k        = !=, [NOT] LIKE, [NOT] ILIKE, [NOT] IN                 string(s)
string attribute  = !=, [NOT] LIKE, [NOT] ILIKE, [NOT] IN, IS [NOT] NULL  string(s)
number attribute  = != < <= > >=, [NOT] IN, IS [NOT] NULL                 number(s)
id attribute      = !=, [NOT] IN                                          integer(s), quoted or not
================  =====================================================  ==============

LIKE patterns are also bounded here (length and ``%`` count, see ``limits``).
"""

from __future__ import annotations

import re

from tracklog.search import limits
from tracklog.search.ast import (
    LIST_OPS,
    NULL_OPS,
    NUMERIC_OPS,
    PATTERN_OPS,
    EntityType,
    Identifier,
    ListValue,
    Number,
    Op,
    String,
    Value,
)
from tracklog.search.identifiers import AttrType, EntitySpec, describe

__all__ = ["Violation", "check_operator", "check_value", "operator_list"]

_STRING_OPS = frozenset({Op.EQ, Op.NE}) | PATTERN_OPS | LIST_OPS
_INTEGER = re.compile(r"-?\d{1,18}")


class Violation(Exception):
    """A rule broken at ``position``; the parser turns it into ``InvalidArgument``."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def operator_list(ops: frozenset[Op]) -> str:
    return " ".join(op.value for op in Op if op in ops)


def _rules(spec: EntitySpec, identifier: Identifier) -> tuple[frozenset[Op], AttrType]:
    """Allowed operators and the expected value type."""
    entity_type = identifier.type
    if entity_type is EntityType.METRIC:
        return NUMERIC_OPS | NULL_OPS, AttrType.NUMBER
    if entity_type in (EntityType.PARAM, EntityType.TAG):
        return _STRING_OPS | NULL_OPS, AttrType.STRING
    if entity_type is EntityType.DATASET:
        return _STRING_OPS, AttrType.STRING
    attribute = spec.attribute(identifier.key)
    assert attribute is not None
    if attribute.type is AttrType.NUMBER:
        return NUMERIC_OPS | LIST_OPS | NULL_OPS, AttrType.NUMBER
    if attribute.type is AttrType.ID:
        return frozenset({Op.EQ, Op.NE}) | LIST_OPS, AttrType.ID
    return _STRING_OPS | NULL_OPS, AttrType.STRING


def check_operator(spec: EntitySpec, identifier: Identifier, op: Op, position: int) -> None:
    ops, _ = _rules(spec, identifier)
    if op not in ops:
        name = describe(identifier.type, identifier.key)
        raise Violation(f"operator '{op.value}' is not supported for {name} (use {operator_list(ops)})", position)


def check_value(spec: EntitySpec, identifier: Identifier, op: Op, value: Value) -> None:
    _, expected = _rules(spec, identifier)
    name = describe(identifier.type, identifier.key)
    items = value.items if isinstance(value, ListValue) else (value,)
    for item in items:
        if expected is AttrType.ID:
            if not (isinstance(item.value, int) or (isinstance(item, String) and _INTEGER.fullmatch(item.value))):
                raise Violation(f"{name} must be compared with an integer id, got {item.value!r}", item.position)
        elif (expected is AttrType.NUMBER) != isinstance(item, Number):
            got = "a string" if isinstance(item, String) else "a number"
            raise Violation(f"{name} must be compared with a {expected.value}, got {got}", item.position)
        if op in PATTERN_OPS and isinstance(item, String):
            _check_pattern(item)


def _check_pattern(item: String) -> None:
    if len(item.value) > limits.MAX_LIKE_PATTERN:
        raise Violation(f"LIKE pattern is longer than the limit of {limits.MAX_LIKE_PATTERN} characters", item.position)
    if re.sub(r"%+", "%", item.value).count("%") > limits.MAX_LIKE_WILDCARDS:
        raise Violation(
            f"LIKE pattern has more than the limit of {limits.MAX_LIKE_WILDCARDS} '%' wildcards", item.position
        )
