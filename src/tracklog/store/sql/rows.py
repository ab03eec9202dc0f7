"""Database rows <-> entities, including the exact encoding of non-finite metric values."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any, TypeAlias

from sqlalchemy import Row

from tracklog.entities import (
    Experiment,
    ExperimentTag,
    LifecycleStage,
    Metric,
    RunInfo,
    RunStatus,
)
from tracklog.store.sql.schema import ValueKind

DBL_MAX = sys.float_info.max

#: A result row of any shape.
AnyRow: TypeAlias = Row[*tuple[Any, ...]]


def encode_value(value: float) -> tuple[int, float]:
    """(value_kind, stored double): NaN -> 0.0, +/-Inf -> +/-DBL_MAX, finite values as they are."""
    value = float(value)
    if math.isnan(value):
        return ValueKind.NAN, 0.0
    if math.isinf(value):
        return (ValueKind.POS_INF, DBL_MAX) if value > 0 else (ValueKind.NEG_INF, -DBL_MAX)
    if value == 0.0 and math.copysign(1.0, value) < 0:
        return ValueKind.NEG_ZERO, 0.0
    return ValueKind.FINITE, value


def decode_value(kind: int, value: float) -> float:
    if kind == ValueKind.NAN:
        return math.nan
    if kind == ValueKind.POS_INF:
        return math.inf
    if kind == ValueKind.NEG_INF:
        return -math.inf
    if kind == ValueKind.NEG_ZERO:
        return -0.0
    return float(value)


def history_wire(rows: Sequence[tuple[Any, ...]], key: str, run_id: str) -> list[dict[str, Any]]:
    """(step, timestamp, value_kind, value) rows of one metric straight to their wire dicts.

    The same output as ``metric_from_row(...).to_dict()`` without the entity in between
    (metric history pages hold up to 25,000 points)."""
    finite, neg_zero = ValueKind.FINITE, ValueKind.NEG_ZERO
    return [
        {"key": key,
         "value": float(value) if kind == finite else (-0.0 if kind == neg_zero else _NON_FINITE_WIRE[kind]),
         "timestamp": int(timestamp), "step": int(step), "run_id": run_id}
        for step, timestamp, kind, value in rows
    ]


_NON_FINITE_WIRE = {ValueKind.NAN: "NaN", ValueKind.POS_INF: "Infinity", ValueKind.NEG_INF: "-Infinity"}


def metric_from_row(row: AnyRow, *, run_id: str | None = None) -> Metric:
    m = row._mapping
    return Metric(
        key=m["key"],
        value=decode_value(m["value_kind"], m["value"]),
        timestamp=int(m["timestamp"]),
        step=int(m["step"]),
        run_id=run_id,
    )


def experiment_from_row(row: AnyRow, tags: list[ExperimentTag]) -> Experiment:
    m = row._mapping
    return Experiment(
        experiment_id=str(m["experiment_id"]),
        name=m["name"],
        artifact_location=m["artifact_location"],
        lifecycle_stage=LifecycleStage(m["lifecycle_stage"]),
        creation_time=m["creation_time"],
        last_update_time=m["last_update_time"],
        tags=tuple(sorted(tags, key=lambda t: t.key)),
    )


def run_info_from_row(row: AnyRow) -> RunInfo:
    m = row._mapping
    return RunInfo(
        run_id=m["run_uuid"],
        experiment_id=str(m["experiment_id"]),
        run_name=m["name"],
        user_id=m["user_id"],
        status=RunStatus(m["status"]),
        start_time=m["start_time"],
        end_time=m["end_time"],
        artifact_uri=m["artifact_uri"],
        lifecycle_stage=LifecycleStage(m["lifecycle_stage"]),
    )


def join_uri(root: str, *parts: str) -> str:
    """Append path segments to a local path or URI without doubling slashes.

    ``"s3://b/p/" + "1"`` -> ``"s3://b/p/1"``; ``"mlflow-artifacts:/" + "1"`` ->
    ``"mlflow-artifacts:/1"``; ``"mlflow-artifacts:" + "1"`` -> ``"mlflow-artifacts:/1"``."""
    out = root
    for part in parts:
        part = part.strip("/")
        if not part:
            continue
        if out.endswith("/"):
            out = out + part
        elif out.endswith(":"):
            out = out + "/" + part
        else:
            out = out + "/" + part
    return out
