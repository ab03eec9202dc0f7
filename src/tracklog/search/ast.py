"""The typed AST of a filter (frozen dataclasses, compared by value).

A parsed filter is already validated against its entity (runs, experiments or
logged models): identifiers carry the canonical entity type and key
(attribute aliases are resolved), and every comparison has a value of the
right type. Source positions are kept for messages but do not take part in
equality, so ``parse(unparse(tree)) == tree``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = [
    "And",
    "Comparison",
    "EntityType",
    "Expr",
    "Identifier",
    "ListValue",
    "Not",
    "Number",
    "Op",
    "Or",
    "OrderKey",
    "Scalar",
    "String",
    "Value",
]


class EntityType(enum.Enum):
    """What an identifier names; the value is the canonical prefix used by ``unparse``."""

    METRIC = "metrics"
    PARAM = "params"
    TAG = "tags"
    ATTRIBUTE = "attributes"
    DATASET = "datasets"


class Op(enum.Enum):
    """Comparison operators; the value is their canonical spelling."""

    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    LIKE = "LIKE"
    NOT_LIKE = "NOT LIKE"
    ILIKE = "ILIKE"
    NOT_ILIKE = "NOT ILIKE"
    IN = "IN"
    NOT_IN = "NOT IN"
    IS_NULL = "IS NULL"
    IS_NOT_NULL = "IS NOT NULL"


NUMERIC_OPS = frozenset({Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE})
PATTERN_OPS = frozenset({Op.LIKE, Op.NOT_LIKE, Op.ILIKE, Op.NOT_ILIKE})
LIST_OPS = frozenset({Op.IN, Op.NOT_IN})
NULL_OPS = frozenset({Op.IS_NULL, Op.IS_NOT_NULL})


@dataclass(frozen=True)
class Identifier:
    type: EntityType
    key: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class String:
    value: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Number:
    value: int | float
    position: int = field(default=0, compare=False)


Scalar = String | Number


@dataclass(frozen=True)
class ListValue:
    items: tuple[Scalar, ...]
    position: int = field(default=0, compare=False)


Value = String | Number | ListValue


@dataclass(frozen=True)
class Comparison:
    left: Identifier
    op: Op
    value: Value | None
    """``None`` exactly for ``IS NULL`` / ``IS NOT NULL``."""


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    operand: Expr


Expr = Comparison | And | Or | Not


@dataclass(frozen=True)
class OrderKey:
    """One ``order_by`` entry. ``dataset_*`` only for logged-model metric keys."""

    identifier: Identifier
    ascending: bool = True
    dataset_name: str | None = None
    dataset_digest: str | None = None
