"""Initial schema: experiments, runs, metrics, params, tags, datasets, logged models.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

The types are spelled out here (not imported from ``schema.py``) so that this
revision keeps creating the same tables when ``schema.py`` moves on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _str(length: int) -> TypeEngine[str]:
    bin_varchar = mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin")
    return sa.String(length).with_variant(bin_varchar, "mysql").with_variant(bin_varchar, "mariadb")


def _longtext() -> TypeEngine[str]:
    long = mysql.LONGTEXT(charset="utf8mb4", collation="utf8mb4_bin")
    return sa.Text().with_variant(long, "mysql").with_variant(long, "mariadb")


def _fk(table: str, column: str, target: str, target_column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.{target_column}"],
        name=f"fk_{table}_{column}_{target}",
        ondelete="CASCADE",
    )


def _run_uuid() -> sa.Column[str]:
    return sa.Column("run_uuid", _str(32), nullable=False)


def _model_id() -> sa.Column[str]:
    return sa.Column("model_id", sa.String(64), nullable=False)


def upgrade() -> None:
    _experiments()
    _runs()
    _run_children()
    _datasets()
    _logged_models()


def _experiments() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", _str(500), nullable=False),
        sa.Column("artifact_location", _str(2000), nullable=False),
        sa.Column("lifecycle_stage", sa.String(20), server_default="active", nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=True),
        sa.Column("last_update_time", sa.BigInteger(), nullable=True),
        sa.Column("deleted_time", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "lifecycle_stage IN ('active', 'deleted')", name="ck_experiments_lifecycle_stage"
        ),
        sa.PrimaryKeyConstraint("experiment_id", name="pk_experiments"),
        sa.UniqueConstraint("name", name="uq_experiments_name"),
    )
    op.create_table(
        "experiment_tags",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("key", _str(250), nullable=False),
        sa.Column("value", _longtext(), nullable=False),
        _fk("experiment_tags", "experiment_id", "experiments", "experiment_id"),
        sa.PrimaryKeyConstraint("experiment_id", "key", name="pk_experiment_tags"),
    )


def _runs() -> None:
    op.create_table(
        "runs",
        sa.Column("run_uuid", _str(32), nullable=False),
        sa.Column("name", _str(250), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", _str(256), server_default="", nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=True),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        sa.Column("deleted_time", sa.BigInteger(), nullable=True),
        sa.Column("lifecycle_stage", sa.String(20), server_default="active", nullable=False),
        sa.Column("artifact_uri", _str(2000), nullable=False),
        sa.CheckConstraint(
            "status IN ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')", name="ck_runs_status"
        ),
        sa.CheckConstraint("lifecycle_stage IN ('active', 'deleted')", name="ck_runs_lifecycle_stage"),
        _fk("runs", "experiment_id", "experiments", "experiment_id"),
        sa.PrimaryKeyConstraint("run_uuid", name="pk_runs"),
    )
    op.create_index(
        "ix_runs_experiment_stage_start", "runs", ["experiment_id", "lifecycle_stage", "start_time"]
    )
    op.create_index("ix_runs_name", "runs", ["name"])


def _run_children() -> None:
    for table, value_length in (("params", 6000), ("tags", 8000)):
        op.create_table(
            table,
            _run_uuid(),
            sa.Column("key", _str(250), nullable=False),
            sa.Column("value", _str(value_length), nullable=False),
            _fk(table, "run_uuid", "runs", "run_uuid"),
            sa.PrimaryKeyConstraint("run_uuid", "key", name=f"pk_{table}"),
        )
        op.create_index(f"ix_{table}_key_run", table, ["key", "run_uuid"])
    op.create_table(
        "metrics",
        _run_uuid(),
        sa.Column("key", _str(250), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("value_kind", sa.SmallInteger(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        _fk("metrics", "run_uuid", "runs", "run_uuid"),
        sa.PrimaryKeyConstraint(
            "run_uuid", "key", "step", "timestamp", "value_kind", "value", name="pk_metrics"
        ),
    )
    op.create_table(
        "latest_metrics",
        _run_uuid(),
        sa.Column("key", _str(250), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("value_kind", sa.SmallInteger(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("min_value", sa.Double(), nullable=True),
        sa.Column("max_value", sa.Double(), nullable=True),
        _fk("latest_metrics", "run_uuid", "runs", "run_uuid"),
        sa.PrimaryKeyConstraint("run_uuid", "key", name="pk_latest_metrics"),
    )
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.create_table(
        "run_model_inputs",
        _run_uuid(),
        _model_id(),
        _fk("run_model_inputs", "run_uuid", "runs", "run_uuid"),
        sa.PrimaryKeyConstraint("run_uuid", "model_id", name="pk_run_model_inputs"),
    )
    op.create_table(
        "run_model_outputs",
        _run_uuid(),
        _model_id(),
        sa.Column("step", sa.BigInteger(), server_default="0", nullable=False),
        _fk("run_model_outputs", "run_uuid", "runs", "run_uuid"),
        sa.PrimaryKeyConstraint("run_uuid", "model_id", name="pk_run_model_outputs"),
    )


def _datasets() -> None:
    op.create_table(
        "datasets",
        sa.Column("dataset_uuid", sa.String(36), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", _str(500), nullable=False),
        sa.Column("digest", _str(36), nullable=False),
        sa.Column("source_type", _str(36), nullable=False),
        sa.Column("source", _longtext(), nullable=False),
        sa.Column("schema", _longtext(), nullable=True),
        sa.Column("profile", _longtext(), nullable=True),
        _fk("datasets", "experiment_id", "experiments", "experiment_id"),
        sa.PrimaryKeyConstraint("dataset_uuid", name="pk_datasets"),
    )
    op.create_index(
        "uq_datasets_experiment_name_digest",
        "datasets",
        ["experiment_id", "name", "digest"],
        unique=True,
    )
    op.create_table(
        "run_inputs",
        _run_uuid(),
        sa.Column("dataset_uuid", sa.String(36), nullable=False),
        _fk("run_inputs", "run_uuid", "runs", "run_uuid"),
        _fk("run_inputs", "dataset_uuid", "datasets", "dataset_uuid"),
        sa.PrimaryKeyConstraint("run_uuid", "dataset_uuid", name="pk_run_inputs"),
    )
    op.create_table(
        "input_tags",
        _run_uuid(),
        sa.Column("dataset_uuid", sa.String(36), nullable=False),
        sa.Column("key", _str(255), nullable=False),
        sa.Column("value", _str(500), nullable=False),
        _fk("input_tags", "run_uuid", "runs", "run_uuid"),
        sa.PrimaryKeyConstraint("run_uuid", "dataset_uuid", "key", name="pk_input_tags"),
    )


def _logged_models() -> None:
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", _str(500), nullable=False),
        sa.Column("model_type", _str(500), nullable=True),
        sa.Column("source_run_id", _str(32), nullable=True),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("status_message", _longtext(), nullable=True),
        sa.Column("artifact_uri", _str(2000), nullable=False),
        sa.Column("creation_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("lifecycle_stage", sa.String(20), server_default="active", nullable=False),
        _fk("logged_models", "experiment_id", "experiments", "experiment_id"),
        sa.PrimaryKeyConstraint("model_id", name="pk_logged_models"),
    )
    op.create_index(
        "ix_logged_models_experiment_created",
        "logged_models",
        ["experiment_id", "creation_timestamp_ms"],
    )
    op.create_index("ix_logged_models_source_run", "logged_models", ["source_run_id"])
    for table in ("logged_model_tags", "logged_model_params"):
        op.create_table(
            table,
            _model_id(),
            sa.Column("key", _str(250), nullable=False),
            sa.Column("value", _longtext(), nullable=False),
            _fk(table, "model_id", "logged_models", "model_id"),
            sa.PrimaryKeyConstraint("model_id", "key", name=f"pk_{table}"),
        )
    op.create_table(
        "logged_model_metrics",
        _model_id(),
        _run_uuid(),
        sa.Column("key", _str(250), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("value_kind", sa.SmallInteger(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("dataset_name", _str(500), nullable=True),
        sa.Column("dataset_digest", _str(36), nullable=True),
        _fk("logged_model_metrics", "model_id", "logged_models", "model_id"),
        sa.PrimaryKeyConstraint(
            "model_id", "run_uuid", "key", "step", "timestamp", name="pk_logged_model_metrics"
        ),
    )


def downgrade() -> None:
    for table in (
        "logged_model_metrics",
        "logged_model_params",
        "logged_model_tags",
        "logged_models",
        "input_tags",
        "run_inputs",
        "datasets",
        "run_model_outputs",
        "run_model_inputs",
        "latest_metrics",
        "metrics",
        "tags",
        "params",
        "runs",
        "experiment_tags",
        "experiments",
    ):
        op.drop_table(table)
