"""The DataFrame layout of search_runs."""

from __future__ import annotations

import math

from tracklog.client._frames import BASE_COLUMNS, runs_to_frame
from tracklog.entities import Metric, Param, Run, RunData, RunInfo, RunStatus, RunTag


def test_empty_frame_has_the_base_columns() -> None:
    frame = runs_to_frame([])
    assert list(frame.columns) == list(BASE_COLUMNS)
    assert frame.empty


def test_columns_values_and_types() -> None:
    running = Run(RunInfo("a", "1", "x", "u", RunStatus.RUNNING, 1_700_000_000_000, None, "/art/a"))
    done = Run(
        RunInfo("b", "1", "y", "u", RunStatus.FINISHED, 1_700_000_000_000, 1_700_000_060_000, "/art/b"),
        RunData(metrics=(Metric("rmse", 0.5, 1),), params=(Param("k", "v"),), tags=(RunTag("t", "1"),)),
    )
    frame = runs_to_frame([running, done])
    assert list(frame.columns) == [*BASE_COLUMNS, "metrics.rmse", "params.k", "tags.t"]
    assert frame["status"].tolist() == ["RUNNING", "FINISHED"]
    assert str(frame["start_time"].dt.tz) == "UTC"
    assert frame["end_time"].isna().tolist() == [True, False]
    assert (frame["end_time"][1] - frame["start_time"][1]).total_seconds() == 60
    assert math.isnan(frame["metrics.rmse"][0]) and frame["metrics.rmse"][1] == 0.5
    assert frame["params.k"].isna().tolist() == [True, False] and frame["params.k"][1] == "v"
