"""The tracklog export format, version 1: a directory anyone can read without tracklog.

    TARGET_DIR/
      manifest.json              {"format": "tracklog-export", "version": 1, "created_at": <ms>,
                                  "source": "<tracking URI>", "counts": {...}}
      experiments.jsonl          one experiment per line (MLflow's JSON shape, tags included)
      runs.jsonl                 one run per line: {"info", "data": {"params", "tags"}, "inputs", "outputs"}
      logged_models.jsonl        one logged model per line: {"info", "data": {"params", "metrics"}}
      metrics/<run_id>.jsonl     every metric point of a run: {"key", "value", "timestamp", "step"}
                                 (non-finite values as the strings "NaN", "Infinity", "-Infinity")
      artifacts/runs/<run_id>/...       the run's artifact tree, file for file
      artifacts/models/<model_id>/...   the logged model's artifact tree

JSON objects follow MLflow's REST shapes (``Experiment.to_dict()``, ``Run.to_dict()``...);
readers must ignore unknown keys. A reader refuses a newer major ``version``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracklog.exceptions import InvalidArgument

__all__ = [
    "ARTIFACTS_DIR",
    "EXPERIMENTS_FILE",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "METRICS_DIR",
    "MODELS_FILE",
    "RUNS_FILE",
    "read_jsonl",
    "read_manifest",
    "write_json_line",
]

FORMAT_NAME = "tracklog-export"
FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
EXPERIMENTS_FILE = "experiments.jsonl"
RUNS_FILE = "runs.jsonl"
MODELS_FILE = "logged_models.jsonl"
METRICS_DIR = "metrics"
ARTIFACTS_DIR = "artifacts"


def write_json_line(handle: Any, value: dict[str, Any]) -> None:
    handle.write(json.dumps(value, separators=(",", ":"), allow_nan=False) + "\n")


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidArgument(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(value, dict):
                raise InvalidArgument(f"{path}:{number}: expected a JSON object")
            yield value


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidArgument(f"{folder} is not a tracklog export (no {MANIFEST_FILE})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise InvalidArgument(f"{path}: not a {FORMAT_NAME} manifest")
    version = manifest.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise InvalidArgument(
            f"{path}: export format version {version!r} is not supported (this tracklog reads up to {FORMAT_VERSION})"
        )
    return manifest
