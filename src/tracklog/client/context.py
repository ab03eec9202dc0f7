"""The tags a new run gets from where it was started: user, source and git state.

Git facts come from short ``git`` subprocess calls run in the directory of the
entry-point script (or the current directory). A missing ``git`` binary, a
directory outside a checkout, or a slow repository never fails the run: the
git tags are simply left out.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

__all__ = [
    "GIT_BRANCH",
    "GIT_COMMIT",
    "GIT_DIRTY",
    "GIT_REPO_URL",
    "NOTE_CONTENT",
    "PARENT_RUN_ID",
    "RUN_NAME",
    "SOURCE_NAME",
    "SOURCE_TYPE",
    "USER",
    "context_tags",
    "current_user",
    "git_tags",
    "source_name",
    "source_type",
]

USER = "mlflow.user"
SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
RUN_NAME = "mlflow.runName"
PARENT_RUN_ID = "mlflow.parentRunId"
NOTE_CONTENT = "mlflow.note.content"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"
GIT_DIRTY = "tracklog.source.git.dirty"

GIT_TIMEOUT_S = 2.0


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry, no USER variable, ...
        return "unknown"


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    get_ipython = getattr(shell, "get_ipython", None)
    ip = get_ipython() if callable(get_ipython) else None
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def source_type() -> str:
    return "NOTEBOOK" if _in_notebook() else "LOCAL"


def source_name() -> str:
    """The entry point: the script's absolute path, or the interpreter's name."""
    main = sys.argv[0] if sys.argv else ""
    if not main or main in ("-c", "-m"):
        return sys.executable
    return str(Path(main).resolve()) if os.path.exists(main) else main


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip()


def git_tags(path: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Commit, branch, remote URL and dirty flag of the checkout containing ``path``."""
    start = Path(path) if path is not None else Path.cwd()
    folder = start if start.is_dir() else start.parent
    if not folder.is_dir():
        return {}
    commit = _git(["rev-parse", "HEAD"], folder)
    if not commit:
        return {}
    tags = {GIT_COMMIT: commit}
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], folder)
    if branch and branch != "HEAD":
        tags[GIT_BRANCH] = branch
    remote = _git(["config", "--get", "remote.origin.url"], folder)
    if remote:
        tags[GIT_REPO_URL] = remote
    status = _git(["status", "--porcelain", "--untracked-files=no"], folder)
    if status is not None:
        tags[GIT_DIRTY] = "true" if status else "false"
    return tags


def context_tags() -> dict[str, str]:
    """Tags for a new run started from this process."""
    name = source_name()
    tags = {USER: current_user(), SOURCE_NAME: name, SOURCE_TYPE: source_type()}
    script = name if name != sys.executable and os.path.isfile(name) else None
    tags.update(git_tags(script))
    return tags
