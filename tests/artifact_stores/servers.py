"""A ``tracklog server`` subprocess whose artifacts live in an emulated object store.

``store_server(kind, emu, folder, proxied=True)`` starts one with
``--artifacts-destination <store URI>`` (the clients need no store credentials);
``proxied=False`` gives ``--no-serve-artifacts --default-artifact-root <store URI>``
and the clients write to the store themselves with :func:`client_env`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.artifact_stores.emulators import AZ_ACCOUNT, Emulator, session_bucket, unique

__all__ = ["StoreServer", "client_env", "local_root", "store_root", "store_server", "stop"]


@dataclass
class StoreServer:
    url: str
    proc: subprocess.Popen[bytes]
    folder: Path
    root: str  # the store URI below which the server keeps artifacts
    kind: str = "local"  # local, s3, gcs, azure
    mode: str = "proxied"  # or direct
    emu: Emulator | None = None


def store_root(kind: str, emu: Emulator | None, folder: Path) -> str:
    """A fresh artifacts root URI on store ``kind`` (local, s3, gcs, azure)."""
    if kind == "local":
        return local_root(folder)
    assert emu is not None
    bucket = session_bucket(kind, emu)
    prefix = unique("srv")
    if kind == "s3":
        return f"s3://{bucket}/{prefix}"
    if kind == "gcs":
        return f"gs://{bucket}/{prefix}"
    return f"wasbs://{bucket}@{AZ_ACCOUNT}.blob.core.windows.net/{prefix}"


def local_root(folder: Path) -> str:
    path = folder / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def client_env(kind: str, emu: Emulator | None) -> dict[str, str]:
    """Environment variables that point an SDK (server or direct-mode client) at the emulator."""
    if kind == "s3":
        assert emu is not None
        return {
            "MLFLOW_S3_ENDPOINT_URL": emu.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    if kind == "gcs":
        assert emu is not None
        return {"STORAGE_EMULATOR_HOST": emu.endpoint, "GOOGLE_CLOUD_PROJECT": "tracklog-test"}
    if kind == "azure":
        assert emu is not None
        return {"AZURE_STORAGE_CONNECTION_STRING": emu.extra["connection_string"]}
    return {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def store_server(
    kind: str, emu: Emulator | None, folder: Path, *, proxied: bool = True, extra_env: dict[str, str] | None = None
) -> StoreServer:
    root = store_root(kind, emu, folder)
    artifact_args = (
        ["--artifacts-destination", root] if proxied
        else ["--no-serve-artifacts", "--default-artifact-root", root]
    )
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLOG_", "AWS_"))}
    env.update(client_env(kind, emu))
    env.update(extra_env or {})
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    cmd = [sys.executable, "-m", "tracklog.cli.main", "server", "--port", str(port),
           "--backend-store-uri", f"sqlite:///{folder / 'tracking.db'}", *artifact_args]
    with open(folder / "server.log", "wb") as log:
        proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a loaded 2-core CI machine can take a minute to import
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=1).text == "OK":
                return StoreServer(url, proc, folder, root, kind, "proxied" if proxied else "direct", emu)
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("tracklog server did not start:\n" + (folder / "server.log").read_text(errors="replace"))


def stop(server: StoreServer) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=10)
