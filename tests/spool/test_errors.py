"""Writes the server refuses surface to the user; the rest of their batch is delivered; reads see writes."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.spool.conftest import RestartableServer, tracklog_cli

from tracklog.client.spool import close, live_spool
from tracklog.client.tracking import TrackingClient
from tracklog.exceptions import InvalidArgument

pytestmark = pytest.mark.timeout(120)


@pytest.fixture()
def client(server: RestartableServer, spool_dir: object) -> Iterator[TrackingClient]:
    yield TrackingClient(server.url)
    close(server.url)


def test_refused_param_surfaces_at_flush_and_the_rest_arrives(client: TrackingClient) -> None:
    run_id = client.create_run("0").info.run_id
    client.log_param(run_id, "p", "a")
    for step in range(300):
        client.log_metric(run_id, "m", float(step), step=step)
    client.log_param(run_id, "p", "b")  # changing a param: the server refuses it
    client.log_param(run_id, "q", "ok")
    with pytest.raises(InvalidArgument) as caught:
        client.flush(timeout=60)
    assert "param 'p'" in caught.value.message and run_id in caught.value.message
    spool = live_spool(client.tracking_uri)
    assert spool is not None and str(spool.file.path) in caught.value.message
    client.flush(timeout=60)  # reported once; nothing else pending
    run = client.get_run(run_id)
    assert run.data.param_dict == {"p": "a", "q": "ok"}
    assert [m.step for m in client.get_metric_history(run_id, "m")] == list(range(300))
    assert spool.file.counts()["rejected"] == 1  # kept in the spool, not dropped


def test_refusal_surfaces_on_the_next_call(client: TrackingClient) -> None:
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "", 1.0)  # an empty key is invalid
    spool = live_spool(client.tracking_uri)
    assert spool is not None
    deadline = time.monotonic() + 30
    while not spool.error_pending and time.monotonic() < deadline:
        time.sleep(0.05)
    with pytest.raises(InvalidArgument, match="refused metric ''"):
        client.log_metric(run_id, "ok", 2.0)
    client.log_metric(run_id, "ok", 3.0, step=1)
    # the call that reported the refusal still logged its own point
    assert [m.value for m in client.get_metric_history(run_id, "ok")] == [2.0, 3.0]


def test_reads_and_later_writes_see_queued_writes(client: TrackingClient) -> None:
    run_id = client.create_run("0").info.run_id
    client.set_tag(run_id, "t", "1")
    client.delete_tag(run_id, "t")  # a synchronous write waits for the queued set_tag first
    client.log_metric(run_id, "m", 1.0)
    assert "t" not in client.get_run(run_id).data.tag_dict
    assert client.get_run(run_id).data.metric_dict["m"] == 1.0
    client.log_metric(run_id, "m", 2.0, step=1, synchronous=True)
    assert len(client.get_metric_history(run_id, "m")) == 2


def test_async_logging_can_be_switched_off(server: RestartableServer, spool_dir: object,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKLOG_ASYNC_LOGGING", "false")
    client = TrackingClient(server.url)
    run_id = client.create_run("0").info.run_id
    with pytest.raises(InvalidArgument):
        client.log_metric(run_id, "", 1.0)  # raised by the call itself
    assert live_spool(server.url) is None


def test_sync_skips_the_spool_of_a_live_process(client: TrackingClient, spool_dir: Path) -> None:
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "m", 1.0)
    client.flush()
    spool = live_spool(client.tracking_uri)
    assert spool is not None
    status = tracklog_cli("sync", "--status", "--spool-dir", str(spool_dir), spool_dir=spool_dir)
    assert f"live process {os.getpid()}" in status.stdout, status.stdout + status.stderr
    synced = tracklog_cli("sync", "--spool-dir", str(spool_dir), spool_dir=spool_dir)
    assert synced.returncode == 0 and "skipped" in synced.stdout, synced.stdout + synced.stderr
    assert spool.file.path.exists()
