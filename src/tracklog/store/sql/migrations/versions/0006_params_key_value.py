"""SQLite: an index on ``params (key, value)``, so a search can start from a parameter equality.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27

SQLite only (see ``schema.params``): PostgreSQL refuses a B-tree entry over about 2,700 bytes and
MySQL/MariaDB one over 3,072, while a parameter value may hold 6,000 characters; both servers
plan from their own statistics.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _sqlite():
        op.create_index("ix_params_key_value", "params", ["key", "value"])


def downgrade() -> None:
    if _sqlite():
        op.drop_index("ix_params_key_value", table_name="params")
