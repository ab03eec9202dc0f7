"""A real nginx in front of test servers, run from a temporary directory on a free loopback port.

Usage::

    from tests.nginx import run_nginx

    with run_nginx('''
        location / { proxy_pass http://127.0.0.1:8123; }
    ''') as base_url:                       # "http://127.0.0.1:<free port>"
        httpx.get(f"{base_url}/health")

``run_nginx(server, *, http="", directory=None)``

- ``server``: directives placed inside ``server { listen 127.0.0.1:<port>; ... }``
  (locations, ``proxy_set_header``, ``auth_request``...).
- ``http``: directives placed in the ``http { }`` block before the server (``upstream`` blocks,
  ``map``...). Use ``upstream_block(name, ports)`` for a round-robin upstream over local ports.
- ``directory``: where the config, logs and nginx's temp files go (default: a fresh temp dir,
  removed afterwards).

nginx runs in the foreground (``daemon off``) as a child process and is stopped by its PID
(SIGQUIT for a graceful stop, SIGKILL after 10 s). Its error log is in ``<directory>/error.log``;
the access log (``$upstream_addr`` included) in ``<directory>/access.log``.

When the ``nginx`` binary is missing, ``run_nginx`` skips the test, except under ``CI=true``
where it fails (install it with ``apt-get install -y nginx``; scripts/test.sh does).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_CONFIG = """\
worker_processes 1;
{user}
events {{ worker_connections 1024; }}
http {{
    log_format combined_upstream '$remote_addr "$request" $status $body_bytes_sent upstream=$upstream_addr';
    access_log {dir}/access.log combined_upstream;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 0;
{http}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
{server}
    }}
}}
"""


def nginx_binary() -> str:
    """Path of the nginx binary; skips the test (fails under CI=true) when it is not installed."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
    if found is None:
        msg = "nginx is not installed (apt-get install -y nginx)"
        if IN_CI:
            pytest.fail(msg + " (CI=true: a missing service is a failure)")
        pytest.skip(msg)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def upstream_block(name: str, ports: Iterable[int], *, options: str = "") -> str:
    """An ``upstream <name> { server 127.0.0.1:<port>; ... }`` block (round robin) for ``http=``."""
    servers = "".join(f"    server 127.0.0.1:{p}{options};\n" for p in ports)
    return f"upstream {name} {{\n{servers}    keepalive 16;\n}}\n"


def _wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {proc.returncode}: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nginx did not listen on {port} within {timeout} s: {log.read_text(errors='replace')}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGQUIT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextmanager
def run_nginx(server: str, *, http: str = "", directory: Path | None = None) -> Iterator[str]:
    """Start nginx with ``server`` (and ``http``) directives; yield ``http://127.0.0.1:<port>``."""
    binary = nginx_binary()
    owned = directory is None
    work = Path(tempfile.mkdtemp(prefix="tracklog-nginx-")) if directory is None else Path(directory)
    work.mkdir(parents=True, exist_ok=True)
    # As root, nginx's workers drop to "nobody"; they must be able to use the temp dirs.
    os.chmod(work, 0o755)
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(_CONFIG.format(user=user, dir=work, port=port, http=http, server=server))
    log = work / "error.log"
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            [binary, "-p", str(work), "-c", str(conf), "-g",
             f"daemon off; pid {work}/nginx.pid; error_log stderr warn;"],
            stdout=err, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_listening(port, proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)
        if owned:
            shutil.rmtree(work, ignore_errors=True)
