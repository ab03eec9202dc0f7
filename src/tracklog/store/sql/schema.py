"""Table definitions of the SQL tracking store (SQLAlchemy Core).

This module is the single description of the schema: the Alembic migrations in
``migrations/versions`` create exactly these tables, and a test compares the
two. Design notes:

* Strings that are compared in searches use a binary collation on MySQL/MariaDB
  so ``=`` and ``LIKE`` are case-sensitive there too, as on SQLite (with
  ``PRAGMA case_sensitive_like``) and PostgreSQL.
* Metric values: ``value`` holds a finite double (NaN -> 0.0, +/-Inf -> +/-DBL_MAX,
  so SQL comparisons and ordering behave) and ``value_kind`` holds the truth
  (see ``ValueKind``), so NaN and +/-Infinity are read back exactly on every
  database, including MySQL which has no non-finite doubles.
* ``metrics`` is the full history (identical points are deduplicated by the
  primary key, which makes retried writes idempotent); ``latest_metrics`` keeps
  the latest value per (run, key) plus min/max, maintained on write.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class ValueKind(enum.IntEnum):
    """How to read ``metrics.value``: the stored double, or a non-finite value."""

    FINITE = 0
    NAN = 1
    POS_INF = 2
    NEG_INF = 3
    # SQLite stores a REAL that equals an integer as an integer, dropping the sign of -0.0.
    # A NEG_ZERO row is a finite number (``value`` is 0.0): compare it like FINITE.
    NEG_ZERO = 4


#: The kinds whose ``value`` column is the number itself (use this, not ``== FINITE``).
FINITE_KINDS = (int(ValueKind.FINITE), int(ValueKind.NEG_ZERO))


def Str(length: int) -> TypeEngine[str]:  # noqa: N802 - reads like a type
    """VARCHAR(length), with a case-sensitive binary collation on MySQL/MariaDB."""
    return (
        String(length)
        .with_variant(mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql")
        .with_variant(mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mariadb")
    )


def LongText() -> TypeEngine[str]:  # noqa: N802
    """Unbounded text (LONGTEXT on MySQL so dataset profiles up to 16 MB fit)."""
    return (
        Text()
        .with_variant(mysql.LONGTEXT(charset="utf8mb4", collation="utf8mb4_bin"), "mysql")
        .with_variant(mysql.LONGTEXT(charset="utf8mb4", collation="utf8mb4_bin"), "mariadb")
    )


RUN_ID = 32
KEY = 250
MODEL_ID = 64


def _cascade_fk(
    target: str, type_: TypeEngine[Any] | type[TypeEngine[Any]] = Integer, *, primary_key: bool = False
) -> Column[Any]:
    """A NOT NULL column named like ``target``'s ("table.column"), whose row goes when the row it names goes."""
    name = target.split(".", 1)[1]
    return Column(name, type_, ForeignKey(target, ondelete="CASCADE"), primary_key=primary_key, nullable=False)


experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", Str(500), nullable=False, unique=True),
    Column("artifact_location", Str(2000), nullable=False),
    Column("lifecycle_stage", String(20), nullable=False, server_default="active"),
    Column("creation_time", BigInteger, nullable=True),
    Column("last_update_time", BigInteger, nullable=True),
    Column("deleted_time", BigInteger, nullable=True),
    CheckConstraint("lifecycle_stage IN ('active', 'deleted')", name="lifecycle_stage"),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    _cascade_fk("experiments.experiment_id", primary_key=True),
    Column("key", Str(KEY), primary_key=True),
    Column("value", LongText(), nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_uuid", Str(RUN_ID), primary_key=True),
    Column("name", Str(250), nullable=False),
    _cascade_fk("experiments.experiment_id"),
    Column("user_id", Str(256), nullable=False, server_default=""),
    Column("status", String(20), nullable=False),
    Column("start_time", BigInteger, nullable=True),
    Column("end_time", BigInteger, nullable=True),
    Column("deleted_time", BigInteger, nullable=True),
    Column("lifecycle_stage", String(20), nullable=False, server_default="active"),
    Column("artifact_uri", Str(2000), nullable=False),
    CheckConstraint(
        "status IN ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')", name="status"
    ),
    CheckConstraint("lifecycle_stage IN ('active', 'deleted')", name="lifecycle_stage"),
    Index("ix_runs_experiment_stage_start", "experiment_id", "lifecycle_stage", "start_time"),
    Index("ix_runs_name", "name"),
)


