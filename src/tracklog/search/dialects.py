"""Dialect quirks of the search compiler, all in one place.

Supported dialect names: ``sqlite``, ``postgresql``, ``mysql``, ``mariadb``.

* Ordering with missing values last: PostgreSQL and SQLite (>= 3.30) have
  ``NULLS LAST``; MySQL/MariaDB do not, so there an explicit
  ``CASE WHEN x IS NULL THEN 1 ELSE 0 END`` key comes first.
* ``LIKE`` is case-sensitive everywhere given the store's setup: SQLite needs
  ``PRAGMA case_sensitive_like=ON`` on every connection (the SQL store sets it;
  without it SQLite's LIKE ignores ASCII case), and MySQL/MariaDB columns use
  the ``utf8mb4_bin`` collation. Every pattern carries ``ESCAPE '\\'`` so ``\\%``
  and ``\\_`` match a literal ``%`` / ``_`` on all three (SQLite has no
  default escape character).
* ``ILIKE``: SQLAlchemy renders native ``ILIKE`` on PostgreSQL and
  ``lower(x) LIKE lower(y)`` elsewhere.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import ColumnElement, case, not_

__all__ = ["Dialect", "like", "normalize", "order_nulls_last"]

Dialect = Literal["sqlite", "postgresql", "mysql"]

_NAMES: dict[str, Dialect] = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}

LIKE_ESCAPE = "\\"


def normalize(dialect_name: str) -> Dialect:
    """The dialect family for a SQLAlchemy dialect name; unknown names are a programming error."""
    try:
        return _NAMES[dialect_name]
    except KeyError:
        raise ValueError(f"unsupported SQL dialect {dialect_name!r} (expected one of {sorted(_NAMES)})") from None


def order_nulls_last(expr: ColumnElement[Any], ascending: bool, dialect: Dialect) -> list[ColumnElement[Any]]:
    """ORDER BY keys sorting ``expr`` with NULLs last in either direction."""
    ordered = expr.asc() if ascending else expr.desc()
    if dialect == "mysql":
        return [case((expr.is_(None), 1), else_=0).asc(), ordered]
    return [ordered.nulls_last()]


def like(column: ColumnElement[str], pattern: str, *, case_sensitive: bool, negate: bool) -> ColumnElement[bool]:
    """``column [NOT] LIKE/ILIKE pattern ESCAPE '\\'`` with a bound pattern."""
    compare = column.like if case_sensitive else column.ilike
    matched = compare(pattern, escape=LIKE_ESCAPE)
    return not_(matched) if negate else matched
