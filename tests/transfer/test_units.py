"""Fast tests of the transfer pieces that need no MLflow server."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

import tracklog.transfer as transfer
from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.cli.main import cli
from tracklog.entities import Metric, Run, RunData, RunInfo, RunStatus, RunTag
from tracklog.exceptions import InvalidArgument, NotFound
from tracklog.transfer.artifact_copy import ArtifactCopier
from tracklog.transfer.base import parents_first, select_experiments
from tracklog.transfer.report import Summary
from tracklog.transfer.sources import open_mlflow_source, open_store_source


def _run(run_id: str, parent: str | None = None) -> Run:
    tags = (RunTag("mlflow.parentRunId", parent),) if parent else ()
    return Run(RunInfo(run_id, "1", run_id, "u", RunStatus.FINISHED, 1, 2, ""), RunData(tags=tags))


def test_public_api() -> None:
    assert transfer.__all__ == [
        "ExportDirSource", "ImportOptions", "Importer", "MlflowSqlSource", "Source", "StoreSource", "Summary",
        "export_to_dir", "open_mlflow_source",
    ]


def test_parents_come_before_children() -> None:
    runs = [_run("grandchild", "child"), _run("child", "root"), _run("root"), _run("orphan", "missing")]
    order = [r.info.run_id for r in parents_first(runs)]
    assert order.index("root") < order.index("child") < order.index("grandchild")
    assert sorted(order) == sorted(r.info.run_id for r in runs)


def test_unknown_experiment_name_is_an_error() -> None:
    with pytest.raises(NotFound, match="nope"):
        select_experiments([], ["nope"])


def test_unknown_source_is_explained() -> None:
    with pytest.raises(InvalidArgument, match="server URL"):
        open_mlflow_source("ftp://host/x")


def test_summary_rows_show_reasons() -> None:
    summary = Summary()
    summary.add("runs", 3)
    summary.skip("runs", "already imported", 2)
    assert summary.rows() == [("runs", 3, 2, "already imported (2)")]


def test_copier_skips_files_already_present(tmp_path: Path) -> None:
    (tmp_path / "src" / "d").mkdir(parents=True)
    (tmp_path / "src" / "d" / "a.bin").write_bytes(b"x" * 3000)
    (tmp_path / "src" / "b.txt").write_text("hi")
    src, dst = LocalArtifactRepository(str(tmp_path / "src")), LocalArtifactRepository(str(tmp_path / "dst"))
    copier = ArtifactCopier(2)
    try:
        first = copier.copy_tree(src, dst)
        second = copier.copy_tree(src, dst)
    finally:
        copier.close()
    assert (first.copied, second.copied, second.skipped) == (2, 0, 2)
    assert (tmp_path / "dst" / "d" / "a.bin").read_bytes() == b"x" * 3000


def test_cli_export_and_import_a_tracklog_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklog.client.tracking import TrackingClient

    monkeypatch.setenv("TRACKLOG_DEFAULT_ARTIFACT_ROOT", str(tmp_path / "art"))
    client_text = "kept"
    source_uri = f"sqlite:///{tmp_path / 'a.db'}"
    client = TrackingClient(source_uri)
    exp = client.create_experiment("e", tags={"k": "v"})
    run = client.create_run(exp, run_name="r")
    client.log_batch(run.info.run_id, metrics=[Metric("m", math.nan, 5, 1), Metric("m", math.inf, 6, 2)])
    client.log_text(run.info.run_id, client_text, "notes/a.txt")
    out = tmp_path / "out"
    runner = CliRunner()
    done = runner.invoke(cli, ["export", str(out), "--tracking-uri", source_uri, "--json"])
    assert done.exit_code == 0, done.output
    target_uri = f"sqlite:///{tmp_path / 'b.db'}"
    done = runner.invoke(cli, ["import", "tracklog", str(out), "--to", target_uri, "--json"])
    assert done.exit_code == 0, done.output
    target = open_store_source(target_uri)
    (copied,) = [r for e in target.experiments() for r in target.runs(e.experiment_id)]
    values = [p.value for p in target.metric_history(copied)]
    assert math.isnan(values[0]) and values[1] == math.inf
    assert (out / "artifacts" / "runs" / run.info.run_id / "notes" / "a.txt").read_text() == client_text
    repo = target.run_artifacts(copied)
    assert repo is not None and repo.open_read("notes/a.txt").read() == client_text.encode()


def test_pack_batches_respects_the_log_batch_limits() -> None:
    from tracklog.entities import Param
    from tracklog.transfer.importer import pack_batches

    params = [Param(f"p{i}", "v") for i in range(150)]
    tags = [RunTag(f"t{i}", "v") for i in range(120)]
    points = iter([Metric("m", float(i), i, i) for i in range(2500)])
    batches = list(pack_batches(params, tags, points))
    assert all(len(p) <= 100 and len(t) <= 100 and len(p) + len(t) + len(m) <= 1000 for p, t, m in batches)
    assert [len(p) for p, _t, _m in batches][:2] == [100, 50] and sum(len(t) for _p, t, _m in batches) == 120
    assert [m.step for _p, _t, ms in batches for m in ms] == list(range(2500))  # all points, in order
    assert [len(m) for _p, _t, m in batches] == [800, 930, 770]  # no more calls than needed
    one = list(pack_batches([Param("a", "1")], [RunTag("b", "2")], iter([Metric("m", 1.0, 1, 0)] * 3)))
    assert len(one) == 1 and len(one[0][2]) == 3
    assert list(pack_batches([], [], iter([]))) == []
