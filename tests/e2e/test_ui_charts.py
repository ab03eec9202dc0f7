"""Charts in the browser: group bands, x-axis modes, PNG/CSV export, parallel coordinates (see conftest.py)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from tests.e2e.conftest import PageProbe, Seeded

# the same worker, server and browser as test_ui.py
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e-browser")]

FIVE = ("parent-sweep", "child-a", "child-b", "live-run", "other-exp-run")


def _charts_url(server: Seeded, extra: str = "") -> str:
    ids = ",".join(server.experiments[n] for n in ("proj/feat/obj", "proj/feat/obj2"))
    sel = ",".join(server.runs[n] for n in FIVE)
    return f"/#/runs?e={ids}&s={sel}&v=charts{extra}"


def test_grouped_chart_draws_one_band_per_group(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    page.goto(_charts_url(server))
    loss = page.locator("[data-metric='loss']")
    loss.locator("canvas").wait_for()
    page.get_by_label("Group runs by").select_option("params.lr")
    assert "g=params.lr" in page.url
    # five runs with five lr values: five groups, each a mean line with its band
    page.locator("[data-metric='loss'][data-bands='5']").wait_for()
    legend = loss.locator(".u-legend")
    legend.get_by_text(re.compile(r"^0\.05 \(1 run\)$")).wait_for()
    # group by a tag all of them share: one group of five
    page.get_by_label("Group runs by").select_option("tags.team")
    page.locator("[data-metric='loss'][data-bands='1']").wait_for()
    legend.get_by_text("vision (5 runs)", exact=True).wait_for()
    page.get_by_label("Group band").select_option("minmax")
    page.locator("[data-metric='loss'][data-bands='1'] canvas").wait_for()
    probe.shot("20-grouped-band")
    # the table shows the groups as well, each as a header row that collapses its runs
    page.get_by_role("tab", name="Table").click()
    page.get_by_test_id("group-summary").get_by_text("1 group by tags.team:").wait_for()
    header = page.locator("[role=grid] [data-group='vision']")
    header.wait_for()
    assert page.locator("[role=grid] [data-run-id]").count() > 0
    page.get_by_role("button", name="Collapse group vision").click()
    page.get_by_role("button", name="Expand group vision").wait_for()
    assert page.locator("[role=grid] [data-run-id]").count() == 0
    probe.shot("20b-grouped-table-collapsed")
    page.get_by_role("button", name="Expand group vision").click()
    page.locator("[role=grid] [data-run-id]").first.wait_for()


def test_x_axis_modes(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    page.goto(_charts_url(server))
    loss = page.locator("[data-metric='loss'][data-drawn='yes']")
    loss.locator("canvas").wait_for()
    axis = page.get_by_label("x-axis", exact=True)
    for mode in ("relative", "wall"):
        axis.select_option(mode)
        page.locator(f"[data-metric='loss'][data-drawn='yes'][data-x='{mode}'] canvas").wait_for()
    with page.expect_request(lambda r: "get-history-sampled" in r.url and "metric_key=acc" in r.url):
        axis.select_option("metric:acc")
    page.locator("[data-metric='loss'][data-drawn='yes'][data-x='metric:acc'] canvas").wait_for()
    probe.shot("21-x-axis-metric")


def test_export_png_and_csv(probe: PageProbe, server: Seeded, tmp_path: Path) -> None:
    page = probe.page
    page.goto(f"/#/runs/{server.runs['parent-sweep']}?tab=charts")
    loss = page.locator("[data-metric='loss'][data-drawn='yes']")
    loss.locator("canvas").wait_for()
    with page.expect_download() as png:
        loss.get_by_role("button", name="Download loss as PNG").click()
    assert png.value.suggested_filename == "loss.png"
    png_path = tmp_path / "loss.png"
    png.value.save_as(png_path)
    data = png_path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    with page.expect_download() as csv:
        loss.get_by_role("button", name="Download loss data as CSV").click()
    assert csv.value.suggested_filename == "loss.csv"
    csv_path = tmp_path / "loss.csv"
    csv.value.save_as(csv_path)
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "run_id,run_name,step,step,loss,bucket min,bucket max"
    assert len(lines) == 61  # 60 steps, exact (no bucket merged)
    assert lines[1].startswith(f"{server.runs['parent-sweep']},parent-sweep,0,0,2,")


def test_parallel_coordinates_for_selected_runs(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    ids = ",".join(server.experiments[n] for n in ("proj/feat/obj", "proj/feat/obj2"))
    sel = ",".join(server.runs[n] for n in ("parent-sweep", "child-a", "other-exp-run"))
    page.goto(f"/#/runs?e={ids}&s={sel}&v=compare")
    plot = page.get_by_role("img", name="Parallel coordinates")
    plot.wait_for()
    lines = plot.locator("path[data-run]")
    assert lines.count() == 3
    for rid in sel.split(","):
        d = plot.locator(f"path[data-run='{rid}']").get_attribute("d") or ""
        assert d.startswith("M") and "L" in d
    assert plot.locator("[data-axis='params.lr']").count() == 1
    assert plot.locator("[data-axis='metrics.loss']").count() == 1
    # turning an axis off removes it
    page.get_by_label("Axis params.lr").uncheck()
    assert plot.locator("[data-axis='params.lr']").count() == 0
    probe.shot("22-parallel-coordinates")


def test_nan_and_inf_are_marked(probe: PageProbe, server: Seeded) -> None:
    """A grad_norm with a NaN at step 3 and +inf at step 7: marks at the plot's edges."""
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    run_id = server.runs["child-a"]
    MlflowClient(tracking_uri=server.url).log_batch(run_id, metrics=[
        Metric("grad_norm", math.nan if i == 3 else math.inf if i == 7 else 1.0 / (1 + i), 1000 + i, i)
        for i in range(10)])
    page = probe.page
    page.goto(f"/#/runs/{server.runs['child-a']}?tab=charts")
    panel = page.locator("[data-metric='grad_norm'][data-drawn='yes'][data-markers='2']")
    panel.locator("canvas").wait_for()
    panel.get_by_text("NaN in 1 bucket (× at the bottom) · +inf in 1 bucket (▲ at the top)").wait_for()
    probe.shot("23-nan-inf-markers")
