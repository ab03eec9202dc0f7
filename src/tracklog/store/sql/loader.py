"""Bulk loading of runs: a page of runs costs a fixed number of queries, not one per run.

For N runs: one UNION ALL query for latest metrics, params, tags and model
inputs/outputs; two more (datasets, input tags) only when some run has dataset
inputs -- per 2000 runs, the size of an IN list every database accepts.

``load_runs_wire`` returns the runs in wire form (``Run.to_dict()``) and builds the
metric/param/tag dicts straight from the driver's rows (``fetch.driver_rows``), without
an entity per row: a search page of 1000 runs carries some 40,000 of them. It reads two
narrow queries (params and tags; latest metrics) instead of the padded UNION, which the
driver builds faster. Pages where a run has dataset or model inputs/outputs take the
entity path (``load_runs``), which renders those.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import BindParameter, CompoundSelect, Connection, Select, bindparam, literal, null, select, union_all

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
from tracklog.entities._wire import double_to_wire
from tracklog.store.sql import schema as s
from tracklog.store.sql.db import chunks
from tracklog.store.sql.fetch import driver_rows
from tracklog.store.sql.rows import AnyRow, decode_value, run_info_from_row


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
        if _load_children(conn, part, children):
            _load_datasets(conn, part, children)
    return [_assemble(row, children) for row in rows]


def load_runs_wire(conn: Connection, rows: Sequence[AnyRow]) -> list[dict[str, Any]]:
    """``[run.to_dict() for run in load_runs(conn, rows)]``, without the entities in between."""
    ids = [r.run_uuid for r in rows]
    metrics: dict[str, list[dict[str, Any]]] = {run_id: [] for run_id in ids}
    params: dict[str, list[dict[str, Any]]] = {run_id: [] for run_id in ids}
    tags: dict[str, list[dict[str, Any]]] = {run_id: [] for run_id in ids}
    for part in chunks(ids):
        for kind, run_id, key, value in driver_rows(conn, _key_values_query(), {"ids": part}):
            if kind == "p":
                params[run_id].append({"key": key, "value": value})
            elif kind == "t":
                tags[run_id].append({"key": key, "value": value})
            else:  # model inputs/outputs or datasets: rendered by the entities
                return [run.to_dict() for run in load_runs(conn, rows)]
        for run_id, key, step, timestamp, value_kind, number in driver_rows(conn, _latest_query(), {"ids": part}):
            wire = float(number) if value_kind == 0 else double_to_wire(decode_value(value_kind, number))
            metrics[run_id].append({"key": key, "value": wire, "timestamp": int(timestamp), "step": int(step)})
    by_key = itemgetter("key")
    inputs, outputs = RunInputs().to_dict(), RunOutputs().to_dict()  # no run here has any
    out = []
    for row in rows:
        run_id = row.run_uuid
        data: dict[str, Any] = {}
        if metrics[run_id]:
            data["metrics"] = sorted(metrics[run_id], key=by_key)
        if params[run_id]:
            data["params"] = sorted(params[run_id], key=by_key)
        if tags[run_id]:
            data["tags"] = sorted(tags[run_id], key=by_key)
        out.append({"info": run_info_from_row(row).to_dict(), "data": data, "inputs": inputs, "outputs": outputs})
    return out


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


@functools.cache
def _children_query() -> CompoundSelect[*tuple[Any, ...]]:
    """Built once: constructing and cache-keying this statement costs more than running it."""
    lm, p, t = s.latest_metrics, s.params, s.tags
    mi, mo, ri = s.run_model_inputs, s.run_model_outputs, s.run_inputs
    ids: BindParameter[list[str]] = bindparam("ids", expanding=True)
    no_num = null()
    return union_all(
        select(literal("m").label("kind"), lm.c.run_uuid, lm.c.key, null().label("text"),
               lm.c.step, lm.c.timestamp, lm.c.value_kind, lm.c.value).where(lm.c.run_uuid.in_(ids)),
        select(literal("p"), p.c.run_uuid, p.c.key, p.c.value, no_num, no_num, no_num, no_num)
        .where(p.c.run_uuid.in_(ids)),
        select(literal("t"), t.c.run_uuid, t.c.key, t.c.value, no_num, no_num, no_num, no_num)
        .where(t.c.run_uuid.in_(ids)),
        select(literal("i"), mi.c.run_uuid, mi.c.model_id, null(), no_num, no_num, no_num, no_num)
        .where(mi.c.run_uuid.in_(ids)),
        select(literal("o"), mo.c.run_uuid, mo.c.model_id, null(), mo.c.step, no_num, no_num, no_num)
        .where(mo.c.run_uuid.in_(ids)),
        select(literal("d"), ri.c.run_uuid, ri.c.dataset_uuid, null(), no_num, no_num, no_num, no_num)
        .where(ri.c.run_uuid.in_(ids)),
    )


@functools.cache
def _key_values_query() -> CompoundSelect[*tuple[Any, ...]]:
    """The wire path's params and tags (four narrow columns: a third less for the driver to
    build than the padded rows of ``_children_query``), and one row per model input/output or
    dataset input, which sends the page to the entity path."""
    p, t = s.params, s.tags
    mi, mo, ri = s.run_model_inputs, s.run_model_outputs, s.run_inputs
    ids: BindParameter[list[str]] = bindparam("ids", expanding=True)
    return union_all(
        select(literal("p").label("kind"), p.c.run_uuid, p.c.key, p.c.value).where(p.c.run_uuid.in_(ids)),
        select(literal("t"), t.c.run_uuid, t.c.key, t.c.value).where(t.c.run_uuid.in_(ids)),
        select(literal("x"), mi.c.run_uuid, null(), null()).where(mi.c.run_uuid.in_(ids)),
        select(literal("x"), mo.c.run_uuid, null(), null()).where(mo.c.run_uuid.in_(ids)),
        select(literal("x"), ri.c.run_uuid, null(), null()).where(ri.c.run_uuid.in_(ids)),
    )


@functools.cache
def _latest_query() -> Select[*tuple[Any, ...]]:
    lm = s.latest_metrics
    ids: BindParameter[list[str]] = bindparam("ids", expanding=True)
    return select(lm.c.run_uuid, lm.c.key, lm.c.step, lm.c.timestamp, lm.c.value_kind, lm.c.value).where(
        lm.c.run_uuid.in_(ids)
    )


def _load_children(conn: Connection, ids: list[str], c: _Children) -> bool:
    """Latest metrics, params, tags and model inputs/outputs in one UNION ALL query.

    Returns whether any run of ``ids`` has dataset inputs (loaded separately)."""
    has_datasets = False
    for kind, run_id, key, value, step, timestamp, value_kind, number in conn.execute(
        _children_query(), {"ids": ids}
    ):
        if kind == "m":
            metric = Metric(key, decode_value(value_kind, number), int(timestamp), int(step))
            c.metrics[run_id].append(metric)
        elif kind == "p":
            c.params[run_id].append(Param(key, value))
        elif kind == "t":
            c.tags[run_id].append(RunTag(key, value))
        elif kind == "i":
            c.model_inputs[run_id].append(LoggedModelInput(key))
        elif kind == "o":
            c.model_outputs[run_id].append(LoggedModelOutput(key, int(step)))
        else:
            has_datasets = True
    return has_datasets


def _load_datasets(conn: Connection, ids: list[str], c: _Children) -> None:
    ri, d = s.run_inputs, s.datasets
    query = (
        select(ri.c.run_uuid, d)
        .join(d, d.c.dataset_uuid == ri.c.dataset_uuid)
        .where(ri.c.run_uuid.in_(ids))
        .order_by(ri.c.run_uuid, d.c.name, d.c.digest)
    )
    for r in conn.execute(query):
        dataset = Dataset(
            name=r.name,
            digest=r.digest,
            source_type=r.source_type,
            source=r.source,
            schema=r.schema,
            profile=r.profile,
        )
        c.datasets[r.run_uuid].append((r.dataset_uuid, dataset))
    it = s.input_tags
    for r in conn.execute(select(it).where(it.c.run_uuid.in_(ids))):
        c.input_tags[(r.run_uuid, r.dataset_uuid)].append(InputTag(r.key, r.value))
