"""Logged models (MLflow 3.x): a model with its own id, artifacts, params, tags and metrics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tracklog.entities._wire import get_list, int_from_wire, kv_tuple
from tracklog.entities.enums import LoggedModelStatus
from tracklog.entities.metric import Metric
from tracklog.entities.param import LoggedModelParameter
from tracklog.entities.tag import LoggedModelTag


@dataclass(frozen=True, slots=True, init=False)
class LoggedModel:
    """A logged model. As in MLflow, ``tags`` and ``params`` are dicts (key -> value) and
    ``metrics`` is a sequence of ``Metric``; the tag and param entities are ``tag_list``
    and ``param_list``. The constructor takes entities or ``{key: value}`` dicts."""

    model_id: str
    experiment_id: str
    name: str
    artifact_uri: str
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    status: LoggedModelStatus
    model_type: str | None
    source_run_id: str | None
    status_message: str | None
    tag_list: tuple[LoggedModelTag, ...]
    param_list: tuple[LoggedModelParameter, ...]
    metrics: tuple[Metric, ...]

    def __init__(  # noqa: PLR0913 - MLflow's field list
        self,
        model_id: str,
        experiment_id: str,
        name: str,
        artifact_uri: str,
        creation_timestamp_ms: int,
        last_updated_timestamp_ms: int,
        status: LoggedModelStatus = LoggedModelStatus.PENDING,
        model_type: str | None = None,
        source_run_id: str | None = None,
        status_message: str | None = None,
        tags: Iterable[LoggedModelTag] | Mapping[str, str] = (),
        params: Iterable[LoggedModelParameter] | Mapping[str, str] = (),
        metrics: Iterable[Metric] = (),
        *,
        tag_list: Iterable[LoggedModelTag] | None = None,
        param_list: Iterable[LoggedModelParameter] | None = None,
    ) -> None:
        # ``*_list=`` keywords are what ``dataclasses.replace`` passes.
        init = object.__setattr__
        init(self, "model_id", model_id)
        init(self, "experiment_id", experiment_id)
        init(self, "name", name)
        init(self, "artifact_uri", artifact_uri)
        init(self, "creation_timestamp_ms", creation_timestamp_ms)
        init(self, "last_updated_timestamp_ms", last_updated_timestamp_ms)
        init(self, "status", status)
        init(self, "model_type", model_type)
        init(self, "source_run_id", source_run_id)
        init(self, "status_message", status_message)
        init(self, "tag_list", kv_tuple(LoggedModelTag, tags if tag_list is None else tag_list))
        init(self, "param_list", kv_tuple(LoggedModelParameter, params if param_list is None else param_list))
        init(self, "metrics", tuple(metrics))

    @property
    def tags(self) -> dict[str, str]:
        """Tag key -> value (a fresh dict on every access)."""
        return {t.key: t.value for t in self.tag_list}

    @property
    def params(self) -> dict[str, str]:
        """Param key -> value (a fresh dict on every access)."""
        return {p.key: p.value for p in self.param_list}

    tag_dict = tags_dict = tags
    param_dict = params_dict = params

    @property
    def metric_list(self) -> tuple[Metric, ...]:
        return self.metrics

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
            "tags": [t.to_dict() for t in self.tag_list],
        }
        for name in ("model_type", "source_run_id", "status_message"):
            value = getattr(self, name)
            if value is not None:
                info[name] = value
        data: dict[str, Any] = {
            "params": [p.to_dict() for p in self.param_list],
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
