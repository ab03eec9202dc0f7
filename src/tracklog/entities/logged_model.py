"""Logged models (MLflow 3.x): a model with its own id, artifacts, params, tags and metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracklog.entities._wire import get_list, int_from_wire
from tracklog.entities.enums import LoggedModelStatus
from tracklog.entities.metric import Metric
from tracklog.entities.param import LoggedModelParameter
from tracklog.entities.tag import LoggedModelTag


@dataclass(frozen=True, slots=True)
class LoggedModel:
    model_id: str
    experiment_id: str
    name: str
    artifact_uri: str
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    status: LoggedModelStatus = LoggedModelStatus.PENDING
    model_type: str | None = None
    source_run_id: str | None = None
    status_message: str | None = None
    tags: tuple[LoggedModelTag, ...] = field(default=())
    params: tuple[LoggedModelParameter, ...] = field(default=())
    metrics: tuple[Metric, ...] = field(default=())

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_id}"

    def to_dict(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "model_id": self.model_id,
            "experiment_id": self.experiment_id,
            "name": self.name,
            "creation_timestamp_ms": self.creation_timestamp_ms,
            "last_updated_timestamp_ms": self.last_updated_timestamp_ms,
            "artifact_uri": self.artifact_uri,
            "status": self.status.value,
            "tags": [t.to_dict() for t in self.tags],
        }
        for name in ("model_type", "source_run_id", "status_message"):
            value = getattr(self, name)
            if value is not None:
                info[name] = value
        data: dict[str, Any] = {
            "params": [p.to_dict() for p in self.params],
            "metrics": [m.to_dict() for m in self.metrics],
        }
        return {"info": info, "data": data}

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> LoggedModel:
        info = payload.get("info") or {}
        data = payload.get("data") or {}
        return cls(
            model_id=str(info.get("model_id", "")),
            experiment_id=str(info.get("experiment_id", "")),
            name=str(info.get("name", "")),
            artifact_uri=str(info.get("artifact_uri", "")),
            creation_timestamp_ms=int_from_wire(info.get("creation_timestamp_ms", 0)),
            last_updated_timestamp_ms=int_from_wire(info.get("last_updated_timestamp_ms", 0)),
            status=LoggedModelStatus.parse(info.get("status", "LOGGED_MODEL_PENDING")),
            model_type=info.get("model_type"),
            source_run_id=info.get("source_run_id"),
            status_message=info.get("status_message"),
            tags=tuple(LoggedModelTag.from_dict(t) for t in get_list(info, "tags")),
            params=tuple(LoggedModelParameter.from_dict(p) for p in get_list(data, "params")),
            metrics=tuple(Metric.from_dict(m) for m in get_list(data, "metrics")),
        )
