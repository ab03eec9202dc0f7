"""Tags and params: simple key/value pairs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self


@dataclass(frozen=True, slots=True)
class _KeyValue:
    key: str
    value: str

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        value = data.get("value")
        return cls(key=str(data.get("key", "")), value="" if value is None else str(value))


@dataclass(frozen=True, slots=True)
class RunTag(_KeyValue):
    """A mutable label on a run (last write wins)."""


@dataclass(frozen=True, slots=True)
class ExperimentTag(_KeyValue):
    """A mutable label on an experiment."""


@dataclass(frozen=True, slots=True)
class LoggedModelTag(_KeyValue):
    """A mutable label on a logged model."""


@dataclass(frozen=True, slots=True)
class InputTag(_KeyValue):
    """A label on a dataset input, e.g. ``mlflow.data.context``."""
