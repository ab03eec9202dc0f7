"""Datasets and the inputs that link them (and logged models) to runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracklog.entities._wire import get_list, int_from_wire
from tracklog.entities.tag import InputTag


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "digest": self.digest,
            "source_type": self.source_type,
            "source": self.source,
        }
        if self.schema is not None:
            out["schema"] = self.schema
        if self.profile is not None:
            out["profile"] = self.profile
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dataset:
        return cls(
            name=str(data.get("name", "")),
            digest=str(data.get("digest", "")),
            source_type=str(data.get("source_type", "")),
            source=str(data.get("source", "")),
            schema=data.get("schema"),
            profile=data.get("profile"),
        )


@dataclass(frozen=True, slots=True)
class DatasetInput:
    dataset: Dataset
    tags: tuple[InputTag, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"tags": [t.to_dict() for t in self.tags], "dataset": self.dataset.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetInput:
        return cls(
            dataset=Dataset.from_dict(data.get("dataset") or {}),
            tags=tuple(InputTag.from_dict(t) for t in get_list(data, "tags")),
        )


@dataclass(frozen=True, slots=True)
class LoggedModelInput:
    model_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"model_id": self.model_id}


@dataclass(frozen=True, slots=True)
class LoggedModelOutput:
    model_id: str
    step: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "step": self.step}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoggedModelOutput:
        return cls(model_id=str(data.get("model_id", "")), step=int_from_wire(data.get("step", 0) or 0))


@dataclass(frozen=True, slots=True)
class RunInputs:
    dataset_inputs: tuple[DatasetInput, ...] = ()
    model_inputs: tuple[LoggedModelInput, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.dataset_inputs:
            out["dataset_inputs"] = [d.to_dict() for d in self.dataset_inputs]
        if self.model_inputs:
            out["model_inputs"] = [m.to_dict() for m in self.model_inputs]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunInputs:
        return cls(
            dataset_inputs=tuple(DatasetInput.from_dict(d) for d in get_list(data, "dataset_inputs")),
            model_inputs=tuple(
                LoggedModelInput(str(m.get("model_id", ""))) for m in get_list(data, "model_inputs")
            ),
        )


@dataclass(frozen=True, slots=True)
class RunOutputs:
    model_outputs: tuple[LoggedModelOutput, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        if not self.model_outputs:
            return {}
        return {"model_outputs": [m.to_dict() for m in self.model_outputs]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunOutputs:
        return cls(tuple(LoggedModelOutput.from_dict(m) for m in get_list(data, "model_outputs")))
