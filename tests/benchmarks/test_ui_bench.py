"""The UI benchmark's seeding (no browser): the data it times is what the UI will chart."""

from __future__ import annotations

import sys
from pathlib import Path

from tracklog.store.sql.engine import dispose_engine
from tracklog.store.sql.store import SqlStore

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the harness lives at the repository root, outside src/
    sys.path.insert(0, str(ROOT))

from benchmarks.ui_bench import Scale, UiResults, seed  # noqa: E402


def test_seed_fills_both_experiments(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'ui.db'}"
    scale = Scale(runs=30, params=3, metrics=2, tags=2, chart_runs=2, chart_points=500, repeat=1)
    exp_a, exp_b, chart_ids = seed(uri, (tmp_path / "a").as_uri(), scale)
    store = SqlStore(uri, (tmp_path / "a").as_uri())
    try:
        runs = store.search_runs([exp_a], max_results=100)
        assert len(runs) == 30
        run = runs[0]
        assert len(run.data.param_list) == 3 and len(run.data.metric_list) == 2
        assert run.info.run_name.startswith("runA-")
        series = store.get_metric_history_sampled(chart_ids, "loss", 50)
        assert [s.total for s in series] == [500, 500]
        assert all(max(p.max for p in s.points) == 5.0 for s in series)  # the spike survives sampling
        assert len(store.search_runs([exp_b])) == 2
    finally:
        store.close()
        dispose_engine(uri)
    summary = UiResults(scale={}, chart_warm_s=[2.0, 1.0, 3.0]).summary()
    assert summary["chart_warm_s"]["median"] == 2.0 and summary["table_first_row_s"]["median"] is None
