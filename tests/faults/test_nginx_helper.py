"""tests/nginx.py: nginx starts from a temp dir, proxies to a local server, and stops."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import httpx
import pytest
from tests.nginx import run_nginx, upstream_block


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = f"hello {self.headers.get('X-Test', '')}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def backend_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_proxies_and_stops(backend_port: int) -> None:
    with run_nginx("""
        location / { proxy_pass http://app; proxy_set_header X-Test from-nginx; }
    """, http=upstream_block("app", [backend_port])) as url:
        r = httpx.get(f"{url}/x", timeout=5)
        assert r.status_code == 200
        assert r.text == "hello from-nginx"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/x", timeout=2)
