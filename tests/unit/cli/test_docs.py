"""docs/cli.md documents every command and option; docs/python-api.md every public name."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

import tracklog
from tracklog.cli.main import cli

DOCS = Path(__file__).resolve().parents[3] / "docs"


# The tracking commands documented in docs/cli.md; `server` and the auth commands
# (`users`, `permissions`, `tokens`) are documented with the server.
TRACKING_GROUPS = ("experiments", "runs", "artifacts", "db")


def _commands() -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    ctx = click.Context(cli)
    for name in TRACKING_GROUPS:
        group = cli.get_command(ctx, name)
        assert isinstance(group, click.Group)
        for sub in group.list_commands(ctx):
            command = group.get_command(ctx, sub)
            assert command is not None
            found.append((f"tracklog {name} {sub}", command))
    return found


@pytest.mark.parametrize(("path", "command"), _commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_cli_reference_is_complete(path: str, command: click.Command) -> None:
    text = (DOCS / "cli.md").read_text()
    assert f"`{path}" in text, f"{path} is not documented in docs/cli.md"
    section = text[text.index(f"`{path}") :]
    section = section[: section.index("\n")]
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in ("tracking_uri", "as_json", "help"):
            assert any(opt in section for opt in param.opts), f"{path}: {param.opts} undocumented"


def test_python_reference_names_every_public_function() -> None:
    text = (DOCS / "python-api.md").read_text()
    for name in tracklog.__all__:
        pattern = rf"\b{name}\(" if name[0].islower() else rf"\b{name}\b"
        assert re.search(pattern, text), f"{name} is not documented in docs/python-api.md"
