"""The ``tracklog`` command: a click group whose subcommands load on demand.

``tracklog server`` comes from ``tracklog.cli.server`` and needs the
``[server]`` extra; without it the command explains what to install. Any
``TrackingError`` is printed as one line on stderr with exit code 1.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from tracklog import __version__
from tracklog.exceptions import TrackingError

__all__ = ["cli", "main"]

# command name -> (module, attribute); imported only when the command runs or help lists it
_COMMANDS: dict[str, tuple[str, str]] = {
    "artifacts": ("tracklog.cli.artifacts", "artifacts"),
    "db": ("tracklog.cli.db", "db"),
    "experiments": ("tracklog.cli.experiments", "experiments"),
    "gc": ("tracklog.cli.gc", "gc"),
    "runs": ("tracklog.cli.runs", "runs"),
    "server": ("tracklog.cli.server", "server"),
    "sync": ("tracklog.cli.sync", "sync"),
    "users": ("tracklog.cli.users", "users"), "permissions": ("tracklog.cli.users", "permissions"),
    "tokens": ("tracklog.cli.users", "tokens"),
    "import": ("tracklog.transfer.cli", "import_group"), "export": ("tracklog.transfer.cli", "export"),
}


class TracklogGroup(click.Group):
    """Lazy subcommands, and clean one-line errors for TrackingError."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        known = super().get_command(ctx, cmd_name)
        if known is not None or cmd_name not in _COMMANDS:
            return known
        module_name, attr = _COMMANDS[cmd_name]
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            return _unavailable(cmd_name, exc)
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrackingError as exc:
            raise click.ClickException(exc.message) from None


def _unavailable(name: str, exc: ImportError) -> click.Command:
    """A stand-in command explaining why ``name`` cannot load (usually a missing extra)."""
    missing = exc.name or ""
    if name == "server":
        if missing.startswith("tracklog"):
            why = "the server is not part of this tracklog build"
        else:
            why = f"the server needs the 'server' extra (missing module {missing!r}): pip install 'tracklog[server]'"
    else:
        why = f"'tracklog {name}' cannot load: {exc}"

    @click.command(name, help=f"(unavailable: {why})", context_settings={"ignore_unknown_options": True})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def stub(args: tuple[str, ...]) -> None:
        raise click.ClickException(why)

    return stub


@click.group(cls=TracklogGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="tracklog")
def cli() -> None:
    """tracklog: a self-hosted ML experiment tracker that speaks MLflow's protocol."""


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="tracklog")


if __name__ == "__main__":  # pragma: no cover
    main()
