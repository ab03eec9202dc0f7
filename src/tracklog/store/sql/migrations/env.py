"""Alembic environment for tracklog: driven only by ``tracklog.store.sql.migrate``.

There is no ``alembic.ini``: ``migrate.py`` builds the configuration in code and
passes an open connection (already holding the migration lock) through
``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from tracklog.store.sql.migrate import VERSION_TABLE
from tracklog.store.sql.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - misuse guard
    raise RuntimeError("tracklog migrations run through tracklog.store.sql.migrate.upgrade()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
