"""A client that dies in the middle of an upload leaves nothing visible behind.

Raw sockets send part of a body (declared by Content-Length, or chunked without the final
chunk) and close. The server stays up; the artifact is neither listed nor downloadable, and an
older complete version of the same path is untouched.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from tests.faults.processes import ServerProcess

pytestmark = pytest.mark.xdist_group("faults-kill")

API = "/api/2.0/mlflow"
MIB = 1 << 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("disconnect")
    srv = ServerProcess(tmp / "srv", f"sqlite:///{tmp / 'db' / 'tracking.db'}")
    srv.start()
    yield srv
    srv.stop()


def _run(server: ServerProcess) -> tuple[str, str]:
    r = httpx.post(f"{server.url}{API}/experiments/create", json={"name": f"dc-{time.monotonic_ns()}"},
                   timeout=30)
    exp = r.json()["experiment_id"]
    r = httpx.post(f"{server.url}{API}/runs/create", json={"experiment_id": exp}, timeout=30)
    return exp, r.json()["run"]["info"]["run_id"]


def _send_and_drop(server: ServerProcess, path: str, headers: dict[str, str], parts: list[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        head = f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        sock.sendall(head.encode())
        for part in parts:
            sock.sendall(part)
            time.sleep(0.05)
        time.sleep(0.3)  # let the server consume what was sent, then vanish
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    time.sleep(0.5)


def _listed(server: ServerProcess, run_id: str, path: str) -> list[str]:
    r = httpx.get(f"{server.url}{API}/artifacts/list", params={"run_id": run_id, "path": path}, timeout=30)
    r.raise_for_status()
    return [str(f["path"]) for f in r.json().get("files", [])]


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_dropped_upload_is_invisible(server: ServerProcess, framing: str) -> None:
    exp, run_id = _run(server)
    base = f"/api/2.0/mlflow-artifacts/artifacts/{exp}/{run_id}/artifacts"
    old = b"old complete version"
    r = httpx.put(f"{server.url}{base}/keep/model.bin", content=old, timeout=30)
    assert r.status_code == 200

    block = b"z" * (256 * 1024)
    for target in ("new/data.bin", "keep/model.bin"):
        if framing == "content-length":
            _send_and_drop(server, f"{base}/{target}", {"Content-Length": str(16 * MIB)}, [block] * 16)
        else:
            chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"
            _send_and_drop(server, f"{base}/{target}", {"Transfer-Encoding": "chunked"}, [chunk] * 16)

    assert _listed(server, run_id, "new") == []
    assert httpx.get(f"{server.url}{base}/new/data.bin", timeout=30).status_code == 404
    assert _listed(server, run_id, "keep") == ["keep/model.bin"]
    assert httpx.get(f"{server.url}{base}/keep/model.bin", timeout=30).content == old
    # The server is fine afterwards.
    r = httpx.put(f"{server.url}{base}/new/data.bin", content=b"whole", timeout=30)
    assert r.status_code == 200
    assert httpx.get(f"{server.url}{base}/new/data.bin", timeout=30).content == b"whole"


def test_idle_keep_alive_connection_outlives_proxies_idle_timeout(server: ServerProcess) -> None:
    """An idle keep-alive connection is not closed after uvicorn's default 5 s (proxies reuse theirs
    for up to 60 s; a server closing first makes them answer 502)."""
    request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(request)
        assert _read_response(sock).startswith(b"HTTP/1.1 200")
        time.sleep(7)
        sock.sendall(request)
        assert _read_response(sock).startswith(b"HTTP/1.1 200"), "the server closed the idle connection"


def _read_response(sock: socket.socket) -> bytes:
    """One whole HTTP/1.1 response (headers, then Content-Length bytes of body; the two may arrive apart)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body
