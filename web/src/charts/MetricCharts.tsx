import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type uPlot from "uplot";
import type { Run, SampledSeries } from "../api/types";
import { columnValue, runName } from "../runs/runData";
import { Button, Empty, ErrorBox, Spinner, TextInput } from "../ui/kit";
import { plural } from "../ui/plural";
import { colorFor, cssVar } from "../ui/theme";
import { canvasPng, download, fileStem, toCsv } from "./exporting";
import { groupByPrefix } from "./groups";
import {
  alignLines,
  groupBand,
  groupRuns,
  linesFromGroups,
  linesFromRuns,
  markersOf,
  stepIndex,
  toRunPoints,
  xMetricKey,
  type BandKind,
  type Marker,
  type RunPoints,
  type XMode,
} from "./sampled";
import { UPlotChart, type UPlotBand, type UPlotSeriesDef } from "./UPlotChart";
import { useMetricHistory, type StepRange } from "./useMetricHistory";

export const LIVE_INTERVAL_MS = 5000;

export interface ChartSettings {
  xAxis: XMode;
  logY: boolean;
  smoothing: number;
  /** Grouped runs: mean ± std or min/max band. */
  band: BandKind;
  /** Ungrouped runs: shade each line's per-bucket min/max (spikes the line's last values skip). */
  spread: boolean;
}

const X_LABEL: Record<string, string> = { step: "step", wall: "wall time", relative: "seconds since start" };

/** One uPlot panel per metric key for the given runs, overlaid (or aggregated per group), with shared controls. */
export function MetricCharts({ runs, groupBy = "" }: { runs: Run[]; groupBy?: string }) {
  const [settings, setSettings] = useState<ChartSettings>(() => {
    performance.mark("tracklog:charts-render"); // first render of the charts view (read by benchmarks/ui_bench.py)
    return { xAxis: "step", logY: false, smoothing: 0, band: "std", spread: true };
  });
  const [keyFilter, setKeyFilter] = useState("");
  const [live, setLive] = useState(true);
  const [tick, setTick] = useState(0);
  const [closed, setClosed] = useState<Set<string>>(() => new Set());
  const toggleSection = (g: string) =>
    setClosed((c) => {
      const n = new Set(c);
      if (n.has(g)) n.delete(g);
      else n.add(g);
      return n;
    });
  const running = runs.some((r) => r.info.status === "RUNNING");

  useEffect(() => {
    if (!running || !live) return;
    const t = setInterval(() => setTick((n) => n + 1), LIVE_INTERVAL_MS);
    return () => clearInterval(t);
  }, [running, live]);

  const keys = useMemo(() => {
    const s = new Set<string>();
    runs.forEach((r) => r.data.metrics?.forEach((m) => s.add(m.key)));
    return [...s].sort((a, b) => a.localeCompare(b));
  }, [runs]);
  const shown = keys.filter((k) => k.toLowerCase().includes(keyFilter.toLowerCase()));
  const groups = useMemo(() => (groupBy ? groupRuns(runs, (r) => columnValue(r, groupBy)) : null), [runs, groupBy]);

  const sections = groupByPrefix(shown);
  // The first panels are on screen anyway: mount them at once (their data requests start a frame or more earlier).
  const eager = new Set(sections.flatMap(([group, ks]) => (closed.has(group) ? [] : ks)).slice(0, EAGER_PANELS));
  if (runs.length === 0) return <Empty>No runs to chart.</Empty>;
  if (keys.length === 0) return <Empty>These runs have no metrics.</Empty>;
  const set = (patch: Partial<ChartSettings>) => setSettings({ ...settings, ...patch });

  return (
    <div className="tl-col" style={{ gap: 10 }}>
      <div className="tl-row tl-chart-controls">
        <label className="tl-row" style={{ gap: 4 }}>
          x-axis
          <select className="tl-input" aria-label="x-axis" value={settings.xAxis} onChange={(e) => set({ xAxis: e.target.value as XMode })}>
            <option value="step">step</option>
            <option value="wall">wall time</option>
            <option value="relative">relative time (s)</option>
            <optgroup label="metric (joined by step)">
              {keys.map((k) => (
                <option key={k} value={`metric:${k}`}>
                  {k}
                </option>
              ))}
            </optgroup>
          </select>
        </label>
        <label className="tl-row" style={{ gap: 4 }}>
          <input type="checkbox" checked={settings.logY} onChange={(e) => set({ logY: e.target.checked })} /> log scale
        </label>
        <label className="tl-row" style={{ gap: 4 }}>
          smoothing
          <input type="range" min={0} max={0.99} step={0.01} value={settings.smoothing} aria-label="Smoothing" onChange={(e) => set({ smoothing: Number(e.target.value) })} />
          <span className="mono" style={{ width: 32 }}>{settings.smoothing.toFixed(2)}</span>
        </label>
        {groups ? (
          <label className="tl-row" style={{ gap: 4 }}>
            band
            <select className="tl-input" aria-label="Group band" value={settings.band} onChange={(e) => set({ band: e.target.value as BandKind })}>
              <option value="std">mean ± std</option>
              <option value="minmax">min / max</option>
            </select>
          </label>
        ) : (
          <label className="tl-row" style={{ gap: 4 }} title="Shade the min/max of the points merged into each drawn point">
            <input type="checkbox" checked={settings.spread} onChange={(e) => set({ spread: e.target.checked })} /> min/max band
          </label>
        )}
        {running ? (
          <label className="tl-row" style={{ gap: 4 }} title={`Refresh every ${LIVE_INTERVAL_MS / 1000} s while a run is RUNNING`}>
            <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} /> live
          </label>
        ) : null}
        <TextInput type="search" placeholder="Filter metrics" aria-label="Filter metrics" value={keyFilter} onChange={(e) => setKeyFilter(e.target.value)} />
        <span className="tl-muted">
          {shown.length} of {plural(keys.length, "metric")} · {plural(runs.length, "run")}
          {groups ? ` in ${plural(groups.length, "group")} by ${groupBy}` : ""}
        </span>
      </div>
      {sections.map(([group, groupKeys]) => (
        <section key={group} className="tl-col" style={{ gap: 8 }} aria-label={group ? `Metrics ${group}/` : "Metrics"}>
          {group ? (
            <button className="tl-section-toggle" aria-expanded={!closed.has(group)} onClick={() => toggleSection(group)}>
              {closed.has(group) ? "▸" : "▾"} {group}/ <span className="tl-muted">({groupKeys.length})</span>
            </button>
          ) : null}
          {closed.has(group) ? null : (
            <div className="tl-chart-grid">
              {groupKeys.map((k) => (
                <LazyMount key={k} height={330} eager={eager.has(k)}>
                  <MetricPanel metricKey={k} runs={runs} groups={groups} settings={settings} tick={tick} />
                </LazyMount>
              ))}
            </div>
          )}
        </section>
      ))}
    </div>
  );
}

