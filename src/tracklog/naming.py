"""Naming conventions: experiments as ``<project>/<feature>/<objective>``, run names with the commit.

experiment_name("energy", "forecasting", "rmse")   -> "energy/forecasting/rmse"
run_name_with_commit("baseline-rf")                 -> "baseline-rf-1a2b3c4" in a git checkout
"""

from __future__ import annotations

import os
import re
import subprocess

from tracklog.exceptions import InvalidArgument

__all__ = ["experiment_name", "git_commit", "parse_experiment_name", "run_name_with_commit"]

_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]*$")


def _check(label: str, value: str) -> str:
    text = value.strip()
    if not text or not _PART.match(text):
        raise InvalidArgument(
            f"experiment name {label} {value!r} must be non-empty, start with a letter or digit and contain only "
            "letters, digits, spaces, '_', '-' or '.' (no '/')"
        )
    return text


def experiment_name(project: str, feature: str, objective: str) -> str:
    """``<project>/<feature>/<objective>``, each part validated."""
    return "/".join(
        _check(label, value) for label, value in (("project", project), ("feature", feature), ("objective", objective))
    )


def parse_experiment_name(name: str) -> tuple[str, str, str]:
    """(project, feature, objective) of a name built by :func:`experiment_name`."""
    parts = name.split("/")
    if len(parts) != 3:
        raise InvalidArgument(f"experiment name {name!r} is not <project>/<feature>/<objective>")
    project, feature, objective = parts
    experiment_name(project, feature, objective)
    return project, feature, objective


def git_commit(short: bool = True, cwd: str | None = None) -> str | None:
    """The checked-out commit (``GIT_COMMIT`` env var first), or None outside a git checkout."""
    env = os.environ.get("GIT_COMMIT", "").strip()
    if env:
        return env[:7] if short else env
    args = ["git", "rev-parse", "--short=7" if short else "--verify", "HEAD"]
    try:
        out = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and commit else None


def run_name_with_commit(prefix: str, cwd: str | None = None) -> str:
    """``<prefix>-<short commit>``, or ``prefix`` unchanged outside a git checkout."""
    commit = git_commit(cwd=cwd)
    return f"{prefix}-{commit}" if commit else prefix
