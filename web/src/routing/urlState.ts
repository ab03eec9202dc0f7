// Hash routing and the URL-encoded view state. Everything a user sees on the runs page
// (experiments, filter, sort, columns, selection, view) lives in the hash, so a URL is shareable:
//   #/runs?e=1,2&q=metrics.loss<1&o=metrics.loss+DESC&c=params.lr,metrics.acc&s=<run>,<run>&v=charts
//   #/runs/<run_id>?tab=artifacts&path=plots/a.png

export type RunsView = "table" | "charts" | "compare";

export interface SortSpec {
  key: string; // "attributes.start_time", "metrics.loss", "params.lr", "tags.x"
  desc: boolean;
}

export interface RunsState {
  experiments: string[];
  filter: string;
  sort: SortSpec | null;
  columns: string[];
  selected: string[];
  view: RunsView;
  /** Group runs by this "params.x" / "tags.y" column ("" = no grouping); charts then draw bands per group. */
  group: string;
}

export const DEFAULT_RUNS_STATE: RunsState = { experiments: [], filter: "", sort: null, columns: [], selected: [], view: "table", group: "" };

const VIEWS: RunsView[] = ["table", "charts", "compare"];

function list(v: string | null): string[] {
  return v ? v.split(",").filter((x) => x.length > 0) : [];
}

export function encodeRunsState(s: RunsState): string {
  const sp = new URLSearchParams();
  if (s.experiments.length) sp.set("e", s.experiments.join(","));
  if (s.filter) sp.set("q", s.filter);
  if (s.sort) sp.set("o", `${s.sort.key} ${s.sort.desc ? "DESC" : "ASC"}`);
  if (s.columns.length) sp.set("c", s.columns.join(","));
  if (s.selected.length) sp.set("s", s.selected.join(","));
  if (s.view !== "table") sp.set("v", s.view);
  if (s.group) sp.set("g", s.group);
  return sp.toString();
}

export function decodeRunsState(query: string): RunsState {
  const sp = new URLSearchParams(query);
  let sort: SortSpec | null = null;
  const o = sp.get("o");
  if (o) {
    const m = /^(.*?)(?:\s+(ASC|DESC))?$/i.exec(o.trim());
    if (m && m[1]) sort = { key: m[1], desc: (m[2] ?? "ASC").toUpperCase() === "DESC" };
  }
  const v = sp.get("v") as RunsView | null;
  return {
    experiments: list(sp.get("e")),
    filter: sp.get("q") ?? "",
    sort,
    columns: list(sp.get("c")),
    selected: list(sp.get("s")),
    view: v && VIEWS.includes(v) ? v : "table",
    group: /^(params|tags)\./.test(sp.get("g") ?? "") ? sp.get("g")! : "",
  };
}

export interface Route {
  path: string[]; // ["runs"], ["runs", "<id>"]
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#/, "");
  const qi = h.indexOf("?");
  const pathPart = qi >= 0 ? h.slice(0, qi) : h;
  const query = new URLSearchParams(qi >= 0 ? h.slice(qi + 1) : "");
  const path = pathPart.split("/").filter(Boolean).map((p) => decodeURIComponent(p));
  return { path, query };
}

export function makeHash(path: string[], query?: string | URLSearchParams): string {
  const q = typeof query === "string" ? query : query?.toString() ?? "";
  return `#/${path.map(encodeURIComponent).join("/")}${q ? `?${q}` : ""}`;
}
