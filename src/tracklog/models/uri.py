"""Model URIs: ``runs:/<run_id>/<name>``, ``models:/<model_id>``, local paths, artifact URIs.

    runs:/<run_id>/<name>   the logged model named <name> whose source run is <run_id>
                            (found with search_logged_models); falls back to the
                            run's artifacts at <name> for models logged before 3.x
    models:/m-<id>          the logged model with that id
    /path or file:///path   a directory written by save_model
    s3://..., mlflow-artifacts:/...   any artifact URI the artifact registry knows

Registered-model URIs (``models:/<name>/<version>``, ``models:/<name>@alias``) need
the model registry, which tracklog does not provide.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from tracklog.entities import LoggedModel, LoggedModelStatus
from tracklog.exceptions import InvalidArgument, NotFound

if TYPE_CHECKING:
    from tracklog.client.tracking import TrackingClient

__all__ = ["ResolvedModel", "find_run_model", "parse_runs_uri", "resolve_model"]


@dataclass(frozen=True)
class ResolvedModel:
    """A model downloaded to ``local_dir``; ``logged_model`` is its tracking-store record, if any."""

    uri: str
    local_dir: Path
    logged_model: LoggedModel | None = None

    def tag(self, key: str) -> str | None:
        if self.logged_model is None:
            return None
        return self.logged_model.tags.get(key)


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """(run_id, path) of ``runs:/<run_id>/<path>``."""
    rest = uri[len("runs:") :].lstrip("/")
    run_id, _, path = rest.partition("/")
    if not run_id or not path.strip("/"):
        raise InvalidArgument(f"Invalid model URI {uri!r}: expected runs:/<run_id>/<model name>")
    return run_id, path.strip("/")


def _client(tracking_uri: str | None) -> TrackingClient:
    from tracklog.client.tracking import TrackingClient

    return TrackingClient(tracking_uri)


def find_run_model(client: TrackingClient, run_id: str, name: str) -> LoggedModel | None:
    """The newest logged model called ``name`` whose source run is ``run_id`` (READY ones first)."""
    if "'" in name:
        return None
    run = client.get_run(run_id)
    found: list[LoggedModel] = []
    token: str | None = None
    while True:
        page = client.store.search_logged_models(
            [run.info.experiment_id], f"name = '{name}'", max_results=50, page_token=token
        )
        found.extend(m for m in page if m.source_run_id == run_id)
        token = page.token
        if not token:
            break
    if not found:
        return None
    found.sort(key=lambda m: (m.status == LoggedModelStatus.READY, m.creation_timestamp_ms))
    return found[-1]


def _download(artifact_uri: str, tracking_uri: str, dst: str) -> Path:
    from tracklog.artifacts.registry import get_repository

    repo = get_repository(artifact_uri, tracking_uri=tracking_uri)
    return Path(repo.download_artifacts("", dst))


def resolve_model(
    model_uri: str | os.PathLike[str], dst_path: str | None = None, tracking_uri: str | None = None
) -> ResolvedModel:
    """Download (or locate) the model behind ``model_uri``."""
    uri = os.fspath(model_uri)
    if uri.startswith("runs:"):
        return _resolve_run(uri, dst_path, tracking_uri)
    if uri.startswith("models:"):
        return _resolve_models(uri, dst_path, tracking_uri)
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file") or (len(parsed.scheme) == 1 and os.name == "nt"):
        local = Path(unquote(parsed.path) if parsed.scheme == "file" else uri)
        if not local.exists():
            raise NotFound(f"No model at {local}")
        return ResolvedModel(uri, local)
    client = _client(tracking_uri)
    return ResolvedModel(uri, _download(uri, client.tracking_uri, _dst(dst_path)))


def _dst(dst_path: str | None) -> str:
    if dst_path is None:
        return tempfile.mkdtemp(prefix="tracklog-model-")
    os.makedirs(dst_path, exist_ok=True)
    return dst_path


def _resolve_run(uri: str, dst_path: str | None, tracking_uri: str | None) -> ResolvedModel:
    run_id, name = parse_runs_uri(uri)
    client = _client(tracking_uri)
    model = find_run_model(client, run_id, name)
    if model is not None:
        return ResolvedModel(uri, _download(model.artifact_uri, client.tracking_uri, _dst(dst_path)), model)
    # models logged before MLflow 3 live under the run's own artifacts
    local = client.download_artifacts(run_id, name, _dst(dst_path))
    return ResolvedModel(uri, Path(local))


def _resolve_models(uri: str, dst_path: str | None, tracking_uri: str | None) -> ResolvedModel:
    rest = uri[len("models:") :].lstrip("/")
    if not rest.startswith("m-") or "/" in rest.strip("/"):
        raise InvalidArgument(
            f"Unsupported model URI {uri!r}: tracklog resolves models:/<model_id> (an 'm-...' id) and "
            "runs:/<run_id>/<name>; registered-model URIs (models:/<name>/<version>) need a model registry."
        )
    client = _client(tracking_uri)
    model = client.store.get_logged_model(rest.strip("/"))
    return ResolvedModel(uri, _download(model.artifact_uri, client.tracking_uri, _dst(dst_path)), model)
