"""The few statements whose SQL differs per database: insert-if-absent and upsert.

PostgreSQL and SQLite use ``INSERT ... ON CONFLICT``; MySQL/MariaDB use
``INSERT ... ON DUPLICATE KEY UPDATE`` (a no-op assignment stands in for
"do nothing" so that, unlike ``INSERT IGNORE``, no other error is swallowed).
Every helper takes a list of row dicts and runs one statement: an executemany
on SQLite and MySQL (PyMySQL folds it into one multi-row INSERT), and on
PostgreSQL one ``INSERT ... SELECT * FROM unnest(<one array per column>)``,
whose SQL text is constant (cached, prepared) and costs one round trip per
batch instead of one per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Column, Connection, Table, TextClause, func, select, text
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.dialects.postgresql.base import PGDialect

from tracklog.store.sql import driver

_PG = PGDialect()  # type: ignore[no-untyped-call]
_pg_statements: dict[tuple[str, tuple[str, ...], str], TextClause] = {}


def pg_unnest_insert(table: Table, columns: tuple[str, ...], conflict: str) -> TextClause:
    """``INSERT INTO t (cols) SELECT * FROM unnest(:col::type[], ...) <conflict>`` (cached)."""
    key = (table.name, columns, conflict)
    stmt = _pg_statements.get(key)
    if stmt is None:
        names = ", ".join(f'"{c}"' for c in columns)
        arrays = ", ".join(f"CAST(:{c} AS {table.c[c].type.compile(dialect=_PG)}[])" for c in columns)
        stmt = text(f'INSERT INTO "{table.name}" ({names}) SELECT * FROM unnest({arrays}) {conflict}')
        _pg_statements[key] = stmt
    return stmt


def columnar(rows: Sequence[dict[str, Any]], columns: tuple[str, ...]) -> dict[str, list[Any]]:
    return {c: [r.get(c) for r in rows] for c in columns}


def _columns(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns)


_JSON_TYPES = {"BIGINTEGER": "BIGINT", "SMALLINTEGER": "SMALLINT", "INTEGER": "INT", "DOUBLE": "DOUBLE"}
_mysql_json_statements: dict[str, TextClause] = {}


def _mysql_json_insert(table: Table) -> TextClause:
    """``INSERT ... SELECT FROM JSON_TABLE(:doc ...)``: one string parameter for the whole batch.

    PyMySQL escapes every parameter in Python; for a 1000-row batch, one JSON
    document (encoded by orjson) is several times cheaper than 6000 values.
    Only for tables without NULLable columns (JSON null handling differs)."""
    stmt = _mysql_json_statements.get(table.name)
    if stmt is None:
        specs = []
        for i, col in enumerate(table.columns):
            type_name = type(col.type).__name__.upper()
            length = getattr(col.type, "length", None)
            sql_type = f"VARCHAR({length})" if length else _JSON_TYPES[type_name]
            specs.append(f"`{col.name}` {sql_type} PATH '$[{i}]'")
        names = ", ".join(f"`{c.name}`" for c in table.columns)
        selected = ", ".join(f"j.`{c.name}`" for c in table.columns)
        first = next(iter(table.primary_key.columns)).name
        stmt = text(
            f"INSERT INTO `{table.name}` ({names}) SELECT {selected} FROM "
            f"JSON_TABLE(:doc, '$[*]' COLUMNS ({', '.join(specs)})) AS j "
            f"ON DUPLICATE KEY UPDATE `{first}` = `{table.name}`.`{first}`"
        )
        _mysql_json_statements[table.name] = stmt
    return stmt


_sqlite_statements: dict[str, str] = {}


def _sqlite_insert_ignore(table: Table) -> str:
    """``INSERT ... VALUES (?, ...) ON CONFLICT DO NOTHING`` in the driver's own (qmark) style."""
    sql = _sqlite_statements.get(table.name)
    if sql is None:
        names = ", ".join(f'"{c.name}"' for c in table.columns)
        marks = ", ".join("?" for _ in table.columns)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING'
        _sqlite_statements[table.name] = sql
    return sql


def insert_ignore_bulk(conn: Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """``insert_ignore`` for large batches of tuples, in the table's column order, into a table
    without NULLable columns (metric points).

    Cheaper than the Core statement per row dict: MySQL/MariaDB get one JSON document,
    PostgreSQL one array per column, SQLite one ``executemany`` in the driver's own SQL (the
    columns are plain numbers and strings: SQLAlchemy's type processing would do nothing)."""
    if not rows:
        return
    name = conn.dialect.name
    if name == "sqlite":
        driver.run(conn, _sqlite_insert_ignore(table), list(rows))
    elif name in ("mysql", "mariadb"):
        conn.execute(_mysql_json_insert(table), {"doc": orjson.dumps(rows).decode()})
    else:
        cols = _columns(table)
        arrays = dict(zip(cols, (list(column) for column in zip(*rows, strict=True)), strict=True))
        conn.execute(pg_unnest_insert(table, cols, "ON CONFLICT DO NOTHING"), arrays)


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows; rows whose primary key (or unique key) already exists are skipped."""
    if not rows:
        return
    name = conn.dialect.name
    if name == "postgresql":
        cols = _columns(table)
        conn.execute(pg_unnest_insert(table, cols, "ON CONFLICT DO NOTHING"), columnar(rows, cols))
    elif name == "sqlite":
        conn.execute(sqlite.insert(table).on_conflict_do_nothing(), list(rows))
    else:
        first_pk = next(iter(table.primary_key.columns))
        stmt = mysql.insert(table).on_duplicate_key_update({first_pk.name: first_pk})
        conn.execute(stmt, list(rows))


def upsert(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], update: Sequence[str]
) -> None:
    """Insert rows; on a primary-key conflict overwrite the ``update`` columns (last write wins)."""
    if not rows:
        return
    name = conn.dialect.name
    keys = [c.name for c in table.primary_key.columns]
    if name == "postgresql":
        cols = tuple(c for c in _columns(table) if c in rows[0])
        sets = ", ".join(f'"{c}" = excluded."{c}"' for c in update)
        targets = ", ".join(f'"{k}"' for k in keys)
        upsert_sql = pg_unnest_insert(table, cols, f"ON CONFLICT ({targets}) DO UPDATE SET {sets}")
        conn.execute(upsert_sql, columnar(rows, cols))
    elif name == "sqlite":
        ins = sqlite.insert(table)
        stmt = ins.on_conflict_do_update(
            index_elements=keys, set_={c: ins.excluded[c] for c in update}
        )
        conn.execute(stmt, list(rows))
    else:
        mins = mysql.insert(table)
        conn.execute(mins.on_duplicate_key_update({c: mins.inserted[c] for c in update}), list(rows))


def sync_id_sequence(conn: Connection, column: Column[Any]) -> None:
    """After inserting a chosen value into an auto-increment column, keep generated ids above it.

    SQLite and MySQL continue from the highest value by themselves; a PostgreSQL
    sequence does not, so it is moved forward (never back) past the chosen value."""
    if conn.dialect.name != "postgresql":
        return
    seq = conn.execute(
        text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": column.table.name, "c": column.name}
    ).scalar()
    if seq is None:
        return
    highest = conn.execute(select(func.max(column))).scalar()
    # ``seq`` comes from the catalog (schema-qualified, quoted as needed), not from a caller.
    conn.execute(
        text(f"SELECT setval(CAST(:seq AS regclass), GREATEST(:top, (SELECT last_value FROM {seq})))"),
        {"seq": seq, "top": int(highest or 1)},
    )
