"""kill -9 of a training process mid-logging, then ``tracklog sync`` delivers every durable point exactly once.

"Durable" is what the spool acknowledged: the child takes ``spool.mark()`` after logging a
step and reports the step once ``spool.durable_seq`` has passed the mark (the writer thread
commits every 5 ms, without any flush from the training loop). The parent kills the child
while it logs (the sender is delivering at the same time, so some batches are in flight and
get sent again by sync: the server must not store them twice).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.spool.conftest import RestartableServer, child_env, tracklog_cli

from tracklog.client.tracking import TrackingClient

pytestmark = pytest.mark.timeout(300)

CHILD = """
import sys, time, tracklog
from tracklog.client.spool import live_spool
tracklog.set_tracking_uri(sys.argv[1])
run = tracklog.start_run(experiment_id="0")
tracklog.log_param("p", "v")
spool = live_spool(sys.argv[1])
print("RUN", run.info.run_id, spool.file.path, flush=True)
step, pending = 0, None
while True:
    tracklog.log_metric("m", step * 0.5, step=step)
    if pending is None:
        pending = (step, spool.mark())
    elif spool.durable_seq >= pending[1]:
        print("DURABLE", pending[0], flush=True)
        pending = None
    step += 1
    if step % 10 == 0:
        time.sleep(0.0005)  # about 15,000 points a second: the sender keeps up, batches are in flight
"""


def test_kill_9_then_sync_delivers_every_durable_point_once(server: RestartableServer, tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    script = tmp_path / "train.py"
    script.write_text(CHILD)
    child = subprocess.Popen([sys.executable, str(script), server.url], env=child_env(spool_dir),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    header = child.stdout.readline().split()
    assert header and header[0] == "RUN", child.stderr.read() if child.stderr else ""
    run_id, spool_path = header[1], Path(header[2])
    durable = -1
    started = time.monotonic()
    while (durable < 5000 or time.monotonic() - started < 1.5) and time.monotonic() - started < 60:
        line = child.stdout.readline()
        assert line, child.stderr.read() if child.stderr else ""
        if line.startswith("DURABLE"):
            durable = int(line.split()[1])
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert durable >= 1000, "the child never reported durable points"
    assert spool_path.exists()

    status = tracklog_cli("sync", "--status", "--spool-dir", str(spool_dir), spool_dir=spool_dir)
    assert status.returncode == 0 and "ended process" in status.stdout, status.stdout + status.stderr
    synced = tracklog_cli("sync", "--spool-dir", str(spool_dir), spool_dir=spool_dir)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "spool deleted" in synced.stdout
    assert not spool_path.exists()

    client = TrackingClient(server.url)
    client._async_default = False
    history = client.get_metric_history(run_id, "m")
    steps = [m.step for m in history]
    assert steps == list(range(len(steps))), "a gap or a duplicate in the delivered steps"
    assert len(steps) > durable, f"delivered {len(steps)} points, but step {durable} was durable"
    assert all(m.value == m.step * 0.5 for m in history)
    assert client.get_run(run_id).data.param_dict == {"p": "v"}
