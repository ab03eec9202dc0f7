"""Generated sections of docs/server.md (flags table) and docs/rest-api.md (endpoint table).

Both come from the single sources of truth, ``SETTINGS`` and the route table.
``python -m tracklog.server.docs docs`` rewrites the sections between the
markers; ``tests/server/test_docs.py`` fails while either page is stale.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

from tracklog.server.settings import SETTINGS

__all__ = ["refresh_rest_api_docs", "refresh_server_docs", "render_endpoint_table", "render_settings_table"]

SETTINGS_MARKERS = ("<!-- settings-table:begin (generated from tracklog.server.settings; do not edit) -->",
                    "<!-- settings-table:end -->")
ROUTES_MARKERS = ("<!-- endpoint-table:begin (generated from the route table; do not edit) -->",
                  "<!-- endpoint-table:end -->")


def _md(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("*", "\\*")


def render_settings_table() -> str:
    lines = ["| Flag | Environment variables | Default | Description |", "|---|---|---|---|"]
    for row in SETTINGS:
        flags = ", ".join(f"`{f}`" for f in row.flags)
        env = ", ".join(f"`{e}`" for e in row.env)
        lines.append(f"| {flags} | {env} | {row.default_doc} | {_md(row.help)} |")
    return "\n".join(lines) + "\n"


def render_endpoint_table() -> str:
    from tracklog.server.routing import all_routes, field_spec

    lines = ["| Method | Path | Fields (* = required) | Summary |", "|---|---|---|---|"]
    for route in all_routes():
        fields = []
        for spec in route.fields:
            name, kind, required = field_spec(spec)
            star = "\\*" if required else ""
            fields.append(f"`{name}`{star}" + ("" if kind == "str" else f" ({_md(kind)})"))
        mirror = " (+ `/ajax-api`)" if len(route.paths) > 1 else ""
        lines.append(f"| {route.method} | `{route.path}`{mirror} | {', '.join(fields)} | {_md(route.summary)} |")
    return "\n".join(lines) + "\n"


def _replace(text: str, markers: tuple[str, str], content: str) -> str:
    begin, end = markers
    head, sep, rest = text.partition(begin)
    _, sep2, tail = rest.partition(end)
    if not sep or not sep2:
        raise ValueError(f"missing generated-section markers {begin!r} ... {end!r}")
    return f"{head}{begin}\n{content}{end}{tail}"


def refresh_server_docs(text: str) -> str:
    return _replace(text, SETTINGS_MARKERS, render_settings_table())


def refresh_rest_api_docs(text: str) -> str:
    return _replace(text, ROUTES_MARKERS, render_endpoint_table())


def main(docs_dir: Path) -> None:
    for name, refresh in (("server.md", refresh_server_docs), ("rest-api.md", refresh_rest_api_docs)):
        path = docs_dir / name
        path.write_text(refresh(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
