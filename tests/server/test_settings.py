"""The settings table: env vars and MLflow aliases, CLI options, docs freshness."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from tracklog.cli.server import server
from tracklog.server.settings import SETTINGS, Settings

# Settings MLflow has no variable for (besides the auth ones).
TRACKLOG_ONLY = ("graceful_timeout", "log_format", "access_log", "metrics_port")


def test_every_setting_is_a_cli_option_with_env_vars() -> None:
    options = {p.name: p for p in server.params if isinstance(p, click.Option)}
    for row in SETTINGS:
        assert row.name in options
        assert list(options[row.name].envvar or []) == list(row.env)
        assert row.env[0].startswith("TRACKLOG_") and all(e.startswith("MLFLOW_") for e in row.env[1:])
        # settings MLflow has too carry its variable as an alias (tracklog-only ones, like --auth, don't)
        assert len(row.env) == 2 or row.name.startswith("auth") or row.name in TRACKLOG_ONLY


def test_mlflow_aliases_and_precedence() -> None:
    env = {
        "MLFLOW_BACKEND_STORE_URI": "sqlite:////tmp/a.db",
        "MLFLOW_PORT": "6000",
        "TRACKLOG_PORT": "7000",
        "MLFLOW_SERVE_ARTIFACTS": "false",
        "MLFLOW_SERVER_ALLOWED_HOSTS": "a.example, 10.0.0.0/8",
        "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS": "https://ui.example",
        "MLFLOW_WORKERS": "3",
        "MLFLOW_STATIC_PREFIX": "/ml",
    }
    s = Settings.from_env(env)
    assert s.backend_store_uri == "sqlite:////tmp/a.db"
    assert s.port == 7000
    assert s.serve_artifacts is False
    assert s.allowed_hosts == ("a.example", "10.0.0.0/8")
    assert s.cors_allowed_origins == ("https://ui.example",)
    assert s.workers == 3
    assert Settings.from_env(s.to_env()) == s


def test_resolved_defaults(tmp_path: Path) -> None:
    s = Settings().resolved(tmp_path)
    assert s.backend_store_uri == f"sqlite:///{tmp_path.resolve()}/mlruns/tracklog.db"
    assert s.default_artifact_root == "mlflow-artifacts:/"
    assert s.artifacts_destination == (tmp_path.resolve() / "mlruns" / "artifacts").as_uri()
    direct = Settings(serve_artifacts=False).resolved(tmp_path)
    assert direct.default_artifact_root == (tmp_path.resolve() / "mlruns" / "artifacts").as_uri()
    assert Settings(static_prefix="ml/").resolved(tmp_path).static_prefix == "/ml"


def test_cli_help_lists_every_flag() -> None:
    out = CliRunner().invoke(server, ["--help"]).output
    for row in SETTINGS:
        assert row.flag.split("/")[0] in out


def test_public_api_is_pinned() -> None:
    import tracklog.server

    assert sorted(tracklog.server.__all__) == ["Settings", "create_app"]