def _run_fk() -> Column[str]:
    return _cascade_fk("runs.run_uuid", Str(RUN_ID), primary_key=True)


params = Table(
    "params",
    metadata,
    _run_fk(),
    Column("key", Str(KEY), primary_key=True),
    Column("value", Str(6000), nullable=False),
    Index("ix_params_key_run", "key", "run_uuid"),
    # SQLite only (migration 0006): where a search starts from ``params.k = 'v'`` (``search_plan.py``).
    # A 6,000-character value does not fit a B-tree entry on PostgreSQL or MySQL/MariaDB.
    Index("ix_params_key_value", "key", "value").ddl_if(dialect="sqlite"),
)

tags = Table(
    "tags",
    metadata,
    _run_fk(),
    Column("key", Str(KEY), primary_key=True),
    Column("value", Str(8000), nullable=False),
    Index("ix_tags_key_run", "key", "run_uuid"),
)

metrics = Table(
    "metrics",
    metadata,
    _run_fk(),
    Column("key", Str(KEY), primary_key=True),
    Column("step", BigInteger, primary_key=True),
    Column("timestamp", BigInteger, primary_key=True),
    Column("value_kind", SmallInteger, primary_key=True),
    Column("value", Double, primary_key=True),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    _run_fk(),
    Column("key", Str(KEY), primary_key=True),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value_kind", SmallInteger, nullable=False),
    Column("value", Double, nullable=False),
    # min/max over every non-NaN point (clamped like ``value``); NULL while only NaN was seen.
    Column("min_value", Double, nullable=True),
    Column("max_value", Double, nullable=True),
    Index("ix_latest_metrics_key_value", "key", "value"),
)

