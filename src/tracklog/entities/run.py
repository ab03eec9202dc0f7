"""Runs: one execution, with its info, data (metrics, params, tags), inputs and outputs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tracklog.entities._wire import get_list, int_from_wire
from tracklog.entities.dataset import RunInputs, RunOutputs
from tracklog.entities.enums import LifecycleStage, RunStatus
from tracklog.entities.metric import Metric
from tracklog.entities.param import Param
from tracklog.entities.tag import RunTag


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: RunStatus
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE

    @property
    def run_uuid(self) -> str:
        return self.run_id

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "run_uuid": self.run_id,
            "run_name": self.run_name,
            "experiment_id": self.experiment_id,
            "user_id": self.user_id,
            "status": self.status.value,
            "artifact_uri": self.artifact_uri,
            "lifecycle_stage": self.lifecycle_stage.value,
        }
        if self.start_time is not None:
            out["start_time"] = self.start_time
        if self.end_time is not None:
            out["end_time"] = self.end_time
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunInfo:
        start = data.get("start_time")
        end = data.get("end_time")
        return cls(
            run_id=str(data.get("run_id") or data.get("run_uuid") or ""),
            experiment_id=str(data.get("experiment_id", "")),
            run_name=str(data.get("run_name", "")),
            user_id=str(data.get("user_id", "")),
            status=RunStatus.parse(data.get("status", "RUNNING")),
            start_time=int_from_wire(start) if start is not None else None,
            end_time=int_from_wire(end) if end is not None else None,
            artifact_uri=str(data.get("artifact_uri", "")),
            lifecycle_stage=LifecycleStage.parse(data.get("lifecycle_stage", "active")),
        )


@dataclass(frozen=True, slots=True, init=False)
class RunData:
    """Latest value per metric key, all params and all tags.

    As in MLflow, ``metrics``, ``params`` and ``tags`` are dicts (key -> latest value,
    key -> value); the entity objects are ``metric_list``, ``param_list`` and ``tag_list``.
    The constructor takes entity sequences: ``RunData(metrics=[Metric(...)], params=[...])``.
    """

    metric_list: tuple[Metric, ...]
    param_list: tuple[Param, ...]
    tag_list: tuple[RunTag, ...]

    def __init__(
        self,
        metrics: Iterable[Metric] = (),
        params: Iterable[Param] = (),
        tags: Iterable[RunTag] = (),
        *,
        metric_list: Iterable[Metric] | None = None,
        param_list: Iterable[Param] | None = None,
        tag_list: Iterable[RunTag] | None = None,
    ) -> None:
        # ``*_list=`` keywords are what ``dataclasses.replace`` passes.
        object.__setattr__(self, "metric_list", tuple(metrics if metric_list is None else metric_list))
        object.__setattr__(self, "param_list", tuple(params if param_list is None else param_list))
        object.__setattr__(self, "tag_list", tuple(tags if tag_list is None else tag_list))

    @property
    def metrics(self) -> dict[str, float]:
        """Metric key -> latest value (a fresh dict on every access)."""
        return {m.key: m.value for m in self.metric_list}

    @property
    def params(self) -> dict[str, str]:
        """Param key -> value (a fresh dict on every access)."""
        return {p.key: p.value for p in self.param_list}

    @property
    def tags(self) -> dict[str, str]:
        """Tag key -> value (a fresh dict on every access)."""
        return {t.key: t.value for t in self.tag_list}

    # Aliases of the dicts, for code written against either spelling.
    metric_dict = metrics_dict = metrics
    param_dict = params_dict = params
    tag_dict = tags_dict = tags

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.metric_list:
            out["metrics"] = [m.to_dict() for m in self.metric_list]
        if self.param_list:
            out["params"] = [p.to_dict() for p in self.param_list]
        if self.tag_list:
            out["tags"] = [t.to_dict() for t in self.tag_list]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunData:
        return cls(
            metrics=tuple(Metric.from_dict(m) for m in get_list(data, "metrics")),
            params=tuple(Param.from_dict(p) for p in get_list(data, "params")),
            tags=tuple(RunTag.from_dict(t) for t in get_list(data, "tags")),
        )


@dataclass(frozen=True, slots=True)
class Run:
    info: RunInfo
    data: RunData = field(default_factory=RunData)
    inputs: RunInputs = field(default_factory=RunInputs)
    outputs: RunOutputs = field(default_factory=RunOutputs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "info": self.info.to_dict(),
            "data": self.data.to_dict(),
            "inputs": self.inputs.to_dict(),
            "outputs": self.outputs.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        return cls(
            info=RunInfo.from_dict(data.get("info") or {}),
            data=RunData.from_dict(data.get("data") or {}),
            inputs=RunInputs.from_dict(data.get("inputs") or {}),
            outputs=RunOutputs.from_dict(data.get("outputs") or {}),
        )


