"""``tracklog export`` then ``tracklog import tracklog``: nothing is lost; the format is versioned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.transfer.conftest import FilledMlflow
from tests.transfer.snapshot import snapshot
from tests.transfer.test_import_mlflow import Target

from tracklog.exceptions import InvalidArgument
from tracklog.transfer.cli import export, import_group
from tracklog.transfer.export_dir import ExportDirSource
from tracklog.transfer.export_format import FORMAT_NAME, FORMAT_VERSION
from tracklog.transfer.exporter import export_to_dir
from tracklog.transfer.sources import MlflowSqlSource


@pytest.fixture
def filled_target(mlflow_source: FilledMlflow, tmp_path: Path) -> Target:
    target = Target(tmp_path / "first")
    (tmp_path / "first").mkdir(exist_ok=True)
    target.run_import(MlflowSqlSource(mlflow_source.db_uri, str(mlflow_source.artifacts)))
    return target


def test_export_then_import_is_lossless(filled_target: Target, tmp_path: Path) -> None:
    before = snapshot(filled_target.source())
    out = tmp_path / "export"
    export_to_dir(filled_target.source(), out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == FORMAT_NAME and manifest["version"] == FORMAT_VERSION
    assert snapshot(ExportDirSource(out)) == before
    (tmp_path / "second").mkdir()
    second = Target(tmp_path / "second")
    second.run_import(ExportDirSource(out))
    assert snapshot(second.source()) == before
    again = second.run_import(ExportDirSource(out))
    assert again.copied["runs"] == 0


def test_newer_format_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION + 1}))
    with pytest.raises(InvalidArgument, match="not supported"):
        ExportDirSource(tmp_path)


def test_cli_import_and_export(mlflow_source: FilledMlflow, tmp_path: Path) -> None:
    runner = CliRunner()
    to = f"sqlite:///{tmp_path / 'cli.db'}"
    args = ["mlflow", mlflow_source.db_uri, "--source-artifact-root", str(mlflow_source.artifacts), "--to", to,
            "--artifact-root", str(tmp_path / "cli-art"), "--experiments", "alpha,beta", "--json"]
    done = runner.invoke(import_group, args, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["copied"]["runs"] == 5
    again = runner.invoke(import_group, args, catch_exceptions=False)
    assert json.loads(again.output)["copied"].get("runs", 0) == 0
    out = tmp_path / "exported"
    done = runner.invoke(export, [str(out), "--tracking-uri", to, "--experiments", "beta", "--json"],
                         catch_exceptions=False)
    assert done.exit_code == 0, done.output
    lines: list[Any] = (out / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 2
