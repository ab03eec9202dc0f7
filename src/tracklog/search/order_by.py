"""``order_by`` entries -> ``OrderKey`` list -> a total SQL ordering.

Runs and experiments take MLflow's list of strings, one ``<identifier> [ASC|DESC]``
per entry (``"a, b"`` in one entry is an error). Logged models take a list of
``{field_name, ascending, dataset_name?, dataset_digest?}`` objects.

Missing values (and NaN metrics) sort last in both directions. The entity's
default keys are appended unless already present, and the last one is the
primary key, so the ordering is total and pagination stable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement

from tracklog.exceptions import InvalidArgument
from tracklog.search import limits
from tracklog.search.ast import EntityType, Identifier, OrderKey
from tracklog.search.dialects import Dialect, order_nulls_last
from tracklog.search.errors import invalid_order_by, refuse_unstorable
from tracklog.search.identifiers import EntitySpec, resolve_prefix
from tracklog.search.lexer import Kind
from tracklog.search.parser import Parser

__all__ = ["order_clauses", "parse_model_order_by", "parse_order_by"]

_DIRECTIONS = {"ASC": True, "DESC": False}


def _entries(order_by: Sequence[Any] | None) -> list[Any]:
    if order_by is None:
        return []
    if isinstance(order_by, str | Mapping):
        return [order_by]
    entries = list(order_by)
    if len(entries) > limits.MAX_ORDER_BY_KEYS:
        raise InvalidArgument(f"Invalid order_by: {len(entries)} keys exceed the limit of {limits.MAX_ORDER_BY_KEYS}")
    return entries


def _parse_one(entry: str, spec: EntitySpec) -> OrderKey:
    if len(entry) > limits.MAX_ORDER_BY_LENGTH:
        raise InvalidArgument(
            f"Invalid order_by: an entry is longer than the limit of {limits.MAX_ORDER_BY_LENGTH} characters"
        )
    parser = Parser(entry, spec, what="order_by")
    identifier = parser.identifier(spec.order_types)
    ascending = True
    token = parser.peek()
    if token.kind is Kind.IDENT and token.prefix is None and not token.quote and token.value.upper() in _DIRECTIONS:
        ascending = _DIRECTIONS[token.value.upper()]
        parser.advance()
        token = parser.peek()
    if token.kind is Kind.COMMA:
        raise invalid_order_by(
            entry, "an entry holds a single key; send each key as its own list entry", token.position
        )
    if token.kind is not Kind.EOF:
        raise parser.unexpected("ASC, DESC or the end of the entry")
    return OrderKey(identifier, ascending)


def parse_order_by(order_by: Sequence[str] | None, spec: EntitySpec) -> list[OrderKey]:
    """Parse MLflow's list of ``"<identifier> [ASC|DESC]"`` strings; blank entries are ignored."""
    keys: list[OrderKey] = []
    for entry in _entries(order_by):
        if not isinstance(entry, str):
            raise InvalidArgument(f"Invalid order_by: expected strings, got {type(entry).__name__}")
        if entry.strip():
            keys.append(_parse_one(entry, spec))
    return keys


def _optional_str(entry: Mapping[str, Any], name: str) -> str | None:
    value = entry.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidArgument(f"Invalid order_by: '{name}' must be a string, got {type(value).__name__}")
    refuse_unstorable("order_by", value)
    return value


def _model_identifier(field_name: str, spec: EntitySpec) -> Identifier:
    refuse_unstorable("order_by", field_name)
    if "." in field_name:
        prefix, key = field_name.split(".", 1)
        if resolve_prefix(prefix) is not EntityType.METRIC:
            raise invalid_order_by(field_name, "only an attribute or metrics.<key> can be ordered by", 0)
        if len(key) >= 2 and key[0] == key[-1] and key[0] in '`"':
            key = key[1:-1]
        if not key:
            raise invalid_order_by(field_name, "empty metric key", len(prefix) + 1)
        return Identifier(EntityType.METRIC, key)
    attribute = spec.attribute(field_name.strip())
    if attribute is None:
        names = ", ".join(spec.attribute_names())
        raise invalid_order_by(field_name, f"unknown attribute (expected one of {names} or metrics.<key>)", 0)
    return Identifier(EntityType.ATTRIBUTE, attribute.name)


def parse_model_order_by(order_by: Sequence[Mapping[str, Any]] | None, spec: EntitySpec) -> list[OrderKey]:
    """Parse the logged-model form: ``{field_name, ascending=True, dataset_name?, dataset_digest?}``."""
    keys: list[OrderKey] = []
    for entry in _entries(order_by):
        if not isinstance(entry, Mapping):
            raise InvalidArgument("Invalid order_by: each entry must be an object with a 'field_name'")
        field_name = entry.get("field_name")
        if not isinstance(field_name, str) or not field_name.strip():
            raise InvalidArgument("Invalid order_by: 'field_name' must be specified")
        if len(field_name) > limits.MAX_ORDER_BY_LENGTH:
            raise InvalidArgument(
                f"Invalid order_by: field_name is longer than the limit of {limits.MAX_ORDER_BY_LENGTH} characters"
            )
        ascending = entry.get("ascending", True)
        if ascending is None:
            ascending = True
        if not isinstance(ascending, bool):
            raise InvalidArgument(f"Invalid order_by: 'ascending' must be a boolean, got {type(ascending).__name__}")
        dataset_name = _optional_str(entry, "dataset_name")
        dataset_digest = _optional_str(entry, "dataset_digest")
        if dataset_digest is not None and dataset_name is None:
            raise InvalidArgument("Invalid order_by: 'dataset_digest' needs 'dataset_name'")
        identifier = _model_identifier(field_name, spec)
        keys.append(OrderKey(identifier, ascending, dataset_name, dataset_digest))
    return keys


def order_clauses(
    keys: Sequence[OrderKey],
    expression: Callable[[OrderKey], ColumnElement[Any]],
    defaults: Sequence[tuple[Identifier, bool]],
    dialect: Dialect,
) -> list[ColumnElement[Any]]:
    """The full ORDER BY list: the requested keys, then the defaults not already present."""
    present = {key.identifier for key in keys if key.identifier.type is EntityType.ATTRIBUTE}
    full = list(keys) + [OrderKey(ident, asc) for ident, asc in defaults if ident not in present]
    clauses: list[ColumnElement[Any]] = []
    for key in full:
        expr = expression(key)
        if isinstance(expr, Column) and not expr.nullable:
            clauses.append(expr.asc() if key.ascending else expr.desc())
        else:
            clauses.extend(order_nulls_last(expr, key.ascending, dialect))
    return clauses
