"""Metric points: one (key, value, timestamp, step) observation of a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracklog.entities._wire import double_from_wire, double_to_wire, int_from_wire


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int = 0
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None
    run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": self.key,
            "value": double_to_wire(self.value),
            "timestamp": self.timestamp,
            "step": self.step,
        }
        for name in ("model_id", "dataset_name", "dataset_digest", "run_id"):
            attr = getattr(self, name)
            if attr is not None:
                out[name] = attr
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Metric:
        return cls(
            key=str(data.get("key", "")),
            value=double_from_wire(data.get("value", 0.0)),
            timestamp=int_from_wire(data.get("timestamp", 0)),
            step=int_from_wire(data.get("step", 0) or 0),
            model_id=data.get("model_id") or None,
            dataset_name=data.get("dataset_name") or None,
            dataset_digest=data.get("dataset_digest") or None,
            run_id=data.get("run_id") or None,
        )
