"""Enumerations shared by the entities; values are MLflow's wire names."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self


class _WireEnum(StrEnum):
    """An enum that serializes by name and parses a name or MLflow's proto number."""

    @classmethod
    def parse(cls, value: Any) -> Self:
        if isinstance(value, cls):
            return value
        if isinstance(value, bool):
            raise ValueError(f"invalid {cls.__name__}: {value!r}")
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            numbers = cls._numbers()
            if int(value) in numbers:
                return numbers[int(value)]
        if isinstance(value, str):
            for member in cls:
                if member.value == value or member.name == value.upper():
                    return member
        allowed = ", ".join(m.value for m in cls)
        raise ValueError(f"invalid {cls.__name__} {value!r}; expected one of {allowed}")

    @classmethod
    def _numbers(cls) -> dict[int, Self]:
        return {}


class RunStatus(_WireEnum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @classmethod
    def _numbers(cls) -> dict[int, RunStatus]:
        return {1: cls.RUNNING, 2: cls.SCHEDULED, 3: cls.FINISHED, 4: cls.FAILED, 5: cls.KILLED}

    @property
    def is_terminated(self) -> bool:
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)


class LifecycleStage(_WireEnum):
    ACTIVE = "active"
    DELETED = "deleted"


class ViewType(_WireEnum):
    ACTIVE_ONLY = "ACTIVE_ONLY"
    DELETED_ONLY = "DELETED_ONLY"
    ALL = "ALL"

    @classmethod
    def _numbers(cls) -> dict[int, ViewType]:
        return {1: cls.ACTIVE_ONLY, 2: cls.DELETED_ONLY, 3: cls.ALL}

    def stages(self) -> tuple[LifecycleStage, ...]:
        if self is ViewType.ACTIVE_ONLY:
            return (LifecycleStage.ACTIVE,)
        if self is ViewType.DELETED_ONLY:
            return (LifecycleStage.DELETED,)
        return (LifecycleStage.ACTIVE, LifecycleStage.DELETED)


class LoggedModelStatus(_WireEnum):
    UNSPECIFIED = "LOGGED_MODEL_STATUS_UNSPECIFIED"
    PENDING = "LOGGED_MODEL_PENDING"
    READY = "LOGGED_MODEL_READY"
    UPLOAD_FAILED = "LOGGED_MODEL_UPLOAD_FAILED"

    @classmethod
    def _numbers(cls) -> dict[int, LoggedModelStatus]:
        return {0: cls.UNSPECIFIED, 1: cls.PENDING, 2: cls.READY, 3: cls.UPLOAD_FAILED}
