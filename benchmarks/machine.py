"""What the numbers were measured on: machine, versions, scale, date (the JSON ``meta`` block)."""

from __future__ import annotations

import dataclasses
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.runner import Options

ROOT = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return 0.0


def _output(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def describe(options: Options, bench_python: Path | None) -> dict[str, Any]:
    mlflow_version = ""
    if bench_python is not None:
        mlflow_version = _output([str(bench_python), "-c",
                                  "import importlib.metadata as m; print(m.version('mlflow'))"])
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": options.scale.name,
        "repeat": options.scale.repeat,
        "backend": options.backend,
        "mlflow_job_runner": options.mlflow_jobs,
        "servers": list(options.servers),
        "workloads": list(options.workloads),
        "sizes": dataclasses.asdict(options.scale),
        "machine": {
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "memory_gib": _memory_gib(),
            "os": platform.platform(),
            "python": sys.version.split()[0],
        },
        "versions": {
            "mlflow": mlflow_version,
            "tracklog_commit": _output(["git", "rev-parse", "--short", "HEAD"]),
        },
    }
