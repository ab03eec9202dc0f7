"""Reproducibility: pinned requirements of the running interpreter.

``requirements.txt``, ``python_env.yaml`` and ``conda.yaml`` next to a model
pin the packages it imports (versions read with ``importlib.metadata``), in
the layout MLflow's environment managers read. :func:`log_environment` logs
every installed distribution of the interpreter as a run artifact.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ENVIRONMENT_ARTIFACT",
    "installed_requirements",
    "log_environment",
    "pinned",
    "write_environment_files",
]

ENVIRONMENT_ARTIFACT = "environment/requirements.txt"
REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_FILE = "conda.yaml"


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def pinned(distributions: Iterable[str]) -> list[str]:
    """``name==version`` for each installed distribution (missing ones are skipped), sorted."""
    lines = {f"{name}=={v}" for name in distributions if (v := _version(name)) is not None}
    return sorted(lines, key=str.lower)


def installed_requirements() -> list[str]:
    """Every distribution installed in this interpreter, pinned (editable installs included by version)."""
    seen: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and dist.version:
            seen.setdefault(re.sub(r"[-_.]+", "-", name).lower(), f"{name}=={dist.version}")
    return sorted(seen.values(), key=str.lower)


def write_environment_files(directory: str | Path, requirements: list[str]) -> dict[str, Any]:
    """Write the three environment files; return the ``env`` section of the pyfunc flavor."""
    folder = Path(directory)
    python = platform.python_version()
    (folder / REQUIREMENTS_FILE).write_text("\n".join(requirements) + "\n", encoding="utf-8")
    pip_line = pinned(["pip"])
    python_env = {
        "python": python,
        "build_dependencies": [*pip_line, *pinned(["setuptools"]), "wheel"] if pip_line else ["pip", "wheel"],
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }
    (folder / PYTHON_ENV_FILE).write_text(yaml.safe_dump(python_env, sort_keys=False), encoding="utf-8")
    conda = {
        "name": "tracklog-env",
        "channels": ["conda-forge"],
        "dependencies": [f"python={python}", "pip", {"pip": requirements}],
    }
    (folder / CONDA_FILE).write_text(yaml.safe_dump(conda, sort_keys=False), encoding="utf-8")
    return {"conda": CONDA_FILE, "virtualenv": PYTHON_ENV_FILE}


def log_environment(run_id: str | None = None) -> list[str]:
    """Log the interpreter's pinned distributions as ``environment/requirements.txt`` of a run.

    Uses the active run when ``run_id`` is None (starting one if needed, like any
    fluent logging call). Returns the logged lines."""
    from tracklog.client import fluent

    lines = installed_requirements()
    header = f"# python {platform.python_version()} ({platform.python_implementation()})\n"
    fluent.log_text(header + "\n".join(lines) + "\n", ENVIRONMENT_ARTIFACT, run_id=run_id)
    return lines
