"""End-to-end fixtures: a real ``tracklog server`` subprocess, seeded through the official
``mlflow`` client, and Debian's Chromium driven by Playwright (Python).

Needs: the built UI (``scripts/build-ui.sh``), ``pip install playwright`` and
``apt-get install -y chromium`` (never ``playwright install``). Without them the e2e tests
are skipped, or fail under ``CI=true``. Screenshots go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC_INDEX = ROOT / "src" / "tracklog" / "server" / "static" / "index.html"
SCREENSHOTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("TRACKLOG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-dev-shm-usage",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

XSS_NAME = "<script>alert(1)</script>"
XSS_NOTE = "# Notes\n\n**bold** <img src=x onerror=alert(2)> [link](javascript:alert(3))"
EVIL_HTML = (
    "<html><body><h1 id='evil'>evil report</h1>"
    "<script>alert('xss'); try { parent.document.title = 'pwned' } catch (e) {}</script>"
    "</body></html>"
)


def _missing(msg: str) -> None:
    if IN_CI:
        pytest.fail(msg + " (CI=true: a missing e2e prerequisite is a failure)")
    pytest.skip(msg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _png(width: int = 48, height: int = 32) -> bytes:
    """A small gradient PNG made with zlib only."""
    rows = b"".join(b"\x00" + b"".join(bytes((x * 5 % 256, y * 8 % 256, 160)) for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@dataclass
class Seeded:
    url: str
    experiments: dict[str, str] = field(default_factory=dict)  # name -> id
    runs: dict[str, str] = field(default_factory=dict)  # run name -> id


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tracklog server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"tracklog server did not answer {url} within {timeout} s")


def _seed(url: str, workdir: Path) -> Seeded:
    from mlflow import MlflowClient
    from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag

    c = MlflowClient(tracking_uri=url)
    s = Seeded(url)
    for name in ("proj/feat/obj", "proj/feat/obj2", "proj/other"):
        s.experiments[name] = c.create_experiment(name)
    exp = s.experiments["proj/feat/obj"]
    now = int(time.time() * 1000)

    def run(name: str, experiment: str = exp, parent: str | None = None, lr: str = "0.1",
            scale: float = 1.0, status: str = "FINISHED", tags: dict[str, str] | None = None) -> str:
        all_tags = {"team": "vision", **(tags or {})}
        if parent:
            all_tags["mlflow.parentRunId"] = parent
        r = c.create_run(experiment, run_name=name, tags=all_tags, start_time=now - 60_000)
        rid = r.info.run_id
        metrics = [Metric("loss", scale / (1 + i), now - 60_000 + i * 1000, i) for i in range(60)]
        metrics += [Metric("acc", 1 - scale / (2 + i), now - 60_000 + i * 1000, i) for i in range(60)]
        metrics += [Metric("val/loss", scale / (1 + i) + 0.1, now - 60_000 + i * 5000, i * 5) for i in range(12)]
        c.log_batch(rid, metrics=metrics, params=[Param("lr", lr), Param("optimizer", "adam")],
                    tags=[RunTag("mlflow.source.git.commit", "0123456789abcdef")])
        if status != "RUNNING":
            c.set_terminated(rid, status, end_time=now - 1000)
        s.runs[name] = rid
        return rid

    parent = run("parent-sweep", lr="0.05", scale=2.0)
    c.log_inputs(parent, datasets=[DatasetInput(
        Dataset("train-set", "d1g35t", "local", '{"uri": "/data/train.csv"}'),
        [InputTag("mlflow.data.context", "training")])])
    c.create_logged_model(exp, name="sweep-model", source_run_id=parent, model_type="classifier")
    run("child-a", parent=parent, lr="0.01", scale=0.5)
    run("child-b", parent=parent, lr="0.02", scale=0.8)
    xss = run(XSS_NAME, lr="0.3", scale=1.5, tags={"note": XSS_NAME})
    c.set_tag(xss, "mlflow.note.content", XSS_NOTE)
    run("other-exp-run", experiment=s.experiments["proj/feat/obj2"], lr="0.7", scale=3.0)

    art = workdir / "artifacts-src"
    (art / "plots").mkdir(parents=True)
    (art / "plots" / "curve.png").write_bytes(_png())
    (art / "table.csv").write_text("epoch,loss,comment\n" + "".join(f'{i},{1 / (i + 1):.4f},"row, {i}"\n'
                                                                    for i in range(40)))
    (art / "report.html").write_text(EVIL_HTML)
    (art / "plots" / "fake.png").write_text(EVIL_HTML)  # HTML under an image name: must stay an image
    (art / "config.json").write_text(json.dumps({"lr": 0.05, "layers": [64, 32]}))
    (art / "big.png").write_bytes(b"\x89PNG" + os.urandom(6 * 1024 * 1024))  # over the 5 MB preview cap
    (art / "long.log").write_text("".join(f"line {i:07d} of a long log\n" for i in range(60_000)))  # ~1.6 MB
    c.log_artifacts(parent, str(art))
    run("live-run", lr="0.4", status="RUNNING")
    return s


def _start_server(work: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str, Any]:
    port = _free_port()
    log = open(work / "server.log", "ab")  # noqa: SIM115 - closed by _stop_server
    cmd = [sys.executable, "-c", "from tracklog.cli.main import main; main()", "server",
           "--host", "127.0.0.1", "--port", str(port),
           "--backend-store-uri", f"sqlite:///{work / 'tracking.db'}",
           "--artifacts-destination", str(work / "artifacts"), *extra]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    return proc, f"http://127.0.0.1:{port}", log


def _stop_server(proc: subprocess.Popen[bytes], log: Any) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def start_auth_server(work: Path, admin: tuple[str, str], *extra: str) -> tuple[subprocess.Popen[bytes], str, Any]:
    """``tracklog server --auth`` with ``admin`` as its first administrator, answering /health; started
    again when it exits at once (its free port was taken meanwhile)."""
    names = ("TRACKLOG_ADMIN_USERNAME", "TRACKLOG_ADMIN_PASSWORD")
    saved = {k: os.environ.get(k) for k in names}
    os.environ.update(zip(names, admin, strict=True))
    try:
        for attempt in range(3):
            proc, url, log = _start_server(work, "--auth", *extra)
            try:
                _wait_http(f"{url}/health", proc)
                return proc, url, log
            except RuntimeError as exc:
                _stop_server(proc, log)
                if attempt == 2:
                    tail = (work / "server.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{exc}: {tail}") from None
        raise AssertionError("unreachable")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def prefixed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second, empty server under --static-prefix /tracking; yields the UI URL."""
    if not STATIC_INDEX.is_file():
        _missing(f"the web UI is not built ({STATIC_INDEX} missing): run scripts/build-ui.sh")
    work = tmp_path_factory.mktemp("e2e-prefix")
    proc, url, log = _start_server(work, "--static-prefix", "/tracking")
    try:
        _wait_http(f"{url}/tracking/health", proc)
        yield f"{url}/tracking/"
    finally:
        _stop_server(proc, log)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    if not STATIC_INDEX.is_file():
        _missing(f"the web UI is not built ({STATIC_INDEX} missing): run scripts/build-ui.sh")
    work = tmp_path_factory.mktemp("e2e")
    proc, url, log = _start_server(work)
    try:
        _wait_http(f"{url}/health", proc)
        yield _seed(url, work)
    finally:
        _stop_server(proc, log)


@pytest.fixture(scope="session")
def ui_browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed: pip install playwright (do not run `playwright install`)")
        return
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class PageProbe:
    """A page plus everything that must not happen on it: JS errors, console errors, dialogs."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.allowed_statuses: set[int] = set()
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("console", self._on_console)

        def on_dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)

    def _on_console(self, msg: Any) -> None:
        # The malicious HTML artifact's script being blocked by the sandbox is the expected outcome.
        if msg.type != "error" or ("Blocked script execution" in msg.text and "sandboxed" in msg.text):
            return
        # Chromium logs every failed fetch; tests that provoke a server error allow its status.
        if any(f"status of {s} " in msg.text for s in self.allowed_statuses):
            return
        self.errors.append(f"console: {msg.text}")

    def allow_http_error(self, status: int) -> None:
        self.allowed_statuses.add(status)

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path


@pytest.fixture
def probe(ui_browser: Any, server: Seeded) -> Iterator[PageProbe]:
    context = ui_browser.new_context(viewport={"width": 1440, "height": 900}, base_url=server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    pr = PageProbe(page)
    yield pr
    context.close()
    assert pr.dialogs == [], f"a dialog fired: {pr.dialogs}"
    assert pr.errors == [], f"errors in the page: {pr.errors}"