# Chart roll-ups of long metric histories (see ``rollups.py``): per (run, key) the bucket width,
# a write counter bumped by every metric write to the key and the lowest step written since the
# buckets were last brought up to date (NULL: up to date).
metric_rollup_state = Table(
    "metric_rollup_state",
    metadata,
    _run_fk(),
    Column("key", Str(KEY), primary_key=True),
    Column("width", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("dirty_from", BigInteger, nullable=True),
)

# The buckets of a roll-up, ``ROLLUP_CHUNK`` consecutive bucket indexes per row (chunk = index // 256),
# packed as little-endian records (see ``rollups.RECORD``): reading 3,000 buckets is 12 rows, not 3,000.
# ``level`` 0 holds the base buckets, level 2 the same merged 4 at a time.
metric_rollups = Table(
    "metric_rollups",
    metadata,
    _run_fk(),
    Column("key", Str(KEY), primary_key=True),
    Column("level", SmallInteger, primary_key=True),
    Column("chunk", BigInteger, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

datasets = Table(
    "datasets",
    metadata,
    Column("dataset_uuid", String(36), primary_key=True),
    _cascade_fk("experiments.experiment_id"),
    Column("name", Str(500), nullable=False),
    Column("digest", Str(36), nullable=False),
    Column("source_type", Str(36), nullable=False),
    Column("source", LongText(), nullable=False),
    Column("schema", LongText(), nullable=True),
    Column("profile", LongText(), nullable=True),
    Index("uq_datasets_experiment_name_digest", "experiment_id", "name", "digest", unique=True),
)

run_inputs = Table(
    "run_inputs",
    metadata,
    _run_fk(),
    _cascade_fk("datasets.dataset_uuid", String(36), primary_key=True),
)

input_tags = Table(
    "input_tags",
    metadata,
    _run_fk(),
    Column("dataset_uuid", String(36), primary_key=True),
    Column("key", Str(255), primary_key=True),
    Column("value", Str(500), nullable=False),
)

logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", String(MODEL_ID), primary_key=True),
    _cascade_fk("experiments.experiment_id"),
    Column("name", Str(500), nullable=False),
    Column("model_type", Str(500), nullable=True),
    Column("source_run_id", Str(RUN_ID), nullable=True),
    Column("status", String(40), nullable=False),
    Column("status_message", LongText(), nullable=True),
    Column("artifact_uri", Str(2000), nullable=False),
    Column("creation_timestamp_ms", BigInteger, nullable=False),
    Column("last_updated_timestamp_ms", BigInteger, nullable=False),
    Column("lifecycle_stage", String(20), nullable=False, server_default="active"),
    Index("ix_logged_models_experiment_created", "experiment_id", "creation_timestamp_ms"),
    Index("ix_logged_models_source_run", "source_run_id"),
)


def _model_fk() -> Column[str]:
    return _cascade_fk("logged_models.model_id", String(MODEL_ID), primary_key=True)


logged_model_tags = Table(
    "logged_model_tags",
    metadata,
    _model_fk(),
    Column("key", Str(KEY), primary_key=True),
    Column("value", LongText(), nullable=False),
)

logged_model_params = Table(
    "logged_model_params",
    metadata,
    _model_fk(),
    Column("key", Str(KEY), primary_key=True),
    Column("value", LongText(), nullable=False),
)

logged_model_metrics = Table(
    "logged_model_metrics",
    metadata,
    _model_fk(),
    Column("run_uuid", Str(RUN_ID), primary_key=True),
    Column("key", Str(KEY), primary_key=True),
    Column("step", BigInteger, primary_key=True),
    Column("timestamp", BigInteger, primary_key=True),
    Column("value_kind", SmallInteger, nullable=False),
    Column("value", Double, nullable=False),
    Column("dataset_name", Str(500), nullable=True),
    Column("dataset_digest", Str(36), nullable=True),
)

run_model_inputs = Table(
    "run_model_inputs",
    metadata,
    _run_fk(),
    Column("model_id", String(MODEL_ID), primary_key=True),
)

run_model_outputs = Table(
    "run_model_outputs",
    metadata,
    _run_fk(),
    Column("model_id", String(MODEL_ID), primary_key=True),
    Column("step", BigInteger, nullable=False, server_default="0"),
)

# -- authentication and authorization (``tracklog server --auth``) --------------------------------
# Permission rows reference experiments and users with ON DELETE CASCADE, so they can never
# outlive what they describe (MLflow's separate auth database drifts from the tracking one).

auth_users = Table(
    "auth_users",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=True),
    Column("username", Str(256), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=True),  # NULL: proxy or token-only user
    Column("is_admin", Boolean, nullable=False, server_default="0"),
    # Bumped on every password change: cached Basic verifications of older passwords die.
    Column("credential_version", Integer, nullable=False, server_default="0"),
    Column("creation_time", BigInteger, nullable=False),
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("token_id", Integer, primary_key=True, autoincrement=True),
    _cascade_fk("auth_users.user_id"),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 hex of the token
    Column("name", Str(256), nullable=False, server_default=""),
    Column("creation_time", BigInteger, nullable=False),
    Column("expiration_time", BigInteger, nullable=True),  # NULL: never expires
    Index("ix_auth_tokens_user_id", "user_id"),
)

auth_experiment_permissions = Table(
    "auth_experiment_permissions",
    metadata,
    _cascade_fk("experiments.experiment_id", primary_key=True),
    _cascade_fk("auth_users.user_id", primary_key=True),
    Column("permission", String(32), nullable=False),
    Index("ix_auth_experiment_permissions_user_id", "user_id"),
)

# Browser sign-in sessions: only the SHA-256 of the cookie's secret is stored. A session dies at
# ``expiration_time``, on sign-out, and when the user's credential_version moves on (new password,
# admin flag changed) or the user is deleted.
auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    _cascade_fk("auth_users.user_id"),
    Column("credential_version", Integer, nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("expiration_time", BigInteger, nullable=False),
    Index("ix_auth_sessions_user_id", "user_id"),
)

# Groups: experiment permissions granted to a group apply to each member (the highest grant wins).
auth_groups = Table(
    "auth_groups",
    metadata,
    Column("group_id", Integer, primary_key=True, autoincrement=True),
    Column("name", Str(256), nullable=False, unique=True),
    Column("creation_time", BigInteger, nullable=False),
)

auth_group_members = Table(
    "auth_group_members",
    metadata,
    _cascade_fk("auth_groups.group_id", primary_key=True),
    _cascade_fk("auth_users.user_id", primary_key=True),
    Index("ix_auth_group_members_user_id", "user_id"),
)

auth_group_experiment_permissions = Table(
    "auth_group_experiment_permissions",
    metadata,
    _cascade_fk("experiments.experiment_id", primary_key=True),
    _cascade_fk("auth_groups.group_id", primary_key=True),
    Column("permission", String(32), nullable=False),
    Index("ix_auth_group_experiment_permissions_group_id", "group_id"),
)
