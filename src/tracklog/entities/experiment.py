"""Experiments: named groups of runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracklog.entities._wire import get_list, int_from_wire
from tracklog.entities.enums import LifecycleStage
from tracklog.entities.tag import ExperimentTag

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"


@dataclass(frozen=True, slots=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    creation_time: int | None = None
    last_update_time: int | None = None
    tags: tuple[ExperimentTag, ...] = field(default=())

    @property
    def tag_list(self) -> tuple[ExperimentTag, ...]:
        return self.tags

    @property
    def tags_dict(self) -> dict[str, str]:
        return {t.key: t.value for t in self.tags}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "experiment_id": self.experiment_id,
            "name": self.name,
            "artifact_location": self.artifact_location,
            "lifecycle_stage": self.lifecycle_stage.value,
        }
        if self.creation_time is not None:
            out["creation_time"] = self.creation_time
        if self.last_update_time is not None:
            out["last_update_time"] = self.last_update_time
        if self.tags:
            out["tags"] = [t.to_dict() for t in self.tags]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Experiment:
        created = data.get("creation_time")
        updated = data.get("last_update_time")
        return cls(
            experiment_id=str(data.get("experiment_id", "")),
            name=str(data.get("name", "")),
            artifact_location=str(data.get("artifact_location", "")),
            lifecycle_stage=LifecycleStage.parse(data.get("lifecycle_stage", "active")),
            creation_time=int_from_wire(created) if created is not None else None,
            last_update_time=int_from_wire(updated) if updated is not None else None,
            tags=tuple(ExperimentTag.from_dict(t) for t in get_list(data, "tags")),
        )
