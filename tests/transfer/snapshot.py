"""A comparable picture of everything a source holds, with ids replaced by names."""

from __future__ import annotations

import hashlib
from typing import Any

from tracklog.transfer.artifact_copy import walk_files
from tracklog.transfer.base import PARENT_RUN_TAG, Source

IMPORT_PREFIX = "tracklog.import."


def _plain(pairs: Any) -> dict[str, str]:
    items = pairs.items() if isinstance(pairs, dict) else ((t.key, t.value) for t in pairs)
    return {k: v for k, v in items if not k.startswith(IMPORT_PREFIX)}


def _files(repo: Any) -> dict[str, str]:
    if repo is None:
        return {}
    out = {}
    for info in walk_files(repo):
        with repo.open_read(info.path) as handle:
            out[info.path] = hashlib.sha256(handle.read()).hexdigest()
    return out


def snapshot(source: Source, *, artifacts: bool = True) -> dict[str, Any]:
    picture: dict[str, Any] = {}
    for exp in source.experiments():
        runs = source.runs(exp.experiment_id)
        names = {r.info.run_id: r.info.run_name for r in runs}
        models = source.logged_models(exp.experiment_id)
        model_names = {m.model_id: m.name for m in models}
        run_pics = {}
        for run in runs:
            tags = _plain(run.data.tags)
            if PARENT_RUN_TAG in tags:
                tags[PARENT_RUN_TAG] = "parent:" + names.get(tags[PARENT_RUN_TAG], "?")
            history: dict[str, list[tuple[int, int, str]]] = {}
            for m in source.metric_history(run):
                history.setdefault(m.key, []).append((m.step, m.timestamp, repr(m.value)))
            run_pics[run.info.run_name] = {
                "status": run.info.status.value, "start": run.info.start_time, "end": run.info.end_time,
                "user": run.info.user_id, "lifecycle": run.info.lifecycle_stage.value,
                "params": _plain(run.data.params), "tags": tags,
                "metrics": {k: sorted(v) for k, v in history.items()},
                "datasets": sorted(
                    (repr(sorted(d.dataset.to_dict().items())), repr(sorted(_plain(d.tags).items())))
                    for d in run.inputs.dataset_inputs
                ),
                "outputs": sorted((model_names.get(o.model_id, "?"), o.step) for o in run.outputs.model_outputs),
                "artifacts": _files(source.run_artifacts(run)) if artifacts else {},
            }
        model_pics = {
            m.name: {
                "status": m.status.value, "type": m.model_type or None, "run": names.get(m.source_run_id or "", "?"),
                "params": _plain(m.params), "tags": _plain(m.tags),
                "metrics": sorted((x.key, x.step, x.timestamp, repr(x.value)) for x in m.metrics),
                "artifacts": _files(source.model_artifacts(m)) if artifacts else {},
            }
            for m in models
        }
        picture[exp.name] = {
            "lifecycle": exp.lifecycle_stage.value, "tags": _plain(exp.tags), "runs": run_pics, "models": model_pics,
        }
    return picture
