"""The separate virtualenv that holds the official ``mlflow`` package (server and client).

It lives in ``.bench/mlflow-venv`` (git-ignored), is created with ``python3 -m venv``
and pip on first use, and is reused afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MLFLOW_VERSION = "3.17.2"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / ".bench" / "mlflow-venv"


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def _has(python: Path, code: str) -> bool:
    return subprocess.run([str(python), "-c", code], capture_output=True, timeout=120).returncode == 0


def ensure(venv: Path = DEFAULT_PATH, postgres: bool = False) -> Path:
    """Create or complete the bench venv; return its python."""
    python = python_of(venv)
    if not python.exists():
        print(f"creating {venv} (python3 -m venv)", file=sys.stderr)
        base = os.environ.get("PYTHON", "python3")
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
    wanted: list[str] = []
    check = f"import importlib.metadata as m; assert m.version('mlflow') == '{MLFLOW_VERSION}'"
    if not _has(python, check):
        wanted += [f"mlflow=={MLFLOW_VERSION}", "psutil"]
    if postgres and not _has(python, "import psycopg"):
        wanted.append("psycopg[binary]")
    if wanted:
        print(f"installing {' '.join(wanted)} into {venv}", file=sys.stderr)
        proc = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *wanted],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(f"pip install into {venv} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return python


if __name__ == "__main__":
    print(ensure(postgres="--postgres" in sys.argv[1:]))
