"""The UI routes of tracklog.server.ui on a tiny inline app (no browser needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from tracklog.server.ui import UI_CSP, ui_routes

INDEX = ('<!doctype html><html><head><title>t</title></head>'
         '<body><script src="./assets/app-abc123.js"></script></body></html>')


async def _api(request):  # a stand-in API route that must win over the UI
    return JSONResponse({"ok": True})


def _app(static: Path, prefix: str = "") -> TestClient:
    routes = [Route("/ajax-api/2.0/mlflow/runs/search", _api, methods=["POST"]), *ui_routes(static)]
    if prefix:
        routes = [Mount(prefix, routes=routes)]
    return TestClient(Starlette(routes=routes))


@pytest.fixture
def static(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "app-abc123.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path.parent / "secret.txt").write_text("TOP SECRET")
    return tmp_path


def test_index_no_cache_base_and_csp(static: Path) -> None:
    r = _app(static).get("/")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["content-security-policy"] == UI_CSP
    assert '<base href="/">' in r.text


def test_hashed_assets_cached_forever(static: Path) -> None:
    r = _app(static).get("/assets/app-abc123.js")
    assert r.status_code == 200
    assert "immutable" in r.headers["cache-control"]
    assert _app(static).get("/favicon.svg").headers["cache-control"] == "no-cache"
    assert _app(static).get("/assets/missing.js", headers={"accept": "text/html"}).status_code == 404


def test_spa_fallback_only_for_html(static: Path) -> None:
    c = _app(static)
    r = c.get("/experiments/1/runs", headers={"accept": "text/html,*/*"})
    assert r.status_code == 200 and "<base href=" in r.text
    assert c.get("/experiments/1/runs", headers={"accept": "application/json"}).status_code == 404
    assert c.post("/somewhere").status_code == 404


def test_api_paths_are_not_swallowed(static: Path) -> None:
    c = _app(static)
    assert c.post("/ajax-api/2.0/mlflow/runs/search").json() == {"ok": True}
    # a wrong method on an API path is still the API's 405, an unknown API path a 404
    assert c.get("/ajax-api/2.0/mlflow/runs/search", headers={"accept": "text/html"}).status_code == 405
    assert c.get("/api/2.0/mlflow/nope", headers={"accept": "text/html"}).status_code == 404


def test_no_traversal(static: Path) -> None:
    c = _app(static)
    for bad in ("/..%2Fsecret.txt", "/assets/..%2F..%2Fsecret.txt", "/%2e%2e/secret.txt"):
        r = c.get(bad, headers={"accept": "text/html"})
        assert "TOP SECRET" not in r.text


def test_static_prefix_base_href(static: Path) -> None:
    c = _app(static, "/tl")
    r = c.get("/tl/")
    assert r.status_code == 200 and '<base href="/tl/">' in r.text
    assert c.get("/tl/assets/app-abc123.js").status_code == 200


def test_not_built_page(tmp_path: Path) -> None:
    r = _app(tmp_path / "nope").get("/")
    assert r.status_code == 404
    assert "UI not built" in r.text and "scripts/build-ui.sh" in r.text
