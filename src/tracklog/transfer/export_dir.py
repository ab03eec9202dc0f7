"""Reading a tracklog export directory (see ``export_format``) as a ``Source``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from tracklog.artifacts.base import ArtifactRepository
from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.entities import Experiment, LoggedModel, Metric, Run
from tracklog.transfer.export_format import (
    ARTIFACTS_DIR,
    EXPERIMENTS_FILE,
    METRICS_DIR,
    MODELS_FILE,
    RUNS_FILE,
    read_jsonl,
    read_manifest,
)

__all__ = ["ExportDirSource"]


class ExportDirSource:
    """A ``Source`` over an export directory; the manifest is checked on open."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.manifest = read_manifest(self.folder)
        self.label = f"tracklog-export:{self.folder.resolve()}"
        self._runs: dict[str, list[Run]] = defaultdict(list)
        for record in read_jsonl(self.folder / RUNS_FILE):
            run = Run.from_dict(record)
            self._runs[run.info.experiment_id].append(run)
        self._models: dict[str, list[LoggedModel]] = defaultdict(list)
        for record in read_jsonl(self.folder / MODELS_FILE):
            model = LoggedModel.from_dict(record)
            self._models[model.experiment_id].append(model)

    def experiments(self) -> list[Experiment]:
        return [Experiment.from_dict(r) for r in read_jsonl(self.folder / EXPERIMENTS_FILE)]

    def runs(self, experiment_id: str) -> list[Run]:
        return list(self._runs.get(experiment_id, []))

    def metric_history(self, run: Run) -> Iterator[Metric]:
        for record in read_jsonl(self.folder / METRICS_DIR / f"{run.info.run_id}.jsonl"):
            yield Metric.from_dict(record)

    def logged_models(self, experiment_id: str) -> list[LoggedModel]:
        return list(self._models.get(experiment_id, []))

    def _tree(self, kind: str, ident: str) -> ArtifactRepository | None:
        path = self.folder / ARTIFACTS_DIR / kind / ident
        return LocalArtifactRepository(str(path)) if path.is_dir() else None

    def run_artifacts(self, run: Run) -> ArtifactRepository | None:
        return self._tree("runs", run.info.run_id)

    def model_artifacts(self, model: LoggedModel) -> ArtifactRepository | None:
        return self._tree("models", model.model_id)

    def close(self) -> None:
        return None
