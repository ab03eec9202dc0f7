"""``python -m benchmarks ui``: how fast tracklog's web UI paints, measured in Debian's Chromium.

A throw-away SQLite store is filled directly through tracklog's SQL schema (fast: no HTTP):

* experiment A: 10,000 FINISHED runs, each with 10 params, 5 metrics (one point) and 5 tags;
* experiment B: 20 runs with one metric ``loss`` of 100,000 steps each (2 M points).

Then ``tracklog server`` (one worker) is started and the UI is opened in headless Chromium through
Playwright (``/usr/bin/chromium``, never ``playwright install``). Like the MLflow anchor
measurements, a ``requestAnimationFrame`` probe records the first frame (ms since navigation
start) where a condition holds:

* runs table: a row with a run name of A is visible in the viewport;
* chart: the ``loss`` panel of B has drawn all 20 selected runs (20 legend rows, canvas present).

Every repetition uses a fresh browser context (empty cache). The chart is measured *first* (the
very first view: the server scans the histories once and stores their roll-ups), *cold* (the
first view after a server restart: roll-ups read from the database) and *warm* (the next views).
Each chart measurement prints where its time went (``chart_split``: start-up until the bucketed
request is sent, the request's time to first byte and body, JSON parse + decode, building the
drawn data, uPlot's first draw, the rest until the probe's frame), read from the Resource Timing
entries and the UI's ``tracklog:chart-*`` performance marks. With
``--mlflow`` the same data set is written into a running ``mlflow server``'s database (the bench
venv's mlflow 3.17.2) and the same two pages of MLflow's own UI are timed with its selectors.
This is a benchmark that reports, not a test that can fail on timing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.servers import Server, free_port, tracklog_command

CHROMIUM = os.environ.get("TRACKLOG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1440, "height": 900}

# rAF probe: window.__probe(name, js condition) records the first frame where it holds.
PROBE = """
window.__marks = {};
window.__probe = (name, cond) => {
  const tick = (t) => {
    try { if (cond()) { window.__marks[name] = t; return; } } catch (e) {}
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
};
window.__probe("table", () => {
  for (const row of document.querySelectorAll('[role=grid] [role=row]')) {
    if (!/runA-\\d+/.test(row.textContent || "")) continue;
    const r = row.getBoundingClientRect();
    if (r.height > 0 && r.top < innerHeight && r.bottom > 0) return true;
  }
  return false;
});
window.__probe("mlflow_table", () => {
  for (const a of document.querySelectorAll('a[href*="/runs/"]')) {
    if (!/^runA-\\d+/.test((a.textContent || "").trim())) continue;
    const r = a.getBoundingClientRect();
    if (r.height > 0 && r.top < innerHeight && r.bottom > 0) return true;
  }
  return false;
});
window.__probe("mlflow_chart", () => {
  const paths = [...document.querySelectorAll(".js-plotly-plot .scatterlayer path.js-line")];
  return paths.filter((p) => (p.getAttribute("d") || "").length > 0).length >= 2 * window.__expectSeries;
});
window.__probe("chart", () => {
  const panel = document.querySelector("[data-metric='loss'][data-drawn='yes']");
  if (!panel || !panel.querySelector("canvas")) return false;
  const rows = [...panel.querySelectorAll(".u-legend .u-series")].filter((e) => e.style.display !== "none");
  return rows.length >= window.__expectSeries + 1;  // the x column + every run
});
"""


@dataclass
class Scale:
    runs: int = 10_000
    params: int = 10
    metrics: int = 5
    tags: int = 5
    chart_runs: int = 20
    chart_points: int = 100_000
    repeat: int = 3


SCALES = {
    "default": Scale(),
    "quick": Scale(runs=1000, chart_runs=5, chart_points=10_000, repeat=1),
}


@dataclass
class UiResults:
    scale: dict[str, int]
    seed_seconds: float = 0.0
    table_first_row_s: list[float] = field(default_factory=list)
    chart_first_s: list[float] = field(default_factory=list)
    chart_cold_s: list[float] = field(default_factory=list)
    chart_warm_s: list[float] = field(default_factory=list)
    sampled_request_cold_s: float | None = None
    sampled_request_warm_s: list[float] = field(default_factory=list)
    js_heap_mb: dict[str, float] = field(default_factory=dict)
    #: Where the chart's time went, per measurement ("first", "cold", "warm1"...), see chart_split.
    chart_split: dict[str, dict[str, float]] = field(default_factory=dict)
    sampled_request_first_s: float | None = None
    mlflow_table_first_row_s: list[float] = field(default_factory=list)
    mlflow_chart_s: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        def med(xs: list[float]) -> float | None:
            return round(statistics.median(xs), 3) if xs else None

        return {
            "scale": self.scale,
            "seed_seconds": round(self.seed_seconds, 1),
            "table_first_row_s": {"median": med(self.table_first_row_s),
                                  "all": [round(x, 3) for x in self.table_first_row_s]},
            "chart_first_s": [round(x, 3) for x in self.chart_first_s],
            "chart_cold_s": [round(x, 3) for x in self.chart_cold_s],
            "chart_warm_s": {"median": med(self.chart_warm_s), "all": [round(x, 3) for x in self.chart_warm_s]},
            "sampled_request_cold_s": (None if self.sampled_request_cold_s is None
                                       else round(self.sampled_request_cold_s, 3)),
            "sampled_request_first_s": (None if self.sampled_request_first_s is None
                                        else round(self.sampled_request_first_s, 3)),
            "sampled_request_warm_s": {"median": med(self.sampled_request_warm_s)},
            "chart_split": self.chart_split,
            "js_heap_mb": self.js_heap_mb,
            "mlflow_table_first_row_s": {"median": med(self.mlflow_table_first_row_s),
                                         "all": [round(x, 3) for x in self.mlflow_table_first_row_s]},
            "mlflow_chart_s": [round(x, 3) for x in self.mlflow_chart_s],
        }


# --- seeding ----------------------------------------------------------------------------


def seed(db_uri: str, artifact_root: str, scale: Scale) -> tuple[str, str, list[str]]:
    """Fill the store directly through the schema; returns (experiment A, experiment B, B's run ids)."""
    from sqlalchemy import insert

    from tracklog.store.sql import schema as s
    from tracklog.store.sql.rows import encode_value
    from tracklog.store.sql.store import SqlStore

    store = SqlStore(db_uri, artifact_root)
    exp_a = store.create_experiment("bench/ui/table")
    exp_b = store.create_experiment("bench/ui/charts")
    engine = store._db.engine  # bulk load: one transaction per table chunk
    rnd = random.Random(7)
    now = int(time.time() * 1000) - 86_400_000

    def rows_for(eid: str, n: int, prefix: str) -> list[dict[str, Any]]:
        return [{"run_uuid": uuid.uuid4().hex, "name": f"{prefix}-{i}", "experiment_id": int(eid), "user_id": "bench",
                 "status": "FINISHED", "start_time": now + i * 1000, "end_time": now + i * 1000 + 60_000,
                 "lifecycle_stage": "active", "artifact_uri": f"{artifact_root}/{eid}/{i}"} for i in range(n)]

    runs_a = rows_for(exp_a, scale.runs, "runA")
    runs_b = rows_for(exp_b, scale.chart_runs, "runB")
    with engine.begin() as conn:
        conn.execute(insert(s.runs), runs_a + runs_b)
        for part in _chunks(runs_a, 2000):
            choices = [0.1, 0.01, 0.001, 32, 64]
            conn.execute(insert(s.params), [
                {"run_uuid": r["run_uuid"], "key": f"p{k}", "value": str(rnd.choice(choices))}
                for r in part for k in range(scale.params)])
            conn.execute(insert(s.tags), [{"run_uuid": r["run_uuid"], "key": f"t{k}", "value": f"v{rnd.randint(0, 9)}"}
                                          for r in part for k in range(scale.tags)]
                         + [{"run_uuid": r["run_uuid"], "key": "mlflow.runName", "value": r["name"]} for r in part])
            points = [(r, f"m{k}", rnd.random()) for r in part for k in range(scale.metrics)]
            conn.execute(insert(s.metrics), [{"run_uuid": r["run_uuid"], "key": key, "step": 0, "timestamp": now,
                                              "value_kind": 0, "value": v} for r, key, v in points])
            conn.execute(insert(s.latest_metrics), [{"run_uuid": r["run_uuid"], "key": key, "step": 0, "timestamp": now,
                                                     "value_kind": 0, "value": v, "min_value": v, "max_value": v}
                                                    for r, key, v in points])
        conn.execute(insert(s.tags), [{"run_uuid": r["run_uuid"], "key": "mlflow.runName", "value": r["name"]}
                                      for r in runs_b])
    for j, r in enumerate(runs_b):
        decay = scale.chart_points / 5
        values = [math.exp(-i / decay) * (1 + 0.1 * j) + rnd.random() * 0.02 for i in range(scale.chart_points)]
        values[rnd.randrange(scale.chart_points)] = 5.0  # one spike per run: must show in the chart
        with engine.begin() as conn:
            for start in range(0, scale.chart_points, 20_000):
                conn.execute(insert(s.metrics), [
                    {"run_uuid": r["run_uuid"], "key": "loss", "step": i, "timestamp": now + i * 100,
                     "value_kind": encode_value(v)[0], "value": encode_value(v)[1]}
                    for i, v in enumerate(values[start:start + 20_000], start)])
            last = values[-1]
            conn.execute(insert(s.latest_metrics), [{
                "run_uuid": r["run_uuid"], "key": "loss", "step": scale.chart_points - 1,
                "timestamp": now + (scale.chart_points - 1) * 100, "value_kind": 0, "value": last,
                "min_value": min(values), "max_value": max(values)}])
    store.close()
    return exp_a, exp_b, [r["run_uuid"] for r in runs_b]


def seed_mlflow(db_path: Path, base_url: str, scale: Scale) -> tuple[str, str, list[str]]:
    """The same data set in a running ``mlflow server``'s SQLite database (its schema, written directly)."""
    import sqlite3

    with httpx.Client(timeout=60) as client:
        def create(name: str) -> str:
            r = client.post(f"{base_url}/api/2.0/mlflow/experiments/create", json={"name": name})
            r.raise_for_status()
            return str(r.json()["experiment_id"])

        exp_a, exp_b = create("bench/ui/table"), create("bench/ui/charts")
    rnd = random.Random(7)
    now = int(time.time() * 1000) - 86_400_000
    db = sqlite3.connect(db_path, timeout=60)
    try:
        def runs_for(eid: str, n: int, prefix: str) -> list[tuple[Any, ...]]:
            return [(uuid.uuid4().hex, f"{prefix}-{i}", "UNKNOWN", "", "", "bench", "FINISHED", now + i * 1000,
                     now + i * 1000 + 60_000, "", "active", f"mlflow-artifacts:/{eid}/{i}", int(eid))
                    for i in range(n)]

        runs_a, runs_b = runs_for(exp_a, scale.runs, "runA"), runs_for(exp_b, scale.chart_runs, "runB")
        db.executemany("INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, "
                       "status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", runs_a + runs_b)
        choices = [0.1, 0.01, 0.001, 32, 64]
        db.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?,?,?)",
                       [(f"p{k}", str(rnd.choice(choices)), r[0]) for r in runs_a for k in range(scale.params)])
        db.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?,?,?)",
                       [(f"t{k}", f"v{rnd.randint(0, 9)}", r[0]) for r in runs_a for k in range(scale.tags)]
                       + [("mlflow.runName", r[1], r[0]) for r in runs_a + runs_b])
        points = [(f"m{k}", rnd.random(), now, r[0], 0, 0) for r in runs_a for k in range(scale.metrics)]
        db.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?,?,?,?,?,?)",
                       points)
        db.executemany("INSERT INTO latest_metrics (key, value, timestamp, run_uuid, step, is_nan) "
                       "VALUES (?,?,?,?,?,?)", points)
        decay = scale.chart_points / 5
        for j, r in enumerate(runs_b):
            values = [math.exp(-i / decay) * (1 + 0.1 * j) + rnd.random() * 0.02 for i in range(scale.chart_points)]
            values[rnd.randrange(scale.chart_points)] = 5.0
            db.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?,?,?,?,?,?)",
                           [("loss", v, now + i * 100, r[0], i, 0) for i, v in enumerate(values)])
            db.execute("INSERT INTO latest_metrics (key, value, timestamp, run_uuid, step, is_nan) "
                       "VALUES (?,?,?,?,?,?)",
                       ("loss", values[-1], now + (scale.chart_points - 1) * 100, r[0], scale.chart_points - 1, 0))
        db.commit()
    finally:
        db.close()
    return exp_a, exp_b, [r[0] for r in runs_b]


