"""Browser walk-through of the web UI against a real tracklog server (see conftest.py)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from tests.e2e.conftest import XSS_NAME, PageProbe, Seeded

# one xdist worker runs them all (one server, one browser) under `--dist loadgroup`
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e-browser")]


def runs_url(server: Seeded, *exp_names: str, extra: str = "") -> str:
    ids = ",".join(server.experiments[n] for n in exp_names)
    return f"/#/runs?e={ids}{extra}"


def test_tree_to_runs_table_to_run_page(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    page.goto("/")
    tree = page.get_by_role("tree", name="Experiments")
    # folders from "/"-separated names
    tree.get_by_text("proj", exact=True).wait_for()
    tree.get_by_text("feat", exact=True).wait_for()
    probe.shot("01-home-tree")
    # search box filters the tree
    page.get_by_label("Search experiments").fill("obj2")
    assert tree.get_by_text("other", exact=True).count() == 0
    page.get_by_label("Search experiments").fill("")
    tree.get_by_text("obj", exact=True).click()
    grid = page.get_by_role("grid", name="Runs")
    grid.get_by_text("parent-sweep").wait_for()
    # the XSS run name is shown as text
    grid.get_by_text(XSS_NAME, exact=True).wait_for()
    # nested runs: children hidden until the parent is expanded
    assert grid.get_by_text("child-a").count() == 0
    grid.get_by_role("button", name=re.compile("Expand 2 child runs")).click()
    grid.get_by_text("child-a").wait_for()
    probe.shot("02-runs-table")
    grid.get_by_text("parent-sweep").click()
    page.get_by_test_id("run-name").filter(has_text="parent-sweep").wait_for()
    page.get_by_role("table", name="Parameters").get_by_text("lr").wait_for()
    page.get_by_role("table", name="Run overview").get_by_text("0123456789abcdef").wait_for()
    page.get_by_role("table", name="Run overview").get_by_text("child-a").wait_for()
    page.get_by_role("table", name="Datasets").get_by_text("train-set").wait_for()
    page.get_by_role("table", name="Datasets").get_by_text("training").wait_for()
    page.get_by_role("table", name="Logged models").get_by_text("sweep-model").wait_for()
    probe.shot("03-run-page")


def test_xss_run_name_and_note_render_as_text(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    page.goto(f"/#/runs/{server.runs[XSS_NAME]}")
    page.get_by_test_id("run-name").filter(has_text=XSS_NAME).wait_for()
    note = page.get_by_test_id("run-description")
    note.locator("strong").filter(has_text="bold").wait_for()
    # raw HTML in markdown stays text; no <img onerror>, no javascript: link
    assert note.locator("img").count() == 0
    assert "<img src=x onerror=alert(2)>" in note.inner_text()
    assert page.locator("a[href^='javascript:']").count() == 0
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0
    page.get_by_role("table", name="Tags").get_by_text(XSS_NAME).first.wait_for()
    probe.shot("04-xss-run")


def test_artifact_previews(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    page.goto(f"/#/runs/{server.runs['parent-sweep']}?tab=artifacts")
    tree = page.get_by_role("tree", name="Artifacts")
    tree.get_by_text("plots", exact=True).click()
    tree.get_by_text("curve.png", exact=True).click()
    img = page.get_by_test_id("artifact-preview").locator("img.tl-image")
    img.wait_for()
    assert img.get_attribute("src").startswith("blob:")
    page.wait_for_function("() => document.querySelector('img.tl-image')?.naturalWidth === 48")
    probe.shot("05-artifact-image")

    tree.get_by_text("fake.png", exact=True).click()  # HTML bytes named .png: an (undecodable) image, never a page
    fake = page.get_by_test_id("artifact-preview").locator("img.tl-image")
    fake.wait_for()
    assert page.evaluate("document.querySelector('img.tl-image').naturalWidth") == 0
    assert page.locator("iframe").count() == 0

    tree.get_by_text("table.csv", exact=True).click()
    csv = page.get_by_role("table", name="CSV preview")
    csv.get_by_text("row, 39").wait_for()
    assert csv.locator("tbody tr").count() == 40
    probe.shot("06-artifact-csv")

    tree.get_by_text("config.json", exact=True).click()
    page.locator("pre.tl-code").filter(has_text='"layers": [').wait_for()

    tree.get_by_text("big.png", exact=True).click()
    page.get_by_test_id("artifact-preview").get_by_text("Too large to preview").wait_for()
    assert page.get_by_test_id("artifact-preview").locator("img").count() == 0

    with page.expect_request(lambda r: "get-artifact" in r.url and "long.log" in r.url) as req:
        tree.get_by_text("long.log", exact=True).click()
    assert req.value.headers.get("range") == "bytes=0-1048576"
    page.get_by_test_id("artifact-preview").get_by_text("Showing the first 1 MB only").wait_for()

    tree.get_by_text("report.html", exact=True).click()
    frame = page.locator("iframe.tl-sandbox")
    frame.wait_for()
    assert frame.get_attribute("sandbox") == ""
    assert frame.get_attribute("src").startswith("blob:")
    page.frame_locator("iframe.tl-sandbox").locator("#evil").wait_for()
    page.wait_for_timeout(300)
    assert page.title() != "pwned"
    probe.shot("07-artifact-html-sandboxed")


def test_charts_drawn_on_run_page_and_for_selection(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    page.goto(f"/#/runs/{server.runs['parent-sweep']}?tab=charts")
    panel = page.locator("[data-metric='loss']")
    panel.locator("canvas").wait_for()
    # drag to zoom: the panel re-fetches that step range
    box = panel.locator(".u-over").bounding_box()
    with page.expect_request(lambda r: "get-history-sampled" in r.url and "min_step=" in r.url):
        page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
    panel.get_by_role("button", name="Reset zoom").click()
    page.get_by_label("Smoothing").fill("0.8")
    page.get_by_text("log scale").click()
    panel.locator("canvas").wait_for()
    # metrics named "<section>/<name>" are grouped into collapsible sections
    section = page.get_by_role("region", name="Metrics val/")
    section.locator("[data-metric='val/loss'] canvas").wait_for()
    section.locator("button.tl-section-toggle").click()
    assert section.locator("[data-metric='val/loss']").count() == 0
    probe.shot("08-run-charts")

    sel = ",".join(server.runs[n] for n in ("parent-sweep", "child-a", "other-exp-run"))
    page.goto(runs_url(server, "proj/feat/obj", "proj/feat/obj2", extra=f"&s={sel}&v=charts"))
    loss = page.locator("[data-metric='loss']")
    loss.locator("canvas").wait_for()
    legend = loss.locator(".u-legend")
    for name in ("parent-sweep", "child-a", "other-exp-run"):
        legend.get_by_text(name).wait_for()
    probe.shot("09-selection-charts")


def test_select_runs_and_compare(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    page.goto(runs_url(server, "proj/feat/obj", "proj/feat/obj2"))
    grid = page.get_by_role("grid", name="Runs")
    grid.get_by_text("other-exp-run").wait_for()  # runs of both experiments
    grid.get_by_label("Select run parent-sweep").check()
    grid.get_by_label("Select run other-exp-run").check()
    assert re.search(r"[?&]s=[0-9a-f]+(%2C|,)[0-9a-f]+", page.url)  # selection is in the URL
    page.get_by_role("tab", name=re.compile("Compare")).click()
    table = page.get_by_role("table", name="Run comparison")
    table.get_by_text("lr").wait_for()
    # optimizer is the same in both runs: hidden while "only differences" is on
    assert table.get_by_text("optimizer").count() == 0
    page.get_by_label("only differences").uncheck()
    table.get_by_text("optimizer").wait_for()
    page.locator(".tl-chart-card canvas").first.wait_for()  # the scatter
    probe.shot("10-compare")
    # the shared URL restores the same view
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    page.get_by_role("table", name="Run comparison").get_by_text("lr").wait_for()


def test_filter_valid_and_invalid(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    page.goto(runs_url(server, "proj/feat/obj"))
    grid = page.get_by_role("grid", name="Runs")
    grid.get_by_text("parent-sweep").wait_for()
    box = page.get_by_label("Filter runs")
    box.fill("params.lr = '0.3'")
    box.press("Escape")
    box.press("Enter")
    grid.get_by_text(XSS_NAME).wait_for()
    page.wait_for_function("() => !document.body.innerText.includes('parent-sweep')")
    assert "q=params.lr" in page.url
    # autocomplete offers keys seen in the runs
    box.fill("metrics.lo")
    page.get_by_role("option", name="metrics.loss").wait_for()
    box.press("Escape")
    probe.allow_http_error(400)
    box.fill("params.lr = 0.3")  # unquoted string value: rejected by the server
    box.press("Enter")
    err = page.get_by_test_id("filter-error")
    err.wait_for()
    assert err.inner_text().strip()
    probe.shot("11-filter-error")


def test_keyboard_navigation_opens_run(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    # the experiment tree: Default, proj, feat, obj, ... -> three steps down, Enter opens "obj"
    page.goto("/")
    tree = page.get_by_role("tree", name="Experiments")
    tree.get_by_text("obj", exact=True).wait_for()
    tree.focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.get_by_role("grid", name="Runs").get_by_text("parent-sweep").wait_for()
    assert f"e={server.experiments['proj/feat/obj']}" in page.url
    page.goto(runs_url(server, "proj/feat/obj", extra="&o=attributes.run_name+DESC"))
    grid = page.get_by_role("grid", name="Runs")
    grid.get_by_text("parent-sweep").wait_for()  # first row when sorted by name, descending
    grid.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.locator(".tl-grid-row.active").get_attribute("id") == "run-row-2"
    page.keyboard.press("Home")
    page.keyboard.press("Enter")
    page.get_by_test_id("run-name").filter(has_text="parent-sweep").wait_for()


def test_edit_tags(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    page.goto(f"/#/runs/{server.runs['child-b']}")
    tags = page.get_by_role("table", name="Tags")
    tags.get_by_text("vision").wait_for()
    page.get_by_label("New tag key").fill("stage")
    page.get_by_label("New tag value").fill("<b>prod</b>")
    page.get_by_role("button", name="Add tag").click()
    tags.get_by_text("<b>prod</b>").wait_for()
    page.get_by_role("button", name="Delete tag stage").click()
    page.wait_for_function("() => !document.body.innerText.includes('<b>prod</b>')")


def test_create_rename_delete_experiment(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    page.goto("/")
    tree = page.get_by_role("tree", name="Experiments")
    tree.get_by_text("proj", exact=True).wait_for()
    page.get_by_role("button", name="+ New").click()
    dialog = page.get_by_role("dialog", name="New experiment")
    dialog.get_by_role("textbox").fill("lab/e2e/created")
    dialog.get_by_role("button", name="Create").click()
    tree.get_by_text("created", exact=True).wait_for()
    # duplicate names are refused with the server's message
    probe.allow_http_error(400)
    page.get_by_role("button", name="+ New").click()
    dialog.get_by_role("textbox").fill("lab/e2e/created")
    dialog.get_by_role("button", name="Create").click()
    dialog.locator(".tl-field-error").wait_for()
    dialog.get_by_role("button", name="Cancel").click()

    tree.get_by_text("created", exact=True).hover()
    tree.get_by_role("button", name="Rename lab/e2e/created").click()
    rename = page.get_by_role("dialog")
    rename.get_by_role("textbox").fill("lab/e2e/renamed")
    rename.get_by_role("button", name="Rename").click()
    tree.get_by_text("renamed", exact=True).wait_for()
    tree.get_by_text("renamed", exact=True).hover()
    tree.get_by_role("button", name="Delete lab/e2e/renamed").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    page.wait_for_function("() => !document.body.innerText.includes('renamed')")
    probe.shot("12-experiments-crud")


def test_dark_theme_toggle(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    page.goto(runs_url(server, "proj/feat/obj"))
    page.get_by_role("grid", name="Runs").get_by_text("parent-sweep").wait_for()
    page.get_by_role("button", name="Toggle dark theme").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    probe.shot("13-dark-theme")


def test_url_quoting_roundtrip(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    flt = quote("attributes.run_name LIKE 'child%'", safe="")
    page.goto(runs_url(server, "proj/feat/obj", extra=f"&q={flt}"))
    grid = page.get_by_role("grid", name="Runs")
    grid.get_by_text("child-a").wait_for()
    assert page.get_by_label("Filter runs").input_value() == "attributes.run_name LIKE 'child%'"


def test_live_refresh_while_running(probe: PageProbe, server: Seeded) -> None:
    page = probe.page
    page.goto(f"/#/runs/{server.runs['live-run']}?tab=charts")
    page.locator("[data-metric='loss'] canvas").wait_for()
    # a RUNNING run re-fetches its history every few seconds
    with page.expect_request(lambda r: "get-history-sampled" in r.url and "metric_key=loss" in r.url,
                             timeout=12_000):
        pass
    assert page.get_by_label("live").is_checked()


def test_static_prefix(probe: PageProbe, prefixed_server: str) -> None:
    page = probe.page
    page.goto(prefixed_server)
    page.get_by_role("tree", name="Experiments").get_by_text("Default", exact=True).click()
    page.get_by_text("No runs in the selected experiments yet.").wait_for()
    assert page.url.startswith(prefixed_server + "#/runs?e=0")
    probe.shot("14-static-prefix")
