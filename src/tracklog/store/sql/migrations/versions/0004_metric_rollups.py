"""Chart roll-ups of long metric histories: metric_rollup_state and metric_rollups.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

Additive only. Both tables are a cache that ``rollups.py`` rebuilds from ``metrics`` when a row
is missing, so an upgraded database starts with them empty. Types are spelled out here (not
imported from ``schema.py``), like in 0001.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _str(length: int) -> TypeEngine[str]:
    bin_varchar = mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin")
    return sa.String(length).with_variant(bin_varchar, "mysql").with_variant(bin_varchar, "mariadb")


def _run_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["run_uuid"], ["runs.run_uuid"], name=f"fk_{table}_run_uuid_runs", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "metric_rollup_state",
        sa.Column("run_uuid", _str(32), nullable=False),
        sa.Column("key", _str(250), nullable=False),
        sa.Column("width", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("dirty_from", sa.BigInteger(), nullable=True),
        _run_fk("metric_rollup_state"),
        sa.PrimaryKeyConstraint("run_uuid", "key", name="pk_metric_rollup_state"),
    )
    op.create_table(
        "metric_rollups",
        sa.Column("run_uuid", _str(32), nullable=False),
        sa.Column("key", _str(250), nullable=False),
        sa.Column("chunk", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        _run_fk("metric_rollups"),
        sa.PrimaryKeyConstraint("run_uuid", "key", "chunk", name="pk_metric_rollups"),
    )


def downgrade() -> None:
    op.drop_table("metric_rollups")
    op.drop_table("metric_rollup_state")