def run_mlflow(scale: Scale, workdir: Path, progress: Callable[[str], None], res: UiResults) -> None:
    """The same pages on ``mlflow server`` (the bench venv's mlflow 3.17.2), its own UI and selectors."""
    from benchmarks import benchvenv
    from benchmarks.servers import mlflow_command

    python = benchvenv.ensure()
    db = workdir / "mlflow.db"
    artifacts = workdir / "mlflow-artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = Server("mlflow", mlflow_command(python.parent / "mlflow", port, f"sqlite:///{db}", artifacts), port,
                    workdir / "mlflow.log")
    server.start()
    try:
        server.wait_healthy()
        progress("seeding mlflow's database")
        exp_a, exp_b, _ = seed_mlflow(db, server.base_url, scale)
        server.wait_quiet()
        base = server.base_url
        show_all = (f"localStorage.setItem('MLflowLocalStorage-1.1-ExperimentPage-[\"{exp_b}\"]-ReactComponentState', "
                    "JSON.stringify({runsHiddenMode: 'SHOW_ALL'}));")
        with browser() as b:
            for i in range(scale.repeat):
                secs, heap = measure(b, f"{base}/#/experiments/{exp_a}/runs", "mlflow_table", 0, timeout_s=180)
                res.mlflow_table_first_row_s.append(secs)
                progress(f"mlflow runs table #{i + 1}: first row at {secs:.2f} s")
            secs, heap = measure(b, f"{base}/#/experiments/{exp_b}/runs?compareRunsMode=CHART", "mlflow_chart",
                                 scale.chart_runs, timeout_s=300, extra_script=show_all)
            res.mlflow_chart_s.append(secs)
            res.js_heap_mb["mlflow_chart"] = round(heap, 1)
            progress(f"mlflow chart: {secs:.2f} s")
    finally:
        server.stop()


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --- browser ----------------------------------------------------------------------------


