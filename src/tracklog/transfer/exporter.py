"""Writing a ``Source`` (usually a tracklog store) into the export format of ``export_format``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.entities import Metric, Run, RunData
from tracklog.exceptions import InvalidArgument
from tracklog.transfer.artifact_copy import ArtifactCopier
from tracklog.transfer.base import Source, select_experiments
from tracklog.transfer.export_format import (
    ARTIFACTS_DIR,
    EXPERIMENTS_FILE,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST_FILE,
    METRICS_DIR,
    MODELS_FILE,
    RUNS_FILE,
    write_json_line,
)
from tracklog.transfer.report import Progress, Summary

__all__ = ["export_to_dir"]


def _run_record(run: Run) -> dict[str, Any]:
    """The run without its latest metrics (the full history goes to metrics/<run_id>.jsonl)."""
    slim = Run(run.info, RunData(params=run.data.param_list, tags=run.data.tag_list), run.inputs, run.outputs)
    return slim.to_dict()


def export_to_dir(
    source: Source,
    target_dir: str | Path,
    experiments: tuple[str, ...] | list[str] = (),
    *,
    artifacts: bool = True,
    workers: int = 8,
    progress: bool = False,
) -> Summary:
    """Export ``source`` into ``target_dir`` (created; it must be empty if it exists)."""
    folder = Path(target_dir)
    if folder.exists() and any(folder.iterdir()):
        raise InvalidArgument(f"{folder} is not empty; export into a new folder")
    (folder / METRICS_DIR).mkdir(parents=True, exist_ok=True)
    summary = Summary()
    started = time.monotonic()
    bars = Progress(progress)
    copier = ArtifactCopier(workers, on_file=lambda _n: bars.advance("artifacts"),
                            on_listed=lambda n: bars.grow("artifacts", n))
    try:
        with bars, (folder / EXPERIMENTS_FILE).open("w", encoding="utf-8") as exp_out, \
                (folder / RUNS_FILE).open("w", encoding="utf-8") as run_out, \
                (folder / MODELS_FILE).open("w", encoding="utf-8") as model_out:
            chosen = select_experiments(source.experiments(), experiments)
            bars.grow("experiments", len(chosen))
            for experiment in chosen:
                write_json_line(exp_out, experiment.to_dict())
                summary.add("experiments")
                runs = source.runs(experiment.experiment_id)
                bars.grow("runs", len(runs))
                for run in runs:
                    write_json_line(run_out, _run_record(run))
                    points = _write_metrics(source, run, folder / METRICS_DIR / f"{run.info.run_id}.jsonl")
                    summary.add("metric points", points)
                    bars.grow("metrics", points)
                    bars.advance("metrics", points)
                    repo = source.run_artifacts(run) if artifacts else None
                    if repo is not None:
                        dst = LocalArtifactRepository(str(folder / ARTIFACTS_DIR / "runs" / run.info.run_id))
                        summary.add("artifact files", copier.copy_tree(repo, dst).copied)
                    summary.add("runs")
                    bars.advance("runs")
                for model in source.logged_models(experiment.experiment_id):
                    write_json_line(model_out, model.to_dict())
                    repo = source.model_artifacts(model) if artifacts else None
                    if repo is not None:
                        dst = LocalArtifactRepository(str(folder / ARTIFACTS_DIR / "models" / model.model_id))
                        summary.add("artifact files", copier.copy_tree(repo, dst).copied)
                    summary.add("logged models")
                bars.advance("experiments")
    finally:
        copier.close()
    summary.seconds = time.monotonic() - started
    manifest = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "created_at": int(time.time() * 1000),
        "source": source.label,
        "counts": dict(summary.copied),
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return summary


def _write_metrics(source: Source, run: Run, path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for point in source.metric_history(run):
            write_json_line(out, Metric(point.key, point.value, point.timestamp, point.step).to_dict())
            count += 1
    return count