/** Panels mounted without waiting for the IntersectionObserver (the first screenful). */
const EAGER_PANELS = 4;

/** Mount children only once scrolled near the viewport (thousands of keys stay cheap); eager: at once. */
function LazyMount({ children, height, eager = false }: { children: ReactNode; height: number; eager?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useState(eager || typeof IntersectionObserver === "undefined");
  useEffect(() => {
    if (visible || !ref.current) return;
    const io = new IntersectionObserver((es) => {
      if (es.some((e) => e.isIntersecting)) setVisible(true);
    }, { rootMargin: "300px" });
    io.observe(ref.current);
    return () => io.disconnect();
  }, [visible]);
  return (
    <div ref={ref} className="tl-chart-card" style={{ minHeight: height }}>
      {visible ? children : null}
    </div>
  );
}

interface Drawn {
  data: uPlot.AlignedData;
  series: UPlotSeriesDef[];
  bands: UPlotBand[];
  /** NaN / ±inf flags per line (drawn as marks at the plot's edges). */
  markers: Marker[];
  csv: () => string;
  mode: XMode;
}

function buildDrawn(
  metricKey: string,
  runs: Run[],
  groups: [string, Run[]][] | null,
  series: SampledSeries[],
  xSeries: SampledSeries[] | null,
  settings: ChartSettings,
): Drawn {
  const byRun = new Map(series.map((s) => [s.run_id, s]));
  const xByRun = new Map((xSeries ?? []).map((s) => [s.run_id, s]));
  const names = new Map(runs.map((r) => [r.info.run_id, runName(r)]));
  const points = new Map<string, RunPoints>();
  for (const r of runs) {
    const s = byRun.get(r.info.run_id);
    if (!s) continue;
    const xIdx = xMetricKey(settings.xAxis) ? stepIndex(xByRun.get(r.info.run_id)) : undefined;
    points.set(r.info.run_id, toRunPoints(s, settings.xAxis, r.info.start_time ?? s.timestamp[0] ?? 0, xIdx));
  }
  const defs: UPlotSeriesDef[] = [];
  let lines;
  let labels: string[];
  const markers: Marker[] = [];
  if (groups) {
    const members = groups.map(([, ms]) => ms.map((m) => points.get(m.info.run_id)).filter((p): p is RunPoints => Boolean(p)));
    const stats = members.map((ms) => groupBand(ms, settings.band));
    members.forEach((ms, gi) => ms.forEach((m) => markers.push(...markersOf(m.pts, gi))));
    lines = linesFromGroups(stats);
    labels = groups.map(([value, ms]) => `${value} (${plural(ms.length, "run")})`);
  } else {
    const perRun = runs.map((r) => points.get(r.info.run_id) ?? { runId: r.info.run_id, width: 1, sampled: false, pts: [] });
    perRun.forEach((p, i) => markers.push(...markersOf(p.pts, i)));
    lines = linesFromRuns(perRun, settings.spread);
    labels = runs.map((r) => runName(r));
  }
  const aligned = alignLines(lines, settings.smoothing, settings.logY);
  const bands: UPlotBand[] = [];
  lines.forEach((_, i) => {
    const color = colorFor(i);
    const ix = aligned.index[i]!;
    defs.push({ label: labels[i]!, color });
    if (ix.lo !== undefined && ix.hi !== undefined) {
      const what = groups ? (settings.band === "std" ? "± std" : "min/max") : "min/max";
      defs.push({ label: `${labels[i]} ${what} low`, color, edge: true });
      defs.push({ label: `${labels[i]} ${what} high`, color, edge: true });
      bands.push({ hi: ix.hi, lo: ix.lo, color });
    }
  });
  const csv = () => {
    if (groups) {
      const rows: (string | number)[][] = [];
      groups.forEach(([value], gi) => {
        const l = lines[gi]!;
        l.x.forEach((x, k) => rows.push([value, x, l.y[k]!, l.lo?.[k] ?? "", l.hi?.[k] ?? ""]));
      });
      return toCsv(["group", "x", `${metricKey} mean`, settings.band === "std" ? "mean - std" : "min", settings.band === "std" ? "mean + std" : "max"], rows);
    }
    const rows: (string | number)[][] = [];
    for (const r of runs) {
      const s = byRun.get(r.info.run_id);
      const p = points.get(r.info.run_id);
      if (!s || !p) continue;
      for (const pt of p.pts) rows.push([r.info.run_id, names.get(r.info.run_id) ?? "", pt.step, pt.x, pt.y, pt.lo, pt.hi]);
    }
    return toCsv(["run_id", "run_name", "step", settings.xAxis, metricKey, "bucket min", "bucket max"], rows);
  };
  return { data: aligned.data as uPlot.AlignedData, series: defs, bands, markers, csv, mode: settings.xAxis };
}

export function MetricPanel({
  metricKey,
  runs,
  groups,
  settings,
  tick,
}: {
  metricKey: string;
  runs: Run[];
  groups: [string, Run[]][] | null;
  settings: ChartSettings;
  tick: number;
}) {
  const [range, setRange] = useState<StepRange | null>(null);
  const runIds = useMemo(() => runs.map((r) => r.info.run_id), [runs]);
  const zoomable = settings.xAxis === "step";
  const hist = useMetricHistory(runIds, metricKey, zoomable ? range : null, tick);
  const xKey = xMetricKey(settings.xAxis);
  const xHist = useMetricHistory(runIds, xKey, null, tick);
  const plot = useRef<uPlot | null>(null);

  const drawn = useMemo(() => {
    if (!hist.series || (xKey && !xHist.series)) return null;
    const built = buildDrawn(metricKey, runs, groups, hist.series, xKey ? xHist.series : null, settings);
    performance.mark(`tracklog:chart-built:${metricKey}`); // read by benchmarks/ui_bench.py
    return built;
  }, [hist.series, xHist.series, xKey, metricKey, runs, groups, settings]);

  const n = drawn ? drawn.data[0].length : 0;
  const sampled = hist.series?.some((s) => s.count.some((c) => c > 1)) ?? false;
  const marks = drawn ? markerSummary(drawn.markers) : "";
  const error = hist.error ?? xHist.error;
  const exportPng = () => {
    const canvas = plot.current?.ctx.canvas;
    if (canvas) void canvasPng(canvas, cssVar("--bg")).then((b) => download(`${fileStem(metricKey)}.png`, b));
  };
  const exportCsv = () => {
    if (drawn) download(`${fileStem(metricKey)}.csv`, new Blob([drawn.csv()], { type: "text/csv" }));
  };

  return (
    <div className="tl-col" style={{ gap: 4 }} data-metric={metricKey} data-drawn={drawn && n > 0 ? "yes" : "no"} data-bands={drawn?.bands.length ?? 0} data-x={drawn?.mode ?? ""} data-markers={drawn?.markers.length ?? 0}>
      <div className="tl-row">
        <strong title={metricKey} style={{ overflow: "hidden", textOverflow: "ellipsis" }}>{metricKey}</strong>
        {hist.loading || xHist.loading ? <Spinner /> : null}
        {sampled ? <span className="tl-muted" title="Each drawn point is the last value of a step bucket; the band shows the bucket's min/max. Zoom in for detail.">sampled</span> : null}
        <span className="tl-spacer" />
        {range && zoomable ? (
          <Button small onClick={() => setRange(null)}>
            Reset zoom
          </Button>
        ) : null}
        <Button small disabled={!drawn || n === 0} onClick={exportPng} aria-label={`Download ${metricKey} as PNG`}>
          PNG
        </Button>
        <Button small disabled={!drawn || n === 0} onClick={exportCsv} aria-label={`Download ${metricKey} data as CSV`}>
          CSV
        </Button>
      </div>
      {error ? <ErrorBox error={error} /> : null}
      {drawn && n === 0 ? <Empty>No points{range ? " in this range" : ""}.</Empty> : null}
      {drawn && n > 0 ? (
        <UPlotChart
          data={drawn.data}
          series={drawn.series}
          bands={drawn.bands}
          markers={drawn.markers.map((m) => ({ x: m.x, kind: m.kind, color: drawn.series.filter((s) => !s.edge)[m.line]?.color ?? colorFor(m.line) }))}
          xLabel={xKey ?? X_LABEL[settings.xAxis] ?? "x"}
          timeX={settings.xAxis === "wall"}
          logY={settings.logY}
          points={n < 3}
          onPlot={(u) => {
            plot.current = u;
            if (u) performance.mark(`tracklog:chart-plotted:${metricKey}`); // read by benchmarks/ui_bench.py
          }}
          onSelectRange={zoomable ? (min, max) => setRange({ start: Math.floor(min), end: Math.ceil(max) }) : undefined}
          onResetZoom={() => setRange(null)}
        />
      ) : null}
      {marks ? (
        <span className="tl-muted tl-markers-note" title="A NaN or infinite value cannot be drawn as a line point: the line has a gap there and a mark at the plot's edge shows where it is.">
          {marks}
        </span>
      ) : null}
      {!drawn && !error ? <div className="tl-state"><Spinner /></div> : null}
    </div>
  );
}

/** "NaN in 3 buckets (× at the bottom) · +inf in 1 (▲ at the top)", or "" when every value is finite. */
export function markerSummary(markers: Marker[]): string {
  const count = (k: Marker["kind"]) => markers.filter((m) => m.kind === k).length;
  const parts: string[] = [];
  const nan = count("nan");
  const inf = count("inf");
  const neg = count("-inf");
  if (nan) parts.push(`NaN in ${plural(nan, "bucket")} (× at the bottom)`);
  if (inf) parts.push(`+inf in ${plural(inf, "bucket")} (▲ at the top)`);
  if (neg) parts.push(`−inf in ${plural(neg, "bucket")} (▼ at the bottom)`);
  return parts.join(" · ");
}
