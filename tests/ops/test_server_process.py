"""``tracklog server --workers 2``: metrics are totals over the workers; JSON access logs with request ids."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

ROUTE = "/api/2.0/mlflow/experiments/search"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    metrics_url: str


def _start(tmp: Path, *flags: str, metrics_port: int | None = None) -> Server:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLOG_", "PROMETHEUS_"))}
    cmd = [sys.executable, "-m", "tracklog.cli.main", "server", "--port", str(port),
           "--backend-store-uri", f"sqlite:///{tmp / 'db.sqlite'}", "--artifacts-destination", str(tmp / "a"),
           *flags]
    if metrics_port is not None:
        cmd += ["--metrics-port", str(metrics_port)]
    log = tmp / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    metrics = f"http://127.0.0.1:{metrics_port}/metrics" if metrics_port else f"{url}/metrics"
    return Server(url, proc, log, metrics)


def _wait(server: Server) -> None:
    deadline = time.monotonic() + 180  # two workers each import the server: slow on a loaded CI machine
    while time.monotonic() < deadline:
        assert server.proc.poll() is None, server.log.read_text()
        try:
            if httpx.get(f"{server.url}/health", timeout=1).text == "OK":
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"server not ready: {server.log.read_text()}")


def _stop(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One 2-worker server with JSON logs and the access log."""
    started = _start(tmp_path_factory.mktemp("main"), "--workers", "2", "--log-format", "json", "--access-log")
    try:
        _wait(started)
        yield started
    finally:
        _stop(started)


def _count(text: str, route: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "tracklog_http_requests_total" and sample.labels.get("route") == route:
                total += sample.value
    return total


def _hit(url: str, n: int) -> None:
    for _ in range(n):  # a new connection each time, so both workers take some
        assert httpx.get(f"{url}{ROUTE}", params={"max_results": 1}, headers={"connection": "close"}).status_code \
            == 200


def test_metrics_are_totals_over_all_workers(server: Server) -> None:
    main = server
    _hit(main.url, 30)
    for _ in range(6):  # whichever worker answers the scrape sees every worker's requests
        scraped = httpx.get(main.metrics_url, headers={"connection": "close"})
        assert scraped.status_code == 200
        assert _count(scraped.text, ROUTE) == 30
        assert "tracklog_db_pool_size" in scraped.text and "tracklog_runs" in scraped.text


def test_json_logs_with_request_ids(server: Server) -> None:
    main = server
    r = httpx.get(f"{main.url}{ROUTE}", headers={"X-Request-ID": "from-nginx-1"})
    assert r.headers["x-request-id"] == "from-nginx-1"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "from-nginx-1" not in main.log.read_text():
        time.sleep(0.05)
    lines = [json.loads(line) for line in main.log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "tracklog.access"]
    mine = [line for line in access if line.get("request_id") == "from-nginx-1"]
    assert len(mine) == 1 and mine[0]["route"] == ROUTE and mine[0]["status"] == 200
    assert all(set(line) >= {"time", "level", "method", "route", "status", "duration_ms", "request_id", "pid"}
               for line in access)