@contextmanager
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (never `playwright install`)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


SPLIT_JS = """() => {
  const res = performance.getEntriesByType("resource");
  const pick = (part) => res.filter((e) => e.name.includes(part)).map((e) => ({
    start: e.startTime, requestStart: e.requestStart, responseStart: e.responseStart, responseEnd: e.responseEnd,
    bytes: e.encodedBodySize, decoded: e.decodedBodySize}));
  const marks = {};
  for (const m of performance.getEntriesByType("mark")) if (m.name.startsWith("tracklog:")) marks[m.name] = m.startTime;
  return {search: pick("runs/search"), sampled: pick("get-history-sampled"), chunk: pick("MetricCharts"), marks};
}"""


def chart_split(raw: dict[str, Any], drawn_ms: float, key: str = "loss") -> dict[str, float]:
    """Where the chart's time went (seconds): start-up until the bucketed request was sent, the
    request (time to first byte = server time + latency; then the body transfer), JSON parse and
    decode, building the drawn data, uPlot's first draw and the rest until the probe's frame."""
    sampled = [e for e in raw.get("sampled", []) if e["responseEnd"] > 0]
    marks = raw.get("marks", {})
    if not sampled:
        return {}
    req = max(sampled, key=lambda e: e["responseEnd"])
    data = marks.get(f"tracklog:chart-data:{key}")
    built = marks.get(f"tracklog:chart-built:{key}")
    plotted = marks.get(f"tracklog:chart-plotted:{key}")
    search = [e for e in raw.get("search", []) if 0 < e["responseEnd"] <= req["start"]]
    chunk = [e for e in raw.get("chunk", []) if e["responseEnd"] > 0]
    out = {
        # of which: the runs list answered, the chart code loaded (both needed before the request)
        **({"search_done_s": max(e["responseEnd"] for e in search) / 1000} if search else {}),
        **({"chart_code_s": max(e["responseEnd"] for e in chunk) / 1000} if chunk else {}),
        # the charts view first rendered (React, after both of the above)
        **({"charts_view_s": marks["tracklog:charts-render"] / 1000} if "tracklog:charts-render" in marks else {}),
        "until_request_s": req["start"] / 1000,
        "request_ttfb_s": (req["responseStart"] - req["requestStart"]) / 1000,
        "request_body_s": (req["responseEnd"] - req["responseStart"]) / 1000,
        "response_mb": round(req["bytes"] / 1e6, 3),
    }
    if data is not None:
        out["parse_decode_s"] = (data - req["responseEnd"]) / 1000
    if data is not None and built is not None:
        out["build_s"] = (built - data) / 1000
    if built is not None and plotted is not None:
        out["plot_s"] = (plotted - built) / 1000
    if plotted is not None:
        out["to_frame_s"] = (drawn_ms - plotted) / 1000
    return {k: round(v, 3) for k, v in out.items()}


