"""Generate the flags/env table of docs/server.md from the settings table.

``python -m tracklog.server.settings_docs docs/server.md`` rewrites the table
between the markers; ``tests/server/test_settings.py`` fails while it is stale.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

from tracklog.server.settings import SETTINGS

__all__ = ["DOCS_BEGIN", "DOCS_END", "refresh_docs", "render_markdown_table"]


def render_markdown_table() -> str:
    """The flags/env table embedded in docs/server.md."""
    lines = [
        "| Flag | Environment variables | Default | Description |",
        "|---|---|---|---|",
    ]
    for row in SETTINGS:
        flags = ", ".join(f"`{f}`" for f in row.flags)
        env = ", ".join(f"`{e}`" for e in row.env)
        text = html.escape(row.help, quote=False).replace("|", "\\|").replace("*", "\\*")
        lines.append(f"| {flags} | {env} | {row.default_doc} | {text} |")
    return "\n".join(lines) + "\n"




DOCS_BEGIN = "<!-- settings-table:begin (generated from tracklog.server.settings; do not edit) -->"
DOCS_END = "<!-- settings-table:end -->"


def refresh_docs(text: str) -> str:
    """``text`` (docs/server.md) with the generated table between the markers replaced."""
    head, sep, rest = text.partition(DOCS_BEGIN)
    _, sep2, tail = rest.partition(DOCS_END)
    if not sep or not sep2:
        raise ValueError("docs/server.md lacks the settings-table markers")
    return f"{head}{DOCS_BEGIN}\n{render_markdown_table()}{DOCS_END}{tail}"


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.write_text(refresh_docs(target.read_text(encoding="utf-8")), encoding="utf-8")
