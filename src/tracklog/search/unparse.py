"""AST -> filter text that parses back to an equal AST.

Identifiers are written in canonical form (``metrics.acc``, ``params.`my param```,
``run_name``), strings single-quoted with ``''`` for a quote, and parentheses are
added exactly where the structure needs them.
"""

from __future__ import annotations

import re

from tracklog.search.ast import (
    And,
    Comparison,
    EntityType,
    Expr,
    Identifier,
    ListValue,
    Not,
    Or,
    Scalar,
    String,
    Value,
)
from tracklog.search.lexer import KEYWORDS

__all__ = ["unparse", "unparse_identifier"]

_BARE_KEY = re.compile(r"[\w.:/\-]+")
_BARE_NAME = re.compile(r"[^\W\d]\w*")


def _backtick(text: str) -> str:
    return "`" + text.replace("`", "``") + "`"


def unparse_identifier(identifier: Identifier) -> str:
    key = identifier.key
    if identifier.type is EntityType.ATTRIBUTE:
        bare = _BARE_NAME.fullmatch(key) and key.upper() not in KEYWORDS
        return key if bare else _backtick(key)
    written = key if _BARE_KEY.fullmatch(key) else _backtick(key)
    return f"{identifier.type.value}.{written}"


def _scalar(value: Scalar) -> str:
    if isinstance(value, String):
        return "'" + value.value.replace("'", "''") + "'"
    return repr(value.value)


def _value(value: Value) -> str:
    if isinstance(value, ListValue):
        return "(" + ", ".join(_scalar(item) for item in value.items) + ")"
    return _scalar(value)


def _comparison(node: Comparison) -> str:
    text = f"{unparse_identifier(node.left)} {node.op.value}"
    return text if node.value is None else f"{text} {_value(node.value)}"


def _child(node: Expr, parent: type[And] | type[Or]) -> str:
    needs_parens = isinstance(node, Or) or (parent is And and isinstance(node, And))
    text = unparse(node)
    return f"({text})" if needs_parens else text


def unparse(node: Expr) -> str:
    """Filter text for ``node``."""
    if isinstance(node, Comparison):
        return _comparison(node)
    if isinstance(node, Not):
        inner = unparse(node.operand)
        return f"NOT ({inner})" if isinstance(node.operand, And | Or) else f"NOT {inner}"
    if isinstance(node, And):
        return " AND ".join(_child(item, And) for item in node.items)
    return " OR ".join(_child(item, Or) for item in node.items)
