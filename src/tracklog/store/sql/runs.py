"""Runs: create (generated names, the ``mlflow.runName`` tag), read, update, lifecycle, tags, search."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, select, update

from tracklog.entities import LifecycleStage, Run, RunData, RunInfo, RunStatus, RunTag, ViewType
from tracklog.exceptions import AlreadyExists, InvalidArgument, NotFound
from tracklog.search import SqlSearch, runs_search
from tracklog.store.sql import driver
from tracklog.store.sql import schema as s
from tracklog.store.sql.dialect import upsert
from tracklog.store.sql.experiments import ACTIVE, DELETED, active_experiment_location, now_ms
from tracklog.store.sql.loader import load_runs, load_runs_wire
from tracklog.store.sql.names import random_name
from tracklog.store.sql.paging import decode_run_after, decode_token, encode_token, page_of
from tracklog.store.sql.rows import AnyRow, join_uri, run_info_from_row
from tracklog.store.sql.search_plan import after_run, scope
from tracklog.validation import (
    INT64_MAX,
    MAX_RUN_NAME_LENGTH,
    MAX_USER_ID_LENGTH,
    check_text,
    parse_enum,
    validate_experiment_id,
    validate_new_run_id,
    validate_run_id,
    validate_run_tag,
)

RUN_NAME_TAG = "mlflow.runName"


def run_row(conn: Connection, run_id: str) -> AnyRow:
    validate_run_id(run_id)
    row = conn.execute(select(s.runs).where(s.runs.c.run_uuid == run_id)).first()
    if row is None:
        raise NotFound(f"Run with id={run_id} not found")
    return row


def active_run_row(conn: Connection, run_id: str) -> AnyRow:
    """The run's row; InvalidArgument when it is deleted (nothing may be logged to it)."""
    row = run_row(conn, run_id)
    if row.lifecycle_stage != ACTIVE:
        raise InvalidArgument(
            f"The run {run_id} must be in the 'active' state. Current state is {row.lifecycle_stage}."
        )
    return row


_RUN_STAGE = "SELECT lifecycle_stage FROM runs WHERE run_uuid = :run_id"


def check_active_run(conn: Connection, run_id: str) -> None:
    """``active_run_row``'s checks (same errors) by one driver-level primary-key lookup (logging)."""
    validate_run_id(run_id)
    found = driver.rows(conn, _RUN_STAGE, {"run_id": run_id})
    if not found:
        raise NotFound(f"Run with id={run_id} not found")
    stage = found[0][0]
    if stage != ACTIVE:
        raise InvalidArgument(f"The run {run_id} must be in the 'active' state. Current state is {stage}.")


