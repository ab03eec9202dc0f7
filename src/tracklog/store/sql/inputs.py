"""Run inputs (datasets, deduplicated per experiment by (name, digest); models) and outputs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, and_, select

from tracklog.entities import DatasetInput, LoggedModelInput, LoggedModelOutput
from tracklog.exceptions import InvalidArgument
from tracklog.store.base import DatasetSummary
from tracklog.store.sql import schema as s
from tracklog.store.sql.db import chunks
from tracklog.store.sql.dialect import insert_ignore, upsert
from tracklog.store.sql.runs import active_run_row
from tracklog.validation import (
    INT64_MAX,
    INT64_MIN,
    validate_dataset_input,
    validate_experiment_id,
    validate_model_id,
    validate_run_id,
)

CONTEXT_TAG = "mlflow.data.context"
MAX_DATASET_SUMMARIES = 1000


def log_inputs(
    conn: Connection,
    run_id: str,
    datasets: Sequence[DatasetInput],
    models: Sequence[LoggedModelInput],
) -> None:
    validate_run_id(run_id)
    for item in datasets:
        validate_dataset_input(item)
    for model in models:
        validate_model_id(model.model_id)
    run = active_run_row(conn, run_id)
    if datasets:
        _log_datasets(conn, run_id, run.experiment_id, datasets)
    if models:
        rows = [{"run_uuid": run_id, "model_id": m} for m in sorted({m.model_id for m in models})]
        insert_ignore(conn, s.run_model_inputs, rows)


def _log_datasets(
    conn: Connection, run_id: str, experiment_id: int, datasets: Sequence[DatasetInput]
) -> None:
    d = s.datasets
    wanted = {(i.dataset.name, i.dataset.digest): i for i in datasets}
    rows = [
        {
            "dataset_uuid": uuid.uuid4().hex,
            "experiment_id": experiment_id,
            "name": i.dataset.name,
            "digest": i.dataset.digest,
            "source_type": i.dataset.source_type,
            "source": i.dataset.source,
            "schema": i.dataset.schema,
            "profile": i.dataset.profile,
        }
        for _key, i in sorted(wanted.items())
    ]
    # The unique (experiment, name, digest) index makes a concurrent duplicate a no-op.
    insert_ignore(conn, d, rows)
    uuids: dict[tuple[str, str], str] = {}
    names = sorted({name for name, _digest in wanted})
    query = select(d.c.name, d.c.digest, d.c.dataset_uuid).where(
        d.c.experiment_id == experiment_id, d.c.name.in_(names)
    )
    for name, digest, dataset_uuid in conn.execute(query):
        uuids[(name, digest)] = dataset_uuid
    insert_ignore(
        conn, s.run_inputs, [{"run_uuid": run_id, "dataset_uuid": uuids[k]} for k in sorted(wanted)]
    )
    tag_rows = {
        (uuids[k], t.key): {"run_uuid": run_id, "dataset_uuid": uuids[k], "key": t.key, "value": t.value}
        for k, item in sorted(wanted.items())
        for t in item.tags
    }
    upsert(conn, s.input_tags, [tag_rows[k] for k in sorted(tag_rows)], ["value"])


def log_outputs(conn: Connection, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
    validate_run_id(run_id)
    for model in models:
        validate_model_id(model.model_id)
        step = model.step
        if isinstance(step, bool) or not isinstance(step, int) or not INT64_MIN <= step <= INT64_MAX:
            raise InvalidArgument(f"model output step must be an int64, got {step!r}")
    active_run_row(conn, run_id)
    rows = {m.model_id: {"run_uuid": run_id, "model_id": m.model_id, "step": m.step} for m in models}
    upsert(conn, s.run_model_outputs, [rows[k] for k in sorted(rows)], ["step"])


def search_datasets(conn: Connection, experiment_ids: Sequence[str]) -> list[DatasetSummary]:
    ids = [validate_experiment_id(e) for e in experiment_ids]
    d, ri, it = s.datasets, s.run_inputs, s.input_tags
    out: list[DatasetSummary] = []
    for part in chunks(ids):
        query = (
            select(d.c.experiment_id, d.c.name, d.c.digest, it.c.value)
            .distinct()
            .join(ri, ri.c.dataset_uuid == d.c.dataset_uuid)
            .outerjoin(
                it,
                and_(
                    it.c.run_uuid == ri.c.run_uuid,
                    it.c.dataset_uuid == ri.c.dataset_uuid,
                    it.c.key == CONTEXT_TAG,
                ),
            )
            .where(d.c.experiment_id.in_(part))
            .order_by(d.c.experiment_id, d.c.name, d.c.digest, it.c.value)
            .limit(MAX_DATASET_SUMMARIES - len(out))
        )
        out.extend(DatasetSummary((str(e), n, dg, ctx)) for e, n, dg, ctx in conn.execute(query))
        if len(out) >= MAX_DATASET_SUMMARIES:
            break
    return out
