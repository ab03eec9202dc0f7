"""Hot-path statements written in SQL text and run through the driver with little in between.

A Core statement costs, on every execution, its construction, its cache key, the
compiled-cache lookup and per-parameter processing: several times what SQLite takes to
run a one-row INSERT or a primary-key SELECT. ``execute(conn, sql, params)`` runs a
constant SQL text with ``:name`` parameters through ``Connection.exec_driver_sql``, so
SQLAlchemy's transaction, events and error wrapping (``DBAPIError``, which the retry
policy of ``db.py`` reads) stay in place. The text is rewritten once per dialect into the
driver's style: sqlite3 takes ``:name`` itself; psycopg and PyMySQL take ``%(name)s``;
MySQL/MariaDB quote identifiers with backticks.

Only for statements spelled the same on every database, whose values need no type
processing (strings, integers, floats and None reach the drivers as they are) and whose
text holds no string literal with a double quote or a colon.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, CursorResult

__all__ = ["driver_sql", "execute"]

_NAME = re.compile(r"(?<![:\w]):(\w+)")
_texts: dict[tuple[str, str], str] = {}

Params = Mapping[str, Any] | Sequence[Mapping[str, Any]]


def driver_sql(dialect: str, sql: str) -> str:
    """``sql`` (``:name`` parameters, ``"quoted"`` identifiers) in the driver's own spelling."""
    key = (dialect, sql)
    text = _texts.get(key)
    if text is None:
        text = sql
        if dialect != "sqlite":
            text = _NAME.sub(r"%(\1)s", text.replace("%", "%%"))
        if dialect in ("mysql", "mariadb"):
            text = text.replace('"', "`")
        _texts[key] = text
    return text


def execute(conn: Connection, sql: str, params: Params) -> CursorResult[*tuple[Any, ...]]:
    """Run ``sql`` once (a mapping) or for each mapping of a sequence (executemany)."""
    return conn.exec_driver_sql(driver_sql(conn.dialect.name, sql), params)