def _check_time(field: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT64_MAX:
        raise InvalidArgument(f"{field} must be an integer in [0, 2^63), got {value!r}")


def _check_run_name(name: str) -> str:
    return check_text("run name", name, MAX_RUN_NAME_LENGTH)


def create_run(
    conn: Connection,
    experiment_id: str,
    user_id: str | None,
    start_time: int | None,
    tags: Sequence[RunTag],
    run_name: str | None,
    run_id: str | None = None,
) -> Run:
    validate_experiment_id(experiment_id)
    if run_id is not None:
        validate_new_run_id(run_id)
    check_text("user_id", user_id or "", MAX_USER_ID_LENGTH)
    _check_time("start_time", start_time)
    for tag in tags:
        validate_run_tag(tag)
    tag_map = {t.key: t.value for t in tags}
    tag_name = tag_map.get(RUN_NAME_TAG)
    if run_name and tag_name is not None and run_name != tag_name:
        raise InvalidArgument(
            f"Both 'run_name' ({run_name!r}) and the tag '{RUN_NAME_TAG}' ({tag_name!r}) were given "
            "and they differ; give one of them or the same value in both"
        )
    name = run_name or tag_name or random_name()
    _check_run_name(name)
    tag_map[RUN_NAME_TAG] = name
    eid, location = active_experiment_location(conn, experiment_id)
    if run_id is None:
        run_id = uuid.uuid4().hex
    elif conn.execute(select(s.runs.c.run_uuid).where(s.runs.c.run_uuid == run_id)).first() is not None:
        raise AlreadyExists(f"Run with ID {run_id} already exists.")
    info = RunInfo(
        run_id=run_id,
        experiment_id=str(eid),
        run_name=name,
        user_id=user_id or "",
        status=RunStatus.RUNNING,
        start_time=start_time if start_time is not None else now_ms(),
        end_time=None,
        artifact_uri=join_uri(location, run_id, "artifacts"),
        lifecycle_stage=LifecycleStage.ACTIVE,
    )
    driver.run(conn, _INSERT_RUN, {
        "run_uuid": run_id, "name": name, "experiment_id": eid, "user_id": info.user_id,
        "status": RunStatus.RUNNING.value, "start_time": info.start_time, "lifecycle_stage": ACTIVE,
        "artifact_uri": info.artifact_uri,
    })
    driver.run(conn, _INSERT_TAG, [{"run_uuid": run_id, "key": k, "value": v} for k, v in tag_map.items()])
    # The run as get_run would read it back: nothing else can be attached to it yet.
    tags = tuple(RunTag(k, v) for k, v in sorted(tag_map.items()))
    return Run(info=info, data=RunData(tags=tags))


_INSERT_RUN = (
    "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, lifecycle_stage, "
    "artifact_uri) VALUES (:run_uuid, :name, :experiment_id, :user_id, :status, :start_time, NULL, "
    ":lifecycle_stage, :artifact_uri)"
)
_INSERT_TAG = 'INSERT INTO tags (run_uuid, "key", value) VALUES (:run_uuid, :key, :value)'


def get_run(conn: Connection, run_id: str) -> Run:
    return load_runs(conn, [run_row(conn, run_id)])[0]


def update_run_info(
    conn: Connection,
    run_id: str,
    status: RunStatus | None,
    end_time: int | None,
    run_name: str | None,
) -> RunInfo:
    row = active_run_row(conn, run_id)
    _check_time("end_time", end_time)
    values: dict[str, Any] = {}
    if status is not None:
        values["status"] = parse_enum(RunStatus, status, "run status").value
    if end_time is not None:
        values["end_time"] = end_time
    if run_name:
        values["name"] = _check_run_name(run_name)
        upsert(conn, s.tags, [{"run_uuid": run_id, "key": RUN_NAME_TAG, "value": run_name}], ["value"])
    if values:
        conn.execute(update(s.runs).where(s.runs.c.run_uuid == run_id).values(values))
    return run_info_from_row(run_row(conn, run_id)) if values else run_info_from_row(row)


def delete_run(conn: Connection, run_id: str) -> None:
    run_row(conn, run_id)
    conn.execute(
        update(s.runs)
        .where(s.runs.c.run_uuid == run_id, s.runs.c.lifecycle_stage == ACTIVE)
        .values(lifecycle_stage=DELETED, deleted_time=now_ms())
    )


def restore_run(conn: Connection, run_id: str) -> None:
    row = run_row(conn, run_id)
    experiment = conn.execute(
        select(s.experiments.c.lifecycle_stage).where(s.experiments.c.experiment_id == row.experiment_id)
    ).scalar()
    if experiment != ACTIVE:
        raise InvalidArgument(f"Cannot restore run {run_id}: its experiment is deleted; restore it first")
    conn.execute(
        update(s.runs)
        .where(s.runs.c.run_uuid == run_id)
        .values(lifecycle_stage=ACTIVE, deleted_time=None)
    )


def write_tags(conn: Connection, run_id: str, tags: Sequence[RunTag]) -> None:
    """Upsert validated tags (last one wins within the call); keeps the run name in sync."""
    if not tags:
        return
    latest = {t.key: t.value for t in tags}
    if RUN_NAME_TAG in latest:
        name = _check_run_name(latest[RUN_NAME_TAG])
        conn.execute(update(s.runs).where(s.runs.c.run_uuid == run_id).values(name=name))
    rows = [{"run_uuid": run_id, "key": k, "value": v} for k, v in sorted(latest.items())]
    upsert(conn, s.tags, rows, ["value"])


def set_tag(conn: Connection, run_id: str, tag: RunTag) -> None:
    validate_run_tag(tag)
    check_active_run(conn, run_id)
    write_tags(conn, run_id, [tag])


def delete_tag(conn: Connection, run_id: str, key: str) -> None:
    check_active_run(conn, run_id)
    result = conn.execute(delete(s.tags).where(s.tags.c.run_uuid == run_id, s.tags.c.key == key))
    if result.rowcount == 0:
        raise NotFound(f"No tag with name: {key} in run with id {run_id}")


@functools.lru_cache(maxsize=256)
def _compiled_search(filter_string: str | None, order_by: tuple[str, ...], dialect: str) -> SqlSearch:
    """A compiled search is immutable and values are bound parameters: the same filter (a UI
    refreshing, a client paging) need not be parsed and built again."""
    return runs_search(filter_string, list(order_by) or None, dialect)


def _search_rows(
    conn: Connection,
    experiment_ids: Sequence[str],
    filter_string: str | None,
    run_view_type: ViewType,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> tuple[list[Any], str | None]:
    offset = decode_token(page_token)
    ids = [validate_experiment_id(e) for e in experiment_ids]
    compiled = _compiled_search(filter_string, tuple(order_by or ()), conn.dialect.name)
    if not ids:
        return [], None
    stages = [stage.value for stage in parse_enum(ViewType, run_view_type, "run_view_type").stages()]
    query = select(s.runs).where(*scope(conn, compiled, ids, stages))
    query = query.order_by(*compiled.order_by).limit(max_results + 1)
    after = decode_run_after(page_token) if not order_by else None
    query = query.offset(offset) if after is None else query.where(after_run(*after))
    page, token = page_of(list(conn.execute(query)), offset, max_results)
    if token is not None and not order_by:
        token = encode_token(offset + max_results, run_after=[page[-1].start_time, page[-1].run_uuid])
    return page, token


def search_runs(
    conn: Connection,
    experiment_ids: Sequence[str],
    filter_string: str | None,
    run_view_type: ViewType,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> tuple[list[Run], str | None]:
    rows, token = _search_rows(conn, experiment_ids, filter_string, run_view_type, max_results, order_by,
                               page_token)
    return load_runs(conn, rows), token


def search_runs_wire(
    conn: Connection,
    experiment_ids: Sequence[str],
    filter_string: str | None,
    run_view_type: ViewType,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """``search_runs`` in wire form (``Run.to_dict()``), rendered straight from the rows."""
    rows, token = _search_rows(conn, experiment_ids, filter_string, run_view_type, max_results, order_by,
                               page_token)
    return load_runs_wire(conn, rows), token
