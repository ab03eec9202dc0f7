"""Fault-injection helpers: real ``tracklog server`` processes and a private PostgreSQL cluster.

Everything binds to 127.0.0.1 on free ports and is stopped by PID. The shared PostgreSQL on
127.0.0.1:5432 is never restarted: tests that restart a database get their own cluster
(``initdb`` + ``pg_ctl`` from the Debian PostgreSQL packages, run as the ``postgres`` user when
the tests run as root). Without the binaries the tests skip, except under ``CI=true``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
from tests.nginx import free_port

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_BIN = Path(os.environ.get("TRACKLOG_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
SHARED_PG = os.environ.get("TRACKLOG_TEST_POSTGRES_URI", "postgresql+psycopg://postgres@127.0.0.1:5432")


def missing(msg: str) -> None:
    if IN_CI:
        pytest.fail(msg + " (CI=true: a missing service is a failure)")
    pytest.skip(msg)


def clean_env(**extra: str) -> dict[str, str]:
    """The test environment without MLFLOW_*/TRACKLOG_* selections, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLOG_"))}
    env.update(extra)
    return env


class ServerProcess:
    """``tracklog server`` as a child process that can be killed (-9), stopped and restarted."""

    def __init__(self, workdir: Path, backend_uri: str, *, workers: int = 1,
                 extra_args: Sequence[str] = (), artifacts: Path | None = None) -> None:
        self.workdir = workdir
        self.backend_uri = backend_uri
        self.artifacts = workdir / "artifacts" if artifacts is None else artifacts
        self.workers = workers
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    def start(self, timeout: float = 60.0) -> ServerProcess:
        assert self.proc is None or self.proc.poll() is not None
        args = [sys.executable, "-m", "tracklog.cli.main", "server", "--host", "127.0.0.1",
                "--port", str(self.port), "--backend-store-uri", self.backend_uri,
                "--artifacts-destination", str(self.artifacts), "--workers", str(self.workers),
                *self.extra_args]
        with open(self.log, "ab") as out:
            # A new session: kill -9 of the group takes uvicorn's worker processes down too.
            self.proc = subprocess.Popen(args, cwd=self.workdir, env=clean_env(), stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"server not ready within {timeout} s:\n{self.log_text()}")

    def kill9(self) -> None:
        """SIGKILL the server and all its worker processes (no cleanup code runs)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM (graceful drain); SIGKILL after ``timeout``. Returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait_exit(timeout)

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Wait for the server to exit by itself; SIGKILL after ``timeout``. Returns the exit code."""
        assert self.proc is not None
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        return int(self.proc.returncode)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.terminate(timeout=10)
        if self.proc is not None:
            # Leftover worker processes of the group (a killed supervisor leaves none behind).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def child_pids(self) -> set[int]:
        """PIDs of the server's direct children (uvicorn's workers with --workers > 1; Linux only)."""
        assert self.proc is not None
        pids: set[int] = set()
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            children = (task / "children").read_text().split()
            pids.update(int(c) for c in children)
        return pids


class PgCluster:
    """A private PostgreSQL cluster in a temp dir on a free port; restartable at will."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            missing(f"PostgreSQL binaries not found in {PG_BIN}")
        self.root = Path(tempfile.mkdtemp(prefix="tracklog-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:
            # initdb refuses to run as root: hand the directory to the postgres user.
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            os.chmod(self.root, 0o700)
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")
        self.start()
        self.server_uri = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self._as_postgres, *args], capture_output=True, text=True, timeout=60,
                                cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stdout}\n{result.stderr}\n{self.log_text()}")

    def _ctl(self, *args: str) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200 -c shared_buffers=32MB")
        self._ctl("-o", options, "-l", str(self.root / "log"), "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "-t", "30", "stop")

    def log_text(self) -> str:
        log = self.root / "log"
        try:
            return log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def create_database(self) -> str:
        from sqlalchemy import create_engine, text

        name = f"faults_{uuid.uuid4().hex[:10]}"
        admin = create_engine(f"{self.server_uri}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        return f"{self.server_uri}/{name}"

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def wait_until(predicate: object, timeout: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
