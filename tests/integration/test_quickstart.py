"""examples/quickstart.py runs as written and its run lands in ./mlruns."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracklog.client import uri
from tracklog.client.tracking import TrackingClient
from tracklog.entities import RunStatus

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"


@pytest.fixture
def clean_cache() -> Iterator[None]:
    yield
    uri._clear_store_cache()


def test_quickstart_logs_to_mlruns(tmp_path: Path, clean_cache: None) -> None:
    pytest.importorskip("sklearn")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLOG_"))}
    env["GIT_CEILING_DIRECTORIES"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "rmse=" in done.stdout
    assert (tmp_path / "mlruns" / "tracklog.db").is_file()

    client = TrackingClient(str(tmp_path / "mlruns"))
    experiment = client.get_experiment_by_name("energy_forecasting")
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "baseline-rf"
    assert run.info.status == RunStatus.FINISHED
    assert run.data.params_dict == {"n_estimators": "200", "max_depth": "8"}
    assert set(run.data.metrics_dict) == {"rmse"} and run.data.metrics_dict["rmse"] > 0
    tags = run.data.tags_dict
    assert tags["mlflow.source.name"] == str(EXAMPLE)
    assert tags["mlflow.source.type"] == "LOCAL"
    assert run.info.run_id in done.stdout
