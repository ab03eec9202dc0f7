"""Offline mode: the server is unreachable at start; the run lives in the spool until ``tracklog sync``.

The training process exits while the server is still away: the exit flush waits
``TRACKLOG_EXIT_FLUSH_TIMEOUT`` (1 s here), then says what is pending and where. Then the
server starts and ``tracklog sync`` creates the run (in the experiment named offline),
delivers metrics, params, tags, the artifact and the final status, and deletes the spool.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.spool.conftest import RestartableServer, child_env, tracklog_cli

from tracklog.client.spool import LOCAL_ID_TAG
from tracklog.client.tracking import TrackingClient
from tracklog.entities import ViewType

pytestmark = pytest.mark.timeout(240)

CHILD = """
import sys, tracklog
tracklog.set_tracking_uri(sys.argv[1])
tracklog.set_experiment("offline-exp")
with tracklog.start_run(run_name="offline-run") as run:
    tracklog.log_params({"lr": 0.01})
    tracklog.set_tag("where", "plane")
    for step in range(2500):
        tracklog.log_metric("loss", 1.0 / (step + 1), step=step)
    tracklog.log_text("hello offline", "notes/hello.txt")
    print("RUN", run.info.run_id, flush=True)
"""


def test_offline_run_then_sync(tmp_path: Path) -> None:
    server = RestartableServer(tmp_path / "server")
    server.tmp.mkdir()
    spool_dir = tmp_path / "spool"
    script = tmp_path / "train.py"
    script.write_text(CHILD)
    env = child_env(spool_dir, TRACKLOG_EXIT_FLUSH_TIMEOUT="1")
    done = subprocess.run([sys.executable, str(script), server.url], env=env, text=True,
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    local_id = done.stdout.split()[1]
    assert "cannot be reached" in done.stderr and "created offline" in done.stderr
    assert "were not delivered within 1s" in done.stderr and str(spool_dir) in done.stderr

    status = tracklog_cli("sync", "--status", "--spool-dir", str(spool_dir), spool_dir=spool_dir)
    assert "1 offline run(s) not on the server" in status.stdout, status.stdout + status.stderr
    dry = tracklog_cli("sync", "--dry-run", "--spool-dir", str(spool_dir), spool_dir=spool_dir)
    assert "would deliver" in dry.stdout
    down = tracklog_cli("sync", "--spool-dir", str(spool_dir), spool_dir=spool_dir)
    assert down.returncode == 1 and "unreachable" in down.stderr  # the server is still away: kept

    server.start()
    try:
        synced = tracklog_cli("sync", "--spool-dir", str(spool_dir), spool_dir=spool_dir)
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert f"offline run {local_id} -> " in synced.stdout and "spool deleted" in synced.stdout
        assert not list(spool_dir.glob("*.spool.db"))

        client = TrackingClient(server.url)
        experiment = client.get_experiment_by_name("offline-exp")
        assert experiment is not None
        runs = client.search_runs([experiment.experiment_id], f"tags.`{LOCAL_ID_TAG}` = '{local_id}'", ViewType.ALL)
        assert len(runs) == 1
        run = client.get_run(runs[0].info.run_id)
        assert run.info.run_id != local_id and run.info.run_name == "offline-run"
        assert run.info.status.value == "FINISHED"
        assert run.data.param_dict == {"lr": "0.01"} and run.data.tag_dict["where"] == "plane"
        assert len(client.get_metric_history(run.info.run_id, "loss")) == 2500
        local = client.download_artifacts(run.info.run_id, "notes/hello.txt", tmp_path / "dl")
        assert Path(local).read_text() == "hello offline"
        again = tracklog_cli("sync", "--spool-dir", str(spool_dir), spool_dir=spool_dir)
        assert again.returncode == 0 and "No spools" in again.stdout
    finally:
        server.stop()
