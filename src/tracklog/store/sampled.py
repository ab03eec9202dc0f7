"""Bucketed (downsampled) metric histories for charts.

A chart cannot show more points than it has pixels, but dropping points must never hide
a spike or a NaN. ``TrackingStore.get_metric_history_sampled`` therefore splits the step
range into at most ``max_points`` equal-width buckets and returns, per bucket, the last
point (what the line is drawn through), the minimum and maximum of the bucket (a band that
keeps every spike visible, +/-inf included) and how many points and NaNs it holds. When
the range has no more distinct steps than ``max_points`` every bucket is one step, so the
answer is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["SAMPLED_MAX_POINTS", "SAMPLED_MAX_RUNS", "SampledPoint", "SampledSeries"]

#: Upper bound of buckets per run and request (larger requests are capped, not refused).
SAMPLED_MAX_POINTS = 5000
#: Runs per request.
SAMPLED_MAX_RUNS = 100


def _json_number(value: float) -> float | str:
    """MLflow's JSON spells non-finite doubles as strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _from_json(value: Any) -> float:
    return float(value) if value is not None else math.nan


@dataclass(frozen=True, slots=True)
class SampledPoint:
    """One bucket: its last point (step, timestamp, value) plus min/max over its non-NaN values.

    ``min``/``max`` are NaN when every point of the bucket is NaN; ``nan_count`` says how many
    NaN points the bucket holds, so a NaN is never hidden behind a finite last value."""

    step: int
    timestamp: int
    value: float
    min: float
    max: float
    count: int
    nan_count: int
    first_step: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step, "timestamp": self.timestamp, "value": _json_number(self.value),
            "min": _json_number(self.min), "max": _json_number(self.max), "count": self.count,
            "nan_count": self.nan_count, "first_step": self.first_step,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SampledPoint:
        return cls(
            step=int(d.get("step", 0)), timestamp=int(d.get("timestamp", 0)),
            value=_from_json(d.get("value")), min=_from_json(d.get("min")), max=_from_json(d.get("max")),
            count=int(d.get("count", 1)), nan_count=int(d.get("nan_count", 0)),
            first_step=int(d.get("first_step", d.get("step", 0))),
        )


@dataclass(frozen=True, slots=True)
class SampledSeries:
    """The buckets of one run's metric in step order; ``total`` counts the points they cover."""

    run_id: str
    key: str
    points: tuple[SampledPoint, ...]
    total: int
    bucket_width: int

    @property
    def exact(self) -> bool:
        """True when nothing was merged: one point per bucket."""
        return all(p.count == 1 for p in self.points)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "key": self.key, "total": self.total, "bucket_width": self.bucket_width,
            "points": [p.to_dict() for p in self.points],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SampledSeries:
        points = d.get("points") or []
        return cls(
            run_id=str(d.get("run_id", "")), key=str(d.get("key", "")),
            points=tuple(SampledPoint.from_dict(p) for p in points if isinstance(p, dict)),
            total=int(d.get("total", 0)), bucket_width=int(d.get("bucket_width", 1)),
        )
