"""Where a run search starts: the experiment's runs, or a selective metric index range.

The filter compiles to correlated ``EXISTS`` probes (``search/runs_sql.py``), so the
natural plan walks the experiments' runs in the requested order and probes each one. That
is right for broad filters (the walk stops as soon as a page is full) and wrong for a
selective metric comparison over a large experiment: ``metrics.m0 > 0.999`` over 100,000
runs probed every run to find about a hundred.

PostgreSQL and MySQL/MariaDB estimate selectivity from their statistics. SQLite has
none unless ``ANALYZE`` ran, so on SQLite the store measures it: it counts the
``(key, value)`` index range of each required metric comparison, up to ``SMALL_RANGE``
entries (an index-only scan), and when one range is that small it starts from it:
``runs.run_uuid IN (its runs)``, with the experiment and lifecycle conditions written
as expressions (``+column``) so that SQLite does not pick the experiment index instead,
and the rest of the filter: the range's runs are exactly those its comparison accepts, so
probing them for it again (about a third of the query) is left out. Both plans return the
same rows in the same order.

Pages after the first of a search in the default order start after the last run served
(``after_run``), not at an ``OFFSET``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from tracklog.search import SqlSearch
from tracklog.store.sql import schema as s

__all__ = ["SMALL_RANGE", "after_run", "scope"]

#: The largest index range a search starts from (about a millisecond of lookups per 1000).
SMALL_RANGE = 2000

_PLUS: operators.custom_op[Any] = operators.custom_op("+")


def _no_index(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``+column``: the same value, but SQLite cannot serve the condition from an index."""
    return UnaryExpression(column, operator=_PLUS, type_=column.type)


@functools.lru_cache(maxsize=512)
def _counted(index_range: Select[tuple[str]]) -> Select[int]:
    """Built once per compiled search (those are memoized too): building and cache-keying a
    new statement costs about as much as running this one."""
    return select(func.count()).select_from(index_range.limit(SMALL_RANGE + 1).subquery())


def _range_size(conn: Connection, index_range: Select[tuple[str]]) -> int:
    return int(conn.execute(_counted(index_range)).scalar_one())


def scope(
    conn: Connection, search: SqlSearch, experiment_ids: Sequence[int], stages: Sequence[str]
) -> list[ColumnElement[bool]]:
    """The conditions of a run search: the experiments, the lifecycle stages and the filter;
    when SQLite should start from a small index range, that range and the rest of the filter."""
    runs = s.runs
    if conn.dialect.name == "sqlite" and search.candidates:
        sizes = [(_range_size(conn, c.index_range), i) for i, c in enumerate(search.candidates)]
        size, best = min(sizes)
        if size <= SMALL_RANGE:
            start = search.candidates[best]
            return [
                runs.c.run_uuid.in_(start.runs),
                _no_index(runs.c.experiment_id).in_(experiment_ids),
                _no_index(runs.c.lifecycle_stage).in_(stages),
                *([] if start.rest is None else [start.rest]),
            ]
    scoped: list[ColumnElement[bool]] = [runs.c.experiment_id.in_(experiment_ids), runs.c.lifecycle_stage.in_(stages)]
    return scoped if search.where is None else [*scoped, search.where]


def after_run(start_time: int | None, run_id: str) -> ColumnElement[bool]:
    """The runs after (``start_time``, ``run_id``) in the default order (``start_time DESC``,
    NULL last, then ``run_id``): a page that starts there instead of at an ``OFFSET`` does not
    walk (and, with a filter, probe) every run of the earlier pages again."""
    runs = s.runs
    if start_time is None:
        return and_(runs.c.start_time.is_(None), runs.c.run_uuid > run_id)
    return or_(
        runs.c.start_time < start_time,
        and_(runs.c.start_time == start_time, runs.c.run_uuid > run_id),
        runs.c.start_time.is_(None),
    )