def measure(b: Any, url: str, mark: str, series: int, timeout_s: float = 90.0,
            on_response: Callable[[Any], None] | None = None, extra_script: str = "",
            split: dict[str, Any] | None = None) -> tuple[float, float]:
    """Open url in a fresh context; (seconds from navigation start to the mark's frame, JS heap MB).
    ``split``, if given, receives the resource timings and the UI's performance marks."""
    context = b.new_context(viewport=VIEWPORT, bypass_csp=True)  # the probe polls with evaluate()
    try:
        context.add_init_script(f"window.__expectSeries = {int(series)};\n{extra_script}\n" + PROBE)
        page = context.new_page()
        if on_response is not None:
            page.on("requestfinished", on_response)
        page.goto(url)
        page.wait_for_function(f"window.__marks && window.__marks['{mark}'] !== undefined", timeout=timeout_s * 1000)
        ms = float(page.evaluate(f"window.__marks['{mark}']"))
        heap = float(page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")) / 1e6
        if split is not None:
            split.update(chart_split(page.evaluate(SPLIT_JS), ms))
        return ms / 1000.0, heap
    finally:
        context.close()


def run(scale: Scale, workdir: Path, progress: Callable[[str], None]) -> UiResults:
    res = UiResults(scale=asdict(scale))
    db = workdir / "ui.db"
    artifacts = workdir / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    progress(f"seeding {scale.runs} runs and {scale.chart_runs} x {scale.chart_points} points into {db}")
    t0 = time.perf_counter()
    exp_a, exp_b, chart_ids = seed(f"sqlite:///{db}", artifacts.as_uri(), scale)
    res.seed_seconds = time.perf_counter() - t0
    port = free_port()
    command = tracklog_command(Path(sys.executable).parent / "tracklog", port, f"sqlite:///{db}", artifacts)
    timings: list[float] = []

    def on_response(req: Any) -> None:
        if "get-history-sampled" in req.url:
            t = req.timing
            timings.append((t["responseEnd"] - t["requestStart"]) / 1000.0)

    def chart(b: Any, url: str, label: str) -> float:
        timings.clear()
        split: dict[str, Any] = {}
        secs, heap = measure(b, url, "chart", scale.chart_runs, on_response=on_response, split=split)
        res.chart_split[label] = split
        res.js_heap_mb["chart"] = round(heap, 1)
        progress(f"chart, {label}: {secs:.2f} s  " + "  ".join(f"{k}={v}" for k, v in split.items()))
        return secs

    def server() -> Server:
        s = Server("tracklog", command, port, workdir / "tracklog.log")
        s.start()
        s.wait_healthy()
        s.wait_quiet()
        return s

    base = Server("tracklog", command, port, workdir / "tracklog.log").base_url
    table_url = f"{base}/#/runs?e={exp_a}"
    chart_url = f"{base}/#/runs?e={exp_b}&s={','.join(chart_ids)}&v=charts"
    # First view ever: the server scans the histories once and stores their roll-ups.
    first = server()
    try:
        with browser() as b:
            res.chart_first_s.append(chart(b, chart_url, "first"))
            res.sampled_request_first_s = timings[-1] if timings else None
    finally:
        first.stop()
    # Cold: a restarted server (empty memory), the stored roll-ups; then warm views.
    srv = server()
    try:
        with browser() as b:
            res.chart_cold_s.append(chart(b, chart_url, "cold"))
            res.sampled_request_cold_s = timings[-1] if timings else None
            for i in range(scale.repeat):
                res.chart_warm_s.append(chart(b, chart_url, f"warm{i + 1}"))
                res.sampled_request_warm_s += timings
            for i in range(scale.repeat):
                secs, heap = measure(b, table_url, "table", 0)
                res.table_first_row_s.append(secs)
                res.js_heap_mb["table"] = round(heap, 1)
                progress(f"runs table #{i + 1}: first row at {secs:.2f} s")
        # the same request without the browser: server time only
        with httpx.Client(timeout=120) as client:
            t = time.perf_counter()
            r = client.get(f"{base}/ajax-api/2.0/tracklog/metrics/get-history-sampled",
                           params={"run_ids": chart_ids, "metric_key": "loss", "max_points": 1000})
            r.raise_for_status()
            progress(f"direct request (warm): {time.perf_counter() - t:.3f} s, {len(r.content) / 1e6:.2f} MB")
    finally:
        srv.stop()
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks ui", description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", choices=sorted(SCALES), default="default")
    p.add_argument("--repeat", type=int, help="warm repetitions (default 3; 1 for quick)")
    p.add_argument("--json", type=Path, metavar="OUT.json", help="also write the results as JSON")
    p.add_argument("--mlflow", action="store_true",
                   help="also measure the same pages on `mlflow server` (bench venv, mlflow 3.17.2)")
    p.add_argument("--workdir", type=Path, help="where the database and logs go (default: a temp dir, removed)")
    args = p.parse_args(argv)
    scale = SCALES[args.scale]
    if args.repeat:
        scale = Scale(**{**asdict(scale), "repeat": args.repeat})
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tracklog-ui-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        def progress(m: str) -> None:
            print(m, file=sys.stderr, flush=True)

        res = run(scale, workdir, progress)
        if args.mlflow:
            run_mlflow(scale, workdir, progress, res)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    out = json.dumps(res.summary(), indent=2)
    print(out)
    if args.json:
        args.json.write_text(out + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
