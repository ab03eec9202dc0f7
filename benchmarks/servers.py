"""Start, health-check, measure and stop the servers under test.

Every server binds to 127.0.0.1 on a free port, runs in its own process group
(so stopping it also stops the workers it forked) and logs to a file in the
work directory. Memory is the resident set size of the whole process tree,
read from /proc (psutil is used when it is installed).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HOST = "127.0.0.1"
SERVER_NAMES = ("mlflow", "tracklog")


class ServerFailed(RuntimeError):
    """A server did not come up; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def mlflow_command(mlflow_bin: Path, port: int, backend_uri: str, artifacts: Path) -> list[str]:
    return [
        str(mlflow_bin), "server", "--host", HOST, "--port", str(port),
        "--backend-store-uri", backend_uri, "--artifacts-destination", str(artifacts),
        "--workers", "1",
    ]


def tracklog_command(tracklog_bin: Path, port: int, backend_uri: str, artifacts: Path) -> list[str]:
    return [
        str(tracklog_bin), "server", "--host", HOST, "--port", str(port),
        "--backend-store-uri", backend_uri, "--artifacts-destination", str(artifacts),
        "--workers", "1",
    ]


@dataclass
class Server:
    """One server process tree under test."""

    name: str
    command: list[str]
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        env = {**os.environ, **self.env}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=self.log_path.parent, start_new_session=True,
            )

    def wait_healthy(self, timeout: float = 180.0) -> float:
        """Poll ``/health`` until it answers 200; return the seconds it took."""
        assert self.process is not None, "start() first"
        began = time.perf_counter()
        deadline = began + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.perf_counter() < deadline:
                if self.process.poll() is not None:
                    raise ServerFailed(f"{self.name} exited with {self.process.returncode}\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{self.base_url}/health").status_code == 200:
                        return time.perf_counter() - began
                time.sleep(0.2)
        raise ServerFailed(f"{self.name} not healthy after {timeout:.0f}s\n{self.log_tail()}")

    def wait_quiet(self, busy: float = 0.05, window: float = 1.0, timeout: float = 240.0) -> float:
        """Wait until the tree uses less than ``busy`` of a core over ``window`` seconds.

        ``mlflow server`` keeps importing and forking background job consumers for a
        while after /health answers; timing it then would measure that, not requests.
        Returns the seconds waited.
        """
        assert self.process is not None, "start() first"
        began = time.perf_counter()
        before = tree_cpu_seconds(self.process.pid)
        while time.perf_counter() - began < timeout:
            time.sleep(window)
            after = tree_cpu_seconds(self.process.pid)
            if after - before < busy * window:
                break
            before = after
        return time.perf_counter() - began

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def rss_bytes(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return 0
        return tree_rss_bytes(self.process.pid)

    def cpu_seconds(self) -> float:
        assert self.process is not None, "start() first"
        return tree_cpu_seconds(self.process.pid)

    def stop(self, grace: float = 10.0) -> None:
        """Stop the whole process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


# --- memory ---------------------------------------------------------------------------


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields start after the last ')'
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree_pids(root: int) -> list[int]:
    children = _children_map()
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU time consumed so far by ``root`` and its live descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in tree_pids(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def _rss_of(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss_bytes(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, in bytes."""
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        return sum(_rss_of(pid) for pid in tree_pids(root))
    try:
        proc = psutil.Process(root)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


class RssSampler:
    """Samples each server's tree RSS in a background thread and keeps the peak."""

    def __init__(self, servers: list[Server], interval: float = 0.25) -> None:
        self.servers = servers
        self.interval = interval
        self.peak: dict[str, int] = {s.name: 0 for s in servers}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        for server in self.servers:
            self.peak[server.name] = max(self.peak[server.name], server.rss_bytes())

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()
