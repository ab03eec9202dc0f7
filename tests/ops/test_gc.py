"""``tracklog gc`` end to end: rows on SQLite/PostgreSQL/MariaDB, artifacts on disk and in S3 (moto)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update
from tests.artifact_stores.emulators import boto3_client, running, session_bucket, unique

from tracklog.artifacts.base import ArtifactRepository
from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.artifacts.registry import get_repository
from tracklog.cli.gc import parse_age
from tracklog.cli.main import cli
from tracklog.entities import Param
from tracklog.exceptions import NotFound
from tracklog.purge import execute_gc, owned_location, plan_gc
from tracklog.store.gc import PurgeTarget, collector_for
from tracklog.store.sql import schema
from tracklog.store.sql.db import Database
from tracklog.store.sql.engine import get_engine
from tracklog.store.sql.store import SqlStore

LONG_AGO = 1_000_000  # epoch ms: 1970, older than any --older-than


def _age(db_uri: str, table: Any, key: Any, ident: object) -> None:
    Database(get_engine(db_uri)).write(
        lambda conn: conn.execute(update(table).where(key == ident).values(deleted_time=LONG_AGO))
    )


def _gc(*args: str) -> Result:
    return CliRunner().invoke(cli, ["gc", *args], catch_exceptions=False)


class World:
    """Experiments and runs in every state, each with one artifact file."""

    def __init__(self, store: SqlStore, destination: ArtifactRepository) -> None:
        self.store = store
        self.destination = destination
        db = store.db_uri
        self.keep_exp = store.create_experiment(unique("keep"))
        self.old_run, self.recent_run, self.active_run = (self._run(self.keep_exp) for _ in range(3))
        store.delete_run(self.old_run)
        store.delete_run(self.recent_run)
        _age(db, schema.runs, schema.runs.c.run_uuid, self.old_run)
        self.old_exp = store.create_experiment(unique("old"))
        self.old_exp_run = self._run(self.old_exp)
        model = store.create_logged_model(self.old_exp, "m", source_run_id=self.old_exp_run)
        self.model_id = model.model_id
        self._put(model.artifact_uri, "MLmodel")
        store.delete_experiment(self.old_exp)
        _age(db, schema.experiments, schema.experiments.c.experiment_id, int(self.old_exp))
        self.recent_exp = store.create_experiment(unique("recent"))
        self.recent_exp_run = self._run(self.recent_exp)
        store.delete_experiment(self.recent_exp)

    def _run(self, experiment_id: str) -> str:
        run = self.store.create_run(experiment_id, "alice", 0)
        self.store.log_batch(run.info.run_id, params=[Param("p", "1")])
        self._put(run.info.artifact_uri, "model.bin")
        return run.info.run_id

    def _put(self, artifact_uri: str, name: str) -> None:
        path = artifact_uri.removeprefix("mlflow-artifacts:/").lstrip("/")
        self.destination.write_stream(f"{path}/{name}", iter([b"payload"]))

    def has_artifacts(self, artifact_uri: str) -> bool:
        path = artifact_uri.removeprefix("mlflow-artifacts:/").lstrip("/")
        return self.destination.file_size(f"{path}/model.bin") is not None or \
            self.destination.file_size(f"{path}/MLmodel") is not None

    def run_uri(self, run_id: str) -> str:
        return self.store.get_run(run_id).info.artifact_uri

    def kept(self) -> list[str]:
        return [self.recent_run, self.active_run, self.recent_exp_run]


def _assert_collected(world: World, uris: dict[str, str]) -> None:
    store = world.store
    with pytest.raises(NotFound):
        store.get_run(world.old_run)
    with pytest.raises(NotFound):
        store.get_run(world.old_exp_run)
    with pytest.raises(NotFound):
        store.get_experiment(world.old_exp)
    with pytest.raises(NotFound):
        store.get_logged_model(world.model_id, allow_deleted=True)
    for gone in ("old_run", "old_exp_run", "model"):
        assert not world.has_artifacts(uris[gone]), gone
    for rid in world.kept():
        assert {p.key: p.value for p in store.get_run(rid).data.param_list} == {"p": "1"}
        assert world.has_artifacts(uris[rid]), rid
    store.get_experiment(world.recent_exp)


def _uris(world: World) -> dict[str, str]:
    uris = {rid: world.run_uri(rid) for rid in world.kept()}
    uris["old_run"] = world.run_uri(world.old_run)
    uris["old_exp_run"] = world.run_uri(world.old_exp_run)
    uris["model"] = world.store.get_logged_model(world.model_id, allow_deleted=True).artifact_uri
    return uris


def test_gc_dry_run_then_gc_on_every_database(database_uri: str, tmp_path: Path) -> None:
    destination = tmp_path / "artifacts"
    store = SqlStore(database_uri, "mlflow-artifacts:/")
    world = World(store, LocalArtifactRepository(destination.as_uri()))
    uris = _uris(world)
    common = ("--backend-store-uri", database_uri, "--artifacts-destination", str(destination))

    dry = _gc("--older-than", "30d", "--dry-run", *common)
    assert dry.exit_code == 0, dry.output
    assert world.old_run in dry.output and f"experiment {world.old_exp}" in dry.output
    assert world.recent_run not in dry.output and world.active_run not in dry.output
    planned = json.loads(_gc("--older-than", "30d", "--dry-run", "--json", *common).output)
    assert world.old_run in [r["run_id"] for r in planned["runs"]]
    assert {"experiment_id": world.old_exp, "runs": 1, "logged_models": 1}.items() <= \
        next(e for e in planned["experiments"] if e["experiment_id"] == world.old_exp).items()
    store.get_run(world.old_run)  # a dry run changes nothing
    assert world.has_artifacts(uris["old_run"])

    result = _gc("--older-than", "30d", *common)
    assert result.exit_code == 0, result.output
    assert f"removed: run {world.old_run}" in result.output
    _assert_collected(world, uris)
    assert not (destination / world.old_exp).exists()  # the experiment's folder went too

    again = _gc("--older-than", "30d", "--json", *common)
    removed = json.loads(again.output)["removed"]
    assert world.old_run not in [r["id"] for r in removed]


def test_gc_named_ids_only(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    destination = tmp_path / "artifacts"
    world = World(SqlStore(db, "mlflow-artifacts:/"), LocalArtifactRepository(destination.as_uri()))
    common = ("--backend-store-uri", db, "--artifacts-destination", str(destination))
    refused = CliRunner().invoke(cli, ["gc", "--run-ids", f"{world.recent_run},{world.active_run}", *common])
    assert refused.exit_code == 1 and "is not deleted" in refused.output
    world.store.get_run(world.recent_run)  # nothing removed when one id is refused

    result = _gc("--run-ids", world.recent_run, *common)
    assert result.exit_code == 0, result.output
    with pytest.raises(NotFound):
        world.store.get_run(world.recent_run)
    world.store.get_run(world.old_run)  # naming ids limits gc to them
    world.store.get_experiment(world.old_exp)
    result = _gc("--experiment-ids", world.recent_exp, *common)
    assert result.exit_code == 0, result.output
    with pytest.raises(NotFound):
        world.store.get_experiment(world.recent_exp)


def test_gc_with_s3_artifacts(request: pytest.FixtureRequest, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    emu = running(request, "moto")
    bucket = session_bucket("s3", emu)
    for name, value in (("MLFLOW_S3_ENDPOINT_URL", emu.endpoint), ("AWS_ACCESS_KEY_ID", "testing"),
                        ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    destination = f"s3://{bucket}/{unique('gc')}"
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    world = World(SqlStore(db, "mlflow-artifacts:/"), get_repository(destination))
    # A direct-mode experiment (artifacts addressed by s3:// URIs) is collected the same way.
    direct_root = f"s3://{bucket}/{unique('direct')}"
    direct = world.store.create_experiment(unique("direct"), artifact_location=direct_root)
    run = world.store.create_run(direct, "bob", 0)
    get_repository(run.info.artifact_uri).write_stream("model.bin", iter([b"payload"]))
    world.store.delete_run(run.info.run_id)
    _age(db, schema.runs, schema.runs.c.run_uuid, run.info.run_id)
    uris = _uris(world)

    result = _gc("--older-than", "1d", "--backend-store-uri", db, "--artifacts-destination", destination)
    assert result.exit_code == 0, result.output
    _assert_collected(world, uris)
    keys = [o["Key"] for o in boto3_client(emu).list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert not [k for k in keys if run.info.run_id in k]
    prefix = destination.removeprefix(f"s3://{bucket}/")
    mine = sorted(k for k in keys if k.startswith(prefix + "/"))
    assert mine == sorted(f"{prefix}/{uris[rid].removeprefix('mlflow-artifacts:/')}/model.bin"
                          for rid in world.kept())


class _Unreachable(LocalArtifactRepository):
    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        raise OSError("connection refused")


def test_rows_stay_until_artifacts_are_gone(tmp_path: Path) -> None:
    """Artifacts first, rows second: a failed artifact delete keeps the row, and gc can be rerun."""
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    root = (tmp_path / "artifacts").as_uri()
    world = World(SqlStore(db, "mlflow-artifacts:/"), LocalArtifactRepository(root))
    collector = collector_for(world.store)
    plan = plan_gc(collector, run_ids=[world.old_run])
    report = execute_gc(plan, collector, _Unreachable(root), get_repository)
    assert [t.id for t, _ in report.failed] == [world.old_run] and not report.removed
    world.store.get_run(world.old_run)
    report = execute_gc(plan_gc(collector, run_ids=[world.old_run]), collector, LocalArtifactRepository(root),
                        get_repository)
    assert [t.id for t in report.removed] == [world.old_run]


def test_restored_between_plan_and_execution_is_kept(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    root = (tmp_path / "artifacts").as_uri()
    world = World(SqlStore(db, "mlflow-artifacts:/"), LocalArtifactRepository(root))
    collector = collector_for(world.store)
    plan = plan_gc(collector)
    world.store.restore_run(world.old_run)
    report = execute_gc(plan, collector, LocalArtifactRepository(root), get_repository)
    assert (world.old_run, "no longer deleted") in [(t.id, why) for t, why in report.skipped]
    assert world.has_artifacts(world.run_uri(world.old_run))


def test_shared_artifact_locations_are_not_deleted() -> None:
    rid = "a" * 32
    run = PurgeTarget("run", rid, "1", f"s3://b/x/1/{rid}/artifacts")
    assert owned_location(run) == f"s3://b/x/1/{rid}"
    assert owned_location(PurgeTarget("run", rid, "1", "mlflow-artifacts:/1/" + rid + "/artifacts")) == \
        f"mlflow-artifacts:/1/{rid}"
    assert owned_location(PurgeTarget("run", rid, "1", "s3://b/shared")) is None
    assert owned_location(PurgeTarget("run", rid, "1", "s3://b/shared/artifacts")) is None
    assert owned_location(PurgeTarget("experiment", "7", "7", "s3://b/x/7")) == "s3://b/x/7"
    assert owned_location(PurgeTarget("experiment", "7", "7", "s3://b/team")) is None


@pytest.mark.parametrize(("text", "seconds"), [("30d", 30 * 86400), ("12h", 43200), ("1d12h", 129600),
                                                ("90m", 5400), ("2w", 1209600), ("45s", 45), ("1.5h", 5400)])
def test_parse_age(text: str, seconds: float) -> None:
    assert parse_age(text) == seconds


@pytest.mark.parametrize("text", ["", "30", "d", "30x", "-1d", "1d foo"])
def test_parse_age_refuses(text: str) -> None:
    import click

    with pytest.raises(click.BadParameter):
        parse_age(text)


def test_gc_refuses_a_tracking_server_uri() -> None:
    result = CliRunner().invoke(cli, ["gc", "--backend-store-uri", "http://127.0.0.1:1", "--dry-run"])
    assert result.exit_code != 0


def test_environment_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("MLFLOW_BACKEND_STORE_URI", db)
    monkeypatch.setenv("TRACKLOG_ARTIFACTS_DESTINATION", os.fspath(tmp_path / "a"))
    result = _gc("--dry-run")
    assert result.exit_code == 0 and "Nothing to remove." in result.output
    assert (tmp_path / "db.sqlite").exists()


def test_default_locations_match_the_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklog.cli.gc import default_locations
    from tracklog.server.settings import Settings

    monkeypatch.chdir(tmp_path)
    for backend, destination in ((None, None), ("sqlite:///x.db", "rel/dir"), (None, "s3://b/p")):
        settings = Settings(backend_store_uri=backend, artifacts_destination=destination).resolved()
        assert default_locations(backend, destination) == (settings.backend_store_uri,
                                                            settings.artifacts_destination)
