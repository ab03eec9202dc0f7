"""The SQL tracking store (SQLite, PostgreSQL, MySQL/MariaDB).

``SqlStore`` is imported lazily so that ``tracklog.store.sql.schema`` can be used
(by the search compiler) without loading the whole store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracklog.store.sql.store import SqlStore

__all__ = ["SqlStore"]


def __getattr__(name: str) -> Any:
    if name == "SqlStore":
        from tracklog.store.sql.store import SqlStore

        return SqlStore
    raise AttributeError(name)
