import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { Run } from "../api/types";
import { runName } from "../runs/runData";
import { Button, Empty, ErrorBox, Spinner, TextInput } from "../ui/kit";
import { colorFor } from "../ui/theme";
import { groupByPrefix } from "./groups";
import { alignSeries, toSeries, type XAxis } from "./series";
import { UPlotChart } from "./UPlotChart";
import { useMetricHistory, type StepRange } from "./useMetricHistory";

export const LIVE_INTERVAL_MS = 5000;

export interface ChartSettings {
  xAxis: XAxis;
  logY: boolean;
  smoothing: number;
}

/** One uPlot panel per metric key for the given runs, overlaid, with shared controls. */
export function MetricCharts({ runs }: { runs: Run[] }) {
  const [settings, setSettings] = useState<ChartSettings>({ xAxis: "step", logY: false, smoothing: 0 });
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

  if (runs.length === 0) return <Empty>No runs to chart.</Empty>;
  if (keys.length === 0) return <Empty>These runs have no metrics.</Empty>;

  return (
    <div className="tl-col" style={{ gap: 10 }}>
      <div className="tl-row tl-chart-controls">
        <label className="tl-row" style={{ gap: 4 }}>
          x-axis
          <select className="tl-input" value={settings.xAxis} onChange={(e) => setSettings({ ...settings, xAxis: e.target.value as XAxis })}>
            <option value="step">step</option>
            <option value="time">relative time (s)</option>
          </select>
        </label>
        <label className="tl-row" style={{ gap: 4 }}>
          <input type="checkbox" checked={settings.logY} onChange={(e) => setSettings({ ...settings, logY: e.target.checked })} /> log scale
        </label>
        <label className="tl-row" style={{ gap: 4 }}>
          smoothing
          <input type="range" min={0} max={0.99} step={0.01} value={settings.smoothing} aria-label="Smoothing" onChange={(e) => setSettings({ ...settings, smoothing: Number(e.target.value) })} />
          <span className="mono" style={{ width: 32 }}>{settings.smoothing.toFixed(2)}</span>
        </label>
        {running ? (
          <label className="tl-row" style={{ gap: 4 }} title={`Refresh every ${LIVE_INTERVAL_MS / 1000} s while a run is RUNNING`}>
            <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} /> live
          </label>
        ) : null}
        <TextInput type="search" placeholder="Filter metrics" aria-label="Filter metrics" value={keyFilter} onChange={(e) => setKeyFilter(e.target.value)} />
        <span className="tl-muted">
          {shown.length} of {keys.length} metrics · {runs.length} runs
        </span>
      </div>
      {groupByPrefix(shown).map(([group, groupKeys]) => (
        <section key={group} className="tl-col" style={{ gap: 8 }} aria-label={group ? `Metrics ${group}/` : "Metrics"}>
          {group ? (
            <button className="tl-section-toggle" aria-expanded={!closed.has(group)} onClick={() => toggleSection(group)}>
              {closed.has(group) ? "▸" : "▾"} {group}/ <span className="tl-muted">({groupKeys.length})</span>
            </button>
          ) : null}
          {closed.has(group) ? null : (
            <div className="tl-chart-grid">
              {groupKeys.map((k) => (
                <LazyMount key={k} height={330}>
                  <MetricPanel metricKey={k} runs={runs} settings={settings} tick={tick} />
                </LazyMount>
              ))}
            </div>
          )}
        </section>
      ))}
    </div>
  );
}

/** Mount children only once scrolled near the viewport (thousands of keys stay cheap). */
function LazyMount({ children, height }: { children: ReactNode; height: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useState(typeof IntersectionObserver === "undefined");
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

export function MetricPanel({ metricKey, runs, settings, tick }: { metricKey: string; runs: Run[]; settings: ChartSettings; tick: number }) {
  const [range, setRange] = useState<StepRange | null>(null);
  const runIds = useMemo(() => runs.map((r) => r.info.run_id), [runs]);
  const hist = useMetricHistory(runIds, metricKey, settings.xAxis === "step" ? range : null, tick);
  const starts = useMemo(() => new Map(runs.map((r) => [r.info.run_id, r.info.start_time ?? 0])), [runs]);

  const data = useMemo(() => {
    if (!hist.points) return null;
    const series = toSeries(hist.points, runIds, settings.xAxis, starts);
    const aligned = alignSeries(series, settings.smoothing);
    if (settings.logY) {
      for (let i = 1; i < aligned.length; i++) aligned[i] = (aligned[i] as (number | null)[]).map((v) => (v !== null && v > 0 ? v : null));
    }
    return aligned;
  }, [hist.points, runIds, settings.xAxis, settings.smoothing, settings.logY, starts]);

  const series = useMemo(() => runs.map((r, i) => ({ label: runName(r), color: colorFor(i) })), [runs]);
  const n = data ? data[0].length : 0;

  return (
    <div className="tl-col" style={{ gap: 4 }} data-metric={metricKey}>
      <div className="tl-row">
        <strong title={metricKey} style={{ overflow: "hidden", textOverflow: "ellipsis" }}>{metricKey}</strong>
        {hist.loading ? <Spinner /> : null}
        <span className="tl-spacer" />
        {range && settings.xAxis === "step" ? (
          <Button small onClick={() => setRange(null)}>
            Reset zoom
          </Button>
        ) : null}
      </div>
      {hist.error ? <ErrorBox error={hist.error} /> : null}
      {data && n === 0 ? <Empty>No points{range ? " in this range" : ""}.</Empty> : null}
      {data && n > 0 ? (
        <UPlotChart
          data={data}
          series={series}
          xLabel={settings.xAxis === "step" ? "step" : "seconds since start"}
          logY={settings.logY}
          points={n < 3}
          onSelectRange={settings.xAxis === "step" ? (min, max) => setRange({ start: Math.floor(min), end: Math.ceil(max) }) : undefined}
          onResetZoom={() => setRange(null)}
        />
      ) : null}
      {!data && !hist.error ? <div className="tl-state"><Spinner /></div> : null}
    </div>
  );
}
