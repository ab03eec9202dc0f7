"""Fixtures for the spool tests: tracklog servers that can be stopped and started again on one port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.http_client.conftest import VENV_BIN, _free_port, _log_tail

ROOT = Path(__file__).resolve().parents[2]


def child_env(spool_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a training/CLI subprocess: source tree importable, spool in ``spool_dir``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH")]))
    for name in list(env):
        if name.startswith(("MLFLOW_TRACKING_", "TRACKLOG_TRACKING_")):
            del env[name]
    env["TRACKLOG_SPOOL_DIR"] = str(spool_dir)
    env.update(extra)
    return env


def tracklog_cli(*args: str, spool_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    launcher = "import sys; from tracklog.cli.main import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", launcher, *args], env=child_env(spool_dir), text=True,
                          capture_output=True, timeout=timeout, check=False)


class RestartableServer:
    """A ``tracklog server`` on a fixed port whose data survives ``stop()``/``start()``."""

    def __init__(self, tmp: Path, port: int | None = None) -> None:
        self.tmp = tmp
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> None:
        args = ["server", "--host", "127.0.0.1", "--port", str(self.port),
                "--backend-store-uri", f"sqlite:///{self.tmp / 't.db'}", "--artifacts-destination",
                str(self.tmp / "art")]
        if (VENV_BIN / "tracklog").exists():
            command = [str(VENV_BIN / "tracklog"), *args]
        else:
            command = [sys.executable, "-c", "import sys; from tracklog.cli.main import main; sys.exit(main())", *args]
        log = open(self.tmp / "server.log", "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(command, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT,
                                     env=child_env(self.tmp / "unused-spool"), start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode}:\n{_log_tail(self.tmp / 'server.log')}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer /health:\n{_log_tail(self.tmp / 'server.log')}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[RestartableServer]:
    srv = RestartableServer(tmp_path / "server")
    srv.tmp.mkdir()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture()
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "spool"
    monkeypatch.setenv("TRACKLOG_SPOOL_DIR", str(path))
    return path
