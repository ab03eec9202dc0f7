"""Bulk loading of runs: a page of runs costs a fixed number of queries, not one per run.

For N runs: latest metrics (1), params and tags together (1), dataset inputs (1),
their input tags (1, only if there are any), model inputs and outputs together
(1) -- per 2000 runs, the size of an IN list every database accepts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Connection, literal, select, union_all

from tracklog.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    Param,
    Run,
    RunData,
    RunInputs,
    RunOutputs,
    RunTag,
)
from tracklog.store.sql import schema as s
from tracklog.store.sql.db import chunks
from tracklog.store.sql.rows import AnyRow, metric_from_row, run_info_from_row


class _Children:
    def __init__(self) -> None:
        self.metrics: dict[str, list[Metric]] = defaultdict(list)
        self.params: dict[str, list[Param]] = defaultdict(list)
        self.tags: dict[str, list[RunTag]] = defaultdict(list)
        self.datasets: dict[str, list[tuple[str, Dataset]]] = defaultdict(list)
        self.input_tags: dict[tuple[str, str], list[InputTag]] = defaultdict(list)
        self.model_inputs: dict[str, list[LoggedModelInput]] = defaultdict(list)
        self.model_outputs: dict[str, list[LoggedModelOutput]] = defaultdict(list)


def load_runs(conn: Connection, rows: Sequence[AnyRow]) -> list[Run]:
    children = _Children()
    ids = [r.run_uuid for r in rows]
    for part in chunks(ids):
        _load_metrics(conn, part, children)
        _load_params_and_tags(conn, part, children)
        _load_datasets(conn, part, children)
        _load_models(conn, part, children)
    return [_assemble(row, children) for row in rows]


def _assemble(row: AnyRow, c: _Children) -> Run:
    run_id = row.run_uuid
    dataset_inputs = tuple(
        DatasetInput(dataset=ds, tags=tuple(sorted(c.input_tags[(run_id, uid)], key=lambda t: t.key)))
        for uid, ds in c.datasets[run_id]
    )
    return Run(
        info=run_info_from_row(row),
        data=RunData(
            metrics=tuple(sorted(c.metrics[run_id], key=lambda m: m.key)),
            params=tuple(sorted(c.params[run_id], key=lambda p: p.key)),
            tags=tuple(sorted(c.tags[run_id], key=lambda t: t.key)),
        ),
        inputs=RunInputs(dataset_inputs=dataset_inputs, model_inputs=tuple(c.model_inputs[run_id])),
        outputs=RunOutputs(model_outputs=tuple(c.model_outputs[run_id])),
    )


def _load_metrics(conn: Connection, ids: list[str], c: _Children) -> None:
    lm = s.latest_metrics
    for r in conn.execute(select(lm).where(lm.c.run_uuid.in_(ids))):
        c.metrics[r.run_uuid].append(metric_from_row(r))


def _load_params_and_tags(conn: Connection, ids: list[str], c: _Children) -> None:
    p, t = s.params, s.tags
    query = union_all(
        select(literal("p").label("kind"), p.c.run_uuid, p.c.key, p.c.value).where(p.c.run_uuid.in_(ids)),
        select(literal("t").label("kind"), t.c.run_uuid, t.c.key, t.c.value).where(t.c.run_uuid.in_(ids)),
    )
    for r in conn.execute(query):
        if r.kind == "p":
            c.params[r.run_uuid].append(Param(r.key, r.value))
        else:
            c.tags[r.run_uuid].append(RunTag(r.key, r.value))


def _load_datasets(conn: Connection, ids: list[str], c: _Children) -> None:
    ri, d = s.run_inputs, s.datasets
    query = (
        select(ri.c.run_uuid, d)
        .join(d, d.c.dataset_uuid == ri.c.dataset_uuid)
        .where(ri.c.run_uuid.in_(ids))
        .order_by(ri.c.run_uuid, d.c.name, d.c.digest)
    )
    found = False
    for r in conn.execute(query):
        found = True
        dataset = Dataset(
            name=r.name,
            digest=r.digest,
            source_type=r.source_type,
            source=r.source,
            schema=r.schema,
            profile=r.profile,
        )
        c.datasets[r.run_uuid].append((r.dataset_uuid, dataset))
    if not found:
        return
    it = s.input_tags
    for r in conn.execute(select(it).where(it.c.run_uuid.in_(ids))):
        c.input_tags[(r.run_uuid, r.dataset_uuid)].append(InputTag(r.key, r.value))


def _load_models(conn: Connection, ids: list[str], c: _Children) -> None:
    mi, mo = s.run_model_inputs, s.run_model_outputs
    query = union_all(
        select(literal("i").label("kind"), mi.c.run_uuid, mi.c.model_id, literal(0).label("step")).where(
            mi.c.run_uuid.in_(ids)
        ),
        select(literal("o").label("kind"), mo.c.run_uuid, mo.c.model_id, mo.c.step).where(
            mo.c.run_uuid.in_(ids)
        ),
    )
    for r in conn.execute(query):
        if r.kind == "i":
            c.model_inputs[r.run_uuid].append(LoggedModelInput(r.model_id))
        else:
            c.model_outputs[r.run_uuid].append(LoggedModelOutput(r.model_id, int(r.step)))
