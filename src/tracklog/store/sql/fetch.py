"""Plain driver rows for the hot read paths (metric history pages, run search pages).

SQLAlchemy still compiles (cached), binds and executes the statement; only its ``Row``
layer is skipped: the rows come straight from the DBAPI cursor's ``fetchall`` as the
driver's tuples. That layer costs about 1 µs a row, three times what SQLite takes to
produce the row, and a 25,000-point history page or a search page's 40,000 child values
pay it per row.

Only for statements whose columns need no result processing: integers, floats and
strings come back from sqlite3, psycopg and PyMySQL already as Python values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Executable

__all__ = ["driver_rows"]


def driver_rows(
    conn: Connection, statement: Executable, params: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """Every row of ``statement`` as the driver's plain tuples, in order."""
    result = conn.execute(statement, params or {})
    try:
        cursor = result.cursor
        return [] if cursor is None else list(cursor.fetchall())
    finally:
        result.close()
