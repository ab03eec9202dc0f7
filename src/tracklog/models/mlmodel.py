"""The ``MLmodel`` file: MLflow's YAML description of a saved model.

Written with the keys MLflow's loaders read (``flavors``, ``model_id``,
``run_id``, ``artifact_path``, ``utc_time_created``, ``model_uuid``,
``signature``, ``saved_input_example_info``, ...). Read with ``yaml.safe_load``
only: a ``!!python/object`` tag in a downloaded file is an error, never code.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from tracklog.exceptions import InvalidArgument

__all__ = ["MLMODEL_FILE", "MLmodel"]

MLMODEL_FILE = "MLmodel"
PYFUNC_FLAVOR = "python_function"


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")


@dataclass
class MLmodel:
    """The parsed content of an ``MLmodel`` file."""

    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    artifact_path: str | None = None
    run_id: str | None = None
    model_id: str | None = None
    utc_time_created: str = field(default_factory=_now)
    model_uuid: str = field(default_factory=lambda: uuid.uuid4().hex)
    signature: dict[str, Any] | None = None
    saved_input_example_info: dict[str, Any] | None = None
    model_size_bytes: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def add_flavor(self, name: str, **conf: Any) -> None:
        self.flavors[name] = dict(conf)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"flavors": self.flavors}
        for key in ("artifact_path", "run_id", "model_id", "utc_time_created", "model_uuid", "model_size_bytes"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.signature is not None:
            out["signature"] = self.signature
        if self.saved_input_example_info is not None:
            out["saved_input_example_info"] = self.saved_input_example_info
        out.update(self.extra)
        return out

    def finish(self, directory: str | os.PathLike[str], metadata: Mapping[str, Any] | None = None) -> Path:
        """Record tracklog's version, the files' total size and user ``metadata``, then ``save``."""
        from tracklog import __version__

        self.extra["tracklog_version"] = __version__
        self.model_size_bytes = sum(p.stat().st_size for p in Path(directory).rglob("*") if p.is_file())
        if metadata:
            self.extra["metadata"] = dict(metadata)
        return self.save(directory)

    def save(self, directory: str | os.PathLike[str]) -> Path:
        path = Path(directory) / MLMODEL_FILE
        path.write_text(yaml.safe_dump(self.to_dict(), default_flow_style=False, sort_keys=True), encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> MLmodel:
        path = Path(directory)
        if path.is_dir():
            path = path / MLMODEL_FILE
        if not path.is_file():
            raise InvalidArgument(f"No MLmodel file at {path}: not a saved model directory")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InvalidArgument(f"Could not parse {path} as plain YAML: {exc}") from exc
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: object, where: str = "MLmodel") -> MLmodel:
        if not isinstance(raw, dict) or not isinstance(raw.get("flavors"), dict):
            raise InvalidArgument(f"{where} is not an MLmodel mapping with a 'flavors' section")
        flavors = {str(k): dict(v) for k, v in raw["flavors"].items() if isinstance(v, dict)}
        known = {
            "flavors",
            "artifact_path",
            "run_id",
            "model_id",
            "utc_time_created",
            "model_uuid",
            "signature",
            "saved_input_example_info",
            "model_size_bytes",
        }
        return cls(
            flavors=flavors,
            artifact_path=_opt_str(raw.get("artifact_path")),
            run_id=_opt_str(raw.get("run_id")),
            model_id=_opt_str(raw.get("model_id")),
            utc_time_created=str(raw.get("utc_time_created") or ""),
            model_uuid=str(raw.get("model_uuid") or ""),
            signature=raw.get("signature") if isinstance(raw.get("signature"), dict) else None,
            saved_input_example_info=raw.get("saved_input_example_info")
            if isinstance(raw.get("saved_input_example_info"), dict)
            else None,
            model_size_bytes=raw.get("model_size_bytes") if isinstance(raw.get("model_size_bytes"), int) else None,
            extra={str(k): v for k, v in raw.items() if k not in known},
        )

    def flavor(self, name: str) -> dict[str, Any]:
        conf = self.flavors.get(name)
        if conf is None:
            raise InvalidArgument(
                f"The model has no '{name}' flavor (flavors: {', '.join(sorted(self.flavors)) or 'none'})"
            )
        return conf


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
