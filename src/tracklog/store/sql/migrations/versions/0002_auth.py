"""Authentication and authorization tables: users, access tokens, experiment permissions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Additive only: the tracking tables are untouched. Types are spelled out here (not
imported from ``schema.py``), like in 0001.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _str(length: int) -> TypeEngine[str]:
    bin_varchar = mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin")
    return sa.String(length).with_variant(bin_varchar, "mysql").with_variant(bin_varchar, "mariadb")


def _fk(table: str, column: str, target: str, target_column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.{target_column}"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "auth_users",
        sa.Column("user_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", _str(256), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("is_admin", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("credential_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_auth_users"),
        sa.UniqueConstraint("username", name="uq_auth_users_username"),
    )
    op.create_table(
        "auth_tokens",
        sa.Column("token_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("name", _str(256), server_default="", nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("expiration_time", sa.BigInteger(), nullable=True),
        _fk("auth_tokens", "user_id", "auth_users", "user_id"),
        sa.PrimaryKeyConstraint("token_id", name="pk_auth_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_auth_tokens_token_hash"),
    )
    op.create_index("ix_auth_tokens_user_id", "auth_tokens", ["user_id"])
    op.create_table(
        "auth_experiment_permissions",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("permission", sa.String(32), nullable=False),
        _fk("auth_experiment_permissions", "experiment_id", "experiments", "experiment_id"),
        _fk("auth_experiment_permissions", "user_id", "auth_users", "user_id"),
        sa.PrimaryKeyConstraint("experiment_id", "user_id", name="pk_auth_experiment_permissions"),
    )
    op.create_index(
        "ix_auth_experiment_permissions_user_id", "auth_experiment_permissions", ["user_id"]
    )


def downgrade() -> None:
    for table in ("auth_experiment_permissions", "auth_tokens", "auth_users"):
        op.drop_table(table)
