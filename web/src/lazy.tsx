// Heavy features load on demand (uPlot, markdown-it + DOMPurify), so the runs table boots fast.
import { lazy, Suspense, type ComponentProps } from "react";
import { Loading } from "./ui/kit";

const MetricChartsImpl = lazy(() => import("./charts/MetricCharts").then((m) => ({ default: m.MetricCharts })));
const ComparePanelImpl = lazy(() => import("./compare/ComparePanel").then((m) => ({ default: m.ComparePanel })));
const ArtifactBrowserImpl = lazy(() => import("./artifacts/ArtifactBrowser").then((m) => ({ default: m.ArtifactBrowser })));
const MarkdownImpl = lazy(() => import("./ui/Markdown").then((m) => ({ default: m.Markdown })));

export function MetricCharts(props: ComponentProps<typeof MetricChartsImpl>) {
  return (
    <Suspense fallback={<Loading what="charts" />}>
      <MetricChartsImpl {...props} />
    </Suspense>
  );
}

export function ComparePanel(props: ComponentProps<typeof ComparePanelImpl>) {
  return (
    <Suspense fallback={<Loading what="comparison" />}>
      <ComparePanelImpl {...props} />
    </Suspense>
  );
}

export function ArtifactBrowser(props: ComponentProps<typeof ArtifactBrowserImpl>) {
  return (
    <Suspense fallback={<Loading what="artifacts" />}>
      <ArtifactBrowserImpl {...props} />
    </Suspense>
  );
}

export function Markdown(props: ComponentProps<typeof MarkdownImpl>) {
  return (
    <Suspense fallback={<span className="tl-muted">…</span>}>
      <MarkdownImpl {...props} />
    </Suspense>
  );
}
