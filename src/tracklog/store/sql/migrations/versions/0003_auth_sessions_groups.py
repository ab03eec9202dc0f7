"""Browser sign-in sessions, groups, group members and group experiment permissions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Additive only. Types are spelled out here (not imported from ``schema.py``), like in 0001.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# _str and _fk repeat 0002's on purpose: a migration is frozen and imports no code that can change later.


def _str(length: int) -> TypeEngine[str]:
    bin_varchar = mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin")
    return sa.String(length).with_variant(bin_varchar, "mysql").with_variant(bin_varchar, "mariadb")


def _fk(table: str, column: str, target: str, target_column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.{target_column}"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "auth_sessions",
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_version", sa.Integer(), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("expiration_time", sa.BigInteger(), nullable=False),
        _fk("auth_sessions", "user_id", "auth_users", "user_id"),
        sa.PrimaryKeyConstraint("session_hash", name="pk_auth_sessions"),
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"])
    op.create_table(
        "auth_groups",
        sa.Column("group_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", _str(256), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", name="pk_auth_groups"),
        sa.UniqueConstraint("name", name="uq_auth_groups_name"),
    )
    op.create_table(
        "auth_group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _fk("auth_group_members", "group_id", "auth_groups", "group_id"),
        _fk("auth_group_members", "user_id", "auth_users", "user_id"),
        sa.PrimaryKeyConstraint("group_id", "user_id", name="pk_auth_group_members"),
    )
    op.create_index("ix_auth_group_members_user_id", "auth_group_members", ["user_id"])
    op.create_table(
        "auth_group_experiment_permissions",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("permission", sa.String(32), nullable=False),
        _fk("auth_group_experiment_permissions", "experiment_id", "experiments", "experiment_id"),
        _fk("auth_group_experiment_permissions", "group_id", "auth_groups", "group_id"),
        sa.PrimaryKeyConstraint("experiment_id", "group_id", name="pk_auth_group_experiment_permissions"),
    )
    op.create_index(
        "ix_auth_group_experiment_permissions_group_id", "auth_group_experiment_permissions", ["group_id"]
    )


def downgrade() -> None:
    for table in ("auth_group_experiment_permissions", "auth_group_members", "auth_groups", "auth_sessions"):
        op.drop_table(table)
