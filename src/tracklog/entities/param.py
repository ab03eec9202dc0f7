"""Params: write-once key/value pairs of a run (or a logged model)."""

from __future__ import annotations

from dataclasses import dataclass

from tracklog.entities.tag import _KeyValue


@dataclass(frozen=True, slots=True)
class Param(_KeyValue):
    """A run parameter. Re-logging the same value is fine; a different value is an error."""


@dataclass(frozen=True, slots=True)
class LoggedModelParameter(_KeyValue):
    """A parameter of a logged model."""
