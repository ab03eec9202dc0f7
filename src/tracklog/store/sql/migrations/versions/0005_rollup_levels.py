"""Chart roll-ups: a ``level`` per stored row (0: base buckets, 2: merged 4 at a time).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

``metric_rollups`` is a cache, so it is re-created empty (its primary key gains ``level``) and every
roll-up state is marked "never built": the next chart view of a run rebuilds it from ``metrics``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NEVER = -(2**63)  # rollups.NEVER


def _str(length: int) -> TypeEngine[str]:
    bin_varchar = mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin")
    return sa.String(length).with_variant(bin_varchar, "mysql").with_variant(bin_varchar, "mariadb")


def _create(with_level: bool) -> None:
    op.create_table(
        "metric_rollups",
        sa.Column("run_uuid", _str(32), nullable=False),
        sa.Column("key", _str(250), nullable=False),
        *([sa.Column("level", sa.SmallInteger(), nullable=False)] if with_level else []),
        sa.Column("chunk", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"], name="fk_metric_rollups_run_uuid_runs",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_uuid", "key", *(["level"] if with_level else []), "chunk",
                                name="pk_metric_rollups"),
    )


def upgrade() -> None:
    op.drop_table("metric_rollups")
    _create(with_level=True)
    op.execute(sa.text(f"UPDATE metric_rollup_state SET dirty_from = {_NEVER}"))


def downgrade() -> None:
    op.drop_table("metric_rollups")
    _create(with_level=False)
    op.execute(sa.text(f"UPDATE metric_rollup_state SET dirty_from = {_NEVER}"))
