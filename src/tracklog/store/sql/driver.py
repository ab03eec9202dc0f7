"""Hot-path statements written in SQL text and run by the driver with little in between.

A Core statement costs, on every execution, its construction, its cache key, the
compiled-cache lookup and per-parameter processing: several times what SQLite takes to
run a one-row INSERT or a primary-key SELECT. The write path (log-metric, log-batch,
runs/create) runs a few constant SQL texts with ``:name`` parameters instead:

* on SQLite straight on the connection's sqlite3 handle, inside the transaction
  SQLAlchemy opened (``Connection.exec_driver_sql`` alone still costs ~8 µs a statement,
  more than SQLite's own work); a driver error is wrapped into the same
  ``sqlalchemy.exc.DBAPIError`` subclass SQLAlchemy would raise, so the retry policy and
  the 503 mapping of ``db.py`` read it as before;
* on PostgreSQL and MySQL/MariaDB through ``Connection.exec_driver_sql``, the text
  rewritten once per dialect into the driver's style (``%(name)s``; backtick-quoted
  identifiers on MySQL).

Only for statements spelled the same on every database, whose values need no type
processing (strings, integers, floats and None reach the drivers as they are) and whose
text holds no string literal with a double quote or a colon. No statement events fire for
the SQLite path (tracklog registers none).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

__all__ = ["driver_sql", "rows", "run"]

_NAME = re.compile(r"(?<![:\w]):(\w+)")
_texts: dict[tuple[str, str], str] = {}

Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]]


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


def rows(conn: Connection, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Every row ``sql`` returns, as the driver's tuples."""
    if conn.dialect.name == "sqlite":
        return list(_sqlite(conn, sql, params, many=False).fetchall())
    result = conn.exec_driver_sql(driver_sql(conn.dialect.name, sql), params)
    return [tuple(row) for row in result]


def run(conn: Connection, sql: str, params: Params) -> None:
    """Execute ``sql`` once (a mapping) or once per item of a list (executemany)."""
    many = not isinstance(params, Mapping)
    if conn.dialect.name == "sqlite":
        _sqlite(conn, sql, params, many).close()
        return
    conn.exec_driver_sql(driver_sql(conn.dialect.name, sql), params)


def _sqlite(conn: Connection, sql: str, params: Params, many: bool) -> Any:
    handle = conn.connection.driver_connection
    assert handle is not None
    try:
        return handle.executemany(sql, params) if many else handle.execute(sql, params)
    except Exception as exc:
        base = conn.dialect.loaded_dbapi.Error
        if not isinstance(exc, base):
            raise
        raise DBAPIError.instance(sql, params, exc, base, dialect=conn.dialect, ismulti=many) from exc
