"""``SqlGarbageCollector``: the ``GarbageCollector`` of the SQL store (see ``tracklog.store.gc``).

Removal relies on the schema's ``ON DELETE CASCADE`` foreign keys: deleting a ``runs`` row
removes its params, tags, metrics, latest metrics, inputs and model links; deleting an
``experiments`` row removes its runs, logged models, datasets, tags and permissions. Each
``DELETE`` re-checks ``lifecycle_stage = 'deleted'`` in its own transaction, so a run or
experiment restored after planning is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Connection, Delete, Table, delete, select

from tracklog.exceptions import InvalidArgument
from tracklog.store.gc import PurgeTarget
from tracklog.store.sql import schema as s
from tracklog.store.sql.db import Database, chunks
from tracklog.store.sql.engine import get_engine
from tracklog.store.sql.experiments import DELETED
from tracklog.store.sql.rows import AnyRow
from tracklog.validation import validate_experiment_id, validate_run_id

__all__ = ["SqlGarbageCollector"]


class SqlGarbageCollector:
    """Find and remove soft-deleted runs and experiments in the database at ``db_uri``."""

    def __init__(self, db_uri: str) -> None:
        self._db = Database(get_engine(db_uri))

    def deleted_runs(
        self, deleted_before: int | None = None, run_ids: Sequence[str] | None = None
    ) -> list[PurgeTarget]:
        ids = [validate_run_id(r) for r in run_ids] if run_ids is not None else None
        rows = self._db.read(_rows, s.runs, s.runs.c.run_uuid, ids, s.runs.c.start_time)
        targets = [_run_target(row) for row in rows]
        return _checked("run", targets, ids, deleted_before, {row.run_uuid: row.lifecycle_stage for row in rows})

    def deleted_experiments(
        self, deleted_before: int | None = None, experiment_ids: Sequence[str] | None = None
    ) -> list[PurgeTarget]:
        ids = [str(validate_experiment_id(e)) for e in experiment_ids] if experiment_ids is not None else None
        keys = [int(i) for i in ids] if ids is not None else None
        rows = self._db.read(_rows, s.experiments, s.experiments.c.experiment_id, keys,
                             s.experiments.c.experiment_id)
        targets = [_experiment_target(row) for row in rows]
        stages = {str(row.experiment_id): row.lifecycle_stage for row in rows}
        return _checked("experiment", targets, ids, deleted_before, stages)

    def experiment_contents(self, experiment_id: str) -> list[PurgeTarget]:
        return self._db.read(_contents, validate_experiment_id(experiment_id))

    def purge_run(self, run_id: str) -> bool:
        validate_run_id(run_id)
        table = s.runs
        return self._db.write(_delete, delete(table).where(table.c.run_uuid == run_id,
                                                           table.c.lifecycle_stage == DELETED))

    def purge_experiment(self, experiment_id: str) -> bool:
        eid = validate_experiment_id(experiment_id)
        table = s.experiments
        return self._db.write(_delete, delete(table).where(table.c.experiment_id == eid,
                                                           table.c.lifecycle_stage == DELETED))


def _rows(conn: Connection, table: Table, key: Column[Any], ids: Sequence[object] | None,
          order: Column[Any]) -> list[AnyRow]:
    """The rows named by ``ids``, or every deleted row when ``ids`` is None."""
    if ids is None:
        query = select(table).where(table.c.lifecycle_stage == DELETED).order_by(order, key)
        return list(conn.execute(query).all())
    found: list[AnyRow] = []
    for part in chunks(list(dict.fromkeys(ids))):
        found.extend(conn.execute(select(table).where(key.in_(part))).all())
    return found


def _checked(kind: str, targets: list[PurgeTarget], ids: list[str] | None, deleted_before: int | None,
             stages: dict[str, str]) -> list[PurgeTarget]:
    """Apply the age limit; every explicitly named id must exist, be deleted and be old enough."""
    def old_enough(target: PurgeTarget) -> bool:
        if deleted_before is None:
            return True
        return target.deleted_time is not None and target.deleted_time < deleted_before

    if ids is None:
        return [t for t in targets if old_enough(t)]
    by_id = {t.id: t for t in targets}
    problems = []
    for ident in dict.fromkeys(ids):
        if ident not in by_id:
            problems.append(f"{kind} {ident} does not exist")
        elif stages[ident] != DELETED:
            problems.append(f"{kind} {ident} is not deleted (delete it first)")
        elif not old_enough(by_id[ident]):
            problems.append(f"{kind} {ident} was deleted too recently for --older-than")
    if problems:
        raise InvalidArgument("Nothing was removed: " + "; ".join(problems))
    return [by_id[ident] for ident in dict.fromkeys(ids)]


def _run_target(row: AnyRow) -> PurgeTarget:
    return PurgeTarget("run", row.run_uuid, str(row.experiment_id), row.artifact_uri, row.deleted_time, row.name)


def _experiment_target(row: AnyRow) -> PurgeTarget:
    return PurgeTarget("experiment", str(row.experiment_id), str(row.experiment_id), row.artifact_location,
                       row.deleted_time, row.name)


def _contents(conn: Connection, experiment_id: int) -> list[PurgeTarget]:
    runs = conn.execute(select(s.runs).where(s.runs.c.experiment_id == experiment_id)
                        .order_by(s.runs.c.run_uuid)).all()
    m = s.logged_models
    models = conn.execute(select(m.c.model_id, m.c.artifact_uri, m.c.name)
                          .where(m.c.experiment_id == experiment_id).order_by(m.c.model_id)).all()
    out = [_run_target(row) for row in runs]
    out.extend(PurgeTarget("logged_model", row.model_id, str(experiment_id), row.artifact_uri, None, row.name)
               for row in models)
    return out


def _delete(conn: Connection, statement: Delete) -> bool:
    return bool(conn.execute(statement).rowcount)
