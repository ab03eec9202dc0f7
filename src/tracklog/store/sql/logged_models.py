"""Logged models (MLflow 3): create, read, finalize, tags, params, soft delete, search."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from tracklog.entities import (
    LoggedModel,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    Metric,
)
from tracklog.exceptions import AlreadyExists, InvalidArgument, NotFound
from tracklog.search import logged_models_search
from tracklog.store.sql import schema as s
from tracklog.store.sql.db import chunks
from tracklog.store.sql.dialect import insert_ignore, upsert
from tracklog.store.sql.experiments import ACTIVE, DELETED, active_experiment_row, now_ms
from tracklog.store.sql.names import random_name
from tracklog.store.sql.paging import decode_token, page_of
from tracklog.store.sql.rows import AnyRow, decode_value, join_uri
from tracklog.validation import (
    MAX_MODEL_TYPE_LENGTH,
    check_text,
    check_time,
    parse_enum,
    validate_experiment_id,
    validate_logged_model_name,
    validate_logged_model_param,
    validate_logged_model_tag,
    validate_model_id,
    validate_run_id,
)

_FINAL_STATUSES = (LoggedModelStatus.READY, LoggedModelStatus.UPLOAD_FAILED)


def create_logged_model(
    conn: Connection,
    experiment_id: str,
    name: str | None,
    source_run_id: str | None,
    tags: Sequence[LoggedModelTag],
    params: Sequence[LoggedModelParameter],
    model_type: str | None,
    model_id: str | None = None,
    creation_timestamp_ms: int | None = None,
) -> LoggedModel:
    validate_experiment_id(experiment_id)
    if model_id is not None:
        validate_model_id(model_id)
    if creation_timestamp_ms is not None:
        check_time("creation_timestamp_ms", creation_timestamp_ms)
    name = validate_logged_model_name(name) if name else random_name()
    if source_run_id:
        validate_run_id(source_run_id)
    if model_type is not None:
        check_text("model_type", model_type, MAX_MODEL_TYPE_LENGTH)
    for tag in tags:
        validate_logged_model_tag(tag)
    for param in params:
        validate_logged_model_param(param)
    experiment = active_experiment_row(conn, experiment_id)
    if model_id is None:
        model_id = f"m-{uuid.uuid4().hex}"
    elif conn.execute(select(s.logged_models.c.model_id).where(s.logged_models.c.model_id == model_id)).first():
        raise AlreadyExists(f"Logged model with ID {model_id} already exists.")
    now = now_ms() if creation_timestamp_ms is None else creation_timestamp_ms
    conn.execute(
        insert(s.logged_models).values(
            model_id=model_id,
            experiment_id=experiment.experiment_id,
            name=name,
            model_type=model_type,
            source_run_id=source_run_id or None,
            status=LoggedModelStatus.PENDING.value,
            artifact_uri=join_uri(experiment.artifact_location, "models", model_id, "artifacts"),
            creation_timestamp_ms=now,
            last_updated_timestamp_ms=now,
            lifecycle_stage=ACTIVE,
        )
    )
    _write_params(conn, model_id, params)
    _write_tags(conn, model_id, tags)
    return get_logged_model(conn, model_id, False)


def _row(conn: Connection, model_id: str, allow_deleted: bool = False) -> AnyRow:
    validate_model_id(model_id)
    row = conn.execute(select(s.logged_models).where(s.logged_models.c.model_id == model_id)).first()
    if row is None or (row.lifecycle_stage == DELETED and not allow_deleted):
        raise NotFound(f"Logged model with ID {model_id!r} not found.")
    return row


def get_logged_model(conn: Connection, model_id: str, allow_deleted: bool) -> LoggedModel:
    return load(conn, [_row(conn, model_id, allow_deleted)])[0]


def finalize_logged_model(conn: Connection, model_id: str, status: LoggedModelStatus) -> LoggedModel:
    status = parse_enum(LoggedModelStatus, status, "logged model status")
    if status not in _FINAL_STATUSES:
        raise InvalidArgument(
            f"A logged model can only be finalized as {' or '.join(x.value for x in _FINAL_STATUSES)}; "
            f"got {status.value}"
        )
    _row(conn, model_id)
    _touch(conn, model_id, status=status.value)
    return get_logged_model(conn, model_id, False)


def _touch(conn: Connection, model_id: str, **values: Any) -> None:
    conn.execute(
        update(s.logged_models)
        .where(s.logged_models.c.model_id == model_id)
        .values(last_updated_timestamp_ms=now_ms(), **values)
    )


def _write_tags(conn: Connection, model_id: str, tags: Sequence[LoggedModelTag]) -> None:
    rows = {t.key: {"model_id": model_id, "key": t.key, "value": t.value} for t in tags}
    upsert(conn, s.logged_model_tags, [rows[k] for k in sorted(rows)], ["value"])


def _write_params(conn: Connection, model_id: str, params: Sequence[LoggedModelParameter]) -> None:
    """Write-once like run params: the same value again is fine, a different one is refused."""
    wanted: dict[str, str] = {}
    for p in params:
        if wanted.setdefault(p.key, p.value) != p.value:
            raise InvalidArgument(f"Duplicate logged model param key {p.key!r} with different values")
    if not wanted:
        return
    rows = [{"model_id": model_id, "key": k, "value": v} for k, v in sorted(wanted.items())]
    insert_ignore(conn, s.logged_model_params, rows)
    p_t = s.logged_model_params
    stored = conn.execute(
        select(p_t.c.key, p_t.c.value).where(p_t.c.model_id == model_id, p_t.c.key.in_(list(wanted)))
    )
    for key, value in stored:
        if value != wanted[key]:
            raise InvalidArgument(
                f"Logged model param {key!r} already has the value {value!r}; it cannot be changed"
            )


def set_logged_model_tags(conn: Connection, model_id: str, tags: Sequence[LoggedModelTag]) -> None:
    for tag in tags:
        validate_logged_model_tag(tag)
    _row(conn, model_id)
    _write_tags(conn, model_id, tags)
    _touch(conn, model_id)


def delete_logged_model_tag(conn: Connection, model_id: str, key: str) -> None:
    _row(conn, model_id)
    t = s.logged_model_tags
    result = conn.execute(delete(t).where(t.c.model_id == model_id, t.c.key == key))
    if result.rowcount == 0:
        raise NotFound(f"No tag with key {key!r} on logged model {model_id}")
    _touch(conn, model_id)


def log_logged_model_params(conn: Connection, model_id: str, params: Sequence[LoggedModelParameter]) -> None:
    for param in params:
        validate_logged_model_param(param)
    _row(conn, model_id)
    _write_params(conn, model_id, params)
    _touch(conn, model_id)


def delete_logged_model(conn: Connection, model_id: str) -> None:
    _row(conn, model_id)
    _touch(conn, model_id, lifecycle_stage=DELETED)


def search_logged_models(
    conn: Connection,
    experiment_ids: Sequence[str],
    filter_string: str | None,
    datasets: Sequence[dict[str, str]] | None,
    max_results: int,
    order_by: Sequence[dict[str, object]] | None,
    page_token: str | None,
) -> tuple[list[LoggedModel], str | None]:
    ids = [validate_experiment_id(e) for e in experiment_ids]
    for ds in datasets or ():
        if not isinstance(ds, dict) or not ds.get("dataset_name"):
            raise InvalidArgument("`dataset_name` in the `datasets` clause must be specified.")
    # The token carries the request it belongs to; reusing it for another request is refused.
    request = {
        "experiment_ids": [str(i) for i in ids],
        "filter": filter_string or "",
        "order_by": [dict(o) for o in order_by or ()],
    }
    offset = decode_token(page_token, **request)
    compiled = logged_models_search(filter_string, order_by, datasets, conn.dialect.name)
    if not ids:
        return [], None
    lm = s.logged_models
    query = select(lm).where(lm.c.experiment_id.in_(ids), lm.c.lifecycle_stage == ACTIVE)
    if compiled.where is not None:
        query = query.where(compiled.where)
    query = query.order_by(*compiled.order_by).limit(max_results + 1).offset(offset)
    rows, token = page_of(list(conn.execute(query)), offset, max_results, **request)
    return load(conn, rows), token


def load(conn: Connection, rows: Sequence[AnyRow]) -> list[LoggedModel]:
    """Models with tags, params and metrics: three queries per 2000 models."""
    ids = [r.model_id for r in rows]
    tags: dict[str, list[LoggedModelTag]] = defaultdict(list)
    params: dict[str, list[LoggedModelParameter]] = defaultdict(list)
    metrics: dict[str, list[Metric]] = defaultdict(list)
    t, p, m = s.logged_model_tags, s.logged_model_params, s.logged_model_metrics
    for part in chunks(ids):
        for r in conn.execute(select(t).where(t.c.model_id.in_(part)).order_by(t.c.key)):
            tags[r.model_id].append(LoggedModelTag(r.key, r.value))
        for r in conn.execute(select(p).where(p.c.model_id.in_(part)).order_by(p.c.key)):
            params[r.model_id].append(LoggedModelParameter(r.key, r.value))
        query = select(m).where(m.c.model_id.in_(part)).order_by(m.c.key, m.c.step, m.c.timestamp)
        for r in conn.execute(query):
            metrics[r.model_id].append(
                Metric(
                    key=r.key,
                    value=decode_value(r.value_kind, r.value),
                    timestamp=int(r.timestamp),
                    step=int(r.step),
                    model_id=r.model_id,
                    dataset_name=r.dataset_name,
                    dataset_digest=r.dataset_digest,
                    run_id=r.run_uuid,
                )
            )
    return [_entity(r, tags[r.model_id], params[r.model_id], metrics[r.model_id]) for r in rows]


def _entity(
    r: AnyRow, tags: list[LoggedModelTag], params: list[LoggedModelParameter], metrics: list[Metric]
) -> LoggedModel:
    return LoggedModel(
        model_id=r.model_id,
        experiment_id=str(r.experiment_id),
        name=r.name,
        artifact_uri=r.artifact_uri,
        creation_timestamp_ms=int(r.creation_timestamp_ms),
        last_updated_timestamp_ms=int(r.last_updated_timestamp_ms),
        status=LoggedModelStatus(r.status),
        model_type=r.model_type,
        source_run_id=r.source_run_id,
        status_message=r.status_message,
        tags=tuple(tags),
        params=tuple(params),
        metrics=tuple(metrics),
    )
