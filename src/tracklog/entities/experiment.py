"""Experiments: named groups of runs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tracklog.entities._wire import get_list, int_from_wire, kv_tuple
from tracklog.entities.enums import LifecycleStage
from tracklog.entities.tag import ExperimentTag

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"


@dataclass(frozen=True, slots=True, init=False)
class Experiment:
    """An experiment. As in MLflow, ``tags`` is a dict (key -> value); the entity
    objects are ``tag_list``. The constructor takes tag entities (or a dict)."""

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage
    creation_time: int | None
    last_update_time: int | None
    tag_list: tuple[ExperimentTag, ...]

    def __init__(
        self,
        experiment_id: str,
        name: str,
        artifact_location: str,
        lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE,
        creation_time: int | None = None,
        last_update_time: int | None = None,
        tags: Iterable[ExperimentTag] | Mapping[str, str] = (),
        *,
        tag_list: Iterable[ExperimentTag] | None = None,
    ) -> None:
        # ``tag_list=`` is what ``dataclasses.replace`` passes.
        init = object.__setattr__
        init(self, "experiment_id", experiment_id)
        init(self, "name", name)
        init(self, "artifact_location", artifact_location)
        init(self, "lifecycle_stage", lifecycle_stage)
        init(self, "creation_time", creation_time)
        init(self, "last_update_time", last_update_time)
        init(self, "tag_list", kv_tuple(ExperimentTag, tags if tag_list is None else tag_list))

    @property
    def tags(self) -> dict[str, str]:
        """Tag key -> value (a fresh dict on every access)."""
        return {t.key: t.value for t in self.tag_list}

    tag_dict = tags_dict = tags

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
        if self.tag_list:
            out["tags"] = [t.to_dict() for t in self.tag_list]
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
