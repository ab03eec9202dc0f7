"""Serve the built web UI (``web/`` → ``src/tracklog/server/static/``, see docs/ui.md).

``ui_routes()`` returns Starlette routes meant to be mounted **last**, after the API:

* ``/`` answers ``index.html`` with ``Cache-Control: no-cache``, a ``<base href>`` pointing at
  the mount root (so the bundle's relative URLs work under ``--static-prefix`` and from any
  path) and a Content-Security-Policy;
* ``/assets/...`` (content-hashed by Vite) get ``Cache-Control: public, max-age=31536000, immutable``;
* any other GET that asks for HTML falls back to ``index.html`` (the UI routes in the hash,
  so this only keeps stray or bookmarked paths working); API-looking paths and other
  methods get the usual 404 error envelope;
* without a build, ``/`` shows a page saying to run ``scripts/build-ui.sh``.
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

__all__ = ["STATIC_DIR", "UI_CSP", "ui_routes"]

STATIC_DIR = Path(__file__).with_name("static")

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"

# Everything the UI loads comes from the server itself; previews use blob: URLs
# (images, and HTML/SVG/PDF inside <iframe sandbox="">).
UI_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' blob: data:",
        "frame-src blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)

# Paths that belong to the API: never answered with the UI.
_API_PREFIXES = ("api/", "ajax-api/", "get-artifact", "model-versions/", "graphql", "health", "version",
                 "metrics", "v1/")

_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tracklog: UI not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:4rem auto;padding:0 1rem}
code{background:#8882;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>UI not built</h1>
<p>The tracklog server is running and its REST API works, but the web UI has not been built.</p>
<p>Run <code>scripts/build-ui.sh</code> (needs Node.js and npm) and reload this page.</p>
</body></html>
"""


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/") + "/"


def _index(static_dir: Path, request: Request) -> Response:
    index = static_dir / "index.html"
    if not index.is_file():
        return HTMLResponse(_NOT_BUILT, status_code=404, headers={"Cache-Control": NO_CACHE})
    text = index.read_text(encoding="utf-8")
    base = f'<base href="{html.escape(_root(request), quote=True)}">'
    text = text.replace("<head>", f"<head>\n    {base}", 1)
    return HTMLResponse(text, headers={"Cache-Control": NO_CACHE, "Content-Security-Policy": UI_CSP})


def _static_file(static_dir: Path, rel: str) -> Path | None:
    """The file under static_dir for a request path, or None (no traversal, no directories)."""
    if not rel or "\\" in rel or "\x00" in rel:
        return None
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    root = static_dir.resolve()
    candidate = (root / rel).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


class _FallbackRoute(Route):
    """The catch-all route; it never matches API paths, so their 404/405 answers stay the API's."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE and str(child["path_params"].get("path", "")).startswith(_API_PREFIXES):
            return Match.NONE, {}
        return match, child


def ui_routes(static_dir: Path | None = None) -> list[BaseRoute]:
    """Routes serving the single-page UI from ``static_dir`` (default: the package's ``static/``)."""
    directory = static_dir or STATIC_DIR

    async def index(request: Request) -> Response:
        return _index(directory, request)

    async def fallback(request: Request) -> Response:
        rel = request.path_params.get("path", "")
        if request.method not in ("GET", "HEAD"):
            raise HTTPException(404)
        found = _static_file(directory, rel)
        if found is not None:
            cache = IMMUTABLE if rel.startswith("assets/") else NO_CACHE
            return FileResponse(found, headers={"Cache-Control": cache})
        if rel.startswith("assets/") or "text/html" not in request.headers.get("accept", ""):
            raise HTTPException(404)
        return _index(directory, request)

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return [
        Route("/", index, methods=["GET", "HEAD"], name="ui_index"),
        _FallbackRoute("/{path:path}", fallback, methods=methods, name="ui_fallback"),
    ]
