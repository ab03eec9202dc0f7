"""The generated sections of docs/server.md and docs/rest-api.md must match the code."""

from __future__ import annotations

from pathlib import Path

from tracklog.server.docs import refresh_rest_api_docs, refresh_server_docs
from tracklog.server.routing import all_routes

DOCS = Path(__file__).resolve().parents[2] / "docs"
HINT = "is stale: run python -m tracklog.server.docs docs"


def test_server_docs_flags_table_is_current() -> None:
    text = (DOCS / "server.md").read_text(encoding="utf-8")
    assert refresh_server_docs(text) == text, f"docs/server.md {HINT}"


def test_rest_api_docs_endpoint_table_is_current() -> None:
    text = (DOCS / "rest-api.md").read_text(encoding="utf-8")
    assert refresh_rest_api_docs(text) == text, f"docs/rest-api.md {HINT}"
    for route in all_routes():
        assert f"`{route.path}`" in text
