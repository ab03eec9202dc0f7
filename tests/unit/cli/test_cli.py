"""Every ``tracklog`` command through click's CliRunner, on an embedded store in tmp_path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import tracklog
from tracklog.cli.main import cli
from tracklog.client import fluent, uri


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in (*uri.TRACKING_URI_ENV_VARS, *uri.ARTIFACT_ROOT_ENV_VARS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    fluent._reset_state()
    yield str(tmp_path / "store")
    fluent._reset_state()
    uri.set_tracking_uri(None)
    uri._clear_store_cache()


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def invoke_json(*args: str) -> Any:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _make_run(store: str, **metrics: float) -> str:
    tracklog.set_tracking_uri(store)
    with tracklog.start_run(run_name="cli-run") as run:
        tracklog.log_param("alpha", 0.1)
        tracklog.log_metrics(metrics or {"rmse": 1.0})
        tracklog.set_tag("team", "ml")
        tracklog.log_text("hello", "notes/readme.txt")
    tracklog.set_tracking_uri(None)
    return run.info.run_id


def test_version_and_help() -> None:
    assert invoke("--version").output.strip() == f"tracklog, version {tracklog.__version__}"
    top = invoke("--help")
    assert top.exit_code == 0
    for name in ("experiments", "runs", "artifacts", "db", "server"):
        assert name in top.output


@pytest.mark.parametrize(
    "command",
    [
        ["experiments"],
        ["experiments", "create"],
        ["experiments", "list"],
        ["experiments", "rename"],
        ["experiments", "delete"],
        ["experiments", "restore"],
        ["runs"],
        ["runs", "list"],
        ["runs", "describe"],
        ["runs", "delete"],
        ["runs", "restore"],
        ["artifacts"],
        ["artifacts", "list"],
        ["artifacts", "download"],
        ["artifacts", "log"],
        ["db"],
        ["db", "upgrade"],
    ],
)
def test_help_everywhere(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output
    if command[-1] not in ("experiments", "runs", "artifacts", "db", "upgrade"):
        assert "--tracking-uri" in result.output
        assert "--json" in result.output


def test_experiments_lifecycle(store: str) -> None:
    created = invoke_json("experiments", "create", "alpha", "--tag", "team=ml", "--tracking-uri", store)
    exp_id = created["experiment_id"]
    listed = invoke_json("experiments", "list", "--tracking-uri", store)
    assert {e["name"] for e in listed} == {"Default", "alpha"}
    assert next(e for e in listed if e["name"] == "alpha")["tags"] == [{"key": "team", "value": "ml"}]
    assert invoke_json("experiments", "rename", exp_id, "beta", "--tracking-uri", store)["status"] == "renamed"
    assert invoke_json("experiments", "delete", exp_id, "--tracking-uri", store)["status"] == "deleted"
    deleted = invoke_json("experiments", "list", "--view", "deleted", "--tracking-uri", store)
    assert [(e["experiment_id"], e["name"]) for e in deleted] == [(exp_id, "beta")]
    invoke_json("experiments", "restore", exp_id, "--tracking-uri", store)
    assert len(invoke_json("experiments", "list", "--max-results", "1", "--tracking-uri", store)) == 1
    filtered = invoke_json("experiments", "list", "--filter", "name = 'beta'", "--tracking-uri", store)
    assert [e["experiment_id"] for e in filtered] == [exp_id]


def test_experiments_table_output(store: str) -> None:
    invoke("experiments", "create", "tabled", "--tracking-uri", store)
    result = invoke("experiments", "list", "--tracking-uri", store)
    assert result.exit_code == 0
    assert "tabled" in result.output and "Default" in result.output


def test_tracking_uri_from_environment(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKLOG_TRACKING_URI", store)
    invoke_json("experiments", "create", "via-env")
    names = {e["name"] for e in invoke_json("experiments", "list", "--tracking-uri", store)}
    assert "via-env" in names


def test_runs_commands(store: str) -> None:
    run_id = _make_run(store, rmse=0.5)
    other = _make_run(store, rmse=2.0)
    listed = invoke_json("runs", "list", "--tracking-uri", store)
    assert {r["info"]["run_id"] for r in listed} == {run_id, other}
    best = invoke_json("runs", "list", "--filter", "metrics.rmse < 1", "--tracking-uri", store)
    assert [r["info"]["run_id"] for r in best] == [run_id]
    by_name = invoke_json("runs", "list", "-n", "Default", "--order-by", "metrics.rmse DESC", "--tracking-uri", store)
    assert [r["info"]["run_id"] for r in by_name] == [other, run_id]
    described = invoke_json("runs", "describe", run_id, "--tracking-uri", store)
    assert described["info"]["status"] == "FINISHED"
    assert described["data"]["params"] == [{"key": "alpha", "value": "0.1"}]
    table = invoke("runs", "describe", run_id, "--tracking-uri", store)
    assert "alpha" in table.output and "rmse" in table.output and "team" in table.output
    assert run_id in invoke("runs", "list", "--tracking-uri", store).output
    assert invoke_json("runs", "delete", run_id, "--tracking-uri", store)["status"] == "deleted"
    deleted = invoke_json("runs", "list", "--view", "deleted", "--tracking-uri", store)
    assert [r["info"]["run_id"] for r in deleted] == [run_id]
    invoke_json("runs", "restore", run_id, "--tracking-uri", store)
    assert len(invoke_json("runs", "list", "--tracking-uri", store)) == 2


def test_artifacts_commands(store: str, tmp_path: Path) -> None:
    run_id = _make_run(store)
    root = invoke_json("artifacts", "list", run_id, "--tracking-uri", store)
    assert root == [{"path": "notes", "is_dir": True}]
    notes = invoke_json("artifacts", "list", run_id, "--path", "notes", "--tracking-uri", store)
    assert notes == [{"path": "notes/readme.txt", "is_dir": False, "file_size": 5}]
    local = tmp_path / "upload"
    local.mkdir()
    (local / "a.txt").write_text("aaa")
    invoke_json("artifacts", "log", run_id, str(local / "a.txt"), "--tracking-uri", store)
    invoke_json("artifacts", "log", run_id, str(local), "--artifact-path", "dir", "--tracking-uri", store)
    paths = {f["path"] for f in invoke_json("artifacts", "list", run_id, "--tracking-uri", store)}
    assert paths == {"notes", "a.txt", "dir"}
    out = invoke_json(
        "artifacts", "download", run_id, "--path", "notes", "--dst-path", str(tmp_path / "dl"), "--tracking-uri", store
    )
    assert (Path(out["local_path"]) / "readme.txt").read_text() == "hello"
    everything = invoke("artifacts", "download", run_id, "--dst-path", str(tmp_path / "all"), "--tracking-uri", store)
    assert (Path(everything.output.strip()) / "dir" / "a.txt").read_text() == "aaa"
    assert "readme" not in invoke("artifacts", "list", run_id, "--tracking-uri", store).output


def test_db_upgrade(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'fresh.db'}"
    first = invoke_json("db", "upgrade", db)
    assert first["previous_revision"] is None
    again = invoke_json("db", "upgrade", db)
    assert again["previous_revision"] is not None
    folder = invoke("db", "upgrade", str(tmp_path / "embedded"))
    assert folder.exit_code == 0 and (tmp_path / "embedded" / "tracklog.db").is_file()


def test_db_upgrade_refuses_a_server() -> None:
    result = invoke("db", "upgrade", "http://localhost:5000")
    assert result.exit_code == 1
    assert "server" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "describe", "0123456789abcdef0123456789abcdef"],
        ["experiments", "delete", "99999"],
        ["experiments", "rename", "99999", "x"],
        ["runs", "list", "--filter", "metrics.x = 'oops'"],
        ["runs", "list", "-n", "no-such-experiment"],
    ],
)
def test_errors_exit_1_without_traceback(store: str, args: list[str]) -> None:
    invoke("experiments", "list", "--tracking-uri", store)  # create the store
    result = CliRunner().invoke(cli, [*args, "--tracking-uri", store])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_duplicate_experiment_is_a_clean_error(store: str) -> None:
    invoke("experiments", "create", "dup", "--tracking-uri", store)
    result = invoke("experiments", "create", "dup", "--tracking-uri", store)
    assert result.exit_code == 1
    assert "Error: " in result.output and "dup" in result.output


def test_bad_tag_syntax(store: str) -> None:
    result = invoke("experiments", "create", "x", "--tag", "novalue", "--tracking-uri", store)
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output


def test_server_command_is_attached() -> None:
    result = invoke("server", "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output


def test_missing_server_extra_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real_import = importlib.import_module

    def fake_import(name: str, package: str | None = None) -> Any:
        if name == "tracklog.cli.server":
            raise ModuleNotFoundError("No module named 'uvicorn'", name="uvicorn")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    listing = invoke("--help")
    assert "server" in listing.output
    result = CliRunner().invoke(cli, ["server", "--port", "5000"])
    assert result.exit_code == 1
    assert "pip install 'tracklog[server]'" in result.output
    assert "Traceback" not in result.output
