"""An entry of an artifact listing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FileInfo:
    path: str
    is_dir: bool
    file_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "is_dir": self.is_dir}
        if self.file_size is not None and not self.is_dir:
            out["file_size"] = self.file_size
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileInfo:
        size = data.get("file_size")
        return cls(path=str(data.get("path", "")), is_dir=bool(data.get("is_dir", False)),
                   file_size=int(size) if size is not None else None)
