"""Runs as a pandas DataFrame, in the column layout of ``mlflow.search_runs``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tracklog.entities import Run

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BASE_COLUMNS", "runs_to_frame"]

BASE_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def runs_to_frame(runs: Sequence[Run]) -> pd.DataFrame:
    """One row per run: the base columns, then ``metrics.*``, ``params.*``, ``tags.*`` (sorted).

    Times are timezone-aware (UTC) datetimes; a missing metric is NaN, a missing
    param or tag is None."""
    import pandas as pd

    metric_keys = sorted({m.key for r in runs for m in r.data.metric_list})
    param_keys = sorted({p.key for r in runs for p in r.data.param_list})
    tag_keys = sorted({t.key for r in runs for t in r.data.tag_list})
    columns: dict[str, list[Any]] = {name: [] for name in BASE_COLUMNS}
    for prefix, keys in (("metrics.", metric_keys), ("params.", param_keys), ("tags.", tag_keys)):
        for key in keys:
            columns[prefix + key] = []
    for run in runs:
        info = run.info
        columns["run_id"].append(info.run_id)
        columns["experiment_id"].append(info.experiment_id)
        columns["status"].append(info.status.value)
        columns["artifact_uri"].append(info.artifact_uri)
        columns["start_time"].append(info.start_time)
        columns["end_time"].append(info.end_time)
        metrics, params, tags = run.data.metrics_dict, run.data.params_dict, run.data.tags_dict
        for key in metric_keys:
            columns["metrics." + key].append(metrics.get(key, float("nan")))
        for key in param_keys:
            columns["params." + key].append(params.get(key))
        for key in tag_keys:
            columns["tags." + key].append(tags.get(key))
    frame = pd.DataFrame(columns)
    for name in ("start_time", "end_time"):
        frame[name] = pd.to_datetime(pd.Series(columns[name], dtype="float64"), unit="ms", utc=True)
    for key in metric_keys:
        frame["metrics." + key] = frame["metrics." + key].astype("float64")
    return frame
