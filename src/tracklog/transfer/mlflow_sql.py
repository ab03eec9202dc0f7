"""Reading an MLflow SQL database directly (SQLite, PostgreSQL, MySQL) with SQLAlchemy Core.

The tables are reflected, so only the columns used here must exist: experiments,
experiment_tags, runs, params, tags, metrics (every point, ``is_nan`` restoring
NaN), datasets, inputs, input_tags, logged_models and logged_model_tags / _params /
_metrics. Each experiment is read with one query per table; metric points with
one query per run (MLflow indexes metrics by run).

Artifact URIs stored in the database are resolved against ``artifact_root``: a
``mlflow-artifacts:/<path>`` URI (a server with proxied artifacts) becomes
``<artifact_root>/<path>``; other URIs (local paths, ``file:``, ``s3://``...) are
used as they are.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, select
from sqlalchemy.engine import Engine

from tracklog.artifacts.base import ArtifactRepository
from tracklog.artifacts.registry import get_repository
from tracklog.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    ExperimentTag,
    InputTag,
    LifecycleStage,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
)
from tracklog.exceptions import InvalidArgument

__all__ = ["MlflowSqlSource"]

_TABLES = (
    "experiments", "experiment_tags", "runs", "params", "tags", "metrics", "datasets", "inputs",
    "input_tags", "logged_models", "logged_model_tags", "logged_model_params", "logged_model_metrics",
)
_OPTIONAL = {"datasets", "inputs", "input_tags", "logged_models", "logged_model_tags",
             "logged_model_params", "logged_model_metrics"}
_PROXY_SCHEME = "mlflow-artifacts:"


class MlflowSqlSource:
    """A ``Source`` over MLflow's tables; ``artifact_root`` is the server's artifacts destination."""

    def __init__(self, db_uri: str, artifact_root: str | None = None) -> None:
        self.label = db_uri
        self.artifact_root = artifact_root
        self._engine: Engine = create_engine(db_uri)
        self._t = self._reflect()

    def _reflect(self) -> dict[str, Table]:
        meta = MetaData()
        meta.reflect(self._engine, only=lambda name, _meta: name in _TABLES)
        missing = [n for n in _TABLES if n not in meta.tables and n not in _OPTIONAL]
        if missing:
            raise InvalidArgument(
                f"{self.label} does not look like an MLflow database (missing tables: {', '.join(missing)})"
            )
        return {name: meta.tables[name] for name in _TABLES if name in meta.tables}

    def _rows(self, stmt: Any) -> list[Mapping[str, Any]]:
        with self._engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(stmt)]

    # -- experiments ---------------------------------------------------------------
    def experiments(self) -> list[Experiment]:
        e, et = self._t["experiments"], self._t["experiment_tags"]
        tags: dict[str, list[ExperimentTag]] = defaultdict(list)
        for row in self._rows(select(et.c.experiment_id, et.c.key, et.c.value)):
            tags[str(row["experiment_id"])].append(ExperimentTag(row["key"], row["value"] or ""))
        out = []
        for row in self._rows(select(e).order_by(e.c.experiment_id)):
            ident = str(row["experiment_id"])
            out.append(Experiment(
                experiment_id=ident, name=row["name"], artifact_location=row["artifact_location"] or "",
                lifecycle_stage=LifecycleStage.parse(row["lifecycle_stage"] or "active"),
                creation_time=row.get("creation_time"), last_update_time=row.get("last_update_time"),
                tags=tuple(sorted(tags[ident], key=lambda t: t.key)),
            ))
        return out

    # -- runs ------------------------------------------------------------------------
    def runs(self, experiment_id: str) -> list[Run]:
        r = self._t["runs"]
        rows = self._rows(
            select(r).where(r.c.experiment_id == int(experiment_id)).order_by(r.c.start_time, r.c.run_uuid)
        )
        run_ids = select(r.c.run_uuid).where(r.c.experiment_id == int(experiment_id)).scalar_subquery()
        params = self._key_values("params", run_ids)
        tags = self._key_values("tags", run_ids)
        datasets, models_in, models_out = self._inputs(run_ids)
        out = []
        for row in rows:
            ident = row["run_uuid"]
            info = RunInfo(
                run_id=ident, experiment_id=experiment_id, run_name=row.get("name") or "",
                user_id=row.get("user_id") or "", status=RunStatus.parse(row["status"] or "RUNNING"),
                start_time=row.get("start_time"), end_time=row.get("end_time"),
                artifact_uri=row.get("artifact_uri") or "",
                lifecycle_stage=LifecycleStage.parse(row["lifecycle_stage"] or "active"),
            )
            data = RunData(
                params=tuple(Param(k, v) for k, v in params.get(ident, [])),
                tags=tuple(RunTag(k, v) for k, v in tags.get(ident, [])),
            )
            out.append(Run(
                info, data, RunInputs(tuple(datasets.get(ident, [])), tuple(models_in.get(ident, []))),
                RunOutputs(tuple(models_out.get(ident, []))),
            ))
        return out

    def _key_values(self, table: str, run_ids: Any) -> dict[str, list[tuple[str, str]]]:
        t = self._t[table]
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        stmt = select(t.c.run_uuid, t.c.key, t.c.value).where(t.c.run_uuid.in_(run_ids)).order_by(t.c.key)
        for row in self._rows(stmt):
            out[row["run_uuid"]].append((row["key"], row["value"] if row["value"] is not None else ""))
        return out

    def _inputs(self, run_ids: Any) -> tuple[
        dict[str, list[DatasetInput]], dict[str, list[LoggedModelInput]], dict[str, list[LoggedModelOutput]]
    ]:
        datasets: dict[str, list[DatasetInput]] = defaultdict(list)
        models_in: dict[str, list[LoggedModelInput]] = defaultdict(list)
        models_out: dict[str, list[LoggedModelOutput]] = defaultdict(list)
        if "inputs" not in self._t:
            return datasets, models_in, models_out
        i = self._t["inputs"]
        run_side = i.c.destination_id.in_(run_ids) | i.c.source_id.in_(run_ids)
        rows = self._rows(select(i).where(run_side))
        dataset_rows = [row for row in rows if row["source_type"] == "DATASET" and row["destination_type"] == "RUN"]
        by_uuid = self._datasets([row["source_id"] for row in dataset_rows])
        input_tags = self._input_tags([row["input_uuid"] for row in dataset_rows])
        for row in rows:
            if row["source_type"] == "DATASET" and row["destination_type"] == "RUN":
                if row["source_id"] not in by_uuid:
                    continue
                tags = tuple(InputTag(k, v) for k, v in input_tags.get(row["input_uuid"], []))
                datasets[row["destination_id"]].append(DatasetInput(by_uuid[row["source_id"]], tags))
            elif row["source_type"] == "RUN_INPUT":
                models_in[row["source_id"]].append(LoggedModelInput(row["destination_id"]))
            elif row["source_type"] == "RUN_OUTPUT":
                models_out[row["source_id"]].append(LoggedModelOutput(row["destination_id"], int(row.get("step") or 0)))
        return datasets, models_in, models_out

    def _datasets(self, uuids: Sequence[str]) -> dict[str, Dataset]:
        if not uuids or "datasets" not in self._t:
            return {}
        d = self._t["datasets"]
        out = {}
        for row in self._rows(select(d).where(d.c.dataset_uuid.in_(sorted(set(uuids))))):
            out[row["dataset_uuid"]] = Dataset(
                name=row["name"], digest=row["digest"], source_type=row["dataset_source_type"],
                source=row["dataset_source"], schema=row.get("dataset_schema"), profile=row.get("dataset_profile"),
            )
        return out

    def _input_tags(self, uuids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        if not uuids or "input_tags" not in self._t:
            return out
        t = self._t["input_tags"]
        for row in self._rows(select(t).where(t.c.input_uuid.in_(sorted(set(uuids)))).order_by(t.c.name)):
            out[row["input_uuid"]].append((row["name"], row["value"]))
        return out

    def metric_history(self, run: Run) -> Iterator[Metric]:
        m = self._t["metrics"]
        stmt = (
            select(m.c.key, m.c.value, m.c.timestamp, m.c.step, m.c.is_nan)
            .where(m.c.run_uuid == run.info.run_id)
            .order_by(m.c.key, m.c.step, m.c.timestamp)
        )
        for row in self._rows(stmt):
            value = math.nan if row["is_nan"] else float(row["value"])
            yield Metric(row["key"], value, int(row["timestamp"] or 0), int(row["step"] or 0))

    # -- logged models ------------------------------------------------------------
    def logged_models(self, experiment_id: str) -> list[LoggedModel]:
        if "logged_models" not in self._t:
            return []
        lm = self._t["logged_models"]
        stmt = (
            select(lm)
            .where(lm.c.experiment_id == int(experiment_id), lm.c.lifecycle_stage != "deleted")
            .order_by(lm.c.creation_timestamp_ms, lm.c.model_id)
        )
        rows = self._rows(stmt)
        ids = [row["model_id"] for row in rows]
        tags = self._model_key_values("logged_model_tags", "tag_key", "tag_value", ids)
        params = self._model_key_values("logged_model_params", "param_key", "param_value", ids)
        metrics = self._model_metrics(ids)
        return [
            LoggedModel(
                model_id=row["model_id"], experiment_id=experiment_id, name=row["name"],
                artifact_uri=row["artifact_location"], creation_timestamp_ms=int(row["creation_timestamp_ms"]),
                last_updated_timestamp_ms=int(row["last_updated_timestamp_ms"]),
                status=LoggedModelStatus.parse(int(row["status"])), model_type=row.get("model_type"),
                source_run_id=row.get("source_run_id"), status_message=row.get("status_message"),
                tags=tuple(LoggedModelTag(k, v) for k, v in tags.get(row["model_id"], [])),
                params=tuple(LoggedModelParameter(k, v) for k, v in params.get(row["model_id"], [])),
                metrics=tuple(metrics.get(row["model_id"], [])),
            )
            for row in rows
        ]

    def _model_key_values(
        self, table: str, key: str, value: str, ids: Sequence[str]
    ) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        if not ids or table not in self._t:
            return out
        t = self._t[table]
        stmt = select(t.c.model_id, t.c[key], t.c[value]).where(t.c.model_id.in_(ids)).order_by(t.c[key])
        for row in self._rows(stmt):
            out[row["model_id"]].append((row[key], row[value]))
        return out

    def _model_metrics(self, ids: Sequence[str]) -> dict[str, list[Metric]]:
        out: dict[str, list[Metric]] = defaultdict(list)
        if not ids or "logged_model_metrics" not in self._t:
            return out
        t = self._t["logged_model_metrics"]
        for row in self._rows(select(t).where(t.c.model_id.in_(ids))):
            value = row["metric_value"]
            out[row["model_id"]].append(Metric(
                key=row["metric_name"], value=math.nan if value is None else float(value),
                timestamp=int(row["metric_timestamp_ms"]), step=int(row["metric_step"]),
                model_id=row["model_id"], dataset_name=row.get("dataset_name"),
                dataset_digest=row.get("dataset_digest"), run_id=row["run_id"],
            ))
        return out

    # -- artifacts -------------------------------------------------------------------
    def resolve_artifact_uri(self, uri: str) -> str:
        if uri.startswith(_PROXY_SCHEME):
            if not self.artifact_root:
                raise InvalidArgument(
                    f"Artifacts live behind an MLflow server ({uri}); pass --source-artifact-root with the "
                    "server's --artifacts-destination folder (or URI)"
                )
            rest = uri[len(_PROXY_SCHEME):].lstrip("/")
            return f"{self.artifact_root.rstrip('/')}/{rest}"
        return uri

    def run_artifacts(self, run: Run) -> ArtifactRepository | None:
        uri = run.info.artifact_uri
        return get_repository(self.resolve_artifact_uri(uri)) if uri else None

    def model_artifacts(self, model: LoggedModel) -> ArtifactRepository | None:
        uri = model.artifact_uri
        return get_repository(self.resolve_artifact_uri(uri)) if uri else None

    def close(self) -> None:
        self._engine.dispose()
