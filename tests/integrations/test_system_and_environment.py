"""System metrics monitor, environment capture and naming helpers."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

import tracklog
from tracklog.exceptions import InvalidArgument
from tracklog.models import log_environment
from tracklog.naming import experiment_name, parse_experiment_name, run_name_with_commit
from tracklog.system_metrics import SystemMetricsMonitor, attach


def _monitor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("tracklog-system-metrics")]


def test_system_metrics_sampled_during_a_run(embedded: Path) -> None:
    client = tracklog.TrackingClient()
    with tracklog.start_run() as run:
        monitor = attach(run.info.run_id, client, interval_s=0.2)
        deadline = time.monotonic() + 30
        while monitor.samples < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        monitor.stop()
    assert not monitor.running and _monitor_threads() == []
    assert monitor.samples >= 2 and monitor.errors == 0
    metrics = client.get_run(run.info.run_id).data.metrics_dict
    for key in (
        "cpu_utilization_percentage",
        "system_memory_usage_megabytes",
        "system_memory_usage_percentage",
        "disk_usage_percentage",
        "network_receive_megabytes",
        "network_transmit_megabytes",
    ):
        assert f"system/{key}" in metrics
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "system/cpu_utilization_percentage")]
    assert steps[:2] == [0, 1]


def test_monitor_never_raises_into_training(embedded: Path) -> None:
    class Broken:
        def log_batch(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("store down")

    with SystemMetricsMonitor("r" * 32, Broken(), interval_s=0.05) as monitor:  # type: ignore[arg-type]
        deadline = time.monotonic() + 30
        while monitor.errors < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert monitor.errors >= 2 and monitor.samples == 0 and not monitor.running


def test_log_environment(embedded: Path) -> None:
    with tracklog.start_run() as run:
        lines = log_environment()
    assert any(line.startswith("scikit-learn==") for line in lines)
    path = tracklog.TrackingClient().download_artifacts(run.info.run_id, "environment/requirements.txt")
    text = Path(path).read_text()
    assert "numpy==" in text and text.startswith("# python ")


def test_experiment_name() -> None:
    assert experiment_name("energy", "forecasting", "rmse") == "energy/forecasting/rmse"
    assert parse_experiment_name("energy/forecasting/rmse") == ("energy", "forecasting", "rmse")
    for bad in (("energy/x", "f", "o"), ("", "f", "o"), ("p", "f", "  ")):
        with pytest.raises(InvalidArgument):
            experiment_name(*bad)
    with pytest.raises(InvalidArgument):
        parse_experiment_name("energy/forecasting")


def test_run_name_with_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GIT_COMMIT", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert run_name_with_commit("rf", cwd=str(tmp_path)) == "rf"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], cwd=tmp_path, check=True)
    short = subprocess.run(
        ["git", "rev-parse", "--short=7", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert run_name_with_commit("rf", cwd=str(tmp_path)) == f"rf-{short}"
    monkeypatch.setenv("GIT_COMMIT", "0123456789abcdef")
    assert run_name_with_commit("rf") == "rf-0123456"
