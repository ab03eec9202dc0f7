"""Experiments: create (atomic get-or-create semantics), read, search, rename, lifecycle, tags."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from tracklog.entities import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    Experiment,
    ExperimentTag,
    LifecycleStage,
    ViewType,
)
from tracklog.exceptions import AlreadyExists, InvalidArgument, NotFound
from tracklog.search import experiments_search
from tracklog.store.sql import driver
from tracklog.store.sql import schema as s
from tracklog.store.sql.db import chunks
from tracklog.store.sql.dialect import sync_id_sequence, upsert
from tracklog.store.sql.paging import decode_token, page_of
from tracklog.store.sql.rows import AnyRow, experiment_from_row, join_uri
from tracklog.validation import (
    MAX_ARTIFACT_LOCATION_LENGTH,
    check_text,
    check_time,
    parse_enum,
    validate_experiment_id,
    validate_experiment_name,
    validate_experiment_tag,
)

ACTIVE = LifecycleStage.ACTIVE.value
DELETED = LifecycleStage.DELETED.value


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def ensure_default(conn: Connection, default_artifact_root: str) -> None:
    """Create experiment 0 "Default" if it is missing (safe against a concurrent creator)."""
    if conn.execute(select(s.experiments.c.experiment_id).where(s.experiments.c.experiment_id == 0)).first():
        return
    now = now_ms()
    row = {
        "experiment_id": 0,
        "name": DEFAULT_EXPERIMENT_NAME,
        "artifact_location": join_uri(default_artifact_root, DEFAULT_EXPERIMENT_ID),
        "lifecycle_stage": ACTIVE,
        "creation_time": now,
        "last_update_time": now,
    }
    mysql = conn.dialect.name in ("mysql", "mariadb")
    if mysql:
        # An explicit 0 in an AUTO_INCREMENT column means "next value" unless told otherwise.
        old_mode = conn.execute(text("SELECT @@SESSION.sql_mode")).scalar()
        conn.execute(text("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_AUTO_VALUE_ON_ZERO')"))
    try:
        with conn.begin_nested():
            conn.execute(insert(s.experiments).values(row))
    except IntegrityError:
        pass  # another process created it first
    finally:
        if mysql:
            conn.execute(text("SET SESSION sql_mode = :m"), {"m": old_mode})


def create_experiment(
    conn: Connection,
    name: str,
    artifact_location: str | None,
    tags: Sequence[ExperimentTag],
    default_artifact_root: str,
    experiment_id: str | None = None,
    creation_time: int | None = None,
) -> str:
    validate_experiment_name(name)
    if artifact_location is not None:
        check_text("artifact_location", artifact_location, MAX_ARTIFACT_LOCATION_LENGTH)
    for tag in tags:
        validate_experiment_tag(tag)
    explicit = _explicit_id(conn, experiment_id) if experiment_id is not None else None
    created = check_time("creation_time", creation_time) if creation_time is not None else now_ms()
    _refuse_taken_name(conn, name)
    values: dict[str, Any] = {
        "name": name,
        # Placeholder until the id is known; replaced in the same transaction.
        "artifact_location": artifact_location or "",
        "lifecycle_stage": ACTIVE,
        "creation_time": created,
        "last_update_time": created,
    }
    if explicit is not None:
        values["experiment_id"] = explicit
    try:
        with conn.begin_nested():
            result = conn.execute(insert(s.experiments).values(values))
    except IntegrityError:
        raise AlreadyExists(f"Experiment {name!r} (or its ID) already exists.") from None
    pk = result.inserted_primary_key
    assert pk is not None
    new_id = int(pk[0])
    if explicit is not None:
        sync_id_sequence(conn, s.experiments.c.experiment_id)
    if not artifact_location:
        location = join_uri(default_artifact_root, str(new_id))
        check_text("artifact_location", location, MAX_ARTIFACT_LOCATION_LENGTH)
        conn.execute(
            update(s.experiments)
            .where(s.experiments.c.experiment_id == new_id)
            .values(artifact_location=location)
        )
    if tags:
        rows = {t.key: {"experiment_id": new_id, "key": t.key, "value": t.value} for t in tags}
        upsert(conn, s.experiment_tags, list(rows.values()), ["value"])
    return str(new_id)


def _explicit_id(conn: Connection, experiment_id: str) -> int:
    """A caller-chosen id (an import keeping MLflow's): decimal digits, positive, free."""
    if not isinstance(experiment_id, str) or not experiment_id.isascii() or not experiment_id.isdigit():
        raise InvalidArgument(f"Invalid experiment ID: {str(experiment_id)[:100]!r}")
    number = validate_experiment_id(experiment_id)
    if number == 0 or str(number) != experiment_id:
        raise InvalidArgument(f"Invalid experiment ID: {experiment_id!r} (a positive integer without leading zeros)")
    taken = s.experiments.c.experiment_id == number
    if conn.execute(select(s.experiments.c.experiment_id).where(taken)).first() is not None:
        raise AlreadyExists(f"Experiment with ID {experiment_id} already exists.")
    return number


def _refuse_taken_name(conn: Connection, name: str, but: int | None = None) -> None:
    query = select(s.experiments.c.experiment_id).where(s.experiments.c.name == name)
    found = conn.execute(query).first()
    if found is not None and found[0] != but:
        raise AlreadyExists(f"Experiment {name!r} already exists.")


def _row(conn: Connection, experiment_id: str) -> AnyRow:
    eid = validate_experiment_id(experiment_id)
    row = conn.execute(select(s.experiments).where(s.experiments.c.experiment_id == eid)).first()
    if row is None:
        raise NotFound(f"No Experiment with id={experiment_id} exists")
    return row


def load(conn: Connection, rows: Sequence[AnyRow]) -> list[Experiment]:
    """Experiments for ``rows`` with their tags (one tag query per 2000 experiments)."""
    ids = [r.experiment_id for r in rows]
    tags: dict[int, list[ExperimentTag]] = {i: [] for i in ids}
    for part in chunks(ids):
        query = select(s.experiment_tags).where(s.experiment_tags.c.experiment_id.in_(part))
        for t in conn.execute(query):
            tags[t.experiment_id].append(ExperimentTag(t.key, t.value))
    return [experiment_from_row(r, tags[r.experiment_id]) for r in rows]


def get_experiment(conn: Connection, experiment_id: str) -> Experiment:
    return load(conn, [_row(conn, experiment_id)])[0]


def get_experiment_by_name(conn: Connection, name: str) -> Experiment | None:
    if not isinstance(name, str):
        raise InvalidArgument("experiment name must be a string")
    row = conn.execute(select(s.experiments).where(s.experiments.c.name == name)).first()
    return load(conn, [row])[0] if row is not None else None


def active_experiment_row(conn: Connection, experiment_id: str) -> AnyRow:
    """The experiment's row; InvalidArgument unless it is active (runs and models need that)."""
    row = _row(conn, experiment_id)
    _check_active(experiment_id, row.lifecycle_stage)
    return row


_LOCATION = 'SELECT experiment_id, artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = :id'


def active_experiment_location(conn: Connection, experiment_id: str) -> tuple[int, str]:
    """``active_experiment_row``'s id and artifact location, read by one driver-level lookup (run creation)."""
    eid = validate_experiment_id(experiment_id)
    found = driver.rows(conn, _LOCATION, {"id": eid})
    if not found:
        raise NotFound(f"No Experiment with id={experiment_id} exists")
    row = found[0]
    _check_active(experiment_id, row[2])
    return int(row[0]), str(row[1])


def _check_active(experiment_id: str, stage: str) -> None:
    if stage != ACTIVE:
        raise InvalidArgument(
            f"The experiment {experiment_id} must be in the 'active' state. Current state is {stage}."
        )


def search_experiments(
    conn: Connection,
    view_type: ViewType,
    max_results: int,
    filter_string: str | None,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> tuple[list[Experiment], str | None]:
    offset = decode_token(page_token)
    compiled = experiments_search(filter_string, order_by, conn.dialect.name)
    stages = [stage.value for stage in parse_enum(ViewType, view_type, "view_type").stages()]
    query = select(s.experiments).where(s.experiments.c.lifecycle_stage.in_(stages))
    if compiled.where is not None:
        query = query.where(compiled.where)
    query = query.order_by(*compiled.order_by).limit(max_results + 1).offset(offset)
    rows, token = page_of(list(conn.execute(query)), offset, max_results)
    return load(conn, rows), token


def rename_experiment(conn: Connection, experiment_id: str, new_name: str) -> None:
    validate_experiment_name(new_name)
    row = _row(conn, experiment_id)
    if row.lifecycle_stage != ACTIVE:
        raise InvalidArgument("Cannot rename a non-active experiment.")
    _refuse_taken_name(conn, new_name, but=row.experiment_id)
    try:
        with conn.begin_nested():
            conn.execute(
                update(s.experiments)
                .where(s.experiments.c.experiment_id == row.experiment_id)
                .values(name=new_name, last_update_time=now_ms())
            )
    except IntegrityError:
        raise AlreadyExists(f"Experiment {new_name!r} already exists.") from None


def delete_experiment(conn: Connection, experiment_id: str) -> None:
    row = _row(conn, experiment_id)
    if row.experiment_id == 0:
        raise InvalidArgument("The default experiment (id 0) cannot be deleted")
    if row.lifecycle_stage == DELETED:
        return
    # The runs deleted with the experiment are told apart from those deleted before it by
    # their deleted_time (see restore_experiment), so it must be later than any earlier one,
    # even when the run was deleted within the same millisecond.
    earlier = conn.execute(
        select(func.max(s.runs.c.deleted_time)).where(
            s.runs.c.experiment_id == row.experiment_id, s.runs.c.lifecycle_stage == DELETED
        )
    ).scalar()
    now = max(now_ms(), (earlier or 0) + 1)
    conn.execute(
        update(s.experiments)
        .where(s.experiments.c.experiment_id == row.experiment_id)
        .values(lifecycle_stage=DELETED, deleted_time=now, last_update_time=now)
    )
    conn.execute(
        update(s.runs)
        .where(s.runs.c.experiment_id == row.experiment_id, s.runs.c.lifecycle_stage == ACTIVE)
        .values(lifecycle_stage=DELETED, deleted_time=now)
    )


def restore_experiment(conn: Connection, experiment_id: str) -> None:
    row = _row(conn, experiment_id)
    if row.lifecycle_stage == ACTIVE:
        return
    conn.execute(
        update(s.experiments)
        .where(s.experiments.c.experiment_id == row.experiment_id)
        .values(lifecycle_stage=ACTIVE, deleted_time=None, last_update_time=now_ms())
    )
    if row.deleted_time is not None:
        # Only the runs deleted together with the experiment come back.
        conn.execute(
            update(s.runs)
            .where(
                s.runs.c.experiment_id == row.experiment_id,
                s.runs.c.lifecycle_stage == DELETED,
                s.runs.c.deleted_time == row.deleted_time,
            )
            .values(lifecycle_stage=ACTIVE, deleted_time=None)
        )


def set_experiment_tag(conn: Connection, experiment_id: str, tag: ExperimentTag) -> None:
    validate_experiment_tag(tag)
    row = active_experiment_row(conn, experiment_id)
    upsert(conn, s.experiment_tags, [{"experiment_id": row.experiment_id, "key": tag.key,
                                       "value": tag.value}], ["value"])
    _touch(conn, row.experiment_id)


def delete_experiment_tag(conn: Connection, experiment_id: str, key: str) -> None:
    row = active_experiment_row(conn, experiment_id)
    t = s.experiment_tags
    result = conn.execute(delete(t).where(t.c.experiment_id == row.experiment_id, t.c.key == key))
    if result.rowcount == 0:
        raise NotFound(f"No tag with key {key!r} on experiment {experiment_id}")
    _touch(conn, row.experiment_id)


def _touch(conn: Connection, experiment_id: int) -> None:
    conn.execute(
        update(s.experiments)
        .where(s.experiments.c.experiment_id == experiment_id)
        .values(last_update_time=now_ms())
    )

